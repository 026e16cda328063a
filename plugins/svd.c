/* svd.c -- sparse variational dropout (Molchanov, Ashukha, Vetrov 2017;
 * seed 001 sections 3.2 and 4.1). The method trains its own network.
 *
 * Family: log-uniform prior p(|w|) ~ 1/|w| on every weight-matrix entry,
 * posterior N(theta, sigma^2) with the additive reparameterization
 * w = theta + sigma eps, log sigma^2 initialized at -10, and
 *   log alpha = clip(log sigma^2 - log(theta^2 + 1e-8), -8, 8).
 * KL(q || p) per weight, up to a constant, by the approximation of
 * Molchanov et al. (2017), eq. 14:
 *   -KL ~= k1 sigmoid(k2 + k3 log alpha) - 0.5 log(1 + 1/alpha) - k1,
 *   k1 = 0.63576, k2 = 1.87320, k3 = 1.48695,
 * so KL = k1 - k1 sigmoid(k2 + k3 la) + 0.5 log1p(exp(-la)) and
 *   dKL/dla = -k1 k3 s (1 - s) - 0.5 sigmoid(-la),  s = sigmoid(k2 + k3 la),
 * with dla/dlog sigma^2 = 1 and dla/dtheta = -2 theta / (theta^2 + 1e-8), both 0
 * where the clip is active.
 * Warm-up: KL weight 0 for the first 5/200 of training, rising linearly to 1
 * at 20/200 (the published 5 and 20 of 200 epochs, scaled to any length).
 * Dense layers use the local reparameterization trick.
 * Relevance: -log alpha = log theta^2 - log sigma^2; natural operating point
 * log alpha >= 3 (relevance <= -3) is zero at test time.
 */
#include <math.h>
#include <stdint.h>
#include <string.h>
#include "prunebench.h"

static const double K1 = 0.63576, K2 = 1.87320, K3 = 1.48695;
static const double LA_MIN = -8, LA_MAX = 8, THETA_EPS = 1e-8;
static const double WARMUP_START = 5.0 / 200, WARMUP_END = 20.0 / 200;

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
#define SVD_CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define SVD_CLONES
#endif

static inline uint64_t bits(double x) { uint64_t u; memcpy(&u, &x, sizeof u); return u; }
static inline double from_bits(uint64_t u) { double x; memcpy(&x, &u, sizeof x); return x; }

static const double LN2_HI = 0x1.62e42feep-1, LN2_LO = 0x1.a39ef35793c76p-33, SHIFT = 0x1.8p52;

/* e^x for |x| <= 700 (here |x| <= 14) or NaN: e^x = 2^k e^r, k = round(x / ln2),
 * r = x - k ln2 = hi - lo, e^r = 1 + hi + (r^2 (1/2! + ... + r^11/13!) - lo). */
static inline double exp_mid(double x)
{
    double t = x * 0x1.71547652b82fep0 + SHIFT, kd = t - SHIFT;
    double hi = x - kd * LN2_HI, lo = kd * LN2_LO, r = hi - lo;
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
    return (1 + (hi + (r * r * q - lo))) * from_bits((bits(t) - bits(SHIFT) + 1023) << 52);
}

/* log(2^k (1 + f)) + lo, f = m - 1 in [sqrt(1/2) - 1, sqrt(2) - 1) (fdlibm's e_log.c:
 * s = f / (2 + f), log(1 + f) = f - hfsq + s (hfsq + R(s^2)), hfsq = f^2 / 2, R minimax). */
static inline double log_reduced(double kd, double f, double lo)
{
    double hfsq = 0.5 * f * f, s = f / (2 + f), z = s * s, w = z * z;
    double t1 = w * (0x1.999999997fa04p-2 + w * (0x1.c71c51d8e78afp-3 + w * 0x1.39a09d078c69fp-3));
    double t2 = z * (0x1.5555555555593p-1 + w * (0x1.2492494229359p-2 + w * (0x1.7466496cb03dep-3 + w * 0x1.2f112df3e5244p-3)));
    return kd * LN2_HI - ((hfsq - (s * (hfsq + (t2 + t1)) + (kd * LN2_LO + lo))) - f);
}

/* u = 2^k m with m in [sqrt(1/2), sqrt(2)) for a positive normal u: returns
 * k + 1023, *f = m - 1 (exact); *kd = k. */
static inline uint64_t log_split(double u, double *f, double *kd)
{
    uint64_t v = bits(u) + (UINT64_C(0x3ff0000000000000) - UINT64_C(0x3fe6a09e00000000)), kb = v >> 52;
    *f = from_bits((v & UINT64_C(0x000fffffffffffff)) + UINT64_C(0x3fe6a09e00000000)) - 1;
    *kd = from_bits(kb | UINT64_C(0x4330000000000000)) - (0x1p52 + 1023);
    return kb;
}

/* log x for a positive normal x; inf and NaN pass through. */
static inline double log_pos(double x)
{
    double f, kd;
    log_split(x, &f, &kd);
    return x < INFINITY ? log_reduced(kd, f, 0) : x;
}

/* log1p x for x in [0, 2^53) or NaN: u = fl(1 + x), c = (1 + x) - u exactly;
 * u = 2^k m; k = 0: log(1 + x) directly (f = x); else k ln2 + log m + c 2^-k / m
 * with 1/m = 1/(1 + f) ~ 1 - f + f^2 - f^3 (the term is below 2^-53 of the result). */
