/* cmd_bench.c -- `prunebench bench`: measured throughput of the standard
 * training steps and of the Belsley order, beside this machine's measured
 * GEMM peak (one thread, as cells run). Nothing here is asserted; the
 * numbers are printed for comparison between builds and machines.
 *
 * FLOP counts per training step on B samples: about 3 F B, with F the FLOPs
 * of the matrix products of one sample's forward pass (the backward pass
 * costs twice the forward: input and weight gradients), counted exactly by
 * step_flops below. MLP with W weight entries:
 * F = 2 W. LSTM (T steps, d inputs, H units, G = 4 gate blocks, C outputs):
 * F = 2 (T G H d + (T - 1) G H H + C H) (h_0 = 0). Elementwise work
 * (activations, variational sampling, KL, Adam) is not counted.
 * The compressed LSTM: inference on sequences with the pb_rnn_compact network
 * built from a fixed pruning pattern (below), against the same code on the
 * unpruned network.
 *
 * Each row is the steady-state rate: after a warm-up of three steps, a run
 * stopped after half its steps and the whole run are timed, and their
 * difference divided by the other half's steps (the setup they share drops
 * out).
 *
 * Seed 003 (protocol P5) rows, mlp:784-100-10:relu, batch 128: p5-direct is
 * the direct variational step (gauss-diag, local reparameterization, SGD,
 * prior N(0, 1), lambda 1); hyper-lowrank and hyper-linear the
 * hypernetwork steps (train/family_hyper.c: generation, the same model
 * step, the chain rule into the hypernetwork; linear: 5 draws of lambda
 * per minibatch, so 5 model steps). Their "step" is a minibatch and
 * samples/s counts its samples once (epoch throughput); GFLOP/s counts
 * every model step (the generators' own work, O(n H) per step, is not
 * counted).
 *
 * Options: --plugin-dir DIR; --only SUBSTR runs only the rows whose
 * "data spec method precision" contains SUBSTR (e.g. "wine", "svd", "f32", "784", "belsley"),
 * for profiling one case; --repeat K trains K times as many epochs.
 */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_rng.h>

#include "base/blas.h"
#include "host/cell.h"
#include "cli/cli.h"
#include "host/host.h"
#include "models/mlp.h"
#include "models/model.h"
#include "models/rnn.h"
#include "datasets/registry.h"
#include "train/train.h"
#include "train/hyper.h"
#include "base/util.h"
#include "formats/provenance.h"
#include "base/vmath.h"

/* Best-of-3 GFLOP/s of an n x n x n pb_gemm (dgemm) or pb_gemm_f32 (sgemm). */
static double gemm_peak(size_t n, pb_precision p)
{
    double *A = calloc(n * n, sizeof *A), *B = calloc(n * n, sizeof *B), *C = calloc(n * n, sizeof *C);
    float *Af = calloc(n * n, sizeof *Af), *Bf = calloc(n * n, sizeof *Bf), *Cf = calloc(n * n, sizeof *Cf);
    if (!A || !B || !C || !Af || !Bf || !Cf) die(pb_error(PB_ERR_NOMEM, "out of memory"));
    for (size_t i = 0; i < n * n; i++) A[i] = (double)(i % 7) * 0.1, B[i] = (double)(i % 5) * 0.2;
    pb_vnarrow(n * n, A, Af), pb_vnarrow(n * n, B, Bf);
    double best = 0;
    for (int r = 0; r < 3; r++) {
        double t0 = pb_seconds();
        if (p == PB_PRECISION_F32) pb_gemm_f32(0, 0, n, n, n, 1.0f, Af, n, Bf, n, 0.0f, Cf, n);
        else pb_gemm(0, 0, n, n, n, 1.0, A, n, B, n, 0.0, C, n);
        double g = 2.0 * (double)n * (double)n * (double)n / (pb_seconds() - t0) / 1e9;
        if (g > best) best = g;
    }
    free(A), free(B), free(C), free(Af), free(Bf), free(Cf);
    return best;
}

static double peak_of[2];  /* GEMM peak per precision (pb_precision) */

/* FLOPs of the matrix products of one training step, per sample: the
 * forward pass F, the weight gradients F, the input gradients F less the
 * first layer's (not computed unless group multipliers or an embedding need
 * them: 2 d0 d1 of an MLP, 2 T G H d of a recurrent net); twice that for a
 * method with the local reparameterization trick on an MLP (means and
 * variances). */
