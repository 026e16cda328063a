/* posterior.c -- see posterior.h. */
#include "posterior/posterior.h"
#include "base/linalg.h"
#include "base/util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

static const char *names[] = {"laplace", "laplace-exact", "samples"};

int pb_estimator_parse(const char *name, pb_estimator *e)
{
    for (int i = 0; i < 3; i++)
        if (!strcmp(name, names[i])) { *e = (pb_estimator)i; return PB_OK; }
    if (!strcmp(name, "fullcov"))
        return pb_error(PB_ERR_ARG, "estimator 'fullcov' needs a full-covariance variational fit, which the "
                                    "trainer does not produce yet (use laplace, laplace-exact or samples)");
    return pb_error(PB_ERR_ARG, "unknown estimator '%s' (known: laplace, laplace-exact, samples)", name);
}

const char *pb_estimator_name(pb_estimator e) { return names[e]; }

/* A <- (A + A^T) / 2 */
static void symmetrize(size_t n, double *A)
{
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < i; j++) A[i * n + j] = A[j * n + i] = 0.5 * (A[i * n + j] + A[j * n + i]);
}

static int laplace_exact(const pb_model *m, pb_model_ws *ws, const pb_data *tr, const double *mean, double prec,
                         double *Sigma, size_t *floored)
{
    size_t n = m->n_params;
    double *e = pb_calloc(n, sizeof *e), *w = pb_calloc(n, sizeof *w), *U = pb_calloc(n * n, sizeof *U);
    int st = (!e || !w || !U) ? PB_ERR_NOMEM : PB_OK;
    for (size_t j = 0; j < n && !st; j++) {  /* column j of H: H e_j */
        e[j] = 1;
        st = pb_model_hessian_vec(m, ws, mean, tr->X, tr->y, tr->n, e, 1, Sigma + j * n);
        e[j] = 0;
    }
    if (!st) {
        symmetrize(n, Sigma);
        for (size_t j = 0; j < n; j++) Sigma[j * n + j] += prec;
        st = pb_eigen_sym(n, Sigma, n, 1, n, w, U, n);
    }
    if (!st) {
        /* Sigma = U diag(1 / max(lambda, prec)) U^T */
        *floored = 0;
        for (size_t k = 0; k < n; k++) {
            /* directions the likelihood does not see sit at the prior precision
             * up to rounding: count only those clearly below it */
            if (w[k] < prec * (1 - 1e-9)) (*floored)++;
            if (w[k] < prec) w[k] = prec;
        }
        for (size_t i = 0; i < n; i++)
            for (size_t j = 0; j <= i; j++) {
                double s = 0;
                for (size_t k = 0; k < n; k++) s += U[i * n + k] * U[j * n + k] / w[k];
                Sigma[i * n + j] = Sigma[j * n + i] = s;
            }
    }
    free(e); free(w); free(U);
    return st;
}

