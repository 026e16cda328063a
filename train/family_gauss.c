/* family_gauss.c -- the Gaussian variational base fit (train.h, PROTOCOLS.md
 * "Base fit"): q(w) = N(m, diag s^2) under the prior N(mu 1, sp^2 I),
 * minimizing per minibatch of b samples, with one weight sample
 * w = m + s .* eps shared by the batch,
 *   F / N = (1/b) sum_{i in batch} beta l_i(w) + KL(q || p) / N
 * over (m, r = log s); the prior is reset to its empirical-Bayes optimum
 * after every Adam step (or its mean held at 0). The optimizer carries
 * (m | r), 2n values. Also the closed-form KL and the prior update.
 *
 * With opts.sample_per_object (seed 000: one weight sample per object,
 * shared by its time steps) every object i of the minibatch gets its own
 * w_i = m + s .* eps_i in a model pass of its own, and
 *   dF/dm = scale sum_i g_i,   dF/dr = scale (sum_i g_i .* eps_i) .* s,
 * g_i = dl_i/dw at w_i; recorded as weight_sample=per-object.
 *
 * Seed 003 (protocol P5) options, train.h: the KL term weighted by lambda
 * (kl_weight), F / N = (1/b) sum beta l_i(w) + lambda KL / N; the prior held
 * at N(0, 1) (prior_fixed); initial sd per parameter (init_sd_vec); and the
 * local reparameterization trick on the dense layers (lrt): the weight
 * entries N(m, s^2) enter through sampled pre-activations
 * (pb_model_lrt_loss_grad, dL/dm and dL/ds^2), the other parameters (biases)
 * through one sample b = m + s eps per minibatch, so that every parameter of
 * q is sampled and gets its data gradient:
 *   weights: dF/dm = scale dL/dtheta + lambda dKL/dm / N,
 *            dF/dr = scale dL/ds^2 2 s^2 + lambda dKL/dr / N
 *   biases:  dF/dm = scale dL/db + ...,  dF/dr = scale dL/db eps s + ... */
#include "train/driver.h"
#include "base/util.h"
#include "formats/checkpoint.h"

#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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
    double kl_weight;       /* lambda (opts.kl_weight) */
    /* local reparameterization only */
    unsigned char *sampled; /* n: 1 for the entries sampled by their pre-activations (weights), 0 for biases */
    double *s2, *theta, *gs;/* n: s^2, the means with the biases sampled, dL/ds^2 */
    /* one sample per object only */
    double *gi, *ge;        /* n: one object's gradient; sum over objects of g_i .* eps_i */
} gauss;

static int gauss_open(void *fp, const pb_driver *d, size_t *n_opt)
{
    gauss *f = fp;
    const pb_train_opts *o = d->o;
    size_t n = d->n;
    if (o->dropout > 0)
        return pb_error(PB_ERR_ARG, "%s: dropout (%g) needs point training, p < 1 and a model with group multipliers in its point loss", o->label,
                        o->dropout);
    if (o->sample_per_object && o->lrt)
        return pb_error(PB_ERR_ARG, "%s: one weight sample per object and --lrt exclude each other", o->label);
    size_t nl = o->lrt ? n : 0, no = o->sample_per_object ? n : 0;
    f->block = pb_drv_block(12, (size_t[]){n, n, n, n, n, n, 2 * n, nl, nl, nl, no, no},
                            (double **const[]){&f->s, &f->eps, &f->w, &f->gw, &f->dkm, &f->dkr, &f->g, &f->s2, &f->theta,
                                               &f->gs, &f->gi, &f->ge});
    if (!f->block) return pb_error(PB_ERR_NOMEM, "%s: out of memory", o->label);
    if (o->lrt) {
        if (!d->m->ops->lrt_loss_grad)
            return pb_error(PB_ERR_ARG, "%s: --lrt needs a model with local reparameterization (%s has none)", o->label,
                            d->m->spec);
        if (!(f->sampled = pb_calloc(n, 1))) return pb_error(PB_ERR_NOMEM, "%s: out of memory", o->label);
        pb_model_prunable(d->m, 0, f->sampled);
    }
    if (!(o->kl_weight >= 0) || !isfinite(o->kl_weight))
        return pb_error(PB_ERR_ARG, "%s: KL weight %g: expected a finite value >= 0", o->label, o->kl_weight);
    f->kl_weight = o->kl_weight;
    *n_opt = 2 * n;
    return PB_OK;
}

