/* precision.c -- the float32 training path against the double one.
 *
 * The kernels are one source compiled for both types (base/real.h), and the
 * double build's gradients are checked against central differences in
 * mlp_grad.c, rnn_grad.c and rnn_vd.c. Here the float build is checked
 * against the double build at the same parameters, samples and noise:
 *   - sgemm (pb_gemm_f32) and its naive loop against a double reference;
 *   - through pb_model_ws_alloc_precision, for an MLP (tanh/ce, relu/mse),
 *     an LSTM (real and token inputs) and an Elman RNN: the loss within
 *     1e-5 relative and every gradient entry within 1e-5 of the largest
 *     (float rounding through a few layers), for the point loss, the loss
 *     with group multipliers (value and dL/dZ) and the variational step with
 *     its noise (dtheta, dsigma2, dZ);
 *   - that the float path really ran in float: its gradients are floats
 *     widened (each equals its own rounding to float) and differ from the
 *     double ones somewhere;
 *   - training: f32 twice gives bitwise the same fit; the settings record
 *     the precision; f32 and f64 reach the same accuracy on an easy task;
 *     a checkpoint of an f64 run is not resumed by an f32 run. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "tap.h"
#include "blobs.h"
#include "base/blas.h"
#include "base/util.h"
#include "formats/fit.h"
#include "models/model.h"
#include "train/train.h"

/* ---- sgemm ---------------------------------------------------------------- */

static void test_sgemm(gsl_rng *r)
{
    int good = 1, naive_good = 1;
    for (int ta = 0; ta < 2; ta++)
        for (int tb = 0; tb < 2; tb++) {
            size_t M = 7, N = 5, K = 9, lda = (ta ? M : K) + 1, ldb = (tb ? K : N) + 2, ldc = N + 1;
            float A[16 * 16], B[16 * 16], C[16 * 16], Cn[16 * 16];
            double ref[16 * 16];
            for (size_t i = 0; i < 256; i++)
                A[i] = (float)(2 * gsl_rng_uniform(r) - 1), B[i] = (float)(2 * gsl_rng_uniform(r) - 1),
                C[i] = Cn[i] = (float)(2 * gsl_rng_uniform(r) - 1);
            for (size_t i = 0; i < M; i++)
                for (size_t j = 0; j < N; j++) {
                    double s = 0;
                    for (size_t k = 0; k < K; k++)
                        s += (double)(ta ? A[k * lda + i] : A[i * lda + k]) * (double)(tb ? B[j * ldb + k] : B[k * ldb + j]);
                    ref[i * ldc + j] = 0.5 * s - 2.0 * (double)C[i * ldc + j];
                }
            pb_gemm_f32(ta, tb, M, N, K, 0.5f, A, lda, B, ldb, -2.0f, C, ldc);
            pb_gemm_naive_f32(ta, tb, M, N, K, 0.5f, A, lda, B, ldb, -2.0f, Cn, ldc);
            for (size_t i = 0; i < M; i++)
                for (size_t j = 0; j < N; j++) {
                    good &= fabs((double)C[i * ldc + j] - ref[i * ldc + j]) < 1e-5;
                    naive_good &= fabs((double)Cn[i * ldc + j] - ref[i * ldc + j]) < 1e-5;
                }
        }
    ok(good, "sgemm: every transpose, padded leading dimensions, alpha 0.5, beta -2: within 1e-5 of a double reference");
    ok(naive_good, "the naive float loop: the same");
}

/* ---- the model path in both precisions ----------------------------------- */

typedef struct setup {
    pb_model *m;
    size_t n, N, nz;
    double *w, *s2, *X, *y, *Z;
} setup;

