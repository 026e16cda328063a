/* pairs.h -- sentence-pair datasets with graded similarity (seed 000): the
 * pair encoding shared by wordnet-pairs (wordnet.h) and the loader of the
 * SemEval-2015 Task 2 pair format.
 *
 * The pair layout (what a siamese model reads). A pb_data of pairs has
 * n_classes = 6 (similarity 0..5), ydim 1 (the class as a double),
 * vocab = the training vocabulary's size (> 0), and seq_len = d = 2L: row i
 * holds sentence A's L ids in X[i*d + 0 .. L) and sentence B's in
 * X[i*d + L .. 2L). Each sentence is encoded alone by text.h
 * (pb_text_encode: its tokenizer, id 0 padding, 1 out-of-vocabulary, 2..
 * the K most frequent training words), pre-padded with 0, and when longer
 * than L keeps its LAST L tokens (keep_last 1). The vocabulary counts the
 * tokens of both sentences of the training pairs only.
 *
 * SemEval. The seed names SemEval 2015 (8331 pairs, scores 0..5) and no
 * file format. We read the plainest one: a UTF-8 text file, one pair a
 * line, "sentence1 TAB sentence2 TAB score" (exactly two tabs; blank lines
 * skipped; CRLF accepted), the score a number in [0, 5] (surrounding spaces
 * allowed), its class the nearest integer (halves round up: 2.5 -> 3).
 * (The task's own release keeps the sentences, STS.input.*.txt, and the
 * scores, STS.gs.*.txt, in two files: paste them into one with
 * `paste STS.input.x.txt STS.gs.x.txt`, dropping the pairs without a score.)
 */
#ifndef PB_PAIRS_H
#define PB_PAIRS_H

#include <stddef.h>
#include <stdint.h>

#include "datasets/data.h"
#include "datasets/text.h"

#define PB_PAIR_CLASSES 6
#define PB_SEMEVAL_ENV "PB_SEMEVAL_FILE"

/* n pairs of texts (NUL-terminated) with their class 0..5. */
typedef struct pb_pair_texts {
    size_t n;
    const char *const *a, *const *b;
    const int *cls;
} pb_pair_texts;

/* Split the pairs exactly as pb_split splits a 6-class set of p->n rows
 * with labels cls (stratified; test_fraction, split_seed), build the
 * vocabulary from the train pairs (K = o->vocab_words), and encode both
 * parts in the pair layout with L = o->seq_len and o->keep_last. name is
 * the base of the parts' names ("<name>/train", "<name>/test"). vocab (may
 * be NULL) receives the vocabulary. On failure everything is left empty. */
int pb_pairs_encode(const pb_pair_texts *p, const char *name, const pb_text_opts *o, double test_fraction,
                    uint64_t split_seed, pb_data *train, pb_data *test, pb_vocab *vocab);

/* The SemEval pair file above, encoded by pb_pairs_encode (names
 * "semeval-pairs/train", "semeval-pairs/test"). o NULL: L and K below,
 * keep_last 1. Errors are one line naming the file, and for a
 * malformed line its line and 1-based byte column: a line without two tabs
 * (column: the end of the line), a third tab (its column), a score that is
 * not a number or outside [0, 5] (its first byte); fewer than 2 pairs. */
#define PB_SEMEVAL_LEN 30       /* SemEval sentences are longer than definitions (headlines to forum posts) */
#define PB_SEMEVAL_VOCAB 5000
int pb_semeval_load(const char *path, const pb_text_opts *o, double test_fraction, uint64_t split_seed,
                    pb_data *train, pb_data *test, pb_vocab *vocab);

/* Where semeval-pairs is read from: data_dir when it is a regular file,
 * else $PB_SEMEVAL_FILE; NULL with an error saying which variable to set. */
const char *pb_semeval_source(const char *data_dir);
int pb_semeval_available(const char *data_dir);
int pb_semeval_dataset_open(const char *data_dir, uint64_t split_seed, double test_fraction, pb_data *train,
                            pb_data *test, pb_vocab *vocab);

#endif
