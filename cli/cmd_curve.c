/* cmd_curve.c -- `prunebench curve`: protocol P1 (protocols/p1.h) for one
 * fit and one removal order. -> curve .tsv */
#include <stdio.h>
#include <stdlib.h>

#include "cli/cli.h"
#include "cli/pruning.h"
#include "formats/provenance.h"
#include "host/cell.h"
#include "protocols/p1.h"
#include "protocols/prune.h"
#include "base/util.h"

int cmd_curve(int argc, char **argv)
{
    opt o[] = {O("fit"), O("order"), O("fractions"), O("compensate"), O("estimator"), O("data-dir"), O("o"), END};
    parse_or_die(argc, argv, o, "curve");
    int st;
    const char *fit_path = need(o, "fit"), *order_path = need(o, "order"), *path = need(o, "o");
    const char *fspec = get(o, "fractions", PB_DEFAULT_FRACTIONS);
    double *fr;
    size_t nf;
    if ((st = pb_fractions_parse(fspec, &fr, &nf))) die(st);
    pruning p;
    open_pruning(o, fit_path, order_path, &p);
    pb_outfile out;
    if ((st = pb_out_open(&out, path))) die(st);
    FILE *f = out.f;
    write_cell_header(f, "protocol P1: sparsity vs quality", &p);
    fprintf(f, "# test_samples: %zu\n# fractions: %s\n", p.c.test.n, fspec);
    write_removal_header(f, &p);
    pb_write_provenance(f);
    if ((st = pb_p1_curve(&p.c, &p.pr, fr, nf, f))) {
        pb_out_abort(&out);
        die(st);
    }
    if ((st = pb_out_commit(&out))) die(st);
    close_pruning(&p);
    free(fr);
    return 0;
}