static int sgd_samples(const pb_model *m, pb_model_ws *ws, const pb_data *tr, const double *mean, double mu, double prec,
                       const double *A, uint64_t seed, double *Sigma, size_t *iters)
{
    size_t n = m->n_params, N = tr->n, d = tr->d, ys = tr->ydim, B = N < 32 ? N : 32;
    size_t T = 20 * n > 4000 ? 20 * n : 4000, burn = T / 10;
    double trace = 0;
    for (size_t j = 0; j < n; j++) trace += A[j * n + j];
    double lr = 1.0 / trace;
    double *w = pb_calloc(n, sizeof *w), *g = pb_calloc(n, sizeof *g), *avg = pb_calloc(n, sizeof *avg);
    double *Xb = pb_calloc(B * d, sizeof *Xb), *yb = pb_calloc(B * ys, sizeof *yb);
    double *D = pb_calloc(T * n, sizeof *D);  /* centred iterates, T x n */
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    int st = (!w || !g || !avg || !Xb || !yb || !D || !r) ? PB_ERR_NOMEM : PB_OK;
    if (!st) {
        pb_rng_seed(r, seed);
        memcpy(w, mean, n * sizeof *w);
    }
    for (size_t t = 0; t < burn + T && !st; t++) {
        for (size_t i = 0; i < B; i++) {
            size_t k = gsl_rng_uniform_int(r, N);
            memcpy(Xb + i * d, tr->X + k * d, d * sizeof *Xb);
            memcpy(yb + i * ys, tr->y + k * ys, ys * sizeof *yb);
        }
        double loss;
        if ((st = pb_model_loss_grad(m, ws, w, Xb, yb, B, NULL, NULL, &loss, g))) break;
        for (size_t j = 0; j < n; j++) w[j] -= lr * ((double)N / (double)B * g[j] + prec * (w[j] - mu));
        if (!isfinite(loss)) { st = pb_error(PB_ERR_NUMERIC, "SGD iterates diverged at step %zu", t); break; }
        if (t >= burn) memcpy(D + (t - burn) * n, w, n * sizeof *w);
    }
    if (!st) {
        for (size_t t = 0; t < T; t++)
            for (size_t j = 0; j < n; j++) avg[j] += D[t * n + j] / (double)T;
        for (size_t t = 0; t < T; t++)
            for (size_t j = 0; j < n; j++) D[t * n + j] -= avg[j];
        pb_gemm(1, 0, n, n, T, 1.0 / (double)(T - 1), D, n, D, n, 0.0, Sigma, n);
        double tr_s = 0;
        for (size_t j = 0; j < n; j++) tr_s += Sigma[j * n + j];
        for (size_t j = 0; j < n; j++) Sigma[j * n + j] += 1e-9 * tr_s / (double)n;
        *iters = T;
    }
    free(w); free(g); free(avg); free(Xb); free(yb); free(D);
    gsl_rng_free(r);
    return st;
}

int pb_posterior_covariance(const pb_model *m, const pb_data *train, const double *mean, double prior_mean,
                            double prior_sd, pb_estimator e, uint64_t seed, double *Sigma, char *info,
                            size_t info_len)
{
    size_t n = m->n_params;
    if (!(prior_sd > 0))
        return pb_error(PB_ERR_ARG, "the posterior covariance needs a fit with a Gaussian prior (prior sd %g)", prior_sd);
    int st = pb_model_require(m, PB_CAP_CURVATURE, "a Laplace or sampled posterior covariance");
    if (st) return st;
    double prec = 1.0 / (prior_sd * prior_sd);
    pb_model_ws *ws = pb_model_ws_alloc(m, train->n < 256 ? train->n : 256);
    if (!ws) return PB_ERR_NOMEM;
    size_t floored = 0, iters = 0;
    if (e == PB_EST_LAPLACE_EXACT) {
        st = laplace_exact(m, ws, train, mean, prec, Sigma, &floored);
        if (!st) snprintf(info, info_len, "laplace-exact: exact Hessian + prior precision %.4g, %zu of %zu eigenvalues "
                          "floored at the prior precision", prec, floored, n);
    } else {
        st = pb_model_gn_matrix(m, ws, mean, train->X, train->y, train->n, Sigma);
        for (size_t j = 0; j < n && !st; j++) Sigma[j * n + j] += prec;
        if (!st && e == PB_EST_SAMPLES) {
            double *A = pb_calloc(n * n, sizeof *A);
            if (!A) st = PB_ERR_NOMEM;
            else {
                memcpy(A, Sigma, n * n * sizeof *A);
                st = sgd_samples(m, ws, train, mean, prior_mean, prec, A, seed, Sigma, &iters);
                free(A);
            }
            if (!st) snprintf(info, info_len, "samples: covariance of %zu SGD iterates (batch 32, step 1/trace(A))", iters);
        } else if (!st) {
            st = pb_spd_inverse(n, Sigma, n);
            if (!st) snprintf(info, info_len, "laplace: Gauss-Newton + prior precision %.4g", prec);
        }
    }
    pb_model_ws_free(ws);
    return st;
}
