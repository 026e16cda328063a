/* cmd_bench.c -- `prunebench bench`: measured throughput of the standard
 * training steps and of the Belsley order, beside this machine's measured
 * GEMM peak (one thread, as cells run). Nothing here is asserted; the
 * numbers are printed for comparison between builds and machines.
 *
 * FLOP counts per training step of an MLP with W weight entries on B
 * samples: forward 2 W B, backward 4 W B (input and weight gradients), so
 * 6 W B; variational training adds O(n) per step, not counted.
 *
 * Options: --plugin-dir DIR; --only SUBSTR runs only the rows whose
 * "data spec method" contains SUBSTR (e.g. "wine", "svd", "784", "belsley"),
 * for profiling one case; --repeat K trains K times as many epochs.
 */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "blas.h"
#include "cell.h"
#include "cli.h"
#include "host.h"
#include "mlp.h"
#include "tabular.h"
#include "train.h"
#include "util.h"
#include "vmath.h"

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* Best-of-3 GFLOP/s of an n x n x n pb_gemm. */
static double gemm_peak(size_t n)
{
    double *A = calloc(n * n, sizeof *A), *B = calloc(n * n, sizeof *B), *C = calloc(n * n, sizeof *C);
    if (!A || !B || !C) die(pb_error(PB_ERR_NOMEM, "out of memory"));
    for (size_t i = 0; i < n * n; i++) A[i] = (double)(i % 7) * 0.1, B[i] = (double)(i % 5) * 0.2;
    double best = 0;
    for (int r = 0; r < 3; r++) {
        double t0 = now();
        pb_gemm(0, 0, n, n, n, 1.0, A, n, B, n, 0.0, C, n);
        double g = 2.0 * (double)n * (double)n * (double)n / (now() - t0) / 1e9;
        if (g > best) best = g;
    }
    free(A); free(B); free(C);
    return best;
}

/* --only SUBSTR: run just the rows whose "data spec method" contains SUBSTR
 * ("belsley" for the Belsley rows); NULL runs everything. */
static const char *only;
static size_t repeat = 1;  /* --repeat K: K times the epochs, for a longer profile */
static int wanted(const char *data, const char *spec, const char *method)
{
    char key[256];
    snprintf(key, sizeof key, "%s %s %s", data, spec, method);
    return !only || strstr(key, only) != NULL;
}

static size_t weight_count(const pb_mlp *m)
{
    size_t w = 0;
    for (size_t l = 0; l < m->n_layers; l++) w += m->dims[l] * m->dims[l + 1];
    return w;
}

/* Time `epochs` epochs of training on the first `limit` rows (0: all) of the
 * training split of `data`; method: a plugin that trains its own network, or NULL. */
static void bench_train(const char *data, const char *spec, pb_family fam, const char *method, size_t batch,
                        size_t epochs, size_t limit, double peak, const char *plugin_dir)
{
    if (!wanted(data, spec, method ? method : fam == PB_FAMILY_POINT ? "plain" : "gauss-diag")) return;
    pb_data tr, te;
    pb_scaling sc;
    pb_mlp *m;
    int st;
    if ((st = pb_dataset_open(data, "datasets", 1, 0.2, 1, &tr, &te, &sc))) die(st);
    size_t n_all = tr.n;
    if (limit && limit < tr.n) tr.n = limit;
    if ((st = pb_mlp_parse(spec, &m))) die(st);
    pb_fit fit;
    if ((st = pb_fit_alloc(&fit, m->n_params))) die(st);
    pb_train_opts o;
    pb_train_opts_default(&o);
    o.family = fam, o.batch = batch, o.epochs = epochs, o.seed = 1, o.label = "bench";
    pb_plugin p;
    if (method) {
        char path[1024];
        snprintf(path, sizeof path, "%s/%s.so", plugin_dir, method);
        if ((st = pb_plugin_open(path, &p)) || !p.method.training) {
            printf("%-9s %-22s %-10s skipped (%s)\n", data, spec, method, st ? pb_last_error() : "no training facet");
            pb_fit_free(&fit); pb_mlp_free(m); pb_data_free(&tr); pb_data_free(&te); pb_scaling_free(&sc);
            return;
        }
        o.family = PB_FAMILY_METHOD;
        o.training = p.method.training;
    }
    o.epochs *= repeat;
    epochs = o.epochs;
    double t0 = now();
    if ((st = pb_train(m, &tr, &o, &fit))) die(st);
    double dt = now() - t0;
    size_t B = batch && batch < tr.n ? batch : tr.n;
    size_t steps = epochs * ((tr.n + B - 1) / B);
    double samples = (double)epochs * (double)tr.n;
    double gflops = 6.0 * (double)weight_count(m) * samples / dt / 1e9;
    printf("%-9s %-22s %-10s B=%-4zu %9.0f steps/s %8.1f us/step %11.0f samples/s %6.2f GFLOP/s %5.1f%% of peak\n",
           data, spec, method ? method : fam == PB_FAMILY_POINT ? "plain" : "gauss-diag", B, (double)steps / dt, 1e6 * dt / (double)steps,
           samples / dt, gflops, 100 * gflops / peak);
    if (method) pb_plugin_close(&p);
    tr.n = n_all;
    pb_fit_free(&fit);
    pb_mlp_free(m);
    pb_data_free(&tr); pb_data_free(&te);
    pb_scaling_free(&sc);
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
    if ((st = pb_dataset_load("boston", "datasets", 1, &all))) die(st);
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
    double t0 = now();
    if ((st = pb_plugin_rank(&p, &host, &view, options, order, score, settings, sizeof settings))) die(st);
    printf("belsley   boston %-15s %zu weights, full removal order in %.2f s (%s)\n", "mlp:13-39-1:tanh:mse", np,
           now() - t0, options[0] ? options : "batch=1");
    pb_host_release(&ctx);
    free(mask); free(order); free(score);
    pb_fit_free(&fit);
    pb_mlp_free(m);
    pb_data_free(&all); pb_data_free(&tr); pb_data_free(&te);
    pb_scaling_free(&sc);
    pb_plugin_close(&p);
}

