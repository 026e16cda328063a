/* p3.c -- protocol P3, the threshold sweep (protocols/p3.h), on fits built
 * here: the lambda grid parser; macro F1 on a hand-computed confusion matrix
 * (a class in neither labels nor predictions, one only predicted); on a
 * tiny classifier, lambda below every |m/s| keeps all with the unpruned
 * quality, above every |m/s| keeps none, the kept fraction never rises
 * with lambda, and the unpruned bound equals an ELBO computed here with a
 * reference network and a stream of our own; on a 2-weight linear
 * regression, the pruned weight is exactly 0 (the test RMSE by hand), its
 * KL term is absent (the KL by hand), and the bound equals the closed form
 * E_q[-log p] (Monte Carlo within its error) and, draw for draw, the
 * estimator replayed here on the same stream. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "tap.h"
#include "testutil.h"
#include "host/cell.h"
#include "protocols/p1.h"
#include "protocols/metrics.h"
#include "protocols/p3.h"
#include "base/util.h"

static void test_grid(void)
{
    double *v;
    size_t n;
    int st = pb_lambda_grid_parse(PB_P3_DEFAULT_LAMBDAS, &v, &n);
    ok(st == 0 && n == 25 && v[0] == 0.001 && v[4] == 0.01 && v[12] == 1 && v[24] == 1000,
       "default grid: 1e-3 .. 1e3 in quarter decades, 25 values, decades exact (%zu)", n);
    if (!st) free(v);
    st = pb_lambda_grid_parse("2,0,0.5,0.5", &v, &n);
    ok(st == 0 && n == 3 && v[0] == 0 && v[1] == 0.5 && v[2] == 2, "single values: sorted, repeats dropped");
    if (!st) free(v);
    ok(pb_lambda_grid_parse("-1", &v, &n) != 0 && pb_lambda_grid_parse("0..1/4", &v, &n) != 0 &&
           pb_lambda_grid_parse("1..0.1/4", &v, &n) != 0 && pb_lambda_grid_parse("1..10", &v, &n) != 0 &&
           pb_lambda_grid_parse("", &v, &n) != 0,
       "bad grids refused: negative, log range from 0, reversed, no per-decade count, empty");
}

static void test_f1(void)
{
    /* true class t, predicted p: conf[t][p]. Class 2 occurs nowhere, class 3
     * only as a prediction. By hand: F1_0 = 2*3/(2*3+1+1) = 0.75,
     * F1_1 = 2*2/(2*2+1+2) = 4/7 (precision 2/3, recall 1/2), F1_3 = 0,
     * class 2 left out: macro F1 = (0.75 + 4/7 + 0) / 3. */
    const size_t conf[16] = {3, 1, 0, 0, 1, 2, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0};
    double want = (0.75 + 4.0 / 7.0) / 3.0;
    is_double(pb_macro_f1_of(conf, 4), want, 1e-15, "macro F1 of a hand-computed confusion matrix (%.6f)", want);
    const size_t perfect[4] = {5, 0, 0, 7}, none[4] = {0, 0, 0, 0};
    ok(pb_macro_f1_of(perfect, 2) == 1.0 && isnan(pb_macro_f1_of(none, 2)), "macro F1: 1 when perfect, NaN when empty");
}

/* mlp:2-3-3:tanh: W0 (3x2) 0..5, b0 6..8, W1 (3x3) 9..17, b1 18..20 */
enum { NP = 21, NTR = 30, NTE = 12 };