static double step_flops(const pb_model *m, const pb_training *tr)
{
    double F = pb_model_forward_flops(m), first = 0;
    int lrt = tr && tr->local_reparameterization, groups = tr && tr->group_variables;
    const pb_mlp *dense = pb_model_dense_layers(m);
    pb_rnn *r = NULL;
    if (dense) first = 2.0 * (double)dense->dims[0] * (double)dense->dims[1];
    else if (!pb_rnn_parse(m->spec, &r) && !r->tokens) first = 2.0 * (double)(r->T * r->G * r->H * r->d);
    pb_rnn_free(r);
    double per = 3 * F - (groups ? 0 : first);
    return lrt && dense ? 2 * per : per;
}

/* --only SUBSTR: run just the rows whose "data spec method precision" contains SUBSTR
 * ("belsley" for the Belsley rows); NULL runs everything. */
static const char *only;
static size_t repeat = 1;  /* --repeat K: K times the epochs, for a longer profile */
static int wanted(const char *data, const char *spec, const char *method)
{
    char key[256];
    snprintf(key, sizeof key, "%s %s %s", data, spec, method);
    return !only || strstr(key, only) != NULL;
}

/* "pairs-random": n sentence pairs for the siamese RNN row, in the pair
 * layout (2 x 20 ids, each sentence pre-padded to a length of 5..20 words
 * drawn uniformly, ids uniform in [2, 5002), 6 classes) from a fixed seed;
 * the timing does not depend on the words. */
#define PAIRS_RANDOM "pairs-random"
static void random_pairs(size_t n, pb_data *tr)
{
    const size_t L = 20, V = 5002, C = 6;
    int st = pb_data_alloc(tr, PAIRS_RANDOM, n, 2 * L, 1, (int)C);
    if (st) die(st);
    tr->seq_len = 2 * L, tr->vocab = V;
    uint64_t x = 88172645463325252ULL;   /* xorshift64 */
    for (size_t i = 0; i < n; i++) {
        for (size_t s = 0; s < 2 * L; s += L) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            size_t len = 5 + (size_t)(x % (L - 4));
            for (size_t t = 0; t < L; t++) {
                x ^= x << 13, x ^= x >> 7, x ^= x << 17;
                tr->X[i * 2 * L + s + t] = t < L - len ? 0 : (double)(2 + x % (V - 2));
            }
        }
        tr->y[i] = (double)(i % C);
    }
}

/* "pairs-vectors-random": n pairs in the layout of the word-vector sets
 * (datasets/vector_pairs.h: 2 x 30 steps of 50 reals; sentences pre-padded
 * with zero vectors to a length of 5..30 words, entries uniform in [-1, 1]),
 * for the row of the seed's network, siamese:2x30x50-50-6. */
#define PAIRS_VECTORS "pairs-vectors-random"
static void random_pair_vectors(size_t n, pb_data *tr)
{
    const size_t L = 30, E = 50, C = 6;
    int st = pb_data_alloc(tr, PAIRS_VECTORS, n, 2 * L * E, 1, (int)C);
    if (st) die(st);
    tr->seq_len = 2 * L;
    uint64_t x = 88172645463325252ULL;   /* xorshift64 */
    for (size_t i = 0; i < n; i++) {
        for (size_t s = 0; s < 2; s++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            size_t len = 5 + (size_t)(x % (L - 4));
            for (size_t t = L - len; t < L; t++)
                for (size_t j = 0; j < E; j++) {
                    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
                    tr->X[((i * 2 + s) * L + t) * E + j] = (double)(x % 2001) / 1000.0 - 1.0;
                }
        }
        tr->y[i] = (double)(i % C);
    }
}

/* The seed-003 rows (see the top). */
typedef enum p5_row { P5_NONE, P5_DIRECT, P5_LOWRANK, P5_LINEAR } p5_row;
static const char *const p5_name[] = {NULL, "p5-direct", "hyper-lowrank", "hyper-linear"};

/* Time `epochs` epochs of training on the first `limit` rows (0: all) of the
 * training split of `data` (PAIRS_RANDOM: `limit` random pairs);
 * method: a plugin that trains its own network, or NULL; p5: a seed-003 row. */
