/* synflow.c -- SynFlow, iterative synaptic flow pruning (Tanaka, Kunin,
 * Yamins, Ganguli 2020, Algorithm 1): data-free, from the fit's initial
 * weights.
 *
 * The linearized network: every parameter replaced by its absolute initial
 * value |w0|, times its mask M (1 = kept), the input a vector of ones, no
 * nonlinearity (the layers are linear and all values non-negative):
 *   a_0 = 1,  a_l = (|W_l| . M_l) a_{l-1} + |b_l| . m_l,   R = 1^T a_L,
 * so R = 1^T (prod_l |W_l| . M_l) 1 when the biases are 0 (as the models
 * initialize them). With g_L = 1 and g_{l-1} = (|W_l| . M_l)^T g_l,
 *   dR/d|W_l[o][i]| = g_l[o] a_{l-1}[i],   dR/d|b_l[o]| = g_l[o],
 * and the synaptic saliency is S = |w0| dR/d|w0| (the paper's dR/dtheta . theta
 * on the linearized network).
 *
 * Iteration (the paper's exponential schedule): over rounds k = 1..n, after
 * round k the prunable parameters kept are round(n_p keep^(k/n)) (keep =
 * the final kept fraction, 1/compression in the paper); each round
 * recomputes S with the current mask and removes the kept parameters of
 * smallest S (ties by index) down to that count. The removal order is the
 * order they are removed in, round after round, the survivors of round n
 * last by their final S. The relevance of a parameter is its position in
 * that order (0 = removed first), so the host's ascending sort returns it.
 *
 * Needs the fit's initial weights and a stack of dense layers (ABI 1.6:
 * PB_REQUIRES_INITIAL_WEIGHTS | PB_REQUIRES_DENSE_LAYERS). It never reads
 * the training data. R is a sum of products of L values per path and is
 * computed in double; a non-finite saliency fails with a message.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include "prunebench.h"

static const pb_option synflow_options[] = {
    {.name = "rounds", .type = PB_OPTION_INT, .default_value = "100", .min = 1, .max = 100000,
     .doc = "pruning rounds n (the paper: 100)"},
    {.name = "keep", .type = PB_OPTION_DOUBLE, .default_value = "0.01", .min = 1e-9, .max = 1,
     .doc = "fraction of the prunable set kept after the last round (exponential schedule keep^(k/n))"},
    {0},
};

typedef struct synflow_state {
    size_t rounds;
    double keep;
    char settings[96];
} synflow_state;

static int synflow_create(const pb_host *host, const pb_value *values, void **state)
{
    synflow_state *s = calloc(1, sizeof *s);
    if (!s) {
        host->fail(host->ctx, "out of memory");
        return 1;
    }
    s->rounds = (size_t)values[0].i;
    s->keep = values[1].d;
    snprintf(s->settings, sizeof s->settings, "rounds=%zu keep=%s schedule=exponential", s->rounds, values[1].s);
    *state = s;
    return 0;
}

static void synflow_destroy(void *state) { free(state); }

static const char *synflow_settings(const void *state) { return ((const synflow_state *)state)->settings; }

/* The work of one ranking: the layers, |w0| . mask, forward values a and
 * backward values g of every layer's units (offsets as pb_layer.unit, plus
 * the input's in_0 ones in front of a). */
typedef struct flow {
    size_t n, L, units, in0;
    pb_layer *layer;
    double *v;             /* |w0_j| times its mask (1 for non-prunable parameters) */
    double *a, *g;         /* a: in0 + units; g: units */
    double *S;             /* saliency of every parameter */
} flow;

/* S_j for the masked linearized network in f->v (see the file's comment). */
static void saliency(flow *f)
{
    double *a = f->a, *g = f->g;
    for (size_t i = 0; i < f->in0; i++) a[i] = 1.0;
    for (size_t l = 0; l < f->L; l++) {
        const pb_layer *y = &f->layer[l];
        const double *in = l ? a + f->in0 + f->layer[l - 1].unit : a;
        double *out = a + f->in0 + y->unit;
        for (size_t o = 0; o < y->out; o++) {
            double s = f->v[y->bias + o];
            for (size_t i = 0; i < y->in; i++) s += f->v[y->weight + o * y->in + i] * in[i];
            out[o] = s;
        }
    }
    for (size_t l = f->L; l-- > 0;) {
        const pb_layer *y = &f->layer[l];
        double *gl = g + y->unit;
        if (l + 1 == f->L)
            for (size_t o = 0; o < y->out; o++) gl[o] = 1.0;
        const double *in = l ? a + f->in0 + f->layer[l - 1].unit : a;
        for (size_t o = 0; o < y->out; o++) {
            f->S[y->bias + o] = f->v[y->bias + o] * gl[o];
            for (size_t i = 0; i < y->in; i++) f->S[y->weight + o * y->in + i] = f->v[y->weight + o * y->in + i] * gl[o] * in[i];
        }
        if (l) {
            double *gp = g + f->layer[l - 1].unit;
            for (size_t i = 0; i < y->in; i++) gp[i] = 0;
            for (size_t o = 0; o < y->out; o++)
                for (size_t i = 0; i < y->in; i++) gp[i] += f->v[y->weight + o * y->in + i] * gl[o];
        }
    }
}