static void setup_open(setup *s, const char *spec, gsl_rng *r, size_t N)
{
    TAP_REQUIRE(pb_model_parse(spec, &s->m) == 0);
    const pb_model *m = s->m;
    s->n = m->n_params, s->N = N, s->nz = m->n_variable_groups;
    s->w = malloc(s->n * sizeof *s->w), s->s2 = malloc(s->n * sizeof *s->s2);
    s->X = malloc(N * m->in_dim * sizeof *s->X), s->y = malloc(N * m->out_dim * sizeof *s->y);
    s->Z = malloc((N * s->nz + 1) * sizeof *s->Z);
    TAP_REQUIRE(s->w && s->s2 && s->X && s->y && s->Z);
    pb_model_init(m, s->w, r);
    for (size_t j = 0; j < s->n; j++) s->w[j] += 0.1 * gsl_ran_gaussian(r, 1.0), s->s2[j] = 0.01 * gsl_rng_uniform_pos(r);
    int tokens = strstr(spec, "xv") != NULL;
    for (size_t k = 0; k < N * m->in_dim; k++) s->X[k] = tokens ? (double)gsl_rng_uniform_int(r, 5) : gsl_ran_gaussian(r, 1.0);
    if (m->head == PB_HEAD_CE)
        for (size_t i = 0; i < N; i++) s->y[i] = (double)gsl_rng_uniform_int(r, m->out_dim);
    else
        for (size_t k = 0; k < N * m->out_dim; k++) s->y[k] = gsl_ran_gaussian(r, 1.0);
    for (size_t k = 0; k < N * s->nz; k++) s->Z[k] = 1 + 0.3 * gsl_ran_gaussian(r, 1.0);
}

static void setup_close(setup *s)
{
    pb_model_free(s->m);
    free(s->w), free(s->s2), free(s->X), free(s->y), free(s->Z);
}

/* max |a - b| / max |b| over n entries (0 if b is all zero and a = b) */
static double rel_err(size_t n, const double *a, const double *b)
{
    double d = 0, s = 0;
    for (size_t j = 0; j < n; j++) d = fmax(d, fabs(a[j] - b[j])), s = fmax(s, fabs(b[j]));
    return s > 0 ? d / s : d;
}

/* every entry a float widened; some entry different from the double result */
static int is_float_result(size_t n, const double *a, const double *b)
{
    int widened = 1, differs = 0;
    for (size_t j = 0; j < n; j++) widened &= (double)(float)a[j] == a[j], differs |= a[j] != b[j];
    return widened && differs;
}

#define TOL 1e-5

static void test_point(const char *spec, gsl_rng *r)
{
    setup s;
    setup_open(&s, spec, r, 24);
    pb_model_ws *w64 = pb_model_ws_alloc_precision(s.m, 8, PB_PRECISION_F64);
    pb_model_ws *w32 = pb_model_ws_alloc_precision(s.m, 8, PB_PRECISION_F32);
    TAP_REQUIRE(w64 && w32);
    double *g64 = calloc(s.n, sizeof *g64), *g32 = calloc(s.n, sizeof *g32), l64, l32;
    TAP_REQUIRE(g64 && g32);
    TAP_REQUIRE(pb_model_loss_grad(s.m, w64, s.w, s.X, s.y, s.N, NULL, NULL, &l64, g64) == 0);
    TAP_REQUIRE(pb_model_loss_grad(s.m, w32, s.w, s.X, s.y, s.N, NULL, NULL, &l32, g32) == 0);
    double e = rel_err(s.n, g32, g64);
    ok(fabs(l32 - l64) <= 1e-5 * fabs(l64) && e <= TOL && is_float_result(s.n, g32, g64),
       "%s point loss over 24 samples in chunks of 8: f32 loss %.9g vs f64 %.9g; gradient within %.2g of the largest (bound %g), "
       "computed in float", spec, l32, l64, e, TOL);
    if (pb_model_has(s.m, PB_CAP_GROUP_LOSS)) {
        size_t nz = s.N * s.nz;
        double *dz64 = calloc(nz, sizeof *dz64), *dz32 = calloc(nz, sizeof *dz32);
        TAP_REQUIRE(dz64 && dz32);
        TAP_REQUIRE(pb_model_loss_grad(s.m, w64, s.w, s.X, s.y, s.N, s.Z, dz64, &l64, g64) == 0);
        TAP_REQUIRE(pb_model_loss_grad(s.m, w32, s.w, s.X, s.y, s.N, s.Z, dz32, &l32, g32) == 0);
        double ez = rel_err(nz, dz32, dz64);
        e = rel_err(s.n, g32, g64);
        ok(fabs(l32 - l64) <= 1e-5 * fabs(l64) && e <= TOL && ez <= TOL && is_float_result(nz, dz32, dz64),
           "%s with group multipliers: loss %.9g vs %.9g, gradient within %.2g, dL/dZ within %.2g", spec, l32, l64, e, ez);
        free(dz64), free(dz32);
    } else {
        ok(1, "%s: no group multipliers in the point loss (nothing to compare)", spec);
    }
    free(g64), free(g32);
    pb_model_ws_free(w64), pb_model_ws_free(w32);
    setup_close(&s);
}

