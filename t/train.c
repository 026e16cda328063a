/* train.c -- pb_train: determinism, learning an easy problem, divergence
 * reporting, and the optimizer against an Adam written here (full batch and minibatches). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "tap.h"
#include "blobs.h"
#include "formats/fit.h"
#include "models/mlp.h"
#include "datasets/data.h"
#include "train/train.h"
#include "base/util.h"


static double accuracy(const pb_mlp *m, const double *w, const pb_data *d)
{
    pb_mlp_ws *ws = pb_mlp_ws_alloc(m, 16);
    double *p = malloc(d->n * 3 * sizeof *p);
    TAP_REQUIRE(ws && p);
    TAP_REQUIRE(pb_mlp_predict(m, ws, w, d->X, d->n, p) == 0);
    size_t right = 0;
    for (size_t i = 0; i < d->n; i++) {
        size_t best = 0;
        for (size_t c = 1; c < 3; c++)
            if (p[i * 3 + c] > p[i * 3 + best]) best = c;
        right += (double)best == d->y[i];
    }
    free(p);
    pb_mlp_ws_free(ws);
    return (double)right / (double)d->n;
}

static int all_finite(size_t n, const double *a)
{
    for (size_t j = 0; j < n; j++)
        if (!isfinite(a[j])) return 0;
    return 1;
}

/* Minibatch Adam written from train.h and Kingma & Ba (2015), from the
 * initialization pb_train itself uses (a run with 0 epochs).
 * Point: minimize L_batch/b + wd/2 |w|^2. Variational: minimize
 * (N/b) L_batch(m + s eps) + KL, divided by N, over (m, log s), with the prior
 * reset to its optimum after each step. The random stream is used as train.h
 * describes the seed's use: initialization, then per epoch a shuffle of the
 * running permutation, then per minibatch the weight noise. */
