/* posterior.c -- full-covariance posterior estimates and the linear algebra
 * under them, each against an independent computation:
 *   (a) pb_gauss_condition_zero against GSL: the precision with a row and
 *       column deleted, the direct conditional mean, and the one-shot Schur
 *       complement for several indices;
 *   (b) pb_eigen_sym subsets (also inside tight eigenvalue clusters) against
 *       gsl_eigen_symmv; pb_spd_inverse against GSL's Cholesky inverse;
 *   (c) pb_posterior_covariance: Laplace = (G + I/sigma_p^2)^{-1} with G
 *       built here from central differences of the network outputs; the
 *       linear network against differences of the gradient; the noise
 *       precision beta; laplace-exact on an indefinite Hessian; samples;
 *   (d) the pruner (harness/prune.h) with and without conditional-mean
 *       compensation against the conditional mean computed here. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_eigen.h>
#include <gsl/gsl_linalg.h>
#include <gsl/gsl_matrix.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <gsl/gsl_vector.h>

#include "tap.h"
#include "testutil.h"
#include "host/cell.h"
#include "formats/fit.h"
#include "base/linalg.h"
#include "models/mlp.h"
#include "posterior/posterior.h"
#include "protocols/prune.h"
#include "datasets/data.h"
#include "base/util.h"

/* ---- helpers ------------------------------------------------------------ */



static double *dalloc(size_t n)
{
    double *p = calloc(n ? n : 1, sizeof *p);
    TAP_REQUIRE(p != NULL);
    return p;
}

/* A (m x m, dense) <- A^{-1} by GSL's Cholesky; returns GSL's status. */
static int gsl_spd_inverse(size_t m, double *A)
{
    gsl_matrix_view v = gsl_matrix_view_array(A, m, m);
    gsl_error_handler_t *old = gsl_set_error_handler_off();
    int st = gsl_linalg_cholesky_decomp1(&v.matrix);
    if (!st) st = gsl_linalg_cholesky_invert(&v.matrix);
    gsl_set_error_handler(old);
    return st;
}

/* Ascending eigenvalues ev and eigenvectors U (columns, m x m) by GSL. */
static void gsl_eig(size_t m, const double *A, size_t lda, double *ev, double *U)
{
    gsl_matrix *a = gsl_matrix_alloc(m, m), *u = gsl_matrix_alloc(m, m);
    gsl_vector *e = gsl_vector_alloc(m);
    gsl_eigen_symmv_workspace *w = gsl_eigen_symmv_alloc(m);
    TAP_REQUIRE(a && u && e && w);
    for (size_t i = 0; i < m; i++)
        for (size_t j = 0; j < m; j++) gsl_matrix_set(a, i, j, A[i * lda + j]);
    TAP_REQUIRE(gsl_eigen_symmv(a, e, u, w) == 0);
    gsl_eigen_symmv_sort(e, u, GSL_EIGEN_SORT_VAL_ASC);
    for (size_t i = 0; i < m; i++) {
        ev[i] = gsl_vector_get(e, i);
        if (U)
            for (size_t j = 0; j < m; j++) U[i * m + j] = gsl_matrix_get(u, i, j);
    }
    gsl_matrix_free(a), gsl_matrix_free(u), gsl_vector_free(e), gsl_eigen_symmv_free(w);
}

/* S (m x m) = B B^T / m + shift I with B Gaussian. */
static void random_spd(size_t m, double shift, gsl_rng *r, double *S)
{
    double *B = dalloc(m * m);
    for (size_t k = 0; k < m * m; k++) B[k] = gsl_ran_gaussian(r, 1.0);
    for (size_t i = 0; i < m; i++)
        for (size_t j = 0; j < m; j++) {
            double s = 0;
            for (size_t k = 0; k < m; k++) s += B[i * m + k] * B[j * m + k];
            S[i * m + j] = s / (double)m + (i == j ? shift : 0);
        }
    free(B);
}

/* Conditional of N(mu, S) (S n x n dense) given w_Z = 0, by GSL:
 * cov = S_RR - S_RZ S_ZZ^{-1} S_ZR (r x r), mean = mu_R - S_RZ S_ZZ^{-1} mu_Z (r).
 * R, Z: index lists of lengths r, z. cov may be NULL. */
static void gsl_conditional(size_t n, const double *S, const double *mu, const size_t *R, size_t r, const size_t *Z,
                            size_t z, double *cov, double *mean)
{
    gsl_matrix *Szz = gsl_matrix_alloc(z ? z : 1, z ? z : 1), *Szr = gsl_matrix_alloc(z ? z : 1, r ? r : 1);
    gsl_vector *mz = gsl_vector_alloc(z ? z : 1);
    TAP_REQUIRE(Szz && Szr && mz);
    for (size_t a = 0; a < r; a++) {
        if (mean) mean[a] = mu[R[a]];
        if (cov)
            for (size_t b = 0; b < r; b++) cov[a * r + b] = S[R[a] * n + R[b]];
    }
    if (z) {
        for (size_t a = 0; a < z; a++) {
            for (size_t b = 0; b < z; b++) gsl_matrix_set(Szz, a, b, S[Z[a] * n + Z[b]]);
            for (size_t b = 0; b < r; b++) gsl_matrix_set(Szr, a, b, S[Z[a] * n + R[b]]);
            gsl_vector_set(mz, a, mu ? mu[Z[a]] : 0);
        }
        TAP_REQUIRE(gsl_linalg_cholesky_decomp1(Szz) == 0);
        /* X = S_ZZ^{-1} S_ZR, column by column; x = S_ZZ^{-1} mu_Z */
        gsl_vector *col = gsl_vector_alloc(z);
        TAP_REQUIRE(col != NULL);
        for (size_t b = 0; b < r; b++) {
            gsl_vector_view c = gsl_matrix_column(Szr, b);
            gsl_vector_memcpy(col, &c.vector);
            gsl_linalg_cholesky_svx(Szz, col);
            gsl_vector_memcpy(&c.vector, col);
        }
        gsl_linalg_cholesky_svx(Szz, mz);
        gsl_vector_free(col);
        for (size_t a = 0; a < r; a++) {
            if (mean)
                for (size_t q = 0; q < z; q++) mean[a] -= S[R[a] * n + Z[q]] * gsl_vector_get(mz, q);
            if (cov)
                for (size_t b = 0; b < r; b++)
                    for (size_t q = 0; q < z; q++) cov[a * r + b] -= S[R[a] * n + Z[q]] * gsl_matrix_get(Szr, q, b);
        }
    }
    gsl_matrix_free(Szz), gsl_matrix_free(Szr), gsl_vector_free(mz);
}