static void test_variational(const char *spec, gsl_rng *r)
{
    setup s;
    setup_open(&s, spec, r, 8);
    pb_model_ws *w64 = pb_model_ws_alloc_precision(s.m, 8, PB_PRECISION_F64);
    pb_model_ws *w32 = pb_model_ws_alloc_precision(s.m, 8, PB_PRECISION_F32);
    gsl_rng *n64 = gsl_rng_alloc(gsl_rng_mt19937), *n32 = gsl_rng_alloc(gsl_rng_mt19937);
    TAP_REQUIRE(w64 && w32 && n64 && n32);
    gsl_rng_set(n64, 99), gsl_rng_set(n32, 99);
    size_t n = s.n, nz = s.N * s.nz;
    double *t64 = calloc(n, sizeof *t64), *t32 = calloc(n, sizeof *t32), *v64 = calloc(n, sizeof *v64),
           *v32 = calloc(n, sizeof *v32), *z64 = calloc(nz + 1, sizeof *z64), *z32 = calloc(nz + 1, sizeof *z32), l64, l32;
    TAP_REQUIRE(t64 && t32 && v64 && v32 && z64 && z32);
    TAP_REQUIRE(pb_model_lrt_loss_grad(s.m, w64, s.w, s.s2, s.X, s.y, s.N, s.Z, z64, n64, &l64, t64, v64) == 0);
    TAP_REQUIRE(pb_model_lrt_loss_grad(s.m, w32, s.w, s.s2, s.X, s.y, s.N, s.Z, z32, n32, &l32, t32, v32) == 0);
    double et = rel_err(n, t32, t64), ev = rel_err(n, v32, v64), ez = rel_err(nz, z32, z64);
    ok(fabs(l32 - l64) <= 1e-5 * fabs(l64) && et <= TOL && ev <= TOL && ez <= TOL && is_float_result(n, t32, t64),
       "%s variational step with group multipliers, the same noise: loss %.9g vs %.9g; dtheta within %.2g, "
       "dsigma2 within %.2g, dZ within %.2g", spec, l32, l64, et, ev, ez);
    ok(gsl_rng_get(n64) == gsl_rng_get(n32), "%s: both precisions drew the same number of noise values", spec);
    free(t64), free(t32), free(v64), free(v32), free(z64), free(z32);
    gsl_rng_free(n64), gsl_rng_free(n32);
    pb_model_ws_free(w64), pb_model_ws_free(w32);
    setup_close(&s);
}

/* ---- training ----------------------------------------------------------- */

static double accuracy(const pb_model *m, const pb_fit *fit, const pb_data *d)
{
    pb_model_ws *ws = pb_model_ws_alloc(m, 64);
    double *p = malloc(d->n * 3 * sizeof *p);
    TAP_REQUIRE(ws && p);
    TAP_REQUIRE(pb_model_predict(m, ws, fit->mean, d->X, d->n, p) == 0);
    size_t right = 0;
    for (size_t i = 0; i < d->n; i++) {
        size_t best = 0;
        for (size_t c = 1; c < 3; c++)
            if (p[i * 3 + c] > p[i * 3 + best]) best = c;
        right += (double)best == d->y[i];
    }
    free(p);
    pb_model_ws_free(ws);
    return (double)right / (double)d->n;
}