static void build_cls(pb_cell *c)
{
    memset(c, 0, sizeof *c);
    TAP_REQUIRE(pb_model_parse("mlp:2-3-3:tanh", &c->net) == 0 && c->net->n_params == NP);
    TAP_REQUIRE(pb_fit_alloc(&c->fit, NP) == 0);
    snprintf(c->fit.family, sizeof c->fit.family, "gauss-diag");
    for (size_t j = 0; j < NP; j++) {
        c->fit.mean[j] = 1.3 * sin(2.1 * (double)j + 0.4);
        c->fit.sd[j] = 0.15 + 0.4 * (0.5 + 0.5 * cos(1.3 * (double)j));
    }
    c->fit.prior_mean = 0.1, c->fit.prior_sd = 0.9, c->fit.noise_precision = 1;
    TAP_REQUIRE(pb_data_alloc(&c->train, "t", NTR, 2, 1, 3) == 0 && pb_data_alloc(&c->test, "t", NTE, 2, 1, 3) == 0);
    for (size_t i = 0; i < NTR; i++) {
        double a = 2.0944 * (double)(i % 3);
        c->train.X[2 * i] = 2 * cos(a) + 0.6 * sin(7.0 * (double)i);
        c->train.X[2 * i + 1] = 2 * sin(a) + 0.6 * cos(5.0 * (double)i);
        c->train.y[i] = (double)(i % 3);
    }
    for (size_t i = 0; i < NTE; i++) {
        double a = 2.0944 * (double)(i % 3);
        c->test.X[2 * i] = 2 * cos(a) + 0.5 * sin(3.0 * (double)i);
        c->test.X[2 * i + 1] = 2 * sin(a) + 0.5 * cos(11.0 * (double)i);
        c->test.y[i] = (double)(i % 3);
    }
    TAP_REQUIRE(pb_scaling_identity(2, &c->scaling) == 0);
}

/* -log softmax(z)_y */
static double ce(const double *z, size_t C, size_t y)
{
    double mx = z[0], s = 0;
    for (size_t k = 1; k < C; k++) mx = fmax(mx, z[k]);
    for (size_t k = 0; k < C; k++) s += exp(z[k] - mx);
    return log(s) + mx - z[y];
}

