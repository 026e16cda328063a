/* driver.h -- the training driver (driver.c) and the contract of a training
 * family (family_point.c, family_gauss.c, family_gauss_scalar.c, family_method.c,
 * family_hyper.c).
 *
 * The driver owns what every family does the same way: the run's one random
 * stream (seeded from opts.seed; the model's initial parameters are its
 * first draws), epochs and the shuffled sample order, minibatches, the
 * learning-rate schedule, Adam's step count and bias corrections, the noise
 * precision beta of an mse head, the divergence check of every minibatch
 * loss (naming the cell and the epoch), the objective per epoch, progress
 * lines, checkpoints (pause, save, resume), snapshots, and the count of
 * parameter updates (every optimized scalar once per optimizer step, in
 * pb_drv_adam*; carried in checkpoints). A family supplies
 * what differs: how many values the optimizer carries and how those beyond
 * the model's parameters start, one minibatch's loss and gradients, its KL
 * term and Adam update, the scalars it carries from one minibatch to the
 * next (named, for checkpoints), and the fit its values stand for.
 *
 * One minibatch, in this order (bitwise reproducibility rests on it):
 *   1. the driver gathers the samples: d->X, d->y, d->b;
 *   2. family->loss: draws this step's noise, evaluates the model, keeps
 *      the gradients; *loss = the batch's summed loss at noise precision 1;
 *   3. the driver: loss *= beta, a non-finite loss is an error ("training
 *      diverged at epoch E"), the epoch's loss += loss; t += 1, and sets
 *      d->scale = beta / b, d->lr_c and d->c2 for Adam step t, d->lr_t;
 *   4. family->update: the gradient of F / N (data term times d->scale,
 *      its KL term over N) and one optimizer step through pb_drv_adam*
 *      (which count the updates: every optimized scalar once per step);
 *   5. the driver pauses if asked to (saving a checkpoint).
 * After every epoch the driver takes family->epoch_kl for the objective
 *   F / N = (epoch loss + KL - [learned beta] (N/2) log beta) / N,
 * updates beta (mse head), checks the objective, prints progress, saves a
 * due checkpoint and hands out a due snapshot (family->to_fit).
 *
 * A new family is one file: a struct holding its carried scalars (a named
 * struct listed in `carried`) and work buffers, the hooks below, and one
 * row in driver.c's family table (plus its pb_family value in train.h). */
#ifndef PB_TRAIN_DRIVER_H
#define PB_TRAIN_DRIVER_H

#include <stddef.h>
#include <gsl/gsl_rng.h>
#include "base/vmath.h"
#include "formats/fit.h"
#include "models/model.h"
#include "datasets/data.h"
#include "train/train.h"

/* The optimizer's state: one allocation holding the n optimized values and
 * Adam's two moment vectors, each a named view of n values (64-byte
 * aligned). x[0 .. n_params) are the model's parameters (or their means);
 * the family lays out the rest. */
typedef struct pb_adam_state {
    size_t n;
    double *x;   /* optimized values */
    double *m1;  /* Adam's first moment */
    double *m2;  /* Adam's second moment */
} pb_adam_state;

/* What the driver carries between minibatches (checkpointed by name). */
typedef struct pb_drv_carried {
    double noise_precision;  /* beta of an mse head (1 otherwise) */
    double epoch_loss;       /* the epoch's summed minibatch losses so far, times beta */
    double objective;        /* F / N at the end of the last epoch */
    double updates;          /* optimized scalars times steps so far (pb_drv_adam*; exact below 2^53) */
} pb_drv_carried;

/* The run as a family sees it. */
typedef struct pb_driver {
    const pb_model *m;
    const pb_data *data;
    const pb_train_opts *o;
    size_t n;               /* model parameters */
    size_t N, B;            /* training samples; minibatch size */
    size_t nb, T;           /* minibatches per epoch; Adam steps in all */
    int learn_beta;         /* mse head with the empirical-Bayes noise precision */
    gsl_rng *rng;           /* the run's one random stream */
    pb_model_ws *ws;        /* model workspace for B samples */
    pb_adam_state opt;
    pb_drv_carried c;
    size_t t;               /* Adam steps done (including the one in progress) */
    /* the minibatch in progress */
    const double *X, *y;    /* its b samples */
    size_t b, epoch, bi;    /* size, epoch (from 1), index in the epoch (from 0) */
    double scale;           /* beta / b: the data term's weight in d(F / N) */
    double lr_c, c2;        /* Adam step t: lr(t) / (1 - 0.9^t) and 1 - 0.999^t */
    double lr_t;            /* lr(t): the SGD step size */
} pb_driver;

