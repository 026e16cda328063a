/* mlp_lrt.h -- the MLP under a factorized Gaussian over its weight-matrix
 * entries, w = theta + sigma .* eps, with the local reparameterization trick
 * (Kingma, Salimans, Welling 2015): instead of sampling weights, each dense
 * layer samples its pre-activations, which are Gaussian given the input:
 *   a = mu + sqrt(v) .* e,  mu = in theta^T + 1 b^T,  v = (in .* in)(sigma^2)^T,
 *   e ~ N(0, 1) per sample and unit (B x d_out).
 * Biases are deterministic. One forward/backward gives the loss summed over
 * the batch and its gradients with respect to theta (weights and biases) and
 * sigma^2 (weights; bias entries 0). */
#ifndef PB_MLP_LRT_H
#define PB_MLP_LRT_H

#include <stddef.h>
#include <gsl/gsl_rng.h>
#include "models/mlp.h"

/* In double (names as here) and float (pb_lrt_ws_f32, pb_lrt_loss_grad_f32,
 * ...), from one source (base/real.h); the loss is summed in double. */
#define PB_LRT_TYPED(R, N)                                                                                      \
    typedef struct N(pb_lrt_ws) N(pb_lrt_ws);                                                                   \
    N(pb_lrt_ws) *N(pb_lrt_ws_alloc)(const pb_mlp *m, size_t batch);                                            \
    void N(pb_lrt_ws_free)(N(pb_lrt_ws) *ws);                                                                   \
    int N(pb_lrt_loss_grad)(const pb_mlp *m, N(pb_lrt_ws) *ws, const R *theta, const R *sigma2, const R *X,     \
                            const R *y, size_t B, const R *Z, R *dZ, gsl_rng *rng, double *loss, R *dtheta,     \
                            R *dsigma2);
/* loss = sum over the B samples of l(f(x_i), y_i) with the pre-activation
 * noise drawn from rng (layer by layer, row-major); dtheta and dsigma2
 * (n_params each) are overwritten. sigma2 holds sigma^2 for every parameter
 * (bias entries are ignored).
 * Group multipliers (layout.h): Z (B x (d_0 + ... + d_{L-1})), if not NULL,
 * scales each sample's input neurons of every layer, layer 0's first (the
 * MLP's variable groups in table order): the input of layer l is x .* z_l.
 * Under w_ij = w^_ij z_j the pre-activation is still Gaussian given z, so
 * the trick applies unchanged. dZ (same shape, needs Z) receives dL/dZ. */
#define PB_LRT_NAME_D(name) name
#define PB_LRT_NAME_F(name) name##_f32
PB_LRT_TYPED(double, PB_LRT_NAME_D)
PB_LRT_TYPED(float, PB_LRT_NAME_F)

#endif
