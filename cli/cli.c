/* cli.c -- see cli.h. */
#include "cli/cli.h"
#include "host/cell.h"
#include "host/host.h"
#include "formats/order.h"
#include "posterior/posterior.h"
#include "protocols/prune.h"
#include "base/util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

_Noreturn void die(int st)
{
    (void)st;
    fprintf(stderr, "prunebench: %s\n", pb_last_error());
    exit(1);
}



int parse_opts(int argc, char **argv, opt *opts, char ***rest, int *nrest)
{
    *nrest = 0;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (a[0] == '-' && a[1]) {
            const char *k = a[1] == '-' ? a + 2 : a + 1;
            opt *o = NULL;
            for (opt *p = opts; p->key; p++) if (!strcmp(p->key, k)) o = p;
            if (!o) return pb_error(PB_ERR_ARG, "unknown option '%s' (see 'prunebench help')", a);
            o->seen = 1;
            if (o->is_flag) { o->val = "1"; continue; }
            if (i + 1 >= argc) return pb_error(PB_ERR_ARG, "option '%s' needs a value", a);
            o->val = argv[++i];
        } else {
            (*rest)[(*nrest)++] = argv[i];
        }
    }
    return PB_OK;
}

const char *get(opt *opts, const char *key, const char *dflt)
{
    for (opt *p = opts; p->key; p++) if (!strcmp(p->key, key)) return p->val ? p->val : dflt;
    return dflt;
}

const char *need(opt *opts, const char *key)
{
    const char *v = get(opts, key, NULL);
    if (!v) die(pb_error(PB_ERR_ARG, "missing required option %s%s", key[1] ? "--" : "-", key));
    return v;
}

double get_num(opt *opts, const char *key, double dflt, double lo, double hi)
{
    const char *v = get(opts, key, NULL);
    if (!v) return dflt;
    char *end;
    double x = strtod(v, &end);
    if (end == v || *end || !(x >= lo && x <= hi))
        die(pb_error(PB_ERR_ARG, "--%s %s: expected a number in [%g, %g]", key, v, lo, hi));
    return x;
}

/* An integer option (no fraction, no exponent surprises). */
size_t get_count(opt *opts, const char *key, size_t dflt, size_t lo, size_t hi)
{
    const char *v = get(opts, key, NULL);
    if (!v) return dflt;
    char *end;
    unsigned long long x = strtoull(v, &end, 10);
    if (end == v || *end || *v == '-' || x < lo || x > hi)
        die(pb_error(PB_ERR_ARG, "--%s %s: expected an integer in [%zu, %zu]", key, v, lo, hi));
    return (size_t)x;
}


void open_pruning(opt *o, const char *fit_path, const char *order_path, pb_cell *c, size_t **order, size_t *n_order,
                  char *method, size_t method_len, pb_pruner *pr, char *info, size_t info_len)
{
    int st = pb_cell_open(c, fit_path, get(o, "data-dir", "datasets"));
    if (st) die(st);
    if ((st = pb_order_read(order_path, c->net->n_params, order, n_order, method, method_len))) die(st);
    if (!method[0]) die(pb_error(PB_ERR_FORMAT, "%s: no '# method:' line", order_path));
    const char *comp = get(o, "compensate", "none");
    if (strcmp(comp, "none") && strcmp(comp, "conditional"))
        die(pb_error(PB_ERR_ARG, "--compensate %s: expected none or conditional", comp));
    pb_estimator est;
    if ((st = pb_estimator_parse(get(o, "estimator", "laplace"), &est))) die(st);
    uint64_t cseed = pb_seed("p1", c->fit.dataset, c->fit.model, method, c->fit.repeat, "compensate");
    if ((st = pb_pruner_init(pr, c, *order, *n_order, !strcmp(comp, "conditional"), est, cseed, info, info_len)))
        die(st);
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