/* ---- (a) conditioning ---------------------------------------------------- */

static void test_condition(gsl_rng *r)
{
    enum { M = 7, LDA = 10 };
    const double SENT = 12345.5;
    double S[M * M], Sp[M * LDA], mu[M];
    random_spd(M, 0.3, r, S);
    for (size_t i = 0; i < M; i++) mu[i] = gsl_ran_gaussian(r, 1.0);
    for (size_t i = 0; i < M; i++)
        for (size_t j = 0; j < LDA; j++) Sp[i * LDA + j] = j < M ? S[i * M + j] : SENT;

    static const size_t zs[] = {0, 3, 6};
    for (size_t t = 0; t < 3; t++) {
        size_t z = zs[t];
        double Sc[M * LDA], Sn[M * LDA], muc[M];
        memcpy(Sc, Sp, sizeof Sc), memcpy(Sn, Sp, sizeof Sn), memcpy(muc, mu, sizeof muc);
        int st = pb_gauss_condition_zero(M, Sc, LDA, muc, z);
        int st2 = pb_gauss_condition_zero(M, Sn, LDA, NULL, z);
        /* reference 1: invert, delete row/column z of the precision, invert back */
        double P[M * M], Pd[(M - 1) * (M - 1)], got[(M - 1) * (M - 1)];
        memcpy(P, S, sizeof P);
        TAP_REQUIRE(gsl_spd_inverse(M, P) == 0);
        for (size_t i = 0, a = 0; i < M; i++) {
            if (i == z) continue;
            for (size_t j = 0, b = 0; j < M; j++)
                if (j != z) Pd[a * (M - 1) + b++] = P[i * M + j];
            a++;
        }
        TAP_REQUIRE(gsl_spd_inverse(M - 1, Pd) == 0);
        for (size_t a = 0; a < M - 1; a++)
            for (size_t b = 0; b < M - 1; b++) got[a * (M - 1) + b] = Sc[a * LDA + b];
        double err = max_diff((M - 1) * (M - 1), got, Pd), tol = 1e-12 * max_abs(M * M, S);
        ok(st == 0 && err <= tol, "(a) condition on w_%zu = 0 (lda %d > m %d): S = inverse of the precision without "
           "row/column %zu (err %.2g)", z, LDA, M, z, err);
        /* reference 2: mu_rest - S_rz S_zz^{-1} mu_z, written out */
        double merr = 0;
        for (size_t i = 0, a = 0; i < M; i++) {
            if (i == z) continue;
            double want = mu[i] - S[i * M + z] / S[z * M + z] * mu[z];
            merr = fmax(merr, fabs(muc[a++] - want));
        }
        int pad = 1;
        for (size_t i = 0; i < M; i++)
            for (size_t j = M; j < LDA; j++) pad &= Sc[i * LDA + j] == SENT;
        ok(merr <= 1e-13 * (1 + max_abs(M, mu)) && pad && st2 == 0 && !memcmp(Sn, Sc, sizeof Sn),
           "(a) z = %zu: mean = mu_rest - S_rz/S_zz mu_z (err %.2g); columns past m untouched; mu = NULL gives the "
           "same S", z, merr);
    }

    /* repeated conditioning on {5, 1, 3} = the one-shot conditional on the set */
    static const size_t Zs[] = {5, 1, 3}, Rs[] = {0, 2, 4, 6};
    double Sc[M * LDA], muc[M];
    memcpy(Sc, Sp, sizeof Sc), memcpy(muc, mu, sizeof muc);
    size_t alive[M], na = M;
    for (size_t i = 0; i < M; i++) alive[i] = i;
    int st = 0;
    for (size_t t = 0; t < 3; t++) {
        size_t pos = na;
        for (size_t i = 0; i < na; i++)
            if (alive[i] == Zs[t]) pos = i;
        TAP_REQUIRE(pos < na);
        st |= pb_gauss_condition_zero(na, Sc, LDA, muc, pos);
        memmove(alive + pos, alive + pos + 1, (na - pos - 1) * sizeof *alive);
        na--;
    }
    double cov[4 * 4], mean[4], got[4 * 4];
    gsl_conditional(M, S, mu, Rs, 4, Zs, 3, cov, mean);
    for (size_t a = 0; a < 4; a++)
        for (size_t b = 0; b < 4; b++) got[a * 4 + b] = Sc[a * LDA + b];
    int kept = alive[0] == 0 && alive[1] == 2 && alive[2] == 4 && alive[3] == 6;
    double cerr = max_diff(16, got, cov), merr = max_diff(4, muc, mean);
    ok(st == 0 && kept && cerr <= 1e-12 * max_abs(M * M, S) && merr <= 1e-12 * (1 + max_abs(M, mu)),
       "(a) conditioning on w_5, w_1, w_3 in turn = S_RR - S_RZ S_ZZ^-1 S_ZR and m_R - S_RZ S_ZZ^-1 m_Z (errors "
       "%.2g, %.2g)", cerr, merr);
}

