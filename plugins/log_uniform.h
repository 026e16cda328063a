/* log_uniform.h -- the log-uniform prior's KL term shared by the suite's
 * sparse variational methods (svd.c, groupvd.c). Each plugin stays one .so
 * file: this header holds static functions only.
 *
 * Posterior N(theta, sigma^2) with the additive reparameterization,
 *   log alpha = clip(log sigma^2 - log(theta^2 + 1e-8), -8, 8).
 * KL(q || p) per weight, up to a constant, by the approximation of
 * Molchanov et al. (2017), eq. 14:
 *   -KL ~= k1 sigmoid(k2 + k3 log alpha) - 0.5 log(1 + 1/alpha) - k1,
 *   k1 = 0.63576, k2 = 1.87320, k3 = 1.48695,
 * so KL = k1 - k1 sigmoid(k2 + k3 la) + 0.5 log1p(exp(-la)) and
 *   dKL/dla = -k1 k3 s (1 - s) - 0.5 sigmoid(-la),  s = sigmoid(k2 + k3 la),
 * with dla/dlog sigma^2 = 1 and dla/dtheta = -2 theta / (theta^2 + 1e-8), both 0
 * where the clip is active.
 * Warm-up (pb_lu_kl_weight_epochs, PROTOCOLS.md): KL weight 0 for the first
 * 5 epochs, rising linearly to 1 at epoch 20; a run shorter than 200 epochs
 * scales both by its length / 200 (pb_lu_kl_weight: the same as a fraction
 * of training, 5/200 and 20/200, for hosts that pass fractions).
 * Relevance (pb_lu_relevance): -log alpha = log(theta^2 + 1e-8) - log sigma^2,
 * unclipped, for removal orders.
 */
#ifndef PB_LOG_UNIFORM_H
#define PB_LOG_UNIFORM_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "prunebench.h"

static const double lu_K1 = 0.63576, lu_K2 = 1.87320, lu_K3 = 1.48695;
static const double lu_LA_MIN = -8, lu_LA_MAX = 8, lu_THETA_EPS = 1e-8;
static const double lu_WARMUP_START = 5.0 / 200, lu_WARMUP_END = 20.0 / 200;

/* ---- the KL, vectorized --------------------------------------------------
 * The KL runs once per training step over every weight (266k for
 * LeNet-300-100), four transcendental functions each. A plugin cannot link
 * the harness's vmath, so exp, log and log1p are written here for the ranges
 * the KL needs, as branch-free functions of one double that gcc vectorizes
 * (same algorithms as harness/vmath.c, whose t/vmath.c measures them: <= 1
 * ulp; t/vmath.c also checks this KL and its gradients against the formula
 * in long double: within a few ulp of what the rounding of log alpha allows,
 * where the libm formula lost up to ~500 ulp to k1 - k1 s near s = 1,
 * written here as k1 E s). Built with -O3 -ffp-contract=fast -fno-math-errno
 * -fno-trapping-math (Makefile), for AVX-512, AVX2 and baseline x86-64 (the
 * loader picks one per machine, gcc target_clones). */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && __GNUC__ >= 12
#define PB_LU_CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define PB_LU_CLONES
#endif

static inline uint64_t lu_bits(double x) { uint64_t u; memcpy(&u, &x, sizeof u); return u; }
static inline double lu_from_bits(uint64_t u) { double x; memcpy(&x, &u, sizeof x); return x; }

static const double lu_LN2_HI = 0x1.62e42feep-1, lu_LN2_LO = 0x1.a39ef35793c76p-33, lu_SHIFT = 0x1.8p52;

/* e^x for |x| <= 700 (here |x| <= 14) or NaN: e^x = 2^k e^r, k = round(x / ln2),
 * r = x - k ln2 = hi - lo, e^r = 1 + hi + (r^2 (1/2! + ... + r^11/13!) - lo). */
