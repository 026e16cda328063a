/* magnitude.c -- magnitude pruning: the smallest |m_j| first (Han et al.
 * 2015), the baseline every pruning paper reports.
 *
 * scope=global: relevance |m_j|, one threshold across the whole network.
 *
 * scope=layer: the same fraction from every tensor of the prunable set
 * (each layer's W, and each b when biases are prunable). The host removes
 * parameters in one ascending order of scores, so the per-tensor rule is
 * written as one score: the rank quantile of |m_j| within its tensor,
 *   relevance_j = (r_j + 1/2) / n_t,
 * with r_j = 0, 1, ... the rank of |m_j| among the n_t prunable entries of
 * j's tensor t (ascending, ties by index). Removing every parameter of
 * quantile below q then removes round(q n_t) entries of each tensor t, its
 * smallest-|m| ones: the first k removals take the same fraction k / n_p of
 * every tensor, to within one entry per tensor (the midpoint 1/2 rounds a
 * tensor's share to nearest, so small tensors neither lead nor lag).
 * Equal quantiles in different tensors go by index (the host's tie rule).
 * Needs host->param_tensors (ABI 1.6).
 */
#include <math.h>
#include <stdlib.h>
#include "prunebench.h"

enum { SCOPE_GLOBAL = 0, SCOPE_LAYER = 1 };

static const pb_option magnitude_options[] = {
    {.name = "scope", .type = PB_OPTION_ENUM, .default_value = "global", .choices = "global|layer",
     .doc = "global: one threshold on |m|; layer: the same fraction from every tensor"},
    {0},
};

typedef struct magnitude_state {
    int scope;
} magnitude_state;

static int magnitude_create(const pb_host *host, const pb_value *values, void **state)
{
    magnitude_state *s = calloc(1, sizeof *s);
    if (!s) {
        host->fail(host->ctx, "out of memory");
        return 1;
    }
    s->scope = (int)values[0].i;
    *state = s;
    return 0;
}

static void magnitude_destroy(void *state) { free(state); }

static const char *magnitude_settings(const void *state)
{
    return ((const magnitude_state *)state)->scope == SCOPE_LAYER ? "scope=layer" : "scope=global";
}

typedef struct keyed { double key; size_t index; } keyed;

/* Ascending key, ties by ascending index. */
static int cmp_keyed(const void *a, const void *b)
{
    const keyed *x = a, *y = b;
    if (x->key != y->key) return x->key < y->key ? -1 : 1;
    return (x->index > y->index) - (x->index < y->index);
}

/* score_j = (rank of |m_j| in its tensor + 1/2) / prunable entries of the tensor. */
static int layer_quantiles(const pb_host *host, const pb_fit_view *fit, double *score)
{
    size_t n = fit->n_params, nt = 0;
    if (host->abi_minor < 6 || !host->param_tensors) {
        host->fail(host->ctx, "scope=layer needs the host's param_tensors service (ABI 1.6)");
        return 1;
    }
    if (host->param_tensors(host->ctx, NULL, &nt) != 0) return 1;
    size_t *tensor = malloc((n ? n : 1) * sizeof *tensor), *count = calloc(nt ? nt : 1, sizeof *count);
    size_t *start = calloc(nt + 1, sizeof *start);
    keyed *k = malloc((fit->n_prunable ? fit->n_prunable : 1) * sizeof *k);
    int st = 0;
    if (!tensor || !count || !start || !k) {
        host->fail(host->ctx, "out of memory");
        st = 1;
    } else if (host->param_tensors(host->ctx, tensor, &nt) != 0) {
        st = 1;
    }
    if (!st) {
        /* bucket the prunable entries by tensor, then sort each bucket by |m| */
        for (size_t j = 0; j < n; j++)
            if (fit->prunable[j]) count[tensor[j]]++;
        for (size_t t = 0; t < nt; t++) start[t + 1] = start[t] + count[t];
        for (size_t t = 0; t < nt; t++) count[t] = 0;
        for (size_t j = 0; j < n; j++) {
            if (!fit->prunable[j]) continue;
            size_t t = tensor[j];
            k[start[t] + count[t]++] = (keyed){fabs(fit->mean[j]), j};
        }
        for (size_t t = 0; t < nt; t++) {
            size_t nt_t = start[t + 1] - start[t];
            qsort(k + start[t], nt_t, sizeof *k, cmp_keyed);
            for (size_t r = 0; r < nt_t; r++) score[k[start[t] + r].index] = ((double)r + 0.5) / (double)nt_t;
        }
    }
    free(tensor), free(count), free(start), free(k);
    return st;
}

static int magnitude_relevance(const pb_host *host, const pb_fit_view *fit, double *score, void *state)
{
    const magnitude_state *s = state;
    for (size_t j = 0; j < fit->n_params; j++) score[j] = fabs(fit->mean[j]);
    return s->scope == SCOPE_LAYER ? layer_quantiles(host, fit, score) : 0;
}

PB_EXPORT const pb_method pb_method_descriptor = {
    .abi_major = PB_ABI_MAJOR,
    .abi_minor = PB_ABI_MINOR,
    .struct_size = sizeof(pb_method),
    .name = "magnitude",
    .summary = "removes the parameters of smallest |m| first (scope=layer: the same fraction of every tensor)",
    .citation = "Han, Pool, Tran, Dally (2015), Learning both weights and connections for efficient neural networks",
    .relevance = magnitude_relevance,
    .options = magnitude_options,
    .create_with = magnitude_create,
    .destroy = magnitude_destroy,
    .settings = magnitude_settings,
};