static void bench_train(const char *data, const char *spec, pb_family fam, const char *method, size_t batch,
                        size_t epochs, size_t limit, pb_precision prec, const char *plugin_dir, p5_row p5)
{
    char key[64];
    const char *name = p5 ? p5_name[p5] : method ? method : fam == PB_FAMILY_POINT ? "plain" : "gauss-diag";
    snprintf(key, sizeof key, "%s %s", name, pb_precision_name(prec));
    if (!wanted(data, spec, key)) return;
    double peak = peak_of[prec];
    pb_data tr, te;
    pb_scaling sc;
    pb_model *m;
    int st;
    if (!strcmp(data, PAIRS_RANDOM) || !strcmp(data, PAIRS_VECTORS)) {
        memset(&te, 0, sizeof te), memset(&sc, 0, sizeof sc);
        if (!strcmp(data, PAIRS_RANDOM)) random_pairs(limit, &tr);
        else random_pair_vectors(limit, &tr);
    } else if ((st = pb_dataset_open(data, data_dir(NULL), 1, 0.2, 1, &tr, &te, &sc))) die(st);
    size_t n_all = tr.n;
    if (limit && limit < tr.n) tr.n = limit;
    if ((st = pb_model_parse(spec, &m))) die(st);
    pb_fit fit;
    if ((st = pb_fit_alloc(&fit, m->n_params))) die(st);
    pb_train_opts o;
    pb_train_opts_default(&o);
    o.family = fam, o.batch = batch, o.epochs = epochs, o.seed = 1, o.label = "bench", o.precision = prec;
    pb_plugin p;
    if (method) {
        char path[1024];
        snprintf(path, sizeof path, "%s/%s.so", plugin_dir, method);
        if ((st = pb_plugin_open(path, &p)) || !p.method.training) {
            printf("%-9s %-22s %-10s skipped (%s)\n", data, spec, method, st ? pb_last_error() : "no training facet");
            pb_fit_free(&fit); pb_model_free(m); pb_data_free(&tr); pb_data_free(&te); pb_scaling_free(&sc);
            return;
        }
        o.family = PB_FAMILY_METHOD;
        o.training = p.method.training;
    }
    pb_hyper h = {0};
    double draws = 1;
    if (p5) {
        o.optimizer = PB_OPT_SGD, o.lr = PB_HYPER_SGD_LR, o.init_sd = 0.05;
        if (p5 == P5_DIRECT) o.lrt = 1, o.prior_fixed = 1;
    }
    if (p5 == P5_LOWRANK || p5 == P5_LINEAR) {
        pb_hyper_kind k = p5 == P5_LINEAR ? PB_HYPER_LINEAR : PB_HYPER_LOWRANK;
        gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
        double *z = pb_calloc(m->n_params, sizeof *z);
        if (!r || !z || (st = pb_hyper_alloc(&h, m, k, PB_HYPER_HIDDEN))) die(st ? st : PB_ERR_NOMEM);
        gsl_rng_set(r, 1);
        pb_hyper_init(&h, z, o.init_sd, r);
        gsl_rng_free(r), free(z);
        o.family = PB_FAMILY_HYPER, o.hyper = &h;
        o.lambda_draws = k == PB_HYPER_LINEAR ? 5 : 1, draws = (double)o.lambda_draws;
        o.grad_clip = k == PB_HYPER_LINEAR ? PB_HYPER_CLIP_LINEAR : PB_HYPER_CLIP_LOWRANK;
    }
    o.epochs *= repeat;
    epochs = o.epochs;
    /* Steady-state time per step: after a warm-up of a few steps (first
     * touches of memory, BLAS buffers), the run stopped after half its steps
     * and the whole run are timed; their difference leaves out the setup
     * both share (initialization, workspaces). */
    size_t B = batch && batch < tr.n ? batch : tr.n;
    size_t all = epochs * ((tr.n + B - 1) / B), half = all / 2, steps = all - half;
    o.stop_after_steps = half < 3 ? half : 3;
    if ((st = pb_train_model(m, &tr, &o, &fit)) && st != PB_PAUSED) die(st);
    double t0 = pb_seconds();
    o.stop_after_steps = half;
    if ((st = pb_train_model(m, &tr, &o, &fit)) && st != PB_PAUSED) die(st);
    double t1 = pb_seconds();
    o.stop_after_steps = 0;
    if ((st = pb_train_model(m, &tr, &o, &fit))) die(st);
    double dt = (pb_seconds() - t1) - (t1 - t0);
    double samples = (double)steps * (double)B;
    double per_sample = step_flops(m, method ? o.training : NULL) * (p5 ? 2 * draws : 1);  /* p5: lrt on means and variances */
    double gflops = per_sample * samples / dt / 1e9;
    printf("%-17s %-23s %-13s %s B=%-4zu %9.0f steps/s %8.1f us/step %11.0f samples/s %6.2f GFLOP/s %5.1f%% of peak\n",
           data, spec, name, pb_precision_name(prec), B, (double)steps / dt, 1e6 * dt / (double)steps,
           samples / dt, gflops, 100 * gflops / peak);
    pb_hyper_free(&h);
    if (method) pb_plugin_close(&p);
    tr.n = n_all;
    pb_fit_free(&fit);
    pb_model_free(m);
    pb_data_free(&tr); pb_data_free(&te);
    pb_scaling_free(&sc);
}

