/* cmd_sweep.c -- `prunebench sweep`: protocol P3 (protocols/p3.h), the
 * threshold sweep of a Gaussian fit over |m/s| < lambda. -> sweep .tsv */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "formats/provenance.h"
#include "host/cell.h"
#include "protocols/p1.h"
#include "protocols/p3.h"
#include "base/util.h"

int cmd_sweep(int argc, char **argv)
{
    opt o[] = {O("fit"), O("lambdas"), O("samples"), O("prunable"), O("data-dir"), O("o"), END};
    parse_or_die(argc, argv, o, "sweep");
    int st;
    const char *fit_path = need(o, "fit"), *path = need(o, "o");
    const char *lspec = get(o, "lambdas", PB_P3_DEFAULT_LAMBDAS);
    double *lambdas;
    size_t nl;
    if ((st = pb_lambda_grid_parse(lspec, &lambdas, &nl))) die(st);
    size_t samples = get_count(o, "samples", PB_P3_DEFAULT_SAMPLES, 1, 1000000);
    const char *prunable = get(o, "prunable", "weights");
    int biases = !strcmp(prunable, "all");
    if (!biases && strcmp(prunable, "weights")) die(pb_error(PB_ERR_ARG, "--prunable %s: expected weights or all", prunable));
    pb_cell c;
    if ((st = pb_cell_open(&c, fit_path, data_dir(o)))) die(st);
    if (strcmp(c.fit.family, "gauss-diag") && strcmp(c.fit.family, "gauss-scalar"))
        die(pb_error(PB_ERR_ARG, "sweep: %s is a %s fit; protocol P3 needs a gauss-diag or gauss-scalar fit", fit_path,
                     c.fit.family));
    unsigned char *mask = pb_calloc(c.fit.n, 1);
    /* row 0: lambda = 0, nothing removed (the header's unpruned line) */
    pb_p3_row *rows = pb_calloc(nl + 1, sizeof *rows);
    double *all = pb_calloc(nl + 1, sizeof *all);
    if (!mask || !rows || !all) die(PB_ERR_NOMEM);
    memcpy(all + 1, lambdas, nl * sizeof *all);
    pb_model_prunable(c.net, biases, mask);
    pb_p3_opts po = {.mask = mask, .samples = samples,
                     .seed = pb_seed("p3", c.fit.dataset, c.fit.model, c.fit.family, c.fit.repeat, "mc")};
    if ((st = pb_p3_sweep(&c, &po, all, nl + 1, rows))) die(st);
    pb_outfile out;
    if ((st = pb_out_open(&out, path))) die(st);
    FILE *f = out.f;
    fprintf(f, "# prunebench sweep: protocol P3, threshold sweep (remove |m/s| < lambda)\n");
    fprintf(f, "# fit: %s\n# dataset: %s\n# model: %s\n# family: %s\n# repeat: %u\n# fit_settings: %s\n", fit_path,
            c.fit.dataset, c.fit.model, c.fit.family, c.fit.repeat, c.fit.settings);
    fprintf(f, "# quality_metric: %s\n# test_samples: %zu\n# train_samples: %zu\n", pb_quality_metric(&c), c.test.n,
            c.train.n);
    fprintf(f, "# prunable: %s\n# lambdas: %s\n# mc_samples: %zu\n# mc_seed: %llu\n", biases ? "all" : "weights", lspec,
            samples, (unsigned long long)po.seed);
    fprintf(f, "# prior: mean %.10g sd %.10g\n", c.fit.prior_mean, c.fit.prior_sd);
    fprintf(f, "# bound: L = E_q[-log p(D_train|w)] (Monte Carlo, common random numbers) + KL over the kept "
               "parameters; removed ones exactly 0 and out of the KL; %s\n",
            c.test.n_classes ? "macro F1 over the classes in the test labels or the predictions"
                             : "regression: macro_f1 is nan");
    fprintf(f, "# unpruned: kept %zu of %zu, quality %.10g, macro_f1 %.10g, bound %.10g, expected_nll %.10g, kl %.10g\n",
            rows[0].n_kept, rows[0].n_prunable, rows[0].quality, rows[0].macro_f1, rows[0].bound, rows[0].expected_nll,
            rows[0].kl);
    pb_write_provenance(f);
    pb_p3_write(f, rows + 1, nl);
    if ((st = pb_out_commit(&out))) die(st);
    free(mask), free(rows), free(all), free(lambdas);
    pb_cell_close(&c);
    return 0;
}
