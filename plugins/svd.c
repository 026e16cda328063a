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
 * Dense layers use the local reparameterization trick.
 * Relevance: -log alpha = log theta^2 - log sigma^2; natural operating point
 * log alpha >= 3 (relevance <= -3) is zero at test time.
 */
#include <math.h>
#include "prunebench.h"

static const double K1 = 0.63576, K2 = 1.87320, K3 = 1.48695;
static const double LA_MIN = -8, LA_MAX = 8, THETA_EPS = 1e-8;
static const double WARMUP_START = 5.0 / 200, WARMUP_END = 20.0 / 200;

static double sigmoid(double x) { return 1 / (1 + exp(-x)); }

static double svd_kl(void *state, size_t n, const double *theta, const double *log_sigma2, double *dtheta,
                     double *dlog_sigma2)
{
    (void)state;
    double kl = 0;
    for (size_t j = 0; j < n; j++) {
        double t2 = theta[j] * theta[j] + THETA_EPS;
        double la = log_sigma2[j] - log(t2);
        int clipped = la < LA_MIN || la > LA_MAX;
        if (la < LA_MIN) la = LA_MIN;
        if (la > LA_MAX) la = LA_MAX;
        double s = sigmoid(K2 + K3 * la), e = exp(-la);   /* e = 1 / alpha */
        kl += K1 - K1 * s + 0.5 * log1p(e);
        double d = clipped ? 0 : -K1 * K3 * s * (1 - s) - 0.5 * e / (1 + e);  /* sigmoid(-la) = e / (1 + e) */
        dlog_sigma2[j] = d;
        dtheta[j] = d * (-2 * theta[j] / t2);
    }
    return kl;
}

static double svd_kl_weight(void *state, double t)
{
    (void)state;
    if (t < WARMUP_START) return 0;
    if (t >= WARMUP_END) return 1;
    return (t - WARMUP_START) / (WARMUP_END - WARMUP_START);
}

static int svd_relevance(const pb_host *host, const pb_fit_view *fit, double *score, void *state)
{
    (void)state;
    if (!fit->sd) {
        host->fail(host->ctx, "needs a fit trained with this method's family (posterior sd); this one is a point estimate");
        return 1;
    }
    for (size_t j = 0; j < fit->n_params; j++) {
        if (!fit->prunable[j]) { score[j] = 0; continue; }
        if (!(fit->sd[j] > 0)) {
            host->fail(host->ctx, "parameter %zu has posterior sd %g: was this fit trained with --method svd?", j, fit->sd[j]);
            return 1;
        }
        /* -log alpha = log theta^2 - log sigma^2 (unclipped, for the order) */
        score[j] = log(fit->mean[j] * fit->mean[j] + THETA_EPS) - 2 * log(fit->sd[j]);
    }
    return 0;
}

static const pb_training svd_training = {
    .struct_size = sizeof(pb_training),
    .family = "log-uniform",
    .init_log_sigma2 = -10,
    .local_reparameterization = 1,
    .kl = svd_kl,
    .kl_weight = svd_kl_weight,
    .relevance_threshold = -3,
};

PB_EXPORT const pb_method pb_method_descriptor = {
    .abi_major = PB_ABI_MAJOR,
    .abi_minor = 2,
    .struct_size = sizeof(pb_method),
    .name = "svd",
    .summary = "sparse variational dropout: log-uniform prior, relevance -log alpha (trains its own network)",
    .citation = "Molchanov, Ashukha, Vetrov (2017), Variational Dropout Sparsifies Deep Neural Networks, ICML",
    .relevance = svd_relevance,
    .training = &svd_training,
};
