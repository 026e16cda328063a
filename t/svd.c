/* svd.c -- sparse variational dropout (build/plugins/svd.so) and the
 * machinery it trains with.
 *
 *  1. the plugin's KL approximation (Molchanov et al. 2017, eq. 14) against
 *     KL(q || p) = -H(q) + E_q log|w| + const computed here by numerical
 *     integration (GSL QAGP), the constant fixed by a large reference alpha;
 *  2. its gradients against central differences, zero where log alpha is clipped;
 *  3. the warm-up schedule;
 *  4. the local reparameterization forward pass (models/mlp_lrt.c) against
 *     the closed form and against explicit weight sampling written here;
 *  5. pb_lrt_loss_grad with the noise held fixed (re-seeded stream): the loss
 *     against a forward pass written here, the gradients in theta and
 *     sigma^2 against central differences;
 *  6. an svd fit end to end through pb_train and pb_plugin_rank.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_integration.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "tap.h"
#include "blobs.h"
#include "host/cell.h"
#include "formats/fit.h"
#include "host/host.h"
#include "models/mlp.h"
#include "models/mlp_lrt.h"
#include "datasets/data.h"
#include "train/train.h"
#include "base/util.h"

static const double PI = 3.14159265358979323846;
static const double EULER_GAMMA = 0.57721566490153286061;

/* ---- 1. KL by numerical integration ------------------------------------ */

/* integrand phi(z) log|a + b z| */
typedef struct lin_par { double a, b; } lin_par;

static double elog_integrand(double z, void *vp)
{
    const lin_par *q = vp;
    return exp(-0.5 * z * z) / sqrt(2 * PI) * log(fabs(q->a + q->b * z));
}

/* E log|a + b Z|, Z ~ N(0, 1), by adaptive Gauss-Kronrod with the log
 * singularity at z0 = -a/b as a break point (QAGP extrapolates there); the
 * tails beyond |z| = 12 carry less than 1e-30 of the mass. */
static double elog_abs(double a, double b, double *abserr)
{
    const double R = 12;
    gsl_integration_workspace *w = gsl_integration_workspace_alloc(2000);
    TAP_REQUIRE(w != NULL);
    lin_par q = {a, b};
    gsl_function f = {elog_integrand, &q};
    double pts[3] = {-R, 0, R}, res = NAN, err = NAN;
    double z0 = -a / b;
    size_t npts = 2;
    if (z0 > -R && z0 < R) pts[1] = z0, pts[2] = R, npts = 3;
    else pts[1] = R;
    int st = gsl_integration_qagp(&f, pts, npts, 1e-13, 1e-11, 2000, w, &res, &err);
    gsl_integration_workspace_free(w);
    if (st) diag("qagp: %s (a=%g b=%g)", gsl_strerror(st), a, b);
    *abserr = err;
    return st ? NAN : res;
}

/* -H(q) + E_q log|w| for q = N(theta, alpha theta^2), by w = theta (1 + sqrt(alpha) z). */
static double neg_entropy_plus_elog(double theta, double alpha, double *abserr)
{
    double H = 0.5 * log(2 * PI * exp(1.0) * alpha * theta * theta);
    return -H + elog_abs(theta, theta * sqrt(alpha), abserr);
}

/* the plugin's KL for one weight with log alpha = la */
static double plugin_kl1(const pb_training *tr, double theta, double la, double *dth, double *dls)
{
    double ls = la + log(theta * theta), a, b;
    double kl = tr->kl(NULL, 1, &theta, &ls, dth ? dth : &a, dls ? dls : &b);
    return kl;
}

static void test_kl_integral(const pb_training *tr)
{
    gsl_set_error_handler_off();
    /* the integrator itself: E log|Z| = -(gamma + log 2) / 2 */
    double err;
    double e0 = elog_abs(0, 1, &err);
    is_double(e0, -0.5 * (EULER_GAMMA + log(2.0)), 1e-9,
              "integrator: E log|Z| = -(gamma + log 2)/2 (log singularity at 0), error estimate %.1e", err);
    /* -H + E log|w| depends on alpha only (the constant needs no theta) */
    double d1 = neg_entropy_plus_elog(0.7, 0.3, &err), d2 = neg_entropy_plus_elog(-2.3, 0.3, &err);
    is_double(d1, d2, 1e-9, "-H + E log|w| at alpha 0.3 is the same for theta 0.7 and -2.3");

    const double theta = 0.7, alpha_ref = exp(8.0);
    const double alphas[] = {0.01, 0.1, 0.5, 1, 2, 5, 10, 100, 1000};
    double err_ref;
    double d_ref = neg_entropy_plus_elog(theta, alpha_ref, &err_ref);
    double kl_ref = plugin_kl1(tr, theta, log(alpha_ref), NULL, NULL);
    double maxerr = 0, at = 0, maxint = err_ref;
    for (size_t i = 0; i < sizeof alphas / sizeof *alphas; i++) {
        double a = alphas[i];
        double d = neg_entropy_plus_elog(theta, a, &err) - d_ref;
        if (err > maxint) maxint = err;
        double kl = plugin_kl1(tr, theta, log(a), NULL, NULL) - kl_ref;
        if (fabs(kl - d) > maxerr) maxerr = fabs(kl - d), at = a;
        is_double(kl, d, 0.02, "KL(alpha=%g) - KL(e^8): approximation %.5f, numerical integral %.5f", a, kl, d);
    }
    diag("max |KL approximation - integral| = %.4f nats (at alpha = %g); integration error estimates <= %.1e",
         maxerr, at, maxint);
    /* for reference: the absolute offset, with the exact limit E log|Z| as alpha -> infinity */
    double abs_max = 0;
    for (size_t i = 0; i < sizeof alphas / sizeof *alphas; i++) {
        double exact = elog_abs(1, sqrt(alphas[i]), &err) - 0.5 * log(alphas[i]) - e0;
        double kl = plugin_kl1(tr, theta, log(alphas[i]), NULL, NULL);
        if (fabs(kl - exact) > abs_max) abs_max = fabs(kl - exact);
    }
    diag("against the exact alpha -> infinity limit instead of e^8: max error %.4f nats", abs_max);
}

