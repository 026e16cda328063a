/* gauss_object.c -- gauss-diag with one weight sample per object
 * (train/family_gauss.c, opts.sample_per_object; seed 000): the gradient of
 * one minibatch's objective F / N over (m, r = log s) that the family hands
 * to Adam, against central differences at fixed noise on a tiny MLP and a
 * tiny Elman RNN; with one object per minibatch the step equals the
 * per-minibatch step bit for bit (the same noise, drawn in the same order);
 * with five it differs (each object has its own sample). */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_rng.h>

#include "tap.h"
#include "models/model.h"
#include "train/driver.h"
#include "train/train.h"
#include "base/util.h"

/* F / N at x = (m | r) with the noise stream reseeded: scale loss + KL / N. */
static double objective(const pb_family_ops *F, void *f, pb_driver *d, const double *x, double mu, double sp)
{
    size_t n = d->n;
    memcpy(d->opt.x, x, 2 * n * sizeof *x);
    pb_rng_seed(d->rng, 77);
    double loss = NAN, *s = malloc(n * sizeof *s);
    TAP_REQUIRE(s && F->loss(f, d, &loss) == 0);
    for (size_t j = 0; j < n; j++) s[j] = exp(x[n + j]);
    double kl = pb_kl_gauss_diag(n, x, s, mu, sp, NULL, NULL);
    free(s);
    return d->scale * loss + kl / (double)d->N;
}

/* The gradient the family hands to Adam (10 m1 after one step from zero
 * moments) at x0 for a minibatch of B objects; per_object as given. */
static void step_gradient(const char *spec, int per_object, size_t B, double *g_out, double *fd_err, double *gmax)
{
    const pb_family_ops *F = &pb_family_gauss_ops;
    pb_model *m;
    TAP_REQUIRE(pb_model_parse(spec, &m) == 0);
    size_t n = m->n_params, dx = m->in_dim;
    pb_train_opts o;
    pb_train_opts_default(&o);
    o.family = PB_FAMILY_GAUSS_DIAG;
    o.init_sd = 0.3;
    o.sample_per_object = per_object;
    double *X = calloc(B * dx, sizeof *X), *y = calloc(B, sizeof *y);
    TAP_REQUIRE(X && y);
    for (size_t i = 0; i < B * dx; i++) X[i] = sin(0.9 * (double)i) * 1.5;
    for (size_t i = 0; i < B; i++) y[i] = (double)(i % 3);
    pb_data data = {.n = 40, .d = dx, .ydim = 1, .n_classes = 3};
    pb_driver d = {.m = m, .data = &data, .o = &o, .n = n, .N = 40, .B = B, .nb = 8, .T = 8};
    d.rng = gsl_rng_alloc(gsl_rng_mt19937);
    d.ws = pb_model_ws_alloc(m, B);
    void *f = calloc(1, F->size);
    size_t n_opt = 0;
    TAP_REQUIRE(d.rng && d.ws && f && F->open(f, &d, &n_opt) == 0 && n_opt == 2 * n);
    double *opt = calloc(3 * n_opt, sizeof *opt), *x0 = calloc(n_opt, sizeof *x0), *xp = calloc(n_opt, sizeof *xp);
    TAP_REQUIRE(opt && x0 && xp);
    d.opt = (pb_adam_state){n_opt, opt, opt + n_opt, opt + 2 * n_opt};
    pb_rng_seed(d.rng, 3);
    pb_model_init(m, d.opt.x, d.rng);
    F->init(f, &d);
    for (size_t j = 0; j < n; j++) d.opt.x[n + j] += 0.1 * sin((double)j);   /* unequal sds */
    memcpy(x0, d.opt.x, n_opt * sizeof *x0);
    double mu = NAN, sp = NAN;
    for (size_t k = 0; k < F->n_carried; k++) {
        double v = *(double *)((char *)f + F->carried[k].offset);
        if (!strcmp(F->carried[k].name, "prior_mean")) mu = v;
        if (!strcmp(F->carried[k].name, "prior_sd")) sp = v;
    }
    d.X = X, d.y = y, d.b = B, d.epoch = 1;
    d.scale = 1.0 / (double)B;
    d.t = 1, d.lr_c = 1e-3 / (1 - 0.9), d.c2 = 1 - 0.999;
    memcpy(d.opt.x, x0, n_opt * sizeof *x0);
    pb_rng_seed(d.rng, 77);
    double loss;
    TAP_REQUIRE(F->loss(f, &d, &loss) == 0 && F->update(f, &d) == 0);
    for (size_t j = 0; j < n_opt; j++) g_out[j] = 10 * d.opt.m1[j];
    double h = 1e-5, em = 0, gm = 0;
    for (size_t j = 0; fd_err && j < n_opt; j++) {
        memcpy(xp, x0, n_opt * sizeof *xp);
        xp[j] = x0[j] + h;
        double fp = objective(F, f, &d, xp, mu, sp);
        xp[j] = x0[j] - h;
        double fm = objective(F, f, &d, xp, mu, sp);
        em = fmax(em, fabs(g_out[j] - (fp - fm) / (2 * h)));
        gm = fmax(gm, fabs(g_out[j]));
    }
    if (fd_err) *fd_err = em, *gmax = gm;
    F->close(f);
    free(f), free(opt), free(x0), free(xp), free(X), free(y);
    gsl_rng_free(d.rng);
    pb_model_ws_free(d.ws);
    pb_model_free(m);
}

int main(void)
{
    plan(6);
    const char *specs[2] = {"mlp:3-4-3:tanh", "rnn:3x2-3-3"};
    for (int k = 0; k < 2; k++) {
        pb_model *m;
        TAP_REQUIRE(pb_model_parse(specs[k], &m) == 0);
        size_t n2 = 2 * m->n_params;
        pb_model_free(m);
        double *g = malloc(n2 * sizeof *g), *g1 = malloc(n2 * sizeof *g1), *g2 = malloc(n2 * sizeof *g2), err, gmax;
        TAP_REQUIRE(g && g1 && g2);
        step_gradient(specs[k], 1, 5, g, &err, &gmax);
        ok(err <= 1e-7 * (1 + gmax) && gmax > 1e-4, "%s, 5 objects, a sample each: dF/dm and dF/dr = central "
           "differences (max err %.2g, max |g| %.3g)", specs[k], err, gmax);
        step_gradient(specs[k], 1, 1, g1, NULL, NULL);
        step_gradient(specs[k], 0, 1, g2, NULL, NULL);
        int same = !memcmp(g1, g2, n2 * sizeof *g1);
        step_gradient(specs[k], 0, 5, g2, NULL, NULL);
        double diff = 0;
        for (size_t j = 0; j < n2; j++) diff = fmax(diff, fabs(g[j] - g2[j]));
        ok(same, "%s: one object per minibatch: the per-object step is the per-minibatch one, bit for bit", specs[k]);
        ok(diff > 1e-6, "%s: five objects: per-object sampling changes the step (max diff %.3g)", specs[k], diff);
        free(g), free(g1), free(g2);
    }
    return done_testing();
}
