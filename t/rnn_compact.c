/* rnn_compact.c -- pb_rnn_compact_*: a pruned network (whole groups and
 * scattered single weights set to 0) rebuilt from only what can reach the
 * output gives pb_rnn_predict's outputs; its structure counts equal counts
 * made here from the weights by the rules of rnn.h; the constant-gate
 * accessor gives act(b). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "tap.h"
#include "testutil.h"
#include "models/rnn.h"
#include "base/util.h"

static double sigm(double x) { return 1 / (1 + exp(-x)); }

/* Views of the parameter buffer (offsets from the tables tested in rnn_grad.c). */
#define EMB(v, e) w[m->off_emb + (v) * m->E + (e)]
#define WX(r, j) w[m->off_wx + (r) * m->d + (j)]
#define WH(r, k) w[m->off_wh + (r) * m->H + (k)]
#define WOUT(c, k) w[m->off_wout + (c) * m->H + (k)]

/* What the compact network should keep, worked out by repeated sweeps
 * (the library uses a work list): */
typedef struct expect {
    int rconst[64], live[16], kin[16], vkept[32];
    pb_rnn_structure s;
} expect;

static void expected(const pb_rnn *m, const double *w, expect *x)
{
    size_t H = m->H, G = m->G, d = m->d, C = m->C, V = m->V;
    memset(x, 0, sizeof *x);
    for (size_t r = 0; r < G * H; r++) {
        int z = 1;
        for (size_t j = 0; j < d; j++) z &= WX(r, j) == 0;
        for (size_t k = 0; k < H; k++) z &= WH(r, k) == 0;
        x->rconst[r] = z;
    }
    for (size_t k = 0; k < H; k++)
        for (size_t c = 0; c < C; c++) x->live[k] |= WOUT(c, k) != 0;
    for (int changed = 1; changed;) {
        changed = 0;
        for (size_t k = 0; k < H; k++) {
            if (x->live[k]) continue;
            for (size_t u = 0; u < H; u++)
                for (size_t q = 0; q < G; q++)
                    if (x->live[u] && !x->rconst[q * H + u] && WH(q * H + u, k) != 0) x->live[k] = 1;
            if (x->live[k]) changed = 1;
        }
    }
    pb_rnn_structure *s = &x->s;
    s->hidden = H, s->gates = G * H, s->inputs = d;
    for (size_t u = 0; u < H; u++) {
        s->hidden_kept += (size_t)x->live[u];
        for (size_t q = 0; q < G; q++) {
            size_t r = q * H + u;
            if (!x->live[u] || x->rconst[r]) continue;
            s->gates_nonconst++;
            for (size_t j = 0; j < d; j++) x->kin[j] |= WX(r, j) != 0;
        }
    }
    for (size_t j = 0; j < d; j++) s->inputs_kept += (size_t)x->kin[j];
    if (m->tokens) {
        s->vocab = V, s->emb = d, s->emb_kept = s->inputs_kept;
        for (size_t v = 0; v < V; v++) {
            for (size_t j = 0; j < d; j++) x->vkept[v] |= x->kin[j] && EMB(v, j) != 0;
            s->vocab_kept += (size_t)x->vkept[v];
        }
    }
    size_t ne = V * m->E, nx = G * H * d, nh = G * H * H, no = C * H;
    s->weights = ne + nx + nh + no;
    for (size_t k = 0; k < ne; k++) s->weights_nonzero += w[m->off_emb + k] != 0;
    for (size_t k = 0; k < nx; k++) s->weights_nonzero += w[m->off_wx + k] != 0;
    for (size_t k = 0; k < nh; k++) s->weights_nonzero += w[m->off_wh + k] != 0;
    for (size_t k = 0; k < no; k++) s->weights_nonzero += w[m->off_wout + k] != 0;
    /* operations per forward pass and sample, as rnn.h counts them */
    double T = (double)m->T, lstm = m->cell == PB_CELL_LSTM;
    double r0 = (double)(G * H), r1 = (double)s->gates_nonconst;
    s->flops_dense = T * (2 * r0 * d + 2 * r0 + lstm * 5 * H) + (T - 1) * 2 * r0 * H + 2.0 * C * H + C;
    s->flops_compact = T * (2 * r1 * s->inputs_kept + 2 * r1 + lstm * 5 * s->hidden_kept) +
                       (T - 1) * 2 * r1 * s->hidden_kept + 2.0 * C * s->hidden_kept + C;
}

