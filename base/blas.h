/* blas.h -- the one wrapper through which the suite calls BLAS, plus the naive
 * reference loop it is tested against, in double (pb_gemm: dgemm) and float
 * (pb_gemm_f32: sgemm; the float training path, base/real.h).
 *
 * Matrices are row-major. op(X) is X or X^T as the flag says.
 */
#ifndef PB_BLAS_H
#define PB_BLAS_H

#include <stddef.h>

/* C (M x N) = alpha * op(A) (M x K) * op(B) (K x N) + beta * C. */
void pb_gemm(int trans_a, int trans_b, size_t M, size_t N, size_t K, double alpha,
             const double *A, size_t lda, const double *B, size_t ldb, double beta,
             double *C, size_t ldc);
void pb_gemm_f32(int trans_a, int trans_b, size_t M, size_t N, size_t K, float alpha,
                 const float *A, size_t lda, const float *B, size_t ldb, float beta,
                 float *C, size_t ldc);
/* The same products by three plain loops (summed in the type's own
 * precision): the independent check in tests. */
void pb_gemm_naive(int trans_a, int trans_b, size_t M, size_t N, size_t K, double alpha,
                   const double *A, size_t lda, const double *B, size_t ldb, double beta,
                   double *C, size_t ldc);
void pb_gemm_naive_f32(int trans_a, int trans_b, size_t M, size_t N, size_t K, float alpha,
                       const float *A, size_t lda, const float *B, size_t ldb, float beta,
                       float *C, size_t ldc);

/* Run BLAS on one thread (cells run in parallel instead); call once in main. */
void pb_blas_single_thread(void);
/* What BLAS this is, for provenance: core name, build config, threads. */
const char *pb_blas_corename(void);
const char *pb_blas_config(void);
int pb_blas_threads(void);

#endif
