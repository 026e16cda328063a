/* toy_model.c -- the test model of t/toy_model.c.in ("linear:<d>-<C>"), on
 * its own, through the generic pb_model_* functions with its ops table (it
 * is not in this tree's registry; t/new_model.sh adds it to a copy): spec
 * errors, tables, gradients of the loss and of the variational step against
 * central differences, predictions against the loss, the data check, and
 * that it lacks every optional capability, refused in one line. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "tap.h"
#include "toy_model.c.in"

/* What pb_model_parse does for a registered model, with the table given. */
static pb_model *make(const char *spec)
{
    pb_model *m = calloc(1, sizeof *m);
    TAP_REQUIRE(m != NULL);
    snprintf(m->spec, sizeof m->spec, "%s", spec);
    m->ops = &pb_linear_ops;
    int st = m->ops->parse(spec, m);
    m->variable_group = calloc(1, sizeof *m->variable_group);
    if (st) {
        pb_model_free(m);
        return NULL;
    }
    return m;
}

static void data(const pb_model *m, size_t N, gsl_rng *r, double *X, double *y)
{
    for (size_t k = 0; k < N * m->in_dim; k++) X[k] = gsl_ran_gaussian(r, 1.0);
    for (size_t n = 0; n < N; n++) {
        if (m->head == PB_HEAD_CE) y[n] = (double)(n % m->out_dim);
        else for (size_t i = 0; i < m->out_dim; i++) y[n * m->out_dim + i] = gsl_ran_gaussian(r, 1.0);
    }
}

static void test_spec(void)
{
    const char *bad[] = {"linear:4", "linear:4-1", "linear:0-3", "linear:4-3:xx", "linear:-3", "linear:4-3junk"};
    int refused = 1;
    for (size_t k = 0; k < sizeof bad / sizeof *bad; k++) {
        pb_model *m = make(bad[k]);
        refused &= m == NULL && strstr(pb_last_error(), bad[k]) && !strchr(pb_last_error(), '\n');
        if (m) pb_model_free(m);
    }
    ok(refused, "bad specs refused in one line naming the spec: %s", pb_last_error());
    pb_model *m = make("linear:4-3");
    TAP_REQUIRE(m != NULL);
    ok(m->n_params == 15 && m->in_dim == 4 && m->out_dim == 3 && m->head == PB_HEAD_CE && m->n_tensors == 2 &&
           m->tensors[1].is_bias && m->tensors[1].offset == 12 && m->n_groups == 7 && m->groups[1].members[2] == 9 &&
           m->groups[4 + 2].members[4] == 14,
       "linear:4-3: 15 parameters, W then b, 4 input and 3 output groups");
    unsigned char mask[15];
    ok(pb_model_prunable(m, 0, mask) == 12 && pb_model_prunable(m, 1, mask) == 15, "prunable: 12 weights, 15 with biases");
    ok(pb_model_forward_flops(m) == 24, "forward FLOPs 2 d C = 24");
    int none = 1;
    for (int c = 0; c < PB_CAP_COUNT; c++) none &= !pb_model_has(m, (pb_model_capability)c);
    int st = pb_model_require(m, PB_CAP_CURVATURE, "obd");
    ok(none && st == PB_ERR_ARG && strstr(pb_last_error(), "obd needs") && strstr(pb_last_error(), "linear:4-3"),
       "no optional capability; pb_model_require: %s", pb_last_error());
    ok(pb_model_check_data(m, 4, 3, 0) == PB_OK && pb_model_check_data(m, 5, 3, 0) == PB_ERR_ARG &&
           pb_model_check_data(m, 4, 2, 0) == PB_ERR_ARG && pb_model_check_data(m, 4, 0, 0) == PB_ERR_ARG &&
           pb_model_check_data(m, 4, 3, 10) == PB_ERR_ARG && strstr(pb_last_error(), "token ids"),
       "data check: right dims pass; other in_dim, class count, a regression task, token ids refused");
    pb_model_free(m);
    pb_model *unreg;
    st = pb_model_parse("linear:4-3", &unreg);
    ok(st == PB_ERR_ARG && strstr(pb_last_error(), "mlp:..., lstm:..., rnn:...") &&
           strstr(pb_last_error(), pb_model_prefixes()),
       "not in this tree's registry: the unknown-model error lists the registry's prefixes: %s", pb_last_error());
}

