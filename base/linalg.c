/* linalg.c -- see linalg.h. LAPACK is Fortran: column-major, arguments by
 * reference, hidden string lengths at the end (gfortran convention). A
 * symmetric row-major matrix is its own column-major transpose, so the
 * calls see the same matrix; eigenvectors come back column-major and are
 * transposed into Z. */
#include "base/linalg.h"
#include "base/util.h"

#include <stdlib.h>
#include <string.h>

extern void dsyevr_(const char *jobz, const char *range, const char *uplo, const int *n, double *a,
                    const int *lda, const double *vl, const double *vu, const int *il, const int *iu,
                    const double *abstol, int *m, double *w, double *z, const int *ldz, int *isuppz,
                    double *work, const int *lwork, int *iwork, const int *liwork, int *info, size_t,
                    size_t, size_t);
extern void dpotrf_(const char *uplo, const int *n, double *a, const int *lda, int *info, size_t);
extern void dpotri_(const char *uplo, const int *n, double *a, const int *lda, int *info, size_t);

static int eigen_sym(size_t m, double *A, size_t lda, size_t il, size_t iu, double *w, double *Z, size_t ldz,
                     int all);

/* dsyevr's subset mode can give up on tight eigenvalue clusters (it then
 * reports fewer eigenpairs than asked); the full decomposition does not, so
 * a failed subset is recomputed in full from a saved copy. */
int pb_eigen_sym(size_t m, double *A, size_t lda, size_t il, size_t iu, double *w, double *Z, size_t ldz)
{
    if (iu - il + 1 == m) return eigen_sym(m, A, lda, il, iu, w, Z, ldz, 1);
    size_t span = (m - 1) * lda + m;  /* the doubles A occupies */
    double *copy = pb_calloc(span, sizeof *copy);
    if (!copy) return PB_ERR_NOMEM;
    memcpy(copy, A, span * sizeof *copy);
    int st = eigen_sym(m, A, lda, il, iu, w, Z, ldz, 0);
    if (st == PB_ERR_NUMERIC) {
        size_t k = iu - il + 1;
        double *wa = pb_calloc(m, sizeof *wa), *Za = Z ? pb_calloc(m * m, sizeof *Za) : NULL;
        if (!wa || (Z && !Za)) st = PB_ERR_NOMEM;
        else st = eigen_sym(m, copy, lda, 1, m, wa, Za, m, 1);
        if (!st) {
            memcpy(w, wa + il - 1, k * sizeof *w);
            if (Z)
                for (size_t i = 0; i < m; i++)
                    for (size_t j = 0; j < k; j++) Z[i * ldz + j] = Za[i * m + il - 1 + j];
        }
        free(wa);
        free(Za);
    }
    free(copy);
    return st;
}

static int eigen_sym(size_t m, double *A, size_t lda, size_t il, size_t iu, double *w, double *Z, size_t ldz,
                     int all)
{
    if (m == 0 || il < 1 || iu < il || iu > m)
        return pb_error(PB_ERR_ARG, "eigenpairs %zu..%zu of a %zu x %zu matrix", il, iu, m, m);
    int n = (int)m, la = (int)lda, ilo = (int)il, ihi = (int)iu, found = 0, info = 0;
    int k = (int)(iu - il + 1), ldzc = n, lwork = -1, liwork = -1, iwq;
    double vl = 0, vu = 0, abstol = 0, wq;
    int kz = all ? n : k;  /* columns dsyevr writes */
    double *zc = Z ? pb_calloc((size_t)n * (size_t)kz, sizeof *zc) : NULL;
    int *isuppz = pb_calloc(2 * (size_t)kz, sizeof *isuppz);
    double *wall = pb_calloc(m, sizeof *wall);
    if ((Z && !zc) || !isuppz || !wall) { free(zc); free(isuppz); free(wall); return PB_ERR_NOMEM; }
    const char *jobz = Z ? "V" : "N", *range = all ? "A" : "I";
    if (all) ilo = 1, ihi = n;
    dsyevr_(jobz, range, "L", &n, A, &la, &vl, &vu, &ilo, &ihi, &abstol, &found, wall, zc ? zc : &wq, &ldzc,
            isuppz, &wq, &lwork, &iwq, &liwork, &info, 1, 1, 1);
    lwork = (int)wq + 1, liwork = iwq + 1;
    double *work = pb_calloc((size_t)lwork, sizeof *work);
    int *iwork = pb_calloc((size_t)liwork, sizeof *iwork);
    int st = PB_OK;
    if (!work || !iwork) { st = PB_ERR_NOMEM; goto done; }
    dsyevr_(jobz, range, "L", &n, A, &la, &vl, &vu, &ilo, &ihi, &abstol, &found, wall, zc ? zc : &wq, &ldzc,
            isuppz, work, &lwork, iwork, &liwork, &info, 1, 1, 1);
    if (info != 0 || found != (all ? n : k)) {
        st = pb_error(PB_ERR_NUMERIC, "LAPACK dsyevr failed (info %d, %d of %d eigenpairs)", info, found, all ? n : k);
        goto done;
    }
    size_t off = all ? il - 1 : 0;  /* in full mode, columns il..iu of the result */
    memcpy(w, wall + off, (size_t)k * sizeof *w);
    if (Z)
        for (size_t i = 0; i < m; i++)
            for (size_t j = 0; j < (size_t)k; j++) Z[i * ldz + j] = zc[(off + j) * m + i];
done:
    free(zc); free(isuppz); free(wall); free(work); free(iwork);
    return st;
}

int pb_spd_inverse(size_t m, double *A, size_t lda)
{
    int n = (int)m, la = (int)lda, info = 0;
    dpotrf_("L", &n, A, &la, &info, 1);
    if (info != 0)
        return pb_error(PB_ERR_NUMERIC, "matrix of order %zu is not positive definite (leading minor %d)", m, info);
    dpotri_("L", &n, A, &la, &info, 1);
    if (info != 0) return pb_error(PB_ERR_NUMERIC, "inverse failed (LAPACK dpotri info %d)", info);
    /* dpotri filled the column-major lower triangle = row-major upper: mirror it */
    for (size_t i = 0; i < m; i++)
        for (size_t j = 0; j < i; j++) A[i * lda + j] = A[j * lda + i];
    return PB_OK;
}

int pb_gauss_condition_zero(size_t m, double *S, size_t lda, double *mu, size_t z)
{
    double szz = S[z * lda + z];
    double *col = pb_calloc(m, sizeof *col);
    if (!col) return PB_ERR_NOMEM;
    for (size_t i = 0; i < m; i++) col[i] = S[i * lda + z];
    if (mu) {
        double f = mu[z] / szz;
        for (size_t i = 0; i < m; i++) mu[i] -= col[i] * f;
    }
    for (size_t i = 0; i < m; i++) {
        double f = col[i] / szz;
        for (size_t j = 0; j < m; j++) S[i * lda + j] -= f * col[j];
    }
    free(col);
    /* compact: remove row z and column z */
    for (size_t i = 0, r = 0; i < m; i++) {
        if (i == z) continue;
        for (size_t j = 0, c = 0; j < m; j++) {
            if (j == z) continue;
            S[r * lda + c++] = S[i * lda + j];
        }
        r++;
    }
    if (mu) memmove(mu + z, mu + z + 1, (m - z - 1) * sizeof *mu);
    return PB_OK;
}
