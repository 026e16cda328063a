/* cmd_export.c -- `prunebench export`: compressed export of a pruned MLP,
 * the fit's posterior means with the parameters a removal order removes set
 * to 0, in CSR form (formats/csr.h)  -> .csr
 *   --fraction F       the first round(F n_order) of the order: protocol P1's
 *                      network at F (pb_pruner, no compensation)
 *   --score-below X    every parameter whose order-file score is < X (NA
 *                      scores are kept); for methods scoring -log alpha,
 *                      X = -3 removes log alpha > 3
 *   --operating-point  X = the method's relevance threshold
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/pruning.h"
#include "host/host.h"
#include "host/cell.h"
#include "formats/csr.h"
#include "formats/order.h"
#include "protocols/p1.h"
#include "protocols/prune.h"
#include "base/util.h"

int cmd_export(int argc, char **argv)
{
    opt o[] = {O("fit"), O("order"), O("fraction"), O("score-below"), F("operating-point"), O("plugin-dir"), O("data-dir"),
               O("tex"), O("name"), O("o"), END};
    parse_or_die(argc, argv, o, "export");
    int st;
    const char *fit_path = need(o, "fit"), *order_path = need(o, "order"), *path = need(o, "o");
    const char *fspec = get(o, "fraction", NULL), *xspec = get(o, "score-below", NULL);
    char xbuf[64];
    if (get(o, "operating-point", NULL)) {
        /* the method's natural operating point: its training facet's relevance threshold */
        if (fspec || xspec) die(pb_error(PB_ERR_ARG, "export: --operating-point excludes --fraction and --score-below"));
        snprintf(xbuf, sizeof xbuf, "%.17g", method_operating_point(order_path, plugin_dir(o)));
        xspec = xbuf;
    }
    if (!fspec == !xspec)
        die(pb_error(PB_ERR_ARG, "export: give exactly one of --fraction F, --score-below X, --operating-point"));
    double fraction = 0, below = 0;
    if (fspec) {
        /* parsed as protocol P1 parses its fractions, so the same F gives the same k */
        double *fr;
        size_t nf;
        if ((st = pb_fractions_parse(fspec, &fr, &nf))) die(st);
        if (nf != 1) die(pb_error(PB_ERR_ARG, "--fraction %s: expected one number in [0, 1]", fspec));
        fraction = fr[0];
        free(fr);
    } else {
        /* --score-below X, or the operating point's threshold written into xspec above */
        char *end;
        below = strtod(xspec, &end);
        if (end == xspec || *end || isnan(below))
            die(pb_error(PB_ERR_ARG, "--score-below %s: expected a number", xspec));
    }
    pb_cell c;
    if ((st = pb_cell_open(&c, fit_path, data_dir(o)))) die(st);
    if ((st = pb_model_require(c.net, PB_CAP_CSR, "export"))) die(st);
    if ((st = pb_order_check_fit(order_path, fit_path, c.net))) die(st);
    const pb_mlp *m = pb_model_dense_layers(c.net);
    size_t *order, n_order, removed = 0;
    double *score = NULL, *w = NULL;
    char method[64];
    pb_pruner pr;
    memset(&pr, 0, sizeof pr);
    if (fspec) {
        if ((st = pb_order_read(order_path, m->n_params, &order, &n_order, method, sizeof method))) die(st);
        char info[256];
        if ((st = pb_pruner_init(&pr, &c, order, n_order, 0, PB_EST_LAPLACE, 0, info, sizeof info))) die(st);
        removed = (size_t)llround(fraction * (double)n_order);
        if (removed > n_order) removed = n_order;
        if ((st = pb_pruner_advance(&pr, removed))) die(st);
        w = pr.w;
    } else {
        if ((st = pb_order_read_scores(order_path, m->n_params, &order, &score, &n_order, method, sizeof method)))
            die(st);
        if (!(w = pb_calloc(m->n_params, sizeof *w))) die(PB_ERR_NOMEM);
        memcpy(w, c.fit.mean, m->n_params * sizeof *w);
        for (size_t k = 0; k < n_order; k++)
            if (score[k] < below) w[order[k]] = 0, removed++;
    }
    pb_csr_net net;
    if ((st = pb_csr_from_dense(m, w, &net))) die(st);
    if ((st = pb_csr_save(&net, path))) die(st);

    /* one line: what was removed, per-layer and total nonzeros, compression, bytes */
    if (fspec) printf("export: removed %zu of %zu (fraction %g);", removed, n_order, fraction);
    else printf("export: removed %zu of %zu (score < %s);", removed, n_order, xspec);
    size_t n_weights = 0;
    for (size_t l = 0; l < net.n_layers; l++) {
        const pb_csr_layer *ly = &net.layers[l];
        size_t cells = (size_t)ly->rows * ly->cols;
        n_weights += cells;
        printf("%s W%zu nnz %u/%zu (%.1f%% sparse)", l ? "," : "", l, ly->nnz, cells,
               100.0 * (1.0 - (double)ly->nnz / (double)cells));
    }
    size_t nnz = pb_csr_nnz(&net), nonzero = nnz + pb_csr_nonzero_biases(&net);
    printf("; total nnz %zu/%zu; compression %zu/%zu = %.3gx (parameters / nonzero parameters)", nnz, n_weights,
           m->n_params, nonzero, nonzero ? (double)m->n_params / (double)nonzero : HUGE_VAL);
    printf("; sparse %zu bytes vs dense %zu bytes\n", pb_csr_sparse_bytes(&net), pb_csr_dense_bytes(&net));

    /* LaTeX macros for the report: \pb<Name>..., the test quality of this network too */
    const char *tex = get(o, "tex", NULL);
    if (tex) {
        double q, aux;
        if ((st = pb_evaluate(&c, w, &q, &aux))) die(st);
        char nm[64];
        pb_tex_camel(need(o, "name"), nm, sizeof nm);
        pb_outfile out;
        if ((st = pb_out_open(&out, tex))) die(st);
        fprintf(out.f, "%% generated by prunebench export -- do not edit\n");
        for (size_t l = 0; l < net.n_layers; l++) {
            const pb_csr_layer *ly = &net.layers[l];
            double cells = (double)ly->rows * (double)ly->cols;
            char ln[32];
            snprintf(ln, sizeof ln, "%zu", l);
            char lc[64];
            pb_tex_camel(ln, lc, sizeof lc);
            fprintf(out.f, "\\newcommand{\\pb%sSparsityLayer%s}{%.1f}\n", nm, lc, 100.0 * (1.0 - (double)ly->nnz / cells));
            /* input neurons of the layer still used: columns with a nonzero weight */
            unsigned char *used = pb_calloc(ly->cols ? ly->cols : 1, 1);
            if (!used) die(PB_ERR_NOMEM);
            size_t kept = 0;
            for (uint32_t k = 0; k < ly->nnz; k++) kept += !used[ly->col[k]], used[ly->col[k]] = 1;
            free(used);
            fprintf(out.f, "\\newcommand{\\pb%sInputsLayer%s}{%zu}\n\\newcommand{\\pb%sInputsOfLayer%s}{%u}\n", nm, lc,
                    kept, nm, lc, ly->cols);
        }
        fprintf(out.f, "\\newcommand{\\pb%sCompression}{%.1f}\n", nm,
                nonzero ? (double)m->n_params / (double)nonzero : HUGE_VAL);
        fprintf(out.f, "\\newcommand{\\pb%sNonzero}{%zu}\n\\newcommand{\\pb%sParams}{%zu}\n", nm, nonzero, nm, m->n_params);
        fprintf(out.f, "\\newcommand{\\pb%sSparseBytes}{%zu}\n\\newcommand{\\pb%sDenseBytes}{%zu}\n", nm,
                pb_csr_sparse_bytes(&net), nm, pb_csr_dense_bytes(&net));
        if (c.test.n_classes)
            fprintf(out.f, "\\newcommand{\\pb%sError}{%.2f}\n", nm, 100.0 * (1.0 - q));
        else
            fprintf(out.f, "\\newcommand{\\pb%sRmse}{%.4g}\n", nm, q);
        if ((st = pb_out_commit(&out))) die(st);
    }

    pb_csr_free(&net);
    if (fspec) pb_pruner_free(&pr);
    else free(w);
    free(order);
    free(score);
    pb_cell_close(&c);
    return 0;
}