/* ---- (b) eigenpairs and the SPD inverse ---------------------------------- */

/* pb_eigen_sym(il..iu) on A (m x m, leading dimension lda) against GSL:
 * eigenvalues; eigenvectors up to sign where the eigenvalue is simple, and
 * inside the reference eigenspace where it is clustered; orthonormality. */
static void check_eigen(const char *what, size_t m, const double *A, size_t lda, size_t il, size_t iu, int vectors)
{
    size_t k = iu - il + 1, ldz = k + 2;
    double *ev = dalloc(m), *U = dalloc(m * m), *Ac = dalloc(m * lda), *w = dalloc(k), *Z = dalloc(m * ldz);
    gsl_eig(m, A, lda, ev, U);
    memcpy(Ac, A, m * lda * sizeof *Ac);
    for (size_t t = 0; t < m * ldz; t++) Z[t] = NAN;
    int st = pb_eigen_sym(m, Ac, lda, il, iu, w, vectors ? Z : NULL, ldz);
    if (st) diag("%s: %s", what, pb_last_error());
    double scale = fmax(fabs(ev[0]), fabs(ev[m - 1])), werr = 0, verr = 0, oerr = 0, rerr = 0;
    int asc = 1, clustered = 0;
    for (size_t j = 0; j < k && !st; j++) {
        werr = fmax(werr, fabs(w[j] - ev[il - 1 + j]));
        if (j) asc &= w[j] >= w[j - 1];
        if (!vectors) continue;
        size_t c = il - 1 + j;
        /* the reference eigenspace: every eigenvalue within 1e-8 scale of this one */
        size_t lo = c, hi = c;
        while (lo > 0 && ev[c] - ev[lo - 1] <= 1e-8 * scale) lo--;
        while (hi + 1 < m && ev[hi + 1] - ev[c] <= 1e-8 * scale) hi++;
        if (lo == hi) {
            double dot = 0;
            for (size_t i = 0; i < m; i++) dot += Z[i * ldz + j] * U[i * m + c];
            double sg = dot < 0 ? -1 : 1;
            for (size_t i = 0; i < m; i++) verr = fmax(verr, fabs(Z[i * ldz + j] - sg * U[i * m + c]));
        } else {
            clustered++;
            /* z minus its projection on the reference eigenspace */
            for (size_t i = 0; i < m; i++) {
                double p = 0;
                for (size_t q = lo; q <= hi; q++) {
                    double d = 0;
                    for (size_t t = 0; t < m; t++) d += U[t * m + q] * Z[t * ldz + j];
                    p += d * U[i * m + q];
                }
                verr = fmax(verr, fabs(Z[i * ldz + j] - p));
            }
        }
        /* residual |A z - w z| */
        for (size_t i = 0; i < m; i++) {
            double s = 0;
            for (size_t t = 0; t < m; t++) s += A[i * lda + t] * Z[t * ldz + j];
            rerr = fmax(rerr, fabs(s - w[j] * Z[i * ldz + j]) / scale);
        }
        for (size_t q = 0; q <= j; q++) {
            double d = 0;
            for (size_t i = 0; i < m; i++) d += Z[i * ldz + j] * Z[i * ldz + q];
            oerr = fmax(oerr, fabs(d - (q == j)));
        }
    }
    int untouched = 1;  /* columns of Z past k stay unwritten */
    if (vectors)
        for (size_t i = 0; i < m; i++)
            for (size_t j = k; j < ldz; j++) untouched &= isnan(Z[i * ldz + j]);
    ok(st == 0 && asc && werr <= 1e-12 * scale && verr <= 1e-9 && rerr <= 1e-12 && oerr <= 1e-12 && untouched,
       "(b) %s: eigenpairs %zu..%zu of %zu%s = GSL (value err %.2g, vector err %.2g%s, residual %.2g, orthonormality "
       "%.2g)", what, il, iu, m, vectors ? "" : " (values only)", werr, verr,
       clustered ? " incl. clustered" : "", rerr, oerr);
    free(ev), free(U), free(Ac), free(w), free(Z);
}

