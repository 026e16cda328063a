/* random.c -- baseline pruner: relevance ~ iid U(0,1) from the cell's seeded
 * stream (seed 004 section 3.1). Any method worth publishing beats it. */
#include "prunebench.h"

static int random_relevance(const pb_host *host, const pb_fit_view *fit, double *score, void *state)
{
    (void)state;
    for (size_t j = 0; j < fit->n_params; j++) score[j] = host->rng_uniform(host->ctx);
    return 0;
}

PB_EXPORT const pb_method pb_method_descriptor = {
    .abi_major = PB_ABI_MAJOR,
    .abi_minor = 5,
    .struct_size = sizeof(pb_method),
    .name = "random",
    .summary = "removes parameters in a uniformly random order",
    .citation = "Grabovoy, Bakhteev, Strijov (2019), section 3.1",
    .relevance = random_relevance,
};
