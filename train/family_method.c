/* family_method.c -- a method's own variational family (train.h,
 * plugins/prunebench.h pb_training): every prunable weight entry gets
 * w_j = theta_j + sigma_j eps_j, the other parameters (biases) stay point
 * estimates; per minibatch of b samples
 *   F / N = (1/b) sum_{i in batch} beta l_i(w) + kl_weight(t) KL(q || p) / N
 * with the method's KL and warm-up. With local reparameterization the model
 * samples pre-activations (pb_model_lrt_loss_grad); without it one sample of
 * all weights is shared by the minibatch. Group variables (groupvars.h) ride
 * on top when the method asks for them. The optimizer carries
 *   (all n parameters | np log sigma^2 | nv theta_z | nv log sigma_z^2). */
#include "train/driver.h"
#include "train/groupvars.h"
#include "base/util.h"

#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_randist.h>

/* The prunable entries widx[0..np) (increasing) as runs of consecutive
 * parameters, and the parameters between them: segment i covers parameters
 * [j0, j0 + len), prunable (k0: the run's first index in widx) or not
 * (k0 = SIZE_MAX). Returns the number of segments (at most 2 np + 1). */
typedef struct seg { size_t j0, len, k0; } seg;
static size_t segments(size_t n, const size_t *widx, size_t np, seg *out)
{
    size_t ns = 0;
    for (size_t j = 0, k = 0; j < n;) {
        size_t len = 0;
        if (k < np && widx[k] == j) {
            while (k + len < np && widx[k + len] == j + len) len++;
            out[ns++] = (seg){j, len, k};
            k += len;
        } else {
            len = (k < np ? widx[k] : n) - j;
            out[ns++] = (seg){j, len, SIZE_MAX};
        }
        j += len;
    }
    return ns;
}

typedef struct method {
    struct method_carried {
        double kl;         /* the method's KL term (weights and groups) at the last minibatch */
        double kl_weight;  /* its warm-up weight then */
    } carried;
    const pb_training *tr;
    void *state;           /* the method's training state */
    int lrt;               /* local reparameterization */
    size_t np;             /* prunable (sampled) parameters */
    size_t *widx;          /* np: their indices */
    seg *sg;               /* the runs of widx */
    size_t nseg;
    double *block;         /* the work buffers below */
    double *sigma2;        /* n: sigma^2 of the prunable entries (0 elsewhere) */
    double *w, *eps;       /* n: the weight sample and its noise (no lrt) */
    double *gt, *gs;       /* n: dloss/dtheta, dloss/dsigma^2 */
    double *tw;            /* np: theta of the prunable entries, contiguous */
    double *dkt, *dkr;     /* np: dKL/dtheta, dKL/dlog sigma^2 */
    pb_groupvars gv;       /* group variables (gv.nv = 0 without) */
} method;

static int method_open(void *fp, const pb_driver *d, size_t *n_opt)
{
    method *f = fp;
    const pb_train_opts *o = d->o;
    const pb_model *m = d->m;
    size_t n = d->n;
    if (!o->training || !o->training->kl)
        return pb_error(PB_ERR_ARG, "%s: method family without a KL term", o->label);
    const pb_training *tr = f->tr = o->training;
    f->state = o->training_state;
    f->lrt = tr->local_reparameterization;
    if (tr->group_variables && !m->n_variable_groups)
        return pb_error(PB_ERR_ARG, "%s: the method trains group variables but model %s has no variable groups", o->label,
                        m->spec);
    unsigned char *mask = pb_calloc(n, 1);
    if (!mask) return pb_error(PB_ERR_NOMEM, "%s: out of memory", o->label);
    size_t np = f->np = pb_model_prunable(m, 0, mask);
    f->widx = pb_calloc(np, sizeof *f->widx);
    f->sg = pb_calloc(2 * np + 1, sizeof *f->sg);
    f->block = pb_drv_block(8, (size_t[]){n, n, n, n, n, np, np, np},
                            (double **const[]){&f->sigma2, &f->w, &f->eps, &f->gt, &f->gs, &f->tw, &f->dkt, &f->dkr});
    int st = !f->widx || !f->sg || !f->block ? pb_error(PB_ERR_NOMEM, "%s: out of memory", o->label) : PB_OK;
    if (!st && tr->group_variables) st = pb_groupvars_open(&f->gv, m, d->B, n + np, o->label);
    if (!st) {
        for (size_t j = 0, k = 0; j < n; j++)
            if (mask[j]) f->widx[k++] = j;
        f->nseg = segments(n, f->widx, np, f->sg);
        *n_opt = n + np + 2 * f->gv.nv;
    }
    free(mask);
    return st;
}

