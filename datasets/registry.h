/* registry.h -- every dataset by name: one table (registry.c) that opening
 * a set, the "unknown dataset" error, the CLI's help and the docs check
 * (t/registry.c) all read. To add a dataset: a loader file (data.h is its
 * interface) and one row in the table; README.md and docs/protocols.md
 * name it (t/registry.c fails until they do).
 *
 * A row either loads the whole set (load: pb_dataset_open then splits it
 * with pb_split) or opens its train and test parts itself (open: fixed
 * files, or a split made inside the loader). Then the parts are
 * standardized (pb_standardize, fitted on train) or, for rows with
 * standardize = 0, given the identity scaling.
 */
#ifndef PB_REGISTRY_H
#define PB_REGISTRY_H

#include <stdint.h>
#include <stdio.h>

#include "datasets/data.h"
#include "datasets/text.h"

typedef struct pb_dataset pb_dataset;
struct pb_dataset {
    const char *name;    /* --data NAME */
    const char *about;   /* one line: what it is and where its files come from (names source) */
    const char *source;  /* what a missing-data error names: a file in the data directory or an
                          * environment variable; NULL for a generated set (never missing) */
    int (*load)(const pb_dataset *ds, const char *data_dir, uint64_t seed, pb_data *all);
    int (*open)(const pb_dataset *ds, const char *data_dir, uint64_t seed, double test_fraction, pb_data *train,
                pb_data *test);
    int (*available)(const pb_dataset *ds, const char *data_dir);  /* NULL: always */
    int standardize;     /* 1: pb_standardize; 0: identity scaling (pixels in [0,1]) */
    /* token-id sets: open as open does and also return the training
     * vocabulary (word by id); NULL for the others */
    int (*open_vocab)(const pb_dataset *ds, const char *data_dir, uint64_t seed, double test_fraction,
                      pb_data *train, pb_data *test, pb_vocab *vocab);
};

/* The rows, in the table's order (i < pb_dataset_count()). */
size_t pb_dataset_count(void);
const pb_dataset *pb_dataset_at(size_t i);

/* The row of name; NULL with the one-line error
 * "unknown dataset 'NAME' (known: wine, boston, ...)" naming every row. */
const pb_dataset *pb_dataset_find(const char *name);

/* The one way the harness gets a dataset's train and test parts:
 * load + pb_split(test_fraction, split_seed), or the row's open (which may
 * ignore data_dir and test_fraction: fixed files), then pb_standardize(
 * standardize_y) or the identity scaling (means 0, sds 1). data_dir is
 * where the shipped files are ("datasets" by default in the CLI; NULL: ".");
 * rows read from an environment variable say so in their about line.
 * On failure train, test and sc are left empty. */
int pb_dataset_open(const char *name, const char *data_dir, uint64_t split_seed, double test_fraction,
                    int standardize_y, pb_data *train, pb_data *test, pb_scaling *sc);

/* The whole set of a row with a load function (wine, boston, synthetic),
 * unsplit and unscaled; seed feeds a generated set. Other rows: an error
 * pointing to pb_dataset_open. */
int pb_dataset_load(const char *name, const char *data_dir, uint64_t seed, pb_data *out);

/* Whether pb_dataset_open(name, data_dir, ...) would find its files: 1 or
 * 0. Only presence is checked (the files, directories and variables
 * pb_dataset_open would use), not their content. When 0, the reason is
 * recorded (pb_last_error), e.g. which variable to set. Unknown names: 0. */
int pb_dataset_available(const char *name, const char *data_dir);

/* The vocabulary of a token-id set (vocab > 0: imdb, movie-reviews, the
 * wordnet and semeval sets) as pb_dataset_open(name, data_dir, split_seed,
 * test_fraction, ...) builds it from the training part: v->word[id - 2] is
 * the word of token id (ids 0 and 1: padding and out-of-vocabulary), for
 * reading word vectors (wordvec.h). The set is opened again to get it. An
 * error for other sets. On failure v is left empty. */
int pb_dataset_vocab(const char *name, const char *data_dir, uint64_t split_seed, double test_fraction, pb_vocab *v);

/* The name a set's split seed is derived from (pb_seed("split", NAME, ...)):
 * the set's own, except for the word-vector pair sets "<token set>-<source>"
 * (vector_pairs.h), which take their token set's, so that both hold out the
 * same pairs (and the baselines, run on the token set, score the same test
 * part). A pointer into the table, or name itself. */
const char *pb_dataset_split_name(const char *name);

/* The list for help: a heading line, then "  NAME  ABOUT" per row. */
void pb_dataset_help(FILE *f);

#endif
