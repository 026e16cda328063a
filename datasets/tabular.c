/* tabular.c -- see tabular.h. */
#define _POSIX_C_SOURCE 200809L
#include "datasets/tabular.h"
#include "datasets/idx.h"
#include "datasets/text.h"
#include "base/util.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_linalg.h>
#include <gsl/gsl_matrix.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

void pb_data_free(pb_data *data)
{
    if (!data) return;
    free(data->X);
    free(data->y);
    memset(data, 0, sizeof *data);
}

int pb_data_alloc(pb_data *data, const char *name, size_t n, size_t d, size_t ydim, int n_classes)
{
    memset(data, 0, sizeof *data);
    snprintf(data->name, sizeof data->name, "%s", name);
    data->n = n, data->d = d, data->ydim = ydim, data->n_classes = n_classes;
    data->X = pb_calloc(n * d, sizeof *data->X);
    data->y = pb_calloc(n * ydim, sizeof *data->y);
    if (!data->X || !data->y) {
        pb_data_free(data);
        return PB_ERR_NOMEM;
    }
    return PB_OK;
}

/* Split a line on commas in place; returns the number of fields. */
static size_t split_fields(char *line, char **fields, size_t max)
{
    size_t n = 0;
    char *p = line;
    for (;;) {
        if (n < max) fields[n] = p;
        n++;
        char *c = strchr(p, ',');
        if (!c) break;
        *c = '\0';
        p = c + 1;
    }
    return n;
}

static void chomp(char *s)
{
    size_t len = strlen(s);
    while (len && (s[len - 1] == '\n' || s[len - 1] == '\r')) s[--len] = '\0';
}

/* Parse a whole field as a finite double. */
static int parse_number(const char *s, double *out)
{
    while (isspace((unsigned char)*s)) s++;
    if (!*s) return 0;
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    while (isspace((unsigned char)*end)) end++;
    if (*end || errno == ERANGE || !isfinite(v)) return 0;
    *out = v;
    return 1;
}

int pb_csv_load(const char *path, int classification, const char *name, pb_data *out)
{
    memset(out, 0, sizeof *out);
    FILE *f = fopen(path, "r");
    if (!f) return pb_error(PB_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    char *line = NULL;
    size_t cap = 0, lineno = 0;
    int st = PB_OK;
    enum { MAXF = 4096 };
    char **fields = pb_calloc(MAXF, sizeof *fields);
    if (!fields) { fclose(f); return PB_ERR_NOMEM; }
    double n_d, d_d;
    size_t n = 0, d = 0, row = 0;
    if (getline(&line, &cap, f) < 0) {
        st = pb_error(PB_ERR_FORMAT, "%s:1: empty file (expected a line 'n_samples,n_features,...')", path);
        goto done;
    }
    lineno = 1;
    chomp(line);
    size_t nf = split_fields(line, fields, MAXF);
    if (nf < 2 || !parse_number(fields[0], &n_d) || !parse_number(fields[1], &d_d) || n_d < 1 ||
        d_d < 1 || n_d != floor(n_d) || d_d != floor(d_d) || n_d > 1e8 || d_d > 1e5) {
        st = pb_error(PB_ERR_FORMAT, "%s:1: expected 'n_samples,n_features,...' with two positive integers", path);
        goto done;
    }
    if (d_d + 1 > MAXF) { /* a row is split into at most MAXF fields */
        st = pb_error(PB_ERR_FORMAT, "%s:1: %.0f features announced; at most %d are supported", path, d_d, MAXF - 1);
        goto done;
    }
    n = (size_t)n_d, d = (size_t)d_d;
    if ((st = pb_data_alloc(out, name, n, d, 1, 0))) goto done;
    int max_class = -1;
    while (getline(&line, &cap, f) >= 0) {
        lineno++;
        chomp(line);
        if (!line[0]) continue;
        nf = split_fields(line, fields, MAXF);
        double v;
        if (row == 0 && lineno == 2) { /* column names: a line 2 without a single number */
            size_t numeric = 0;
            for (size_t j = 0; j < nf && j < MAXF; j++) numeric += parse_number(fields[j], &v);
            if (numeric == 0) continue;
        }
        if (nf != d + 1) {
            st = pb_error(PB_ERR_FORMAT, "%s:%zu: expected %zu columns (%zu features and a target), found %zu",
                          path, lineno, d + 1, d, nf);
            goto done;
        }
        if (row == n) {
            st = pb_error(PB_ERR_FORMAT, "%s:%zu: more rows than the %zu announced on line 1", path, lineno, n);
            goto done;
        }
        for (size_t j = 0; j <= d; j++) {
            if (!parse_number(fields[j], &v)) {
                st = pb_error(PB_ERR_FORMAT, "%s:%zu:%zu: expected a number, found '%.40s'", path, lineno,
                              j + 1, fields[j]);
                goto done;
            }
            if (j < d) {
                out->X[row * d + j] = v;
            } else {
                if (classification && (v < 0 || v != floor(v) || v > 10000)) {
                    st = pb_error(PB_ERR_FORMAT, "%s:%zu:%zu: class label must be a non-negative integer, found '%s'",
                                  path, lineno, j + 1, fields[j]);
                    goto done;
                }
                out->y[row] = v;
                if (classification && (int)v > max_class) max_class = (int)v;
            }
        }
        row++;
    }
    if (ferror(f)) {
        st = pb_error(PB_ERR_IO, "%s:%zu: read error", path, lineno);
    } else if (row != n) {
        st = pb_error(PB_ERR_FORMAT, "%s:%zu: file ends after %zu rows; line 1 announced %zu", path, lineno, row, n);
    } else if (classification) {
        out->n_classes = max_class + 1;
    }
done:
    free(line);
    free(fields);
    fclose(f);
    if (st) pb_data_free(out);
    return st;
}

int pb_synthetic_make(size_t n, size_t d, uint64_t seed, pb_data *out)
{
    int st = pb_data_alloc(out, "synthetic", n, d, 1, 0);
    if (st) return st;
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    if (!r) { pb_data_free(out); return pb_error(PB_ERR_NOMEM, "out of memory"); }
    pb_rng_seed(r, seed);
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < d; j++) out->X[i * d + j] = 1.0 + gsl_ran_gaussian_ziggurat(r, 1.0);
        out->y[i] = out->X[i * d];
    }
    gsl_rng_free(r);
    return PB_OK;
}

