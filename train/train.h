/* train.h -- point-estimate and variational training of a model (model.h:
 * MLP or recurrent network) with Adam (Kingma & Ba 2015) or plain SGD.
 *
 * Code: one driver (driver.c) runs epochs, minibatches, the step-size
 * schedule, Adam, divergence checks, checkpoints, snapshots and progress
 * for every family; each family is one file behind the hook table of
 * driver.h (family_point.c, family_gauss.c, family_gauss_scalar.c,
 * family_method.c; group
 * variables in groupvars.c). driver.h states the contract.
 *
 * Point estimate: minimize (1/N) L(w) + (wd/2) |w|^2 over minibatches.
 * Gaussian variational base fit (PROTOCOLS.md "Base fit"): q(w) = N(m, diag s^2)
 * (gauss-diag; gauss-scalar, family_gauss_scalar.c: N(m, s^2 I), one s,
 * optionally one weight sample per object, sample_per_object),
 * prior p(w) = N(mu 1, sigma_p^2 I). Per minibatch of B samples, one weight
 * sample w = m + s .* eps is shared by the batch and we minimize
 *   F = (N/B) sum_{i in batch} l_i(w) + KL(q || p)
 * over (m, r = log s), with KL in closed form:
 *   KL = sum_j [ log(sigma_p / s_j) + (s_j^2 + (m_j - mu)^2) / (2 sigma_p^2) - 1/2 ].
 * After every minibatch the prior is set to its empirical-Bayes optimum
 *   mu <- mean_j m_j (or held at 0),  sigma_p^2 <- mean_j ((mu - m_j)^2 + s_j^2).
 * For a squared-error head the likelihood is N(y | f, 1/beta) and the loss
 * term is beta sum 0.5 r^2 - (N/2) log beta; after every epoch beta is set to
 * its empirical-Bayes optimum N / sum_i E_q r_i^2 (estimated by the epoch's
 * minibatch residuals), unless fixed_noise.
 * Method family (PB_FAMILY_METHOD, plugins/prunebench.h pb_training): the
 * weight entries get w = theta + sigma eps with the method's KL and warm-up,
 * biases stay point estimates. When the method asks for the local
 * reparameterization trick, dense layers use it (models/mlp_lrt.h, and the
 * dense head of a recurrent model); recurrent layers cannot (seed 001 §4.1):
 * they draw one weight sample per minibatch, shared by every sequence and
 * time step (pb_model_lrt_loss_grad). A method that does not ask for it gets
 * one sample of all weights per minibatch. When the method asks for
 * group variables (pb_training.group_variables), every variable group k of
 * the model (layout.h) gets z_k = theta_z + sigma_z eps with eps drawn per
 * sample (per sequence, shared in time), initialized at theta_z = 1 and the
 * method's init log sigma^2, under the same KL and warm-up; the fit stores
 * the effective weights (the weights times their groups' theta_z) and the
 * group variables.
 * Point estimates may use binary dropout (dropout > 0): every sample's input
 * and hidden groups are multiplied by Bernoulli(1 - p) / (1 - p), one draw per
 * sequence shared in time (recurrent models only).
 * Adam steps use the objective divided by N, so lr is scale-free.
 * Precision (opts.precision, recorded in the fit's settings): with f32 the
 * model's forward and backward passes (the matrix products and activations)
 * run in float on float copies of the step's parameters and samples; the
 * optimizer's values and moments, the KL terms and the prior stay double
 * (model.h pb_model_ws_alloc_precision), so the fit is stored in double.
 *
 * Seed 003 (protocol P5): gauss-diag takes a KL weight lambda, a prior held
 * at N(0, 1), SGD, the local reparameterization trick and a start from a
 * fit's means and sds (family_gauss.c); a hypernetwork family
 * (family_hyper.c, hyper.h) trains a generator of the whole posterior from
 * lambda; the driver counts parameter updates and, on request, records them
 * and the generalized evidence (evidence.c) in the fit's settings.
 *
 * Checkpoints (formats/checkpoint.h): with opts.checkpoint set, the run's state is
 * saved there at the end of an epoch once checkpoint_seconds have passed
 * since the last save (0: after every epoch), and when it is paused
 * (stop_after_steps reached, or *interrupt set, checked after every
 * minibatch); a paused run returns PB_PAUSED. A run that finds a checkpoint
 * of itself resumes from it; the result is bitwise the same as without the
 * pause. The caller removes the checkpoint once the fit is saved.
 */
