/* plugin_template.c -- a complete pruning-method plugin to copy.
 *
 * To add a method: copy this file to plugins/<name>.c, set .name to <name>,
 * write the relevance hook, run `make`. The method then appears in
 * `prunebench plugins`, in every protocol, figure and table of
 * `make reproduce`, with no change anywhere else. Check it with
 *   build/prunebench check-plugin build/plugins/<name>.so
 *
 * This template is a working method: magnitude pruning (relevance |m_j|,
 * Han et al. 2015), with an option to divide by the posterior sd instead.
 * `make check` builds it and runs the conformance test on it.
 *
 * Rules of the ABI (plugins/prunebench.h): include only that header (and the
 * C library); export exactly `pb_method_descriptor`; never free what the host
 * gave you; report failures with host->fail() and return non-zero; use only
 * host->rng_* for randomness so a cell is reproducible.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "prunebench.h"

typedef struct template_state {
    int signal_to_noise;     /* option snr=1: |m_j| / s_j instead of |m_j| */
} template_state;

/* Parse "key=value,..." options; "" means defaults. */
static int template_create(const pb_host *host, const char *options, void **state)
{
    template_state *s = calloc(1, sizeof *s);
    if (!s) {
        host->fail(host->ctx, "out of memory");
        return 1;
    }
    if (!strcmp(options, "snr=1")) {
        s->signal_to_noise = 1;
    } else if (*options && strcmp(options, "snr=0") != 0) {
        host->fail(host->ctx, "unknown options '%s' (known: snr=0, snr=1)", options);
        free(s);
        return 1;
    }
    *state = s;
    return 0;
}

static void template_destroy(void *state) { free(state); }

static const char *template_settings(const void *state)
{
    return ((const template_state *)state)->signal_to_noise ? "snr=1" : "snr=0";
}

/* score[j] for every parameter; only fit->prunable[j] entries are used.
 * Higher = more relevant = removed later. Scores must be finite. */
static int template_relevance(const pb_host *host, const pb_fit_view *fit, double *score, void *state)
{
    const template_state *s = state;
    if (s->signal_to_noise && !fit->sd) {
        host->fail(host->ctx, "snr=1 needs a posterior, but this fit is a point estimate");
        return 1;
    }
    for (size_t j = 0; j < fit->n_params; j++) {
        score[j] = fabs(fit->mean[j]);
        if (s->signal_to_noise) score[j] /= fit->sd[j];
    }
    return 0;
}

PB_EXPORT const pb_method pb_method_descriptor = {
    .abi_major = PB_ABI_MAJOR,
    .abi_minor = PB_ABI_MINOR,
    .struct_size = sizeof(pb_method),
    .name = "plugin_template",
    .summary = "magnitude pruning |m_j| (template for new methods)",
    .citation = "Han, Pool, Tran, Dally (2015), Learning both weights and connections",
    .create = template_create,
    .destroy = template_destroy,
    .settings = template_settings,
    .relevance = template_relevance,
};