/* Inference of the compact LSTM (models/rnn.h) against the same code on the
 * unpruned network, on the first 2000 test sequences of sequential
 * Fashion-MNIST. Pruning pattern (fixed, deterministic, the kind group
 * sparsification gives): of 128 hidden units keep 32; of their gates keep
 * input dependence for i, f, o on the first 16 kept units and for g on all 32
 * (the others constant); of 28 inputs keep 14; every other weight 0. */
static void bench_compact(void)
{
    const char *spec = "lstm:28x28-128-10";
    if (!wanted("seq-fashion-mnist", spec, "compact")) return;
    pb_data tr, te;
    pb_scaling sc;
    pb_rnn *m;
    int st;
    if ((st = pb_dataset_open("seq-fashion-mnist", data_dir(NULL), 1, 0.2, 1, &tr, &te, &sc))) die(st);
    if ((st = pb_rnn_parse(spec, &m))) die(st);
    size_t n = m->n_params, H = m->H, d = m->d, N = te.n < 2000 ? te.n : 2000;
    double *w = pb_calloc(n, sizeof *w), *wp = pb_calloc(n, sizeof *wp), *out = pb_calloc(N * m->C, sizeof *out);
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    if (!w || !wp || !out || !r) die(PB_ERR_NOMEM);
    gsl_rng_set(r, 1);
    pb_rnn_init(m, w, r);
    memcpy(wp, w, n * sizeof *w);
    for (size_t q = 0; q < 4; q++)
        for (size_t u = 0; u < H; u++) {
            int unit = u < 32, dep = unit && (q == 2 || u < 16);
            for (size_t j = 0; j < d; j++)
                if (!dep || j >= 14) wp[m->off_wx + (q * H + u) * d + j] = 0;
            for (size_t k = 0; k < H; k++)
                if (!dep || k >= 32) wp[m->off_wh + (q * H + u) * H + k] = 0;
        }
    for (size_t c = 0; c < m->C; c++)
        for (size_t k = 32; k < H; k++) wp[m->off_wout + c * H + k] = 0;
    pb_rnn_compact *full, *cp;
    pb_rnn_structure sf, s;
    if ((st = pb_rnn_compact_build(m, w, &full)) || (st = pb_rnn_compact_build(m, wp, &cp)) ||
        (st = pb_rnn_compact_structure(full, &sf)) || (st = pb_rnn_compact_structure(cp, &s)))
        die(st);
    double tf = HUGE_VAL, tc = HUGE_VAL;
    for (int k = 0; k < 3; k++) {
        double t0 = pb_seconds();
        if ((st = pb_rnn_compact_predict(full, te.X, N, out))) die(st);
        double t1 = pb_seconds();
        if ((st = pb_rnn_compact_predict(cp, te.X, N, out))) die(st);
        double t2 = pb_seconds();
        tf = fmin(tf, t1 - t0), tc = fmin(tc, t2 - t1);
    }
    printf("seq-fashion-mnist %s compact: hidden %zu/%zu, non-constant gates %zu/%zu, inputs %zu/%zu: "
           "%.0f vs %.0f sequences/s, %.2fx faster for %.2fx fewer FLOPs\n", spec, s.hidden_kept, s.hidden,
           s.gates_nonconst, s.gates, s.inputs_kept, s.inputs, (double)N / tf, (double)N / tc, tf / tc,
           sf.flops_compact / s.flops_compact);
    pb_rnn_compact_free(full);
    pb_rnn_compact_free(cp);
    gsl_rng_free(r);
    free(w), free(wp), free(out);
    pb_rnn_free(m);
    pb_data_free(&tr), pb_data_free(&te), pb_scaling_free(&sc);
}