static void test_classifier(void)
{
    pb_cell c;
    build_cls(&c);
    double rmin = INFINITY, rmax = 0;
    for (size_t j = 0; j < NP; j++) {
        double r = fabs(c.fit.mean[j] / c.fit.sd[j]);
        rmin = fmin(rmin, r), rmax = fmax(rmax, r);
    }
    double lam[12];
    size_t nl = 12;
    lam[0] = 0.5 * rmin, lam[nl - 1] = 2 * rmax;
    for (size_t i = 1; i + 1 < nl; i++) lam[i] = rmin * pow(rmax / rmin, (double)(i - 1) / (double)(nl - 3));
    enum { S = 3000 };
    pb_p3_opts o = {.mask = NULL, .samples = S, .seed = 12345};
    pb_p3_row rows[12];
    int st = pb_p3_sweep(&c, &o, lam, nl, rows);
    if (st) diag("%s", pb_last_error());
    TAP_REQUIRE(st == 0);
    double q0, a0;
    TAP_REQUIRE(pb_evaluate(&c, c.fit.mean, &q0, &a0) == 0);
    ok(rows[0].n_kept == NP && rows[0].kept_fraction == 1 && rows[0].quality == q0 && rows[0].aux == a0,
       "lambda below every |m/s|: all %zu kept, the unpruned test quality (%.4g) and NLL", rows[0].n_kept, q0);
    ok(rows[nl - 1].n_kept == 0 && rows[nl - 1].kept_fraction == 0 && rows[nl - 1].kl == 0,
       "lambda above every |m/s|: none kept, no KL term");
    int mono = 1, moved = 0;
    for (size_t i = 1; i < nl; i++) {
        mono &= rows[i].kept_fraction <= rows[i - 1].kept_fraction;
        moved += rows[i].n_kept != rows[i - 1].n_kept;
    }
    ok(mono && moved >= 5, "kept fraction non-increasing in lambda (%d changes over the grid)", moved);
    /* the unpruned ELBO here: a reference network, our own stream */
    ref_net r;
    ref_layout(&r, 2, (size_t[]){2, 3, 3}, 0, 0);
    TAP_REQUIRE(r.n == NP);
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, 4242);
    double w[NP], sum = 0, sum2 = 0;
    for (int k = 0; k < S; k++) {
        for (size_t j = 0; j < NP; j++) w[j] = c.fit.mean[j] + c.fit.sd[j] * gsl_ran_gaussian(rng, 1.0);
        double nll = 0, z[3];
        for (size_t i = 0; i < NTR; i++) {
            ref_forward(&r, w, c.train.X + 2 * i, z, NULL);
            nll += ce(z, 3, (size_t)c.train.y[i]);
        }
        sum += nll, sum2 += nll * nll;
    }
    double enll = sum / S, se = sqrt((sum2 / S - enll * enll) / S);
    double kl = 0, mu = c.fit.prior_mean, sp = c.fit.prior_sd;
    for (size_t j = 0; j < NP; j++) {
        double s = c.fit.sd[j];
        kl += 0.5 * (s * s / (sp * sp) + (c.fit.mean[j] - mu) * (c.fit.mean[j] - mu) / (sp * sp) - 1 +
                     log(sp * sp) - log(s * s));
    }
    ok(fabs(rows[0].kl - kl) <= 1e-12 * kl, "unpruned KL = the textbook Gaussian KL (%.10g)", kl);
    ok(fabs(rows[0].bound - (enll + kl)) <= 4 * sqrt(2.0) * se && se > 0,
       "unpruned bound %.5g = independent ELBO %.5g (E_q nll %.5g +- %.2g, KL %.5g)", rows[0].bound, enll + kl, enll, se,
       kl);
    gsl_rng_free(rng);
    /* common random numbers and determinism: the same bits again */
    pb_p3_row again[12];
    TAP_REQUIRE(pb_p3_sweep(&c, &o, lam, nl, again) == 0);
    ok(!memcmp(rows, again, sizeof rows), "the same seed gives the same rows, bit for bit");
    /* a prunable mask: biases are kept at every lambda */
    unsigned char mask[NP];
    size_t np = pb_model_prunable(c.net, 0, mask);
    o.mask = mask;
    TAP_REQUIRE(pb_p3_sweep(&c, &o, lam, nl, again) == 0);
    double klb = 0;
    for (size_t j = 0; j < NP; j++) {
        if (mask[j]) continue;
        double s = c.fit.sd[j], dev = c.fit.mean[j] - mu;
        klb += log(sp / s) + (s * s + dev * dev) / (2 * sp * sp) - 0.5;
    }
    ok(np == 15 && again[0].n_prunable == 15 && again[nl - 1].n_kept == 0 &&
           fabs(again[nl - 1].kl - klb) <= 1e-12 * fabs(klb),
       "prunable = weights: 15 of 21; at the top lambda the KL is the biases' alone (%.6g)", klb);
    pb_cell_close(&c);
}

