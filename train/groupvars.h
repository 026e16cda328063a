/* groupvars.h -- group variables on top of a method's family
 * (plugins/prunebench.h pb_training.group_variables; family_method.c).
 *
 * Every variable group k of the model (models/layout.h) gets a multiplier
 *   z_k = theta_z + sigma_z eps,  eps ~ N(0, 1) drawn per sample (per
 * sequence, shared in time),
 * trained by Adam over (theta_z | log sigma_z^2), two views of nv values
 * in the optimizer at offset `off`, under the method's KL and warm-up; they
 * start at theta_z = 1 and the method's initial log sigma^2. The fit holds
 * the effective weights (each group member times its groups' theta_z; sd
 * times |theta_z|) and the group variables. */
#ifndef PB_TRAIN_GROUPVARS_H
#define PB_TRAIN_GROUPVARS_H

#include "train/driver.h"

typedef struct pb_groupvars {
    size_t nv, off;     /* variable groups; offset of theta_z in the optimizer (log sigma_z^2 follows) */
    double *block;      /* the work buffers below */
    double *Z, *dZ;     /* B x nv: this minibatch's multipliers z; dloss/dz */
    double *ez;         /* B x nv: their noise */
    double *sz;         /* nv: sigma_z */
    double *dkt, *dkr;  /* nv: dKL/dtheta_z, dKL/dlog sigma_z^2 */
    double *g;          /* 2 nv: gradient of F / N over (theta_z | log sigma_z^2) */
} pb_groupvars;

/* Work buffers for the model's variable groups in minibatches of B, placed
 * at optimizer offset off. gv->nv = 0 (and nothing else to do) for a model
 * without variable groups. */
int pb_groupvars_open(pb_groupvars *gv, const pb_model *m, size_t B, size_t off, const char *label);
void pb_groupvars_close(pb_groupvars *gv);
/* theta_z = 1, log sigma_z^2 = init_log_sigma2. */
void pb_groupvars_init(const pb_groupvars *gv, double *x, double init_log_sigma2);
/* sigma_z and the multipliers Z of b samples (b x nv draws, sample-major). */
void pb_groupvars_sample(pb_groupvars *gv, const double *x, size_t b, gsl_rng *rng);
/* The method's KL term of the group variables (and its gradients). */
double pb_groupvars_kl(pb_groupvars *gv, const pb_training *tr, void *state, const double *x);
/* The gradient of F / N from dZ of b samples: data term times scale, KL times kscale. */
void pb_groupvars_grad(pb_groupvars *gv, size_t b, double scale, double kscale);
/* The groups' part of the fit: scales the members of fit->mean, fit->sd. */
int pb_groupvars_fit(const pb_groupvars *gv, const pb_model *m, const double *x, pb_fit *fit);

#endif
