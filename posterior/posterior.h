/* posterior.h -- full-covariance estimates of the posterior of a fit, for
 * methods that need correlations between parameters (Belsley) and for the
 * conditional-mean compensation of protocol P1.
 *
 * Estimators (PROTOCOLS.md, "Belsley"):
 *   laplace        A = G(m) + I / sigma_p^2: the Gauss-Newton matrix of the
 *                  training loss at the posterior mean plus the prior precision
 *                  (positive definite); Sigma = A^{-1}.
 *   laplace-exact  A = H(m) + I / sigma_p^2 with the exact Hessian; eigenvalues
 *                  below the prior precision 1 / sigma_p^2 are raised to it (the
 *                  count is reported), so Sigma stays positive definite.
 *   samples        the sample covariance of T iterates of minibatch SGD on
 *                  L(w) + |w - mu|^2 / (2 sigma_p^2) started at the mean
 *                  (step 1 / trace(A), T = max(4000, 20 n), batch 32, seeded),
 *                  plus a ridge of 1e-9 trace / n. Its scale is arbitrary,
 *                  which neither the Belsley order nor the compensation see.
 */
#ifndef PB_POSTERIOR_H
#define PB_POSTERIOR_H

#include <stddef.h>
#include <stdint.h>
#include "models/model.h"
#include "datasets/data.h"

typedef enum pb_estimator { PB_EST_LAPLACE, PB_EST_LAPLACE_EXACT, PB_EST_SAMPLES } pb_estimator;

int pb_estimator_parse(const char *name, pb_estimator *e);
const char *pb_estimator_name(pb_estimator e);

/* Sigma (n x n, n = m->n_params) = the estimated posterior covariance over
 * all parameters at `mean`, prior sd prior_sd. info gets one line (estimator,
 * floored eigenvalues, iterations). Needs the model's curvature capability
 * (model.h); without it, fails in one line before any work. */
int pb_posterior_covariance(const pb_model *m, const pb_data *train, const double *mean, double prior_mean,
                            double prior_sd, pb_estimator e, uint64_t seed, double *Sigma, char *info,
                            size_t info_len);

#endif
