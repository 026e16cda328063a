/* model.h -- one interface over the suite's models, for the parts of the
 * harness that do not care which network they train or score: training,
 * evaluation, removal orders, the plugin host, the protocols.
 *
 * A model is one file that fills a pb_model_ops table (below) and one row of
 * the registry (models/registry.c), which maps a spec prefix ("mlp", "lstm",
 * "rnn", ...) to the table. pb_model_parse finds the row by the spec's
 * prefix; the harness calls the pb_model_* functions, which dispatch through
 * the table. Services only some models offer (curvature, CSR export,
 * compaction, group multipliers in the point loss) are nullable entries:
 * the harness asks pb_model_has / pb_model_require for a capability, never
 * for a model kind, and refuses a missing one before work starts.
 *
 * Parameters live in one flat buffer of n_params doubles; tensors and groups
 * (layout.h) name its views. X rows hold in_dim doubles per sample; outputs
 * are out_dim per sample; y holds one label per sample (ce head, labels
 * 0..out_dim-1 stored as doubles) or out_dim targets (mse head). The loss is
 * the negative log-likelihood summed over samples with the model's head at
 * noise precision 1 unless set (callers scale for another precision: every
 * term of the mse head is linear in it).
 */
#ifndef PB_MODEL_H
#define PB_MODEL_H

#include <stddef.h>
#include <stdio.h>
#include <gsl/gsl_rng.h>
#include "models/layout.h"
#include "models/mlp.h"

typedef struct pb_model_ops pb_model_ops;
typedef struct pb_model_ops_f32 pb_model_ops_f32;

/* The precision a model is trained in. Fits, Hessians, posteriors and
 * evaluation are double whatever the training precision (a float-trained
 * fit's values are stored as doubles). */
typedef enum pb_precision { PB_PRECISION_F64, PB_PRECISION_F32 } pb_precision;
/* "f64" / "f32" */
const char *pb_precision_name(pb_precision p);
/* "f64" or "f32" (also "double" and "float") into *p; PB_ERR_ARG in one line otherwise. */
int pb_precision_parse(const char *s, pb_precision *p);

typedef struct pb_model {
    char spec[128];
    pb_head head;
    size_t n_params, in_dim, out_dim;
    size_t n_tensors;
    const pb_tensor *tensors;
    size_t n_groups;
    const pb_group *groups;
    size_t n_variable_groups;   /* groups with the variable flag (layout.h) */
    size_t *variable_group;     /* their indices in groups[], in table order */
    const pb_model_ops *ops;    /* the model's table */
    void *impl;                 /* the model's own description (its file's type) */
} pb_model;

/* A model's workspace and its compact network are the model's own types
 * behind these handles. */
typedef struct pb_model_ws pb_model_ws;
typedef struct pb_model_compact pb_model_compact;

/* What a model file provides. `ws` arguments are the model's own workspace
 * (what its ws_alloc returned); `impl` is m->impl. Entries marked optional
 * may be NULL: the capability is then absent. */
struct pb_model_ops {
    /* Parse spec (it starts with the registry row's prefix and ':'): set
     * m->impl, head, n_params, in_dim, out_dim, the tensor and group tables.
     * On failure one line through pb_error; m->impl NULL or freeable. */
    int (*parse)(const char *spec, pb_model *m);
    void (*free)(void *impl);
    /* Initial parameters drawn from rng (the model's own scheme). */
    void (*init)(const pb_model *m, double *w, const gsl_rng *rng);
    /* Noise precision beta of an mse head (1 after parsing). */
    void (*set_noise_precision)(pb_model *m, double beta);
    /* Scratch space for batches of up to `batch` samples. */
    void *(*ws_alloc)(const pb_model *m, size_t batch);
    void (*ws_free)(void *ws);
    /* loss = sum over N samples of -log p(y_i | x_i, w); grad (n_params)
     * overwritten if not NULL. N may exceed the workspace batch. */
    int (*loss_grad)(const pb_model *m, void *ws, const double *w, const double *X, const double *y, size_t N,
                     double *loss, double *grad);
    /* The variational step of a method that asks for the local
     * reparameterization trick: weights N(theta, sigma2), noise from rng,
     * N at most the workspace batch, dtheta and dsigma2 overwritten; Z
     * (N x n_variable_groups, or NULL) multiplies each sample's variable
     * groups, dZ (or NULL) receives dloss/dZ. */
    int (*lrt_loss_grad)(const pb_model *m, void *ws, const double *theta, const double *sigma2, const double *X,
                         const double *y, size_t N, const double *Z, double *dZ, gsl_rng *rng, double *loss,
                         double *dtheta, double *dsigma2);
    /* Outputs for N samples (N x out_dim): class probabilities (ce) or
     * predictions (mse). */
    int (*predict)(const pb_model *m, void *ws, const double *w, const double *X, size_t N, double *out);
    /* Can the model read this data (in_dim doubles per sample, n_classes
     * classes or 0 for a regression task, vocab the vocabulary of token-id
     * data or 0 for real values)? Called by pb_model_check_data after its
     * generic checks (in_dim, head, class count). PB_OK or one line. NULL:
     * real-valued data only. */
    int (*check_data)(const pb_model *m, size_t in_dim, size_t n_classes, size_t vocab);
    /* FLOPs of the matrix products of one sample's forward pass, 2 per
     * multiply-add. */
    double (*forward_flops)(const pb_model *m);

