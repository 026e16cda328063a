/* rnn_vd.c -- the variational training step of a recurrent model
 * (pb_rnn_vd_loss_grad, seed 001 §4.1: one sample of the recurrent weights
 * per minibatch, the local reparameterization trick on the dense head):
 *   1. dL/dtheta, dL/dsigma^2 and dL/dZ equal central differences of the
 *      step's loss at the same noise (the generator reseeded for each
 *      evaluation), for LSTM and Elman cells, real and token inputs, ce and
 *      mse heads;
 *   2. with the head's sigma^2 = 0 the loss is the plain loss
 *      (pb_rnn_loss_grad, itself checked against a reference in
 *      rnn_grad.c) at theta + sigma .* eps of the recurrent weights, eps
 *      drawn in buffer order from the same seed: the sampling convention;
 *   3. the head noise has the variance of the head's weight noise: with
 *      recurrent sigma^2 = 0, an mse head and y = 0, the mean loss over many
 *      draws is 0.5 sum (mu^2 + sum_k HZ_k^2 sigma2_ck), the HZ_k^2 read off
 *      as exact second differences of the plain loss in Wout. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "models/rnn.h"
#include "tap.h"
#include "base/util.h"

static const char *specs[] = {"lstm:3x2-4-3", "rnn:3x2-4-2:mse", "lstm:3xv5e2-4-3", "lstm:3x2-4-2:mse"};
#define N_SPECS (sizeof specs / sizeof specs[0])
enum { NB = 5, SEED = 77 };

typedef struct setup {
    pb_rnn *m;
    pb_rnn_ws *ws;
    size_t n, nz, ys;
    double X[NB * 16], y[NB * 4], Z[NB * 64], *theta, *sigma2;
    gsl_rng *rng;
} setup;

static void setup_open(setup *s, const char *spec, gsl_rng *draw)
{
    memset(s, 0, sizeof *s);
    int st = pb_rnn_parse(spec, &s->m);
    if (st) diag("%s", pb_last_error());
    TAP_REQUIRE(st == 0 && s->m->n_groups <= 64 && pb_rnn_in_dim(s->m) <= 16);
    const pb_rnn *m = s->m;
    s->n = m->n_params, s->nz = m->n_groups, s->ys = m->head == PB_HEAD_CE ? 1 : m->C;
    s->ws = pb_rnn_ws_alloc(m, NB);
    s->theta = malloc(s->n * sizeof *s->theta), s->sigma2 = malloc(s->n * sizeof *s->sigma2);
    s->rng = gsl_rng_alloc(gsl_rng_mt19937);
    TAP_REQUIRE(s->ws && s->theta && s->sigma2 && s->rng);
    for (size_t j = 0; j < s->n; j++) {
        s->theta[j] = gsl_ran_gaussian(draw, 0.6);
        s->sigma2[j] = 0.01 + 0.09 * gsl_rng_uniform(draw);
    }
    for (size_t k = 0; k < NB * pb_rnn_in_dim(m); k++)
        s->X[k] = m->tokens ? (double)gsl_rng_uniform_int(draw, m->V) : gsl_ran_gaussian(draw, 1.0);
    for (size_t i = 0; i < NB * s->ys; i++)
        s->y[i] = m->head == PB_HEAD_CE ? (double)gsl_rng_uniform_int(draw, m->C) : gsl_ran_gaussian(draw, 1.0);
    for (size_t k = 0; k < NB * s->nz; k++) s->Z[k] = 0.5 + gsl_rng_uniform(draw);
}

static void setup_close(setup *s)
{
    free(s->theta), free(s->sigma2);
    gsl_rng_free(s->rng);
    pb_rnn_ws_free(s->ws);
    pb_rnn_free(s->m);
}

/* The step's loss at the fixed noise (generator reseeded). */
static double step_loss(setup *s, const double *Z)
{
    gsl_rng_set(s->rng, SEED);
    double loss = NAN;
    int st = pb_rnn_vd_loss_grad(s->m, s->ws, s->theta, s->sigma2, s->X, s->y, NB, Z, NULL, s->rng, &loss, NULL, NULL);
    return st ? NAN : loss;
}

/* max |a - fd| over entries, with fd the central difference of step_loss in x[j] */
static double fd_err(setup *s, double *x, size_t n, const double *g, const double *Z, double h, double *gmax)
{
    double err = 0;
    *gmax = 0;
    for (size_t j = 0; j < n; j++) {
        double xj = x[j];
        x[j] = xj + h;
        double lp = step_loss(s, Z);
        x[j] = xj - h;
        double lm = step_loss(s, Z);
        x[j] = xj;
        double fd = (lp - lm) / (2 * h);
        err = fmax(err, isnan(g[j]) ? INFINITY : fabs(g[j] - fd));
        *gmax = fmax(*gmax, fabs(fd));
    }
    return err;
}

