/* cmd_rank.c -- `prunebench rank`: score a fit with a pruning-method
 * plugin; its removal order. -> order .tsv. The plugin runs in a child
 * process with a time limit per hook (--plugin-timeout, host/isolate.h):
 * whatever it does, the order file is written only from a ranking the
 * host checked. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "formats/order.h"
#include "host/cell.h"
#include "host/host.h"
#include "host/isolate.h"
#include "base/sha256.h"
#include "base/util.h"

int cmd_rank(int argc, char **argv)
{
    opt o[] = {O("fit"), O("method"), O("options"), O("prunable"), O("plugin-dir"), O("data-dir"), O("experiment"), O("o"),
               O("plugin-timeout"), END};
    parse_or_die(argc, argv, o, "rank");
    int st;
    if (get(o, "plugin-timeout", NULL) && (st = pb_plugin_set_timeout(get_num(o, "plugin-timeout", 0, 0, 1e9))))
        die(st);
    const char *fit_path = need(o, "fit"), *method = need(o, "method"), *path = need(o, "o");
    const char *prunable = get(o, "prunable", "weights");
    if (strcmp(prunable, "weights") && strcmp(prunable, "all"))
        die(pb_error(PB_ERR_ARG, "--prunable %s: expected weights or all", prunable));
    char so[2048];
    method_plugin_or_die(method, plugin_dir(o), so, sizeof so);
    pb_plugin p;
    if ((st = pb_plugin_open(so, &p))) die(st);
    const char *options = get(o, "options", "");
    pb_plugin_record rec;  /* also checks the options before any work */
    if ((st = pb_plugin_record_of(&p, options, &rec))) die(st);
    if ((st = pb_plugin_check_fit_file(&p, fit_path))) die(st);  /* before the data are read */
    pb_cell c;
    if ((st = pb_cell_open(&c, fit_path, data_dir(o)))) die(st);
    size_t n = c.net->n_params;
    unsigned char *mask = pb_calloc(n, 1);
    size_t *order = pb_calloc(n, sizeof *order);
    double *score = pb_calloc(n, sizeof *score);
    if (!mask || !order || !score) die(PB_ERR_NOMEM);
    size_t np = pb_model_prunable(c.net, !strcmp(prunable, "all"), mask);
    uint64_t seed = pb_seed(get(o, "experiment", "p1"), c.fit.dataset, c.fit.model, p.name, c.fit.repeat, "rank");
    pb_host host;
    pb_host_ctx ctx;
    if ((st = pb_host_init_model(&host, &ctx, c.net, &c.train, seed))) die(st);
    pb_host_set_fit(&ctx, &c.fit);
    pb_fit_view view;
    if ((st = pb_fit_view_of(&c.fit, c.net, mask, np, &view))) die(st);
    char settings[512];
    if ((st = pb_plugin_rank(&p, &host, &view, options, order, score, settings, sizeof settings))) die(st);
    char fit_sha[65];   /* what the curve, noise, export and structure of this order check it against */
    if ((st = pb_sha256_file(fit_path, fit_sha))) die(st);
    pb_order_meta meta = {p.name, settings, fit_path, prunable, seed, c.fit.repeat, rec.options, so, rec.abi, rec.hash,
                          rec.sha256, fit_sha};
    if ((st = pb_order_write(path, &meta, c.net, order, score, np))) die(st);
    pb_fit_view_free(&view);
    pb_host_release(&ctx);
    pb_plugin_close(&p);
    free(mask);
    free(order);
    free(score);
    pb_cell_close(&c);
    return 0;
}