static void test_training(void)
{
    pb_model *m;
    TAP_REQUIRE(pb_model_parse("mlp:2-8-3:tanh", &m) == 0);
    pb_data d;
    tu_blobs(&d, "blobs", 50, 0, 7);
    pb_train_opts o;
    pb_train_opts_default(&o);
    o.epochs = 40, o.batch = 16, o.seed = 5, o.label = "precision";
    pb_fit a, b, c;
    size_t n = m->n_params;
    TAP_REQUIRE(pb_fit_alloc(&a, n) == 0 && pb_fit_alloc(&b, n) == 0 && pb_fit_alloc(&c, n) == 0);
    TAP_REQUIRE(pb_train_model(m, &d, &o, &c) == 0);
    o.precision = PB_PRECISION_F32;
    TAP_REQUIRE(pb_train_model(m, &d, &o, &a) == 0 && pb_train_model(m, &d, &o, &b) == 0);
    ok(!memcmp(a.mean, b.mean, n * sizeof *a.mean) && !memcmp(a.sd, b.sd, n * sizeof *a.sd) &&
           a.final_objective == b.final_objective,
       "f32 training twice: bitwise the same fit");
    ok(strstr(a.settings, "precision=f32") && strstr(c.settings, "precision=f64"),
       "the fit's settings record the precision: '%.40s...'", a.settings);
    double acc32 = accuracy(m, &a, &d), acc64 = accuracy(m, &c, &d);
    ok(acc32 >= 0.95 && fabs(acc32 - acc64) <= 0.02 && memcmp(a.mean, c.mean, n * sizeof *a.mean),
       "f32 and f64 fits differ in their bits but not in quality: training accuracy %.3f vs %.3f", acc32, acc64);

    /* a paused f64 run's checkpoint is not resumed by an f32 run */
    char path[] = "/tmp/pb_precision_XXXXXX";
    int fd = mkstemp(path);
    TAP_REQUIRE(fd >= 0);
    close(fd);
    unlink(path);
    o.precision = PB_PRECISION_F64, o.checkpoint = path, o.stop_after_steps = 20;
    int st = pb_train_model(m, &d, &o, &c);
    o.precision = PB_PRECISION_F32, o.stop_after_steps = 0;
    int st2 = pb_train_model(m, &d, &o, &b);
    ok(st == PB_PAUSED && st2 == 0 && !memcmp(a.mean, b.mean, n * sizeof *a.mean),
       "an f32 run beside an f64 run's checkpoint starts over: the same fit as without the checkpoint");
    unlink(path);
    pb_fit_free(&a), pb_fit_free(&b), pb_fit_free(&c);
    pb_data_free(&d);
    pb_model_free(m);
}

int main(void)
{
    static const char *point_specs[] = {"mlp:3-5-4-3:tanh", "mlp:3-6-2:relu:mse", "lstm:4x3-5-3", "lstm:4xv5e3-5-3",
                                        "rnn:4x3-5-2:mse"};
    static const char *vd_specs[] = {"mlp:3-5-4-3:tanh", "lstm:4x3-5-3", "lstm:4xv5e3-5-3", "rnn:4x3-5-2:mse"};
    size_t np = sizeof point_specs / sizeof *point_specs, nv = sizeof vd_specs / sizeof *vd_specs;
    plan(2 + 2 * (int)np + 2 * (int)nv + 4);
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    TAP_REQUIRE(r != NULL);
    gsl_rng_set(r, 2024);
    test_sgemm(r);
    for (size_t k = 0; k < np; k++) test_point(point_specs[k], r);
    for (size_t k = 0; k < nv; k++) test_variational(vd_specs[k], r);
    test_training();
    gsl_rng_free(r);
    return done_testing();
}
