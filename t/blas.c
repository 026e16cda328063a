/* blas.c -- pb_gemm (OpenBLAS) and pb_gemm_naive against a triple loop
 * written here, for every transpose combination, non-square shapes, leading
 * dimensions wider than the rows, and alpha/beta other than 0/1. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_rng.h>

#include "tap.h"
#include "base/blas.h"

/* Padding marker: any read of it poisons the result, any write changes it. */
#define PAD (-12345.678)

typedef void (*gemm_fn)(int, int, size_t, size_t, size_t, double, const double *, size_t,
                        const double *, size_t, double, double *, size_t);

/* A random (rows x cols) matrix in storage with leading dimension ld >= cols;
 * entries past cols in each row are set to PAD (NaN if nan_pad). */
static double *rand_mat(gsl_rng *r, size_t rows, size_t cols, size_t ld, int nan_pad)
{
    double *a = malloc((rows ? rows : 1) * ld * sizeof *a);
    TAP_REQUIRE(a != NULL);
    for (size_t i = 0; i < rows; i++)
        for (size_t j = 0; j < ld; j++)
            a[i * ld + j] = j < cols ? 2 * gsl_rng_uniform(r) - 1 : (nan_pad ? NAN : PAD);
    return a;
}

/* The reference: C = alpha op(A) op(B) + beta C, element by element, and a
 * bound on the rounding error of each entry. */
static void ref_gemm(int ta, int tb, size_t M, size_t N, size_t K, double alpha, const double *A,
                     size_t lda, const double *B, size_t ldb, double beta, double *C, size_t ldc,
                     double *bound)
{
    for (size_t i = 0; i < M; i++)
        for (size_t j = 0; j < N; j++) {
            double s = 0, sa = 0;
            for (size_t k = 0; k < K; k++) {
                double a = ta ? A[k * lda + i] : A[i * lda + k];
                double b = tb ? B[j * ldb + k] : B[k * ldb + j];
                s += a * b;
                sa += fabs(a * b);
            }
            double c0 = beta == 0 ? 0 : C[i * ldc + j];
            C[i * ldc + j] = alpha * s + beta * c0;
            bound[i * N + j] = 1e-13 * (fabs(alpha) * sa + fabs(beta * c0)) + 1e-300;
        }
}

/* Run fn on copies and compare with the reference. Returns 1 if all entries
 * agree and the padding of C is untouched. */