int pb_synthetic_init(size_t d, uint64_t seed, double *w)
{
    gsl_matrix *A = gsl_matrix_alloc(d, d);
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    int st = PB_OK;
    if (!A || !r) { st = pb_error(PB_ERR_NOMEM, "out of memory"); goto done; }
    for (size_t i = 0; i < d; i++)
        for (size_t j = 0; j < d; j++)
            gsl_matrix_set(A, i, j, i == j ? 1.0 : (i == 0 || j == 0) ? 1e-3 : 0.95);
    if (gsl_linalg_cholesky_decomp1(A) != GSL_SUCCESS) {
        st = pb_error(PB_ERR_NUMERIC, "synthetic prior covariance is not positive definite");
        goto done;
    }
    pb_rng_seed(r, seed);
    double *z = pb_calloc(d, sizeof *z);
    if (!z) { st = PB_ERR_NOMEM; goto done; }
    for (size_t i = 0; i < d; i++) z[i] = gsl_ran_gaussian_ziggurat(r, 1.0);
    for (size_t i = 0; i < d; i++) {  /* w = m + L z, L lower triangle of the factor */
        double s = i == 0 ? 1.0 : 0.0025;
        for (size_t j = 0; j <= i; j++) s += gsl_matrix_get(A, i, j) * z[j];
        w[i] = s;
    }
    free(z);
done:
    gsl_matrix_free(A);
    gsl_rng_free(r);
    return st;
}

int pb_dataset_load(const char *name, const char *dir, uint64_t seed, pb_data *out)
{
    char path[4096];
    if (!strcmp(name, "wine")) {
        snprintf(path, sizeof path, "%s/wine_data.csv", dir);
        return pb_csv_load(path, 1, name, out);
    }
    if (!strcmp(name, "boston")) {
        snprintf(path, sizeof path, "%s/boston_house_prices.csv", dir);
        return pb_csv_load(path, 0, name, out);
    }
    if (!strcmp(name, "synthetic")) return pb_synthetic_make(10000, 100, seed, out);
    memset(out, 0, sizeof *out);
    if (!strcmp(name, "fashion-mnist") || !strcmp(name, "mnist"))
        return pb_error(PB_ERR_ARG, "dataset '%s' has fixed train and test files; open it with pb_dataset_open", name);
    return pb_error(PB_ERR_ARG, "unknown dataset '%s' (known: wine, boston, synthetic, fashion-mnist, mnist)", name);
}

