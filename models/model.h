/* model.h -- one interface over the suite's models (mlp.h, rnn.h), for the
 * parts of the harness that do not care which network they train or score:
 * training (train.h), evaluation (p1.h), removal orders and the group
 * structure protocol. Services that only exist for MLPs (Hessians, Laplace
 * posteriors, CSR export) take m->mlp and refuse other models.
 *
 * Spec strings: "mlp:..." (mlp.h), "lstm:..." and "rnn:..." (rnn.h).
 * Parameters live in one flat buffer of n_params doubles; tensors and groups
 * (layout.h) name its views. X rows hold in_dim doubles per sample; outputs
 * are out_dim per sample. The loss is the negative log-likelihood summed over
 * samples with the model's head at noise precision 1 (callers scale for
 * another precision: every term of the mse head is linear in it).
 */
#ifndef PB_MODEL_H
#define PB_MODEL_H

#include <stddef.h>
#include <gsl/gsl_rng.h>
#include "models/layout.h"
#include "models/mlp.h"
#include "models/rnn.h"

typedef enum pb_model_kind { PB_MODEL_MLP, PB_MODEL_RNN } pb_model_kind;

typedef struct pb_model {
    pb_model_kind kind;
    char spec[128];
    pb_head head;
    size_t n_params, in_dim, out_dim;
    size_t n_tensors;
    const pb_tensor *tensors;
    size_t n_groups;
    const pb_group *groups;
    size_t n_variable_groups;   /* groups with the variable flag (layout.h) */
    size_t *variable_group;     /* their indices in groups[], in table order */
    pb_mlp *mlp;                /* the MLP (kind MLP), else NULL */
    pb_rnn *rnn;                /* the recurrent network (kind RNN), else NULL */
} pb_model;

int pb_model_parse(const char *spec, pb_model **out);
void pb_model_free(pb_model *m);

/* Initial parameters drawn from rng (the model's own scheme). */
void pb_model_init(const pb_model *m, double *w, const gsl_rng *rng);

/* Noise precision of an mse head used by pb_model_predict's callers that
 * compute likelihoods (1 after parsing). */
void pb_model_set_noise_precision(pb_model *m, double beta);

/* Prunable set: entries of non-bias tensors, plus biases when include_biases.
 * Returns the count. */
size_t pb_model_prunable(const pb_model *m, int include_biases, unsigned char *mask);

typedef struct pb_model_ws pb_model_ws;
pb_model_ws *pb_model_ws_alloc(const pb_model *m, size_t batch);
void pb_model_ws_free(pb_model_ws *ws);

/* loss = sum over N samples of -log p(y_i | x_i, w) at noise precision 1;
 * grad (n_params) overwritten if not NULL. Z (N x n_variable_groups), if not
 * NULL, multiplies each sample's variable groups (layout.h); dZ (same shape),
 * if not NULL, receives dloss/dZ. */
int pb_model_loss_grad(const pb_model *m, pb_model_ws *ws, const double *w, const double *X, const double *y,
                       size_t N, const double *Z, double *dZ, double *loss, double *grad);

/* The step of a method that asks for the local reparameterization trick:
 * weights N(theta, sigma2). MLP (mlp_lrt.h): every layer samples its
 * pre-activations. Recurrent model (pb_rnn_vd_loss_grad): the recurrent
 * weights take one sample shared by the batch and all steps, the dense head
 * samples its pre-activations. Noise from rng; dtheta, dsigma2 overwritten;
 * N at most the workspace batch. Z and dZ as in pb_model_loss_grad. */
int pb_model_lrt_loss_grad(const pb_model *m, pb_model_ws *ws, const double *theta, const double *sigma2,
                           const double *X, const double *y, size_t N, const double *Z, double *dZ, gsl_rng *rng,
                           double *loss, double *dtheta, double *dsigma2);

/* Outputs for N samples (N x out_dim): class probabilities (ce) or
 * predictions (mse). */
int pb_model_predict(const pb_model *m, pb_model_ws *ws, const double *w, const double *X, size_t N, double *out);

/* Optional services a model may offer. The harness asks for a capability,
 * never for a model kind; a service a model lacks is refused before work
 * starts, in one line (pb_model_require). */
typedef enum pb_model_capability {
    PB_CAP_CURVATURE,   /* exact and Gauss-Newton Hessian-vector products and diagonals */
    PB_CAP_CSR,         /* a pruned network as CSR layers with sparse inference (export) */
    PB_CAP_COMPACT,     /* a physically smaller network without removed groups (protocol P4) */
    PB_CAP_COUNT
} pb_model_capability;

/* Short name of a capability ("curvature", "csr", "compact"). */
const char *pb_model_capability_name(pb_model_capability cap);

/* 1 if m offers cap. */
int pb_model_has(const pb_model *m, pb_model_capability cap);

/* PB_OK if m offers cap; else PB_ERR_ARG with the line
 * "<what> needs <capability description>, which model '<spec>' does not offer". */
int pb_model_require(const pb_model *m, pb_model_capability cap, const char *what);

/* Name of the tensor that holds parameter j ("?" if none). */
const char *pb_model_tensor_of(const pb_model *m, size_t j);

/* Short name of a group kind: "input", "output", "hidden", "gate", "vocabulary". */
const char *pb_group_kind_name(pb_group_kind k);

#endif