static int check_one(gemm_fn fn, const char *fname, gsl_rng *r, int ta, int tb, size_t M, size_t N,
                     size_t K, size_t pa, size_t pb, size_t pc, double alpha, double beta)
{
    /* op(A) is M x K: stored as M x K (lda >= K) or K x M (lda >= M). */
    size_t arows = ta ? K : M, acols = ta ? M : K, lda = acols + pa;
    size_t brows = tb ? N : K, bcols = tb ? K : N, ldb = bcols + pb;
    size_t ldc = N + pc;
    if (lda == 0) lda = 1;
    if (ldb == 0) ldb = 1;
    double *A = rand_mat(r, arows, acols, lda, 1);
    double *B = rand_mat(r, brows, bcols, ldb, 1);
    double *C0 = rand_mat(r, M, N, ldc, 0);
    double *C = malloc(M * ldc * sizeof *C), *R = malloc(M * ldc * sizeof *R);
    double *bound = malloc((M * N > 0 ? M * N : 1) * sizeof *bound);
    TAP_REQUIRE(C && R && bound);
    memcpy(C, C0, M * ldc * sizeof *C);
    memcpy(R, C0, M * ldc * sizeof *R);
    ref_gemm(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, R, ldc, bound);
    fn(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
    double worst = 0;
    size_t bad = 0, pad_bad = 0;
    for (size_t i = 0; i < M; i++)
        for (size_t j = 0; j < ldc; j++) {
            double got = C[i * ldc + j];
            if (j >= N) {
                if (got != PAD) pad_bad++;
                continue;
            }
            double err = fabs(got - R[i * ldc + j]);
            if (!(err <= bound[i * N + j])) bad++;
            if (!(err <= worst)) worst = err;
        }
    int pass = bad == 0 && pad_bad == 0;
    ok(pass, "%s trans_a=%d trans_b=%d M=%zu N=%zu K=%zu lda=%zu ldb=%zu ldc=%zu alpha=%g beta=%g", fname, ta,
       tb, M, N, K, lda, ldb, ldc, alpha, beta);
    if (!pass) diag("%zu entries off (worst error %g), %zu padding entries of C changed", bad, worst, pad_bad);
    free(A), free(B), free(C0), free(C), free(R), free(bound);
    return pass;
}

int main(void)
{
    struct { size_t M, N, K, pa, pb, pc; double alpha, beta; } cases[] = {
        {5, 7, 3, 2, 3, 4, 1.7, -0.6},
        {1, 4, 9, 1, 0, 5, -0.3, 2.5},
        {6, 1, 2, 4, 2, 1, 2.0, 1.0},     /* beta = 1: pure accumulation */
        {13, 11, 17, 3, 5, 2, 0.75, 0.0}, /* beta = 0 on a C holding data */
        {37, 29, 45, 7, 1, 9, -1.25, 0.5},/* large enough for blocked kernels */
        {3, 3, 3, 0, 0, 0, 1.0, 1.0},     /* square, tight leading dimensions */
    };
    size_t nc = sizeof cases / sizeof cases[0];
    plan((int)(nc * 4 * 2 + 8));
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 20240601);
    for (size_t c = 0; c < nc; c++)
        for (int ta = 0; ta < 2; ta++)
            for (int tb = 0; tb < 2; tb++) {
                check_one(pb_gemm, "pb_gemm", r, ta, tb, cases[c].M, cases[c].N, cases[c].K, cases[c].pa,
                          cases[c].pb, cases[c].pc, cases[c].alpha, cases[c].beta);
                check_one(pb_gemm_naive, "pb_gemm_naive", r, ta, tb, cases[c].M, cases[c].N, cases[c].K,
                          cases[c].pa, cases[c].pb, cases[c].pc, cases[c].alpha, cases[c].beta);
            }

    /* K = 0: C = beta C (the empty sum). */
    check_one(pb_gemm, "pb_gemm", r, 0, 0, 4, 3, 0, 0, 0, 2, 1.0, -2.0);
    check_one(pb_gemm_naive, "pb_gemm_naive", r, 0, 0, 4, 3, 0, 0, 0, 2, 1.0, -2.0);
    /* alpha = 0: C = beta C, A and B irrelevant. */
    check_one(pb_gemm, "pb_gemm", r, 1, 0, 4, 5, 6, 1, 1, 1, 0.0, 3.0);
    check_one(pb_gemm_naive, "pb_gemm_naive", r, 1, 0, 4, 5, 6, 1, 1, 1, 0.0, 3.0);

    /* beta = 0 must overwrite C without reading it (BLAS convention the
     * model code relies on for scratch buffers): NaN in C must not leak. */
    {
        double A[6] = {1, 2, 3, 4, 5, 6}, B[6] = {1, 0, -1, 2, 0.5, 1}, C[4], want[4];
        /* A 2x3, B 3x2 -> C 2x2 */
        for (int i = 0; i < 2; i++)
            for (int j = 0; j < 2; j++) {
                double s = 0;
                for (int k = 0; k < 3; k++) s += A[i * 3 + k] * B[k * 2 + j];
                want[i * 2 + j] = 2 * s;
            }
        for (int k = 0; k < 4; k++) C[k] = NAN;
        pb_gemm(0, 0, 2, 2, 3, 2.0, A, 3, B, 2, 0.0, C, 2);
        int good = 1;
        for (int k = 0; k < 4; k++) good &= C[k] == want[k];
        ok(good, "pb_gemm beta=0 ignores NaN in C");
        for (int k = 0; k < 4; k++) C[k] = NAN;
        pb_gemm_naive(0, 0, 2, 2, 3, 2.0, A, 3, B, 2, 0.0, C, 2);
        good = 1;
        for (int k = 0; k < 4; k++) good &= C[k] == want[k];
        ok(good, "pb_gemm_naive beta=0 ignores NaN in C");
        /* hand-computed values, so the reference loop itself is checked */
        is_double(want[0], 2 * (1 * 1 + 2 * -1 + 3 * 0.5), 0, "hand check C[0][0]");
        is_double(want[3], 2 * (4 * 0 + 5 * 2 + 6 * 1), 0, "hand check C[1][1]");
    }
    gsl_rng_free(r);
    return done_testing();
}