static void test_eigen(gsl_rng *r)
{
    enum { M = 30, LDA = 33 };
    double *A = dalloc(M * LDA), *V = dalloc(M * 3);
    /* a random symmetric indefinite matrix, stored with lda 33 */
    for (size_t i = 0; i < M; i++)
        for (size_t j = 0; j <= i; j++) A[i * LDA + j] = A[j * LDA + i] = gsl_ran_gaussian(r, 1.0);
    for (size_t i = 0; i < M; i++)
        for (size_t j = M; j < LDA; j++) A[i * LDA + j] = 1e300;  /* must be ignored */
    static const size_t rg[][2] = {{1, 1}, {1, 5}, {30, 30}, {26, 30}, {11, 20}, {1, 30}};
    for (size_t t = 0; t < 6; t++) check_eigen("random symmetric", M, A, LDA, rg[t][0], rg[t][1], 1);
    check_eigen("random symmetric", M, A, LDA, 4, 8, 0);

    /* 2 I + V V^T: eigenvalue 2 with multiplicity 27, three larger */
    for (size_t k = 0; k < M * 3; k++) V[k] = gsl_ran_gaussian(r, 1.0);
    for (size_t i = 0; i < M; i++)
        for (size_t j = 0; j < M; j++) {
            double s = (i == j) ? 2.0 : 0;
            for (size_t q = 0; q < 3; q++) s += V[i * 3 + q] * V[j * 3 + q];
            A[i * LDA + j] = s;
        }
    static const size_t cg[][2] = {{1, 27}, {5, 12}, {25, 30}, {28, 30}, {1, 1}, {27, 28}};
    for (size_t t = 0; t < 6; t++) check_eigen("2 I + rank 3 (27-fold eigenvalue)", M, A, LDA, cg[t][0], cg[t][1], 1);
    /* a tight cluster: 2 I + 1e-13 diag(u) + rank 3 */
    for (size_t i = 0; i < M; i++) A[i * LDA + i] += 1e-13 * gsl_rng_uniform(r);
    check_eigen("2 I + 1e-13 diag + rank 3 (tight cluster)", M, A, LDA, 3, 9, 1);
    check_eigen("2 I + 1e-13 diag + rank 3 (tight cluster)", M, A, LDA, 20, 29, 1);

    /* bad ranges */
    double w[M], Z[M * M];
    int e1 = pb_eigen_sym(M, A, LDA, 0, 3, w, Z, M), e2 = pb_eigen_sym(M, A, LDA, 3, M + 1, w, Z, M);
    int e3 = pb_eigen_sym(M, A, LDA, 5, 4, w, Z, M);
    ok(e1 == PB_ERR_ARG && e2 == PB_ERR_ARG && e3 == PB_ERR_ARG, "(b) ranges 0..3, 3..31 and 5..4 rejected (%d %d %d)",
       e1, e2, e3);
    free(A), free(V);

    /* pb_spd_inverse */
    enum { N = 12, LD = 14 };
    double S[N * N], Sp[N * LD], Sg[N * N], got[N * N];
    random_spd(N, 0.2, r, S);
    for (size_t i = 0; i < N; i++)
        for (size_t j = 0; j < LD; j++) Sp[i * LD + j] = j < N ? S[i * N + j] : -7.0;
    memcpy(Sg, S, sizeof Sg);
    TAP_REQUIRE(gsl_spd_inverse(N, Sg) == 0);
    int st = pb_spd_inverse(N, Sp, LD), pad = 1;
    for (size_t i = 0; i < N; i++)
        for (size_t j = 0; j < LD; j++) {
            if (j < N) got[i * N + j] = Sp[i * LD + j];
            else pad &= Sp[i * LD + j] == -7.0;
        }
    double err = max_diff(N * N, got, Sg);
    int sym = 1;
    for (size_t i = 0; i < N; i++)
        for (size_t j = 0; j < N; j++) sym &= got[i * N + j] == got[j * N + i];
    ok(st == 0 && err <= 1e-11 * max_abs(N * N, Sg) && sym && pad,
       "(b) pb_spd_inverse (lda %d) = GSL Cholesky inverse (err %.2g), exactly symmetric", LD, err);
    /* indefinite: eigenvalues of S shifted below 0 */
    double ev[N];
    gsl_eig(N, S, N, ev, NULL);
    for (size_t i = 0; i < N; i++) S[i * N + i] -= 0.5 * (ev[0] + ev[1]);
    st = pb_spd_inverse(N, S, N);
    ok(st == PB_ERR_NUMERIC && strstr(pb_last_error(), "not positive definite"),
       "(b) pb_spd_inverse of an indefinite matrix fails: %s", pb_last_error());
}

/* ---- (c) posterior covariance --------------------------------------------- */

/* The shared reference network (testutil.h) of a parsed spec: tanh or identity. */
static void ref_of_model(ref_net *r, const pb_mlp *m)
{
    TAP_REQUIRE(m->act != PB_ACT_RELU && m->n_layers < 8);
    ref_layout(r, m->n_layers, m->dims, m->act == PB_ACT_TANH ? 0 : 2, m->head == PB_HEAD_MSE);
}

/* G (n x n) = sum_i J_i^T H_out,i J_i, J_i by central differences of the
 * outputs; H_out = diag(p) - p p^T (ce) or beta I (mse). */
static void ref_gn_matrix(const ref_net *r, double beta, const double *w0, const double *X, size_t N, double *G)
{
    size_t n = r->n, d0 = r->dims[0], C = r->dims[r->L];
    double *w = dalloc(n), *J = dalloc(C * n), *HJ = dalloc(C * n);
    double zp[64], zm[64], z[64], p[64], h = 1e-5;
    memcpy(w, w0, n * sizeof *w);
    memset(G, 0, n * n * sizeof *G);
    for (size_t i = 0; i < N; i++) {
        const double *x = X + i * d0;
        for (size_t j = 0; j < n; j++) {
            double wj = w[j];
            w[j] = wj + h;
            ref_forward(r, w, x, zp, NULL);
            w[j] = wj - h;
            ref_forward(r, w, x, zm, NULL);
            w[j] = wj;
            for (size_t c = 0; c < C; c++) J[c * n + j] = (zp[c] - zm[c]) / (2 * h);
        }
        ref_forward(r, w, x, z, NULL);
        double mx = z[0], se = 0;
        for (size_t c = 1; c < C; c++) mx = fmax(mx, z[c]);
        for (size_t c = 0; c < C; c++) se += (p[c] = exp(z[c] - mx));
        for (size_t c = 0; c < C; c++) p[c] /= se;
        for (size_t c = 0; c < C; c++)
            for (size_t j = 0; j < n; j++) {
                double s;
                if (r->mse) s = beta * J[c * n + j];
                else {
                    s = p[c] * J[c * n + j];
                    for (size_t k = 0; k < C; k++) s -= p[c] * p[k] * J[k * n + j];
                }
                HJ[c * n + j] = s;
            }
        for (size_t a = 0; a < n; a++)
            for (size_t b = 0; b < n; b++) {
                double s = 0;
                for (size_t c = 0; c < C; c++) s += J[c * n + a] * HJ[c * n + b];
                G[a * n + b] += s;
            }
    }
    free(w), free(J), free(HJ);
}