/* Time the Belsley order on a short Boston base fit (weights only). */
static void bench_belsley(const char *plugin_dir, const char *options)
{
    if (!wanted("boston", "mlp:13-39-1:tanh:mse", "belsley")) return;
    char path[1024];
    snprintf(path, sizeof path, "%s/belsley.so", plugin_dir);
    pb_plugin p;
    int st = pb_plugin_open(path, &p);
    if (st) { printf("belsley: skipped (%s)\n", pb_last_error()); return; }
    pb_data all, tr, te;
    pb_scaling sc;
    pb_mlp *m;
    if ((st = pb_dataset_load("boston", data_dir(NULL), 1, &all))) die(st);
    if ((st = pb_cell_prepare_data(&all, 0.2, 1, 1, &tr, &te, &sc))) die(st);
    if ((st = pb_mlp_parse("mlp:13-39-1:tanh:mse", &m))) die(st);
    pb_fit fit;
    if ((st = pb_fit_alloc(&fit, m->n_params))) die(st);
    pb_train_opts o;
    pb_train_opts_default(&o);
    o.epochs = 100, o.seed = 1, o.label = "bench fit";
    if ((st = pb_train(m, &tr, &o, &fit))) die(st);
    m->noise_precision = fit.noise_precision;
    size_t n = m->n_params;
    unsigned char *mask = pb_calloc(n, 1);
    size_t *order = pb_calloc(n, sizeof *order);
    double *score = pb_calloc(n, sizeof *score);
    if (!mask || !order || !score) die(PB_ERR_NOMEM);
    size_t np = pb_prunable_mask(m, 0, mask);
    pb_fit_view view = {n, fit.mean, fit.sd, mask, np, fit.prior_mean, fit.prior_sd, m->spec, 0, NULL, NULL, NULL, NULL, NULL};
    pb_host host;
    pb_host_ctx ctx;
    if ((st = pb_host_init(&host, &ctx, m, &tr, 1))) die(st);
    char settings[512];
    double t0 = pb_seconds();
    if ((st = pb_plugin_rank(&p, &host, &view, options, order, score, settings, sizeof settings))) die(st);
    printf("belsley   boston %-15s %zu weights, full removal order in %.2f s (%s)\n", "mlp:13-39-1:tanh:mse", np,
           pb_seconds() - t0, options[0] ? options : "batch=1");
    pb_host_release(&ctx);
    free(mask); free(order); free(score);
    pb_fit_free(&fit);
    pb_mlp_free(m);
    pb_data_free(&all); pb_data_free(&tr); pb_data_free(&te);
    pb_scaling_free(&sc);
    pb_plugin_close(&p);
}

/* The standard steps, each timed in double and (models trained in float by
 * the pipeline) in float. */
typedef struct bench_row {
    const char *data, *spec;
    pb_family family;
    const char *method;     /* a plugin that trains its own network, or NULL */
    size_t batch, epochs, limit;
    int f32;                /* also in float */
    p5_row p5;              /* a seed-003 row */
} bench_row;

