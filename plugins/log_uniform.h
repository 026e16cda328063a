/* log_uniform.h -- the log-uniform prior's KL term shared by the suite's
 * sparse variational methods (svd.c, groupvd.c). Each plugin stays one .so:
 * this header holds static functions only.
 *
 * Posterior N(theta, sigma^2) with the additive reparameterization,
 *   log alpha = clip(log sigma^2 - log(theta^2 + 1e-8), -8, 8).
 * KL(q || p) per weight, up to a constant, by the approximation of
 * Molchanov et al. (2017), eq. 14:
 *   -KL ~= k1 sigmoid(k2 + k3 log alpha) - 0.5 log(1 + 1/alpha) - k1,
 *   k1 = 0.63576, k2 = 1.87320, k3 = 1.48695,
 * so KL = k1 - k1 sigmoid(k2 + k3 la) + 0.5 log1p(exp(-la)) and
 *   dKL/dla = -k1 k3 s (1 - s) - 0.5 sigmoid(-la),  s = sigmoid(k2 + k3 la),
 * with dla/dlog sigma^2 = 1 and dla/dtheta = -2 theta / (theta^2 + 1e-8), both 0
 * where the clip is active.
 * Warm-up: KL weight 0 for the first 5/200 of training, rising linearly to 1
 * at 20/200 (the published 5 and 20 of 200 epochs, scaled to any length).
 */
#ifndef PB_LOG_UNIFORM_H
#define PB_LOG_UNIFORM_H

#include <math.h>
#include <stddef.h>

#define PB_LU_THETA_EPS 1e-8

static double pb_lu_kl(void *state, size_t n, const double *theta, const double *log_sigma2, double *dtheta,
                       double *dlog_sigma2)
{
    static const double K1 = 0.63576, K2 = 1.87320, K3 = 1.48695, LA_MIN = -8, LA_MAX = 8;
    (void)state;
    double kl = 0;
    for (size_t j = 0; j < n; j++) {
        double t2 = theta[j] * theta[j] + PB_LU_THETA_EPS;
        double la = log_sigma2[j] - log(t2);
        int clipped = la < LA_MIN || la > LA_MAX;
        if (la < LA_MIN) la = LA_MIN;
        if (la > LA_MAX) la = LA_MAX;
        double s = 1 / (1 + exp(-(K2 + K3 * la))), e = exp(-la);   /* e = 1 / alpha */
        kl += K1 - K1 * s + 0.5 * log1p(e);
        double d = clipped ? 0 : -K1 * K3 * s * (1 - s) - 0.5 * e / (1 + e);  /* sigmoid(-la) = e / (1 + e) */
        dlog_sigma2[j] = d;
        dtheta[j] = d * (-2 * theta[j] / t2);
    }
    return kl;
}

static double pb_lu_kl_weight(void *state, double t)
{
    static const double WARMUP_START = 5.0 / 200, WARMUP_END = 20.0 / 200;
    (void)state;
    if (t < WARMUP_START) return 0;
    if (t >= WARMUP_END) return 1;
    return (t - WARMUP_START) / (WARMUP_END - WARMUP_START);
}

/* -log alpha = log(theta^2 + 1e-8) - log sigma^2 (unclipped, for orders). */
static double pb_lu_relevance(double theta, double sigma)
{
    return log(theta * theta + PB_LU_THETA_EPS) - 2 * log(sigma);
}

#endif
