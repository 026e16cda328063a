/* obd.c -- Optimal Brain Damage (LeCun, Denker, Solla 1989; seed 004 section 3.2).
 *
 * Saliency of parameter j at the posterior mean m:
 *   s_j = h_jj m_j^2 / 2,   h_jj = d^2 L / dw_j^2 of the training loss (sum over samples).
 * Option hessian=gn (default): the Gauss-Newton diagonal, h_jj >= 0, as in the
 * original paper's Levenberg-Marquardt approximation. hessian=exact: the
 * exact diagonal; at a variational mean it has negative entries, which put
 * important weights first -- their count is logged and recorded.
 */
#include <stdio.h>
#include <stdlib.h>
#include "prunebench.h"

typedef struct obd_state {
    pb_hessian_kind kind;
    char settings[96];
} obd_state;

static const pb_option obd_options[] = {
    {.name = "hessian", .type = PB_OPTION_ENUM, .default_value = "gn", .choices = "gn|exact",
     .doc = "diagonal of the Hessian: Gauss-Newton (>= 0) or exact"},
    {0},
};

/* values[0]: hessian, the index of gn|exact (parsed and checked by the host) */
static int obd_create(const pb_host *host, const pb_value *values, void **state)
{
    obd_state *s = calloc(1, sizeof *s);
    if (!s) { host->fail(host->ctx, "out of memory"); return 1; }
    s->kind = values[0].i == 1 ? PB_HESSIAN_EXACT : PB_HESSIAN_GAUSS_NEWTON;
    snprintf(s->settings, sizeof s->settings, "hessian=%s", s->kind == PB_HESSIAN_EXACT ? "exact" : "gauss-newton");
    *state = s;
    return 0;
}

static void obd_destroy(void *state) { free(state); }

static const char *obd_settings(const void *state) { return ((const obd_state *)state)->settings; }

static int obd_relevance(const pb_host *host, const pb_fit_view *fit, double *score, void *state)
{
    obd_state *s = state;
    double *h = malloc(fit->n_params * sizeof *h);
    if (!h) { host->fail(host->ctx, "out of memory"); return 1; }
    if (host->hessian_diag(host->ctx, fit->mean, s->kind, h) != 0) {
        host->fail(host->ctx, "Hessian diagonal failed");
        free(h);
        return 1;
    }
    size_t negative = 0;
    for (size_t j = 0; j < fit->n_params; j++) {
        if (fit->prunable[j] && h[j] < 0) negative++;
        score[j] = 0.5 * h[j] * fit->mean[j] * fit->mean[j];
    }
    if (s->kind == PB_HESSIAN_EXACT) {
        host->log(host->ctx, "%zu of %zu prunable diagonal entries are negative", negative, fit->n_prunable);
        snprintf(s->settings, sizeof s->settings, "hessian=exact negative_diagonal=%zu", negative);
    }
    free(h);
    return 0;
}

PB_EXPORT const pb_method pb_method_descriptor = {
    .abi_major = PB_ABI_MAJOR,
    .abi_minor = 5,
    .struct_size = sizeof(pb_method),
    .name = "obd",
    .summary = "Optimal Brain Damage saliency h_jj m_j^2 / 2 (Gauss-Newton diagonal by default)",
    .citation = "LeCun, Denker, Solla (1989), Optimal Brain Damage, NIPS 2",
    .create_with = obd_create,
    .destroy = obd_destroy,
    .settings = obd_settings,
    .relevance = obd_relevance,
    .options = obd_options,
    .requires = PB_REQUIRES_HESSIAN,
};