static int copy_rows(const pb_data *all, const size_t *idx, size_t n, const char *suffix, pb_data *out)
{
    char nm[64];
    snprintf(nm, sizeof nm, "%s%s", all->name, suffix);
    int st = pb_data_alloc(out, nm, n, all->d, all->ydim, all->n_classes);
    if (st) return st;
    out->seq_len = all->seq_len, out->vocab = all->vocab;
    for (size_t i = 0; i < n; i++) {
        memcpy(out->X + i * all->d, all->X + idx[i] * all->d, all->d * sizeof *out->X);
        memcpy(out->y + i * all->ydim, all->y + idx[i] * all->ydim, all->ydim * sizeof *out->y);
    }
    return PB_OK;
}

int pb_split(const pb_data *all, double test_fraction, uint64_t seed, pb_data *train, pb_data *test)
{
    memset(train, 0, sizeof *train);
    memset(test, 0, sizeof *test);
    if (!(test_fraction > 0 && test_fraction < 1))
        return pb_error(PB_ERR_ARG, "test fraction must be in (0,1), got %g", test_fraction);
    size_t n = all->n;
    size_t *perm = pb_calloc(n, sizeof *perm), *tr = pb_calloc(n, sizeof *tr), *te = pb_calloc(n, sizeof *te);
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    int st = PB_OK;
    if (!perm || !tr || !te || !r) { st = pb_error(PB_ERR_NOMEM, "out of memory"); goto done; }
    pb_rng_seed(r, seed);
    for (size_t i = 0; i < n; i++) perm[i] = i;
    gsl_ran_shuffle(r, perm, n, sizeof *perm);
    size_t ntr = 0, nte = 0;
    int strata = all->n_classes > 0 ? all->n_classes : 1;
    for (int c = 0; c < strata; c++) {
        size_t count = 0, taken = 0;
        for (size_t i = 0; i < n; i++)
            if (all->n_classes == 0 || (int)all->y[perm[i]] == c) count++;
        size_t want = (size_t)floor(test_fraction * (double)count + 0.5);
        for (size_t i = 0; i < n; i++) {
            size_t k = perm[i];
            if (all->n_classes && (int)all->y[k] != c) continue;
            if (taken++ < want) te[nte++] = k;
            else tr[ntr++] = k;
        }
    }
    /* Keep a seeded (not class-sorted) order within each split. */
    gsl_ran_shuffle(r, tr, ntr, sizeof *tr);
    gsl_ran_shuffle(r, te, nte, sizeof *te);
    if (ntr == 0 || nte == 0) { st = pb_error(PB_ERR_ARG, "split of %zu rows leaves an empty part", n); goto done; }
    if ((st = copy_rows(all, tr, ntr, "/train", train)) || (st = copy_rows(all, te, nte, "/test", test))) {
        pb_data_free(train);
        pb_data_free(test);
    }
done:
    free(perm);
    free(tr);
    free(te);
    if (r) gsl_rng_free(r);
    return st;
}

void pb_scaling_free(pb_scaling *sc)
{
    if (!sc) return;
    free(sc->x_mean);
    free(sc->x_sd);
    free(sc->y_mean);
    free(sc->y_sd);
    memset(sc, 0, sizeof *sc);
}

/* Mean and (population) sd of column j of A (n x stride); sd 0 becomes 1. */
static void column_stats(const double *A, size_t n, size_t stride, size_t j, double *mean, double *sd)
{
    double m = 0, v = 0;
    for (size_t i = 0; i < n; i++) m += A[i * stride + j];
    m /= (double)n;
    for (size_t i = 0; i < n; i++) v += (A[i * stride + j] - m) * (A[i * stride + j] - m);
    v /= (double)n;
    *mean = m;
    *sd = v > 0 ? sqrt(v) : 1.0;
}

static void apply_scaling(double *A, size_t n, size_t stride, const double *mean, const double *sd)
{
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < stride; j++) A[i * stride + j] = (A[i * stride + j] - mean[j]) / sd[j];
}

