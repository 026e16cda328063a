/* train.c -- see train.h. */
#include "train.h"
#include "util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

void pb_train_opts_default(pb_train_opts *o)
{
    memset(o, 0, sizeof *o);
    o->family = PB_FAMILY_GAUSS_DIAG;
    o->epochs = 300;
    o->batch = 32;
    o->lr = 1e-2;
    o->init_sd = 0.5;
    o->label = "train";
}

double pb_kl_gauss_diag(size_t n, const double *m, const double *s, double mu, double sp,
                        double *dm, double *dr)
{
    double kl = 0, sp2 = sp * sp;
    for (size_t j = 0; j < n; j++) {
        double dev = m[j] - mu, s2 = s[j] * s[j];
        kl += log(sp / s[j]) + (s2 + dev * dev) / (2 * sp2) - 0.5;
        if (dm) dm[j] = dev / sp2;
        if (dr) dr[j] = -1 + s2 / sp2;
    }
    return kl;
}

void pb_prior_update(size_t n, const double *m, const double *s, int fix_mean, double *mu, double *sp)
{
    double mean = 0, v = 0;
    if (!fix_mean) {
        for (size_t j = 0; j < n; j++) mean += m[j];
        mean /= (double)n;
    }
    for (size_t j = 0; j < n; j++) v += (mean - m[j]) * (mean - m[j]) + s[j] * s[j];
    *mu = mean;
    *sp = sqrt(v / (double)n);
}

/* One Adam step on x with gradient g; t counts steps from 1. */
static void adam_step(size_t n, double *x, const double *g, double *m1, double *m2, size_t t, double lr)
{
    const double b1 = 0.9, b2 = 0.999, eps = 1e-8;
    double c1 = 1 - pow(b1, (double)t), c2 = 1 - pow(b2, (double)t);
    for (size_t j = 0; j < n; j++) {
        m1[j] = b1 * m1[j] + (1 - b1) * g[j];
        m2[j] = b2 * m2[j] + (1 - b2) * g[j] * g[j];
        x[j] -= lr * (m1[j] / c1) / (sqrt(m2[j] / c2) + eps);
    }
}

