/* snip.c -- SNIP, connection sensitivity at initialization (Lee, Ajanthan,
 * Torr 2019): one minibatch of the training data at the fit's initial
 * weights w0,
 *   relevance_j = |w0_j * dL/dw_j (w0)|,
 * L the loss summed over the minibatch (the paper's normalization by the
 * sum over j divides every score by one constant: the order is the same).
 * The removal order computed at initialization is applied to the trained
 * fit by the protocols.
 *
 * The minibatch: `batch` training samples (all of them if the training set
 * is smaller) drawn by host->minibatch_loss_grad with a seed taken from the
 * cell's random stream, so a cell always sees the same samples.
 * Needs the fit's initial weights (ABI 1.6, PB_REQUIRES_INITIAL_WEIGHTS):
 * a fit that does not store them is refused in one line before any work.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include "prunebench.h"

static const pb_option snip_options[] = {
    {.name = "batch", .type = PB_OPTION_INT, .default_value = "100", .min = 1, .max = 1e9,
     .doc = "samples in the one minibatch (the paper: 100 on MNIST)"},
    {0},
};

typedef struct snip_state {
    size_t batch;
    char settings[64];
} snip_state;

static int snip_create(const pb_host *host, const pb_value *values, void **state)
{
    snip_state *s = calloc(1, sizeof *s);
    if (!s) {
        host->fail(host->ctx, "out of memory");
        return 1;
    }
    s->batch = (size_t)values[0].i;
    snprintf(s->settings, sizeof s->settings, "batch=%zu", s->batch);
    *state = s;
    return 0;
}

static void snip_destroy(void *state) { free(state); }

static const char *snip_settings(const void *state) { return ((const snip_state *)state)->settings; }

static int snip_relevance(const pb_host *host, const pb_fit_view *fit, double *score, void *state)
{
    const snip_state *s = state;
    size_t n = fit->n_params;
    if (host->abi_minor < 6 || !host->initial_weights || !host->minibatch_loss_grad) {
        host->fail(host->ctx, "snip needs the host services of ABI 1.6 (initial weights, minibatch gradients)");
        return 1;
    }
    /* the minibatch's seed: 52 bits of the cell's stream */
    uint64_t seed = (uint64_t)(host->rng_uniform(host->ctx) * 4503599627370496.0);
    double *w0 = malloc((n ? n : 1) * sizeof *w0), *g = malloc((n ? n : 1) * sizeof *g), loss;
    int st = !w0 || !g;
    if (st) host->fail(host->ctx, "out of memory");
    if (!st) st = host->initial_weights(host->ctx, w0) != 0;
    if (!st) st = host->minibatch_loss_grad(host->ctx, w0, s->batch, seed, &loss, g) != 0;
    if (!st)
        for (size_t j = 0; j < n; j++) score[j] = fabs(w0[j] * g[j]);
    free(w0), free(g);
    return st;
}

PB_EXPORT const pb_method pb_method_descriptor = {
    .abi_major = PB_ABI_MAJOR,
    .abi_minor = PB_ABI_MINOR,
    .struct_size = sizeof(pb_method),
    .name = "snip",
    .summary = "connection sensitivity |w0 dL/dw| at the initial weights on one minibatch (SNIP)",
    .citation = "Lee, Ajanthan, Torr (2019), SNIP: single-shot network pruning based on connection sensitivity, ICLR",
    .relevance = snip_relevance,
    .options = snip_options,
    .requires = PB_REQUIRES_INITIAL_WEIGHTS,
    .create_with = snip_create,
    .destroy = snip_destroy,
    .settings = snip_settings,
};
