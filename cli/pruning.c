/* pruning.c -- see pruning.h. */
#include "cli/pruning.h"
#include "host/host.h"
#include "formats/order.h"
#include "posterior/posterior.h"
#include "protocols/p1.h"
#include "protocols/prune.h"
#include "base/util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void open_pruning(opt *o, const char *fit_path, const char *order_path, pruning *p)
{
    p->fit_path = fit_path, p->order_path = order_path;
    pb_cell *c = &p->c;
    int st = pb_cell_open(c, fit_path, data_dir(o));
    if (st) die(st);
    if ((st = pb_order_check_fit(order_path, fit_path, c->net))) die(st);
    if ((st = pb_order_read(order_path, c->net->n_params, &p->order, &p->n_order, p->method, sizeof p->method))) die(st);
    if (!p->method[0]) die(pb_error(PB_ERR_FORMAT, "%s: no '# method:' line", order_path));
    const char *comp = get(o, "compensate", "none");
    if (strcmp(comp, "none") && strcmp(comp, "conditional"))
        die(pb_error(PB_ERR_ARG, "--compensate %s: expected none or conditional", comp));
    pb_estimator est;
    if ((st = pb_estimator_parse(get(o, "estimator", "laplace"), &est))) die(st);
    uint64_t cseed = pb_seed("p1", c->fit.dataset, c->fit.model, p->method, c->fit.repeat, "compensate");
    if ((st = pb_pruner_init(&p->pr, c, p->order, p->n_order, !strcmp(comp, "conditional"), est, cseed, p->info,
                             sizeof p->info)))
        die(st);
}

void close_pruning(pruning *p)
{
    pb_pruner_free(&p->pr);
    free(p->order);
    pb_cell_close(&p->c);
}

void write_cell_header(FILE *f, const char *title, const pruning *p)
{
    const pb_cell *c = &p->c;
    fprintf(f, "# prunebench %s\n", title);
    fprintf(f, "# method: %s\n# repeat: %u\n# dataset: %s\n# model: %s\n", p->method, c->fit.repeat, c->fit.dataset,
            c->fit.model);
    fprintf(f, "# fit: %s\n# fit_settings: %s\n# order: %s\n", p->fit_path, c->fit.settings, p->order_path);
    fprintf(f, "# quality_metric: %s\n# higher_is_better: %d\n", pb_quality_metric(c), c->test.n_classes ? 1 : 0);
}

void write_removal_header(FILE *f, const pruning *p)
{
    const char *info = p->info;
    if (p->pr.compensate)
        fprintf(f, "# removal: first k of the order set to 0, others moved to the Gaussian conditional mean "
                   "given the removed are 0 (compensate=conditional; %s), no retraining\n# compensate: conditional\n", info);
    else
        fprintf(f, "# removal: first k of the order set to 0, others at the posterior mean, no retraining\n"
                   "# compensate: none\n");
}

double method_operating_point(const char *order_path, const char *plugin_dir)
{
    char mname[256] = "", line[256];
    FILE *of = fopen(order_path, "r");
    if (!of) die(pb_error(PB_ERR_IO, "%s: cannot open order file", order_path));
    while (fgets(line, sizeof line, of) && line[0] == '#')
        if (!strncmp(line, "# method: ", 10)) {
            line[strcspn(line, "\r\n")] = '\0';
            snprintf(mname, sizeof mname, "%s", line + 10);
        }
    fclose(of);
    if (!mname[0]) die(pb_error(PB_ERR_FORMAT, "%s: no '# method:' line", order_path));
    char so[2048];
    snprintf(so, sizeof so, "%s/%s.so", plugin_dir, mname);
    pb_plugin p;
    int st = pb_plugin_open(so, &p);
    if (st) die(st);
    if (!p.method.training || isnan(p.method.training->relevance_threshold))
        die(pb_error(PB_ERR_ARG, "method %s declares no operating point (relevance threshold)", p.name));
    double x = p.method.training->relevance_threshold;
    pb_plugin_close(&p);
    return x;
}
