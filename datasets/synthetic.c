/* synthetic.c -- see synthetic.h. */
#include "datasets/synthetic.h"
#include "base/util.h"

#include <stdlib.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_linalg.h>
#include <gsl/gsl_matrix.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

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
