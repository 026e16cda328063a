/* family_hyper.c -- hypernetwork training (seed 003 eq. 7, train.h
 * PB_FAMILY_HYPER, hyper.h): the optimizer carries the hypernetwork's
 * values u (n_u, u[0 .. n) the means' lambda-independent part, where the
 * driver puts the model's initialization). Per step:
 *   1. draw t ~ U(-1, 2) and lambda = 10^t (from the run's stream);
 *   2. generate g = (m | v) = G_u(lambda), s^2 = exp(v);
 *   3. the data term through the local reparameterization trick on the
 *      dense layers for the weight entries (dL/dm, dL/ds^2), the other
 *      parameters (biases) with one sample m + s eps per minibatch;
 *   4. the objective of the step,
 *        F / N = (1/b) sum_{i in batch} l_i(w) + lambda KL(q || p) / N,
 *      p = N(0, I) held (seed 003 §4: A_pr^{-1} = "diag(0,1)", our reading),
 *      and its gradient in g:
 *        dF/dm = scale dL/dm + lambda (m / 1) / N
 *        dF/dv = scale dL/ds^2 s^2 (weights) or scale dL/db eps s / 2 (biases)
 *                + lambda (s^2 - 1) / (2 N)
 *   5. du = (dg/du)^T dF/dg (pb_hyper_backward); with grad_clip C > 0 the
 *      lambda-dependent part of du (alpha, gamma, U1, U2; or b2) is scaled
 *      to L2 norm at most C (ours, not the seed's: without it SGD on the
 *      multiplicative eq. 5 and on lambda b2 with lambda up to 100 diverges
 *      at any step size that trains the constant part; see docs/protocols.md);
 *      then one optimizer step on u.
 * With lambda_draws K > 1 (the linear hypernetwork: seed 003 §4, "each
 * minibatch passed the optimization with five sampled lambda"; our
 * reading: K steps per minibatch), steps 1-5 repeat K times on the same
 * minibatch; the driver's step count and the epoch's loss see the first. */
#include "train/driver.h"
#include "train/hyper.h"
#include "base/util.h"
#include "formats/checkpoint.h"

#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_randist.h>

typedef struct hyperfam {
    struct hyper_carried {
        double kl;          /* KL(q || p) at the last step */
        double lambda;      /* its lambda */
    } carried;
    pb_hyper *h;
    size_t K;               /* steps per minibatch */
    unsigned char *sampled; /* n: 1 for the weight entries (through their pre-activations), 0 for biases */
    double *block;
    double *g, *dg;         /* 2n: (m | v) and dF/dg */
    double *s, *s2, *eps;   /* n: s, s^2, bias noise */
    double *theta;          /* n: m with the biases sampled */
    double *gt, *gs;        /* n: dL/dtheta, dL/ds^2 */
    double *du;             /* n_u */
    double *hws;            /* the generator's workspace */
} hyperfam;

static int hyper_open(void *fp, const pb_driver *d, size_t *n_opt)
{
    hyperfam *f = fp;
    const pb_train_opts *o = d->o;
    size_t n = d->n;
    pb_hyper *h = f->h = o->hyper;
    if (!h || h->n != n) return pb_error(PB_ERR_ARG, "%s: hypernetwork training without a hypernetwork of %s", o->label, d->m->spec);
    if (!d->m->ops->lrt_loss_grad)
        return pb_error(PB_ERR_ARG, "%s: hypernetwork training needs a model with local reparameterization (%s has none)",
                        o->label, d->m->spec);
    if (o->dropout > 0 || o->precision != PB_PRECISION_F64)
        return pb_error(PB_ERR_ARG, "%s: hypernetwork training runs in f64 without dropout", o->label);
    f->K = o->lambda_draws ? o->lambda_draws : 1;
    f->sampled = pb_calloc(n, 1);
    f->block = pb_drv_block(10, (size_t[]){2 * n, 2 * n, n, n, n, n, n, n, h->n_u, h->ws_len},
                            (double **const[]){&f->g, &f->dg, &f->s, &f->s2, &f->eps, &f->theta, &f->gt, &f->gs, &f->du,
                                               &f->hws});
    if (!f->sampled || !f->block) return pb_error(PB_ERR_NOMEM, "%s: out of memory", o->label);
    pb_model_prunable(d->m, 0, f->sampled);
    *n_opt = h->n_u;
    return PB_OK;
}

static void hyper_key(const void *fp, const pb_driver *d, char *out, size_t cap)
{
    const hyperfam *f = fp;
    snprintf(out, cap, " hyper=%s hidden=%zu n_u=%zu draws=%zu optimizer=%d clip=%.17g u=%016llx",
             pb_hyper_kind_name(f->h->kind), f->h->hidden, f->h->n_u, f->K, (int)d->o->optimizer, d->o->grad_clip,
             (unsigned long long)pb_ckpt_hash(f->h->u, f->h->n_u));
}

/* u beyond the means' constant part: the hypernetwork's initial values */
static void hyper_init(void *fp, pb_driver *d)
{
    hyperfam *f = fp;
    memcpy(d->opt.x + d->n, f->h->u + d->n, (f->h->n_u - d->n) * sizeof *d->opt.x);
}

