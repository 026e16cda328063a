/* svd.c -- sparse variational dropout (Molchanov, Ashukha, Vetrov 2017;
 * seed 001 sections 3.2 and 4.1). The method trains its own network.
 *
 * Family: log-uniform prior p(|w|) ~ 1/|w| on every weight-matrix entry,
 * posterior N(theta, sigma^2) with the additive reparameterization
 * w = theta + sigma eps, log sigma^2 initialized at -10, and
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
 * (The KL, its vectorized evaluation and the warm-up: plugins/log_uniform.h.)
 * Dense layers use the local reparameterization trick.
 * Relevance: -log alpha = log theta^2 - log sigma^2; natural operating point
 * log alpha >= 3 (relevance <= -3) is zero at test time.
 */
#include <math.h>
#include "prunebench.h"
#include "log_uniform.h"

static int svd_relevance(const pb_host *host, const pb_fit_view *fit, double *score, void *state)
{
    (void)state;
    return pb_lu_weight_relevance(host, fit, score, "svd");
}

static const pb_training svd_training = {
    .struct_size = sizeof(pb_training),
    .family = "log-uniform",
    .init_log_sigma2 = -10,
    .local_reparameterization = 1,
    .kl = pb_lu_kl,
    .kl_weight = pb_lu_kl_weight,
    .kl_weight_epochs = pb_lu_kl_weight_epochs,
    .relevance_threshold = -3,
};

PB_EXPORT const pb_method pb_method_descriptor = {
    .abi_major = PB_ABI_MAJOR,
    .abi_minor = 5,
    .struct_size = sizeof(pb_method),
    .name = "svd",
    .summary = "sparse variational dropout: log-uniform prior, relevance -log alpha (trains its own network)",
    .citation = "Molchanov, Ashukha, Vetrov (2017), Variational Dropout Sparsifies Deep Neural Networks, ICML",
    .relevance = svd_relevance,
    .training = &svd_training,
    .requires = PB_REQUIRES_OWN_TRAINING,
};
