/* cmd_evaluate.c -- `prunebench evaluate`: test quality of a fit as trained
 * (posterior means, nothing removed), as a one-row TSV with provenance.
 * Used for the unsparsified baseline networks the report prints beside a
 * method's pruned network. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cell.h"
#include "cli.h"
#include "p1.h"
#include "util.h"

int cmd_evaluate(int argc, char **argv)
{
    opt o[] = {O("fit"), O("data-dir"), O("o"), END};
    char **rest = calloc((size_t)argc + 1, sizeof *rest);
    int nrest;
    if (!rest) die(PB_ERR_NOMEM);
    int st = parse_opts(argc, argv, o, &rest, &nrest);
    if (st) die(st);
    if (nrest) die(pb_error(PB_ERR_ARG, "evaluate: unexpected argument '%s'", rest[0]));
    const char *fit_path = need(o, "fit"), *path = need(o, "o");
    pb_cell c;
    if ((st = pb_cell_open(&c, fit_path, get(o, "data-dir", "datasets")))) die(st);
    double q, aux;
    if ((st = pb_evaluate(&c, c.fit.mean, &q, &aux))) die(st);
    pb_outfile out;
    if ((st = pb_out_open(&out, path))) die(st);
    fprintf(out.f, "# prunebench evaluate: test quality of the trained network, nothing removed\n");
    fprintf(out.f, "# fit: %s\n# dataset: %s\n# model: %s\n# repeat: %u\n# fit_settings: %s\n", fit_path, c.fit.dataset,
            c.fit.model, c.fit.repeat, c.fit.settings);
    fprintf(out.f, "# quality_metric: %s\n", pb_quality_metric(&c));
    pb_write_provenance(out.f);
    fprintf(out.f, "repeat\tquality\t%s\n%u\t%.10g\t%.10g\n", c.test.n_classes ? "test_nll" : "test_mse", c.fit.repeat, q,
            aux);
    if ((st = pb_out_commit(&out))) die(st);
    pb_cell_close(&c);
    free(rest);
    return 0;
}