/* mlp:1-1:identity:mse: y = w x + b, w = param 0, b = param 1. */
static void test_two_weights(void)
{
    pb_cell c;
    memset(&c, 0, sizeof c);
    TAP_REQUIRE(pb_model_parse("mlp:1-1:identity:mse", &c.net) == 0 && c.net->n_params == 2);
    TAP_REQUIRE(pb_fit_alloc(&c.fit, 2) == 0);
    snprintf(c.fit.family, sizeof c.fit.family, "gauss-diag");
    const double mw = 0.8, sw = 0.5, mb = 0.3, sb = 0.05, beta = 2.0, mu = 0.2, sp = 0.7;
    c.fit.mean[0] = mw, c.fit.sd[0] = sw, c.fit.mean[1] = mb, c.fit.sd[1] = sb;  /* |m/s| = 1.6 and 6 */
    c.fit.prior_mean = mu, c.fit.prior_sd = sp, c.fit.noise_precision = beta;
    enum { N = 8, NT = 5 };
    TAP_REQUIRE(pb_data_alloc(&c.train, "lin", N, 1, 1, 0) == 0 && pb_data_alloc(&c.test, "lin", NT, 1, 1, 0) == 0);
    for (size_t i = 0; i < N; i++) c.train.X[i] = -1 + 0.3 * (double)i, c.train.y[i] = 0.7 * c.train.X[i] + 0.2 + 0.1 * sin((double)i);
    for (size_t i = 0; i < NT; i++) c.test.X[i] = -0.8 + 0.4 * (double)i, c.test.y[i] = 0.5 + 0.2 * cos((double)i);
    TAP_REQUIRE(pb_scaling_identity(1, &c.scaling) == 0);
    pb_model_set_noise_precision(c.net, beta);
    enum { S = 20000 };
    double lam[3] = {1.0, 3.0, 10.0};
    pb_p3_opts o = {.mask = NULL, .samples = S, .seed = 99};
    pb_p3_row rows[3];
    TAP_REQUIRE(pb_p3_sweep(&c, &o, lam, 3, rows) == 0);
    /* KL terms by hand: k(m, s) = log(sp/s) + (s^2 + (m - mu)^2) / (2 sp^2) - 1/2 */
#define KL1(m, s) (log(sp / (s)) + ((s) * (s) + ((m) - mu) * ((m) - mu)) / (2 * sp * sp) - 0.5)
    double klw = KL1(mw, sw), klb = KL1(mb, sb);
    ok(rows[0].n_kept == 2 && rows[1].n_kept == 1 && rows[2].n_kept == 0, "kept 2, 1, 0 at lambda 1, 3, 10");
    ok(fabs(rows[0].kl - (klw + klb)) <= 1e-14 && fabs(rows[1].kl - klb) <= 1e-14 && rows[2].kl == 0,
       "KL: both terms (%.6g), then b's alone (%.6g): w's term is gone, then none", klw + klb, klb);
    /* test RMSE with w exactly 0: the prediction is m_b everywhere */
    double ss = 0, ss0 = 0;
    for (size_t i = 0; i < NT; i++) {
        ss += (c.test.y[i] - mb) * (c.test.y[i] - mb);
        ss0 += c.test.y[i] * c.test.y[i];
    }
    ok(rows[1].quality == sqrt(ss / NT) && rows[2].quality == sqrt(ss0 / NT) && isnan(rows[1].macro_f1),
       "pruned weights exactly 0: test RMSE sqrt(mean (y - m_b)^2) = %.10g, then sqrt(mean y^2); macro F1 NaN",
       sqrt(ss / NT));
    /* closed form: E_q sum_i beta/2 (y - w x - b)^2 - N/2 log beta, with
     * E (y - w x - b)^2 = (y - m_w x - m_b)^2 + s_w^2 x^2 + s_b^2 on the kept
     * ones (a removed weight contributes neither mean nor variance) */
    double cf[2] = {0, 0};
    for (size_t i = 0; i < N; i++) {
        double x = c.train.X[i], y = c.train.y[i];
        cf[0] += 0.5 * beta * ((y - mw * x - mb) * (y - mw * x - mb) + sw * sw * x * x + sb * sb);
        cf[1] += 0.5 * beta * ((y - mb) * (y - mb) + sb * sb);
    }
    cf[0] -= 0.5 * N * log(beta), cf[1] -= 0.5 * N * log(beta);
    ok(fabs(rows[0].expected_nll - cf[0]) <= 0.01 * fabs(cf[0]) + 0.02 &&
           fabs(rows[1].expected_nll - cf[1]) <= 0.01 * fabs(cf[1]) + 0.02,
       "E_q[-log p(D|w)] = closed form within Monte Carlo error (%.5g vs %.5g; %.5g vs %.5g)", rows[0].expected_nll,
       cf[0], rows[1].expected_nll, cf[1]);
    /* the estimator replayed: the same stream, eps for w then b per draw */
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    double est[2];
    for (int kept_w = 1; kept_w >= 0; kept_w--) {
        pb_rng_seed(rng, 99);
        double sum = 0;
        for (int k = 0; k < S; k++) {
            double ew = gsl_ran_gaussian_ziggurat(rng, 1.0), eb = gsl_ran_gaussian_ziggurat(rng, 1.0);
            double w = kept_w ? mw + sw * ew : 0.0, b = mb + sb * eb, l = 0;
            for (size_t i = 0; i < N; i++) {
                double r = w * c.train.X[i] + b - c.train.y[i];
                l += 0.5 * r * r;
            }
            sum += beta * l - 0.5 * N * log(beta);
        }
        est[1 - kept_w] = sum / S;
    }
    ok(fabs(rows[0].expected_nll - est[0]) <= 1e-10 * fabs(est[0]) &&
           fabs(rows[1].expected_nll - est[1]) <= 1e-10 * fabs(est[1]),
       "the Monte Carlo term replayed on the same draws (common random numbers): %.12g, %.12g", est[0], est[1]);
    ok(rows[1].bound == rows[1].expected_nll + rows[1].kl, "bound = expected NLL + KL");
    /* the model's noise precision is the fit's again after the sweep */
    pb_model_ws *ws = pb_model_ws_alloc(c.net, N);
    double wv[2] = {mw, mb}, l = NAN, want = 0;
    TAP_REQUIRE(ws && pb_model_loss_grad(c.net, ws, wv, c.train.X, c.train.y, N, NULL, NULL, &l, NULL) == 0);
    for (size_t i = 0; i < N; i++) {
        double r = mw * c.train.X[i] + mb - c.train.y[i];
        want += 0.5 * beta * r * r;
    }
    ok(fabs(l - want) <= 1e-12 * want, "the model's noise precision is beta again after the sweep (%.6g)", l);
    pb_model_ws_free(ws);
    gsl_rng_free(rng);
    pb_cell_close(&c);
}

