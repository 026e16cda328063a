/* blas.h -- the one wrapper through which the suite calls BLAS, plus the naive
 * reference loop it is tested against.
 *
 * pb_real is the scalar type of every kernel (double; a float build would
 * change this typedef and the cblas_d* calls below).
 * Matrices are row-major. op(X) is X or X^T as the flag says.
 */
#ifndef PB_BLAS_H
#define PB_BLAS_H

#include <stddef.h>

typedef double pb_real;

/* C (M x N) = alpha * op(A) (M x K) * op(B) (K x N) + beta * C. */
void pb_gemm(int trans_a, int trans_b, size_t M, size_t N, size_t K, pb_real alpha,
             const pb_real *A, size_t lda, const pb_real *B, size_t ldb, pb_real beta,
             pb_real *C, size_t ldc);
/* The same product by three plain loops: the independent check in tests. */
void pb_gemm_naive(int trans_a, int trans_b, size_t M, size_t N, size_t K, pb_real alpha,
                   const pb_real *A, size_t lda, const pb_real *B, size_t ldb, pb_real beta,
                   pb_real *C, size_t ldc);

/* Run BLAS on one thread (cells run in parallel instead); call once in main. */
void pb_blas_single_thread(void);
/* What BLAS this is, for provenance: core name, build config, threads. */
const char *pb_blas_corename(void);
const char *pb_blas_config(void);
int pb_blas_threads(void);

#endif
