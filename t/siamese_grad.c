/* siamese_grad.c -- models/siamese.c (the siamese Elman RNN of seed 000):
 * spec parsing and the tensor table, the loss against a reference forward
 * pass written here from siamese.c's equations, the gradient of every
 * tensor against central differences, that both sentences go through the
 * same weights, predict against the loss and against the token Elman model
 * of rnn.h, chunking, the variational step, data checks in one line, and a
 * few training steps of the point and Gaussian families on a fixture pair
 * dataset built here. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "tap.h"
#include "models/model.h"
#include "datasets/data.h"
#include "formats/fit.h"
#include "train/train.h"
#include "base/util.h"

/* ---- an independent reference, from the layout siamese.c documents ------- */

typedef struct ref_sm {
    size_t L, V, E, H, C;
    size_t oemb, owx, owh, ob, owout, obout, n;
} ref_sm;

static void ref_setup(ref_sm *r, size_t L, size_t V, size_t E, size_t H, size_t C)
{
    r->L = L, r->V = V, r->E = E, r->H = H, r->C = C;
    r->oemb = 0;
    r->owx = V * E;
    r->owh = r->owx + H * E;
    r->ob = r->owh + H * H;
    r->owout = r->ob + H;
    r->obout = r->owout + C * 2 * H;
    r->n = r->obout + C;
}

/* h = last hidden state of one sentence of L token ids, scalar loops. */
static void ref_sentence(const ref_sm *r, const double *w, const double *tok, double *h)
{
    size_t E = r->E, H = r->H;
    double a[32], hp[32] = {0};
    for (size_t t = 0; t < r->L; t++) {
        const double *x = w + r->oemb + (size_t)tok[t] * E;
        for (size_t u = 0; u < H; u++) {
            double s = w[r->ob + u];
            for (size_t j = 0; j < E; j++) s += w[r->owx + u * E + j] * x[j];
            for (size_t k = 0; k < H; k++) s += w[r->owh + u * H + k] * hp[k];
            a[u] = tanh(s);
        }
        memcpy(hp, a, H * sizeof *hp);
    }
    memcpy(h, hp, H * sizeof *h);
}

/* z (C) = Wout [h_A; h_B] + bout for one pair row (2L ids). */
static void ref_pair(const ref_sm *r, const double *w, const double *row, double *z)
{
    double hc[64];
    ref_sentence(r, w, row, hc);
    ref_sentence(r, w, row + r->L, hc + r->H);
    for (size_t c = 0; c < r->C; c++) {
        double s = w[r->obout + c];
        for (size_t k = 0; k < 2 * r->H; k++) s += w[r->owout + c * 2 * r->H + k] * hc[k];
        z[c] = s;
    }
}

/* sum of -log softmax(z_i)[y_i] */
static double ref_loss(const ref_sm *r, const double *w, const double *X, const double *y, size_t N)
{
    double loss = 0, z[16];
    for (size_t i = 0; i < N; i++) {
        ref_pair(r, w, X + i * 2 * r->L, z);
        double mx = z[0], se = 0;
        for (size_t c = 1; c < r->C; c++) mx = z[c] > mx ? z[c] : mx;
        for (size_t c = 0; c < r->C; c++) se += exp(z[c] - mx);
        loss += mx + log(se) - z[(size_t)y[i]];
    }
    return loss;
}

/* ---- fixtures ---------------------------------------------------------------- */

/* N pairs of pre-padded sentences (lengths 1..L, ids 2..V-1 with some 1s). */
static void fixture(gsl_rng *rng, size_t N, size_t L, size_t V, size_t C, double *X, double *y)
{
    for (size_t i = 0; i < N; i++) {
        for (size_t s = 0; s < 2; s++) {
            size_t len = 1 + gsl_rng_uniform_int(rng, L);
            double *row = X + i * 2 * L + s * L;
            for (size_t t = 0; t < L; t++)
                row[t] = t < L - len ? 0 : (double)(1 + gsl_rng_uniform_int(rng, V - 1));
        }
        y[i] = (double)gsl_rng_uniform_int(rng, C);
    }
}

