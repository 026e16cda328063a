/* tabular.h -- tabular datasets: the shipped CSV files, the synthetic
 * multicollinear generator, seeded stratified splits and standardization;
 * and pb_dataset_open, the harness's one entry point for every dataset
 * (including the MNIST-format image sets of idx.h).
 *
 * A pb_data owns X (n x d, row-major) and y (n x ydim). Classification sets
 * have ydim = 1 and labels 0..n_classes-1 stored as doubles; regression sets
 * have n_classes = 0.
 */
#ifndef PB_TABULAR_H
#define PB_TABULAR_H

#include <stddef.h>
#include <stdint.h>

typedef struct pb_data {
    char name[32];
    size_t n, d, ydim;
    int n_classes;          /* 0 for regression */
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
 * when standardize_y (the statistics are kept to report RMSE in y's units). */
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
 * On failure train, test and sc are left empty. */
int pb_dataset_open(const char *name, const char *data_dir, uint64_t split_seed, double test_fraction,
                    int standardize_y, pb_data *train, pb_data *test, pb_scaling *sc);

#endif