/* Any model: a tiny Elman RNN fit (rnn:4x2-3-3), its ends. */
static void test_rnn(void)
{
    pb_cell c;
    memset(&c, 0, sizeof c);
    TAP_REQUIRE(pb_model_parse("rnn:4x2-3-3", &c.net) == 0);
    size_t n = c.net->n_params;
    TAP_REQUIRE(pb_fit_alloc(&c.fit, n) == 0);
    snprintf(c.fit.family, sizeof c.fit.family, "gauss-scalar");
    for (size_t j = 0; j < n; j++) c.fit.mean[j] = 0.9 * sin(1.7 * (double)j + 0.2), c.fit.sd[j] = 0.3;
    c.fit.prior_mean = 0, c.fit.prior_sd = 0.8, c.fit.noise_precision = 1;
    TAP_REQUIRE(pb_data_alloc(&c.train, "s", 12, 8, 1, 3) == 0 && pb_data_alloc(&c.test, "s", 9, 8, 1, 3) == 0);
    c.train.seq_len = c.test.seq_len = 4;
    for (size_t i = 0; i < 12 * 8; i++) c.train.X[i] = sin(0.37 * (double)i);
    for (size_t i = 0; i < 9 * 8; i++) c.test.X[i] = cos(0.41 * (double)i);
    for (size_t i = 0; i < 12; i++) c.train.y[i] = (double)(i % 3);
    for (size_t i = 0; i < 9; i++) c.test.y[i] = (double)(i % 3);
    TAP_REQUIRE(pb_scaling_identity(8, &c.scaling) == 0);
    double lam[3] = {0, 1, 1e9}, q0, a0;
    pb_p3_opts o = {.mask = NULL, .samples = 5, .seed = 1};
    pb_p3_row rows[3];
    int st = pb_p3_sweep(&c, &o, lam, 3, rows);
    if (st) diag("%s", pb_last_error());
    TAP_REQUIRE(st == 0 && pb_evaluate(&c, c.fit.mean, &q0, &a0) == 0);
    ok(rows[0].n_kept == n && rows[0].quality == q0 && rows[1].n_kept < n && rows[1].n_kept > 0 &&
           rows[2].n_kept == 0 && rows[2].kl == 0 && isfinite(rows[1].bound) && !isnan(rows[1].macro_f1),
       "Elman RNN: all %zu kept at lambda 0 with the unpruned quality, %zu at 1, none at 1e9; finite bound", n,
       rows[1].n_kept);
    pb_cell_close(&c);
}

int main(void)
{
    plan(3 + 2 + 7 + 7 + 1);
    test_grid();
    test_f1();
    test_classifier();
    test_two_weights();
    test_rnn();
    return done_testing();
}
