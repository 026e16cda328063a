/* family_point.c -- the point-estimate family (train.h): minimize
 *   (1/N) L(w) + (wd/2) |w|^2
 * over the n parameters, optionally with binary dropout of a recurrent
 * model's input and hidden groups (a Bernoulli(1 - p) / (1 - p) multiplier
 * per sample and group, shared in time). The optimizer carries w alone. */
#include "train/driver.h"
#include "base/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <gsl/gsl_rng.h>

typedef struct point {
    size_t nv;        /* variable groups (dropout only; 0 without) */
    double *block;    /* the work buffers below */
    double *gw;       /* n: gradient of the batch's summed loss */
    double *g;        /* n: gradient of F / N */
    double *Z;        /* B x nv: dropout multipliers */
} point;

static int point_open(void *fp, const pb_driver *d, size_t *n_opt)
{
    point *f = fp;
    const pb_model *m = d->m;
    const pb_train_opts *o = d->o;
    if (o->dropout > 0 && (!pb_model_has(m, PB_CAP_GROUP_LOSS) || !(o->dropout < 1)))
        return pb_error(PB_ERR_ARG, "%s: dropout (%g) needs point training, p < 1 and a model with group multipliers in its point loss", o->label,
                        o->dropout);
    f->nv = o->dropout > 0 ? m->n_variable_groups : 0;
    f->block = pb_drv_block(3, (size_t[]){d->n, d->n, d->B * f->nv}, (double **const[]){&f->gw, &f->g, &f->Z});
    if (!f->block) return pb_error(PB_ERR_NOMEM, "%s: out of memory", o->label);
    *n_opt = d->n;
    return PB_OK;
}

static void point_key(const void *fp, const pb_driver *d, char *out, size_t cap)
{
    (void)fp;
    snprintf(out, cap, " weight_decay=%.17g dropout=%.17g", d->o->weight_decay, d->o->dropout);
}

static void point_init(void *fp, pb_driver *d) { (void)fp, (void)d; }

/* Per-sample group multipliers Z (b x nv): dropout masks of the input and
 * hidden groups (Bernoulli(1 - p) / (1 - p)), 1 for every other group. */
static void dropout_masks(const pb_model *m, double p, size_t b, gsl_rng *rng, double *Z)
{
    size_t nv = m->n_variable_groups;
    for (size_t i = 0; i < b; i++)
        for (size_t k = 0; k < nv; k++) {
            pb_group_kind kind = m->groups[m->variable_group[k]].kind;
            int drops = kind == PB_GROUP_INPUT_NEURON || kind == PB_GROUP_HIDDEN_NEURON;
            Z[i * nv + k] = !drops ? 1.0 : gsl_rng_uniform(rng) < p ? 0.0 : 1.0 / (1.0 - p);
        }
}

static int point_loss(void *fp, pb_driver *d, double *loss)
{
    point *f = fp;
    if (f->nv) dropout_masks(d->m, d->o->dropout, d->b, d->rng, f->Z);
    return pb_model_loss_grad(d->m, d->ws, d->opt.x, d->X, d->y, d->b, f->Z, NULL, loss, f->gw);
}

/* g = scale gw + wd w */
static int point_update(void *fp, pb_driver *d)
{
    point *f = fp;
    const double *w = d->opt.x;
    for (size_t j = 0; j < d->n; j++) f->g[j] = d->scale * f->gw[j] + d->o->weight_decay * w[j];
    pb_drv_adam(d, 0, d->n, f->g);
    return PB_OK;
}

static double point_epoch_kl(const void *fp, char *note, size_t cap)
{
    (void)fp;
    snprintf(note, cap, " (point)");
    return 0;
}

static int point_to_fit(const void *fp, const pb_driver *d, pb_fit *fit)
{
    (void)fp;
    for (size_t j = 0; j < d->n; j++) fit->mean[j] = d->opt.x[j], fit->sd[j] = 0;
    fit->prior_mean = 0;
    fit->prior_sd = 0;
    fit->final_objective = d->c.objective;
    fit->noise_precision = d->c.noise_precision;
    char middle[160];
    snprintf(middle, sizeof middle, "init_sd=%g prior_mean=none weight_decay=%g dropout=%g", 0.0, d->o->weight_decay,
             d->o->dropout);
    pb_drv_settings(d, fit, "point", middle);
    return PB_OK;
}

static void point_close(void *fp) { free(((point *)fp)->block); }

const pb_family_ops pb_family_point_ops = {
    .name = "point",
    .size = sizeof(point),
    .open = point_open,
    .key = point_key,
    .init = point_init,
    .loss = point_loss,
    .update = point_update,
    .epoch_kl = point_epoch_kl,
    .to_fit = point_to_fit,
    .close = point_close,
    .carried = NULL,
    .n_carried = 0,
};