/* A scalar a family carries between minibatches: its name in checkpoints
 * and its offset in the family's struct. */
typedef struct pb_carried_field {
    const char *name;
    size_t offset;
} pb_carried_field;

typedef struct pb_family_ops {
    const char *name;
    size_t size;  /* bytes of the family's struct: zeroed by the driver, passed to every hook as f */
    /* Check the options against the model (one-line error naming
     * d->o->label), allocate work buffers, and set *n_opt, the values the
     * optimizer carries (at least d->n). Only d->m, data, o, n, N, B, nb, T
     * and learn_beta are set yet. close is called even when open fails. */
    int (*open)(void *f, const pb_driver *d, size_t *n_opt);
    /* Append to the checkpoint key the family's settings that change the
     * trajectory (" name=value ..."). */
    void (*key)(const void *f, const pb_driver *d, char *out, size_t cap);
    /* Initial values of d->opt.x beyond the model's: the driver has drawn
     * x[0 .. n) with pb_model_init and applied opts.init. Draws nothing. */
    void (*init)(void *f, pb_driver *d);
    /* Step 2 above. Errors from the model are returned as they are. */
    int (*loss)(void *f, pb_driver *d, double *loss);
    /* Step 4 above. A non-finite KL term is an error naming the epoch. */
    int (*update)(void *f, pb_driver *d);
    /* The KL term entering the epoch's objective (0 without one), and the
     * note on its progress line (e.g. " (point)"). */
    double (*epoch_kl)(const void *f, char *note, size_t cap);
    /* The fit (allocated for d->n parameters, no groups yet) as if training
     * ended now, with d->c.objective and d->c.noise_precision. */
    int (*to_fit)(const void *f, const pb_driver *d, pb_fit *fit);
    /* Free the work buffers. */
    void (*close)(void *f);
    const pb_carried_field *carried;  /* the family's carried scalars (doubles), by name */
    size_t n_carried;
} pb_family_ops;

extern const pb_family_ops pb_family_point_ops, pb_family_gauss_ops, pb_family_method_ops, pb_family_gauss_scalar_ops,
    pb_family_hyper_ops;

/* Train with family F (what pb_train_model does for opts.family); exposed
 * so that a test can drive a family of its own. */
int pb_train_family(const pb_family_ops *F, const pb_model *m, const pb_data *train, const pb_train_opts *o,
                    pb_fit *fit);

/* One optimizer step (Adam step d->t, or SGD x <- x - lr(t) g when
 * opts.optimizer is PB_OPT_SGD) on x[off .. off + len) with gradient g (len
 * values); counts len updates in d->c.updates. */
static inline void pb_drv_adam(pb_driver *d, size_t off, size_t len, const double *g)
{
    d->c.updates += (double)len;
    if (d->o->optimizer == PB_OPT_SGD) {
        double *x = d->opt.x + off, lr = d->lr_t;
        for (size_t i = 0; i < len; i++) x[i] -= lr * g[i];
        return;
    }
    pb_adam_update(len, d->opt.x + off, g, d->opt.m1 + off, d->opt.m2 + off, d->lr_c, d->c2);
}

/* The same with the gradient g = a ga .* gm + b gb assembled in the pass
 * (vmath.h pb_adam_update_lin: gm NULL for ones, gb NULL for zeros). */
static inline void pb_drv_adam_lin(pb_driver *d, size_t off, size_t len, double a, const double *ga,
                                   const double *gm, double b, const double *gb)
{
    d->c.updates += (double)len;
    if (d->o->optimizer == PB_OPT_SGD) {
        double *x = d->opt.x + off, lr = d->lr_t;
        for (size_t i = 0; i < len; i++) x[i] -= lr * (a * ga[i] * (gm ? gm[i] : 1.0) + (gb ? b * gb[i] : 0.0));
        return;
    }
    pb_adam_update_lin(len, d->opt.x + off, d->opt.m1 + off, d->opt.m2 + off, d->lr_c, d->c2, a, ga, gm, b, gb);
}

/* Work buffers in one allocation: pb_drv_block(k, lens, views) allocates
 * the k arrays of lens[i] doubles (zeroed, each 64-byte aligned) and points
 * *views[i] at them; returns the block to free() (NULL when out of memory;
 * views of length 0 are NULL). */
double *pb_drv_block(size_t k, const size_t *lens, double **const *views);

/* fit->family and fit->settings: "family=F epochs= batch= optimizer=adam|sgd
 * lr= lr_decay= <middle> noise=...", the settings every family records
 * around its own. */
void pb_drv_settings(const pb_driver *d, pb_fit *fit, const char *family, const char *middle);

#endif