int pb_standardize(pb_data *train, pb_data *test, int standardize_y, pb_scaling *sc)
{
    memset(sc, 0, sizeof *sc);
    size_t d = train->d, k = train->ydim;
    sc->d = d, sc->ydim = k;
    sc->x_mean = pb_calloc(d, sizeof(double));
    sc->x_sd = pb_calloc(d, sizeof(double));
    sc->y_mean = pb_calloc(k, sizeof(double));
    sc->y_sd = pb_calloc(k, sizeof(double));
    if (!sc->x_mean || !sc->x_sd || !sc->y_mean || !sc->y_sd) {
        pb_scaling_free(sc);
        return PB_ERR_NOMEM;
    }
    if (train->vocab) {   /* token ids: identity */
        for (size_t j = 0; j < d; j++) sc->x_mean[j] = 0, sc->x_sd[j] = 1;
    } else {
        for (size_t j = 0; j < d; j++) column_stats(train->X, train->n, d, j, &sc->x_mean[j], &sc->x_sd[j]);
        apply_scaling(train->X, train->n, d, sc->x_mean, sc->x_sd);
        apply_scaling(test->X, test->n, d, sc->x_mean, sc->x_sd);
    }
    for (size_t j = 0; j < k; j++) sc->y_mean[j] = 0, sc->y_sd[j] = 1;
    if (train->n_classes == 0 && standardize_y) {
        for (size_t j = 0; j < k; j++) column_stats(train->y, train->n, k, j, &sc->y_mean[j], &sc->y_sd[j]);
        apply_scaling(train->y, train->n, k, sc->y_mean, sc->y_sd);
        apply_scaling(test->y, test->n, k, sc->y_mean, sc->y_sd);
    }
    return PB_OK;
}

const char *pb_dataset_mnist_dir(const char *name)
{
    if (!strcmp(name, "fashion-mnist")) {
        const char *dir = getenv(PB_FASHION_MNIST_ENV);
        return dir && *dir ? dir : PB_FASHION_MNIST_DEFAULT_DIR;
    }
    if (!strcmp(name, "mnist")) {
        const char *dir = getenv(PB_MNIST_ENV);
        if (dir && *dir) return dir;
        pb_error(PB_ERR_ARG, "mnist: set %s to a directory holding train-images-idx3-ubyte, train-labels-idx1-ubyte, "
                 "t10k-images-idx3-ubyte and t10k-labels-idx1-ubyte (each plain or .gz), e.g. "
                 "export %s=$HOME/data/mnist", PB_MNIST_ENV, PB_MNIST_ENV);
        return NULL;
    }
    pb_error(PB_ERR_ARG, "dataset '%s' is not an MNIST-format set (known: fashion-mnist, mnist)", name);
    return NULL;
}

/* Identity scaling of d features and one target. */
static int identity_scaling(size_t d, pb_scaling *sc)
{
    memset(sc, 0, sizeof *sc);
    sc->d = d, sc->ydim = 1;
    sc->x_mean = pb_calloc(d, sizeof(double));
    sc->x_sd = pb_calloc(d, sizeof(double));
    sc->y_mean = pb_calloc(1, sizeof(double));
    sc->y_sd = pb_calloc(1, sizeof(double));
    if (!sc->x_mean || !sc->x_sd || !sc->y_mean || !sc->y_sd) {
        pb_scaling_free(sc);
        return PB_ERR_NOMEM;
    }
    for (size_t j = 0; j < d; j++) sc->x_sd[j] = 1.0;
    sc->y_sd[0] = 1.0;
    return PB_OK;
}

/* "seq-fashion-mnist" -> "fashion-mnist"; other names unchanged. */
static const char *mnist_base(const char *name) { return strncmp(name, "seq-", 4) ? name : name + 4; }

static int is_mnist_name(const char *name)
{
    const char *base = mnist_base(name);
    return !strcmp(base, "fashion-mnist") || !strcmp(base, "mnist");
}

static int open_mnist(const char *name, pb_data *train, pb_data *test, pb_scaling *sc)
{
    const char *base = mnist_base(name);
    const char *dir = pb_dataset_mnist_dir(base);
    if (!dir) return PB_ERR_ARG;
    int fashion = !strcmp(base, "fashion-mnist");
    const char *env = fashion ? PB_FASHION_MNIST_ENV : PB_MNIST_ENV;
    int from_env = getenv(env) && *getenv(env);
    struct stat s;
    if (stat(dir, &s) != 0 || !S_ISDIR(s.st_mode)) {
        if (!from_env)
            return pb_error(PB_ERR_IO, "%s: %s: no such directory (install the Debian package dataset-fashion-mnist, "
                            "or set %s to a directory of the four IDX files)", name, dir, env);
        return pb_error(PB_ERR_IO, "%s: %s=%s: no such directory", name, env, dir);
    }
    int st = pb_mnist_load(dir, name, train, test, NULL);
    if (st) return st;
    if (base != name) {   /* a sequence of image rows */
        size_t side = (size_t)floor(sqrt((double)train->d) + 0.5);
        if (side * side != train->d)
            st = pb_error(PB_ERR_FORMAT, "%s: %s: images of %zu pixels are not square, so their rows are not known",
                          name, dir, train->d);
        train->seq_len = test->seq_len = side;
    }
    if (st || (st = identity_scaling(train->d, sc))) {
        pb_data_free(train);
        pb_data_free(test);
    }
    return st;
}

