/* lsa.h -- word vectors by latent semantic analysis of a pair set's
 * training sentences: the source of word vectors for the Table 1
 * baselines (baselines.h) when no GloVe file is given (seed 000 uses
 * 50-dimensional GloVe vectors, which are not available here).
 *
 * The matrix. Every sentence of every pair (A and B separately) is one
 * document; A is the word x document matrix of tf-idf weights
 *   A[w, s] = tf(w, s) * log(N / df(w)),
 * tf(w, s) the count of word id w in sentence s, N the number of
 * sentences, df(w) the number of sentences holding w. Only word ids >= 2
 * count (0 is padding, 1 out-of-vocabulary). A word in every sentence gets
 * weight 0.
 *
 * The reduction. The rank-D truncated SVD A ~ U_D S_D V_D^T; a word's vector
 * is its row of U_D S_D (its coordinates in the D leading directions; by
 * Eckart-Young, U_D U_D^T A is the best rank-D approximation of A in the
 * Frobenius norm, with squared error the sum of the squared singular values
 * beyond D). Computed from the word x word Gram matrix G = A A^T = U S^2 U^T
 * (accumulated one sentence at a time: a sentence of k distinct words adds
 * k^2 products) and LAPACK dsyevr's D largest eigenpairs of G: s_j =
 * sqrt(max(lambda_j, 0)), u_j its eigenvector. Measured on this machine
 * (one core, OpenBLAS 0.3.21): dsyevr, 50 eigenpairs of a 5000 x 5000
 * matrix, 8.6 s; dgesdd of a dense 2000 x 4680 matrix 5.6 s, so about 90 s
 * at 5000 x 11700 (it scales as m^2 n) -- hence the Gram route. Squaring
 * the singular values costs precision only in the smallest ones, which the
 * truncation drops.
 *
 * Determinism: no randomness; each u_j's sign is fixed so that its entry
 * of largest magnitude (the first such) is positive. */
#ifndef PB_LSA_H
#define PB_LSA_H

#include <stddef.h>

#include "datasets/data.h"

#define PB_LSA_DIM 50   /* seed 000: 50-dimensional word vectors */

/* Dense A (pairs->vocab x 2 pairs->n, row-major: A[w * 2n + s], sentence s
 * = 2i for pair i's A, 2i + 1 for its B). For tests and small sets. */
int pb_lsa_tfidf(const pb_data *pairs, double *A);

/* G = A A^T (pairs->vocab x pairs->vocab, row-major), built sentence by
 * sentence without forming A. */
int pb_lsa_gram(const pb_data *pairs, double *G);

/* The dim largest eigenpairs of the symmetric G (m x m, overwritten):
 * s[j] = sqrt(max(lambda_j, 0)) in descending order, U (m x dim, row-major)
 * their unit eigenvectors as columns, signs fixed as above. dim <= m. */
int pb_lsa_from_gram(size_t m, double *G, size_t dim, double *U, double *s);

/* The word vectors of a pair set (ids in [0, pairs->vocab)): E (vocab x
 * dim, row-major) = the rows of U_dim S_dim; rows of ids 0 and 1 and of
 * words in no sentence are 0. The Gram matrix is formed only over the
 * words that occur. s (may be NULL): the dim singular values. */
int pb_lsa_vectors(const pb_data *pairs, size_t dim, double *E, double *s);

#endif