static int same_counts(const pb_rnn_structure *a, const pb_rnn_structure *b)
{
    int same = 1;
#define CMP(f) if (a->f != b->f) { diag(#f ": got %zu, expected %zu", a->f, b->f); same = 0; }
    CMP(vocab) CMP(vocab_kept) CMP(emb) CMP(emb_kept) CMP(inputs) CMP(inputs_kept) CMP(hidden) CMP(hidden_kept)
    CMP(gates) CMP(gates_nonconst) CMP(weights) CMP(weights_nonzero)
#undef CMP
    return same;
}

/* Prune by construction (H = 8, d = 6, V = 10):
 *   vocabulary rows 1, 4 zero; row 6 nonzero only in components 0 and 2;
 *   input columns 0, 2 zero; column 5 nonzero only in rows of unit 1;
 *   unit 1: Wh and Wout columns zero                  -> removed
 *   unit 4: read only by unit 1's rows                 -> removed
 *   unit 5: read only by its own rows                  -> removed
 *   unit 7: Wout column zero but read by other units   -> kept
 *   LSTM unit 2: all four gate rows zero (constant), unit 3: gates f, o zero
 *   Elman unit 3: its row zero (a constant unit, tanh(b) from step 1 on)
 *   then 15% of the remaining weight entries zero at random. */
static void prune(const pb_rnn *m, double *w, gsl_rng *rng)
{
    size_t H = m->H, G = m->G, d = m->d, C = m->C, GH = G * H;
    if (m->tokens) {
        for (size_t e = 0; e < m->E; e++) EMB(1, e) = EMB(4, e) = 0;
        for (size_t e = 0; e < m->E; e++)
            if (e != 0 && e != 2) EMB(6, e) = 0;
    }
    for (size_t r = 0; r < GH; r++) {
        WX(r, 0) = WX(r, 2) = 0;
        if (r % H != 1) WX(r, 5) = 0;
    }
    for (size_t r = 0; r < GH; r++) {
        WH(r, 1) = 0;
        if (r % H != 1) WH(r, 4) = 0;
        if (r % H != 5) WH(r, 5) = 0;
    }
    for (size_t c = 0; c < C; c++) WOUT(c, 1) = WOUT(c, 4) = WOUT(c, 5) = WOUT(c, 7) = 0;
    for (size_t q = 0; q < G; q++) {
        int zero_row3 = m->cell == PB_CELL_LSTM ? (q == 1 || q == 3) : 1;
        for (size_t j = 0; j < d; j++) {
            if (m->cell == PB_CELL_LSTM) WX(q * H + 2, j) = 0;
            if (zero_row3) WX(q * H + 3, j) = 0;
        }
        for (size_t k = 0; k < H; k++) {
            if (m->cell == PB_CELL_LSTM) WH(q * H + 2, k) = 0;
            if (zero_row3) WH(q * H + 3, k) = 0;
        }
    }
    size_t nw = m->off_b;   /* Emb, Wx, Wh */
    for (size_t k = 0; k < nw; k++)
        if (gsl_rng_uniform(rng) < 0.15) w[k] = 0;
    for (size_t k = 0; k < C * H; k++)
        if (gsl_rng_uniform(rng) < 0.15) w[m->off_wout + k] = 0;
}

static void draw(const pb_rnn *m, gsl_rng *rng, size_t N, double *X, double *w)
{
    size_t in = pb_rnn_in_dim(m);
    for (size_t k = 0; k < N * in; k++) X[k] = m->tokens ? (double)gsl_rng_uniform_int(rng, m->V) : gsl_ran_gaussian(rng, 1.0);
    for (size_t j = 0; j < m->n_params; j++) w[j] = gsl_ran_gaussian(rng, 0.6);
}

/* compact predict vs predict: max |difference| */
static double compare_outputs(const pb_rnn *m, const pb_rnn_compact *c, const double *w, const double *X, size_t N,
                              int *st)
{
    size_t C = m->C;
    double *o1 = malloc(N * C * sizeof *o1), *o2 = malloc(N * C * sizeof *o2);
    pb_rnn_ws *ws = pb_rnn_ws_alloc(m, 32);
    TAP_REQUIRE(o1 && o2 && ws);
    *st = pb_rnn_predict(m, ws, w, X, N, o1);
    *st |= pb_rnn_compact_predict(c, X, N, o2);
    double d = max_diff(N * C, o1, o2);
    free(o1), free(o2);
    pb_rnn_ws_free(ws);
    return d;
}

static const char *specs[] = {"lstm:5x6-8-3", "rnn:5x6-8-3", "lstm:5xv10e6-8-3", "rnn:5xv10e6-8-3:mse"};
#define N_SPECS (sizeof specs / sizeof specs[0])
#define N_SPEC_TESTS 7