/* Loss gradient against central differences; N larger than the workspace
 * batch, so the chunks add up. */
static void test_grad(const char *spec, double beta, gsl_rng *r)
{
    pb_model *m = make(spec);
    TAP_REQUIRE(m != NULL);
    pb_model_set_noise_precision(m, beta);
    size_t n = m->n_params, N = 11, C = m->out_dim;
    double *X = calloc(N * m->in_dim, sizeof *X), *y = calloc(N * C, sizeof *y), *w = calloc(n, sizeof *w);
    double *g = calloc(n, sizeof *g), *p = calloc(N * C, sizeof *p);
    TAP_REQUIRE(X && y && w && g && p);
    data(m, N, r, X, y);
    pb_model_init(m, w, r);
    for (size_t j = 0; j < n; j++) w[j] += gsl_ran_gaussian(r, 0.3);
    pb_model_ws *ws = pb_model_ws_alloc(m, 4);
    TAP_REQUIRE(ws != NULL);
    double loss, lp, lm, worst = 0, scale = 0;
    TAP_REQUIRE(pb_model_loss_grad(m, ws, w, X, y, N, NULL, NULL, &loss, g) == 0);
    for (size_t j = 0; j < n; j++) {
        double h = 1e-5, w0 = w[j];
        w[j] = w0 + h;
        pb_model_loss_grad(m, ws, w, X, y, N, NULL, NULL, &lp, NULL);
        w[j] = w0 - h;
        pb_model_loss_grad(m, ws, w, X, y, N, NULL, NULL, &lm, NULL);
        w[j] = w0;
        worst = fmax(worst, fabs((lp - lm) / (2 * h) - g[j]));
        scale = fmax(scale, fabs(g[j]));
    }
    ok(worst <= 1e-7 * (1 + scale), "%s (beta %g): gradient = central differences (max err %.2g)", spec, beta, worst);
    /* the predictions give the loss: -sum log p_y (ce), beta/2 |z - y|^2 - N C/2 log(beta/2pi) or as the head defines */
    TAP_REQUIRE(pb_model_predict(m, ws, w, X, N, p) == 0);
    if (m->head == PB_HEAD_CE) {
        double nll = 0, sums = 0;
        for (size_t k = 0; k < N; k++) {
            nll -= log(p[k * C + (size_t)y[k]]);
            double s = 0;
            for (size_t i = 0; i < C; i++) s += p[k * C + i];
            sums = fmax(sums, fabs(s - 1));
        }
        ok(fabs(nll - loss) <= 1e-12 * loss && sums <= 1e-15, "%s: probabilities sum to 1; -sum log p_y = loss", spec);
    } else {
        /* the mse loss moves with a constant shift of the outputs as beta/2 sum (z - y + c)^2 does */
        double base = 0, l2;
        for (size_t k = 0; k < N * C; k++) base += (p[k] - y[k]) * (p[k] - y[k]);
        double *y2 = calloc(N * C, sizeof *y2);
        TAP_REQUIRE(y2 != NULL);
        for (size_t k = 0; k < N * C; k++) y2[k] = y[k] - 0.5;
        pb_model_loss_grad(m, ws, w, X, y2, N, NULL, NULL, &l2, NULL);
        double moved = 0;
        for (size_t k = 0; k < N * C; k++) moved += (p[k] - y2[k]) * (p[k] - y2[k]);
        ok(fabs((l2 - loss) - 0.5 * beta * (moved - base)) <= 1e-10 * fabs(loss), "%s: predictions z give the loss's "
           "dependence on the targets, beta/2 |z - y|^2", spec);
        free(y2);
    }
    pb_model_ws_free(ws);
    free(X), free(y), free(w), free(g), free(p);
    pb_model_free(m);
}