/* ---- 2. KL gradients ------------------------------------------------------ */

static void test_kl_grad(const pb_training *tr)
{
    const double thetas[] = {0.7, -0.3, 1.5, -2.0, 0.05};
    const double las[] = {-7.5, -4, -1, 0, 0.5, 2, 5, 7.5};
    enum { NT = 5, NL = 8, N = NT * NL };
    double th[N], ls[N], dth[N], dls[N];
    for (size_t i = 0; i < NT; i++)
        for (size_t k = 0; k < NL; k++) th[i * NL + k] = thetas[i], ls[i * NL + k] = las[k] + log(thetas[i] * thetas[i]);
    double kl = tr->kl(NULL, N, th, ls, dth, dls);
    double sum = 0;
    for (size_t j = 0; j < N; j++) sum += plugin_kl1(tr, th[j], las[j % NL], NULL, NULL);
    is_double(kl, sum, 1e-12 * N, "KL of %d weights is the sum of the single-weight KLs", N);
    double e_th = 0, e_ls = 0, gmin = INFINITY;
    double scratch1[N], scratch2[N];
    for (size_t j = 0; j < N; j++) {
        double h = 1e-5, save;
        save = ls[j];
        ls[j] = save + h;
        double kp = tr->kl(NULL, N, th, ls, scratch1, scratch2);
        ls[j] = save - h;
        double km = tr->kl(NULL, N, th, ls, scratch1, scratch2);
        ls[j] = save;
        double fd = (kp - km) / (2 * h);
        if (fabs(fd - dls[j]) > e_ls) e_ls = fabs(fd - dls[j]);
        double ht = 1e-6 * fabs(th[j]);
        save = th[j];
        th[j] = save + ht;
        kp = tr->kl(NULL, N, th, ls, scratch1, scratch2);
        th[j] = save - ht;
        km = tr->kl(NULL, N, th, ls, scratch1, scratch2);
        th[j] = save;
        fd = (kp - km) / (2 * ht);
        double rel = fabs(fd - dth[j]) / (1 + fabs(dth[j]));
        if (rel > e_th) e_th = rel;
        if (fabs(dls[j]) < gmin) gmin = fabs(dls[j]);
    }
    ok(e_ls < 1e-7 && gmin > 1e-4, "dKL/dlog sigma^2 = central differences at %d points, log alpha in [-7.5, 7.5] "
       "(max error %.1e, smallest |gradient| %.2e)", N, e_ls, gmin);
    ok(e_th < 1e-6, "dKL/dtheta = central differences (max relative error %.1e)", e_th);

    /* clipped: log alpha outside [-8, 8] */
    const double clipped[] = {-20, -12, -8.5, 8.5, 12, 20};
    int zero = 1, flat = 1;
    double k_lo = plugin_kl1(tr, 0.7, -8.5, NULL, NULL), k_hi = plugin_kl1(tr, 0.7, 8.5, NULL, NULL);
    for (size_t i = 0; i < sizeof clipped / sizeof *clipped; i++) {
        for (size_t t = 0; t < NT; t++) {
            double a, b;
            double k = plugin_kl1(tr, thetas[t], clipped[i], &a, &b);
            if (a != 0 || b != 0) zero = 0, diag("log alpha %g theta %g: gradients %g %g", clipped[i], thetas[t], a, b);
            if (fabs(k - (clipped[i] < 0 ? k_lo : k_hi)) > 1e-12) flat = 0;
        }
    }
    ok(zero && flat, "log alpha clipped (< -8 or > 8): both gradients exactly 0 and KL constant in the clipped range");
    /* the clip value itself: KL(-8) and KL(8) from the formula written here */
    const double k1 = 0.63576, k2 = 1.87320, k3 = 1.48695;
    double want_lo = k1 - k1 / (1 + exp(-(k2 - 8 * k3))) + 0.5 * log1p(exp(8.0));
    double want_hi = k1 - k1 / (1 + exp(-(k2 + 8 * k3))) + 0.5 * log1p(exp(-8.0));
    ok(fabs(k_lo - want_lo) < 1e-9 && fabs(k_hi - want_hi) < 1e-9,
       "clipped KL equals eq. 14 at log alpha = -8 (%.6f) and +8 (%.6f)", k_lo, k_hi);
}

