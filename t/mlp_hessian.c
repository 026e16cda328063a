/* mlp_hessian.c -- second derivatives of the MLP loss:
 *   (a) exact Hessian-vector products against central differences of the gradient;
 *   (b) Gauss-Newton products against an explicit sum_i J_i^T H_out,i J_i, with the
 *       output Jacobians J_i built here by central differences of the logits of a
 *       forward pass written in this file;
 *   (c) pb_mlp_gn_diag against the diagonal of that matrix;
 *   (d) pb_mlp_hessian_diag against the diagonal of the full Hessian built column
 *       by column from differences of the gradient;
 *   (e) linear regression, where Hessian = Gauss-Newton = [X 1]^T [X 1]. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "tap.h"
#include "testutil.h"
#include "models/mlp.h"
#include "base/util.h"


static void softmax(size_t C, const double *z, double *p)
{
    double mx = z[0], se = 0;
    for (size_t c = 1; c < C; c++) mx = fmax(mx, z[c]);
    for (size_t c = 0; c < C; c++) se += (p[c] = exp(z[c] - mx));
    for (size_t c = 0; c < C; c++) p[c] /= se;
}

/* Explicit Gauss-Newton matrix G (n x n) = sum_i J_i^T H_i J_i. */
static void ref_gn_matrix(const ref_net *r, double *w, const double *X, size_t N, double *G)
{
    size_t n = r->n, d0 = r->dims[0], C = r->dims[r->L];
    double *J = malloc(C * n * sizeof *J), *HJ = malloc(C * n * sizeof *HJ);
    double zp[64], zm[64], z[64], p[64], h = 1e-5;
    TAP_REQUIRE(J && HJ);
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
        softmax(C, z, p);
        /* HJ = H_out J with H_out = diag(p) - p p^T (ce) or I (mse) */
        for (size_t c = 0; c < C; c++)
            for (size_t j = 0; j < n; j++) {
                double s;
                if (r->mse) s = J[c * n + j];
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
    free(J), free(HJ);
}



static double dot(size_t n, const double *a, const double *b)
{
    double s = 0;
    for (size_t j = 0; j < n; j++) s += a[j] * b[j];
    return s;
}

static void test_spec(const char *spec, int act, gsl_rng *rng)
{
    pb_mlp *m = NULL;
    int st = pb_mlp_parse(spec, &m);
    if (st) diag("%s", pb_last_error());
    TAP_REQUIRE(st == 0);
    ref_net r;
    ref_layout(&r, m->n_layers, m->dims, act, m->head == PB_HEAD_MSE);
    TAP_REQUIRE(r.n == m->n_params);
    size_t n = r.n, N = 7, d0 = r.dims[0], C = r.dims[r.L], ys = r.mse ? C : 1;
    double *X = malloc(N * d0 * sizeof *X), *y = malloc(N * ys * sizeof *y), *w = malloc(n * sizeof *w);
    double *v = malloc(n * sizeof *v), *u = malloc(n * sizeof *u), *Hv = malloc(n * sizeof *Hv);
    double *Hu = malloc(n * sizeof *Hu), *Gv = malloc(n * sizeof *Gv), *ref = malloc(n * sizeof *ref);
    double *gp = malloc(n * sizeof *gp), *gm = malloc(n * sizeof *gm), *dg = malloc(n * sizeof *dg);
    double *G = malloc(n * n * sizeof *G), *Hfd = malloc(n * n * sizeof *Hfd);
    double *out = malloc(N * C * sizeof *out), *wv = malloc(n * sizeof *wv);
    pb_mlp_ws *ws = pb_mlp_ws_alloc(m, 3);
    TAP_REQUIRE(X && y && w && v && u && Hv && Hu && Gv && ref && gp && gm && dg && G && Hfd && out && wv && ws);
    double loss;
    for (int draw = 0; draw < 2; draw++) {
        double scale = draw ? 1.5 : 0.8, amin;
        int redraws = 0;
        do {
            for (size_t k = 0; k < N * d0; k++) X[k] = gsl_ran_gaussian(rng, 1.0);
            for (size_t i = 0; i < N; i++) {
                if (r.mse) for (size_t c = 0; c < C; c++) y[i * C + c] = gsl_ran_gaussian(rng, 1.0);
                else y[i] = (double)gsl_rng_uniform_int(rng, C);
            }
            for (size_t l = 0; l < r.L; l++) {
                size_t din = r.dims[l], dout = r.dims[l + 1];
                for (size_t k = 0; k < din * dout; k++)
                    w[r.w_off[l] + k] = scale * gsl_ran_gaussian(rng, 1.0) / sqrt((double)din);
                for (size_t j = 0; j < dout; j++) w[r.b_off[l] + j] = gsl_ran_gaussian(rng, 0.5);
            }
            amin = INFINITY;
            for (size_t i = 0; i < N; i++) ref_forward(&r, w, X + i * d0, out, &amin);
        } while (act == 1 && amin < 1e-3 && ++redraws < 100);
        if (redraws) diag("%s draw %d: redrew %d times to keep relu pre-activations off the kink", spec, draw, redraws);
        for (size_t j = 0; j < n; j++) v[j] = gsl_ran_gaussian(rng, 1.0), u[j] = gsl_ran_gaussian(rng, 1.0);

        /* predict: probabilities (ce) or outputs (mse) of the reference forward */
        st = pb_mlp_predict(m, ws, w, X, N, out);
        double perr = st ? INFINITY : 0;
        for (size_t i = 0; i < N; i++) {
            double z[64], p[64];
            ref_forward(&r, w, X + i * d0, z, NULL);
            if (!r.mse) softmax(C, z, p);
            for (size_t c = 0; c < C; c++) perr = fmax(perr, fabs(out[i * C + c] - (r.mse ? z[c] : p[c])));
        }
        ok(perr <= 1e-12, "%s draw %d: pb_mlp_predict = reference forward (err %.2g)", spec, draw, perr);

        /* (a) exact H v against (g(w + h v) - g(w - h v)) / 2h */
        double h = 1e-5;
        st = pb_mlp_hessian_vec(m, ws, w, X, y, N, v, 1, Hv);
        for (size_t j = 0; j < n; j++) wv[j] = w[j] + h * v[j];
        pb_mlp_loss_grad(m, ws, wv, X, y, N, &loss, gp);
        for (size_t j = 0; j < n; j++) wv[j] = w[j] - h * v[j];
        pb_mlp_loss_grad(m, ws, wv, X, y, N, &loss, gm);
        for (size_t j = 0; j < n; j++) ref[j] = (gp[j] - gm[j]) / (2 * h);
        double err = max_diff(n, Hv, ref), tol = 1e-7 * (1 + max_abs(n, ref));
        ok(st == 0 && err <= tol, "%s draw %d: exact Hv = differences of the gradient (err %.2g, tol %.2g)", spec,
           draw, err, tol);
        ok(max_abs(n, Hv) > 1e-2, "%s draw %d: exact Hv is not trivially zero (max %.3g)", spec, draw, max_abs(n, Hv));
        /* symmetry: u.Hv = v.Hu */
        pb_mlp_hessian_vec(m, ws, w, X, y, N, u, 1, Hu);
        double s1 = dot(n, u, Hv), s2 = dot(n, v, Hu);
        is_double(s1, s2, 1e-10 * (1 + fabs(s1)), "%s draw %d: u.Hv = v.Hu", spec, draw);

        /* (b) Gauss-Newton product against the explicit J^T H J */
        ref_gn_matrix(&r, w, X, N, G);
        for (size_t a = 0; a < n; a++) ref[a] = dot(n, G + a * n, v);
        st = pb_mlp_hessian_vec(m, ws, w, X, y, N, v, 0, Gv);
        err = max_diff(n, Gv, ref), tol = 1e-7 * (1 + max_abs(n, ref));
        ok(st == 0 && err <= tol, "%s draw %d: Gauss-Newton Gv = explicit sum J^T H_out J v (err %.2g, tol %.2g)", spec,
           draw, err, tol);
        ok(max_abs(n, Gv) > 1e-2, "%s draw %d: Gv is not trivially zero (max %.3g)", spec, draw, max_abs(n, Gv));
        /* The networks here have hidden layers, so the exact Hessian has
         * terms beyond Gauss-Newton: the two products must differ. */
        double gap = max_diff(n, Hv, Gv);
        ok(gap > 1e-3, "%s draw %d: exact and Gauss-Newton products differ (max gap %.3g)", spec, draw, gap);

        /* (c) gn_diag = diag(G), non-negative */
        st = pb_mlp_gn_diag(m, ws, w, X, y, N, dg);
        for (size_t a = 0; a < n; a++) ref[a] = G[a * n + a];
        err = max_diff(n, dg, ref), tol = 1e-7 * (1 + max_abs(n, ref));
        ok(st == 0 && err <= tol && max_abs(n, dg) > 1e-2,
           "%s draw %d: pb_mlp_gn_diag = diag of the explicit J^T H J (err %.2g, max %.3g)", spec, draw, err,
           max_abs(n, dg));
        int nonneg = 1;
        for (size_t a = 0; a < n; a++) nonneg &= dg[a] >= 0;
        ok(nonneg, "%s draw %d: Gauss-Newton diagonal is >= 0", spec, draw);

        /* (d) hessian_diag = diag of the full Hessian by differences of the gradient */
        for (size_t j = 0; j < n; j++) {
            memcpy(wv, w, n * sizeof *wv);
            wv[j] = w[j] + h;
            pb_mlp_loss_grad(m, ws, wv, X, y, N, &loss, gp);
            wv[j] = w[j] - h;
            pb_mlp_loss_grad(m, ws, wv, X, y, N, &loss, gm);
            for (size_t k = 0; k < n; k++) Hfd[k * n + j] = (gp[k] - gm[k]) / (2 * h);
        }
        st = pb_mlp_hessian_diag(m, ws, w, X, y, N, dg);
        for (size_t a = 0; a < n; a++) ref[a] = Hfd[a * n + a];
        err = max_diff(n, dg, ref), tol = 1e-7 * (1 + max_abs(n, ref));
        ok(st == 0 && err <= tol && max_abs(n, dg) > 1e-2,
           "%s draw %d: pb_mlp_hessian_diag = diag of the difference Hessian (err %.2g, max %.3g)", spec, draw, err,
           max_abs(n, dg));
    }
    free(X), free(y), free(w), free(v), free(u), free(Hv), free(Hu), free(Gv), free(ref), free(gp), free(gm);
    free(dg), free(G), free(Hfd), free(out), free(wv);
    pb_mlp_ws_free(ws);
    pb_mlp_free(m);
}

/* (e) linear regression: L = 0.5 |A w - y|^2 with A = [X 1], so the Hessian
 * and the Gauss-Newton matrix are both A^T A. */
static void test_linear_regression(gsl_rng *rng)
{
    pb_mlp *m = NULL;
    TAP_REQUIRE(pb_mlp_parse("mlp:3-1:identity:mse", &m) == 0);
    TAP_REQUIRE(m->n_params == 4);
    enum { N = 9, n = 4 };
    double X[N * 3], y[N], A[N * n], AtA[n * n], w[n], e[n], H[n * n], Gm[n * n], col[n], dg[n], hd[n];
    for (size_t k = 0; k < N * 3; k++) X[k] = gsl_ran_gaussian(rng, 1.0) + 0.5;
    for (size_t i = 0; i < N; i++) y[i] = gsl_ran_gaussian(rng, 2.0);
    for (size_t j = 0; j < n; j++) w[j] = gsl_ran_gaussian(rng, 1.0);
    for (size_t i = 0; i < N; i++) {
        for (size_t k = 0; k < 3; k++) A[i * n + k] = X[i * 3 + k];
        A[i * n + 3] = 1;
    }
    for (size_t a = 0; a < n; a++)
        for (size_t b = 0; b < n; b++) {
            double s = 0;
            for (size_t i = 0; i < N; i++) s += A[i * n + a] * A[i * n + b];
            AtA[a * n + b] = s;
        }
    pb_mlp_ws *ws = pb_mlp_ws_alloc(m, 4);
    TAP_REQUIRE(ws != NULL);
    int st = 0;
    for (size_t j = 0; j < n; j++) {
        memset(e, 0, sizeof e);
        e[j] = 1;
        st |= pb_mlp_hessian_vec(m, ws, w, X, y, N, e, 1, col);
        for (size_t k = 0; k < n; k++) H[k * n + j] = col[k];
        st |= pb_mlp_hessian_vec(m, ws, w, X, y, N, e, 0, col);
        for (size_t k = 0; k < n; k++) Gm[k * n + j] = col[k];
    }
    double tol = 1e-12 * (1 + max_abs(n * n, AtA));
    ok(st == 0 && max_diff(n * n, H, AtA) <= tol, "linear regression: exact Hessian = [X 1]^T [X 1] (err %.2g)",
       max_diff(n * n, H, AtA));
    ok(st == 0 && max_diff(n * n, Gm, AtA) <= tol, "linear regression: Gauss-Newton = [X 1]^T [X 1] (err %.2g)",
       max_diff(n * n, Gm, AtA));
    ok(AtA[3 * n + 3] == N && max_abs(n * n, AtA) > 1, "linear regression: reference matrix is non-trivial (bias entry = N)");
    st = pb_mlp_gn_diag(m, ws, w, X, y, N, dg);
    st |= pb_mlp_hessian_diag(m, ws, w, X, y, N, hd);
    double de = 0, he = 0;
    for (size_t a = 0; a < n; a++) de = fmax(de, fabs(dg[a] - AtA[a * n + a])), he = fmax(he, fabs(hd[a] - AtA[a * n + a]));
    ok(st == 0 && de <= tol && he <= tol, "linear regression: gn_diag and hessian_diag = diag([X 1]^T [X 1])");
    /* and the gradient is A^T (A w - y) */
    double g[n], gw[n], loss, want = 0;
    memset(gw, 0, sizeof gw);
    for (size_t i = 0; i < N; i++) {
        double res = dot(n, A + i * n, w) - y[i];
        want += 0.5 * res * res;
        for (size_t a = 0; a < n; a++) gw[a] += A[i * n + a] * res;
    }
    st = pb_mlp_loss_grad(m, ws, w, X, y, N, &loss, g);
    ok(st == 0 && fabs(loss - want) <= 1e-12 * (1 + want) && max_diff(n, g, gw) <= 1e-12 * (1 + max_abs(n, gw)),
       "linear regression: loss and gradient = 0.5|Aw-y|^2 and A^T(Aw-y)");
    pb_mlp_ws_free(ws);
    pb_mlp_free(m);
}

int main(void)
{
    struct { const char *spec; int act; } specs[] = {
        {"mlp:4-5-3:tanh", 0},
        {"mlp:3-4-2:tanh:mse", 0},
        {"mlp:4-5-3:identity", 2},
        {"mlp:3-4-2:identity:mse", 2},
        {"mlp:3-4-3-3:tanh", 0},
        {"mlp:3-3-4-2:tanh:mse", 0},
        {"mlp:4-5-3:relu", 1},
        {"mlp:3-5-2:relu:mse", 1},
    };
    size_t ns = sizeof specs / sizeof specs[0];
    plan((int)ns * 2 * 10 + 5);
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, 777);
    for (size_t k = 0; k < ns; k++) test_spec(specs[k].spec, specs[k].act, rng);
    test_linear_regression(rng);
    gsl_rng_free(rng);
    return done_testing();
}