/* The variational step: gradients in theta and sigma2 against central
 * differences at the same noise (the rng reseeded for every evaluation), and
 * at sigma2 = 0 the plain loss. */
static void test_lrt(const char *spec, gsl_rng *r)
{
    pb_model *m = make(spec);
    TAP_REQUIRE(m != NULL);
    size_t n = m->n_params, N = 6, C = m->out_dim;
    double *X = calloc(N * m->in_dim, sizeof *X), *y = calloc(N * C, sizeof *y), *th = calloc(n, sizeof *th);
    double *s2 = calloc(n, sizeof *s2), *dt = calloc(n, sizeof *dt), *ds = calloc(n, sizeof *ds), *z0 = calloc(n, sizeof *z0);
    TAP_REQUIRE(X && y && th && s2 && dt && ds && z0);
    data(m, N, r, X, y);
    for (size_t j = 0; j < n; j++) th[j] = gsl_ran_gaussian(r, 0.5), s2[j] = 0.05 + 0.1 * gsl_rng_uniform(r);
    pb_model_ws *ws = pb_model_ws_alloc(m, N);
    gsl_rng *e = gsl_rng_alloc(gsl_rng_mt19937);
    TAP_REQUIRE(ws && e);
    double loss, lp, lm, wt = 0, wsg = 0, scale = 0;
    gsl_rng_set(e, 5);
    TAP_REQUIRE(pb_model_lrt_loss_grad(m, ws, th, s2, X, y, N, NULL, NULL, e, &loss, dt, ds) == 0);
    for (int which = 0; which < 2; which++)
        for (size_t j = 0; j < n; j++) {
            double *v = which ? s2 : th, h = 1e-6, v0 = v[j];
            if (which && j >= C * m->in_dim) continue;  /* biases carry no variance */
            v[j] = v0 + h;
            gsl_rng_set(e, 5);
            pb_model_lrt_loss_grad(m, ws, th, s2, X, y, N, NULL, NULL, e, &lp, NULL, NULL);
            v[j] = v0 - h;
            gsl_rng_set(e, 5);
            pb_model_lrt_loss_grad(m, ws, th, s2, X, y, N, NULL, NULL, e, &lm, NULL, NULL);
            v[j] = v0;
            double err = fabs((lp - lm) / (2 * h) - (which ? ds : dt)[j]);
            if (which) wsg = fmax(wsg, err);
            else wt = fmax(wt, err);
            scale = fmax(scale, fabs((which ? ds : dt)[j]));
        }
    ok(wt <= 1e-6 * (1 + scale) && wsg <= 1e-6 * (1 + scale),
       "%s: variational step, dtheta and dsigma2 = central differences at fixed noise (err %.2g, %.2g)", spec, wt, wsg);
    double plain;
    TAP_REQUIRE(pb_model_loss_grad(m, ws, th, X, y, N, NULL, NULL, &plain, NULL) == 0);
    pb_model_lrt_loss_grad(m, ws, th, z0, X, y, N, NULL, NULL, e, &loss, NULL, NULL);
    ok(fabs(loss - plain) <= 1e-12 * fabs(plain), "%s: with sigma2 = 0 the variational step is the plain loss", spec);
    int st = pb_model_lrt_loss_grad(m, ws, th, s2, X, y, N + 1, NULL, NULL, e, &loss, NULL, NULL);
    ok(st == PB_ERR_ARG, "%s: more samples than the workspace's batch refused: %s", spec, pb_last_error());
    gsl_rng_free(e);
    pb_model_ws_free(ws);
    free(X), free(y), free(th), free(s2), free(dt), free(ds), free(z0);
    pb_model_free(m);
}

int main(void)
{
    plan(7 + 2 * 2 + 2 * 3);
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    TAP_REQUIRE(r != NULL);
    gsl_rng_set(r, 1313);
    test_spec();
    test_grad("linear:5-3", 1.0, r);
    test_grad("linear:4-2:mse", 2.5, r);
    test_lrt("linear:5-3", r);
    test_lrt("linear:3-2:mse", r);
    gsl_rng_free(r);
    return done_testing();
}