int pb_train(const pb_mlp *m, const pb_data *train, const pb_train_opts *o, pb_fit *fit)
{
    size_t n = m->n_params, N = train->n, d = train->d, ys = train->ydim;
    size_t B = o->batch && o->batch < N ? o->batch : N;
    int var = o->family == PB_FAMILY_GAUSS_DIAG;
    pb_mlp mb = *m;  /* shallow copy whose noise precision training may update */
    int learn_beta = m->head == PB_HEAD_MSE && !o->fixed_noise;
    mb.noise_precision = 1.0;
    m = &mb;
    if (d != pb_mlp_in_dim(m))
        return pb_error(PB_ERR_ARG, "%s: model %s takes %zu inputs, data %s has %zu", o->label, m->spec,
                        pb_mlp_in_dim(m), train->name, d);
    int st = PB_OK;
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    pb_mlp_ws *ws = pb_mlp_ws_alloc(m, B);
    /* theta = (m, r): 2n for variational, n for point */
    size_t np = var ? 2 * n : n;
    double *theta = pb_calloc(np, sizeof(double)), *g = pb_calloc(np, sizeof(double));
    double *m1 = pb_calloc(np, sizeof(double)), *m2 = pb_calloc(np, sizeof(double));
    double *w = pb_calloc(n, sizeof(double)), *gw = pb_calloc(n, sizeof(double));
    double *eps = pb_calloc(n, sizeof(double)), *s = pb_calloc(n, sizeof(double));
    double *dkm = pb_calloc(n, sizeof(double)), *dkr = pb_calloc(n, sizeof(double));
    double *Xb = pb_calloc(B * d, sizeof(double)), *yb = pb_calloc(B * ys, sizeof(double));
    size_t *perm = pb_calloc(N, sizeof(size_t));
    if (!rng || !ws || !theta || !g || !m1 || !m2 || !w || !gw || !eps || !s || !dkm || !dkr || !Xb || !yb || !perm) {
        st = pb_error(PB_ERR_NOMEM, "%s: out of memory", o->label);
        goto done;
    }
    pb_rng_seed(rng, o->seed);
    pb_mlp_init(m, theta, rng);  /* drawn even when replaced, so the later stream does not depend on init */
    if (o->init) memcpy(theta, o->init, n * sizeof *theta);
    double mu = 0, sp = 1, r0 = log(o->init_sd > 0 ? o->init_sd : 0.5);
    if (var) {
        for (size_t j = 0; j < n; j++) theta[n + j] = r0, s[j] = exp(r0);
        pb_prior_update(n, theta, s, o->fix_prior_mean, &mu, &sp);
    }
    for (size_t i = 0; i < N; i++) perm[i] = i;
    size_t t = 0;
    double obj = 0;
    for (size_t epoch = 1; epoch <= o->epochs; epoch++) {
        gsl_ran_shuffle(rng, perm, N, sizeof *perm);
        double epoch_nll = 0, kl = 0;
        for (size_t start = 0; start < N; start += B) {
            size_t b = N - start < B ? N - start : B;
            for (size_t i = 0; i < b; i++) {
                memcpy(Xb + i * d, train->X + perm[start + i] * d, d * sizeof *Xb);
                memcpy(yb + i * ys, train->y + perm[start + i] * ys, ys * sizeof *yb);
            }
            double loss;
            if (var) {
                for (size_t j = 0; j < n; j++) {
                    s[j] = exp(theta[n + j]);
                    eps[j] = gsl_ran_gaussian_ziggurat(rng, 1.0);
                    w[j] = theta[j] + s[j] * eps[j];
                }
            } else {
                memcpy(w, theta, n * sizeof *w);
            }
            if ((st = pb_mlp_loss_grad(m, ws, w, Xb, yb, b, &loss, gw))) goto done;
            if (!isfinite(loss)) {
                st = pb_error(PB_ERR_NUMERIC, "%s: training diverged at epoch %zu (minibatch loss %g); "
                              "try a smaller --lr", o->label, epoch, loss);
                goto done;
            }
            epoch_nll += loss;
            /* gradients of F / N */
            double scale = 1.0 / (double)b;
            if (var) {
                kl = pb_kl_gauss_diag(n, theta, s, mu, sp, dkm, dkr);
                for (size_t j = 0; j < n; j++) {
                    g[j] = scale * gw[j] + dkm[j] / (double)N;
                    g[n + j] = scale * gw[j] * eps[j] * s[j] + dkr[j] / (double)N;
                }
            } else {
                for (size_t j = 0; j < n; j++) g[j] = scale * gw[j] + o->weight_decay * theta[j];
            }
            adam_step(np, theta, g, m1, m2, ++t, o->lr);
            if (var) {
                for (size_t j = 0; j < n; j++) s[j] = exp(theta[n + j]);
                pb_prior_update(n, theta, s, o->fix_prior_mean, &mu, &sp);
            }
        }
        obj = (epoch_nll + kl - (learn_beta ? 0.5 * (double)N * log(mb.noise_precision) : 0)) / (double)N;
        if (learn_beta) {
            /* epoch_nll = beta * sum 0.5 r^2 over the epoch */
            double ss = 2 * epoch_nll / mb.noise_precision;
            if (ss > 0) mb.noise_precision = (double)N / ss;
        }
        if (!isfinite(obj)) {
            st = pb_error(PB_ERR_NUMERIC, "%s: training diverged at epoch %zu (objective %g)", o->label, epoch, obj);
            goto done;
        }
        if (o->progress && (epoch == o->epochs || epoch % (o->epochs / 10 ? o->epochs / 10 : 1) == 0))
            fprintf(stderr, "%s: epoch %zu/%zu objective/N %.5f%s\n", o->label, epoch, o->epochs, obj,
                    var ? "" : " (point)");
    }
    memcpy(fit->mean, theta, n * sizeof *theta);
    for (size_t j = 0; j < n; j++) fit->sd[j] = var ? exp(theta[n + j]) : 0;
    fit->prior_mean = var ? mu : 0;
    fit->prior_sd = var ? sp : 0;
    fit->final_objective = obj;
    fit->noise_precision = mb.noise_precision;
    snprintf(fit->family, sizeof fit->family, "%s", var ? "gauss-diag" : "point");
    snprintf(fit->settings, sizeof fit->settings,
             "family=%s epochs=%zu batch=%zu optimizer=adam lr=%g init_sd=%g prior_mean=%s weight_decay=%g noise=%s",
             fit->family, o->epochs, B, o->lr, var ? o->init_sd : 0.0,
             var ? (o->fix_prior_mean ? "fixed0" : "empirical-bayes") : "none", var ? 0.0 : o->weight_decay,
             m->head != PB_HEAD_MSE ? "none" : learn_beta ? "empirical-bayes" : "fixed1");
done:
    gsl_rng_free(rng);
    pb_mlp_ws_free(ws);
    free(theta); free(g); free(m1); free(m2); free(w); free(gw); free(eps); free(s);
    free(dkm); free(dkr); free(Xb); free(yb); free(perm);
    return st;
}
