/* cmd_structure.c -- protocol P4, group structure (PROTOCOLS.md; seed 001
 * Tables 2-4, Fig. 2), for recurrent models:
 *
 *   structure --fit F --order O (--operating-point | --score-below X) -o OUT.tsv
 *             [--gates G.tsv] [--repeats R] [--tex T --name N] [--plugin-dir D]
 *
 * The pruned network is the fit's means with every parameter whose order
 * score is below the threshold set to 0 (the method's natural operating point
 * with --operating-point, as `export` does). From it, models/rnn.h builds the
 * physically smaller network (kept rows and columns only, constant gates
 * folded into precomputed values) and this command reports: remaining
 * vocabulary, embedding components, input and hidden neurons, non-constant
 * gates, nonzero weights; compression (weights / nonzero weights); FLOPs of a
 * forward pass, dense and compact; and the measured inference time on the
 * test set (best of R runs, one thread) of the compact network against the
 * same inference code on the unpruned network (so the ratio measures what
 * the removed groups save, not a difference between implementations), after
 * checking that the compact network gives the pruned dense network's
 * outputs. --gates writes, per kept hidden unit and gate, whether
 * the gate is constant and its value (the heat map of seed 001 Fig. 2).
 */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host/cell.h"
#include "cli/cli.h"
#include "formats/order.h"
#include "protocols/p1.h"
#include "models/model.h"
#include "base/util.h"
#include "formats/provenance.h"