/* H (n x n) by central differences of pb_mlp_loss_grad, symmetrized. */
static void fd_hessian(const pb_mlp *m, const double *w0, const pb_data *d, double h, double *H)
{
    size_t n = m->n_params;
    double *w = dalloc(n), *gp = dalloc(n), *gm = dalloc(n), loss;
    pb_mlp_ws *ws = pb_mlp_ws_alloc(m, d->n);
    TAP_REQUIRE(ws != NULL);
    memcpy(w, w0, n * sizeof *w);
    for (size_t j = 0; j < n; j++) {
        w[j] = w0[j] + h;
        TAP_REQUIRE(pb_mlp_loss_grad(m, ws, w, d->X, d->y, d->n, &loss, gp) == 0);
        w[j] = w0[j] - h;
        TAP_REQUIRE(pb_mlp_loss_grad(m, ws, w, d->X, d->y, d->n, &loss, gm) == 0);
        w[j] = w0[j];
        for (size_t k = 0; k < n; k++) H[k * n + j] = (gp[k] - gm[k]) / (2 * h);
    }
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < i; j++) H[i * n + j] = H[j * n + i] = 0.5 * (H[i * n + j] + H[j * n + i]);
    pb_mlp_ws_free(ws);
    free(w), free(gp), free(gm);
}

/* Random data for model m: N samples, Gaussian inputs, labels or targets. */
static void make_data(const pb_mlp *m, size_t N, double yscale, gsl_rng *r, pb_data *d)
{
    size_t d0 = m->dims[0], C = m->dims[m->n_layers];
    int mse = m->head == PB_HEAD_MSE;
    TAP_REQUIRE(pb_data_alloc(d, "t", N, d0, mse ? C : 1, mse ? 0 : (int)C) == 0);
    for (size_t k = 0; k < N * d0; k++) d->X[k] = gsl_ran_gaussian(r, 1.0);
    for (size_t i = 0; i < N; i++) {
        if (mse)
            for (size_t c = 0; c < C; c++) d->y[i * C + c] = gsl_ran_gaussian(r, yscale);
        else d->y[i] = (double)gsl_rng_uniform_int(r, C);
    }
}

static void random_weights(const pb_mlp *m, double scale, gsl_rng *r, double *w)
{
    for (size_t l = 0; l < m->n_layers; l++) {
        size_t din = m->dims[l], dout = m->dims[l + 1];
        for (size_t k = 0; k < din * dout; k++) w[m->w_off[l] + k] = scale * gsl_ran_gaussian(r, 1.0) / sqrt((double)din);
        for (size_t j = 0; j < dout; j++) w[m->b_off[l] + j] = gsl_ran_gaussian(r, 0.3);
    }
}

/* An MLP as the harness holds it (a pb_model), and its dense-layer
 * description for the reference computations here. */
static pb_model *parse_mlp(const char *spec, pb_mlp **mlp)
{
    pb_model *pm = NULL;
    TAP_REQUIRE(pb_model_parse(spec, &pm) == 0);
    *mlp = (pb_mlp *)pb_model_dense_layers(pm);
    TAP_REQUIRE(*mlp != NULL);
    return pm;
}

/* Laplace covariance against (G_ref + I/sp^2)^{-1} for one network. */
static void test_laplace_net(const char *spec, double beta, gsl_rng *r)
{
    pb_mlp *m;
    pb_model *pm = parse_mlp(spec, &m);
    m->noise_precision = beta;
    size_t n = m->n_params;
    pb_data d;
    make_data(m, 9, 1.0, r, &d);
    double *w = dalloc(n), *S = dalloc(n * n), *G = dalloc(n * n), *P = dalloc(n * n), *Sref = dalloc(n * n);
    random_weights(m, 0.9, r, w);
    const double sp = 0.7, prec = 1 / (sp * sp);
    char info[256] = "";
    int st = pb_posterior_covariance(pm, &d, w, 0.1, sp, PB_EST_LAPLACE, 1, S, info, sizeof info);
    if (st) diag("%s", pb_last_error());
    ref_net rn;
    ref_of_model(&rn, m);
    TAP_REQUIRE(rn.n == n);
    ref_gn_matrix(&rn, m->noise_precision, w, d.X, d.n, G);
    for (size_t j = 0; j < n; j++) G[j * n + j] += prec;      /* G is now the reference precision */
    memcpy(Sref, G, n * n * sizeof *Sref);
    TAP_REQUIRE(gsl_spd_inverse(n, Sref) == 0);
    memcpy(P, S, n * n * sizeof *P);
    int inv_ok = st == 0 && gsl_spd_inverse(n, P) == 0;
    double perr = max_diff(n * n, P, G) / max_abs(n * n, G), serr = max_diff(n * n, S, Sref) / max_abs(n * n, Sref);
    int sym = 1;
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < n; j++) sym &= S[i * n + j] == S[j * n + i];
    ok(inv_ok && perr <= 1e-7 && sym && strstr(info, "laplace"),
       "(c) %s beta %g: laplace precision Sigma^-1 = J^T H_out J (differences of outputs) + I/sp^2 (rel err %.2g)",
       spec, beta, perr);
    ok(st == 0 && serr <= 1e-6, "(c) %s beta %g: laplace Sigma = (G + I/sp^2)^-1 (rel err %.2g)", spec, beta, serr);
    free(w), free(S), free(G), free(P), free(Sref);
    pb_data_free(&d);
    pb_model_free(pm);
}

/* The linear network (G = exact Hessian) against differences of the
 * gradient, and the noise precision beta scaling loss, gradient, GN
 * diagonal and G (also on a tanh network). */