/* ---- 3. warm-up ------------------------------------------------------------ */

static void test_kl_weight(const pb_training *tr)
{
    TAP_REQUIRE(tr->kl_weight != NULL);
    const double t[] = {0, 0.01, 0.024, 0.04, 0.0625, 0.085, 0.1, 0.3, 0.999};
    const double want[] = {0, 0, 0, 0.2, 0.5, 0.8, 1, 1, 1};
    for (size_t i = 0; i < sizeof t / sizeof *t; i++)
        is_double(tr->kl_weight(NULL, t[i]), want[i], 1e-12, "kl_weight(%g) = %g", t[i], want[i]);
    /* in epochs (PROTOCOLS.md): 0 for 5 epochs, 1 from epoch 20; shorter runs scaled by length / 200 */
    TAP_REQUIRE(tr->kl_weight_epochs != NULL);
    const double ep[] = {4.99, 5, 12.5, 20, 600, 1.25, 3.125, 5, 20};
    const double len[] = {1000, 1000, 1000, 1000, 1000, 50, 50, 50, 50};
    const double want_ep[] = {0, 0, 0.5, 1, 1, 0, 0.5, 1, 1};
    for (size_t i = 0; i < sizeof ep / sizeof *ep; i++)
        is_double(tr->kl_weight_epochs(NULL, ep[i], len[i]), want_ep[i], 1e-12, "kl_weight_epochs(%g of %g) = %g", ep[i],
                  len[i], want_ep[i]);
    int same = 1;
    for (int k = 0; k < 200; k++) {
        double done = k * 0.137, E = 137;
        same &= tr->kl_weight_epochs(NULL, done, E) == tr->kl_weight(NULL, done / E);
    }
    ok(same, "runs of up to 200 epochs: kl_weight_epochs is bitwise kl_weight of the fraction done");
}

/* ---- reference network --------------------------------------------------- */

typedef struct ref_net {
    size_t L, dims[8], w_off[8], b_off[8], n;
    pb_act act;
    int mse;
    double beta;
} ref_net;

/* Layout from mlp.h's description: W_l (d_{l+1} x d_l, row-major), then b_l. */
static void ref_from(const pb_mlp *m, ref_net *r)
{
    r->L = m->n_layers, r->act = m->act, r->mse = m->head == PB_HEAD_MSE, r->beta = m->noise_precision;
    size_t off = 0;
    for (size_t l = 0; l <= r->L; l++) r->dims[l] = m->dims[l];
    for (size_t l = 0; l < r->L; l++) {
        r->w_off[l] = off;
        off += r->dims[l] * r->dims[l + 1];
        r->b_off[l] = off;
        off += r->dims[l + 1];
    }
    r->n = off;
    TAP_REQUIRE(r->n == m->n_params);
}

static double ref_act(pb_act a, double x) { return a == PB_ACT_TANH ? tanh(x) : a == PB_ACT_RELU ? (x > 0 ? x : 0) : x; }

/* Deterministic forward with weights w for one input: z = outputs (linear). */
static void ref_forward(const ref_net *r, const double *w, const double *x, double *z)
{
    double buf[2][64];
    const double *in = x;
    for (size_t l = 0; l < r->L; l++) {
        size_t din = r->dims[l], dout = r->dims[l + 1];
        double *out = l + 1 == r->L ? z : buf[l % 2];
        for (size_t j = 0; j < dout; j++) {
            double a = w[r->b_off[l] + j];
            for (size_t i = 0; i < din; i++) a += w[r->w_off[l] + j * din + i] * in[i];
            out[j] = l + 1 == r->L ? a : ref_act(r->act, a);
        }
        in = out;
    }
}

/* Head of the reference: loss of outputs z against y (label or targets);
 * for ce, p receives the softmax. */
static double ref_head(const ref_net *r, const double *z, const double *y, double *p)
{
    size_t C = r->dims[r->L];
    if (r->mse) {
        double s = 0;
        for (size_t c = 0; c < C; c++) s += 0.5 * r->beta * (z[c] - y[c]) * (z[c] - y[c]);
        return s;
    }
    double mx = z[0], se = 0;
    for (size_t c = 1; c < C; c++) mx = z[c] > mx ? z[c] : mx;
    for (size_t c = 0; c < C; c++) se += exp(z[c] - mx);
    if (p)
        for (size_t c = 0; c < C; c++) p[c] = exp(z[c] - mx) / se;
    return mx + log(se) - z[(size_t)y[0]];
}