int cmd_structure(int argc, char **argv)
{
    opt o[] = {O("fit"), O("order"), F("operating-point"), O("score-below"), O("plugin-dir"), O("data-dir"), O("gates"),
               O("repeats"), O("tex"), O("name"), O("o"), END};
    char **rest = calloc((size_t)argc + 1, sizeof *rest);
    int nrest;
    if (!rest) die(PB_ERR_NOMEM);
    int st = parse_opts(argc, argv, o, &rest, &nrest);
    if (st) die(st);
    if (nrest) die(pb_error(PB_ERR_ARG, "structure: unexpected argument '%s'", rest[0]));
    const char *fit_path = need(o, "fit"), *order_path = need(o, "order"), *path = need(o, "o");
    const char *xspec = get(o, "score-below", NULL);
    size_t repeats = get_count(o, "repeats", 5, 1, 1000);
    int op = get(o, "operating-point", NULL) != NULL;
    if (op == (xspec != NULL)) die(pb_error(PB_ERR_ARG, "structure: give exactly one of --operating-point, --score-below X"));
    double below = op ? method_operating_point(order_path, get(o, "plugin-dir", getenv("PB_PLUGIN_DIR") ?
                                                                            getenv("PB_PLUGIN_DIR") : "build/plugins"))
                      : get_num(o, "score-below", 0, -HUGE_VAL, HUGE_VAL);
    pb_cell c;
    if ((st = pb_cell_open(&c, fit_path, get(o, "data-dir", "datasets")))) die(st);
    const pb_model *m = c.net;
    if ((st = pb_model_require(m, PB_CAP_COMPACT, "structure (protocol P4)"))) die(st);
    size_t n = m->n_params, *order, n_order, removed = 0;
    double *score, *w = pb_calloc(n, sizeof *w);
    char method[64];
    if (!w) die(PB_ERR_NOMEM);
    if ((st = pb_order_read_scores(order_path, n, &order, &score, &n_order, method, sizeof method))) die(st);
    memcpy(w, c.fit.mean, n * sizeof *w);
    for (size_t k = 0; k < n_order; k++)
        if (score[k] < below) w[order[k]] = 0, removed++;
    double q, aux;
    if ((st = pb_evaluate(&c, w, &q, &aux))) die(st);

    /* the compact network, its sizes, and the same outputs as the dense one */
    pb_model_compact *cn, *full;
    pb_structure s;
    if ((st = pb_model_compact_build(m, w, &cn)) || (st = pb_model_compact_structure(cn, &s))) die(st);
    if ((st = pb_model_compact_build(m, c.fit.mean, &full))) die(st);
    const pb_data *t = &c.test;
    size_t C = m->out_dim;
    double *od = pb_calloc(t->n * C, sizeof *od), *oc = pb_calloc(t->n * C, sizeof *oc);
    pb_model_ws *ws = pb_model_ws_alloc(m, t->n < 1000 ? t->n : 1000);
    if (!od || !oc || !ws) die(PB_ERR_NOMEM);
    if ((st = pb_model_predict(m, ws, w, t->X, t->n, od))) die(st);
    double td = HUGE_VAL, tc = HUGE_VAL;
    for (size_t r = 0; r < repeats; r++) {
        double t0 = pb_seconds();
        if ((st = pb_model_compact_predict(full, t->X, t->n, oc))) die(st);
        double t1 = pb_seconds();
        if ((st = pb_model_compact_predict(cn, t->X, t->n, oc))) die(st);
        double t2 = pb_seconds();
        if (t1 - t0 < td) td = t1 - t0;
        if (t2 - t1 < tc) tc = t2 - t1;
    }
    double diff = 0;
    for (size_t k = 0; k < t->n * C; k++) diff = fmax(diff, fabs(od[k] - oc[k]));
    if (!(diff <= 1e-9))
        die(pb_error(PB_ERR_NUMERIC, "structure: the compact network's outputs differ from the dense one's by %g", diff));
    double compression = s.weights_nonzero ? (double)s.weights / (double)s.weights_nonzero : HUGE_VAL;

    pb_outfile out;
    if ((st = pb_out_open(&out, path))) die(st);
    FILE *f = out.f;
    fprintf(f, "# prunebench protocol P4: group structure at a threshold\n");
    fprintf(f, "# method: %s\n# fit: %s\n# order: %s\n# dataset: %s\n# model: %s\n# repeat: %u\n# fit_settings: %s\n",
            method, fit_path, order_path, c.fit.dataset, c.fit.model, c.fit.repeat, c.fit.settings);
    fprintf(f, "# removal: parameters whose order score is < %.17g set to 0 (%s), no retraining\n", below,
            op ? "the method's operating point" : "--score-below");
    fprintf(f, "# timing: best of %zu runs over the %zu test sequences, one thread, the same compact inference code on "
               "the unpruned network (seconds_dense) and on the pruned one (seconds_compact)\n", repeats, t->n);
    pb_write_provenance(f);
    fprintf(f, "key\tvalue\n");
    fprintf(f, "quality\t%.10g\n%s\t%.10g\n", q, t->n_classes ? "test_nll" : "test_mse", aux);
    fprintf(f, "threshold\t%.17g\nremoved\t%zu\nprunable\t%zu\n", below, removed, n_order);
    fprintf(f, "vocab\t%zu\nvocab_kept\t%zu\nemb\t%zu\nemb_kept\t%zu\n", s.vocab, s.vocab_kept, s.emb, s.emb_kept);
    fprintf(f, "inputs\t%zu\ninputs_kept\t%zu\nhidden\t%zu\nhidden_kept\t%zu\n", s.inputs, s.inputs_kept, s.hidden,
            s.hidden_kept);
    fprintf(f, "gates\t%zu\ngates_nonconst\t%zu\nweights\t%zu\nweights_nonzero\t%zu\ncompression\t%.6g\n", s.gates,
            s.gates_nonconst, s.weights, s.weights_nonzero, compression);
    fprintf(f, "flops_dense\t%.0f\nflops_compact\t%.0f\nflop_ratio\t%.6g\n", s.flops_dense, s.flops_compact,
            s.flops_compact > 0 ? s.flops_dense / s.flops_compact : HUGE_VAL);
    fprintf(f, "seconds_dense\t%.6g\nseconds_compact\t%.6g\nspeedup\t%.6g\nmax_output_diff\t%.3g\n", td, tc, td / tc, diff);
    if ((st = pb_out_commit(&out))) die(st);
    printf("structure: %s at %g: quality %.4g; hidden %zu/%zu, gates %zu/%zu non-constant, inputs %zu/%zu; weights "
           "%zu/%zu (%.3gx); FLOPs %.3gx fewer; inference %.3gx faster (%.4g s vs %.4g s)\n",
           method, below, q, s.hidden_kept, s.hidden, s.gates_nonconst, s.gates, s.inputs_kept, s.inputs,
           s.weights_nonzero, s.weights, compression, s.flops_compact > 0 ? s.flops_dense / s.flops_compact : HUGE_VAL,
           td / tc, td, tc);

    const char *gates = get(o, "gates", NULL);
    if (gates) {
        size_t nu, ng;
        if ((st = pb_model_gate_constants(cn, &nu, &ng, NULL, NULL, NULL))) die(st);
        size_t *unit = pb_calloc(nu ? nu : 1, sizeof *unit);
        size_t cells = nu * ng > 0 ? nu * ng : 1;
        int *isc = pb_calloc(cells, sizeof *isc);
        double *val = pb_calloc(cells, sizeof *val);
        if (!unit || !isc || !val) die(PB_ERR_NOMEM);
        if ((st = pb_model_gate_constants(cn, &nu, &ng, unit, isc, val))) die(st);
        static const char *gate_name[4] = {"i", "f", "g", "o"};
        if ((st = pb_out_open(&out, gates))) die(st);
        fprintf(out.f, "# prunebench protocol P4: constant gates of the kept hidden units (seed 001 Fig. 2)\n");
        fprintf(out.f, "# method: %s\n# fit: %s\n# threshold: %.17g\n", method, fit_path, below);
        fprintf(out.f, "# columns: position among kept units, original unit, gate, constant (1/0), value (NaN if not)\n");
        fprintf(out.f, "pos\tunit\tgate\tgate_index\tconstant\tvalue\n");
        for (size_t k = 0; k < nu; k++)
            for (size_t g = 0; g < ng; g++)
                fprintf(out.f, "%zu\t%zu\t%s\t%zu\t%d\t%.6g\n", k, unit[k], ng == 4 ? gate_name[g] : "h", g,
                        isc[k * ng + g], val[k * ng + g]);
        if ((st = pb_out_commit(&out))) die(st);
        free(unit), free(isc), free(val);
    }
    const char *tex = get(o, "tex", NULL);
    if (tex) {
        char nm[64];
        pb_tex_camel(need(o, "name"), nm, sizeof nm);
        if ((st = pb_out_open(&out, tex))) die(st);
        FILE *g = out.f;
        fprintf(g, "%% generated by prunebench structure -- do not edit\n");
        if (t->n_classes) fprintf(g, "\\newcommand{\\pb%sAccuracy}{%.1f}\n", nm, 100.0 * q);
        else fprintf(g, "\\newcommand{\\pb%sRmse}{%.4g}\n", nm, q);
        fprintf(g, "\\newcommand{\\pb%sVocabKept}{%zu}\n\\newcommand{\\pb%sInputsKept}{%zu}\n", nm, s.vocab_kept, nm,
                s.inputs_kept);
        fprintf(g, "\\newcommand{\\pb%sHiddenKept}{%zu}\n\\newcommand{\\pb%sGatesNonconst}{%zu}\n", nm, s.hidden_kept, nm,
                s.gates_nonconst);
        fprintf(g, "\\newcommand{\\pb%sWeightsNonzero}{%zu}\n\\newcommand{\\pb%sWeights}{%zu}\n", nm, s.weights_nonzero, nm,
                s.weights);
        fprintf(g, "\\newcommand{\\pb%sCompression}{%.*f}\n", nm, compression < 10 ? 1 : 0, compression);
        fprintf(g, "\\newcommand{\\pb%sInputs}{%zu}\n\\newcommand{\\pb%sHidden}{%zu}\n\\newcommand{\\pb%sGates}{%zu}\n",
                nm, s.inputs, nm, s.hidden, nm, s.gates);
        fprintf(g, "\\newcommand{\\pb%sFlopRatio}{%.1f}\n\\newcommand{\\pb%sSpeedup}{%.1f}\n", nm,
                s.flops_compact > 0 ? s.flops_dense / s.flops_compact : HUGE_VAL, nm, td / tc);
        if ((st = pb_out_commit(&out))) die(st);
    }
    pb_model_compact_free(cn);
    pb_model_compact_free(full);
    pb_model_ws_free(ws);
    free(od), free(oc), free(w), free(order), free(score), free(rest);
    pb_cell_close(&c);
    return 0;
}
