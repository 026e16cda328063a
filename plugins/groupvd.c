/* groupvd.c -- group variational dropout with log-uniform priors (seed 001
 * section 4.2, after Louizos et al. 2017). The method trains its own network.
 *
 * Every weight is w = w^ * prod z over the variable groups it belongs to
 * (models/layout.h): input neurons and hidden neurons of every layer, gate
 * pre-activations of an LSTM (4 per hidden unit), vocabulary entries of an
 * embedding. Weights w^ and group variables z alike have the log-uniform
 * prior and a normal posterior N(theta, sigma^2) with the additive
 * reparameterization and the KL approximation of log_uniform.h; the group
 * variables are sampled once per sequence and shared in time (the harness
 * does this for pb_training.group_variables). Dense layers use the local
 * reparameterization trick; recurrent layers sample one weight matrix per
 * minibatch.
 *
 * Relevance of a weight: the smaller of its own -log alpha and the -log alpha
 * of each of its groups, so a group whose variable has log alpha >= 3 takes
 * all its weights with it. Natural operating point: relevance <= -3 is zero
 * at test time. With the MLP this removes neurons; with the LSTM it removes
 * vocabulary words, input features, hidden units and makes gates constant.
 */
#include <math.h>
#include "prunebench.h"
#include "log_uniform.h"

static int groupvd_relevance(const pb_host *host, const pb_fit_view *fit, double *score, void *state)
{
    (void)state;
    if (host->abi_minor < 3 || !fit->sd || !fit->n_groups) {
        host->fail(host->ctx, "needs a fit trained with this method's family (weights and group variables): train "
                              "with --method groupvd");
        return 1;
    }
    if (pb_lu_weight_relevance(host, fit, score, "groupvd")) return 1;
    for (size_t k = 0; k < fit->n_groups; k++) {
        if (!(fit->group_sd[k] > 0)) {
            host->fail(host->ctx, "group variable %zu (%s) has posterior sd %g", k, fit->group_kind[k], fit->group_sd[k]);
            return 1;
        }
        double r = pb_lu_relevance(fit->group_mean[k], fit->group_sd[k]);
        for (size_t q = fit->group_start[k]; q < fit->group_start[k + 1]; q++) {
            size_t j = fit->group_members[q];
            if (j < fit->n_params && fit->prunable[j] && r < score[j]) score[j] = r;
        }
    }
    return 0;
}

static const pb_training groupvd_training = {
    .struct_size = sizeof(pb_training),
    .family = "log-uniform-groups",
    .init_log_sigma2 = -10,
    .local_reparameterization = 1,
    .kl = pb_lu_kl,
    .kl_weight = pb_lu_kl_weight,
    .kl_weight_epochs = pb_lu_kl_weight_epochs,
    .relevance_threshold = -3,
    .group_variables = 1,
};

PB_EXPORT const pb_method pb_method_descriptor = {
    .abi_major = PB_ABI_MAJOR,
    .abi_minor = 5,
    .struct_size = sizeof(pb_method),
    .name = "groupvd",
    .summary = "group variational dropout: log-uniform priors on weights and on neuron/gate/word group variables",
    .citation = "Lobacheva, Chirkova, Vetrov (2018), Bayesian Sparsification of Gated Recurrent Neural Networks "
                "(seed 001 section 4.2); Louizos, Ullrich, Welling (2017)",
    .relevance = groupvd_relevance,
    .training = &groupvd_training,
    .requires = PB_REQUIRES_OWN_TRAINING,
};
