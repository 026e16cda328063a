/* belsley.c -- removal order by the Belsley multicollinearity procedure on
 * the posterior (Grabovoy, Bakhteev, Strijov 2019, section 4; the
 * Belsley-Kuh-Welsch variance decomposition, PROTOCOLS.md "Belsley").
 *
 * Given the posterior precision A of the active parameters (m x m),
 *   A = U Lambda U^T,  eta_k = lambda_max / lambda_k,  k* = argmax_k eta_k
 *   pi_jk = (u_jk^2 / lambda_k) / sum_l (u_jl^2 / lambda_l)
 *   zeta = argmax_j pi_{j k*}   is removed next,
 * and removing it conditions the Gaussian on w_zeta = 0, which deletes row
 * and column zeta of A. Repeat until every prunable parameter is removed.
 *
 * Computed on the covariance Sigma = A^{-1} instead, which has the same
 * eigenvectors and eigenvalues mu_k = 1 / lambda_k:
 *   k* = the largest eigenvalue mu of Sigma (the smallest lambda of A),
 *   sum_l u_jl^2 / lambda_l = Sigma_jj, so pi_{j k*} = u_{j k*}^2 mu / Sigma_jj,
 *   deleting row/column zeta of A  <=>  Sigma <- Sigma - Sigma[:,z] Sigma[z,:] / Sigma_zz
 *   (then drop row/column z), an O(m^2) update.
 * So each step needs one eigenpair (LAPACK dsyevr through the host) and no
 * inverse. A repeated largest eigenvalue (e.g. the directions a softmax
 * output cannot see, where only the prior acts) makes k* ambiguous; the
 * proportions are then summed over the whole eigenspace (eigenvalues within
 * a relative 1e-9), which is independent of the basis LAPACK picks and equal
 * to the definition when the eigenvalue is simple. Option batch=b removes b
 * parameters per decomposition, one per eigenvalue cluster from the top,
 * with Sigma_jj updated after each removal (an approximation for large n;
 * the order file records b). Proportions within a relative 1e-12 count as
 * tied, and ties go to the lower parameter index.
 *
 * Options (declared in belsley_options, parsed by the host):
 * estimator=laplace|laplace-exact|samples (how the host estimates the
 * posterior; default laplace), batch=B >= 1 (default 1).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "prunebench.h"

typedef struct belsley_state {
    char estimator[32];
    size_t batch;
    char settings[384];
} belsley_state;

static const pb_option belsley_options[] = {
    {.name = "estimator", .type = PB_OPTION_ENUM, .default_value = "laplace", .choices = "laplace|laplace-exact|samples",
     .doc = "how the host estimates the posterior covariance"},
    {.name = "batch", .type = PB_OPTION_INT, .default_value = "1", .min = 1, .max = INFINITY,
     .doc = "parameters removed per eigendecomposition (1: the exact procedure)"},
    {0},
};

/* values[0]: estimator, values[1]: batch (parsed and checked by the host) */
static int belsley_create(const pb_host *host, const pb_value *values, void **state)
{
    belsley_state *s = calloc(1, sizeof *s);
    if (!s) { host->fail(host->ctx, "out of memory"); return 1; }
    snprintf(s->estimator, sizeof s->estimator, "%s", values[0].s);
    s->batch = (size_t)values[1].i;
    snprintf(s->settings, sizeof s->settings, "estimator=%s batch=%zu", s->estimator, s->batch);
    *state = s;
    return 0;
}

static void belsley_destroy(void *state) { free(state); }
static const char *belsley_settings(const void *state) { return ((const belsley_state *)state)->settings; }

/* Condition on w_z = 0 in place (no compaction): S <- S - S[:,z] S[z,:] / S_zz
 * over the alive rows/columns; row and column z become 0. col is scratch (m). */