static inline double log1p_pos(double x)
{
    double u = 1 + x, c = x > 1 ? 1 - (u - x) : x - (u - 1), f, kd;
    uint64_t kb = log_split(u, &f, &kd);
    double lo = c * from_bits((2046 - kb) << 52) * (1 - f * (1 - f * (1 - f)));
    int k0 = kb == 1023;
    return log_reduced(k0 ? 0 : kd, k0 ? x : f, k0 ? 0 : lo);
}

#define BLK 64

/* The KL (see the top of the file) over blocks of BLK weights copied into
 * local arrays (the tail padded with a harmless theta = 1, log sigma^2 = 0),
 * so every loop below has a fixed count. The work is split into one loop per
 * step -- log alpha, the two exponentials, log1p, the rest -- whose short
 * dependency chains overlap better than one long loop body. Each weight's KL
 * goes to its lane's sum, the lanes are summed in order: a fixed summation
 * order, so the result is deterministic. */
SVD_CLONES static double svd_kl(void *state, size_t n, const double *theta, const double *log_sigma2, double *dtheta,
                                double *dlog_sigma2)
{
    (void)state;
    double acc[BLK] = {0}, th[BLK], ls[BLK], dth[BLK], dls[BLK];
    double t2[BLK], la[BLK], free_[BLK], E[BLK], e[BLK], l1p[BLK];
    for (size_t j = 0; j < n; j += BLK) {
        size_t m = n - j < BLK ? n - j : BLK;
        for (size_t i = 0; i < BLK; i++) th[i] = i < m ? theta[j + i] : 1, ls[i] = i < m ? log_sigma2[j + i] : 0;
        for (size_t i = 0; i < BLK; i++) {   /* log alpha, clipped; free_ = 0 where the clip is active */
            t2[i] = th[i] * th[i] + THETA_EPS;
            double l = ls[i] - log_pos(t2[i]);
            free_[i] = l < LA_MIN || l > LA_MAX ? 0 : 1;
            l = l < LA_MIN ? LA_MIN : l;
            la[i] = l > LA_MAX ? LA_MAX : l;
        }
        for (size_t i = 0; i < BLK; i++) E[i] = exp_mid(-(K2 + K3 * la[i]));   /* sigmoid(k2 + k3 la) = 1 / (1 + E) */
        for (size_t i = 0; i < BLK; i++) e[i] = exp_mid(-la[i]);               /* 1 / alpha */
        for (size_t i = 0; i < BLK; i++) l1p[i] = log1p_pos(e[i]);
        for (size_t i = 0; i < BLK; i++) {
            double r = 1 / ((1 + E[i]) * (1 + e[i]));              /* one division for both sigmoids: */
            double s = r * (1 + e[i]), se = r * (1 + E[i]) * e[i];  /* s = sigmoid(k2 + k3 la), se = sigmoid(-la) */
            double s1 = E[i] * s;                                 /* 1 - s, without the cancellation near s = 1 */
            double d = free_[i] == 0 ? 0 : -K1 * K3 * s * s1 - 0.5 * se;
            dls[i] = d;
            dth[i] = d * (-2 * th[i] / t2[i]);
            acc[i] += i < m ? K1 * s1 + 0.5 * l1p[i] : 0;        /* k1 - k1 s + 0.5 log1p(e) */
        }
        memcpy(dtheta + j, dth, m * sizeof *dth);
        memcpy(dlog_sigma2 + j, dls, m * sizeof *dls);
    }
    double kl = 0;
    for (size_t i = 0; i < BLK; i++) kl += acc[i];
    return kl;
}

static double svd_kl_weight(void *state, double t)
{
    (void)state;
    if (t < WARMUP_START) return 0;
    if (t >= WARMUP_END) return 1;
    return (t - WARMUP_START) / (WARMUP_END - WARMUP_START);
}

static int svd_relevance(const pb_host *host, const pb_fit_view *fit, double *score, void *state)
{
    (void)state;
    if (!fit->sd) {
        host->fail(host->ctx, "needs a fit trained with this method's family (posterior sd); this one is a point estimate");
        return 1;
    }
    for (size_t j = 0; j < fit->n_params; j++) {
        if (!fit->prunable[j]) { score[j] = 0; continue; }
        if (!(fit->sd[j] > 0)) {
            host->fail(host->ctx, "parameter %zu has posterior sd %g: was this fit trained with --method svd?", j, fit->sd[j]);
            return 1;
        }
        /* -log alpha = log theta^2 - log sigma^2 (unclipped, for the order) */
        score[j] = log(fit->mean[j] * fit->mean[j] + THETA_EPS) - 2 * log(fit->sd[j]);
    }
    return 0;
}

static const pb_training svd_training = {
    .struct_size = sizeof(pb_training),
    .family = "log-uniform",
    .init_log_sigma2 = -10,
    .local_reparameterization = 1,
    .kl = svd_kl,
    .kl_weight = svd_kl_weight,
    .relevance_threshold = -3,
};

PB_EXPORT const pb_method pb_method_descriptor = {
    .abi_major = PB_ABI_MAJOR,
    .abi_minor = 2,
    .struct_size = sizeof(pb_method),
    .name = "svd",
    .summary = "sparse variational dropout: log-uniform prior, relevance -log alpha (trains its own network)",
    .citation = "Molchanov, Ashukha, Vetrov (2017), Variational Dropout Sparsifies Deep Neural Networks, ICML",
    .relevance = svd_relevance,
    .training = &svd_training,
};