#ifndef PB_TRAIN_H
#define PB_TRAIN_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include "formats/fit.h"
#include "plugins/prunebench.h"
#include "models/mlp.h"
#include "models/model.h"
#include "datasets/data.h"

/* Each value is one family file and one row of driver.c's family table. */
typedef enum pb_family {
    PB_FAMILY_POINT,        /* point estimate (family_point.c) */
    PB_FAMILY_GAUSS_DIAG,   /* the shared Gaussian base fit, empirical-Bayes prior (family_gauss.c) */
    PB_FAMILY_METHOD,       /* a method's own family, pb_training of a plugin (family_method.c) */
    PB_FAMILY_GAUSS_SCALAR, /* the scalar ("I") posterior N(m, alpha I), same prior (family_gauss_scalar.c) */
    PB_FAMILY_HYPER         /* a hypernetwork generating N(m, diag s^2) from lambda (family_hyper.c, hyper.h) */
} pb_family;

/* The optimizer of every family's steps (driver.h pb_drv_adam): Adam, or
 * plain SGD x <- x - lr(t) g (seed 003 §4). */
typedef enum pb_optimizer { PB_OPT_ADAM, PB_OPT_SGD } pb_optimizer;

struct pb_hyper;

/* Monte-Carlo draws of pb_train_evidence by default (`train --evidence`). */
#define PB_EVIDENCE_SAMPLES 8

typedef struct pb_train_opts {
    pb_family family;
    pb_precision precision;     /* of the model's products (model.h: mixed precision, the optimizer in double) */
    size_t epochs, batch;       /* batch 0: full batch */
    double lr;                  /* Adam step size */
    double weight_decay;        /* point estimate only */
    double dropout;             /* point estimate of a recurrent model: drop probability of inputs and hidden units */
    double init_sd;             /* initial posterior sd (variational) */
    int fix_prior_mean;         /* hold mu = 0 (sigma_p still updated) */
    int sample_per_object;      /* gauss-scalar: one weight sample per object (shared by its time steps), not per minibatch */
    int fixed_noise;            /* mse head: keep beta = 1 instead of its empirical-Bayes update */
    /* Seed 003 (protocol P5); each recorded in the fit's settings only when
     * not at its default, so fits without them are unchanged. */
    double kl_weight;           /* lambda: F = data term + lambda KL (gauss-diag; default 1) */
    int prior_fixed;            /* gauss-diag: the prior held at N(0, 1), no empirical-Bayes update */
    pb_optimizer optimizer;     /* default Adam */
    int lrt;                    /* gauss-diag: local reparameterization on dense layers (biases sampled per minibatch) */
    const double *init_sd_vec;  /* gauss-diag: initial sd per parameter (n_params, all > 0; with init: fine-tuning), or NULL */
    /* The P5 record: when set, the fit's settings end with
     * " updates=U" (optimized scalars times steps, counted where the steps
     * are taken) and, with evidence_samples > 0 (gauss-diag),
     * " lgen=L elogl=E kl=K lgen_samples=S" (pb_train_evidence on the
     * training data, seeded from seed). */
    int p5_record;
    size_t evidence_samples;
    struct pb_hyper *hyper;     /* PB_FAMILY_HYPER: the hypernetwork trained (hyper.h; its values are written back) */
    size_t lambda_draws;        /* PB_FAMILY_HYPER: steps per minibatch, each with its own lambda (0: 1) */
    double grad_clip;           /* PB_FAMILY_HYPER: the step's gradient scaled to L2 norm at most this (0: never) */
    uint64_t seed;              /* initialization, shuffling and weight noise */
    const double *init;         /* initial means (n_params), or NULL for pb_mlp_init */
    const pb_training *training;/* PB_FAMILY_METHOD: the method's family and its state */
    void *training_state;
    int lr_decay;               /* 1: lr decays linearly to 0 over the second half of the epochs */
    const char *label;          /* names the cell in progress and error lines */
    int progress;               /* print progress lines to stderr */
    const char *checkpoint;     /* path of the resumable state, or NULL for none */
    double checkpoint_seconds;  /* least time between two end-of-epoch saves (0: every epoch) */
    const char *checkpoint_key; /* what else identifies the run (a method's settings), or NULL */
    size_t stop_after_steps;    /* pause after this many Adam steps in all (0: never); without a checkpoint: stop */
    volatile sig_atomic_t *interrupt; /* when set to nonzero (a signal handler): pause after the current minibatch */
    /* Snapshots: after every snapshot_every-th epoch (not the last), the fit
     * as it would be if training ended there, handed to snapshot (which
     * does not keep it; nonzero return stops training with that status). */
    size_t snapshot_every;
    int (*snapshot)(void *ctx, const pb_fit *fit, size_t epoch);
    void *snapshot_ctx;
    /* The objective per epoch: after every epoch, on_epoch(ctx, epoch,
     * objective, kl) with the epoch's objective F / N (for the Gaussian
     * families the negative evidence lower bound per sample, its data term
     * summed over the epoch's minibatches) and its KL term / N (NULL: none;
     * nonzero return stops training with that status). */
    int (*on_epoch)(void *ctx, size_t epoch, double objective, double kl);
    void *on_epoch_ctx;
} pb_train_opts;