static void condition_zero(size_t m, double *S, const unsigned char *alive, size_t z, double *col)
{
    double szz = S[z * m + z];
    for (size_t i = 0; i < m; i++) col[i] = alive[i] ? S[i * m + z] : 0;
    for (size_t i = 0; i < m; i++) {
        if (!alive[i]) continue;
        double f = col[i] / szz;
        for (size_t j = 0; j < m; j++) S[i * m + j] -= f * col[j];
    }
    for (size_t i = 0; i < m; i++) S[i * m + z] = S[z * m + i] = 0;
}

/* Keep the alive rows/columns of S (m x m) as a dense m' x m' block at the
 * start of the buffer (leading dimension m'), and the matching idx entries. */
static size_t compact(size_t m, double *S, size_t *idx, const unsigned char *alive)
{
    size_t r = 0, k = 0;
    for (size_t i = 0; i < m; i++) k += alive[i];
    for (size_t i = 0; i < m; i++) {
        if (!alive[i]) continue;
        size_t c = 0;
        for (size_t j = 0; j < m; j++)
            if (alive[j]) S[r * k + c++] = S[i * m + j];
        idx[r++] = idx[i];
    }
    return k;
}

/* Relative width of an eigenvalue cluster, and of a tie between proportions:
 * values this close are treated as equal, so rounding cannot pick the answer. */
#define CLUSTER_TOL 1e-9
#define TIE_TOL 1e-12

/* The ask largest eigenpairs of S (m x m) into mu (ascending) and Z
 * (m x ask), growing ask until the top `want` eigenvalue clusters are complete
 * (a cluster is complete when an eigenvalue below it, outside CLUSTER_TOL, has
 * been seen, or all m are known). Returns the number of complete clusters found
 * (<= want) and sets *ask; starts[c] is the column of the smallest eigenvalue of
 * cluster c (clusters counted from the top; cluster c spans columns
 * starts[c] .. starts[c-1]-1, with starts[-1] = ask). */
static int top_clusters(const pb_host *host, size_t m, const double *S, double *work, size_t want, double *mu,
                        double **Z, size_t *ask, size_t *starts, size_t *nclusters)
{
    /* one more than wanted, to see where the last cluster ends; at least the
     * previous step's count (*ask on entry), since clusters shrink slowly */
    size_t a = want + 1 > *ask ? want + 1 : *ask;
    if (a > m) a = m;
    for (;;) {
        double *nz = realloc(*Z, m * a * sizeof **Z);
        if (!nz) { host->fail(host->ctx, "out of memory"); return 1; }
        *Z = nz;
        memcpy(work, S, m * m * sizeof *work);
        if (host->eigen_sym(host->ctx, m, work, m, m - a + 1, m, mu, *Z, a)) return 1;
        size_t nc = 0, top = a;  /* walk down from the largest eigenvalue */
        while (top > 0 && nc < want) {
            size_t lo = top - 1;
            while (lo > 0 && mu[lo - 1] >= mu[top - 1] * (1 - CLUSTER_TOL)) lo--;
            if (lo == 0 && a < m) break;  /* may continue below what is computed */
            starts[nc++] = lo;
            top = lo;
        }
        if (nc >= want || nc == m || a == m || (nc > 0 && top == 0)) {
            *ask = a;
            *nclusters = nc;
            return 0;
        }
        a = 2 * a < m ? 2 * a : m;
    }
}