static void test_linear_and_beta(const char *spec, gsl_rng *r)
{
    pb_mlp *m;
    pb_model *pm = parse_mlp(spec, &m);
    int linear = m->n_layers == 1;
    size_t n = m->n_params;
    pb_data d;
    make_data(m, 11, 2.0, r, &d);
    double *w = dalloc(n), *S1 = dalloc(n * n), *S2 = dalloc(n * n), *H = dalloc(n * n);
    double *g1 = dalloc(n), *g2 = dalloc(n), *dg1 = dalloc(n), *dg2 = dalloc(n), l1, l2;
    random_weights(m, 1.0, r, w);
    const double sp = 1.3, prec = 1 / (sp * sp), beta = 2.5;
    pb_mlp_ws *ws = pb_mlp_ws_alloc(m, d.n);
    TAP_REQUIRE(ws != NULL);
    char info[256];
    m->noise_precision = 1.0;
    int st = pb_posterior_covariance(pm, &d, w, 0, sp, PB_EST_LAPLACE, 1, S1, info, sizeof info);
    st |= pb_mlp_loss_grad(m, ws, w, d.X, d.y, d.n, &l1, g1) | pb_mlp_gn_diag(m, ws, w, d.X, d.y, d.n, dg1);
    if (linear) {
        /* the gradient is linear in w: differences are exact up to rounding */
        fd_hessian(m, w, &d, 1e-2, H);
        for (size_t j = 0; j < n; j++) H[j * n + j] += prec;
        double *P = dalloc(n * n);
        memcpy(P, S1, n * n * sizeof *P);
        int inv = gsl_spd_inverse(n, P);
        double err = max_diff(n * n, P, H) / max_abs(n * n, H);
        ok(st == 0 && inv == 0 && err <= 1e-10 && fabs(H[(n - 1) * n + n - 1] - ((double)d.n + prec)) <= 1e-9,
           "(c) %s: laplace precision = Hessian by differences of pb_mlp_loss_grad + I/sp^2 (rel err %.2g)", spec, err);
        free(P);
    }
    m->noise_precision = beta;
    st |= pb_posterior_covariance(pm, &d, w, 0, sp, PB_EST_LAPLACE, 1, S2, info, sizeof info);
    st |= pb_mlp_loss_grad(m, ws, w, d.X, d.y, d.n, &l2, g2) | pb_mlp_gn_diag(m, ws, w, d.X, d.y, d.n, dg2);
    double gerr = 0, derr = 0;
    for (size_t j = 0; j < n; j++) {
        gerr = fmax(gerr, fabs(g2[j] - beta * g1[j]));
        derr = fmax(derr, fabs(dg2[j] - beta * dg1[j]));
    }
    ok(st == 0 && fabs(l2 - beta * l1) <= 1e-13 * fabs(l2) && gerr <= 1e-13 * beta * max_abs(n, g1) &&
           derr <= 1e-13 * beta * max_abs(n, dg1) && l1 > 0,
       "(c) %s: noise precision %g scales loss, gradient and Gauss-Newton diagonal by beta (errors %.2g, %.2g)", spec,
       beta, gerr, derr);
    /* Sigma2^-1 - I/sp^2 = beta (Sigma1^-1 - I/sp^2) */
    TAP_REQUIRE(gsl_spd_inverse(n, S1) == 0 && gsl_spd_inverse(n, S2) == 0);
    for (size_t j = 0; j < n; j++) S1[j * n + j] -= prec, S2[j * n + j] -= prec;
    for (size_t k = 0; k < n * n; k++) S1[k] *= beta;
    double err = max_diff(n * n, S2, S1) / max_abs(n * n, S1);
    ok(err <= 1e-9, "(c) %s: with beta %g the laplace precision is beta G + I/sp^2 (rel err %.2g)", spec, beta, err);
    if (linear) {
        /* and against differences of the beta-scaled gradient */
        fd_hessian(m, w, &d, 1e-2, H);
        double herr = max_diff(n * n, S2, H) / max_abs(n * n, H);
        ok(herr <= 1e-10, "(c) %s beta %g: G = Hessian by differences of the gradient (rel err %.2g)", spec, beta, herr);
    }
    pb_mlp_ws_free(ws);
    free(w), free(S1), free(S2), free(H), free(g1), free(g2), free(dg1), free(dg2);
    pb_data_free(&d);
    pb_model_free(pm);
}

/* laplace-exact on an indefinite Hessian: eigenvalues of H + I/sp^2 below
 * 1/sp^2 are floored; the count is reported. */