static void test_pruned(const char *spec, gsl_rng *rng)
{
    pb_rnn *m = NULL;
    TAP_REQUIRE(pb_rnn_parse(spec, &m) == 0 && m->H == 8 && m->d == 6 && (!m->tokens || m->V == 10));
    size_t N = 70, H = m->H, G = m->G;   /* 70 > the compact forward's chunk of 64 */
    double *X = malloc(N * pb_rnn_in_dim(m) * sizeof *X), *w = malloc(m->n_params * sizeof *w);
    TAP_REQUIRE(X && w);
    draw(m, rng, N, X, w);
    prune(m, w, rng);
    pb_rnn_compact *c = NULL;
    int st = pb_rnn_compact_build(m, w, &c);
    if (st) diag("%s", pb_last_error());
    TAP_REQUIRE(st == 0 && c);

    double diff = compare_outputs(m, c, w, X, N, &st);
    ok(!st && diff < 1e-10, "%s: compact outputs = pb_rnn_predict on %zu sequences (max diff %.2g)", spec, N, diff);

    expect x;
    expected(m, w, &x);
    pb_rnn_structure s;
    memset(&s, 0xff, sizeof s);
    pb_rnn_compact_structure(c, &s);
    ok(same_counts(&s, &x.s), "%s: structure counts = counts made here (hidden %zu/%zu, gates %zu/%zu, inputs %zu/%zu, vocab %zu/%zu, nonzero %zu/%zu)",
       spec, s.hidden_kept, s.hidden, s.gates_nonconst, s.gates, s.inputs_kept, s.inputs, s.vocab_kept, s.vocab,
       s.weights_nonzero, s.weights);
    ok(fabs(s.flops_dense - x.s.flops_dense) < 1e-9 && fabs(s.flops_compact - x.s.flops_compact) < 1e-9,
       "%s: flops dense %.0f, compact %.0f as documented (expected %.0f, %.0f)", spec, s.flops_dense, s.flops_compact,
       x.s.flops_dense, x.s.flops_compact);
    ok(s.flops_compact < 0.8 * s.flops_dense, "%s: the compact network is cheaper (%.0f < %.0f)", spec, s.flops_compact,
       s.flops_dense);
    /* what the construction removed and kept */
    int lstm = m->cell == PB_CELL_LSTM;
    int built = !x.live[1] && !x.live[4] && !x.live[5] && x.live[2] && x.live[3] && x.live[7] && !x.kin[0] &&
                !x.kin[2] && !x.kin[5] && (!m->tokens || (!x.vkept[1] && !x.vkept[4] && !x.vkept[6])) &&
                (lstm || x.rconst[3]) &&
                (!lstm || (x.rconst[2] && x.rconst[H + 2] && x.rconst[2 * H + 2] && x.rconst[3 * H + 2] &&
                           !x.rconst[3] && x.rconst[H + 3] && !x.rconst[2 * H + 3] && x.rconst[3 * H + 3]));
    ok(built && s.hidden_kept == x.s.hidden_kept && s.hidden_kept == 5,
       "%s: units 1, 4 (read only by 1), 5 (read only by itself) removed; 2, 3, 7 kept; inputs 0, 2, 5%s removed", spec,
       m->tokens ? " and vocabulary 1, 4, 6" : "");

    /* the heat-map accessor */
    size_t nu = 0, ng = 0, unit[16];
    int isc[64];
    double val[64];
    pb_rnn_gate_constants(c, &nu, &ng, NULL, NULL, NULL);
    int acc = nu == x.s.hidden_kept && ng == G && nu <= 16;
    if (acc) pb_rnn_gate_constants(c, &nu, &ng, unit, isc, val);
    size_t kk = 0, nconst = 0;
    for (size_t u = 0; acc && u < H; u++) {
        if (!x.live[u]) continue;
        acc = unit[kk] == u;
        for (size_t q = 0; acc && q < G; q++) {
            size_t r = q * H + u;
            double b = w[m->off_b + r], want = (!lstm || q == 2) ? tanh(b) : sigm(b);
            acc = isc[kk * G + q] == x.rconst[r] &&
                  (x.rconst[r] ? fabs(val[kk * G + q] - want) <= 1e-15 : isnan(val[kk * G + q]));
            nconst += (size_t)x.rconst[r];
        }
        kk++;
    }
    ok(acc && nconst == x.s.hidden_kept * G - x.s.gates_nonconst,
       "%s: gate accessor: %zu kept units x %zu gates, %zu constant with act(b), NaN elsewhere", spec, nu, ng, nconst);
    /* written out for the units built above: their position among kept units */
    size_t p2 = 0, p3 = 0;
    for (size_t k = 0; acc && k < nu; k++) {
        if (unit[k] == 2) p2 = k;
        if (unit[k] == 3) p3 = k;
    }
    const double *bb = w + m->off_b;
    int hand;
    if (lstm)
        hand = isc[p2 * 4 + 0] && isc[p2 * 4 + 1] && isc[p2 * 4 + 2] && isc[p2 * 4 + 3] &&
               fabs(val[p2 * 4 + 0] - sigm(bb[2])) < 1e-15 && fabs(val[p2 * 4 + 1] - sigm(bb[H + 2])) < 1e-15 &&
               fabs(val[p2 * 4 + 2] - tanh(bb[2 * H + 2])) < 1e-15 && fabs(val[p2 * 4 + 3] - sigm(bb[3 * H + 2])) < 1e-15 &&
               !isc[p3 * 4 + 0] && isc[p3 * 4 + 1] && !isc[p3 * 4 + 2] && isc[p3 * 4 + 3] &&
               fabs(val[p3 * 4 + 1] - sigm(bb[H + 3])) < 1e-15 && fabs(val[p3 * 4 + 3] - sigm(bb[3 * H + 3])) < 1e-15;
    else
        hand = isc[p3] && fabs(val[p3] - tanh(bb[3])) < 1e-15 && !isc[p2] && isnan(val[p2]);
    ok(acc && hand,
       lstm ? "%s: unit 2 has i, f, g, o constant = sigm, sigm, tanh, sigm of its biases; unit 3 f and o"
            : "%s: unit 3 is constant = tanh(b_3); unit 2 is not", spec);
    pb_rnn_compact_free(c);
    free(X), free(w);
    pb_rnn_free(m);
}

