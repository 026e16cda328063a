/* p4.c -- protocol P4, group structure at a threshold: see p4.h. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "protocols/p4.h"
#include "formats/order.h"
#include "formats/provenance.h"
#include "protocols/p1.h"
#include "base/util.h"

void pb_p4_result_free(pb_p4_result *r)
{
    free(r->unit), free(r->constant), free(r->value);
    r->unit = NULL, r->constant = NULL, r->value = NULL;
}

/* The constant gates of the compact network cn, into r (p4.h). */
static int gate_table(const pb_model_compact *cn, pb_p4_result *r)
{
    size_t nu, ng;
    int st = pb_model_gate_constants(cn, &nu, &ng, NULL, NULL, NULL);
    if (st) return st;
    size_t cells = nu * ng > 0 ? nu * ng : 1;
    r->unit = pb_calloc(nu ? nu : 1, sizeof *r->unit);
    r->constant = pb_calloc(cells, sizeof *r->constant);
    r->value = pb_calloc(cells, sizeof *r->value);
    if (!r->unit || !r->constant || !r->value) return PB_ERR_NOMEM;
    if ((st = pb_model_gate_constants(cn, &nu, &ng, r->unit, r->constant, r->value))) return st;
    r->n_units = nu, r->n_gates = ng;
    return PB_OK;
}

int pb_p4_run(const pb_cell *c, const pb_p4_opts *o, pb_p4_result *r)
{
    memset(r, 0, sizeof *r);
    if (o->repeats < 1) return pb_error(PB_ERR_ARG, "structure: repeats must be at least 1");
    if (isnan(o->threshold)) return pb_error(PB_ERR_ARG, "structure: the threshold is not a number");
    const pb_model *m = c->net;
    int st = pb_model_require(m, PB_CAP_COMPACT, "structure (protocol P4)");
    if (st) return st;
    size_t n = m->n_params, *order = NULL, n_order, removed = 0;
    double *score = NULL, *w = NULL, *od = NULL, *oc = NULL;
    pb_model_compact *cn = NULL, *full = NULL;
    pb_model_ws *ws = NULL;
    const pb_data *t = &c->test;
    st = pb_order_read_scores(o->order_path, n, &order, &score, &n_order, r->method, sizeof r->method);
    if (st) goto done;
    if (!(w = pb_calloc(n, sizeof *w))) { st = PB_ERR_NOMEM; goto done; }
    memcpy(w, c->fit.mean, n * sizeof *w);
    for (size_t k = 0; k < n_order; k++)
        if (score[k] < o->threshold) w[order[k]] = 0, removed++;
    r->removed = removed, r->prunable = n_order;
    if ((st = pb_evaluate(c, w, &r->quality, &r->aux))) goto done;

    /* the compact network, its sizes, and the same outputs as the dense one */
    pb_structure s;
    if ((st = pb_model_compact_build(m, w, &cn)) || (st = pb_model_compact_structure(cn, &s))) goto done;
    if ((st = pb_model_compact_build(m, c->fit.mean, &full))) goto done;
    size_t C = m->out_dim;
    od = pb_calloc(t->n * C, sizeof *od), oc = pb_calloc(t->n * C, sizeof *oc);
    ws = pb_model_ws_alloc(m, t->n < 1000 ? t->n : 1000);
    if (!od || !oc || !ws) { st = PB_ERR_NOMEM; goto done; }
    if ((st = pb_model_predict(m, ws, w, t->X, t->n, od))) goto done;
    double td = HUGE_VAL, tc = HUGE_VAL;
    for (size_t k = 0; k < o->repeats; k++) {
        double t0 = pb_seconds();
        if ((st = pb_model_compact_predict(full, t->X, t->n, oc))) goto done;
        double t1 = pb_seconds();
        if ((st = pb_model_compact_predict(cn, t->X, t->n, oc))) goto done;
        double t2 = pb_seconds();
        if (t1 - t0 < td) td = t1 - t0;
        if (t2 - t1 < tc) tc = t2 - t1;
    }
    double diff = 0;
    for (size_t k = 0; k < t->n * C; k++) diff = fmax(diff, fabs(od[k] - oc[k]));
    if (!(diff <= 1e-9)) {
        st = pb_error(PB_ERR_NUMERIC, "structure: the compact network's outputs differ from the dense one's by %g", diff);
        goto done;
    }
    r->s = s;
    r->compression = s.weights_nonzero ? (double)s.weights / (double)s.weights_nonzero : HUGE_VAL;
    r->flop_ratio = s.flops_compact > 0 ? s.flops_dense / s.flops_compact : HUGE_VAL;
    r->seconds_dense = td, r->seconds_compact = tc, r->max_output_diff = diff;
    if (o->gates) st = gate_table(cn, r);
done:
    pb_model_compact_free(cn);
    pb_model_compact_free(full);
    pb_model_ws_free(ws);
    free(od), free(oc), free(w), free(order), free(score);
    return st;
}

