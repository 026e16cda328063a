/* cmd_noise.c -- `prunebench noise`: protocol P2, noise robustness
 * (protocols/p2.h), for one fit and one removal order. -> noise .tsv */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli/cli.h"
#include "cli/pruning.h"
#include "formats/provenance.h"
#include "host/cell.h"
#include "protocols/p1.h"
#include "protocols/p2.h"
#include "protocols/prune.h"
#include "base/util.h"

int cmd_noise(int argc, char **argv)
{
    opt o[] = {O("fit"), O("order"), O("fractions"), O("levels"), O("draws"), O("compensate"), O("estimator"),
               O("data-dir"), O("o"), END};
    parse_or_die(argc, argv, o, "noise");
    int st;
    const char *fit_path = need(o, "fit"), *order_path = need(o, "order"), *path = need(o, "o");
    const char *fspec = get(o, "fractions", PB_DEFAULT_FRACTIONS), *lspec = get(o, "levels", PB_DEFAULT_LEVELS);
    size_t draws = get_count(o, "draws", PB_DEFAULT_DRAWS, 2, 100000000);
    double *fr, *lv;
    size_t nf, nl;
    if ((st = pb_fractions_parse(fspec, &fr, &nf))) die(st);
    if ((st = pb_levels_parse(lspec, &lv, &nl))) die(st);
    pruning p;
    open_pruning(o, fit_path, order_path, &p);
    const pb_cell *c = &p.c;
    uint64_t nseed = pb_p2_seed(c->fit.dataset, c->fit.repeat);
    pb_outfile out;
    if ((st = pb_out_open(&out, path))) die(st);
    FILE *f = out.f;
    write_cell_header(f, "protocol P2: noise robustness", &p);
    fprintf(f, "# test_samples: %zu\n# fractions: %s\n# levels: %s\n# draws: %zu\n", c->test.n, fspec, lspec, draws);
    fprintf(f, "# noise_seed: %" PRIu64 "\n", nseed);
    fprintf(f, "# noise: x + s eps per test point and draw, eps ~ N(0, I) in standardized input units; "
               "gsl mt19937 seeded with pb_seed(p2, dataset, -, -, repeat, input-noise), "
               "gsl_ran_gaussian_ziggurat in the order (draw, test point, feature); the same eps for every method, "
               "fraction and level\n");
    fprintf(f, "# output_noise: sqrt(mean over test points and outputs of the sample variance over draws of the %s)\n",
            c->test.n_classes ? "class probabilities" : "prediction in target units");
    fprintf(f, "# quality: mean and sample sd over draws of the test %s on noisy inputs\n",
            c->test.n_classes ? "accuracy" : "RMSE in target units");
    write_removal_header(f, &p);
    pb_write_provenance(f);
    if ((st = pb_p2_noise(c, &p.pr, fr, nf, lv, nl, draws, nseed, f))) {
        pb_out_abort(&out);
        die(st);
    }
    if ((st = pb_out_commit(&out))) die(st);
    close_pruning(&p);
    free(fr);
    free(lv);
    return 0;
}
