/* data.c -- see data.h. */
#include "datasets/data.h"
#include "base/util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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
    if (ntr == 0 || nte == 0) {
        st = pb_error(PB_ERR_ARG, "%s: a test fraction of %g of %zu rows leaves the %s part empty (split of %zu rows "
                      "leaves an empty part: use more data or another --test-fraction)", all->name, test_fraction, n,
                      ntr == 0 ? "training" : "test", n);
        goto done;
    }
    /* Keep a seeded (not class-sorted) order within each split. */
    gsl_ran_shuffle(r, tr, ntr, sizeof *tr);
    gsl_ran_shuffle(r, te, nte, sizeof *te);
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

/* Zeroed statistics for d features and k targets. */
static int scaling_alloc(size_t d, size_t k, pb_scaling *sc)
{
    memset(sc, 0, sizeof *sc);
    sc->d = d, sc->ydim = k;
    sc->x_mean = pb_calloc(d, sizeof(double));
    sc->x_sd = pb_calloc(d, sizeof(double));
    sc->y_mean = pb_calloc(k, sizeof(double));
    sc->y_sd = pb_calloc(k, sizeof(double));
    if (!sc->x_mean || !sc->x_sd || !sc->y_mean || !sc->y_sd) {
        pb_scaling_free(sc);
        return PB_ERR_NOMEM;
    }
    return PB_OK;
}

int pb_scaling_identity(size_t d, pb_scaling *sc)
{
    int st = scaling_alloc(d, 1, sc);
    if (st) return st;
    for (size_t j = 0; j < d; j++) sc->x_sd[j] = 1.0;
    sc->y_sd[0] = 1.0;
    return PB_OK;
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

/* An error naming the first column whose mean or sd is not finite (the
 * data are finite, so a sum overflowed: values near DBL_MAX). */
static int stats_finite(const pb_data *train, const char *what, const double *mean, const double *sd, size_t k)
{
    for (size_t j = 0; j < k; j++)
        if (!isfinite(mean[j]) || !isfinite(sd[j]))
            return pb_error(PB_ERR_NUMERIC, "%s: %s %zu (column %zu): mean %g, standard deviation %g: not finite, "
                            "the values are too large to standardize", train->name, what, j, j + 1, mean[j], sd[j]);
    return PB_OK;
}

static void apply_scaling(double *A, size_t n, size_t stride, const double *mean, const double *sd)
{
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < stride; j++) A[i * stride + j] = (A[i * stride + j] - mean[j]) / sd[j];
}

int pb_standardize(pb_data *train, pb_data *test, int standardize_y, pb_scaling *sc)
{
    size_t d = train->d, k = train->ydim;
    int st = scaling_alloc(d, k, sc);
    if (st) return st;
    if (train->vocab) {   /* token ids: identity */
        for (size_t j = 0; j < d; j++) sc->x_mean[j] = 0, sc->x_sd[j] = 1;
    } else {
        for (size_t j = 0; j < d; j++) column_stats(train->X, train->n, d, j, &sc->x_mean[j], &sc->x_sd[j]);
        if ((st = stats_finite(train, "feature", sc->x_mean, sc->x_sd, d))) goto fail;
        apply_scaling(train->X, train->n, d, sc->x_mean, sc->x_sd);
        apply_scaling(test->X, test->n, d, sc->x_mean, sc->x_sd);
    }
    for (size_t j = 0; j < k; j++) sc->y_mean[j] = 0, sc->y_sd[j] = 1;
    if (train->n_classes == 0 && standardize_y) {
        for (size_t j = 0; j < k; j++) column_stats(train->y, train->n, k, j, &sc->y_mean[j], &sc->y_sd[j]);
        if ((st = stats_finite(train, "target", sc->y_mean, sc->y_sd, k))) goto fail;
        apply_scaling(train->y, train->n, k, sc->y_mean, sc->y_sd);
        apply_scaling(test->y, test->n, k, sc->y_mean, sc->y_sd);
    }
    return PB_OK;
fail:
    pb_scaling_free(sc);
    return st;
}
