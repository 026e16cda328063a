/* family_gauss_scalar.c -- the scalar ("I") Gaussian variational fit
 * (seed 000 §3 case 1, PROTOCOLS.md "Base fit", option scalar posterior):
 * q(w) = N(m, alpha I), one variance alpha = s^2 for all n weights, under
 * the same prior N(mu 1, sp^2 I) with the same empirical-Bayes update after
 * every Adam step as gauss-diag (family_gauss.c). Per minibatch of b
 * samples, one weight sample w = m + s eps (eps ~ N(0, I_n)) is shared by
 * the batch (and by the time steps of a recurrent model), and we minimize
 *   F / N = (1/b) sum_{i in batch} beta l_i(w) + KL(q || p) / N
 * over (m, r = log s = (1/2) log alpha); the optimizer carries (m | r),
 * n + 1 values.
 *
 * KL in closed form (the diagonal KL with every s_j = s):
 *   KL = sum_j [ log(sp / s) + (s^2 + (m_j - mu)^2) / (2 sp^2) - 1/2 ]
 *      = n log(sp / s) + (n s^2 + sum_j (m_j - mu)^2) / (2 sp^2) - n / 2,
 *   dKL/dm_j = (m_j - mu) / sp^2,   dKL/dr = -n + n s^2 / sp^2.
 * (Seed 000 writes alpha^2 where the variance alpha belongs; this is the
 * standard Gaussian KL.) Data term: w_j = m_j + e^r eps_j, so
 *   dF/dm_j = scale g_j,   dF/dr = scale sum_j g_j eps_j s,
 * g = d(sum_i l_i)/dw at the sample, scale = beta / b.
 * Empirical-Bayes prior: setting dKL/dmu = 0 and dKL/d(sp^2) = 0,
 *   sum_j (mu - m_j) / sp^2 = 0            =>  mu  = mean_j m_j,
 *   n / (2 sp^2) - (n s^2 + sum_j (m_j - mu)^2) / (2 sp^4) = 0
 *                                          =>  sp^2 = mean_j (m_j - mu)^2 + alpha;
 * with the mean held at 0: sp^2 = mean_j m_j^2 + alpha. This is the
 * minimum: KL is convex in mu and, in v = sp^2, (n/2) log v + c / (2v) has
 * its only stationary point at v = c / n, a minimum.
 *
 * Weight noise (opts.sample_per_object, recorded as weight_sample= in the
 * fit's settings): by default one sample per minibatch, as gauss-diag.
 * With sample_per_object every object i of the minibatch (a sequence: the
 * sample is shared by its time steps) gets its own w_i = m + s eps_i,
 * evaluated in a model pass of its own (b passes of one object instead of
 * one batched pass: slower per step), and
 *   dF/dm = scale sum_i g_i,   dF/dr = scale sum_i (g_i . eps_i) s,
 * g_i = dl_i/dw at w_i. The noise is drawn object by object, n values each.
 *
 * The fit stores sd_j = s for every j, so every service that reads
 * posterior standard deviations (|m/s|, protocol P3, the Laplace prior
 * precision) treats an I fit as an ordinary Gaussian fit. */
#include "train/driver.h"
#include "base/util.h"

#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <gsl/gsl_randist.h>

double pb_kl_gauss_scalar(size_t n, const double *m, double s, double mu, double sp, double *dm, double *dr)
{
    double sp2 = sp * sp, ss = 0;
    for (size_t j = 0; j < n; j++) {
        double dev = m[j] - mu;
        ss += dev * dev;
        if (dm) dm[j] = dev / sp2;
    }
    double nn = (double)n;
    if (dr) *dr = -nn + nn * s * s / sp2;
    return nn * log(sp / s) + (nn * s * s + ss) / (2 * sp2) - 0.5 * nn;
}

void pb_prior_update_scalar(size_t n, const double *m, double s, int fix_mean, double *mu, double *sp)
{
    double mean = 0, v = 0;
    if (!fix_mean) {
        for (size_t j = 0; j < n; j++) mean += m[j];
        mean /= (double)n;
    }
    for (size_t j = 0; j < n; j++) v += (mean - m[j]) * (mean - m[j]);
    *mu = mean;
    *sp = sqrt(v / (double)n + s * s);
}

typedef struct gscalar {
    struct gscalar_carried {
        double kl;          /* KL(q || p) at the last minibatch */
        double prior_mean;  /* mu */
        double prior_sd;    /* sp */
    } carried;
    double *block;          /* the work buffers below */
    double *eps, *w;        /* n: this step's noise and weight sample (per object: the last object's) */
    double *gw;             /* n: gradient of the batch's summed loss at w (per object: summed over the objects' samples) */
    double *gi;             /* n: one object's gradient (per object only) */
    double gr;              /* sum over the batch of g . eps (the data term's dF/dr is scale gr s) */
    double *dkm;            /* n: dKL/dm */
    double *g;              /* n + 1: gradient of F / N over (m | r) */
} gscalar;

static int gscalar_open(void *fp, const pb_driver *d, size_t *n_opt)
{
    gscalar *f = fp;
    const pb_train_opts *o = d->o;
    size_t n = d->n;
    if (o->dropout > 0)
        return pb_error(PB_ERR_ARG, "%s: dropout (%g) needs point training, p < 1 and a model with group multipliers in its point loss", o->label,
                        o->dropout);
    f->block = pb_drv_block(6, (size_t[]){n, n, n, n, n + 1, o->sample_per_object ? n : 0},
                            (double **const[]){&f->eps, &f->w, &f->gw, &f->dkm, &f->g, &f->gi});
    if (!f->block) return pb_error(PB_ERR_NOMEM, "%s: out of memory", o->label);
    *n_opt = n + 1;
    return PB_OK;
}

