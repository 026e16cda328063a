/* variational.c -- signal-to-noise relevance of a variational posterior
 * (Graves 2011; seed 000 section 4; seed 004 section 3.3):
 *   relevance_j = |m_j| / s_j,
 * the parameter whose posterior puts the most density near 0 relative to its
 * mean goes first (p(0) / p(m_j) = exp(-m_j^2 / (2 s_j^2))). Needs a fit with
 * a posterior (the shared Gaussian base fit). */
#include <math.h>
#include "prunebench.h"

static int variational_relevance(const pb_host *host, const pb_fit_view *fit, double *score, void *state)
{
    (void)state;
    if (!fit->sd) {
        host->fail(host->ctx, "needs a variational fit with posterior standard deviations (this one is a point estimate)");
        return 1;
    }
    for (size_t j = 0; j < fit->n_params; j++) {
        if (!(fit->sd[j] > 0)) {
            host->fail(host->ctx, "posterior sd of parameter %zu is %g", j, fit->sd[j]);
            return 1;
        }
        score[j] = fabs(fit->mean[j]) / fit->sd[j];
    }
    return 0;
}

PB_EXPORT const pb_method pb_method_descriptor = {
    .abi_major = PB_ABI_MAJOR,
    .abi_minor = 5,
    .struct_size = sizeof(pb_method),
    .name = "variational",
    .summary = "variational signal-to-noise |m_j| / s_j",
    .citation = "Graves (2011), Practical Variational Inference for Neural Networks, NIPS 24",
    .relevance = variational_relevance,
    .requires = PB_REQUIRES_POSTERIOR_SD,
};