static const bench_row bench_rows[] = {
    {"wine", "mlp:13-13-3:tanh", PB_FAMILY_POINT, NULL, 0, 2000, 0, 0, P5_NONE},
    {"wine", "mlp:13-13-3:tanh", PB_FAMILY_GAUSS_DIAG, NULL, 0, 2000, 0, 0, P5_NONE},
    {"wine", "mlp:13-13-3:tanh", PB_FAMILY_GAUSS_DIAG, NULL, 32, 500, 0, 0, P5_NONE},
    {"wine", "mlp:13-13-3:tanh", PB_FAMILY_METHOD, "svd", 0, 2000, 0, 0, P5_NONE},
    {"boston", "mlp:13-39-1:tanh:mse", PB_FAMILY_POINT, NULL, 0, 1000, 0, 1, P5_NONE},
    {"boston", "mlp:13-39-1:tanh:mse", PB_FAMILY_GAUSS_DIAG, NULL, 0, 1000, 0, 0, P5_NONE},
    {"boston", "mlp:13-39-1:tanh:mse", PB_FAMILY_GAUSS_DIAG, NULL, 32, 200, 0, 0, P5_NONE},
    {"boston", "mlp:13-39-1:tanh:mse", PB_FAMILY_METHOD, "svd", 0, 1000, 0, 0, P5_NONE},
    /* LeNet-300-100, batch 100, on the first 10000 training images (100 steps) */
    {"fashion-mnist", "mlp:784-300-100-10:relu", PB_FAMILY_POINT, NULL, 100, 1, 10000, 1, P5_NONE},
    {"fashion-mnist", "mlp:784-300-100-10:relu", PB_FAMILY_GAUSS_DIAG, NULL, 100, 1, 10000, 1, P5_NONE},
    {"fashion-mnist", "mlp:784-300-100-10:relu", PB_FAMILY_METHOD, "svd", 100, 1, 10000, 1, P5_NONE},
    {"fashion-mnist", "mlp:784-300-100-10:relu", PB_FAMILY_METHOD, "groupvd", 100, 1, 10000, 1, P5_NONE},
    /* LSTM-128 on sequential Fashion-MNIST, batch 128, on the first 2560 training sequences (20 steps) */
    {"seq-fashion-mnist", "lstm:28x28-128-10", PB_FAMILY_POINT, NULL, 128, 1, 2560, 1, P5_NONE},
    {"seq-fashion-mnist", "lstm:28x28-128-10", PB_FAMILY_METHOD, "svd", 128, 1, 2560, 1, P5_NONE},
    {"seq-fashion-mnist", "lstm:28x28-128-10", PB_FAMILY_METHOD, "groupvd", 128, 1, 2560, 1, P5_NONE},
    /* siamese Elman RNN (seed 000), 32 pairs of 20 tokens, vocabulary 5002, embedding 50, 50 hidden units;
     * 2560 random pairs (80 steps) */
    {PAIRS_RANDOM, "siamese:2x20v5002e50-50-6", PB_FAMILY_POINT, NULL, 32, 1, 2560, 0, P5_NONE},
    /* ... and the seed's network on fixed word vectors, 2 x 30 steps of 50 values (5,656 weights) */
    {PAIRS_VECTORS, "siamese:2x30x50-50-6", PB_FAMILY_POINT, NULL, 32, 1, 2560, 0, P5_NONE},
    {PAIRS_VECTORS, "siamese:2x30x50-50-6", PB_FAMILY_GAUSS_DIAG, NULL, 32, 1, 2560, 0, P5_NONE},
    /* seed 003 (P5): the direct variational step and the hypernetwork steps of mlp:784-100-10, batch 128, on
     * the first 12800 training images (100 minibatches) */
    {"fashion-mnist", "mlp:784-100-10:relu", PB_FAMILY_GAUSS_DIAG, NULL, 128, 1, 12800, 0, P5_DIRECT},
    {"fashion-mnist", "mlp:784-100-10:relu", PB_FAMILY_HYPER, NULL, 128, 1, 12800, 0, P5_LOWRANK},
    {"fashion-mnist", "mlp:784-100-10:relu", PB_FAMILY_HYPER, NULL, 128, 1, 12800, 0, P5_LINEAR},
};

int cmd_bench(int argc, char **argv)
{
    opt o[] = {O("plugin-dir"), O("only"), O("repeat"), END};
    parse_or_die(argc, argv, o, "bench");
    const char *dir = plugin_dir(o);
    only = get(o, "only", NULL);
    repeat = get_count(o, "repeat", 1, 1, 1000);
    printf("prunebench bench (%s; BLAS core %s, %d thread; vmath path %s)\n", pb_version(), pb_blas_corename(),
           pb_blas_threads(), pb_vmath_path_name(pb_vmath_path()));
    peak_of[PB_PRECISION_F64] = gemm_peak(1024, PB_PRECISION_F64);
    peak_of[PB_PRECISION_F32] = gemm_peak(1024, PB_PRECISION_F32);
    printf("GEMM peak (1024^3, best of 3): dgemm %.2f GFLOP/s, sgemm %.2f GFLOP/s\n\n", peak_of[PB_PRECISION_F64],
           peak_of[PB_PRECISION_F32]);
    printf("training steps, steady state (GFLOP/s of the step's matrix products: forward, weight and input\n"
           "gradients, twice with the local reparameterization trick; share of the GEMM peak of the row's precision):\n");
    for (size_t r = 0; r < sizeof bench_rows / sizeof *bench_rows; r++)
        for (int p = 0; p < 2; p++) {
            const bench_row *b = &bench_rows[r];
            if (p == PB_PRECISION_F32 && !b->f32) continue;
            bench_train(b->data, b->spec, b->family, b->method, b->batch, b->epochs, b->limit, (pb_precision)p, dir,
                        b->p5);
        }
    if (wanted("seq-fashion-mnist", "lstm:28x28-128-10", "compact")) printf("\ncompressed LSTM inference:\n");
    bench_compact();
    if (wanted("boston", "mlp:13-39-1:tanh:mse", "belsley")) printf("\nBelsley removal order:\n");
    bench_belsley(dir, "");
    bench_belsley(dir, "batch=10");
    return 0;
}