static void gscalar_key(const void *fp, const pb_driver *d, char *out, size_t cap)
{
    (void)fp;
    snprintf(out, cap, " init_sd=%.17g prior_mean=%d sample_per_object=%d", d->o->init_sd, d->o->fix_prior_mean,
             d->o->sample_per_object);
}

/* r = log init_sd; the prior at its optimum for the initial q */
static void gscalar_init(void *fp, pb_driver *d)
{
    gscalar *f = fp;
    size_t n = d->n;
    double *theta = d->opt.x;
    theta[n] = log(d->o->init_sd > 0 ? d->o->init_sd : 0.5);
    f->carried.prior_mean = 0, f->carried.prior_sd = 1;
    pb_prior_update_scalar(n, theta, exp(theta[n]), d->o->fix_prior_mean, &f->carried.prior_mean,
                           &f->carried.prior_sd);
}

/* Draw eps and w = m + s eps. */
static void draw(gscalar *f, pb_driver *d, double s)
{
    const double *theta = d->opt.x;
    for (size_t j = 0; j < d->n; j++) {
        f->eps[j] = gsl_ran_gaussian_ziggurat(d->rng, 1.0);
        f->w[j] = theta[j] + s * f->eps[j];
    }
}

static int gscalar_loss(void *fp, pb_driver *d, double *loss)
{
    gscalar *f = fp;
    size_t n = d->n;
    double s = exp(d->opt.x[n]);
    f->gr = 0;
    if (!d->o->sample_per_object) {
        draw(f, d, s);
        int st = pb_model_loss_grad(d->m, d->ws, f->w, d->X, d->y, d->b, NULL, NULL, loss, f->gw);
        for (size_t j = 0; j < n; j++) f->gr += f->gw[j] * f->eps[j];
        return st;
    }
    size_t dx = d->data->d, dy = d->data->ydim;
    *loss = 0;
    for (size_t j = 0; j < n; j++) f->gw[j] = 0;
    for (size_t i = 0; i < d->b; i++) {
        draw(f, d, s);
        double li = 0;
        int st = pb_model_loss_grad(d->m, d->ws, f->w, d->X + i * dx, d->y + i * dy, 1, NULL, NULL, &li, f->gi);
        if (st) return st;
        *loss += li;
        for (size_t j = 0; j < n; j++) f->gw[j] += f->gi[j], f->gr += f->gi[j] * f->eps[j];
    }
    return PB_OK;
}

/* The gradient of F / N over (m | r) (see the top), one Adam step, then the
 * prior's optimum for the new q. */
static int gscalar_update(void *fp, pb_driver *d)
{
    gscalar *f = fp;
    size_t n = d->n;
    double *theta = d->opt.x, scale = d->scale, N = (double)d->N, s = exp(theta[n]), dkr = 0;
    struct gscalar_carried *c = &f->carried;
    c->kl = pb_kl_gauss_scalar(n, theta, s, c->prior_mean, c->prior_sd, f->dkm, &dkr);
    if (!isfinite(c->kl))
        return pb_error(PB_ERR_NUMERIC, "%s: KL term is %g at epoch %zu", d->o->label, c->kl, d->epoch);
    for (size_t j = 0; j < n; j++) f->g[j] = scale * f->gw[j] + f->dkm[j] / N;
    f->g[n] = scale * f->gr * s + dkr / N;
    pb_drv_adam(d, 0, n + 1, f->g);
    pb_prior_update_scalar(n, theta, exp(theta[n]), d->o->fix_prior_mean, &c->prior_mean, &c->prior_sd);
    return PB_OK;
}

static double gscalar_epoch_kl(const void *fp, char *note, size_t cap)
{
    const gscalar *f = fp;
    if (cap) note[0] = '\0';
    return f->carried.kl;
}

static int gscalar_to_fit(const void *fp, const pb_driver *d, pb_fit *fit)
{
    const gscalar *f = fp;
    const pb_train_opts *o = d->o;
    size_t n = d->n;
    double s = exp(d->opt.x[n]);
    for (size_t j = 0; j < n; j++) fit->mean[j] = d->opt.x[j], fit->sd[j] = s;
    fit->prior_mean = f->carried.prior_mean;
    fit->prior_sd = f->carried.prior_sd;
    fit->final_objective = d->c.objective;
    fit->noise_precision = d->c.noise_precision;
    char middle[200];
    snprintf(middle, sizeof middle,
             "init_sd=%g prior_mean=%s weight_decay=%g dropout=%g posterior=scalar weight_sample=%s", o->init_sd,
             o->fix_prior_mean ? "fixed0" : "empirical-bayes", 0.0, o->dropout,
             o->sample_per_object ? "per-object" : "per-minibatch");
    pb_drv_settings(d, fit, "gauss-scalar", middle);
    return PB_OK;
}

static void gscalar_close(void *fp) { free(((gscalar *)fp)->block); }

/* gr is recomputed by every loss before its update: not carried. */
static const pb_carried_field gscalar_carried_fields[] = {
    {"kl", offsetof(gscalar, carried.kl)},
    {"prior_mean", offsetof(gscalar, carried.prior_mean)},
    {"prior_sd", offsetof(gscalar, carried.prior_sd)},
};

const pb_family_ops pb_family_gauss_scalar_ops = {
    .name = "gauss-scalar",
    .size = sizeof(gscalar),
    .open = gscalar_open,
    .key = gscalar_key,
    .init = gscalar_init,
    .loss = gscalar_loss,
    .update = gscalar_update,
    .epoch_kl = gscalar_epoch_kl,
    .to_fit = gscalar_to_fit,
    .close = gscalar_close,
    .carried = gscalar_carried_fields,
    .n_carried = sizeof gscalar_carried_fields / sizeof *gscalar_carried_fields,
};