/* Steps 1-3: a lambda, the generated q, the data term. */
static int hyper_loss(void *fp, pb_driver *d, double *loss)
{
    hyperfam *f = fp;
    size_t n = d->n;
    double lambda = pow(10.0, -1.0 + 3.0 * gsl_rng_uniform(d->rng));
    f->carried.lambda = lambda;
    pb_hyper_forward(f->h, d->opt.x, lambda, f->hws, f->g);
    const double *m = f->g, *v = f->g + n;
    for (size_t j = 0; j < n; j++) {
        f->s2[j] = exp(v[j]);
        f->s[j] = sqrt(f->s2[j]);
        f->theta[j] = m[j];
        if (!f->sampled[j]) {
            f->eps[j] = gsl_ran_gaussian_ziggurat(d->rng, 1.0);
            f->theta[j] += f->s[j] * f->eps[j];
        }
    }
    int st = pb_model_lrt_loss_grad(d->m, d->ws, f->theta, f->s2, d->X, d->y, d->b, NULL, NULL, d->rng, loss, f->gt,
                                  f->gs);
    return st;
}

/* Steps 4-5 for the loss just computed. */
static int hyper_step(hyperfam *f, pb_driver *d)
{
    size_t n = d->n;
    double scale = d->scale, N = (double)d->N, lam = f->carried.lambda, kl = 0;
    const double *m = f->g;
    for (size_t j = 0; j < n; j++) {
        double s2 = f->s2[j];
        kl += 0.5 * (s2 + m[j] * m[j] - 1 - log(s2));
        f->dg[j] = scale * f->gt[j] + lam * m[j] / N;
        f->dg[n + j] = (f->sampled[j] ? scale * f->gs[j] * s2 : scale * f->gt[j] * f->eps[j] * f->s[j] * 0.5) +
                       lam * 0.5 * (s2 - 1) / N;
    }
    f->carried.kl = kl;
    if (!isfinite(kl))
        return pb_error(PB_ERR_NUMERIC, "%s: the KL term is %g at epoch %zu", d->o->label, kl, d->epoch);
    pb_hyper_backward(f->h, d->opt.x, lam, f->hws, f->dg, f->du);
    double clip = d->o->grad_clip;
    if (clip > 0) {  /* the lambda-dependent part: du <- du min(1, clip / |du|) */
        double norm = 0, *dl = f->du + 2 * n;
        size_t nl = f->h->n_u - 2 * n;
        for (size_t j = 0; j < nl; j++) norm += dl[j] * dl[j];
        norm = sqrt(norm);
        if (norm > clip)
            for (size_t j = 0; j < nl; j++) dl[j] *= clip / norm;
    }
    pb_drv_adam(d, 0, f->h->n_u, f->du);
    return PB_OK;
}

static int hyper_update(void *fp, pb_driver *d)
{
    hyperfam *f = fp;
    int st = hyper_step(f, d);
    for (size_t k = 1; !st && k < f->K; k++) {
        double loss;
        if (!(st = hyper_loss(f, d, &loss)) && !isfinite(loss))
            st = pb_error(PB_ERR_NUMERIC, "%s: training diverged at epoch %zu (minibatch loss %g); try a smaller --lr",
                          d->o->label, d->epoch, loss);
        if (!st) st = hyper_step(f, d);
    }
    return st;
}

static double hyper_epoch_kl(const void *fp, char *note, size_t cap)
{
    const hyperfam *f = fp;
    snprintf(note, cap, " (last lambda %.3g)", f->carried.lambda);
    return f->carried.lambda * f->carried.kl;
}

/* The hypernetwork's values back into opts.hyper, and the fit generated at
 * lambda = opts.kl_weight (pb_hyper_forward). */
static int hyper_to_fit(const void *fp, const pb_driver *d, pb_fit *fit)
{
    const hyperfam *f = fp;
    const pb_train_opts *o = d->o;
    size_t n = d->n;
    memcpy(f->h->u, d->opt.x, f->h->n_u * sizeof *f->h->u);
    pb_hyper_forward(f->h, f->h->u, o->kl_weight, f->hws, f->g);
    for (size_t j = 0; j < n; j++) fit->mean[j] = f->g[j], fit->sd[j] = exp(0.5 * f->g[n + j]);
    fit->prior_mean = 0, fit->prior_sd = 1;
    fit->final_objective = d->c.objective;
    fit->noise_precision = d->c.noise_precision;
    char family[32], middle[256];
    snprintf(family, sizeof family, "hyper-%s", pb_hyper_kind_name(f->h->kind));
    snprintf(middle, sizeof middle,
             "hyper=%s hidden=%zu hyper_values=%zu lambda_draws=%zu log10_lambda=U(-1,2) input=%s prior=fixed-N(0,1) "
             "lrt=dense init_sd=%g clip=%g lambda=%g",
             pb_hyper_kind_name(f->h->kind), f->h->hidden, f->h->n_u, f->K,
             f->h->kind == PB_HYPER_LOWRANK ? "log10-lambda" : "lambda", o->init_sd, o->grad_clip, o->kl_weight);
    pb_drv_settings(d, fit, family, middle);
    return PB_OK;
}

static void hyper_close(void *fp)
{
    hyperfam *f = fp;
    free(f->block);
    free(f->sampled);
}

static const pb_carried_field hyper_carried_fields[] = {
    {"kl", offsetof(hyperfam, carried.kl)},
    {"lambda", offsetof(hyperfam, carried.lambda)},
};

const pb_family_ops pb_family_hyper_ops = {
    .name = "hyper",
    .size = sizeof(hyperfam),
    .open = hyper_open,
    .key = hyper_key,
    .init = hyper_init,
    .loss = hyper_loss,
    .update = hyper_update,
    .epoch_kl = hyper_epoch_kl,
    .to_fit = hyper_to_fit,
    .close = hyper_close,
    .carried = hyper_carried_fields,
    .n_carried = sizeof hyper_carried_fields / sizeof *hyper_carried_fields,
};