static void ref_adam(const pb_mlp *m, const pb_data *d, const pb_train_opts *o, const double *init, double *out_m,
                     double *out_s, double *out_obj)
{
    size_t n = m->n_params, N = d->n, dd = d->d;
    size_t B = o->batch && o->batch < N ? o->batch : N;
    int var = o->family == PB_FAMILY_GAUSS_DIAG;
    size_t np = var ? 2 * n : n;
    double *th = calloc(np, sizeof *th), *g = calloc(np, sizeof *g), *m1 = calloc(np, sizeof *m1);
    double *m2 = calloc(np, sizeof *m2), *w = calloc(n, sizeof *w), *gw = calloc(n, sizeof *gw);
    double *eps = calloc(n, sizeof *eps), *s = calloc(n, sizeof *s), *scratch = calloc(n, sizeof *scratch);
    double *Xb = calloc(B * dd, sizeof *Xb), *yb = calloc(B, sizeof *yb);
    size_t *perm = calloc(N, sizeof *perm);
    pb_mlp_ws *ws = pb_mlp_ws_alloc(m, B);
    TAP_REQUIRE(th && g && m1 && m2 && w && gw && eps && s && scratch && Xb && yb && perm && ws);
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    pb_rng_seed(rng, o->seed);
    pb_mlp_init(m, scratch, rng);    /* consume the initialization draws */
    memcpy(th, init, n * sizeof *th);
    double r0 = log(o->init_sd), mu = 0, sp2 = 0;
    if (var) {
        for (size_t j = 0; j < n; j++) th[n + j] = r0;
        if (!o->fix_prior_mean)
            for (size_t j = 0; j < n; j++) mu += th[j] / (double)n;
        for (size_t j = 0; j < n; j++) sp2 += ((th[j] - mu) * (th[j] - mu) + exp(2 * r0)) / (double)n;
    }
    const double b1 = 0.9, b2 = 0.999, ae = 1e-8;
    double obj = 0;
    size_t t = 0;
    for (size_t i = 0; i < N; i++) perm[i] = i;
    for (size_t epoch = 1; epoch <= o->epochs; epoch++) {
        gsl_ran_shuffle(rng, perm, N, sizeof *perm);
        double nll = 0, kl = 0;
        for (size_t start = 0; start < N; start += B) {
            size_t b = N - start < B ? N - start : B;
            for (size_t i = 0; i < b; i++) {
                memcpy(Xb + i * dd, d->X + perm[start + i] * dd, dd * sizeof *Xb);
                yb[i] = d->y[perm[start + i]];
            }
            for (size_t j = 0; j < n; j++) {
                if (var) {
                    s[j] = exp(th[n + j]);
                    eps[j] = gsl_ran_gaussian_ziggurat(rng, 1.0);
                    w[j] = th[j] + s[j] * eps[j];
                } else w[j] = th[j];
            }
            double loss;
            TAP_REQUIRE(pb_mlp_loss_grad(m, ws, w, Xb, yb, b, &loss, gw) == 0);
            nll += loss;
            kl = 0;
            for (size_t j = 0; j < n; j++) {
                if (var) {
                    /* KL terms written out: log(sp/s) + (s^2 + (m-mu)^2)/(2 sp^2) - 1/2 */
                    kl += 0.5 * log(sp2) - th[n + j] + (s[j] * s[j] + (th[j] - mu) * (th[j] - mu)) / (2 * sp2) - 0.5;
                    g[j] = gw[j] / (double)b + (th[j] - mu) / sp2 / (double)N;
                    g[n + j] = gw[j] * eps[j] * s[j] / (double)b + (s[j] * s[j] / sp2 - 1) / (double)N;
                } else {
                    g[j] = gw[j] / (double)b + o->weight_decay * th[j];
                }
            }
            t++;
            for (size_t j = 0; j < np; j++) {
                m1[j] = b1 * m1[j] + (1 - b1) * g[j];
                m2[j] = b2 * m2[j] + (1 - b2) * g[j] * g[j];
                double mhat = m1[j] / (1 - pow(b1, (double)t)), vhat = m2[j] / (1 - pow(b2, (double)t));
                th[j] -= o->lr * mhat / (sqrt(vhat) + ae);
            }
            if (var) {
                mu = 0, sp2 = 0;
                if (!o->fix_prior_mean)
                    for (size_t j = 0; j < n; j++) mu += th[j] / (double)n;
                for (size_t j = 0; j < n; j++) sp2 += ((th[j] - mu) * (th[j] - mu) + exp(2 * th[n + j])) / (double)n;
            }
        }
        /* objective: the epoch's summed minibatch losses plus the last KL, per sample */
        obj = (nll + kl) / (double)N;
    }
    memcpy(out_m, th, n * sizeof *th);
    for (size_t j = 0; j < n; j++) out_s[j] = var ? exp(th[n + j]) : 0;
    *out_obj = obj;
    gsl_rng_free(rng);
    pb_mlp_ws_free(ws);
    free(th), free(g), free(m1), free(m2), free(w), free(gw), free(eps), free(s), free(scratch), free(Xb), free(yb);
    free(perm);
}

static double rel_diff(size_t n, const double *a, const double *b)
{
    double e = 0, mx = 0;
    for (size_t j = 0; j < n; j++) {
        double dd = fabs(a[j] - b[j]);
        if (!(dd <= e)) e = isnan(dd) ? INFINITY : dd;
        mx = fmax(mx, fabs(b[j]));
    }
    return e / (1 + mx);
}