static inline double lu_exp_mid(double x)
{
    double t = x * 0x1.71547652b82fep0 + lu_SHIFT, kd = t - lu_SHIFT;
    double hi = x - kd * lu_LN2_HI, lo = kd * lu_LN2_LO, r = hi - lo;
    double q = 1.0 / 6227020800.0;
    q = q * r + 1.0 / 479001600.0;
    q = q * r + 1.0 / 39916800.0;
    q = q * r + 1.0 / 3628800.0;
    q = q * r + 1.0 / 362880.0;
    q = q * r + 1.0 / 40320.0;
    q = q * r + 1.0 / 5040.0;
    q = q * r + 1.0 / 720.0;
    q = q * r + 1.0 / 120.0;
    q = q * r + 1.0 / 24.0;
    q = q * r + 1.0 / 6.0;
    q = q * r + 0.5;
    return (1 + (hi + (r * r * q - lo))) * lu_from_bits((lu_bits(t) - lu_bits(lu_SHIFT) + 1023) << 52);
}

/* log(2^k (1 + f)) + lo, f = m - 1 in [sqrt(1/2) - 1, sqrt(2) - 1) (fdlibm's e_log.c:
 * s = f / (2 + f), log(1 + f) = f - hfsq + s (hfsq + R(s^2)), hfsq = f^2 / 2, R minimax). */
static inline double lu_log_reduced(double kd, double f, double lo)
{
    double hfsq = 0.5 * f * f, s = f / (2 + f), z = s * s, w = z * z;
    double t1 = w * (0x1.999999997fa04p-2 + w * (0x1.c71c51d8e78afp-3 + w * 0x1.39a09d078c69fp-3));
    double t2 = z * (0x1.5555555555593p-1 + w * (0x1.2492494229359p-2 + w * (0x1.7466496cb03dep-3 + w * 0x1.2f112df3e5244p-3)));
    return kd * lu_LN2_HI - ((hfsq - (s * (hfsq + (t2 + t1)) + (kd * lu_LN2_LO + lo))) - f);
}

/* u = 2^k m with m in [sqrt(1/2), sqrt(2)) for a positive normal u: returns
 * k + 1023, *f = m - 1 (exact); *kd = k. */
static inline uint64_t lu_log_split(double u, double *f, double *kd)
{
    uint64_t v = lu_bits(u) + (UINT64_C(0x3ff0000000000000) - UINT64_C(0x3fe6a09e00000000)), kb = v >> 52;
    *f = lu_from_bits((v & UINT64_C(0x000fffffffffffff)) + UINT64_C(0x3fe6a09e00000000)) - 1;
    *kd = lu_from_bits(kb | UINT64_C(0x4330000000000000)) - (0x1p52 + 1023);
    return kb;
}

/* log x for a positive normal x; inf and NaN pass through. */
static inline double lu_log_pos(double x)
{
    double f, kd;
    lu_log_split(x, &f, &kd);
    return x < INFINITY ? lu_log_reduced(kd, f, 0) : x;
}

/* log1p x for x in [0, 2^53) or NaN: u = fl(1 + x), c = (1 + x) - u exactly;
 * u = 2^k m; k = 0: log(1 + x) directly (f = x); else k ln2 + log m + c 2^-k / m
 * with 1/m = 1/(1 + f) ~ 1 - f + f^2 - f^3 (the term is below 2^-53 of the result). */
static inline double lu_log1p_pos(double x)
{
    double u = 1 + x, c = x > 1 ? 1 - (u - x) : x - (u - 1), f, kd;
    uint64_t kb = lu_log_split(u, &f, &kd);
    double lo = c * lu_from_bits((2046 - kb) << 52) * (1 - f * (1 - f * (1 - f)));
    int k0 = kb == 1023;
    return lu_log_reduced(k0 ? 0 : kd, k0 ? x : f, k0 ? 0 : lo);
}

#define LU_BLK 64

/* The KL (see the top of the file) over blocks of LU_BLK weights copied into
 * local arrays (the tail padded with a harmless theta = 1, log sigma^2 = 0),
 * so every loop below has a fixed count. The work is split into one loop per
 * step -- log alpha, the two exponentials, log1p, the rest -- whose short
 * dependency chains overlap better than one long loop body. Each weight's KL
 * goes to its lane's sum, the lanes are summed in order: a fixed summation
 * order, so the result is deterministic. */