static void method_key(const void *fp, const pb_driver *d, char *out, size_t cap)
{
    const method *f = fp;
    (void)d;
    snprintf(out, cap, " method_family=%s init_log_sigma2=%.17g group_variables=%d lrt=%d", f->tr->family,
             f->tr->init_log_sigma2, f->tr->group_variables, f->lrt);
}

static void method_init(void *fp, pb_driver *d)
{
    method *f = fp;
    double *lz = d->opt.x + d->n;  /* log sigma^2 of the prunable entries */
    for (size_t k = 0; k < f->np; k++) lz[k] = f->tr->init_log_sigma2;
    pb_groupvars_init(&f->gv, d->opt.x, f->tr->init_log_sigma2);
}

static int method_loss(void *fp, pb_driver *d, double *loss)
{
    method *f = fp;
    const double *theta = d->opt.x, *lz = theta + d->n;
    for (size_t i = 0; i < f->nseg; i++)  /* sigma^2 = exp(log sigma^2), run by run */
        if (f->sg[i].k0 != SIZE_MAX) pb_vexp(f->sg[i].len, lz + f->sg[i].k0, f->sigma2 + f->sg[i].j0);
    double *Z = NULL, *dZ = NULL;
    if (f->gv.nv) {
        pb_groupvars_sample(&f->gv, theta, d->b, d->rng);
        Z = f->gv.Z, dZ = f->gv.dZ;
    }
    if (f->lrt)
        return pb_model_lrt_loss_grad(d->m, d->ws, theta, f->sigma2, d->X, d->y, d->b, Z, dZ, d->rng, loss, f->gt,
                                      f->gs);
    /* no local reparameterization: one sample of all weights, shared by the minibatch */
    memcpy(f->w, theta, d->n * sizeof *f->w);
    for (size_t k = 0; k < f->np; k++) {
        size_t j = f->widx[k];
        f->eps[j] = gsl_ran_gaussian_ziggurat(d->rng, 1.0);
        f->w[j] += sqrt(f->sigma2[j]) * f->eps[j];
    }
    int st = pb_model_loss_grad(d->m, d->ws, f->w, d->X, d->y, d->b, Z, dZ, loss, f->gt);
    /* d/dsigma^2 of w = theta + sigma eps is eps / (2 sigma) */
    for (size_t k = 0; k < f->np; k++) {
        size_t j = f->widx[k];
        f->gs[j] = f->gt[j] * f->eps[j] / (2 * sqrt(f->sigma2[j]));
    }
    return st;
}

/* KL and its warm-up weight, then Adam with each gradient assembled in the
 * same pass (vmath.h):
 *   other parameters: g = scale gt
 *   prunable:         g = scale gt + kscale dkt
 *   log sigma^2:      g = scale gs .* sigma^2 + kscale dkr   (d/dlog s2 = s2 d/ds2)
 * with kscale = kl_weight / N; the group variables likewise (groupvars.h). */