int cmd_bench(int argc, char **argv)
{
    opt o[] = {O("plugin-dir"), O("only"), O("repeat"), END};
    char **rest = calloc((size_t)argc + 1, sizeof *rest);
    int nrest;
    if (!rest) die(PB_ERR_NOMEM);
    int st = parse_opts(argc, argv, o, &rest, &nrest);
    if (st) die(st);
    if (nrest) die(pb_error(PB_ERR_ARG, "bench: unexpected argument '%s'", rest[0]));
    const char *dir = get(o, "plugin-dir", "build/plugins");
    only = get(o, "only", NULL);
    repeat = get_count(o, "repeat", 1, 1, 1000);
    printf("prunebench bench (%s; BLAS core %s, %d thread; vmath path %s)\n", pb_version(), pb_blas_corename(),
           pb_blas_threads(), pb_vmath_path_name(pb_vmath_path()));
    double peak = gemm_peak(1024);
    printf("GEMM peak (dgemm 1024^3, best of 3): %.2f GFLOP/s\n\n", peak);
    printf("training steps (epochs over the 80%% training split; 6 W B FLOP per step):\n");
    bench_train("wine", "mlp:13-13-3:tanh", PB_FAMILY_POINT, NULL, 0, 2000, 0, peak, dir);
    bench_train("wine", "mlp:13-13-3:tanh", PB_FAMILY_GAUSS_DIAG, NULL, 0, 2000, 0, peak, dir);
    bench_train("wine", "mlp:13-13-3:tanh", PB_FAMILY_GAUSS_DIAG, NULL, 32, 500, 0, peak, dir);
    bench_train("wine", "mlp:13-13-3:tanh", PB_FAMILY_METHOD, "svd", 0, 2000, 0, peak, dir);
    bench_train("boston", "mlp:13-39-1:tanh:mse", PB_FAMILY_POINT, NULL, 0, 1000, 0, peak, dir);
    bench_train("boston", "mlp:13-39-1:tanh:mse", PB_FAMILY_GAUSS_DIAG, NULL, 0, 1000, 0, peak, dir);
    bench_train("boston", "mlp:13-39-1:tanh:mse", PB_FAMILY_GAUSS_DIAG, NULL, 32, 200, 0, peak, dir);
    bench_train("boston", "mlp:13-39-1:tanh:mse", PB_FAMILY_METHOD, "svd", 0, 1000, 0, peak, dir);
    /* LeNet-300-100, batch 100, on the first 10000 training images (100 steps) */
    bench_train("fashion-mnist", "mlp:784-300-100-10:relu", PB_FAMILY_POINT, NULL, 100, 1, 10000, peak, dir);
    bench_train("fashion-mnist", "mlp:784-300-100-10:relu", PB_FAMILY_GAUSS_DIAG, NULL, 100, 1, 10000, peak, dir);
    bench_train("fashion-mnist", "mlp:784-300-100-10:relu", PB_FAMILY_METHOD, "svd", 100, 1, 10000, peak, dir);
    if (wanted("boston", "mlp:13-39-1:tanh:mse", "belsley")) printf("\nBelsley removal order:\n");
    bench_belsley(dir, "");
    bench_belsley(dir, "batch=10");
    free(rest);
    return 0;
}
