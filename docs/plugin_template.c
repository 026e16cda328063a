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
 * (The shipped method is plugins/magnitude.c, with a layer-wise scope;
 * plugins/snip.c and plugins/synflow.c show the ABI 1.6 services: the fit's
 * initial weights, minibatch gradients, the dense layers.)
 * `make check` builds it and runs the conformance test on it.
 *
 * Outside this tree, against an installed prunebench (`make install`):
 *   cc -shared -fPIC $(pkg-config --cflags prunebench) plugin_template.c -o plugin_template.so
 *   prunebench check-plugin ./plugin_template.so
 * (the file name must stay the descriptor's .name); put the .so in
 * $(pkg-config --variable=plugindir prunebench) or pass --plugin-dir.
 * t/install.sh does exactly this.
 *
 * Options are declared, not parsed: list them in an options table (name,
 * type, default, one-line doc); the host parses `--options 'snr=1'` against
 * it, refuses unknown names and bad values before your code runs, prints the
 * table in `prunebench plugins`, records every effective value in the order
 * file, and hands create_with the typed values in declaration order. Declare
 * in `.requires` what the method needs (PB_REQUIRES_HESSIAN,
 * _POSTERIOR_MATRIX, _POSTERIOR_SD, _OWN_TRAINING, _INITIAL_WEIGHTS,
 * _DENSE_LAYERS) and the host refuses a
 * fit that cannot supply it, in one line, before any hook runs.
 *
 * Rules of the ABI (plugins/prunebench.h): include only that header (and the
 * C library); export exactly `pb_method_descriptor`; never free what the host
 * gave you; report failures with host->fail() and return non-zero; use only
 * host->rng_* for randomness so a cell is reproducible.
 */
#include <math.h>
#include <stdlib.h>
#include "prunebench.h"

typedef struct template_state {
    int signal_to_noise;     /* option snr=1: |m_j| / s_j instead of |m_j| */
} template_state;

/* The options, ended by {0}. Types: PB_OPTION_INT and PB_OPTION_DOUBLE
 * (with an optional range [min, max]; INFINITY leaves a side open),
 * PB_OPTION_STRING, PB_OPTION_ENUM (choices "a|b|c"). */
static const pb_option template_options[] = {
    {.name = "snr", .type = PB_OPTION_INT, .default_value = "0", .min = 0, .max = 1,
     .doc = "1: relevance |m_j| / s_j (needs a posterior) instead of |m_j|"},
    {0},
};

/* values[k] is the effective value of template_options[k], already checked:
 * .i for int and enum (the choice's index), .d for double, .s as text. */
static int template_create(const pb_host *host, const pb_value *values, void **state)
{
    template_state *s = calloc(1, sizeof *s);
    if (!s) {
        host->fail(host->ctx, "out of memory");
        return 1;
    }
    s->signal_to_noise = (int)values[0].i;
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
    .create_with = template_create,
    .destroy = template_destroy,
    .settings = template_settings,
    .relevance = template_relevance,
    .options = template_options,
    .requires = 0,  /* e.g. PB_REQUIRES_POSTERIOR_SD if every setting needed the posterior */
};