/* ---- 4. local reparameterization vs weight sampling ---------------------- */

/* One LRT draw of the outputs for the single input x, read off the gradient
 * of the last bias (batch of one): mse with y = 0 and beta = 1 gives
 * dL/db = z; ce with label 0 gives dL/db = p - e_0. */
static void lrt_draw(const pb_mlp *m, pb_lrt_ws *ws, const double *theta, const double *sigma2, const double *x,
                     gsl_rng *rng, double *dth, double *ds2, double *out)
{
    size_t C = pb_mlp_out_dim(m);
    double y[8] = {0}, loss;
    TAP_REQUIRE(pb_lrt_loss_grad(m, ws, theta, sigma2, x, y, 1, NULL, NULL, rng, &loss, dth, ds2) == 0);
    const double *db = dth + m->b_off[m->n_layers - 1];
    for (size_t c = 0; c < C; c++) out[c] = db[c] + (m->head == PB_HEAD_CE && c == 0);
}

/* One explicit draw: w = theta + sigma eps for every weight entry (fresh per
 * call), biases as theta; outputs z (mse) or probabilities (ce). */
static void explicit_draw(const ref_net *r, const double *theta, const double *sigma2, const double *x, gsl_rng *rng,
                          double *w, double *out)
{
    memcpy(w, theta, r->n * sizeof *w);
    for (size_t l = 0; l < r->L; l++)
        for (size_t k = 0; k < r->dims[l] * r->dims[l + 1]; k++)
            w[r->w_off[l] + k] += sqrt(sigma2[r->w_off[l] + k]) * gsl_ran_gaussian(rng, 1.0);
    double z[64], y0 = 0;
    ref_forward(r, w, x, z);
    size_t C = r->dims[r->L];
    if (r->mse) memcpy(out, z, C * sizeof *out);
    else ref_head(r, z, &y0, out);
}

/* sample mean and variance of column c of K x C samples, with standard errors */
typedef struct mstat { double mean, var, se_mean, se_var; } mstat;

static mstat column_stats(const double *s, size_t K, size_t C, size_t c)
{
    mstat r;
    double m = 0, m2 = 0, m4 = 0;
    for (size_t k = 0; k < K; k++) m += s[k * C + c];
    m /= (double)K;
    for (size_t k = 0; k < K; k++) {
        double d = s[k * C + c] - m;
        m2 += d * d, m4 += d * d * d * d;
    }
    m2 /= (double)K, m4 /= (double)K;
    r.mean = m, r.var = m2 * (double)K / (double)(K - 1);
    r.se_mean = sqrt(m2 / (double)K);
    r.se_var = sqrt(fmax(m4 - m2 * m2, 0) / (double)K);
    return r;
}

static void fill_params(const ref_net *r, gsl_rng *g, double *theta, double *sigma2)
{
    for (size_t l = 0; l < r->L; l++) {
        size_t din = r->dims[l], dout = r->dims[l + 1];
        for (size_t k = 0; k < din * dout; k++) {
            theta[r->w_off[l] + k] = gsl_ran_gaussian(g, 1.0) / sqrt((double)din);
            sigma2[r->w_off[l] + k] = exp(gsl_ran_flat(g, log(0.02), log(0.3)));
        }
        for (size_t k = 0; k < dout; k++) {
            theta[r->b_off[l] + k] = gsl_ran_gaussian(g, 0.3);
            sigma2[r->b_off[l] + k] = 0.7;  /* must be ignored */
        }
    }
}