typedef struct keyed { double key; size_t index; } keyed;

static int cmp_keyed(const void *p, const void *q)
{
    const keyed *x = p, *y = q;
    if (x->key != y->key) return x->key < y->key ? -1 : 1;
    return (x->index > y->index) - (x->index < y->index);
}

/* The kept prunable parameters sorted by ascending saliency into k; their count. */
static size_t sorted_kept(const flow *f, const pb_fit_view *fit, const unsigned char *kept, keyed *k)
{
    size_t c = 0;
    for (size_t j = 0; j < f->n; j++)
        if (fit->prunable[j] && kept[j]) k[c++] = (keyed){f->S[j], j};
    qsort(k, c, sizeof *k, cmp_keyed);
    return c;
}

static int finite_saliency(const pb_host *host, const flow *f, const pb_fit_view *fit, size_t round)
{
    for (size_t j = 0; j < f->n; j++)
        if (fit->prunable[j] && !isfinite(f->S[j])) {
            host->fail(host->ctx, "round %zu: the saliency of parameter %zu is %g (R overflows in double)", round, j,
                       f->S[j]);
            return 0;
        }
    return 1;
}

static int synflow_relevance(const pb_host *host, const pb_fit_view *fit, double *score, void *state)
{
    const synflow_state *s = state;
    if (host->abi_minor < 6 || !host->initial_weights || !host->dense_layers) {
        host->fail(host->ctx, "synflow needs the host services of ABI 1.6 (initial weights, dense layers)");
        return 1;
    }
    flow f = {.n = fit->n_params};
    size_t n = f.n, np = fit->n_prunable;
    if (host->dense_layers(host->ctx, NULL, 0, &f.L) != 0) return 1;
    f.layer = calloc(f.L ? f.L : 1, sizeof *f.layer);
    unsigned char *kept = malloc(n ? n : 1);
    keyed *k = malloc((np ? np : 1) * sizeof *k);
    f.v = malloc((n ? n : 1) * sizeof *f.v);
    f.S = calloc(n ? n : 1, sizeof *f.S);
    int st = !f.layer || !kept || !k || !f.v || !f.S;
    if (st) host->fail(host->ctx, "out of memory");
    if (!st) st = host->dense_layers(host->ctx, f.layer, f.L, &f.L) != 0;
    if (!st) {
        f.in0 = f.layer[0].in;
        f.units = f.layer[f.L - 1].unit + f.layer[f.L - 1].out;
        f.a = malloc((f.in0 + f.units) * sizeof *f.a);
        f.g = malloc(f.units * sizeof *f.g);
        if (!f.a || !f.g) host->fail(host->ctx, "out of memory"), st = 1;
    }
    if (!st) st = host->initial_weights(host->ctx, f.v) != 0;
    size_t removed = 0;
    if (!st) {
        for (size_t j = 0; j < n; j++) f.v[j] = fabs(f.v[j]), kept[j] = 1, score[j] = 0;
        for (size_t r = 1; r <= s->rounds && !st; r++) {
            /* kept after round r: n_p keep^(r/n) */
            size_t target = (size_t)llround((double)np * pow(s->keep, (double)r / (double)s->rounds));
            if (np - removed <= target) continue;
            saliency(&f);
            if (!finite_saliency(host, &f, fit, r)) { st = 1; break; }
            size_t c = sorted_kept(&f, fit, kept, k);
            for (size_t q = 0; q < c - target; q++) {
                size_t j = k[q].index;
                score[j] = (double)removed++;
                kept[j] = 0;
                f.v[j] = 0;
            }
        }
    }
    if (!st) {
        /* the survivors of the last round, by their saliency there */
        saliency(&f);
        if (!finite_saliency(host, &f, fit, s->rounds + 1)) st = 1;
        size_t c = st ? 0 : sorted_kept(&f, fit, kept, k);
        for (size_t q = 0; q < c; q++) score[k[q].index] = (double)removed++;
    }
    free(f.layer), free(kept), free(k), free(f.v), free(f.S), free(f.a), free(f.g);
    return st;
}

PB_EXPORT const pb_method pb_method_descriptor = {
    .abi_major = PB_ABI_MAJOR,
    .abi_minor = PB_ABI_MINOR,
    .struct_size = sizeof(pb_method),
    .name = "synflow",
    .summary = "iterative synaptic flow |w0 dR/dw0| of the all-ones input through |W0|, data-free (SynFlow)",
    .citation = "Tanaka, Kunin, Yamins, Ganguli (2020), Pruning neural networks without any data by iteratively "
                "conserving synaptic flow, NeurIPS",
    .relevance = synflow_relevance,
    .options = synflow_options,
    .requires = PB_REQUIRES_INITIAL_WEIGHTS | PB_REQUIRES_DENSE_LAYERS,
    .create_with = synflow_create,
    .destroy = synflow_destroy,
    .settings = synflow_settings,
};
