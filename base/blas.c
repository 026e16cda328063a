/* blas.c -- see blas.h. Compiled twice (base/real.h): pb_gemm / dgemm and
 * pb_gemm_f32 / sgemm; the process-wide queries are in the double build. */
#include "base/blas.h"
#include "base/real.h"

#include <cblas.h>

#ifdef PB_F32
#define CBLAS_GEMM cblas_sgemm
#else
#define CBLAS_GEMM cblas_dgemm
#endif

void PB_T(pb_gemm)(int trans_a, int trans_b, size_t M, size_t N, size_t K, pb_real alpha, const pb_real *A,
                   size_t lda, const pb_real *B, size_t ldb, pb_real beta, pb_real *C, size_t ldc)
{
    if (M == 0 || N == 0) return;
    CBLAS_GEMM(CblasRowMajor, trans_a ? CblasTrans : CblasNoTrans, trans_b ? CblasTrans : CblasNoTrans, (blasint)M,
               (blasint)N, (blasint)K, alpha, A, (blasint)lda, B, (blasint)ldb, beta, C, (blasint)ldc);
}

void PB_T(pb_gemm_naive)(int trans_a, int trans_b, size_t M, size_t N, size_t K, pb_real alpha, const pb_real *A,
                         size_t lda, const pb_real *B, size_t ldb, pb_real beta, pb_real *C, size_t ldc)
{
    for (size_t i = 0; i < M; i++)
        for (size_t j = 0; j < N; j++) {
            pb_real s = 0;
            for (size_t k = 0; k < K; k++) {
                pb_real a = trans_a ? A[k * lda + i] : A[i * lda + k];
                pb_real b = trans_b ? B[j * ldb + k] : B[k * ldb + j];
                s += a * b;
            }
            C[i * ldc + j] = alpha * s + (beta == 0 ? 0 : beta * C[i * ldc + j]);
        }
}

#ifndef PB_F32
void pb_blas_single_thread(void) { openblas_set_num_threads(1); }
const char *pb_blas_corename(void) { return openblas_get_corename(); }
const char *pb_blas_config(void) { return openblas_get_config(); }
int pb_blas_threads(void) { return openblas_get_num_threads(); }
#endif
