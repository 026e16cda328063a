/* linalg.h -- dense symmetric linear algebra through LAPACK (OpenBLAS's
 * copy): eigenpairs by dsyevr, inverse of a symmetric positive-definite
 * matrix by dpotrf + dpotri. Matrices are row-major m x m with leading
 * dimension lda; for a symmetric matrix row- and column-major agree. */
#ifndef PB_LINALG_H
#define PB_LINALG_H

#include <stddef.h>

/* Eigenpairs il..iu (1-based, in ascending eigenvalue order) of the
 * symmetric A (m x m). A is overwritten. w receives the iu-il+1 eigenvalues
 * ascending; Z (m x (iu-il+1), row-major, leading dimension ldz), if not
 * NULL, the orthonormal eigenvectors as columns. */
int pb_eigen_sym(size_t m, double *A, size_t lda, size_t il, size_t iu, double *w, double *Z, size_t ldz);

/* A <- A^{-1} for symmetric positive-definite A (m x m); fails (PB_ERR_NUMERIC)
 * if A is not positive definite. */
int pb_spd_inverse(size_t m, double *A, size_t lda);

/* Condition a zero-mean-shifted Gaussian on w_z = 0: with covariance S (m x m)
 * and mean mu (may be NULL),
 *   mu <- mu - S[:,z] mu_z / S_zz,   S <- S - S[:,z] S[z,:] / S_zz,
 * then drop row and column z (S becomes (m-1) x (m-1) with the same lda,
 * mu loses entry z). Equivalent to deleting row and column z of the
 * precision S^{-1}. */
int pb_gauss_condition_zero(size_t m, double *S, size_t lda, double *mu, size_t z);

#endif