    /* optional: the point loss with per-sample group multipliers Z and dZ
     * as in lrt_loss_grad (PB_CAP_GROUP_LOSS; dropout) */
    int (*group_loss_grad)(const pb_model *m, void *ws, const double *w, const double *X, const double *y, size_t N,
                           const double *Z, double *dZ, double *loss, double *grad);
    /* optional, all three or none (PB_CAP_CURVATURE): out = H v with H the
     * exact Hessian (exact) or the Gauss-Newton matrix; diag(H) or diag(G);
     * the full Gauss-Newton matrix G (n_params x n_params, row-major) */
    int (*hessian_vec)(const pb_model *m, void *ws, const double *w, const double *X, const double *y, size_t N,
                       const double *v, int exact, double *out);
    int (*hessian_diag)(const pb_model *m, void *ws, const double *w, const double *X, const double *y, size_t N,
                        int exact, double *diag);
    int (*gn_matrix)(const pb_model *m, void *ws, const double *w, const double *X, const double *y, size_t N,
                     double *G);
    /* optional (PB_CAP_CSR): the network as a stack of dense layers in
     * mlp.h's description, which the CSR form (formats/csr.h) stores */
    const pb_mlp *(*dense_layers)(const pb_model *m);
    /* optional, all four or none (PB_CAP_COMPACT): a physically smaller
     * network without the removed groups of w (removed parameters exactly
     * 0), its outputs, its sizes (layout.h) and the constant gates of its
     * kept units (pb_model_gate_constants; may be NULL within the set) */
    int (*compact_build)(const pb_model *m, const double *w, void **out);
    int (*compact_predict)(const void *c, const double *X, size_t N, double *out);
    int (*compact_structure)(const void *c, pb_structure *s);
    void (*compact_free)(void *c);
    int (*gate_constants)(const void *c, size_t *n_units, size_t *n_gates, size_t *unit, int *is_const,
                          double *value);
    /* optional (PB_CAP_FLOAT32): the training entries in float */
    const pb_model_ops_f32 *f32;
};

/* The float training path of a model: ws_alloc, ws_free, loss_grad,
 * lrt_loss_grad and group_loss_grad (optional, as above) on float buffers,
 * with the contracts of the double entries; the loss is summed in double.
 * A model file gets them by compiling its training kernels for both
 * precisions (base/real.h), not by a second copy. */
struct pb_model_ops_f32 {
    void *(*ws_alloc)(const pb_model *m, size_t batch);
    void (*ws_free)(void *ws);
    int (*loss_grad)(const pb_model *m, void *ws, const float *w, const float *X, const float *y, size_t N,
                     double *loss, float *grad);
    int (*lrt_loss_grad)(const pb_model *m, void *ws, const float *theta, const float *sigma2, const float *X,
                         const float *y, size_t N, const float *Z, float *dZ, gsl_rng *rng, double *loss,
                         float *dtheta, float *dsigma2);
    int (*group_loss_grad)(const pb_model *m, void *ws, const float *w, const float *X, const float *y, size_t N,
                           const float *Z, float *dZ, double *loss, float *grad);
};

/* ---- the registry (models/registry.c) ---- */

/* The ops of the model whose spec starts with "<prefix>:", or NULL. */
const pb_model_ops *pb_model_lookup(const char *spec);
/* One line per registered model: four spaces, the form of its spec, a
 * short description (for `help`). */
void pb_model_list(FILE *f);
/* "mlp:..., lstm:... or rnn:..." (every prefix), for messages. */
const char *pb_model_prefixes(void);

/* ---- the interface ---- */

/* Parse a spec through the registry; an unknown prefix fails naming the
 * known ones. Free with pb_model_free. */
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

pb_model_ws *pb_model_ws_alloc(const pb_model *m, size_t batch);
/* A workspace whose loss_grad and lrt_loss_grad run in precision p. The
 * callers' buffers stay double: with PB_PRECISION_F32 the inputs (w or theta and
 * sigma2, X, y, Z) are rounded to float on every call and the gradients
 * widened back, so the optimizer keeps double parameters and moments
 * (mixed precision: the products run in float, the updates accumulate in
 * double). PB_PRECISION_F32 needs PB_CAP_FLOAT32 (refused in one line). predict and
 * the curvature services on such a workspace run in double. */
pb_model_ws *pb_model_ws_alloc_precision(const pb_model *m, size_t batch, pb_precision p);
void pb_model_ws_free(pb_model_ws *ws);