static void test_lrt_forward(const char *spec, int closed_form)
{
    const size_t K = 20000;
    pb_mlp *m;
    TAP_REQUIRE(pb_mlp_parse(spec, &m) == 0);
    ref_net r;
    ref_from(m, &r);
    size_t n = r.n, C = r.dims[r.L], d0 = r.dims[0];
    double *theta = calloc(n, sizeof *theta), *sigma2 = calloc(n, sizeof *sigma2), *w = calloc(n, sizeof *w);
    double *dth = calloc(n, sizeof *dth), *ds2 = calloc(n, sizeof *ds2);
    double *sl = calloc(K * C, sizeof *sl), *se = calloc(K * C, sizeof *se);
    pb_lrt_ws *ws = pb_lrt_ws_alloc(m, 1);
    gsl_rng *g = gsl_rng_alloc(gsl_rng_mt19937), *g2 = gsl_rng_alloc(gsl_rng_mt19937);
    TAP_REQUIRE(theta && sigma2 && w && dth && ds2 && sl && se && ws && g && g2);
    gsl_rng_set(g, 1234), gsl_rng_set(g2, 98765);
    fill_params(&r, g, theta, sigma2);
    const double x[8] = {0.5, -1.3, 2.0, 0.8, -0.6, 1.1, 0.2, -0.9};
    TAP_REQUIRE(d0 <= 8);
    for (size_t k = 0; k < K; k++) {
        lrt_draw(m, ws, theta, sigma2, x, g, dth, ds2, sl + k * C);
        explicit_draw(&r, theta, sigma2, x, g2, w, se + k * C);
    }
    double zl_m = 0, zl_v = 0, ze_m = 0, ze_v = 0, zx_m = 0, zx_v = 0;
    for (size_t c = 0; c < C; c++) {
        mstat a = column_stats(sl, K, C, c), b = column_stats(se, K, C, c);
        if (closed_form) {
            /* one layer: z_c = b_c + sum_i theta_ci x_i + N(0, sum_i sigma2_ci x_i^2) */
            double mu = theta[r.b_off[0] + c], v = 0;
            for (size_t i = 0; i < d0; i++) {
                mu += theta[r.w_off[0] + c * d0 + i] * x[i];
                v += sigma2[r.w_off[0] + c * d0 + i] * x[i] * x[i];
            }
            zl_m = fmax(zl_m, fabs(a.mean - mu) / a.se_mean);
            zl_v = fmax(zl_v, fabs(a.var - v) / a.se_var);
            ze_m = fmax(ze_m, fabs(b.mean - mu) / b.se_mean);
            ze_v = fmax(ze_v, fabs(b.var - v) / b.se_var);
            if (c == 0) diag("%s output 0: closed form mean %.4f var %.4f; LRT %.4f %.4f; explicit %.4f %.4f", spec,
                             mu, v, a.mean, a.var, b.mean, b.var);
        } else if (c == 0) {
            diag("%s output 0: LRT mean %.4f var %.5f; explicit weights mean %.4f var %.5f", spec, a.mean, a.var,
                 b.mean, b.var);
        }
        zx_m = fmax(zx_m, fabs(a.mean - b.mean) / hypot(a.se_mean, b.se_mean));
        zx_v = fmax(zx_v, fabs(a.var - b.var) / hypot(a.se_var, b.se_var));
    }
    if (closed_form) {
        ok(zl_m < 5, "%s: LRT output mean = x theta^T + b within 5 SE (max %.2f SE, K = %zu)", spec, zl_m, K);
        ok(zl_v < 5, "%s: LRT output variance = x^2 sigma2^T within 5 SE (max %.2f SE)", spec, zl_v);
        ok(ze_m < 5 && ze_v < 5, "%s: explicit weight samples agree with the closed form (test's own sampler; %.2f, %.2f SE)",
           spec, ze_m, ze_v);
    }
    ok(zx_m < 5, "%s: LRT and explicit weight sampling, output means agree (max %.2f SE)", spec, zx_m);
    ok(zx_v < 5, "%s: LRT and explicit weight sampling, output variances agree (max %.2f SE)", spec, zx_v);
    free(theta), free(sigma2), free(w), free(dth), free(ds2), free(sl), free(se);
    pb_lrt_ws_free(ws);
    gsl_rng_free(g), gsl_rng_free(g2);
    pb_mlp_free(m);
}

/* ---- 5. gradients with the noise held fixed ------------------------------ */

/* The LRT loss written from mlp_lrt.h: the noise e ~ N(0,1) drawn from a
 * stream seeded with `seed`, layer by layer, row-major (sample, unit), by
 * gsl_ran_gaussian_ziggurat; a = mu + sqrt(v) e. amin receives the smallest
 * |hidden pre-activation| (for the relu kink check). */
static double ref_lrt_loss(const ref_net *r, const double *theta, const double *sigma2, const double *X, const double *y,
                           size_t B, unsigned long seed, double *amin)
{
    gsl_rng *g = gsl_rng_alloc(gsl_rng_mt19937);
    TAP_REQUIRE(g != NULL);
    gsl_rng_set(g, seed);
    double e[8][16 * 16];
    for (size_t l = 0; l < r->L; l++) {
        TAP_REQUIRE(B * r->dims[l + 1] <= 16 * 16);
        for (size_t k = 0; k < B * r->dims[l + 1]; k++) e[l][k] = gsl_ran_gaussian_ziggurat(g, 1.0);
    }
    gsl_rng_free(g);
    size_t C = r->dims[r->L];
    double loss = 0;
    if (amin) *amin = INFINITY;
    for (size_t i = 0; i < B; i++) {
        double buf[2][64], z[64];
        const double *in = X + i * r->dims[0];
        for (size_t l = 0; l < r->L; l++) {
            size_t din = r->dims[l], dout = r->dims[l + 1];
            int last = l + 1 == r->L;
            double *out = last ? z : buf[l % 2];
            for (size_t j = 0; j < dout; j++) {
                double mu = theta[r->b_off[l] + j], v = 0;
                for (size_t k = 0; k < din; k++) {
                    mu += theta[r->w_off[l] + j * din + k] * in[k];
                    v += sigma2[r->w_off[l] + j * din + k] * in[k] * in[k];
                }
                double a = mu + sqrt(v) * e[l][i * dout + j];
                if (!last && amin && fabs(a) < *amin) *amin = fabs(a);
                out[j] = last ? a : ref_act(r->act, a);
            }
            in = out;
        }
        loss += ref_head(r, z, r->mse ? y + i * C : y + i, NULL);
    }
    return loss;
}

