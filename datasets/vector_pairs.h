/* vector_pairs.h -- the word-vector form of a token pair set: seed 000 feeds
 * its siamese RNN fixed 50-dimensional GloVe vectors, not learned
 * embeddings. These sets are the token pair sets (wordnet-pairs,
 * semeval-pairs: the same pairs, the same split) with every token id
 * replaced by its word's vector, for the model siamese:2x<L>x<E>-<H>-<C>
 * (models/siamese.c).
 *
 * Two sources of vectors (the registry's rows "<set>-glove", "<set>-lsa"):
 *   glove  a GloVe text file named by $PB_GLOVE_FILE (wordvec.h), as the
 *          seed; its dimension is the file's; used as they are.
 *   lsa    50-dimensional LSA vectors of the TRAINING part's sentences
 *          (lsa.h), the stand-in when no GloVe file is reachable. LSA's
 *          scale is arbitrary (the rows of U S grow with the tf-idf
 *          weights), so the vectors are multiplied by one constant that
 *          makes the root mean square of the entries of the vocabulary's
 *          nonzero vectors 1 (GloVe 50d entries have a root mean square of
 *          about 0.4: the same order). No information crosses from the
 *          test part: its sentences are looked up in the training vectors.
 * Ids 0 (padding) and 1 (out-of-vocabulary) and words without a vector map
 * to the zero vector (wordvec.h, lsa.h).
 *
 * Rows: a token row of 2L ids becomes 2L E reals (step t's vector at
 * [tE, (t+1)E)), seq_len 2L, vocab 0; labels as they are. The sets are
 * not standardized (the registry row's standardize = 0): a vector is one
 * word's, not a feature to rescale per position.
 */
#ifndef PB_VECTOR_PAIRS_H
#define PB_VECTOR_PAIRS_H

#include <stddef.h>

#include "datasets/data.h"
#include "datasets/text.h"

#define PB_GLOVE_ENV "PB_GLOVE_FILE"

/* out = tok with every id i replaced by E[i * dim .. + dim) (E has
 * tok->vocab rows); tok must hold token ids (vocab > 0). Name: name. */
int pb_vector_pairs(const pb_data *tok, const double *E, size_t dim, const char *name, pb_data *out);

/* The word vectors of source "lsa" (from train, a token pair set; E:
 * train->vocab x 50, allocated, scaled as above) or "glove" (the file of
 * $PB_GLOVE_FILE read for vocab). *dim set; *found (may be NULL) = the
 * words of the vocabulary that got a nonzero vector. */
int pb_vector_pairs_vectors(const char *source, const pb_data *train, const pb_vocab *vocab, double **E, size_t *dim,
                            size_t *found);

/* Whether source's vectors are reachable: "lsa" always; "glove" when
 * $PB_GLOVE_FILE names a readable file (else 0 with the reason recorded). */
int pb_vector_pairs_available(const char *source);

#endif