static void test_laplace_exact(gsl_rng *r)
{
    pb_mlp *m;
    pb_model *pm = parse_mlp("mlp:3-5-2:tanh:mse", &m);
    size_t n = m->n_params;
    pb_data d;
    double *w = dalloc(n), *H = dalloc(n * n), *ev = dalloc(n), *U = dalloc(n * n), *S = dalloc(n * n);
    double *Sref = dalloc(n * n);
    const double sp = 1.0, prec = 1 / (sp * sp);
    size_t neg = 0, tries = 0;
    /* large weights and targets far from the outputs: a clearly indefinite Hessian */
    do {
        if (tries) pb_data_free(&d);
        make_data(m, 6, 3.0, r, &d);
        random_weights(m, 2.0, r, w);
        fd_hessian(m, w, &d, 1e-5, H);
        for (size_t j = 0; j < n; j++) H[j * n + j] += prec;
        gsl_eig(n, H, n, ev, U);
        neg = 0;
        for (size_t k = 0; k < n; k++) neg += ev[k] < prec;
    } while ((neg == 0 || ev[0] > prec - 0.1) && ++tries < 50);
    size_t lo = 0, hi = 0;
    for (size_t k = 0; k < n; k++) lo += ev[k] < prec - 1e-5, hi += ev[k] < prec + 1e-5;
    ok(neg > 0 && ev[0] < prec - 0.1, "(c) laplace-exact set-up: H + I/sp^2 has %zu of %zu eigenvalues below 1/sp^2 "
       "(smallest %.3g)", neg, n, ev[0]);
    char info[256] = "";
    int st = pb_posterior_covariance(pm, &d, w, 0, sp, PB_EST_LAPLACE_EXACT, 1, S, info, sizeof info);
    if (st) diag("%s", pb_last_error());
    size_t fl = 0, tot = 0;
    const char *p = strstr(info, "precision");
    int parsed = p && sscanf(p, "precision %*g, %zu of %zu", &fl, &tot) == 2;
    ok(st == 0 && parsed && fl >= lo && fl <= hi && tot == n, "(c) laplace-exact: info reports %zu of %zu floored "
       "(reference %zu): '%s'", fl, tot, neg, info);
    /* Sigma_ref = U diag(1 / max(lambda, prec)) U^T */
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < n; j++) {
            double s = 0;
            for (size_t k = 0; k < n; k++) s += U[i * n + k] * U[j * n + k] / fmax(ev[k], prec);
            Sref[i * n + j] = s;
        }
    double err = max_diff(n * n, S, Sref) / max_abs(n * n, Sref);
    int sym = 1;
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < n; j++) sym &= S[i * n + j] == S[j * n + i];
    memcpy(H, S, n * n * sizeof *H);
    gsl_eig(n, H, n, ev, NULL);
    ok(st == 0 && sym && ev[0] > 0 && err <= 1e-6,
       "(c) laplace-exact: Sigma symmetric, positive definite (smallest eigenvalue %.3g), = U max(L, 1/sp^2)^-1 U^T "
       "(rel err %.2g)", ev[0], err);
    ok(ev[n - 1] <= sp * sp * (1 + 1e-9), "(c) laplace-exact: largest covariance eigenvalue %.6g <= sp^2 = %.6g",
       ev[n - 1], sp * sp);
    free(w), free(H), free(ev), free(U), free(S), free(Sref);
    pb_data_free(&d);
    pb_model_free(pm);
}

static void test_samples(gsl_rng *r)
{
    pb_mlp *m;
    pb_model *pm = parse_mlp("mlp:3-4-2:tanh:mse", &m);
    size_t n = m->n_params;
    pb_data d;
    make_data(m, 40, 1.0, r, &d);
    double *w = dalloc(n), *S1 = dalloc(n * n), *S2 = dalloc(n * n), *S3 = dalloc(n * n), *ev = dalloc(n);
    random_weights(m, 0.8, r, w);
    char info[256] = "";
    int st = pb_posterior_covariance(pm, &d, w, 0.0, 0.8, PB_EST_SAMPLES, 11, S1, info, sizeof info);
    if (st) diag("%s", pb_last_error());
    st |= pb_posterior_covariance(pm, &d, w, 0.0, 0.8, PB_EST_SAMPLES, 11, S2, NULL, 0);
    st |= pb_posterior_covariance(pm, &d, w, 0.0, 0.8, PB_EST_SAMPLES, 12, S3, NULL, 0);
    double asym = 0;
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < n; j++) asym = fmax(asym, fabs(S1[i * n + j] - S1[j * n + i]));
    double mx = max_abs(n * n, S1);
    int same = !memcmp(S1, S2, n * n * sizeof *S1), differ = memcmp(S1, S3, n * n * sizeof *S1) != 0;
    double *T = dalloc(n * n);
    memcpy(T, S1, n * n * sizeof *T);
    gsl_eig(n, T, n, ev, NULL);
    ok(st == 0 && asym <= 1e-14 * mx && ev[0] >= -1e-12 * ev[n - 1] && ev[0] > 0 && strstr(info, "samples"),
       "(c) samples: symmetric (asym %.2g), positive semi-definite (eigenvalues %.3g .. %.3g); '%s'", asym, ev[0],
       ev[n - 1], info);
    ok(same && differ, "(c) samples: the same seed gives the same matrix bit for bit, another seed another");
    free(T), free(w), free(S1), free(S2), free(S3), free(ev);
    pb_data_free(&d);
    pb_model_free(pm);
}

/* ---- (d) the pruner ------------------------------------------------------- */