static double lib_loss(const pb_mlp *m, pb_lrt_ws *ws, const double *theta, const double *sigma2, const double *X,
                       const double *y, size_t B, gsl_rng *g, unsigned long seed, double *dth, double *ds2)
{
    double loss;
    gsl_rng_set(g, seed);
    TAP_REQUIRE(pb_lrt_loss_grad(m, ws, theta, sigma2, X, y, B, NULL, NULL, g, &loss, dth, ds2) == 0);
    return loss;
}

static void test_lrt_grad(const char *spec, double beta)
{
    enum { B = 5 };
    pb_mlp *m;
    TAP_REQUIRE(pb_mlp_parse(spec, &m) == 0);
    m->noise_precision = beta;
    ref_net r;
    ref_from(m, &r);
    size_t n = r.n, C = r.dims[r.L], d0 = r.dims[0];
    double *theta = calloc(n, sizeof *theta), *sigma2 = calloc(n, sizeof *sigma2);
    double *dth = calloc(n, sizeof *dth), *ds2 = calloc(n, sizeof *ds2);
    double *t1 = calloc(n, sizeof *t1), *t2 = calloc(n, sizeof *t2);
    double X[B * 8], y[B * 8];
    pb_lrt_ws *ws = pb_lrt_ws_alloc(m, B);
    gsl_rng *g = gsl_rng_alloc(gsl_rng_mt19937), *lr = gsl_rng_alloc(gsl_rng_mt19937);
    TAP_REQUIRE(theta && sigma2 && dth && ds2 && t1 && t2 && ws && g && lr && d0 <= 8 && C <= 8);
    /* a setting whose hidden pre-activations stay clear of the relu kink */
    unsigned long seed = 0;
    double amin = 0;
    for (unsigned long tries = 0; tries < 50; tries++) {
        gsl_rng_set(g, 100 + tries);
        fill_params(&r, g, theta, sigma2);
        for (size_t k = 0; k < B * d0; k++) X[k] = gsl_ran_gaussian(g, 1.0);
        for (size_t i = 0; i < B; i++) {
            if (r.mse) for (size_t c = 0; c < C; c++) y[i * C + c] = gsl_ran_gaussian(g, 1.0);
            else y[i] = (double)gsl_rng_uniform_int(g, C);
        }
        seed = 500 + tries;
        ref_lrt_loss(&r, theta, sigma2, X, y, B, seed, &amin);
        if (r.act != PB_ACT_RELU || amin > 1e-2) break;
    }
    TAP_REQUIRE(r.act != PB_ACT_RELU || amin > 1e-2);

    double loss = lib_loss(m, ws, theta, sigma2, X, y, B, lr, seed, dth, ds2);
    double want = ref_lrt_loss(&r, theta, sigma2, X, y, B, seed, NULL);
    ok(fabs(loss - want) <= 1e-10 * (1 + fabs(want)), "%s%s: LRT loss %.6f = forward pass written here %.6f "
       "(same noise stream)", spec, beta != 1 ? " beta 2.5" : "", loss, want);

    /* theta: every weight and bias */
    double e_th = 0, gmax = 0;
    for (size_t j = 0; j < n; j++) {
        double h = 1e-5, save = theta[j];
        theta[j] = save + h;
        double lp = lib_loss(m, ws, theta, sigma2, X, y, B, lr, seed, t1, t2);
        theta[j] = save - h;
        double lm = lib_loss(m, ws, theta, sigma2, X, y, B, lr, seed, t1, t2);
        theta[j] = save;
        double fd = (lp - lm) / (2 * h);
        e_th = fmax(e_th, fabs(fd - dth[j]) / (1 + fabs(fd)));
        gmax = fmax(gmax, fabs(dth[j]));
    }
    ok(e_th < 1e-6 && gmax > 1e-3, "%s: dtheta (weights and biases) = central differences with fixed noise "
       "(max relative error %.1e, max |g| %.2f)", spec, e_th, gmax);

    /* sigma^2: weight entries, perturbed by 1e-4 of their value; bias entries 0 */
    double e_s = 0, smax = 0, sbias = 0;
    for (size_t l = 0; l < r.L; l++) {
        for (size_t k = 0; k < r.dims[l] * r.dims[l + 1]; k++) {
            size_t j = r.w_off[l] + k;
            double save = sigma2[j], h = 1e-4 * save;
            sigma2[j] = save + h;
            double lp = lib_loss(m, ws, theta, sigma2, X, y, B, lr, seed, t1, t2);
            sigma2[j] = save - h;
            double lm = lib_loss(m, ws, theta, sigma2, X, y, B, lr, seed, t1, t2);
            sigma2[j] = save;
            double fd = (lp - lm) / (2 * h);
            e_s = fmax(e_s, fabs(fd - ds2[j]) / (1 + fabs(fd)));
            smax = fmax(smax, fabs(ds2[j]));
        }
        for (size_t k = 0; k < r.dims[l + 1]; k++) sbias = fmax(sbias, fabs(ds2[r.b_off[l] + k]));
    }
    ok(e_s < 1e-6 && smax > 1e-3 && sbias == 0, "%s: dsigma2 = central differences with fixed noise (max relative "
       "error %.1e, max |g| %.2f), 0 on biases", spec, e_s, smax);

    free(theta), free(sigma2), free(dth), free(ds2), free(t1), free(t2);
    pb_lrt_ws_free(ws);
    gsl_rng_free(g), gsl_rng_free(lr);
    pb_mlp_free(m);
}