void pb_p4_write(FILE *f, const pb_cell *c, const pb_p4_opts *o, const pb_p4_result *r)
{
    const pb_structure *s = &r->s;
    double td = r->seconds_dense, tc = r->seconds_compact;
    fprintf(f, "# prunebench protocol P4: group structure at a threshold\n");
    fprintf(f, "# method: %s\n# fit: %s\n# order: %s\n# dataset: %s\n# model: %s\n# repeat: %u\n# fit_settings: %s\n",
            r->method, o->fit_path, o->order_path, c->fit.dataset, c->fit.model, c->fit.repeat, c->fit.settings);
    fprintf(f, "# removal: parameters whose order score is < %.17g set to 0 (%s), no retraining\n", o->threshold,
            o->operating_point ? "the method's operating point" : "--score-below");
    fprintf(f, "# timing: best of %zu runs over the %zu test sequences, one thread, the same compact inference code on "
               "the unpruned network (seconds_dense) and on the pruned one (seconds_compact)\n", o->repeats, c->test.n);
    pb_write_provenance(f);
    fprintf(f, "key\tvalue\n");
    fprintf(f, "quality\t%.10g\n%s\t%.10g\n", r->quality, c->test.n_classes ? "test_nll" : "test_mse", r->aux);
    fprintf(f, "threshold\t%.17g\nremoved\t%zu\nprunable\t%zu\n", o->threshold, r->removed, r->prunable);
    fprintf(f, "vocab\t%zu\nvocab_kept\t%zu\nemb\t%zu\nemb_kept\t%zu\n", s->vocab, s->vocab_kept, s->emb, s->emb_kept);
    fprintf(f, "inputs\t%zu\ninputs_kept\t%zu\nhidden\t%zu\nhidden_kept\t%zu\n", s->inputs, s->inputs_kept, s->hidden,
            s->hidden_kept);
    fprintf(f, "gates\t%zu\ngates_nonconst\t%zu\nweights\t%zu\nweights_nonzero\t%zu\ncompression\t%.6g\n", s->gates,
            s->gates_nonconst, s->weights, s->weights_nonzero, r->compression);
    fprintf(f, "flops_dense\t%.0f\nflops_compact\t%.0f\nflop_ratio\t%.6g\n", s->flops_dense, s->flops_compact,
            r->flop_ratio);
    fprintf(f, "seconds_dense\t%.6g\nseconds_compact\t%.6g\nspeedup\t%.6g\nmax_output_diff\t%.3g\n", td, tc, td / tc,
            r->max_output_diff);
}

void pb_p4_write_gates(FILE *f, const pb_p4_opts *o, const pb_p4_result *r)
{
    static const char *gate_name[4] = {"i", "f", "g", "o"};
    size_t nu = r->n_units, ng = r->n_gates;
    fprintf(f, "# prunebench protocol P4: constant gates of the kept hidden units (seed 001 Fig. 2)\n");
    fprintf(f, "# method: %s\n# fit: %s\n# threshold: %.17g\n", r->method, o->fit_path, o->threshold);
    fprintf(f, "# columns: position among kept units, original unit, gate, constant (1/0), value (NaN if not)\n");
    fprintf(f, "pos\tunit\tgate\tgate_index\tconstant\tvalue\n");
    for (size_t k = 0; k < nu; k++)
        for (size_t g = 0; g < ng; g++)
            fprintf(f, "%zu\t%zu\t%s\t%zu\t%d\t%.6g\n", k, r->unit[k], ng == 4 ? gate_name[g] : "h", g,
                    r->constant[k * ng + g], r->value[k * ng + g]);
}