int pb_dataset_open(const char *name, const char *data_dir, uint64_t split_seed, double test_fraction,
                    int standardize_y, pb_data *train, pb_data *test, pb_scaling *sc)
{
    memset(train, 0, sizeof *train);
    memset(test, 0, sizeof *test);
    memset(sc, 0, sizeof *sc);
    if (is_mnist_name(name)) return open_mnist(name, train, test, sc);
    int st;
    if (pb_text_is_dataset(name)) {
        if ((st = pb_text_dataset_open(name, data_dir, split_seed, test_fraction, NULL, train, test))) return st;
    } else if (!strcmp(name, "wine") || !strcmp(name, "boston") || !strcmp(name, "synthetic")) {
        pb_data all;
        if ((st = pb_dataset_load(name, data_dir, split_seed, &all))) return st;
        st = pb_split(&all, test_fraction, split_seed, train, test);
        pb_data_free(&all);
        if (st) return st;
    } else {
        return pb_error(PB_ERR_ARG, "unknown dataset '%s' (known: wine, boston, synthetic, imdb, movie-reviews, "
                        "fashion-mnist, mnist, seq-fashion-mnist, seq-mnist)", name);
    }
    if ((st = pb_standardize(train, test, standardize_y, sc))) {
        pb_data_free(train);
        pb_data_free(test);
    }
    return st;
}

static int is_regular_file(const char *path)
{
    struct stat s;
    return stat(path, &s) == 0 && S_ISREG(s.st_mode);
}

int pb_dataset_available(const char *name, const char *data_dir)
{
    char path[4300];
    if (!strcmp(name, "synthetic")) return 1;
    if (!strcmp(name, "wine") || !strcmp(name, "boston")) {
        snprintf(path, sizeof path, "%s/%s", data_dir ? data_dir : ".",
                 !strcmp(name, "wine") ? "wine_data.csv" : "boston_house_prices.csv");
        if (is_regular_file(path) && access(path, R_OK) == 0) return 1;
        pb_error(PB_ERR_IO, "%s: %s: no readable file", name, path);
        return 0;
    }
    if (is_mnist_name(name)) {
        static const char *const files[4] = {"train-images-idx3-ubyte", "train-labels-idx1-ubyte",
                                             "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"};
        const char *dir = pb_dataset_mnist_dir(mnist_base(name));
        if (!dir) return 0;
        for (int i = 0; i < 4; i++) {
            snprintf(path, sizeof path, "%s/%s", dir, files[i]);
            if (is_regular_file(path)) continue;
            snprintf(path, sizeof path, "%s/%s.gz", dir, files[i]);
            if (is_regular_file(path)) continue;
            pb_error(PB_ERR_IO, "%s: %s: no %s or %s.gz", name, dir, files[i], files[i]);
            return 0;
        }
        return 1;
    }
    if (pb_text_is_dataset(name)) {
        const char *src = pb_text_source(name, data_dir);
        if (!src) return 0;
        if (strcmp(name, "imdb")) {
            if (is_regular_file(src) && access(src, R_OK) == 0) return 1;
            pb_error(PB_ERR_IO, "%s: %s: no readable file", name, src);
            return 0;
        }
        static const char *const sub[4] = {"train/pos", "train/neg", "test/pos", "test/neg"};
        for (int i = 0; i < 4; i++) {
            struct stat s;
            snprintf(path, sizeof path, "%s/%s", src, sub[i]);
            if (stat(path, &s) != 0 || !S_ISDIR(s.st_mode)) {
                pb_error(PB_ERR_IO, "%s: %s: no such directory", name, path);
                return 0;
            }
        }
        return 1;
    }
    pb_error(PB_ERR_ARG, "unknown dataset '%s'", name);
    return 0;
}