void pb_train_opts_default(pb_train_opts *o);

/* Train m on `train`; fills fit->mean, fit->sd, prior and final objective,
 * and fit->init with the weights training started from (fit must be
 * allocated with m->n_params). A non-finite loss stops training
 * with an error naming the cell and the epoch. */
int pb_train_model(const pb_model *m, const pb_data *train, const pb_train_opts *o, pb_fit *fit);
/* The same for an MLP description. */
int pb_train(const pb_mlp *m, const pb_data *train, const pb_train_opts *o, pb_fit *fit);

/* The generalized evidence of seed 003 eq. 3 for q = N(mean, diag sd^2)
 * and the prior N(prior_mean, prior_sd^2 I):
 *   Lgen = E_q log p(D|w) - lambda KL(q || p),
 * E_q by S Monte-Carlo draws of all n weights w = mean + sd .* eps (eps from
 * a stream seeded with seed), each on every sample of `data` (at noise
 * precision 1); *elogl and *kl get the two terms (either may be NULL). */
int pb_train_evidence(const pb_model *m, const pb_data *data, const double *mean, const double *sd, double prior_mean,
                      double prior_sd, double lambda, size_t S, uint64_t seed, double *lgen, double *elogl, double *kl);

/* Closed-form KL(N(m, diag s^2) || N(mu, sp^2 I)) and its gradients with
 * respect to m and r = log s (either may be NULL). */
double pb_kl_gauss_diag(size_t n, const double *m, const double *s, double mu, double sp,
                        double *dm, double *dr);
/* Empirical-Bayes prior update (see above). */
void pb_prior_update(size_t n, const double *m, const double *s, int fix_mean, double *mu, double *sp);
/* The scalar posterior N(m, s^2 I) (family_gauss_scalar.c): its KL against
 * N(mu, sp^2 I) with the gradients wrt m (dm, n values) and r = log s
 * (*dr), either may be NULL; and the empirical-Bayes prior given it,
 * mu <- mean_j m_j (or 0), sp^2 <- mean_j (m_j - mu)^2 + s^2. */
double pb_kl_gauss_scalar(size_t n, const double *m, double s, double mu, double sp, double *dm, double *dr);
void pb_prior_update_scalar(size_t n, const double *m, double s, int fix_mean, double *mu, double *sp);

#endif