PB_LU_CLONES static double pb_lu_kl(void *state, size_t n, const double *theta, const double *log_sigma2, double *dtheta,
                                double *dlog_sigma2)
{
    (void)state;
    double acc[LU_BLK] = {0}, th[LU_BLK], ls[LU_BLK], dth[LU_BLK], dls[LU_BLK];
    double t2[LU_BLK], la[LU_BLK], free_[LU_BLK], E[LU_BLK], e[LU_BLK], l1p[LU_BLK];
    for (size_t j = 0; j < n; j += LU_BLK) {
        size_t m = n - j < LU_BLK ? n - j : LU_BLK;
        for (size_t i = 0; i < LU_BLK; i++) th[i] = i < m ? theta[j + i] : 1, ls[i] = i < m ? log_sigma2[j + i] : 0;
        for (size_t i = 0; i < LU_BLK; i++) {   /* log alpha, clipped; free_ = 0 where the clip is active */
            t2[i] = th[i] * th[i] + lu_THETA_EPS;
            double l = ls[i] - lu_log_pos(t2[i]);
            free_[i] = l < lu_LA_MIN || l > lu_LA_MAX ? 0 : 1;
            l = l < lu_LA_MIN ? lu_LA_MIN : l;
            la[i] = l > lu_LA_MAX ? lu_LA_MAX : l;
        }
        for (size_t i = 0; i < LU_BLK; i++) E[i] = lu_exp_mid(-(lu_K2 + lu_K3 * la[i]));   /* sigmoid(k2 + k3 la) = 1 / (1 + E) */
        for (size_t i = 0; i < LU_BLK; i++) e[i] = lu_exp_mid(-la[i]);               /* 1 / alpha */
        for (size_t i = 0; i < LU_BLK; i++) l1p[i] = lu_log1p_pos(e[i]);
        for (size_t i = 0; i < LU_BLK; i++) {
            double r = 1 / ((1 + E[i]) * (1 + e[i]));              /* one division for both sigmoids: */
            double s = r * (1 + e[i]), se = r * (1 + E[i]) * e[i];  /* s = sigmoid(k2 + k3 la), se = sigmoid(-la) */
            double s1 = E[i] * s;                                 /* 1 - s, without the cancellation near s = 1 */
            double d = free_[i] == 0 ? 0 : -lu_K1 * lu_K3 * s * s1 - 0.5 * se;
            dls[i] = d;
            dth[i] = d * (-2 * th[i] / t2[i]);
            acc[i] += i < m ? lu_K1 * s1 + 0.5 * l1p[i] : 0;        /* k1 - k1 s + 0.5 log1p(e) */
        }
        memcpy(dtheta + j, dth, m * sizeof *dth);
        memcpy(dlog_sigma2 + j, dls, m * sizeof *dls);
    }
    double kl = 0;
    for (size_t i = 0; i < LU_BLK; i++) kl += acc[i];
    return kl;
}

static double pb_lu_kl_weight(void *state, double t)
{
    (void)state;
    if (t < lu_WARMUP_START) return 0;
    if (t >= lu_WARMUP_END) return 1;
    return (t - lu_WARMUP_START) / (lu_WARMUP_END - lu_WARMUP_START);
}

/* epoch / min(epochs, 200) as the fraction: bitwise the fraction of training
 * for runs of up to 200 epochs, epochs 5 and 20 for longer ones. */
static double pb_lu_kl_weight_epochs(void *state, double epoch, double epochs)
{
    return pb_lu_kl_weight(state, epoch / (epochs > 200 ? 200 : epochs));
}


/* -log alpha = log(theta^2 + 1e-8) - log sigma^2 (unclipped, for orders). */
static inline double pb_lu_relevance(double theta, double sigma)
{
    return log(theta * theta + lu_THETA_EPS) - 2 * log(sigma);
}

/* score[j] = -log alpha of every prunable weight of the fit (0 elsewhere);
 * fails, through host->fail naming the method, on a weight without a
 * positive posterior sd. Returns 0 or 1 (the relevance hook's status). */
static inline int pb_lu_weight_relevance(const pb_host *host, const pb_fit_view *fit, double *score, const char *method)
{
    if (!fit->sd) {
        host->fail(host->ctx, "needs a fit trained with this method's family (posterior sd); this one is a point "
                              "estimate: train with --method %s", method);
        return 1;
    }
    for (size_t j = 0; j < fit->n_params; j++) {
        if (!fit->prunable[j]) { score[j] = 0; continue; }
        if (!(fit->sd[j] > 0)) {
            host->fail(host->ctx, "parameter %zu has posterior sd %g: was this fit trained with --method %s?", j,
                       fit->sd[j], method);
            return 1;
        }
        score[j] = pb_lu_relevance(fit->mean[j], fit->sd[j]);
    }
    return 0;
}

#endif