/* ---- 6. end to end -------------------------------------------------------- */

static double accuracy(const pb_mlp *m, const double *w, const pb_data *d)
{
    pb_mlp_ws *ws = pb_mlp_ws_alloc(m, 16);
    double *p = malloc(d->n * 3 * sizeof *p);
    TAP_REQUIRE(ws && p);
    TAP_REQUIRE(pb_mlp_predict(m, ws, w, d->X, d->n, p) == 0);
    size_t right = 0;
    for (size_t i = 0; i < d->n; i++) {
        size_t best = 0;
        for (size_t c = 1; c < 3; c++)
            if (p[i * 3 + c] > p[i * 3 + best]) best = c;
        right += (double)best == d->y[i];
    }
    free(p);
    pb_mlp_ws_free(ws);
    return (double)right / (double)d->n;
}

static void test_end_to_end(const pb_plugin *p)
{
    const char *spec = "mlp:3-8-3:tanh";
    pb_mlp *m;
    TAP_REQUIRE(pb_mlp_parse(spec, &m) == 0);
    ref_net r;
    ref_from(m, &r);
    size_t n = r.n;
    pb_data d;
    tu_blobs(&d, "blobs3", 60, 1, 3);
    pb_train_opts o;
    pb_train_opts_default(&o);
    o.family = PB_FAMILY_METHOD;
    o.training = p->method.training;
    o.epochs = 300;
    o.batch = 32;
    o.lr = 1e-2;
    o.seed = 17;
    o.label = "svd-test";
    pb_fit f, f2;
    TAP_REQUIRE(pb_fit_alloc(&f, n) == 0 && pb_fit_alloc(&f2, n) == 0);
    int st = pb_train(m, &d, &o, &f);
    if (st) diag("%s", pb_last_error());
    TAP_REQUIRE(st == 0);
    double acc = accuracy(m, f.mean, &d);
    ok(acc > 0.9, "svd fit of %s on 3 blobs + a noise input, 300 epochs: training accuracy %.3f > 0.9", spec, acc);
    int sd_ok = 1;
    for (size_t l = 0; l < r.L; l++) {
        for (size_t k = 0; k < r.dims[l] * r.dims[l + 1]; k++)
            if (!(f.sd[r.w_off[l] + k] > 0) || !isfinite(f.sd[r.w_off[l] + k])) sd_ok = 0;
        for (size_t k = 0; k < r.dims[l + 1]; k++)
            if (f.sd[r.b_off[l] + k] != 0) sd_ok = 0;
    }
    ok(sd_ok, "fit->sd > 0 (finite) on every weight entry and 0 on every bias");
    ok(!strcmp(f.family, "log-uniform") && f.prior_sd == 0, "fit family '%s' (want log-uniform), prior_sd %g (no Gaussian prior)",
       f.family, f.prior_sd);
    TAP_REQUIRE(pb_train(m, &d, &o, &f2) == 0);
    ok(!memcmp(f.mean, f2.mean, n * sizeof *f.mean) && !memcmp(f.sd, f2.sd, n * sizeof *f.sd) &&
           f.final_objective == f2.final_objective,
       "two runs with the same seed are bitwise equal");

    /* relevance through the loader and pb_plugin_rank */
    unsigned char *mask = calloc(n, 1);
    double *score = calloc(n, sizeof *score);
    size_t *order = calloc(n, sizeof *order);
    TAP_REQUIRE(mask && score && order);
    size_t np = pb_prunable_mask(m, 0, mask);
    pb_fit_view v = {n, f.mean, f.sd, mask, np, f.prior_mean, f.prior_sd, m->spec, 0, NULL, NULL, NULL, NULL, NULL};
    pb_host host;
    pb_host_ctx ctx;
    TAP_REQUIRE(pb_host_init(&host, &ctx, m, &d, 5) == 0);
    char settings[256];
    st = pb_plugin_rank(p, &host, &v, "", order, score, settings, sizeof settings);
    if (st) diag("%s", pb_last_error());
    double e_rel = 0;
    size_t checked = 0;
    for (size_t j = 0; j < n; j++) {
        if (!mask[j]) continue;
        double want = log(f.mean[j] * f.mean[j] + 1e-8) - 2 * log(f.sd[j]);
        e_rel = fmax(e_rel, fabs(score[j] - want) / (1 + fabs(want)));
        checked++;
    }
    ok(st == 0 && checked == np && np == 8 * 3 + 3 * 8 && e_rel < 1e-12,
       "relevance via pb_plugin_rank = log(theta^2 + 1e-8) - 2 log sd on all %zu weights (max rel. error %.1e)", np, e_rel);
    int sorted = st == 0;
    for (size_t k = 1; sorted && k < np; k++) sorted = score[order[k - 1]] <= score[order[k]];
    ok(sorted, "removal order ascends in -log alpha");
    pb_host_release(&ctx);

    /* sparsification: the weights from the noise input (column 2 of W0) */
    size_t sparse_noise = 0, sparse_signal = 0, d1 = r.dims[1];
    double la_min = INFINITY;
    for (size_t u = 0; u < d1; u++)
        for (size_t i = 0; i < 3; i++) {
            size_t j = r.w_off[0] + u * 3 + i;
            double la = 2 * log(f.sd[j]) - log(f.mean[j] * f.mean[j]);
            if (i == 2) sparse_noise += la > 3, la_min = fmin(la_min, la);
            else sparse_signal += la > 3;
        }
    diag("log alpha > 3: %zu of %zu weights from the noise input (smallest log alpha %.2f), %zu of %zu from the two "
         "informative inputs", sparse_noise, d1, la_min, sparse_signal, 2 * d1);
    /* Relaxed to 3/4, not all: with log sigma^2 initialized at -10, a weight
     * with |theta| > e^-1 starts at log alpha < -8, where the clipped KL has
     * zero gradient; if its hidden unit is switched off downstream, no
     * likelihood gradient reaches it either and it stays at its initial
     * value (7 of 8 with other seeds; seed 17 gives 8 of 8). */
    diag("sparsification check relaxed to >= 3/4: a noise-input weight into a unit pruned downstream can stay stuck "
         "at its initialization (log alpha < -8, clipped KL gradient 0)");
    ok(sparse_noise * 4 >= d1 * 3, "at least 3/4 of the weights from the pure-noise input end with log alpha > 3 "
       "(%zu of %zu)", sparse_noise, d1);

    /* the natural operating point: zero log alpha > 3, the mean network still classifies */
    double *wp = malloc(n * sizeof *wp);
    TAP_REQUIRE(wp != NULL);
    size_t zeroed = 0;
    for (size_t j = 0; j < n; j++) {
        wp[j] = f.mean[j];
        if (mask[j] && 2 * log(f.sd[j]) - log(f.mean[j] * f.mean[j]) > 3) wp[j] = 0, zeroed++;
    }
    double acc_p = accuracy(m, wp, &d);
    ok(acc_p > 0.9, "with the %zu of %zu weights of log alpha > 3 set to 0, training accuracy %.3f > 0.9", zeroed, np,
       acc_p);
    free(wp), free(mask), free(score), free(order);
    pb_fit_free(&f), pb_fit_free(&f2);
    pb_data_free(&d);
    pb_mlp_free(m);
}