static void test_against_adam(const pb_mlp *m, const pb_data *d, pb_family fam, double wd, int fix_mean,
                              size_t batch, const char *what)
{
    size_t n = m->n_params;
    pb_train_opts o;
    pb_train_opts_default(&o);
    o.family = fam, o.weight_decay = wd, o.fix_prior_mean = fix_mean;
    o.batch = batch, o.lr = 0.03, o.seed = 31337, o.label = "adam-check", o.init_sd = 0.2;
    pb_fit f0, f1;
    TAP_REQUIRE(pb_fit_alloc(&f0, n) == 0 && pb_fit_alloc(&f1, n) == 0);
    o.epochs = 0;
    TAP_REQUIRE(pb_train(m, d, &o, &f0) == 0);
    o.epochs = batch ? 8 : 60;
    int st = pb_train(m, d, &o, &f1);
    double *rm = malloc(n * sizeof *rm), *rs = malloc(n * sizeof *rs), robj;
    TAP_REQUIRE(rm && rs);
    ref_adam(m, d, &o, f0.mean, rm, rs, &robj);
    double em = rel_diff(n, f1.mean, rm), es = rel_diff(n, f1.sd, rs), moved = rel_diff(n, f1.mean, f0.mean);
    ok(st == 0 && em <= 1e-9 && es <= 1e-9 && moved > 1e-2,
       "%s: %zu epochs = Adam written here (mean err %.2g, sd err %.2g, moved %.3g)", what, o.epochs, em, es, moved);
    is_double(f1.final_objective, robj, 1e-9 * (1 + fabs(robj)), "%s: final objective = reference", what);
    if (fam == PB_FAMILY_GAUSS_DIAG) {
        double mu = 0, v = 0;
        if (!fix_mean) {
            for (size_t j = 0; j < n; j++) mu += rm[j];
            mu /= (double)n;
        }
        for (size_t j = 0; j < n; j++) v += (rm[j] - mu) * (rm[j] - mu) + rs[j] * rs[j];
        ok(fabs(f1.prior_mean - mu) <= 1e-9 && fabs(f1.prior_sd - sqrt(v / (double)n)) <= 1e-9,
           "%s: stored prior = empirical-Bayes optimum of the final q (%.4g, %.4g)", what, f1.prior_mean, f1.prior_sd);
    } else {
        int zero = f1.prior_mean == 0 && f1.prior_sd == 0;
        for (size_t j = 0; j < n; j++) zero &= f1.sd[j] == 0;
        ok(zero, "%s: point fit has sd 0 and no prior", what);
    }
    free(rm), free(rs);
    pb_fit_free(&f0), pb_fit_free(&f1);
}

