/* cmd_curve.c -- `prunebench curve`: protocol P1 (protocols/p1.h) for one
 * fit and one removal order, optionally with fine-tuning after pruning,
 * one-shot or iterative (protocols/finetune.h). -> curve .tsv */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/pruning.h"
#include "formats/provenance.h"
#include "host/cell.h"
#include "protocols/finetune.h"
#include "protocols/p1.h"
#include "protocols/prune.h"
#include "base/util.h"

/* The header lines that say how the pruned networks are fine-tuned. */
static void write_finetune_header(FILE *f, const pb_cell *c, const pb_finetune_opts *ft, int iterative)
{
    size_t batch;
    double lr;
    pb_precision prec;
    if (pb_finetune_settings(c, ft, &batch, &lr, &prec)) die(PB_ERR_ARG);
    fprintf(f, "# finetune: %zu epochs, the kept parameters trained (point loss, Adam, constant step), removed ones held at "
               "exactly 0\n# finetune_epochs: %zu\n# finetune_batch: %zu\n# finetune_lr: %.10g\n# finetune_precision: %s\n",
            ft->epochs, ft->epochs, batch, lr, pb_precision_name(prec));
    if (ft->train_limit && ft->train_limit < c->train.n)
        fprintf(f, "# finetune_train_limit: %zu (the first of %zu training samples)\n", ft->train_limit, c->train.n);
    if (iterative)
        fprintf(f, "# iterative: round r removes the order up to 1 - (1 - p)^r of it, then fine-tunes from %s\n"
                   "# iterative_p: %.10g\n# iterative_rounds: %zu\n# rewind: %s\n",
                ft->rewind ? "the initial weights of the fit's training (rewind)" : "the last round's weights",
                ft->prune_rate, ft->rounds, ft->rewind ? "init" : "none");
}

int cmd_curve(int argc, char **argv)
{
    opt o[] = {O("fit"), O("order"), O("fractions"), O("compensate"), O("estimator"), O("data-dir"), O("finetune"),
               O("ft-batch"), O("ft-lr"), O("ft-precision"), O("ft-train-limit"), O("iterative"), O("rounds"), F("rewind"), O("o"), END};
    parse_or_die(argc, argv, o, "curve");
    int st;
    const char *fit_path = need(o, "fit"), *order_path = need(o, "order"), *path = need(o, "o");
    const char *fspec = get(o, "fractions", PB_DEFAULT_FRACTIONS);
    int iterative = get(o, "iterative", NULL) != NULL;
    pb_finetune_opts ft;
    memset(&ft, 0, sizeof ft);
    ft.epochs = get_count(o, "finetune", 0, 1, 1000000);
    ft.batch = get_count(o, "ft-batch", 0, 1, (size_t)1 << 30);
    ft.lr = get_num(o, "ft-lr", 0, 1e-12, 1e3);
    ft.train_limit = get_count(o, "ft-train-limit", 0, 1, (size_t)-1);
    if (get(o, "ft-precision", NULL)) {
        ft.precision_set = 1;
        if ((st = pb_precision_parse(get(o, "ft-precision", NULL), &ft.precision))) die(st);
    }
    if (iterative) {
        ft.prune_rate = get_num(o, "iterative", 0.2, 1e-6, 1 - 1e-6);
        ft.rounds = get_count(o, "rounds", 10, 1, 10000);
        ft.rewind = get(o, "rewind", NULL) != NULL;
        if (get(o, "fractions", NULL))
            die(pb_error(PB_ERR_ARG, "--iterative P: the rounds give the fractions (1 - (1 - P)^r); no --fractions"));
    } else if (get(o, "rounds", NULL) || get(o, "rewind", NULL)) {
        die(pb_error(PB_ERR_ARG, "--rounds and --rewind need --iterative P"));
    }
    if (!ft.epochs && (iterative || get(o, "ft-batch", NULL) || get(o, "ft-lr", NULL) || ft.precision_set || ft.train_limit))
        die(pb_error(PB_ERR_ARG, "--iterative, --ft-batch, --ft-lr, --ft-precision and --ft-train-limit need --finetune E"));
    double *fr = NULL;
    size_t nf = 0;
    if (!iterative && (st = pb_fractions_parse(fspec, &fr, &nf))) die(st);
    pruning p;
    open_pruning(o, fit_path, order_path, &p);
    pb_outfile out;
    if ((st = pb_out_open(&out, path))) die(st);
    FILE *f = out.f;
    write_cell_header(f, ft.epochs ? iterative ? "protocol P1: sparsity vs quality, iterative pruning with fine-tuning"
                                               : "protocol P1: sparsity vs quality, with fine-tuning"
                                   : "protocol P1: sparsity vs quality", &p);
    fprintf(f, "# test_samples: %zu\n", p.c.test.n);
    if (!iterative) fprintf(f, "# fractions: %s\n", fspec);
    if (!ft.epochs) {
        write_removal_header(f, &p);
    } else {
        fprintf(f, "# removal: first k of the order set to 0, others at the posterior mean%s, then fine-tuned (below)\n"
                   "# compensate: %s\n", p.pr.compensate ? " moved to the Gaussian conditional mean given the removed are 0" : "",
                p.pr.compensate ? "conditional" : "none");
        if (p.pr.compensate) fprintf(f, "# compensation: %s\n", p.info);
        write_finetune_header(f, &p.c, &ft, iterative);
    }
    pb_write_provenance(f);
    if (!ft.epochs) st = pb_p1_curve(&p.c, &p.pr, fr, nf, f);
    else if (!iterative) st = pb_p1_finetune_curve(&p.c, &p.pr, fr, nf, &ft, f);
    else st = pb_p1_iterative_curve(&p.c, &p.pr, &ft, f);
    if (st) {
        pb_out_abort(&out);
        die(st);
    }
    if ((st = pb_out_commit(&out))) die(st);
    close_pruning(&p);
    free(fr);
    return 0;
}