int main(void)
{
    plan(11 + 5 + 9 + 10 + 13 + 24 + 8);
    const char *bdir = getenv("PB_BUILD") ? getenv("PB_BUILD") : "build";
    char path[1024];
    snprintf(path, sizeof path, "%s/plugins/svd.so", bdir);
    pb_plugin p;
    int st = pb_plugin_open(path, &p);
    if (st) diag("%s", pb_last_error());
    TAP_REQUIRE(st == 0);
    const pb_training *tr = p.method.training;
    TAP_REQUIRE(tr != NULL && tr->kl != NULL);

    test_kl_integral(tr);        /* 11 */
    test_kl_grad(tr);            /* 5 */
    test_kl_weight(tr);          /* 9 + 10 */

    test_lrt_forward("mlp:4-3:identity:mse", 1);   /* 5 */
    test_lrt_forward("mlp:4-5-1:identity:mse", 0); /* 2 */
    test_lrt_forward("mlp:4-5-1:tanh:mse", 0);     /* 2 */
    test_lrt_forward("mlp:4-6-3:tanh", 0);         /* 2 */
    test_lrt_forward("mlp:4-5-3:relu", 0);         /* 2 */

    test_lrt_grad("mlp:4-6-3:tanh", 1);            /* 3 each */
    test_lrt_grad("mlp:4-6-2:tanh:mse", 2.5);
    test_lrt_grad("mlp:4-5-3:relu", 1);
    test_lrt_grad("mlp:4-5-2:relu:mse", 1);
    test_lrt_grad("mlp:4-5-3:identity", 1);
    test_lrt_grad("mlp:4-5-2:identity:mse", 1);
    test_lrt_grad("mlp:3-5-4-3:tanh", 1);
    test_lrt_grad("mlp:3-4-4-2:relu:mse", 1);

    test_end_to_end(&p);         /* 8 */
    pb_plugin_close(&p);
    return done_testing();
}