int main(void)
{
    plan(5 + 2 + 4 + 1 + 6 * 3);
    pb_mlp *m = NULL;
    TAP_REQUIRE(pb_mlp_parse("mlp:2-8-3:tanh", &m) == 0);
    size_t n = m->n_params;
    pb_data d;
    tu_blobs(&d, "blobs", 50, 0, 7);

    /* determinism */
    pb_train_opts o;
    pb_train_opts_default(&o);
    o.epochs = 15, o.batch = 16, o.seed = 12345, o.label = "det";
    pb_fit a, b, c;
    TAP_REQUIRE(pb_fit_alloc(&a, n) == 0 && pb_fit_alloc(&b, n) == 0 && pb_fit_alloc(&c, n) == 0);
    int s1 = pb_train(m, &d, &o, &a), s2 = pb_train(m, &d, &o, &b);
    o.seed = 12346;
    int s3 = pb_train(m, &d, &o, &c);
    ok(s1 == 0 && s2 == 0 && s3 == 0, "three short variational runs succeed");
    ok(!memcmp(a.mean, b.mean, n * sizeof *a.mean) && !memcmp(a.sd, b.sd, n * sizeof *a.sd),
       "same seed: bitwise-identical mean and sd");
    ok(a.final_objective == b.final_objective && a.prior_mean == b.prior_mean && a.prior_sd == b.prior_sd,
       "same seed: identical objective and prior");
    size_t dm = 0, ds = 0;
    for (size_t j = 0; j < n; j++) dm += a.mean[j] != c.mean[j], ds += a.sd[j] != c.sd[j];
    ok(dm > n / 2 && ds > n / 2, "different seed: different mean (%zu of %zu differ) and sd (%zu differ)", dm, n, ds);
    int pos = all_finite(n, a.mean) && all_finite(n, a.sd);
    for (size_t j = 0; j < n; j++) pos &= a.sd[j] > 0;
    ok(pos && !strcmp(a.family, "gauss-diag"), "variational fit: finite mean, positive sd, family gauss-diag");

    /* learning: the blobs are separable; training accuracy of the posterior mean */
    pb_train_opts_default(&o);
    o.epochs = 200, o.batch = 32, o.seed = 1, o.label = "blobs";
    TAP_REQUIRE(pb_train(m, &d, &o, &a) == 0);
    double acc0 = -1, acc = accuracy(m, a.mean, &d);
    {
        /* accuracy before training, from a 0-epoch run, for contrast */
        pb_train_opts z = o;
        z.epochs = 0;
        TAP_REQUIRE(pb_train(m, &d, &z, &b) == 0);
        acc0 = accuracy(m, b.mean, &d);
    }
    ok(acc > 0.9, "variational training on 3 blobs: training accuracy %.3f > 0.9 (untrained %.3f)", acc, acc0);
    ok(a.final_objective < log(3.0), "final objective/N %.4f below the uniform guess log 3", a.final_objective);

    /* divergence: a huge step size sends log s to +1e6, so s and w overflow */
    pb_train_opts_default(&o);
    o.epochs = 5, o.lr = 1e6, o.seed = 3, o.label = "cell-huge-lr";
    int st = pb_train(m, &d, &o, &c);
    const char *msg = pb_last_error();
    ok(st != 0, "lr=1e6 (variational): pb_train fails (status %d)", st);
    ok(strstr(msg, "diverged") && strstr(msg, "cell-huge-lr") && strstr(msg, "epoch"),
       "lr=1e6: message says diverged, names the cell and epoch: %s", msg);
    /* divergence from a non-finite input, point estimate */
    double saved = d.X[17];
    d.X[17] = NAN;
    pb_train_opts_default(&o);
    o.family = PB_FAMILY_POINT, o.epochs = 3, o.label = "cell-nan-input";
    st = pb_train(m, &d, &o, &c);
    msg = pb_last_error();
    ok(st != 0 && strstr(msg, "diverged") && strstr(msg, "cell-nan-input"),
       "NaN input (point): pb_train fails with 'diverged' (%s)", msg);
    d.X[17] = INFINITY;
    o.family = PB_FAMILY_GAUSS_DIAG, o.label = "cell-inf-input";
    st = pb_train(m, &d, &o, &c);
    msg = pb_last_error();
    ok(st != 0 && strstr(msg, "diverged") && strstr(msg, "cell-inf-input"),
       "inf input (variational): pb_train fails with 'diverged' (%s)", msg);
    d.X[17] = saved;

    /* wrong input dimension */
    pb_mlp *m3 = NULL;
    TAP_REQUIRE(pb_mlp_parse("mlp:3-4-3:tanh", &m3) == 0);
    pb_fit f3;
    TAP_REQUIRE(pb_fit_alloc(&f3, m3->n_params) == 0);
    pb_train_opts_default(&o);
    o.epochs = 1, o.label = "cell-dims";
    st = pb_train(m3, &d, &o, &f3);
    ok(st != 0 && strstr(pb_last_error(), "cell-dims") != NULL, "model/data input mismatch rejected (%s)",
       pb_last_error());
    pb_fit_free(&f3);
    pb_mlp_free(m3);

    /* the optimizer and the variational gradient path against Adam written here */
    test_against_adam(m, &d, PB_FAMILY_POINT, 0.0, 0, 0, "point, full batch, weight decay 0");
    test_against_adam(m, &d, PB_FAMILY_POINT, 0.05, 0, 0, "point, full batch, weight decay 0.05");
    test_against_adam(m, &d, PB_FAMILY_GAUSS_DIAG, 0.0, 0, 0, "variational, full batch, empirical-Bayes prior");
    test_against_adam(m, &d, PB_FAMILY_GAUSS_DIAG, 0.0, 1, 0, "variational, full batch, prior mean fixed at 0");
    /* minibatches of 16 (the last one of 6): the data term is scaled by 1/b, the KL by 1/N */
    test_against_adam(m, &d, PB_FAMILY_POINT, 0.01, 0, 16, "point, batch 16, weight decay 0.01");
    test_against_adam(m, &d, PB_FAMILY_GAUSS_DIAG, 0.0, 0, 16, "variational, batch 16, empirical-Bayes prior");

    pb_fit_free(&a), pb_fit_free(&b), pb_fit_free(&c);
    pb_data_free(&d);
    pb_mlp_free(m);
    return done_testing();
}