static void check_pruner(pb_cell *c, const size_t *order, size_t n_order, pb_estimator est, uint64_t seed,
                         const char *what)
{
    size_t n = c->net->n_params;
    double *S = dalloc(n * n), *mean = dalloc(n), *want = dalloc(n);
    size_t *R = calloc(n, sizeof *R);
    unsigned char *removed = calloc(n, 1);
    TAP_REQUIRE(R && removed);
    char info[256], info2[256];
    int st = pb_posterior_covariance(c->net, &c->train, c->fit.mean, c->fit.prior_mean, c->fit.prior_sd, est, seed,
                                     S, info, sizeof info);
    TAP_REQUIRE(st == 0);
    pb_pruner p, q;
    st = pb_pruner_init(&p, c, order, n_order, 1, est, seed, info2, sizeof info2);
    if (st) diag("%s", pb_last_error());
    int st2 = pb_pruner_init(&q, c, order, n_order, 0, est, seed, NULL, 0);
    TAP_REQUIRE(st == 0 && st2 == 0);
    size_t ks[] = {0, 1, 2, 5, 11, n_order};
    double worst = 0;
    int zeros = 1, plain = 1, adv = 1;
    for (size_t t = 0; t < sizeof ks / sizeof *ks; t++) {
        size_t k = ks[t];
        adv &= pb_pruner_advance(&p, k) == 0 && pb_pruner_advance(&q, k) == 0 && p.k == k && q.k == k;
        memset(removed, 0, n);
        for (size_t i = 0; i < k; i++) removed[order[i]] = 1;
        size_t r = 0;
        for (size_t j = 0; j < n; j++)
            if (!removed[j]) R[r++] = j;
        gsl_conditional(n, S, c->fit.mean, R, r, order, k, NULL, want);
        for (size_t a = 0; a < r; a++) worst = fmax(worst, fabs(p.w[R[a]] - want[a]));
        for (size_t i = 0; i < k; i++) zeros &= p.w[order[i]] == 0.0;
        for (size_t j = 0; j < n; j++) plain &= q.w[j] == (removed[j] ? 0.0 : c->fit.mean[j]);
    }
    double tol = 1e-10 * (1 + max_abs(n, c->fit.mean));
    ok(adv && worst <= tol && !strcmp(info, info2),
       "(d) %s: compensated weights = m_R - S_RZ S_ZZ^-1 m_Z by GSL at k = 0, 1, 2, 5, 11, %zu (err %.2g)", what,
       n_order, worst);
    ok(zeros, "(d) %s: removed parameters are exactly 0", what);
    ok(plain, "(d) %s: without compensation the weights are the mean with the removed set to 0", what);
    /* k never decreases; past the end it stops at n_order */
    memcpy(mean, p.w, n * sizeof *mean);
    int back = pb_pruner_advance(&p, 3), past = pb_pruner_advance(&q, n_order + 5);
    ok(back == 0 && p.k == n_order && !memcmp(mean, p.w, n * sizeof *mean) && past == 0 && q.k == n_order,
       "(d) %s: advancing to a smaller k changes nothing; past the end stops at %zu", what, n_order);
    pb_pruner_free(&p);
    pb_pruner_free(&q);
    free(S), free(mean), free(want), free(R), free(removed);
}

static void test_pruner(gsl_rng *r)
{
    pb_cell c;
    memset(&c, 0, sizeof c);
    pb_mlp *cm;
    c.net = parse_mlp("mlp:3-4-3:tanh", &cm);
    size_t n = cm->n_params;
    make_data(cm, 30, 1.0, r, &c.train);
    TAP_REQUIRE(pb_fit_alloc(&c.fit, n) == 0);
    random_weights(cm, 1.0, r, c.fit.mean);
    for (size_t j = 0; j < n; j++) c.fit.sd[j] = 0.1;
    c.fit.prior_mean = 0.05, c.fit.prior_sd = 0.6;
    unsigned char *mask = calloc(n, 1);
    size_t *order = calloc(n, sizeof *order);
    TAP_REQUIRE(mask && order);
    size_t np = pb_prunable_mask(cm, 0, mask), k = 0;
    for (size_t j = 0; j < n; j++)
        if (mask[j]) order[k++] = j;
    gsl_ran_shuffle(r, order, np, sizeof *order);
    check_pruner(&c, order, np, PB_EST_LAPLACE, 3, "mlp:3-4-3:tanh, weights, laplace");

    /* a regression cell, biases prunable, the sample covariance */
    pb_data_free(&c.train);
    pb_fit_free(&c.fit);
    pb_model_free(c.net);
    c.net = parse_mlp("mlp:2-3-1:tanh:mse", &cm);
    cm->noise_precision = 1.7;
    n = cm->n_params;
    make_data(cm, 25, 0.5, r, &c.train);
    TAP_REQUIRE(pb_fit_alloc(&c.fit, n) == 0);
    random_weights(cm, 1.0, r, c.fit.mean);
    c.fit.prior_mean = 0, c.fit.prior_sd = 0.9;
    for (size_t j = 0; j < n; j++) order[j] = j;
    gsl_ran_shuffle(r, order, n, sizeof *order);
    check_pruner(&c, order, n, PB_EST_SAMPLES, 77, "mlp:2-3-1:tanh:mse, all parameters, samples");
    free(mask), free(order);
    pb_data_free(&c.train);
    pb_fit_free(&c.fit);
    pb_model_free(c.net);
}

/* A model without the curvature capability is refused in one line, before
 * any work (the covariance is left untouched). */
static void test_no_curvature(void)
{
    pb_model *m;
    TAP_REQUIRE(pb_model_parse("lstm:3x2-3-2", &m) == 0);
    size_t n = m->n_params;
    pb_data d;
    TAP_REQUIRE(pb_data_alloc(&d, "t-rnn", 4, m->in_dim, 1, 2) == 0);
    double *w = dalloc(n), *S = dalloc(n * n);
    S[0] = 42;
    char info[64] = "";
    int st = pb_posterior_covariance(m, &d, w, 0, 1, PB_EST_LAPLACE, 1, S, info, sizeof info);
    ok(st == PB_ERR_ARG && strstr(pb_last_error(), "curvature") && strstr(pb_last_error(), "lstm:3x2-3-2") &&
           !strchr(pb_last_error(), '\n') && S[0] == 42,
       "(c) a model without curvature: refused in one line before work: %s", pb_last_error());
    free(w), free(S);
    pb_data_free(&d);
    pb_model_free(m);
}

int main(void)
{
    plan(7 + 18 + 6 + 6 + 4 + 2 + 8 + 1);
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    TAP_REQUIRE(r != NULL);
    gsl_rng_set(r, 424242);
    test_condition(r);
    test_eigen(r);
    test_laplace_net("mlp:3-4-2:tanh:mse", 1.0, r);
    test_laplace_net("mlp:3-4-2:tanh:mse", 2.5, r);
    test_laplace_net("mlp:3-4-3:tanh", 1.0, r);
    test_linear_and_beta("mlp:3-1:identity:mse", r);
    test_linear_and_beta("mlp:3-4-2:tanh:mse", r);
    test_laplace_exact(r);
    test_samples(r);
    test_pruner(r);
    test_no_curvature();
    gsl_rng_free(r);
    return done_testing();
}
