/* kl_prior.c -- pb_kl_gauss_diag against the multivariate-normal KL formula
 * and a Monte Carlo estimate, its gradients against central differences, and
 * pb_prior_update against a direct computation and as a minimizer of the KL. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "tap.h"
#include "train/train.h"

/* KL(N(m, S_q) || N(mu 1, S_p)) = 1/2 [ tr(S_p^-1 S_q) + (mu-m)^T S_p^-1 (mu-m) - n
 * + ln det S_p - ln det S_q ], with S_q = diag(s^2), S_p = sp^2 I. */
static double kl_textbook(size_t n, const double *m, const double *s, double mu, double sp)
{
    double tr = 0, quad = 0, logdet_q = 0;
    for (size_t j = 0; j < n; j++) {
        tr += s[j] * s[j] / (sp * sp);
        quad += (mu - m[j]) * (mu - m[j]) / (sp * sp);
        logdet_q += log(s[j] * s[j]);
    }
    double logdet_p = (double)n * log(sp * sp);
    return 0.5 * (tr + quad - (double)n + logdet_p - logdet_q);
}

/* Monte Carlo E_q[log q(w) - log p(w)] and its standard error. */
static double kl_mc(size_t n, const double *m, const double *s, double mu, double sp, size_t S, gsl_rng *rng,
                    double *se)
{
    const double l2pi = log(2 * 3.14159265358979323846);
    double sum = 0, sum2 = 0;
    for (size_t k = 0; k < S; k++) {
        double lq = 0, lp = 0;
        for (size_t j = 0; j < n; j++) {
            double w = m[j] + s[j] * gsl_ran_gaussian(rng, 1.0);
            double zq = (w - m[j]) / s[j], zp = (w - mu) / sp;
            lq += -0.5 * zq * zq - log(s[j]) - 0.5 * l2pi;
            lp += -0.5 * zp * zp - log(sp) - 0.5 * l2pi;
        }
        sum += lq - lp;
        sum2 += (lq - lp) * (lq - lp);
    }
    double mean = sum / (double)S, var = (sum2 - (double)S * mean * mean) / (double)(S - 1);
    *se = sqrt(var / (double)S);
    return mean;
}

static void test_kl(const char *what, size_t n, const double *m, const double *s, double mu, double sp,
                    gsl_rng *rng)
{
    double *dm = malloc(n * sizeof *dm), *dr = malloc(n * sizeof *dr), *s2 = malloc(n * sizeof *s2);
    double *m2 = malloc(n * sizeof *m2);
    TAP_REQUIRE(dm && dr && s2 && m2);
    double kl = pb_kl_gauss_diag(n, m, s, mu, sp, dm, dr);
    double want = kl_textbook(n, m, s, mu, sp);
    is_double(kl, want, 1e-12 * (1 + fabs(want)), "%s: KL = textbook closed form (%.6g)", what, want);
    ok(pb_kl_gauss_diag(n, m, s, mu, sp, NULL, NULL) == kl, "%s: same KL without gradients", what);

    double se, mc = kl_mc(n, m, s, mu, sp, 200000, rng, &se);
    /* se is 0 when q = p exactly: then every sample gives 0 */
    ok(fabs(kl - mc) <= 5 * se + 1e-9, "%s: KL = Monte Carlo E_q[log q - log p] (MC %.5g +- %.2g, |diff| = %.2g se)",
       what, mc, se, se > 0 ? fabs(kl - mc) / se : 0.0);

    /* gradients: d/dm_j and d/dr_j, r = log s */
    double h = 1e-6, em = 0, er = 0, gmax = 0;
    for (size_t j = 0; j < n; j++) {
        memcpy(m2, m, n * sizeof *m2);
        m2[j] = m[j] + h;
        double kp = pb_kl_gauss_diag(n, m2, s, mu, sp, NULL, NULL);
        m2[j] = m[j] - h;
        double km = pb_kl_gauss_diag(n, m2, s, mu, sp, NULL, NULL);
        em = fmax(em, fabs(dm[j] - (kp - km) / (2 * h)));
        gmax = fmax(gmax, fabs(dm[j]));
        memcpy(s2, s, n * sizeof *s2);
        s2[j] = exp(log(s[j]) + h);
        kp = kl_textbook(n, m, s2, mu, sp);
        s2[j] = exp(log(s[j]) - h);
        km = kl_textbook(n, m, s2, mu, sp);
        er = fmax(er, fabs(dr[j] - (kp - km) / (2 * h)));
        gmax = fmax(gmax, fabs(dr[j]));
    }
    ok(em <= 1e-6 * (1 + gmax), "%s: dKL/dm = central differences (err %.2g)", what, em);
    ok(er <= 1e-6 * (1 + gmax), "%s: dKL/dlog(s) = central differences (err %.2g)", what, er);
    free(dm), free(dr), free(s2), free(m2);
}