void pb_p4_ratio_str(char *buf, size_t len, double r)
{
    if (isinf(r)) snprintf(buf, len, "inf");
    else snprintf(buf, len, "%.*f", r < 1.995 ? 2 : r < 9.95 ? 1 : 0, r);
}

void pb_p4_ratio_words(char *buf, size_t len, double r, const char *up, const char *down, const char *times)
{
    char num[32];
    if (isinf(r) && r > 0) { snprintf(buf, len, "none left"); return; }
    if (!(r > 0)) { snprintf(buf, len, "not measured"); return; }
    int slower = r < 1;
    pb_p4_ratio_str(num, sizeof num, slower ? 1 / r : r);
    if (!strcmp(num, "1.00")) snprintf(buf, len, "unchanged");
    else snprintf(buf, len, "%s%s %s", num, times, slower ? down : up);
}

void pb_p4_write_macros(FILE *g, const char *name, const pb_cell *c, const pb_p4_result *r)
{
    const pb_structure *s = &r->s;
    double q = r->quality, compression = r->compression;
    char nm[64];
    pb_tex_camel(name, nm, sizeof nm);
    fprintf(g, "%% generated by prunebench structure -- do not edit\n");
    if (c->test.n_classes) fprintf(g, "\\newcommand{\\pb%sAccuracy}{%.1f}\n", nm, 100.0 * q);
    else fprintf(g, "\\newcommand{\\pb%sRmse}{%.4g}\n", nm, q);
    fprintf(g, "\\newcommand{\\pb%sVocab}{%zu}\n", nm, s->vocab);
    fprintf(g, "\\newcommand{\\pb%sVocabKept}{%zu}\n\\newcommand{\\pb%sInputsKept}{%zu}\n", nm, s->vocab_kept, nm,
            s->inputs_kept);
    fprintf(g, "\\newcommand{\\pb%sHiddenKept}{%zu}\n\\newcommand{\\pb%sGatesNonconst}{%zu}\n", nm, s->hidden_kept, nm,
            s->gates_nonconst);
    fprintf(g, "\\newcommand{\\pb%sWeightsNonzero}{%zu}\n\\newcommand{\\pb%sWeights}{%zu}\n", nm, s->weights_nonzero, nm,
            s->weights);
    fprintf(g, "\\newcommand{\\pb%sCompression}{%.*f}\n", nm, compression < 10 ? 1 : 0, compression);
    fprintf(g, "\\newcommand{\\pb%sInputs}{%zu}\n\\newcommand{\\pb%sHidden}{%zu}\n\\newcommand{\\pb%sGates}{%zu}\n",
            nm, s->inputs, nm, s->hidden, nm, s->gates);
    char flops[32], speed[32], flop_words[64], speed_words[64];
    double speedup = r->seconds_dense / r->seconds_compact;
    pb_p4_ratio_str(flops, sizeof flops, r->flop_ratio);
    pb_p4_ratio_str(speed, sizeof speed, speedup);
    pb_p4_ratio_words(flop_words, sizeof flop_words, r->flop_ratio, "fewer", "more", "$\\times$");
    pb_p4_ratio_words(speed_words, sizeof speed_words, speedup, "faster", "slower", "$\\times$");
    fprintf(g, "\\newcommand{\\pb%sFlopRatio}{%s}\n\\newcommand{\\pb%sSpeedup}{%s}\n", nm, flops, nm, speed);
    fprintf(g, "\\newcommand{\\pb%sFlopChange}{%s}\n\\newcommand{\\pb%sInferenceChange}{%s}\n", nm, flop_words, nm,
            speed_words);
}
