/* family_gauss.c -- the Gaussian variational base fit (train.h, PROTOCOLS.md
 * "Base fit"): q(w) = N(m, diag s^2) under the prior N(mu 1, sp^2 I),
 * minimizing per minibatch of b samples, with one weight sample
 * w = m + s .* eps shared by the batch,
 *   F / N = (1/b) sum_{i in batch} beta l_i(w) + KL(q || p) / N
 * over (m, r = log s); the prior is reset to its empirical-Bayes optimum
 * after every Adam step (or its mean held at 0). The optimizer carries
 * (m | r), 2n values. Also the closed-form KL and the prior update. */
#include "train/driver.h"
#include "base/util.h"

#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <gsl/gsl_randist.h>

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

typedef struct gauss {
    struct gauss_carried {
        double kl;          /* KL(q || p) at the last minibatch */
        double prior_mean;  /* mu */
        double prior_sd;    /* sp */
    } carried;
    double *block;          /* the work buffers below */
    double *s;              /* n: exp(r) */
    double *eps, *w;        /* n: this step's noise and weight sample */
    double *gw;             /* n: gradient of the batch's summed loss at w */
    double *dkm, *dkr;      /* n: dKL/dm, dKL/dr */
    double *g;              /* 2n: gradient of F / N over (m | r) */
} gauss;

static int gauss_open(void *fp, const pb_driver *d, size_t *n_opt)
{
    gauss *f = fp;
    const pb_train_opts *o = d->o;
    size_t n = d->n;
    if (o->dropout > 0)
        return pb_error(PB_ERR_ARG, "%s: dropout (%g) needs point training, p < 1 and a model with group multipliers in its point loss", o->label,
                        o->dropout);
    f->block = pb_drv_block(7, (size_t[]){n, n, n, n, n, n, 2 * n},
                            (double **const[]){&f->s, &f->eps, &f->w, &f->gw, &f->dkm, &f->dkr, &f->g});
    if (!f->block) return pb_error(PB_ERR_NOMEM, "%s: out of memory", o->label);
    *n_opt = 2 * n;
    return PB_OK;
}

static void gauss_key(const void *fp, const pb_driver *d, char *out, size_t cap)
{
    (void)fp;
    snprintf(out, cap, " init_sd=%.17g prior_mean=%d", d->o->init_sd, d->o->fix_prior_mean);
}

/* r = log init_sd everywhere; the prior at its optimum for the initial q */
static void gauss_init(void *fp, pb_driver *d)
{
    gauss *f = fp;
    size_t n = d->n;
    double *theta = d->opt.x, r0 = log(d->o->init_sd > 0 ? d->o->init_sd : 0.5);
    f->carried.prior_mean = 0, f->carried.prior_sd = 1;
    for (size_t j = 0; j < n; j++) theta[n + j] = r0, f->s[j] = exp(r0);
    pb_prior_update(n, theta, f->s, d->o->fix_prior_mean, &f->carried.prior_mean, &f->carried.prior_sd);
}

static int gauss_loss(void *fp, pb_driver *d, double *loss)
{
    gauss *f = fp;
    size_t n = d->n;
    const double *theta = d->opt.x;
    pb_vexp(n, theta + n, f->s);
    for (size_t j = 0; j < n; j++) {
        f->eps[j] = gsl_ran_gaussian_ziggurat(d->rng, 1.0);
        f->w[j] = theta[j] + f->s[j] * f->eps[j];
    }
    return pb_model_loss_grad(d->m, d->ws, f->w, d->X, d->y, d->b, NULL, NULL, loss, f->gw);
}

/* dF/dm = scale gw + dKL/dm / N, dF/dr = scale gw eps s + dKL/dr / N; then
 * the prior's optimum for the new q. */
static int gauss_update(void *fp, pb_driver *d)
{
    gauss *f = fp;
    size_t n = d->n;
    double *theta = d->opt.x, scale = d->scale, N = (double)d->N;
    struct gauss_carried *c = &f->carried;
    c->kl = pb_kl_gauss_diag(n, theta, f->s, c->prior_mean, c->prior_sd, f->dkm, f->dkr);
    for (size_t j = 0; j < n; j++) {
        f->g[j] = scale * f->gw[j] + f->dkm[j] / N;
        f->g[n + j] = scale * f->gw[j] * f->eps[j] * f->s[j] + f->dkr[j] / N;
    }
    pb_drv_adam(d, 0, 2 * n, f->g);
    pb_vexp(n, theta + n, f->s);
    pb_prior_update(n, theta, f->s, d->o->fix_prior_mean, &c->prior_mean, &c->prior_sd);
    return PB_OK;
}

static double gauss_epoch_kl(const void *fp, char *note, size_t cap)
{
    if (cap) note[0] = '\0';
    return ((const gauss *)fp)->carried.kl;
}

static int gauss_to_fit(const void *fp, const pb_driver *d, pb_fit *fit)
{
    const gauss *f = fp;
    const pb_train_opts *o = d->o;
    size_t n = d->n;
    for (size_t j = 0; j < n; j++) fit->mean[j] = d->opt.x[j], fit->sd[j] = exp(d->opt.x[n + j]);
    fit->prior_mean = f->carried.prior_mean;
    fit->prior_sd = f->carried.prior_sd;
    fit->final_objective = d->c.objective;
    fit->noise_precision = d->c.noise_precision;
    char middle[160];
    snprintf(middle, sizeof middle, "init_sd=%g prior_mean=%s weight_decay=%g dropout=%g", o->init_sd,
             o->fix_prior_mean ? "fixed0" : "empirical-bayes", 0.0, o->dropout);
    pb_drv_settings(d, fit, "gauss-diag", middle);
    return PB_OK;
}

static void gauss_close(void *fp) { free(((gauss *)fp)->block); }

static const pb_carried_field gauss_carried_fields[] = {
    {"kl", offsetof(gauss, carried.kl)},
    {"prior_mean", offsetof(gauss, carried.prior_mean)},
    {"prior_sd", offsetof(gauss, carried.prior_sd)},
};

const pb_family_ops pb_family_gauss_ops = {
    .name = "gauss-diag",
    .size = sizeof(gauss),
    .open = gauss_open,
    .key = gauss_key,
    .init = gauss_init,
    .loss = gauss_loss,
    .update = gauss_update,
    .epoch_kl = gauss_epoch_kl,
    .to_fit = gauss_to_fit,
    .close = gauss_close,
    .carried = gauss_carried_fields,
    .n_carried = sizeof gauss_carried_fields / sizeof *gauss_carried_fields,
};