static void gauss_key(const void *fp, const pb_driver *d, char *out, size_t cap)
{
    (void)fp;
    const pb_train_opts *o = d->o;
    int len = snprintf(out, cap, " init_sd=%.17g prior_mean=%d", o->init_sd, o->fix_prior_mean);
    if (len < 0 || (size_t)len >= cap) return;
    if (o->kl_weight != 1 || o->prior_fixed || o->optimizer != PB_OPT_ADAM || o->lrt || o->init_sd_vec)
        snprintf(out + len, cap - (size_t)len, " kl_weight=%.17g prior_fixed=%d optimizer=%d lrt=%d init_sd_vec=%016llx",
                 o->kl_weight, o->prior_fixed, (int)o->optimizer, o->lrt,
                 (unsigned long long)(o->init_sd_vec ? pb_ckpt_hash(o->init_sd_vec, d->n) : 0));
    len = (int)strlen(out);
    if (o->sample_per_object && (size_t)len < cap) snprintf(out + len, cap - (size_t)len, " sample_per_object=1");
}

/* r = log init_sd everywhere (or log init_sd_vec); the prior at its
 * optimum for the initial q, or N(0, 1) when held */
static void gauss_init(void *fp, pb_driver *d)
{
    gauss *f = fp;
    size_t n = d->n;
    const pb_train_opts *o = d->o;
    double *theta = d->opt.x, r0 = log(o->init_sd > 0 ? o->init_sd : 0.5);
    f->carried.prior_mean = 0, f->carried.prior_sd = 1;
    for (size_t j = 0; j < n; j++) {
        theta[n + j] = o->init_sd_vec ? log(o->init_sd_vec[j]) : r0;
        f->s[j] = exp(theta[n + j]);
    }
    if (!o->prior_fixed)
        pb_prior_update(n, theta, f->s, o->fix_prior_mean, &f->carried.prior_mean, &f->carried.prior_sd);
}

static int gauss_loss(void *fp, pb_driver *d, double *loss)
{
    gauss *f = fp;
    size_t n = d->n;
    const double *theta = d->opt.x;
    pb_vexp(n, theta + n, f->s);
    if (d->o->lrt) {
        /* weights through their pre-activations; biases one sample per minibatch */
        for (size_t j = 0; j < n; j++) {
            f->s2[j] = f->s[j] * f->s[j];
            f->theta[j] = theta[j];
            if (!f->sampled[j]) {
                f->eps[j] = gsl_ran_gaussian_ziggurat(d->rng, 1.0);
                f->theta[j] += f->s[j] * f->eps[j];
            }
        }
        return pb_model_lrt_loss_grad(d->m, d->ws, f->theta, f->s2, d->X, d->y, d->b, NULL, NULL, d->rng, loss, f->gw,
                                      f->gs);
    }
    if (d->o->sample_per_object) {
        /* object i (a sequence or a pair: shared by its time steps) gets its
         * own w_i = m + s .* eps_i: gw = sum_i g_i, ge = sum_i g_i .* eps_i */
        size_t dx = d->data->d, dy = d->data->ydim;
        *loss = 0;
        for (size_t j = 0; j < n; j++) f->gw[j] = f->ge[j] = 0;
        for (size_t i = 0; i < d->b; i++) {
            for (size_t j = 0; j < n; j++) {
                f->eps[j] = gsl_ran_gaussian_ziggurat(d->rng, 1.0);
                f->w[j] = theta[j] + f->s[j] * f->eps[j];
            }
            double li = 0;
            int st = pb_model_loss_grad(d->m, d->ws, f->w, d->X + i * dx, d->y + i * dy, 1, NULL, NULL, &li, f->gi);
            if (st) return st;
            *loss += li;
            for (size_t j = 0; j < n; j++) f->gw[j] += f->gi[j], f->ge[j] += f->gi[j] * f->eps[j];
        }
        return PB_OK;
    }
    for (size_t j = 0; j < n; j++) {
        f->eps[j] = gsl_ran_gaussian_ziggurat(d->rng, 1.0);
        f->w[j] = theta[j] + f->s[j] * f->eps[j];
    }
    return pb_model_loss_grad(d->m, d->ws, f->w, d->X, d->y, d->b, NULL, NULL, loss, f->gw);
}

