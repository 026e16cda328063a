/* mlp.h -- multilayer perceptron over a flat parameter buffer.
 *
 * Spec string: "mlp:<d0>-<d1>-...-<dL>:<act>[:<head>]", act in tanh|relu|identity
 * (hidden layers), head in ce (softmax cross-entropy, labels 0..dL-1) or mse
 * (Gaussian likelihood: 0.5 beta (z - y)^2 with noise precision beta =
 * noise_precision, 1 unless set; dL targets). Default head: ce.
 *
 * Parameters: for each layer l = 0..L-1, W_l (d_{l+1} x d_l, row-major) then
 * b_l (d_{l+1}), all in one flat buffer of n_params doubles. The tensor table
 * names these views; the group table lists, per layer, the input neurons
 * (a column of W_l) and output neurons (a row of W_l and its bias).
 *
 * Loss over a set of N samples: L(w) = sum_i l(f(x_i; w), y_i), the negative
 * log-likelihood summed (not averaged) over samples.
 * Inputs X are (N x d0) row-major; y is (N) class labels stored as doubles for
 * ce, (N x dL) targets for mse.
 */
#ifndef PB_MLP_H
#define PB_MLP_H

#include <stddef.h>
#include "base/blas.h"
#include "models/layout.h"

typedef enum pb_act { PB_ACT_TANH, PB_ACT_RELU, PB_ACT_IDENTITY } pb_act;

typedef struct pb_mlp {
    char spec[128];
    size_t n_layers;        /* L: number of weight layers */
    size_t *dims;           /* L + 1 sizes */
    pb_act act;
    pb_head head;
    double noise_precision; /* beta of the mse likelihood N(y | z, 1/beta); 1 after parsing */
    size_t n_params;
    size_t *w_off, *b_off;  /* offsets of W_l and b_l */
    size_t n_tensors;
    pb_tensor *tensors;
    size_t n_groups;
    pb_group *groups;
    size_t max_dim;
} pb_mlp;

/* Parse a spec and build the model description. *out is freed with pb_mlp_free. */
int pb_mlp_parse(const char *spec, pb_mlp **out);
void pb_mlp_free(pb_mlp *m);
size_t pb_mlp_in_dim(const pb_mlp *m);
size_t pb_mlp_out_dim(const pb_mlp *m);

/* Initialize w: W ~ N(0, 1/d_in) from the given gsl_rng, b = 0. */
#include <gsl/gsl_rng.h>
void pb_mlp_init(const pb_mlp *m, double *w, const gsl_rng *rng);

/* The training functions, in double (names as below) and float (the same
 * names with _f32: pb_mlp_ws_f32, pb_mlp_loss_grad_f32, ...), from one
 * source (base/real.h): */
#define PB_R double
#define PB_N(name) name
#include "models/mlp_typed.h"
#undef PB_R
#undef PB_N
#define PB_R float
#define PB_N(name) name##_f32
#include "models/mlp_typed.h"
#undef PB_R
#undef PB_N

/* out = H v with H the exact Hessian (Pearlmutter's R-operator) or the
 * Gauss-Newton matrix G = sum_i J_i^T H_out,i J_i of L at w. */
int pb_mlp_hessian_vec(const pb_mlp *m, pb_mlp_ws *ws, const double *w, const double *X,
                       const double *y, size_t N, const double *v, int exact, double *out);

/* diag = diag(G), computed exactly per sample and output:
 * H_out = sum_c u_c u_c^T (ce: u_c = sqrt(p_c)(e_c - p); mse: u_c = e_c), so
 * diag(G)_j = sum_i sum_c (d(u_c . z_i)/dw_j)^2 -- one backward pass per c. */
int pb_mlp_gn_diag(const pb_mlp *m, pb_mlp_ws *ws, const double *w, const double *X,
                   const double *y, size_t N, double *diag);

/* G (n_params x n_params, row-major) = the full Gauss-Newton matrix
 * sum_i sum_c g_ic g_ic^T with g_ic = d(u_c . z_i)/dw (u_c as above). */
int pb_mlp_gn_matrix(const pb_mlp *m, pb_mlp_ws *ws, const double *w, const double *X, const double *y,
                     size_t N, double *G);

/* diag = diag(H), exact, by n_params Hessian-vector products (small models). */
int pb_mlp_hessian_diag(const pb_mlp *m, pb_mlp_ws *ws, const double *w, const double *X,
                        const double *y, size_t N, double *diag);

#endif