/* Nothing removed, and everything removed. */
static void test_edges(gsl_rng *rng)
{
    pb_rnn *m = NULL;
    TAP_REQUIRE(pb_rnn_parse("lstm:4xv9e5-6-3", &m) == 0);
    size_t N = 20;
    double *X = malloc(N * pb_rnn_in_dim(m) * sizeof *X), *w = malloc(m->n_params * sizeof *w);
    draw(m, rng, N, X, w);
    pb_rnn_compact *c = NULL;
    TAP_REQUIRE(pb_rnn_compact_build(m, w, &c) == 0);
    int st;
    double diff = compare_outputs(m, c, w, X, N, &st);
    pb_rnn_structure s;
    pb_rnn_compact_structure(c, &s);
    ok(!st && diff < 1e-10 && s.hidden_kept == 6 && s.inputs_kept == 5 && s.vocab_kept == 9 && s.gates_nonconst == 24 &&
           s.weights_nonzero == s.weights && s.flops_compact == s.flops_dense,
       "nothing pruned: same outputs (diff %.2g), everything kept, same flops", diff);
    pb_rnn_compact_free(c);

    /* every weight zero, biases not: no unit reaches the output, the output is softmax(bout) */
    for (size_t j = 0; j < m->off_b; j++) w[j] = 0;
    for (size_t j = 0; j < m->C * m->H; j++) w[m->off_wout + j] = 0;
    TAP_REQUIRE(pb_rnn_compact_build(m, w, &c) == 0);
    diff = compare_outputs(m, c, w, X, N, &st);
    pb_rnn_compact_structure(c, &s);
    size_t nu = 99;
    pb_rnn_gate_constants(c, &nu, NULL, NULL, NULL, NULL);
    ok(!st && diff < 1e-12 && s.hidden_kept == 0 && s.inputs_kept == 0 && s.vocab_kept == 0 && s.gates_nonconst == 0 &&
           s.weights_nonzero == 0 && nu == 0 && s.flops_compact == 2 * 0 + (double)m->C,
       "everything pruned: outputs softmax(bout) as predict (diff %.2g), nothing kept, %g flops", diff, s.flops_compact);
    double bad[4] = {0, 1, 9, 2}, out[3];
    st = pb_rnn_compact_predict(c, bad, 1, out);
    ok(st != 0 && strstr(pb_last_error(), "token") != NULL, "compact predict rejects token 9 with V = 9 (%s)", pb_last_error());
    pb_rnn_compact_free(c);
    free(X), free(w);
    pb_rnn_free(m);
}
#define N_EDGE_TESTS 3

int main(void)
{
    plan((int)N_SPECS * N_SPEC_TESTS + N_EDGE_TESTS);
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, 31337);
    for (size_t k = 0; k < N_SPECS; k++) test_pruned(specs[k], rng);
    test_edges(rng);
    gsl_rng_free(rng);
    return done_testing();
}