/* dF/dm = scale gw + lambda dKL/dm / N, dF/dr = scale gw eps s + lambda
 * dKL/dr / N (with lrt, the sampled weights: dF/dr = scale gs 2 s^2 + ...);
 * then the prior's optimum for the new q (unless held). lambda = 1 gives
 * the base fit's values bit for bit (1 * x is x). */
static int gauss_update(void *fp, pb_driver *d)
{
    gauss *f = fp;
    size_t n = d->n;
    double *theta = d->opt.x, scale = d->scale, N = (double)d->N, lam = d->o->kl_weight;
    struct gauss_carried *c = &f->carried;
    c->kl = pb_kl_gauss_diag(n, theta, f->s, c->prior_mean, c->prior_sd, f->dkm, f->dkr);
    for (size_t j = 0; j < n; j++) {
        f->g[j] = scale * f->gw[j] + lam * f->dkm[j] / N;
        if (d->o->lrt && f->sampled[j]) f->g[n + j] = scale * f->gs[j] * 2 * f->s2[j] + lam * f->dkr[j] / N;
        else if (d->o->sample_per_object) f->g[n + j] = scale * f->ge[j] * f->s[j] + lam * f->dkr[j] / N;
        else f->g[n + j] = scale * f->gw[j] * f->eps[j] * f->s[j] + lam * f->dkr[j] / N;
    }
    pb_drv_adam(d, 0, 2 * n, f->g);
    pb_vexp(n, theta + n, f->s);
    if (!d->o->prior_fixed) pb_prior_update(n, theta, f->s, d->o->fix_prior_mean, &c->prior_mean, &c->prior_sd);
    return PB_OK;
}

static double gauss_epoch_kl(const void *fp, char *note, size_t cap)
{
    const gauss *f = fp;
    if (cap) note[0] = '\0';
    if (f->kl_weight != 1) snprintf(note, cap, " (KL weight %g)", f->kl_weight);
    return f->kl_weight * f->carried.kl;
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
    char middle[256];
    int len = snprintf(middle, sizeof middle, "init_sd=%g prior_mean=%s weight_decay=%g dropout=%g", o->init_sd,
                       o->fix_prior_mean || o->prior_fixed ? "fixed0" : "empirical-bayes", 0.0, o->dropout);
    /* the seed-003 options, each only when not at its default */
    if (o->kl_weight != 1) len += snprintf(middle + len, sizeof middle - (size_t)len, " kl_weight=%g", o->kl_weight);
    if (o->prior_fixed) len += snprintf(middle + len, sizeof middle - (size_t)len, " prior=fixed-N(0,1)");
    if (o->lrt) len += snprintf(middle + len, sizeof middle - (size_t)len, " lrt=dense");
    if (o->init_sd_vec) len += snprintf(middle + len, sizeof middle - (size_t)len, " init_sd_from=fit");
    if (o->sample_per_object) snprintf(middle + len, sizeof middle - (size_t)len, " weight_sample=per-object");
    pb_drv_settings(d, fit, "gauss-diag", middle);
    return PB_OK;
}

static void gauss_close(void *fp)
{
    free(((gauss *)fp)->block);
    free(((gauss *)fp)->sampled);
}

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