static int method_update(void *fp, pb_driver *d)
{
    method *f = fp;
    const pb_train_opts *o = d->o;
    const pb_training *tr = f->tr;
    size_t n = d->n;
    const double *theta = d->opt.x, *lz = theta + n;
    struct method_carried *c = &f->carried;
    for (size_t i = 0; i < f->nseg; i++)
        if (f->sg[i].k0 != SIZE_MAX) memcpy(f->tw + f->sg[i].k0, theta + f->sg[i].j0, f->sg[i].len * sizeof *f->tw);
    c->kl = tr->kl(f->state, f->np, f->tw, lz, f->dkt, f->dkr);
    if (f->gv.nv) c->kl += pb_groupvars_kl(&f->gv, tr, f->state, theta);
    if (!isfinite(c->kl))
        return pb_error(PB_ERR_NUMERIC, "%s: the method's KL term is %g at epoch %zu", o->label, c->kl, d->epoch);
    double done = (double)(d->epoch - 1) + (double)d->bi / (double)d->nb, E = (double)o->epochs;
    c->kl_weight = tr->kl_weight_epochs ? tr->kl_weight_epochs(f->state, done, E)
                   : tr->kl_weight    ? tr->kl_weight(f->state, done / E)
                                      : 1.0;
    if (!(c->kl_weight >= 0 && c->kl_weight <= 1))
        return pb_error(PB_ERR_NUMERIC, "%s: the method's KL weight is %g at epoch %zu (must be in [0, 1])", o->label,
                        c->kl_weight, d->epoch);
    double scale = d->scale, kscale = c->kl_weight / (double)d->N;
    if (f->gv.nv) pb_groupvars_grad(&f->gv, d->b, scale, kscale);
    for (size_t i = 0; i < f->nseg; i++) {
        size_t j0 = f->sg[i].j0, len = f->sg[i].len, k0 = f->sg[i].k0;
        if (k0 == SIZE_MAX) {
            pb_drv_adam_lin(d, j0, len, scale, f->gt + j0, NULL, 0, NULL);
            continue;
        }
        pb_drv_adam_lin(d, j0, len, scale, f->gt + j0, NULL, kscale, f->dkt + k0);
        pb_drv_adam_lin(d, n + k0, len, scale, f->gs + j0, f->sigma2 + j0, kscale, f->dkr + k0);
    }
    if (f->gv.nv) pb_drv_adam(d, f->gv.off, 2 * f->gv.nv, f->gv.g);
    return PB_OK;
}

static double method_epoch_kl(const void *fp, char *note, size_t cap)
{
    const method *f = fp;
    snprintf(note, cap, " (KL weight %.3f)", f->carried.kl_weight);
    return f->carried.kl_weight * f->carried.kl;
}

/* The effective weights (each group member times its groups' theta_z, sd
 * likewise, so sd/|mean| is unchanged) and the group variables. */
static int method_to_fit(const void *fp, const pb_driver *d, pb_fit *fit)
{
    const method *f = fp;
    const pb_training *tr = f->tr;
    size_t n = d->n;
    const double *theta = d->opt.x, *lz = theta + n;
    memcpy(fit->mean, theta, n * sizeof *theta);
    memset(fit->sd, 0, n * sizeof *fit->sd);
    for (size_t k = 0; k < f->np; k++) fit->sd[f->widx[k]] = exp(0.5 * lz[k]);
    if (f->gv.nv) {
        int st = pb_groupvars_fit(&f->gv, d->m, theta, fit);
        if (st) return st;
    }
    fit->prior_mean = 0;
    fit->prior_sd = 0;  /* not a Gaussian prior: the Laplace services refuse this fit */
    fit->final_objective = d->c.objective;
    fit->noise_precision = d->c.noise_precision;
    char middle[160];
    snprintf(middle, sizeof middle, "init_log_sigma2=%g local_reparam=%d group_variables=%zu", tr->init_log_sigma2,
             f->lrt, f->gv.nv);
    pb_drv_settings(d, fit, tr->family, middle);
    return PB_OK;
}

static void method_close(void *fp)
{
    method *f = fp;
    pb_groupvars_close(&f->gv);
    free(f->widx);
    free(f->sg);
    free(f->block);
}

static const pb_carried_field method_carried_fields[] = {
    {"kl", offsetof(method, carried.kl)},
    {"kl_weight", offsetof(method, carried.kl_weight)},
};

const pb_family_ops pb_family_method_ops = {
    .name = "method",
    .size = sizeof(method),
    .open = method_open,
    .key = method_key,
    .init = method_init,
    .loss = method_loss,
    .update = method_update,
    .epoch_kl = method_epoch_kl,
    .to_fit = method_to_fit,
    .close = method_close,
    .carried = method_carried_fields,
    .n_carried = sizeof method_carried_fields / sizeof *method_carried_fields,
};
