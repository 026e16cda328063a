/* data.h -- the dataset type every loader fills and every layer above reads,
 * the seeded train/test split, and standardization fitted on the training
 * part only. Loaders (csv.h, synthetic.h, idx.h, text.h) build on this
 * file; registry.h opens a set by name.
 *
 * A pb_data owns X (n x d, row-major) and y (n x ydim). Classification sets
 * have ydim = 1 and labels 0..n_classes-1 stored as doubles; regression sets
 * have n_classes = 0.
 *
 * Sequences: seq_len > 0 says a row is seq_len time steps, step t being
 * X[i*d + t*(d/seq_len) .. + d/seq_len) (d is a multiple of seq_len): for
 * seq-fashion-mnist, 28 steps of 28 pixels (image row t is step t). vocab > 0
 * says X holds token ids, integers in [0, vocab) stored as doubles, one per
 * step (d == seq_len; id 0 is padding, 1 out-of-vocabulary: text.h); such X
 * is never standardized. Both are 0 for every other set (pb_data_alloc
 * zeroes them; pb_split copies them to both parts).
 */
#ifndef PB_DATA_H
#define PB_DATA_H

#include <stddef.h>
#include <stdint.h>

/* The largest magnitude a loader accepts for a value it reads from a file
 * (features and regression targets): pb_standardize sums squared
 * deviations of up to 1e8 rows, which stay finite below this bound (a
 * 1e308 would overflow to inf and zero its feature). */
#define PB_DATA_MAX_ABS 1e100

typedef struct pb_data {
    char name[32];
    size_t n, d, ydim;
    int n_classes;          /* 0 for regression */
    size_t seq_len;         /* 0: not a sequence; else steps per row (d / seq_len features each) */
    size_t vocab;           /* 0: real-valued features; else X holds token ids in [0, vocab) */
    double *X, *y;
} pb_data;

void pb_data_free(pb_data *data);
/* X and y zeroed, seq_len and vocab 0; name truncated to 31 bytes. */
int pb_data_alloc(pb_data *data, const char *name, size_t n, size_t d, size_t ydim, int n_classes);

/* Seeded split: round(test_fraction * count) rows of every class (of all
 * rows, for regression) go to test, chosen by a seeded shuffle (one
 * mt19937 stream from seed: the shuffle of all rows, then of the train
 * part, then of the test part). Names "<name>/train", "<name>/test".
 * test_fraction must be in (0,1) and leave neither part empty (else one
 * line naming the set, the fraction and the empty part, checked before any
 * shuffle). On failure train and test are left empty. */
int pb_split(const pb_data *all, double test_fraction, uint64_t seed, pb_data *train, pb_data *test);

/* Standardization fitted on train only and applied to both:
 * x <- (x - mean_train) / sd_train (population sd; sd 0 -> 1); for
 * regression, y likewise when standardize_y (the statistics are kept to
 * report RMSE in y's units). Token ids (train->vocab > 0) are left as they
 * are: x means 0, sds 1. A mean or sd that is not finite (values too large
 * for the sums) is an error naming the column; sc is then left empty. */
typedef struct pb_scaling {
    size_t d, ydim;
    double *x_mean, *x_sd, *y_mean, *y_sd;
} pb_scaling;
int pb_standardize(pb_data *train, pb_data *test, int standardize_y, pb_scaling *sc);
/* The identity scaling of d features and one target: means 0, sds 1. */
int pb_scaling_identity(size_t d, pb_scaling *sc);
void pb_scaling_free(pb_scaling *sc);

#endif