/* loss = sum over N samples of -log p(y_i | x_i, w) at noise precision 1;
 * grad (n_params) overwritten if not NULL. Z (N x n_variable_groups), if not
 * NULL, multiplies each sample's variable groups (layout.h); dZ (same shape),
 * if not NULL, receives dloss/dZ. Z or dZ need PB_CAP_GROUP_LOSS. */
int pb_model_loss_grad(const pb_model *m, pb_model_ws *ws, const double *w, const double *X, const double *y,
                       size_t N, const double *Z, double *dZ, double *loss, double *grad);

/* The step of a method that asks for the local reparameterization trick:
 * weights N(theta, sigma2) (ops->lrt_loss_grad). N at most the workspace
 * batch. */
int pb_model_lrt_loss_grad(const pb_model *m, pb_model_ws *ws, const double *theta, const double *sigma2,
                           const double *X, const double *y, size_t N, const double *Z, double *dZ, gsl_rng *rng,
                           double *loss, double *dtheta, double *dsigma2);

/* Outputs for N samples (N x out_dim): class probabilities (ce) or
 * predictions (mse). */
int pb_model_predict(const pb_model *m, pb_model_ws *ws, const double *w, const double *X, size_t N, double *out);

/* Can m read data with in_dim doubles per sample, n_classes classes (0 for
 * a regression task) and a vocabulary of vocab token ids (0: real values)?
 * PB_OK or one line naming the model and what differs. */
int pb_model_check_data(const pb_model *m, size_t in_dim, size_t n_classes, size_t vocab);

/* FLOPs of the matrix products of one sample's forward pass. */
double pb_model_forward_flops(const pb_model *m);

/* Optional services a model may offer. The harness asks for a capability,
 * never for a model kind; a service a model lacks is refused before work
 * starts, in one line (pb_model_require). */
typedef enum pb_model_capability {
    PB_CAP_CURVATURE,   /* exact and Gauss-Newton Hessian-vector products and diagonals */
    PB_CAP_CSR,         /* a pruned network as CSR layers with sparse inference (export) */
    PB_CAP_COMPACT,     /* a physically smaller network without removed groups (protocol P4) */
    PB_CAP_GROUP_LOSS,  /* per-sample group multipliers in the point loss (dropout) */
    PB_CAP_FLOAT32,     /* training in float (pb_model_ops_f32) */
    PB_CAP_COUNT
} pb_model_capability;

/* Short name of a capability ("curvature", "csr", "compact", "group-loss", "float32"). */
const char *pb_model_capability_name(pb_model_capability cap);

/* 1 if m offers cap (its ops table has the entries). */
int pb_model_has(const pb_model *m, pb_model_capability cap);

/* PB_OK if m offers cap; else PB_ERR_ARG with the line
 * "<what> needs <capability description>, which model '<spec>' does not offer". */
int pb_model_require(const pb_model *m, pb_model_capability cap, const char *what);

/* ---- capabilities (each fails in one line if m lacks it) ---- */

/* PB_CAP_CURVATURE over the N samples: out = H v (exact Hessian, or the
 * Gauss-Newton matrix); diag of either; the full Gauss-Newton matrix. */
int pb_model_hessian_vec(const pb_model *m, pb_model_ws *ws, const double *w, const double *X, const double *y,
                         size_t N, const double *v, int exact, double *out);
int pb_model_hessian_diag(const pb_model *m, pb_model_ws *ws, const double *w, const double *X, const double *y,
                          size_t N, int exact, double *diag);
int pb_model_gn_matrix(const pb_model *m, pb_model_ws *ws, const double *w, const double *X, const double *y,
                       size_t N, double *G);

/* PB_CAP_CSR: the network as dense layers (mlp.h), or NULL without it. */
const pb_mlp *pb_model_dense_layers(const pb_model *m);

/* PB_CAP_COMPACT: the compact network of w, its outputs (pb_model_predict's
 * to rounding), its sizes, and the constant gates of its kept units
 * (*n_units kept units, *n_gates gates each; unit, is_const, value may be
 * NULL to learn the sizes; see rnn.h pb_rnn_gate_constants). */
int pb_model_compact_build(const pb_model *m, const double *w, pb_model_compact **out);
int pb_model_compact_predict(const pb_model_compact *c, const double *X, size_t N, double *out);
int pb_model_compact_structure(const pb_model_compact *c, pb_structure *s);
int pb_model_gate_constants(const pb_model_compact *c, size_t *n_units, size_t *n_gates, size_t *unit, int *is_const,
                            double *value);
void pb_model_compact_free(pb_model_compact *c);

/* Name of the tensor that holds parameter j ("?" if none). */
const char *pb_model_tensor_of(const pb_model *m, size_t j);

/* Short name of a group kind: "input", "output", "hidden", "gate", "vocabulary". */
const char *pb_group_kind_name(pb_group_kind k);

#endif