static void test_gradients(const char *spec, gsl_rng *draw)
{
    setup s;
    setup_open(&s, spec, draw);
    size_t n = s.n;
    double *dt = malloc(n * sizeof *dt), *ds = malloc(n * sizeof *ds), dZ[NB * 64], gmax;
    TAP_REQUIRE(dt && ds);
    for (int withz = 0; withz < 2; withz++) {
        const double *Z = withz ? s.Z : NULL;
        gsl_rng_set(s.rng, SEED);
        double loss;
        int st = pb_rnn_vd_loss_grad(s.m, s.ws, s.theta, s.sigma2, s.X, s.y, NB, Z, withz ? dZ : NULL, s.rng, &loss,
                                     dt, ds);
        TAP_REQUIRE(st == 0);
        double e1 = fd_err(&s, s.theta, n, dt, Z, 1e-5, &gmax), t1 = 2e-8 * (1 + gmax);
        ok(e1 <= t1 && gmax > 1e-3, "%s%s: dL/dtheta = central differences at fixed noise (max err %.2g, tol %.2g)",
           spec, withz ? " with Z" : "", e1, t1);
        /* sigma^2 of biases is ignored: their derivative is 0 */
        double e2 = fd_err(&s, s.sigma2, n, ds, Z, 1e-6, &gmax), t2 = 2e-7 * (1 + gmax);
        const double *s2o = ds + s.m->off_wout;
        double headmax = 0;
        for (size_t k = 0; k < s.m->C * s.m->H; k++) headmax = fmax(headmax, fabs(s2o[k]));
        ok(e2 <= t2 && headmax > 1e-4,
           "%s%s: dL/dsigma^2 = central differences, recurrent and head (max err %.2g, tol %.2g, head max %.2g)", spec,
           withz ? " with Z" : "", e2, t2, headmax);
        if (withz) {
            double e3 = fd_err(&s, s.Z, NB * s.nz, dZ, s.Z, 1e-5, &gmax), t3 = 2e-8 * (1 + gmax);
            ok(e3 <= t3, "%s: dL/dZ = central differences (max err %.2g, tol %.2g)", spec, e3, t3);
        }
    }
    free(dt), free(ds);
    setup_close(&s);
}

static void test_sampling(const char *spec, gsl_rng *draw)
{
    setup s;
    setup_open(&s, spec, draw);
    const pb_rnn *m = s.m;
    for (size_t k = 0; k < m->C * m->H; k++) s.sigma2[m->off_wout + k] = 0;
    double got = step_loss(&s, s.Z);
    double *w = malloc(s.n * sizeof *w);
    TAP_REQUIRE(w != NULL);
    memcpy(w, s.theta, s.n * sizeof *w);
    gsl_rng_set(s.rng, SEED);
    for (size_t j = 0; j < m->off_b; j++) w[j] += sqrt(s.sigma2[j]) * gsl_ran_gaussian_ziggurat(s.rng, 1.0);
    double want = NAN;
    TAP_REQUIRE(pb_rnn_loss_grad(m, s.ws, w, s.X, s.y, NB, s.Z, NULL, &want, NULL) == 0);
    ok(fabs(got - want) <= 1e-6 * (1 + fabs(want)),
       "%s: head sigma^2 = 0: the step's loss %.12g = plain loss at one sample of the recurrent weights %.12g", spec,
       got, want);
    free(w);
    setup_close(&s);
}

static void test_head_variance(gsl_rng *draw)
{
    setup s;
    setup_open(&s, "lstm:3x2-4-2:mse", draw);
    const pb_rnn *m = s.m;
    for (size_t j = 0; j < m->off_b; j++) s.sigma2[j] = 0;
    for (size_t i = 0; i < NB * s.ys; i++) s.y[i] = 0;
    double mu2 = NAN;
    TAP_REQUIRE(pb_rnn_loss_grad(m, s.ws, s.theta, s.X, s.y, NB, s.Z, NULL, &mu2, NULL) == 0);
    /* the plain loss is quadratic in Wout[c,k] with second derivative sum_i HZ_ik^2 */
    double var = 0, h = 0.5;
    for (size_t k = 0; k < m->C * m->H; k++) {
        double *wk = s.theta + m->off_wout + k, w0 = *wk, lp, lm;
        *wk = w0 + h;
        pb_rnn_loss_grad(m, s.ws, s.theta, s.X, s.y, NB, s.Z, NULL, &lp, NULL);
        *wk = w0 - h;
        pb_rnn_loss_grad(m, s.ws, s.theta, s.X, s.y, NB, s.Z, NULL, &lm, NULL);
        *wk = w0;
        var += s.sigma2[m->off_wout + k] * (lp - 2 * mu2 + lm) / (h * h);
    }
    double want = mu2 + 0.5 * var;  /* E[0.5 (mu + sd e)^2] summed */
    size_t K = 20000;
    double sum = 0, sum2 = 0;
    gsl_rng_set(s.rng, 5);
    for (size_t r = 0; r < K; r++) {
        double loss;
        TAP_REQUIRE(pb_rnn_vd_loss_grad(m, s.ws, s.theta, s.sigma2, s.X, s.y, NB, s.Z, NULL, s.rng, &loss, NULL,
                                        NULL) == 0);
        sum += loss, sum2 += loss * loss;
    }
    double mean = sum / (double)K, se = sqrt((sum2 / (double)K - mean * mean) / (double)K);
    ok(fabs(mean - want) <= 4 * se && 0.5 * var > 20 * se,
       "head noise variance: mean loss over %zu draws %.5f = 0.5 sum mu^2 + 0.5 sum HZ^2 sigma2 = %.5f + %.5f "
       "(4 se = %.2g)", K, mean, mu2, 0.5 * var, 4 * se);
    setup_close(&s);
}

int main(void)
{
    plan((int)N_SPECS * 5 + (int)N_SPECS + 1);
    gsl_rng *draw = gsl_rng_alloc(gsl_rng_mt19937);
    TAP_REQUIRE(draw != NULL);
    gsl_rng_set(draw, 2024);
    for (size_t i = 0; i < N_SPECS; i++) test_gradients(specs[i], draw);
    for (size_t i = 0; i < N_SPECS; i++) test_sampling(specs[i], draw);
    test_head_variance(draw);
    gsl_rng_free(draw);
    return done_testing();
}