static double max_abs(size_t n, const double *a)
{
    double m = 0;
    for (size_t k = 0; k < n; k++) m = fabs(a[k]) > m ? fabs(a[k]) : m;
    return m;
}

/* one line: no newline in the message */
static int one_line(const char *s) { return s && *s && !strchr(s, '\n'); }

int main(void)
{
    plan(49);
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, 7);

    /* ---- parsing ---- */
    const size_t L = 4, V = 7, E = 3, H = 5, C = 6, N = 9;
    pb_model *m = NULL;
    TAP_REQUIRE(pb_model_parse("siamese:2x4v7e3-5-6", &m) == PB_OK);
    ref_sm r;
    ref_setup(&r, L, V, E, H, C);
    is_int((long long)m->n_params, (long long)r.n, "n_params = V E + H E + H H + H + C 2H + C = %zu", r.n);
    ok(m->in_dim == 2 * L && m->out_dim == C && m->head == PB_HEAD_CE, "in_dim 2L = 8, out_dim 6, ce head");
    const char *names[6] = {"Emb", "Wx", "Wh", "b", "Wout", "bout"};
    size_t offs[6] = {r.oemb, r.owx, r.owh, r.ob, r.owout, r.obout};
    size_t rows[6] = {V, H, H, H, C, C}, cols[6] = {E, E, H, 1, 2 * H, 1};
    int tab = m->n_tensors == 6;
    for (size_t k = 0; tab && k < 6; k++)
        tab = !strcmp(m->tensors[k].name, names[k]) && m->tensors[k].offset == offs[k] &&
              m->tensors[k].rows == rows[k] && m->tensors[k].cols == cols[k] && m->tensors[k].is_bias == (k == 3 || k == 5);
    ok(tab, "tensors Emb (VxE), Wx (HxE), Wh (HxH), b, Wout (Cx2H), bout at the documented offsets");
    ok(m->n_groups == 0 && m->n_variable_groups == 0, "no groups");
    {
        unsigned char mask[256];
        TAP_REQUIRE(r.n <= sizeof mask);
        size_t np = pb_model_prunable(m, 0, mask), nb = pb_model_prunable(m, 1, mask);
        ok(np == V * E + H * E + H * H + C * 2 * H && nb == r.n, "prunable: %zu weights (Emb, Wx, Wh, Wout), %zu "
                                                                 "with the biases", np, nb);
    }
    ok(!pb_model_has(m, PB_CAP_CURVATURE) && !pb_model_has(m, PB_CAP_GROUP_LOSS) && !pb_model_has(m, PB_CAP_FLOAT32) &&
           !pb_model_has(m, PB_CAP_COMPACT) && !pb_model_has(m, PB_CAP_CSR),
       "capabilities: none of the optional ones");
    const char *bad[] = {"siamese:3x4v7e3-5-6", "siamese:2x4v7e3-5", "siamese:2x4e3-5-6", "siamese:2x4v7e3-5-1",
                         "siamese:2x4v7e3-5-6:mse", "siamese:2x0v7e3-5-6"};
    for (size_t k = 0; k < sizeof bad / sizeof *bad; k++) {
        pb_model *mb = NULL;
        int st = pb_model_parse(bad[k], &mb);
        ok(st != PB_OK && !mb && one_line(pb_last_error()), "'%s' refused in one line: %s", bad[k], pb_last_error());
    }

    /* ---- data checks ---- */
    ok(pb_model_check_data(m, 8, 6, 7) == PB_OK, "pair data 2L = 8 ids, 6 classes, vocabulary 7 accepted");
    ok(pb_model_check_data(m, 10, 6, 7) != PB_OK && one_line(pb_last_error()), "d != 2L refused: %s",
       pb_last_error());
    ok(pb_model_check_data(m, 8, 6, 9) != PB_OK && one_line(pb_last_error()), "another vocabulary refused: %s",
       pb_last_error());
    ok(pb_model_check_data(m, 8, 5, 7) != PB_OK && one_line(pb_last_error()), "5 classes refused: %s",
       pb_last_error());
    ok(pb_model_check_data(m, 8, 6, 0) != PB_OK && one_line(pb_last_error()), "real values refused: %s",
       pb_last_error());

    /* ---- loss and gradients ---- */
    size_t n = m->n_params;
    double *w = malloc(n * sizeof *w), *g = malloc(n * sizeof *g), *wp = malloc(n * sizeof *wp);
    double *X = malloc(N * 2 * L * sizeof *X), *y = malloc(N * sizeof *y), *P = malloc(N * C * sizeof *P);
    TAP_REQUIRE(w && g && wp && X && y && P);
    pb_model_init(m, w, rng);
    for (size_t k = 0; k < n; k++) w[k] += 0.1 * gsl_ran_gaussian(rng, 1.0);   /* nonzero biases too */
    fixture(rng, N, L, V, C, X, y);
    X[0 * 2 * L + L - 1] = 1, X[0 * 2 * L + 2 * L - 1] = V - 1;   /* the first pair's last words differ */
    pb_model_ws *ws = pb_model_ws_alloc(m, 4);   /* chunks of 4, 4, 1 pairs */
    TAP_REQUIRE(ws);
    double loss = 0;
    TAP_REQUIRE(pb_model_loss_grad(m, ws, w, X, y, N, NULL, NULL, &loss, g) == PB_OK);
    double lref = ref_loss(&r, w, X, y, N);
    is_double(loss, lref, 1e-11 * fabs(lref), "loss %.10f = reference %.10f", loss, lref);
    const double hstep = 1e-5;
    for (size_t k = 0; k < 6; k++) {
        size_t o = offs[k], cnt = rows[k] * cols[k];
        double err = 0, scale = 0;
        for (size_t j = o; j < o + cnt; j++) {
            memcpy(wp, w, n * sizeof *wp);
            wp[j] = w[j] + hstep;
            double lp = ref_loss(&r, wp, X, y, N);
            wp[j] = w[j] - hstep;
            double lm = ref_loss(&r, wp, X, y, N);
            double fd = (lp - lm) / (2 * hstep);
            err = fmax(err, fabs(fd - g[j]));
            scale = fmax(scale, fabs(fd));
        }
        ok(err <= 1e-7 * fmax(scale, 1) && scale > 0, "d/d%s (%zu entries) = central differences: max error %.2e, max |grad| %.3f",
           names[k], cnt, err, scale);
    }

    /* chunking: one workspace of 9 gives the same loss and gradient */
    {
        pb_model_ws *w9 = pb_model_ws_alloc(m, N);
        double l9 = 0, *g9 = malloc(n * sizeof *g9);
        TAP_REQUIRE(w9 && g9);
        TAP_REQUIRE(pb_model_loss_grad(m, w9, w, X, y, N, NULL, NULL, &l9, g9) == PB_OK);
        for (size_t k = 0; k < n; k++) g9[k] -= g[k];
        ok(fabs(l9 - loss) <= 1e-12 * fabs(loss) && max_abs(n, g9) <= 1e-12 * fmax(1, max_abs(n, g)),
           "chunks of 4 pairs = one chunk of 9 (loss and gradient)");
        free(g9);
        pb_model_ws_free(w9);
    }

    /* predict against the loss */
    TAP_REQUIRE(pb_model_predict(m, ws, w, X, N, P) == PB_OK);
    double lp = 0, rowsum = 0;
    for (size_t i = 0; i < N; i++) {
        lp -= log(P[i * C + (size_t)y[i]]);
        double srow = 0;
        for (size_t c = 0; c < C; c++) srow += P[i * C + c];
        rowsum = fmax(rowsum, fabs(srow - 1));
    }
    is_double(lp, loss, 1e-11 * loss, "-sum log predict[y] = loss");
    ok(rowsum < 1e-14, "predicted rows sum to 1");

    /* ---- both branches share weights ---- */
    {
        /* swap the sentences and the two halves of Wout's columns: same outputs */
        double *Xs = malloc(N * 2 * L * sizeof *Xs), *Ps = malloc(N * C * sizeof *Ps);
        TAP_REQUIRE(Xs && Ps);
        for (size_t i = 0; i < N; i++) {
            memcpy(Xs + i * 2 * L, X + i * 2 * L + L, L * sizeof *Xs);
            memcpy(Xs + i * 2 * L + L, X + i * 2 * L, L * sizeof *Xs);
        }
        memcpy(wp, w, n * sizeof *wp);
        for (size_t c = 0; c < C; c++)
            for (size_t k = 0; k < H; k++) {
                wp[r.owout + c * 2 * H + k] = w[r.owout + c * 2 * H + H + k];
                wp[r.owout + c * 2 * H + H + k] = w[r.owout + c * 2 * H + k];
            }
        TAP_REQUIRE(pb_model_predict(m, ws, wp, Xs, N, Ps) == PB_OK);
        for (size_t k = 0; k < N * C; k++) Ps[k] -= P[k];
        ok(max_abs(N * C, Ps) < 1e-14, "swapping A and B swaps the halves of [h_A; h_B]: max diff %.1e",
           max_abs(N * C, Ps));
        /* a pair (a, a) with Wout = [M, -M], bout = 0: z = 0, uniform outputs */
        for (size_t i = 0; i < N; i++) {
            memcpy(Xs + i * 2 * L, X + i * 2 * L, L * sizeof *Xs);
            memcpy(Xs + i * 2 * L + L, X + i * 2 * L, L * sizeof *Xs);
        }
        memcpy(wp, w, n * sizeof *wp);
        for (size_t c = 0; c < C; c++) {
            for (size_t k = 0; k < H; k++) wp[r.owout + c * 2 * H + H + k] = -w[r.owout + c * 2 * H + k];
            wp[r.obout + c] = 0;
        }
        TAP_REQUIRE(pb_model_predict(m, ws, wp, Xs, N, Ps) == PB_OK);
        for (size_t k = 0; k < N * C; k++) Ps[k] -= 1.0 / (double)C;
        ok(max_abs(N * C, Ps) < 1e-14, "identical sentences give h_A = h_B (Wout = [M, -M]: uniform outputs, %.1e)",
           max_abs(N * C, Ps));
        /* the same pairs with one sentence changed: no longer uniform */
        Xs[L - 1] = X[L - 1] == 2 ? 3 : 2;
        TAP_REQUIRE(pb_model_predict(m, ws, wp, Xs, 1, Ps) == PB_OK);
        ok(fabs(Ps[0] - 1.0 / (double)C) > 1e-6, "a different last word of A changes the output");
        /* gradient with A's tokens different from B's: token V-1 only in the
         * B sentences (their last word), token 2 the last word of every A */
        double *gA = malloc(n * sizeof *gA), *gF = malloc(n * sizeof *gF);
        TAP_REQUIRE(gA && gF);
        for (size_t i = 0; i < N; i++) {
            memcpy(Xs + i * 2 * L, X + i * 2 * L, 2 * L * sizeof *Xs);
            for (size_t t = 0; t < 2 * L; t++)
                if (Xs[i * 2 * L + t] == (double)(V - 1)) Xs[i * 2 * L + t] = 1;
            Xs[i * 2 * L + L - 1] = 2, Xs[i * 2 * L + 2 * L - 1] = (double)(V - 1);
        }
        double l1;
        TAP_REQUIRE(pb_model_loss_grad(m, ws, w, Xs, y, N, NULL, NULL, &l1, gF) == PB_OK);
        double err = 0, sc = 0;
        for (size_t t = 0; t < n; t++) {
            size_t j = t;   /* every parameter, on these pairs */
            memcpy(wp, w, n * sizeof *wp);
            wp[j] += hstep;
            double a = ref_loss(&r, wp, Xs, y, N);
            wp[j] -= 2 * hstep;
            double b = ref_loss(&r, wp, Xs, y, N);
            err = fmax(err, fabs((a - b) / (2 * hstep) - gF[j]));
            sc = fmax(sc, fabs(gF[j]));
        }
        ok(err < 1e-7 * fmax(sc, 1), "pairs whose sentences differ (token %zu only in B): every gradient = central "
                                     "differences (%.1e)", V - 1, err);
        /* Wout's B half zero: B's hidden state no longer reaches the output,
         * so the Emb row of a token only B reads has no gradient, while A's
         * branch still trains the shared Wx, Wh, b */
        memcpy(wp, w, n * sizeof *wp);
        for (size_t c = 0; c < C; c++)
            for (size_t k = 0; k < H; k++) wp[r.owout + c * 2 * H + H + k] = 0;
        TAP_REQUIRE(pb_model_loss_grad(m, ws, wp, Xs, y, N, NULL, NULL, &l1, gA) == PB_OK);
        double gb = max_abs(E, gA + r.oemb + (V - 1) * E), gbf = max_abs(E, gF + r.oemb + (V - 1) * E);
        double ga = max_abs(E, gA + r.oemb + 2 * E), gw = max_abs(H * E + H * H + H, gA + r.owx);
        ok(gb == 0 && gbf > 0 && ga > 0 && gw > 0,
           "B's branch cut at the output: dEmb[%zu] (B only) = 0 (%.3g with it), dEmb[2] = %.3g, dWx,Wh,b != 0", V - 1,
           gbf, ga);
        free(gA), free(gF), free(Xs), free(Ps);
    }

    /* ---- against the token Elman model of rnn.h ---- */
    {
        /* rnn:4xv7e3-5-6 with the same Emb, Wx, Wh, b and Wout = the A half:
         * its outputs on sentence A = siamese outputs with Wout's B half 0 */
        pb_model *rm = NULL;
        TAP_REQUIRE(pb_model_parse("rnn:4xv7e3-5-6", &rm) == PB_OK);
        double *wr = calloc(rm->n_params, sizeof *wr), *XA = malloc(N * L * sizeof *XA);
        double *PA = malloc(N * C * sizeof *PA), *PS = malloc(N * C * sizeof *PS);
        TAP_REQUIRE(wr && XA && PA && PS);
        memcpy(wr, w, r.owout * sizeof *wr);
        memcpy(wp, w, n * sizeof *wp);
        for (size_t c = 0; c < C; c++) {
            for (size_t k = 0; k < H; k++) {
                wr[r.owout + c * H + k] = w[r.owout + c * 2 * H + k];
                wp[r.owout + c * 2 * H + H + k] = 0;
            }
            wr[r.owout + C * H + c] = w[r.obout + c];
        }
        for (size_t i = 0; i < N; i++) memcpy(XA + i * L, X + i * 2 * L, L * sizeof *XA);
        pb_model_ws *rws = pb_model_ws_alloc(rm, N);
        TAP_REQUIRE(rws);
        TAP_REQUIRE(pb_model_predict(rm, rws, wr, XA, N, PA) == PB_OK);
        TAP_REQUIRE(pb_model_predict(m, ws, wp, X, N, PS) == PB_OK);
        for (size_t k = 0; k < N * C; k++) PS[k] -= PA[k];
        ok(max_abs(N * C, PS) < 1e-14, "Wout's B half 0: outputs = rnn:4xv7e3-5-6 on sentence A (%.1e)",
           max_abs(N * C, PS));
        pb_model_ws_free(rws);
        pb_model_free(rm);
        free(wr), free(XA), free(PA), free(PS);
    }

    /* ---- input errors ---- */
    {
        double keep = X[3];
        X[3] = (double)V;
        ok(pb_model_loss_grad(m, ws, w, X, y, N, NULL, NULL, &loss, g) != PB_OK && one_line(pb_last_error()),
           "token id V refused: %s", pb_last_error());
        X[3] = keep;
        double keep5 = X[5 * 2 * L + L + 2];
        X[5 * 2 * L + L + 2] = -1;
        ok(pb_model_predict(m, ws, w, X, N, P) != PB_OK &&
               strstr(pb_last_error(), "step 2 of sentence B of pair 5"),
           "a bad id is named by pair, sentence and step: %s", pb_last_error());
        X[5 * 2 * L + L + 2] = keep5;
        X[3] = 2.5;
        ok(pb_model_predict(m, ws, w, X, N, P) != PB_OK, "token id 2.5 refused");
        X[3] = keep;
    }

    /* ---- the variational step ---- */
    {
        double *s2 = malloc(n * sizeof *s2), *dt = malloc(n * sizeof *dt), *ds = malloc(n * sizeof *ds);
        double *s2p = malloc(n * sizeof *s2p);
        TAP_REQUIRE(s2 && dt && ds && s2p);
        gsl_rng *nr = gsl_rng_alloc(gsl_rng_mt19937);
        pb_model_ws *w4 = pb_model_ws_alloc(m, N);
        TAP_REQUIRE(w4);
        /* sigma2 = 0: the plain loss and gradient */
        TAP_REQUIRE(pb_model_loss_grad(m, ws, w, X, y, N, NULL, NULL, &loss, g) == PB_OK);
        memset(s2, 0, n * sizeof *s2);
        double lv;
        gsl_rng_set(nr, 3);
        TAP_REQUIRE(pb_model_lrt_loss_grad(m, w4, w, s2, X, y, N, NULL, NULL, nr, &lv, dt, ds) == PB_OK);
        for (size_t k = 0; k < n; k++) dt[k] -= g[k];
        /* (the head's variance floor 1e-16 leaves noise of sd 1e-8 on the outputs) */
        ok(fabs(lv - loss) < 1e-6 * loss && max_abs(n, dt) < 1e-6, "sigma2 = 0: the step's loss and dtheta are the "
           "plain loss and gradient (%.1e, %.1e)", fabs(lv - loss), max_abs(n, dt));
        /* sigma2 > 0, noise fixed by reseeding: dtheta and dsigma2 = central differences */
        for (size_t k = 0; k < n; k++) s2[k] = 0.01 * (1 + gsl_rng_uniform(rng));
        gsl_rng_set(nr, 5);
        TAP_REQUIRE(pb_model_lrt_loss_grad(m, w4, w, s2, X, y, N, NULL, NULL, nr, &lv, dt, ds) == PB_OK);
        double et = 0, es = 0, st = 0, ss = 0;
        for (size_t j = 0; j < n; j++) {
            double a, b;
            memcpy(wp, w, n * sizeof *wp);
            wp[j] += hstep;
            gsl_rng_set(nr, 5);
            pb_model_lrt_loss_grad(m, w4, wp, s2, X, y, N, NULL, NULL, nr, &a, NULL, NULL);
            wp[j] -= 2 * hstep;
            gsl_rng_set(nr, 5);
            pb_model_lrt_loss_grad(m, w4, wp, s2, X, y, N, NULL, NULL, nr, &b, NULL, NULL);
            et = fmax(et, fabs((a - b) / (2 * hstep) - dt[j]));
            st = fmax(st, fabs(dt[j]));
            if (j >= r.ob && j < r.owout) continue;   /* b is not sampled */
            if (j >= r.obout) continue;               /* nor bout */
            memcpy(s2p, s2, n * sizeof *s2p);
            double hs = 1e-7;
            s2p[j] += hs;
            gsl_rng_set(nr, 5);
            pb_model_lrt_loss_grad(m, w4, w, s2p, X, y, N, NULL, NULL, nr, &a, NULL, NULL);
            s2p[j] -= 2 * hs;
            gsl_rng_set(nr, 5);
            pb_model_lrt_loss_grad(m, w4, w, s2p, X, y, N, NULL, NULL, nr, &b, NULL, NULL);
            es = fmax(es, fabs((a - b) / (2 * hs) - ds[j]));
            ss = fmax(ss, fabs(ds[j]));
        }
        ok(et < 1e-6 * fmax(st, 1), "variational step: dtheta = central differences at fixed noise (%.1e)", et);
        ok(es < 1e-5 * fmax(ss, 1) && ss > 0, "variational step: dsigma2 = central differences at fixed noise "
                                              "(%.1e, max %.3f)", es, ss);
        double dsb = 0;
        for (size_t j = r.ob; j < r.owout; j++) dsb = fmax(dsb, fabs(ds[j]));
        for (size_t j = r.obout; j < n; j++) dsb = fmax(dsb, fabs(ds[j]));
        ok(dsb == 0, "dsigma2 of the biases is 0");
        /* the batch of the step is bounded by the workspace */
        ok(pb_model_lrt_loss_grad(m, ws, w, s2, X, y, N, NULL, NULL, nr, &lv, dt, ds) != PB_OK &&
               one_line(pb_last_error()), "a step over the workspace batch is refused: %s", pb_last_error());
        pb_model_ws_free(w4);
        gsl_rng_free(nr);
        free(s2), free(dt), free(ds), free(s2p);
    }

    /* ---- fixed word vectors as inputs (siamese:2x<L>x<E>-<H>-<C>) ---- */
    {
        pb_model *mv = NULL;
        TAP_REQUIRE(pb_model_parse("siamese:2x4x3-5-6", &mv) == PB_OK);
        size_t nv = mv->n_params, LE = L * E, off = r.owx;   /* the token model's weights after Emb */
        ok(nv == n - V * E && mv->in_dim == 2 * LE && mv->n_tensors == 5 && !strcmp(mv->tensors[0].name, "Wx") &&
               mv->tensors[0].offset == 0 && mv->tensors[3].offset == r.owout - off,
           "vectors: no Emb, %zu parameters laid out as the token model's after Emb, in_dim 2LE = %zu", nv,
           mv->in_dim);
        ok(pb_model_check_data(mv, 2 * LE, 6, 0) == PB_OK &&
               pb_model_check_data(mv, 2 * LE, 6, 7) != PB_OK && one_line(pb_last_error()),
           "vectors: real data accepted, token ids refused: %s", pb_last_error());
        /* Xv = the token fixture looked up in the token model's Emb: the same network */
        double *Xv = malloc(N * 2 * LE * sizeof *Xv), *gv = malloc(nv * sizeof *gv), *wv = malloc(nv * sizeof *wv);
        TAP_REQUIRE(Xv && gv && wv);
        for (size_t k = 0; k < N * 2 * L; k++)
            memcpy(Xv + k * E, w + r.oemb + (size_t)X[k] * E, E * sizeof *Xv);
        memcpy(wv, w + off, nv * sizeof *wv);
        pb_model_ws *wsv = pb_model_ws_alloc(mv, 4);
        TAP_REQUIRE(wsv);
        double lt, lv;
        TAP_REQUIRE(pb_model_loss_grad(m, ws, w, X, y, N, NULL, NULL, &lt, g) == PB_OK);
        TAP_REQUIRE(pb_model_loss_grad(mv, wsv, wv, Xv, y, N, NULL, NULL, &lv, gv) == PB_OK);
        double dg = 0;
        for (size_t k = 0; k < nv; k++) dg = fmax(dg, fabs(gv[k] - g[off + k]));
        ok(fabs(lv - lt) <= 1e-12 * lt && dg <= 1e-12 * fmax(1, max_abs(n, g)),
           "vectors Emb[token]: the token model's loss and its Wx, Wh, b, Wout, bout gradients (%.1e, %.1e)",
           fabs(lv - lt), dg);
        /* central differences on every tensor of the vector model */
        double *wq = malloc(nv * sizeof *wq);
        TAP_REQUIRE(wq);
        double err = 0, scale = 0;
        for (size_t j = 0; j < nv; j++) {
            double a, b;
            memcpy(wq, wv, nv * sizeof *wq);
            wq[j] += hstep;
            pb_model_loss_grad(mv, wsv, wq, Xv, y, N, NULL, NULL, &a, NULL);
            wq[j] -= 2 * hstep;
            pb_model_loss_grad(mv, wsv, wq, Xv, y, N, NULL, NULL, &b, NULL);
            err = fmax(err, fabs((a - b) / (2 * hstep) - gv[j]));
            scale = fmax(scale, fabs(gv[j]));
        }
        ok(err <= 1e-7 * fmax(scale, 1) && scale > 0, "vectors: every gradient = central differences (%.1e)", err);
        /* the variational step at fixed noise */
        double *s2 = malloc(nv * sizeof *s2), *dt = malloc(nv * sizeof *dt);
        TAP_REQUIRE(s2 && dt);
        for (size_t k = 0; k < nv; k++) s2[k] = 0.01 * (1 + gsl_rng_uniform(rng));
        gsl_rng *nr = gsl_rng_alloc(gsl_rng_mt19937);
        pb_model_ws *w9 = pb_model_ws_alloc(mv, N);
        TAP_REQUIRE(nr && w9);
        gsl_rng_set(nr, 5);
        TAP_REQUIRE(pb_model_lrt_loss_grad(mv, w9, wv, s2, Xv, y, N, NULL, NULL, nr, &lv, dt, NULL) == PB_OK);
        double et = 0, st = 0;
        for (size_t j = 0; j < nv; j++) {
            double a, b;
            memcpy(wq, wv, nv * sizeof *wq);
            wq[j] += hstep;
            gsl_rng_set(nr, 5);
            pb_model_lrt_loss_grad(mv, w9, wq, s2, Xv, y, N, NULL, NULL, nr, &a, NULL, NULL);
            wq[j] -= 2 * hstep;
            gsl_rng_set(nr, 5);
            pb_model_lrt_loss_grad(mv, w9, wq, s2, Xv, y, N, NULL, NULL, nr, &b, NULL, NULL);
            et = fmax(et, fabs((a - b) / (2 * hstep) - dt[j]));
            st = fmax(st, fabs(dt[j]));
        }
        ok(et < 1e-6 * fmax(st, 1), "vectors, variational step: dtheta = central differences (%.1e)", et);
        /* predict agrees with the token model */
        double *Pv = malloc(N * C * sizeof *Pv);
        TAP_REQUIRE(Pv);
        pb_model_predict(m, ws, w, X, N, P);
        pb_model_predict(mv, wsv, wv, Xv, N, Pv);
        for (size_t k = 0; k < N * C; k++) Pv[k] -= P[k];
        ok(max_abs(N * C, Pv) < 1e-14, "vectors: predictions = the token model's (%.1e)", max_abs(N * C, Pv));
        pb_model_ws_free(w9), pb_model_ws_free(wsv);
        gsl_rng_free(nr);
        free(Xv), free(gv), free(wv), free(wq), free(s2), free(dt), free(Pv);
        pb_model_free(mv);
    }

    /* ---- training on a fixture pair dataset ---- */
    {
        pb_data d;
        const size_t Nd = 64;
        TAP_REQUIRE(pb_data_alloc(&d, "pairs", Nd, 2 * L, 1, (int)C) == PB_OK);
        d.seq_len = 2 * L, d.vocab = V;
        fixture(rng, Nd, L, V, C, d.X, d.y);
        /* a learnable label: class = (last word of A + last word of B) mod C */
        for (size_t i = 0; i < Nd; i++)
            d.y[i] = (double)(((size_t)d.X[i * 2 * L + L - 1] + (size_t)d.X[i * 2 * L + 2 * L - 1]) % C);
        const pb_family fams[2] = {PB_FAMILY_POINT, PB_FAMILY_GAUSS_DIAG};
        const char *fname[2] = {"point", "gauss-diag"};
        for (int f = 0; f < 2; f++) {
            pb_fit fit;
            TAP_REQUIRE(pb_fit_alloc(&fit, n) == PB_OK);
            pb_train_opts o;
            pb_train_opts_default(&o);
            o.family = fams[f], o.batch = 16, o.epochs = 3, o.seed = 1, o.label = "siamese test";
            int st = pb_train_model(m, &d, &o, &fit);
            double fl = 0;
            int finite = 1;
            for (size_t k = 0; k < n; k++) finite &= isfinite(fit.mean[k]);
            if (!st) pb_model_loss_grad(m, ws, fit.mean, d.X, d.y, Nd, NULL, NULL, &fl, NULL);
            ok(st == PB_OK && finite && isfinite(fl), "family %s trains on a pair dataset (3 epochs; loss at the "
                                                      "mean %.3f)%s%s", fname[f], fl, st ? ": " : "",
               st ? pb_last_error() : "");
            pb_fit_free(&fit);
        }
        pb_data_free(&d);
    }

    pb_model_ws_free(ws);
    pb_model_free(m);
    free(w), free(g), free(wp), free(X), free(y), free(P);
    gsl_rng_free(rng);
    return done_testing();
}