/* Prior update: direct formulas, and the result minimizes the KL over the
 * prior (over sp only when the mean is fixed at 0). */
static void test_prior(const char *what, size_t n, const double *m, const double *s, int fix_mean)
{
    double mu = NAN, sp = NAN;
    pb_prior_update(n, m, s, fix_mean, &mu, &sp);
    double want_mu = 0, v = 0;
    if (!fix_mean) {
        for (size_t j = 0; j < n; j++) want_mu += m[j];
        want_mu /= (double)n;
    }
    for (size_t j = 0; j < n; j++) v += (want_mu - m[j]) * (want_mu - m[j]) + s[j] * s[j];
    double want_sp = sqrt(v / (double)n);
    is_double(mu, want_mu, 1e-14 * (1 + fabs(want_mu)), "%s: prior mean = %s", what, fix_mean ? "0" : "mean of m");
    is_double(sp, want_sp, 1e-14 * want_sp, "%s: prior sd^2 = mean((mu-m)^2 + s^2)", what);
    if (fix_mean) ok(mu == 0.0, "%s: fixed mean is exactly 0", what);
    else ok(fabs(want_mu) > 0.05, "%s: data mean is away from 0 (%.3g), so the two variants differ", what, want_mu);

    double k0 = kl_textbook(n, m, s, mu, sp);
    double dl[4][2] = {{0.02, 0}, {-0.02, 0}, {0, 1.02}, {0, 0.98}};
    int larger = 1;
    for (int k = 0; k < 4; k++) {
        double dmu = fix_mean ? 0 : dl[k][0], fsp = dl[k][1] ? dl[k][1] : 1;
        if (fix_mean && dl[k][0] != 0) continue;
        double kk = kl_textbook(n, m, s, mu + dmu, sp * fsp);
        if (!(kk > k0)) {
            larger = 0;
            diag("KL at mu%+g sp*%g = %.12g not above %.12g", dmu, fsp, kk, k0);
        }
    }
    ok(larger, "%s: KL is larger at perturbed prior parameters", what);
    /* stationarity: the KL's derivatives in mu (free mean) and log sp vanish */
    double h = 1e-5;
    double dsp = (kl_textbook(n, m, s, mu, sp * exp(h)) - kl_textbook(n, m, s, mu, sp * exp(-h))) / (2 * h);
    double dmu = fix_mean ? 0 : (kl_textbook(n, m, s, mu + h, sp) - kl_textbook(n, m, s, mu - h, sp)) / (2 * h);
    ok(fabs(dsp) < 1e-6 * (double)n && fabs(dmu) < 1e-6 * (double)n,
       "%s: dKL/dmu and dKL/dlog(sp) vanish at the update (%.2g, %.2g)", what, dmu, dsp);
}

int main(void)
{
    plan(4 * 5 + 2 * 5 + 1);
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, 99);
    enum { n = 6 };
    double m[n], s[n];

    for (size_t j = 0; j < n; j++) m[j] = gsl_ran_gaussian(rng, 1.0) + 0.3, s[j] = exp(gsl_ran_gaussian(rng, 0.7));
    test_kl("random q, prior N(0.2, 0.9^2)", n, m, s, 0.2, 0.9, rng);
    test_kl("random q, prior N(-1, 2.5^2)", n, m, s, -1.0, 2.5, rng);
    for (size_t j = 0; j < n; j++) m[j] = 0.05 * (double)j, s[j] = 0.01 + 0.1 * (double)j;
    test_kl("narrow q, prior N(0, 1)", n, m, s, 0.0, 1.0, rng);
    {
        double mq[3] = {0.7, 0.7, 0.7}, sq[3] = {1.3, 1.3, 1.3};
        double kl = pb_kl_gauss_diag(3, mq, sq, 0.7, 1.3, NULL, NULL);
        ok(fabs(kl) <= 1e-15, "KL(q || q) = 0 (got %.3g)", kl);
        test_kl("q = p", 3, mq, sq, 0.7, 1.3, rng);
    }

    for (size_t j = 0; j < n; j++) m[j] = gsl_ran_gaussian(rng, 0.8) + 0.5, s[j] = exp(gsl_ran_gaussian(rng, 0.5) - 1);
    test_prior("prior update (empirical-Bayes mean)", n, m, s, 0);
    test_prior("prior update (mean fixed at 0)", n, m, s, 1);
    gsl_rng_free(rng);
    return done_testing();
}
