/* wordvec.h -- word vectors in the GloVe text format (seed 000 maps words
 * to 50-dimensional GloVe vectors), read for a dataset's vocabulary.
 *
 * Format (glove.6B.50d.txt and the like): one word a line, "word v1 v2 ...
 * vD", fields separated by single or repeated spaces, every line the same D
 * (taken from the first line), each v a finite number as strtod reads it;
 * CRLF ends and blank lines are accepted. No header line (word2vec's text
 * format begins with "count dim": delete that line first).
 *
 * Matching. A file word is looked up in the vocabulary as it stands
 * (pb_vocab_id: text.h's tokens are lowercase, as GloVe's 6B/42B words
 * are); the first line of a word wins, later duplicates are ignored (but
 * still checked). Rows of the matrix: id 0 (padding) and id 1
 * (out-of-vocabulary) are zero, and so is every kept word the file lacks:
 * a zero vector adds nothing to a recurrent input, and the reader stays
 * deterministic (no random fill).
 *
 * Every line of the file is checked, also the lines of words outside the
 * vocabulary. Errors are one line "path:line:column: what" (column 1-based,
 * in bytes): a line with fewer or more numbers than D (column: the end of
 * the line), a field that is not a finite number (its first byte), a first
 * line with a word and no numbers; a file without a vector.
 */
#ifndef PB_WORDVEC_H
#define PB_WORDVEC_H

#include <stddef.h>

#include "datasets/text.h"

typedef struct pb_wordvec {
    size_t rows;      /* v->size: one row per token id */
    size_t dim;       /* D */
    size_t found;     /* kept words of the vocabulary that the file has */
    double *E;        /* rows x dim, row-major: E[id * dim + j] */
} pb_wordvec;

/* Read path for vocabulary v. On failure out is left empty. */
int pb_wordvec_read(const char *path, const pb_vocab *v, pb_wordvec *out);
void pb_wordvec_free(pb_wordvec *w);

#endif
