/* tabular.h -- tabular datasets: the shipped CSV files, the synthetic
 * multicollinear generator, seeded stratified splits and standardization;
 * and pb_dataset_open, the harness's one entry point for every dataset
 * (including the MNIST-format image sets of idx.h and the text sets of
 * text.h).
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
#ifndef PB_TABULAR_H
#define PB_TABULAR_H

#include <stddef.h>
#include <stdint.h>

typedef struct pb_data {
    char name[32];
    size_t n, d, ydim;
    int n_classes;          /* 0 for regression */
    size_t seq_len;         /* 0: not a sequence; else steps per row (d / seq_len features each) */
    size_t vocab;           /* 0: real-valued features; else X holds token ids in [0, vocab) */
    double *X, *y;
} pb_data;

void pb_data_free(pb_data *data);
int pb_data_alloc(pb_data *data, const char *name, size_t n, size_t d, size_t ydim, int n_classes);

/* Read the CSV layout of the shipped files: a first line "n,d[,names...]",
 * an optional line of column names, then n rows of d features and one
 * target. Errors name the file, line and column. */
int pb_csv_load(const char *path, int classification, const char *name, pb_data *out);

/* Synthetic set of PROTOCOLS.md (seed 004 eq. 5.2): x ~ N(1, I_d), y = x_0. */
int pb_synthetic_make(size_t n, size_t d, uint64_t seed, pb_data *out);

/* Initial weights of the synthetic experiment's 100-1 network, our reading
 * of seed 004 eq. 5.1: w ~ N(m, A) with m = (1, 0.0025, ..., 0.0025),
 * A_11 = 1, A_1j = A_j1 = 1e-3, A_jj = 1, A_jk = 0.95 otherwise (j, k > 1);
 * w has d entries (the weights), drawn via the Cholesky factor of A. */
int pb_synthetic_init(size_t d, uint64_t seed, double *w);

/* Load a dataset by name: "wine", "boston" (from dir), "synthetic". The
 * MNIST-format sets have fixed train/test files: use pb_dataset_open. */
int pb_dataset_load(const char *name, const char *dir, uint64_t seed, pb_data *out);

/* Seeded 80/20-style split: a test_fraction share of every class (or of all
 * rows, for regression) goes to test, chosen by a seeded shuffle. */
int pb_split(const pb_data *all, double test_fraction, uint64_t seed, pb_data *train, pb_data *test);

/* Standardization fitted on train only and applied to both:
 * x <- (x - mean_train) / sd_train (sd 0 -> 1); for regression, y likewise
 * when standardize_y (the statistics are kept to report RMSE in y's units).
 * Token ids (train->vocab > 0) are left as they are: x means 0, sds 1. */
typedef struct pb_scaling {
    size_t d, ydim;
    double *x_mean, *x_sd, *y_mean, *y_sd;
} pb_scaling;
int pb_standardize(pb_data *train, pb_data *test, int standardize_y, pb_scaling *sc);
void pb_scaling_free(pb_scaling *sc);

/* Where the MNIST-format sets are read from. */
#define PB_FASHION_MNIST_DEFAULT_DIR "/usr/share/datasets/fashion-mnist"  /* Debian dataset-fashion-mnist */
#define PB_FASHION_MNIST_ENV "PB_FASHION_MNIST_DIR"
#define PB_MNIST_ENV "PB_MNIST_DIR"

/* The directory an MNIST-format set is read from: for "fashion-mnist"
 * $PB_FASHION_MNIST_DIR, else PB_FASHION_MNIST_DEFAULT_DIR; for "mnist"
 * $PB_MNIST_DIR (an error saying how to set it when unset). NULL, with an
 * error recorded, for other names. */
const char *pb_dataset_mnist_dir(const char *name);

/* The one way the harness gets a dataset's train and test parts.
 * wine, boston, synthetic: pb_dataset_load(name, data_dir, split_seed), then
 * pb_split(test_fraction, split_seed), then pb_standardize(standardize_y).
 * fashion-mnist, mnist: the fixed train and test files of the directory
 * above (data_dir and test_fraction are ignored); pixels are byte/255 in
 * [0,1] and not standardized: sc is the identity (means 0, sds 1).
 * seq-fashion-mnist, seq-mnist: the same data with seq_len = the image
 * height (28): each image row is one step of (width) pixels, which is the
 * row-major layout already (the images must be square).
 * imdb, movie-reviews: pb_text_dataset_open (text.h) with the default
 * options (20000 words, 200 steps), then pb_standardize(standardize_y):
 * token ids are never standardized (sc has means 0, sds 1 for X); the
 * Movie Reviews scores are when standardize_y. imdb has fixed train and test
 * parts (test_fraction ignored); its directory is data_dir when that is an
 * aclImdb directory, else $PB_IMDB_DIR; the movie-reviews file is data_dir
 * when that is a file, else $PB_MOVIE_REVIEWS_FILE.
 * On failure train, test and sc are left empty. */
int pb_dataset_open(const char *name, const char *data_dir, uint64_t split_seed, double test_fraction,
                    int standardize_y, pb_data *train, pb_data *test, pb_scaling *sc);

/* Whether pb_dataset_open(name, data_dir, ...) would find its files: 1 or
 * 0. Only presence is checked (the files, directories and variables
 * pb_dataset_open would use), not their content. When 0, the reason is
 * recorded (pb_last_error), e.g. which variable to set. Unknown names: 0. */
int pb_dataset_available(const char *name, const char *data_dir);

#endif