static int belsley_order(const pb_host *host, const pb_fit_view *fit, size_t *order, void *state)
{
    belsley_state *s = state;
    if (host->abi_minor < 1 || !host->posterior_matrix || !host->eigen_sym) {
        host->fail(host->ctx, "needs host ABI 1.1 (posterior_matrix, eigen_sym)");
        return 1;
    }
    size_t m = fit->n_prunable, out = 0, b = s->batch;
    double *S = malloc(m * m * sizeof *S), *work = malloc(m * m * sizeof *work);
    double *Z = NULL, *mu = malloc(m * sizeof *mu), *col = malloc(m * sizeof *col);
    size_t *idx = malloc(m * sizeof *idx), *starts = malloc(m * sizeof *starts);
    unsigned char *alive = malloc(m);
    int st = 0;
    if (!S || !work || !mu || !col || !idx || !starts || !alive) {
        host->fail(host->ctx, "out of memory");
        st = 1;
        goto done;
    }
    char info[256] = "";
    if (host->posterior_matrix(host->ctx, fit, s->estimator, PB_POSTERIOR_COVARIANCE, S, info, sizeof info)) {
        st = 1;  /* the host has recorded why */
        goto done;
    }
    snprintf(s->settings, sizeof s->settings, "estimator=%s batch=%zu (%s)", s->estimator, s->batch, info);
    for (size_t j = 0, k = 0; j < fit->n_params; j++)
        if (fit->prunable[j]) idx[k++] = j;
    size_t ask = 0, nc;
    while (m > 0) {
        if ((st = top_clusters(host, m, S, work, b < m ? b : m, mu, &Z, &ask, starts, &nc))) goto done;
        memset(alive, 1, m);
        /* Fast exact path: a parameter whose variance equals the largest
         * eigenvalue mu_1 is itself an eigenvector of it (Sigma <= mu_1 I), so its
         * proportion is 1, the maximum, and it is uncorrelated with the rest:
         * the procedure removes all such parameters next, lowest index first,
         * and conditioning on each only drops its row and column. (On a network
         * this is the set of weights the likelihood does not see.) */
        size_t flat = 0;
        for (size_t j = 0; j < m; j++)
            if (S[j * m + j] >= mu[ask - 1] * (1 - CLUSTER_TOL)) {
                order[out++] = idx[j];
                alive[j] = 0;
                flat++;
            }
        if (flat) {
            m = compact(m, S, idx, alive);
            continue;
        }
        /* one removal per cluster, largest first; within a cluster of equal
         * eigenvalues the proportions are summed over its eigenvectors, which
         * does not depend on the basis LAPACK returns for the eigenspace:
         * pi_j = sum_{k in cluster} u_jk^2 mu_k / Sigma_jj */
        for (size_t c = 0, hi = ask; c < nc; hi = starts[c], c++) {
            size_t zeta = m;
            double best = -1;
            for (size_t j = 0; j < m; j++) {
                if (!alive[j] || !(S[j * m + j] > 0)) continue;
                double pi = 0;
                for (size_t k = starts[c]; k < hi; k++) pi += Z[j * ask + k] * Z[j * ask + k] * mu[k];
                pi /= S[j * m + j];
                if (pi > best * (1 + TIE_TOL)) best = pi, zeta = j;  /* near-ties keep the lower index */
            }
            if (zeta == m) break;
            order[out++] = idx[zeta];
            alive[zeta] = 0;
            condition_zero(m, S, alive, zeta, col);
        }
        size_t before = m;
        m = compact(m, S, idx, alive);
        if (m == before) {  /* only non-positive variances left: remove them in index order */
            for (size_t j = 0; j < m; j++) order[out++] = idx[j];
            m = 0;
        }
    }
    if (out != fit->n_prunable) {
        host->fail(host->ctx, "internal error: ordered %zu of %zu parameters", out, fit->n_prunable);
        st = 1;
    }
done:
    free(S); free(work); free(Z); free(mu); free(col); free(idx); free(starts); free(alive);
    return st;
}

PB_EXPORT const pb_method pb_method_descriptor = {
    .abi_major = PB_ABI_MAJOR,
    .abi_minor = 5,
    .struct_size = sizeof(pb_method),
    .name = "belsley",
    .summary = "Belsley variance decomposition of the posterior covariance, one parameter at a time",
    .citation = "Grabovoy, Bakhteev, Strijov (2019), Estimation of the relevance of neural network parameters",
    .create_with = belsley_create,
    .destroy = belsley_destroy,
    .settings = belsley_settings,
    .order = belsley_order,
    .options = belsley_options,
    .requires = PB_REQUIRES_POSTERIOR_MATRIX,
};
