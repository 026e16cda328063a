/* vmath.c -- see vmath.h.
 *
 * Each kernel is a branch-free scalar function of one double or one float
 * (selects, not branches; bit manipulation through memcpy), applied by a
 * loop gcc vectorizes (float kernels: 16 lanes with AVX-512, 8 with AVX2).
 * The y = f(x) functions run their kernel over blocks of BLK doubles or
 * BLKF floats copied into local arrays, so the vector loop has a fixed count
 * and no aliasing, and y may be x. Built with -O3 -ffp-contract=fast
 * -fno-math-errno -fno-trapping-math (Makefile): a*b+c contracted into FMA
 * where the target has it, no errno, no exception flags (without that, gcc
 * does not if-convert the selects for AVX2). Not -ffast-math: NaN and inf
 * behave as IEEE 754 says, and the selects below rely on it.
 *
 * Code paths: every array function is compiled three times (PATH below):
 * for x86-64-v4 (AVX-512), x86-64-v3 (AVX2 + FMA) and baseline x86-64; a
 * constructor picks the best one the CPU (and OS) supports, and tests can
 * switch (pb_vmath_use_path) to check each path on one machine. Elsewhere
 * (not x86-64 with gcc) there is the one generic path.
 *
 * Reductions (Cody-Waite, as in fdlibm): k ln2 with ln2 = LN2_HI + LN2_LO,
 * LN2_HI having 32 significant bits so k LN2_HI is exact for |k| < 2^21
 * (float kernels: LN2F_HI, 15 bits, below).
 */
#include "base/vmath.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && __GNUC__ >= 12
#define PB_VMATH_X86 1
#endif

/* Kernels and loops are inlined into each path's functions, and so compiled
 * for that path's target. */
#define KERNEL static inline __attribute__((always_inline))

#define BLK 64

KERNEL uint64_t bits(double x) { uint64_t u; memcpy(&u, &x, sizeof u); return u; }
KERNEL double from_bits(uint64_t u) { double x; memcpy(&x, &u, sizeof x); return x; }

static const double LN2_HI = 0x1.62e42feep-1, LN2_LO = 0x1.a39ef35793c76p-33, INV_LN2 = 0x1.71547652b82fep0;
static const double SHIFT = 0x1.8p52;  /* x + SHIFT rounds x to an integer k held in the low bits */

/* 1/j! for j = 0..16 (each the double nearest to it) */
static const double INV_FACT[17] = {1, 1, 1.0 / 2, 1.0 / 6, 1.0 / 24, 1.0 / 120, 1.0 / 720, 1.0 / 5040, 1.0 / 40320,
                                    1.0 / 362880, 1.0 / 3628800, 1.0 / 39916800, 1.0 / 479001600, 1.0 / 6227020800.0,
                                    1.0 / 87178291200.0, 1.0 / 1307674368000.0, 1.0 / 20922789888000.0};

/* e^r - 1 for r = hi - lo (hi exact, lo tiny): the Taylor series to r^deg,
 *   e^r - 1 = hi + (r^2 (1/2! + r/3! + ... + r^(deg-2)/deg!) - lo),
 * summed so that hi is rounded once. deg = 13 for |r| <= ln2/2 (truncation
 * < 4e-18 relative), 16 for r in [0, ln2] (< 7e-18). */
KERNEL double expm1_reduced(double hi, double lo, int deg)
{
    double r = hi - lo, q = INV_FACT[deg];
    for (int j = deg - 1; j >= 2; j--) q = q * r + INV_FACT[j];
    return hi + (r * r * q - lo);
}

/* e^x = 2^k e^r, k = round(x / ln2), r = x - k ln2. x is clamped to
 * [-750, 710] first (e^x is 0 and inf beyond; NaN fails both comparisons and
 * passes through), so k is in [-1082, 1024]; 2^k is applied as 2^k1 2^k2 with
 * k1 = floor(k/2), both normal, so a subnormal result is rounded once and
 * k = 1024 overflows to inf. */
KERNEL double exp_k(double x)
{
    x = x < -750 ? -750 : x;
    x = x > 710 ? 710 : x;
    double t = x * INV_LN2 + SHIFT, kd = t - SHIFT;
    double p = 1 + expm1_reduced(x - kd * LN2_HI, kd * LN2_LO, 13);
    uint64_t ku = bits(t) - bits(SHIFT) + 2048;  /* k + 2048 > 0 */
    uint64_t h = ku >> 1;                        /* k1 + 1024 */
    return p * from_bits((h - 1) << 52) * from_bits((ku - h - 1) << 52);
}

/* a / (b + c) for a, b, c >= 0 with the rounding error of d = fl(b + c)
 * corrected: err = (b + c) - d exactly (Fast2Sum, larger operand first),
 * a / (d + err) = q (1 - err / d), q = a / d, and 1/d = (1 - q)/c (as
 * q = a / d and a = b here), so no second division. */
KERNEL double div_sum(double a, double b, double c)
{
    double d = b + c, q = a / d;
    double err = b > c ? (b - d) + c : (c - d) + b;
    return q - q * err * ((1 - q) / c);
}

/* tanh x = sign(x) e / (e + 2) with e = e^{2|x|} - 1 = 2^k (e^r - 1) + (2^k - 1),
 * k = floor(2|x| / ln2), r = 2|x| - k ln2 in [0, ln2): both terms of e are
 * >= 0, so nothing cancels; the rounding of e + 2 is corrected (div_sum).
 * |x| is clamped to 20 (tanh rounds to +-1 beyond 19.1), so k <= 57 and 2^k
 * is one normal factor. Two kernels, e (tanh_e) then the quotient (tanh_q),
 * run as two loops: shorter dependency chains, which overlap better. */
KERNEL double tanh_e(double x)
{
    double a = fabs(x);
    a = a > 20 ? 20 : a;
    double y = 2 * a, t = (y * INV_LN2 - 0.5) + SHIFT, kd = t - SHIFT;
    double s = from_bits((bits(t) - bits(SHIFT) + 1023) << 52);
    return s * expm1_reduced(y - kd * LN2_HI, kd * LN2_LO, 16) + (s - 1);
}

KERNEL double tanh_q(double e, double x) { return copysign(div_sum(e, e, 2), x); }

/* fdlibm's e_log.c on the reduced argument: log(2^k (1 + f)) + lo for
 * f in [sqrt(1/2) - 1, sqrt(2) - 1) and a tiny correction lo, with
 * s = f / (2 + f),
 *   log(1 + f) = 2 atanh(s) = f - hfsq + s (hfsq + R(s^2)),  hfsq = f^2 / 2,
 * R a minimax polynomial (|error| < 2^-58.45), evaluated in the order that
 * keeps the error below 1 ulp. */
KERNEL double log_reduced(double kd, double f, double lo)
{
    const double LG1 = 0x1.5555555555593p-1, LG2 = 0x1.999999997fa04p-2, LG3 = 0x1.2492494229359p-2,
                 LG4 = 0x1.c71c51d8e78afp-3, LG5 = 0x1.7466496cb03dep-3, LG6 = 0x1.39a09d078c69fp-3,
                 LG7 = 0x1.2f112df3e5244p-3;
    double hfsq = 0.5 * f * f, s = f / (2 + f), z = s * s, w = z * z;
    double t1 = w * (LG2 + w * (LG4 + w * LG6)), t2 = z * (LG1 + w * (LG3 + w * (LG5 + w * LG7)));
    return kd * LN2_HI - ((hfsq - (s * (hfsq + (t2 + t1)) + (kd * LN2_LO + lo))) - f);
}

/* Split a positive normal u as 2^k m, m in [sqrt(1/2), sqrt(2)), by offsetting
 * its bits so the exponent rolls over at sqrt(1/2) (fdlibm / musl):
 * returns k + 1023 and sets *f = m - 1 (exact). */
#define LOG_OFF (UINT64_C(0x3ff0000000000000) - UINT64_C(0x3fe6a09e00000000))
KERNEL uint64_t log_split(double u, double *f)
{
    uint64_t v = bits(u) + LOG_OFF;
    *f = from_bits((v & UINT64_C(0x000fffffffffffff)) + UINT64_C(0x3fe6a09e00000000)) - 1;
    return v >> 52;
}

/* k as a double from kb = k + 1023 in [0, 2^52): exact, no int64 conversion */
KERNEL double k_of(uint64_t kb) { return from_bits(kb | UINT64_C(0x4330000000000000)) - (0x1p52 + 1023); }

/* log x; a subnormal x is scaled by 2^54 first. Special values selected last. */
KERNEL double log_k(double x)
{
    int sub = x < 0x1p-1022;
    double f;
    uint64_t kb = log_split(sub ? x * 0x1p54 : x, &f);
    double r = log_reduced(k_of(kb) - (sub ? 54 : 0), f, 0);
    return x > 0 && x < INFINITY ? r : x == 0 ? -INFINITY : x < 0 ? NAN : x;
}

/* log1p x = log(u + c), u = fl(1 + x), c = (1 + x) - u exactly (Fast2Sum,
 * the larger operand first). With u = 2^k m:
 *   k = 0:  log1p x = log(1 + f) with f = (u - 1) + c = x exactly;
 *   k != 0: log1p x = k ln2 + log(m) + c 2^-k / m, the last term below
 *           2^-53 of the result, with 1/m = 1/(1 + f) ~ 1 - f + f^2 - f^3
 *           (relative error f^4 < 3%; dropped for x >= 2^53, where 2^-k
 *           might not be normal). */
KERNEL double log1p_k(double x)
{
    double u = 1 + x, c = x > 1 ? 1 - (u - x) : x - (u - 1), f;
    uint64_t kb = log_split(u, &f);
    double lo = x < 0x1p53 ? c * from_bits((2046 - kb) << 52) * (1 - f * (1 - f * (1 - f))) : 0;
    double r = log_reduced(k_of(kb), kb == 1023 ? x : f, kb == 1023 ? 0 : lo);
    return x > -1 && x < INFINITY ? (x == 0 ? x : r) : x == -1 ? -INFINITY : x < -1 ? NAN : x;
}

/* sigmoid x = 1 / (1 + E), E = e^-x, with the rounding of 1 + E corrected:
 * err = (1 + E) - d exactly (Fast2Sum), 1 / (d + err) = q - q^2 err, q = 1/d.
 * E = inf (x < -709.78) gives q = 0 uncorrected. */
KERNEL double sigmoid_k(double x)
{
    double E = exp_k(-x), d = 1 + E, q = 1 / d;
    double err = E > 1 ? (E - d) + 1 : (1 - d) + E;
    return E < INFINITY ? q - q * q * err : q;
}

/* ---- float kernels ------------------------------------------------------
 *
 * The double kernels' algorithms in float arithmetic (float lanes: twice as
 * many per vector as doubles), with reductions and polynomials sized for
 * float (2^-24); every float constant has the f suffix, so nothing is
 * promoted to double. Float rounding errors are 2^29 times larger than
 * double ones, so exp, tanh and sigmoid carry the roundings of their sums
 * and quotients along (Fast2Sum, the exact remainder of a division) and
 * round once at the end: about 0.5 ulp + the polynomial's own rounding. ln2 = LN2F_HI + LN2F_LO, LN2F_HI with 15 significant bits, so
 * k LN2F_HI is exact for |k| < 2^9 (here |k| <= 150). Polynomials: near-
 * minimax fits (Chebyshev interpolation with float coefficients); the
 * truncation errors given are for the float coefficients as written. */

KERNEL uint32_t fbits(float x) { uint32_t u; memcpy(&u, &x, sizeof u); return u; }
KERNEL float from_fbits(uint32_t u) { float x; memcpy(&x, &u, sizeof x); return x; }

static const float LN2F_HI = 0x1.62e4p-1f, LN2F_LO = 0x1.7f7d1cp-20f, INV_LN2F = 0x1.715476p0f;
static const float SHIFTF = 0x1.8p23f;  /* x + SHIFTF rounds x to an integer k held in the low bits */

/* Q(r) ~ (e^r - 1 - r) / r^2, degree 5, for |r| <= ln2/2 (EXPF_Q; |r^2 Q -
 * (e^r - 1 - r)| < 0.01 2^-24) and for r in [0, ln2] (TANHF_Q; < 0.03 2^-24
 * relative to e^r - 1). */
static const float EXPF_Q[6] = {0x1p-1f, 0x1.555556p-3f, 0x1.5554e8p-5f, 0x1.1110ep-7f, 0x1.6d4342p-10f, 0x1.a1250cp-13f};
static const float TANHF_Q[6] = {0x1p-1f, 0x1.55556cp-3f, 0x1.554f3cp-5f, 0x1.11a6f2p-7f, 0x1.5f498ep-10f, 0x1.0ed6bap-12f};

/* e^r - 1 - hi for r = hi - lo (hi exact, lo tiny): r^2 Q(r) - lo, small
 * beside hi (|r^2 Q(r) - lo| < 0.3 |hi| where lo != 0, < 0.6 |hi| else). */
KERNEL float expm1f_tail(float hi, float lo, const float *q)
{
    float r = hi - lo, p = q[5];
    for (int j = 4; j >= 0; j--) p = p * r + q[j];
    return r * r * p - lo;
}

/* a + b = s + err exactly (Fast2Sum) for |a| >= |b| or a = 0; returns err */
KERNEL float sum_err(float a, float b, float s) { return b - (s - a); }

/* a - q b exactly: for q = fl(a / b) the remainder is a float. One FMA where
 * the path has it, else in double (a product of two floats is exact there). */
KERNEL float rem_f(float a, float q, float b, int fma)
{
    return fma ? __builtin_fmaf(-q, b, a) : (float)((double)a - (double)q * (double)b);
}

/* 1 / d to about 2% for a positive normal d: a bit-pattern estimate (within
 * 12%) and one Newton step; enough for a correction term. */
KERNEL float recip_rough(float d)
{
    float r = from_fbits(UINT32_C(0x7ef311c3) - fbits(d));
    return r * (2 - d * r);
}

/* e^x = 2^k e^r as exp_k, k = round(x / ln2), r = x - k ln2 in [-ln2/2,
 * ln2/2], e^r = 1 + hi + tail (expm1f_tail) = P + *lo: 1 + hi split exactly
 * (Fast2Sum, |hi| < 1), so P = fl(1 + hi + tail) is rounded once, within
 * 0.5 ulp + a few 2^-24 |tail| (|tail| < 0.07), and *lo is what that
 * rounding dropped (exactly, Fast2Sum). x is clamped to [-104, 89] (e^x
 * rounds to 0 below -103.98 and overflows above 88.73), so k is in
 * [-150, 128]. Returns P 2^k1 2^k2 with k1 = floor(k/2), k2 = k - k1, both
 * normal: a subnormal result comes from one scaling, and k = 128 with
 * e^r < 1 stays finite. *scale2 = 2^k for *lo (0 below 2^-149, inf for
 * k = 128: for callers with x <= 0). */
KERNEL float expf_parts(float x, float *lo, float *scale2)
{
    x = x < -104 ? -104 : x;
    x = x > 89 ? 89 : x;
    float t = x * INV_LN2F + SHIFTF, kd = t - SHIFTF;
    float hi = x - kd * LN2F_HI, tail = expm1f_tail(hi, kd * LN2F_LO, EXPF_Q);
    float s1 = 1 + hi, u = sum_err(1, hi, s1) + tail, P = s1 + u;
    *lo = sum_err(s1, u, P);
    uint32_t ku = fbits(t) - fbits(SHIFTF) + 256;  /* k + 256 > 0 */
    uint32_t h = ku >> 1;                          /* k1 + 128 */
    float sc1 = from_fbits((h - 1) << 23);
    *scale2 = sc1 * from_fbits((ku - h - 1) << 23);
    return P * sc1 * from_fbits((ku - h - 1) << 23);
}

/* e^x = P 2^k: 0.62 ulp seen for normal results, 0.76 for subnormal ones
 * (P rounded again to fewer bits) */
KERNEL float expf_k(float x)
{
    float lo, sc;
    return expf_parts(x, &lo, &sc);
}

/* tanh x = sign(x) e / (e + 2), e = e^{2|x|} - 1 = 2^k (e^r - 1) + (2^k - 1),
 * k = floor(2|x| / ln2), r in [0, ln2] (as tanh_e / tanh_q), |x| clamped to
 * 10 (tanh rounds to +-1 beyond 9.02; k <= 28). e (tanhf_e) and the quotient
 * (tanhf_q) run as two loops, as for double. Each rounding carried along:
 *   e^r - 1 = m + ml (m = fl(hi + tail), ml its rounding error, Fast2Sum),
 *   e = eh + el (eh = fl(2^k m + fl(2^k - 1)), el the errors of both + 2^k ml),
 *   d = fl(eh + 2) = eh + 2 - err,  q = fl(eh / d) = (eh - rem) / d,
 *   e / (e + 2) = q + (rem + el - q (err + el)) / (d + err + el),
 * with rem exact (rem_f) and 1 / (d + ...) ~ recip_rough(d). Left: the last
 * rounding (0.5 ulp) and the roundings inside tail (a few 2^-24 |tail|,
 * |tail| < 0.6 |hi|): 0.92 ulp seen over all 2^32 floats, near |x| = 0.25,
 * where e's binade is above tanh's. */
KERNEL float tanhf_e(float x, float *el_out)
{
    float a = fabsf(x);
    a = a > 10 ? 10 : a;
    float y = 2 * a, t = (y * INV_LN2F - 0.5f) + SHIFTF, kd = t - SHIFTF;
    float s = from_fbits((fbits(t) - fbits(SHIFTF) + 127) << 23);
    float hi = y - kd * LN2F_HI, tail = expm1f_tail(hi, kd * LN2F_LO, TANHF_Q);
    float m = hi + tail, ml = sum_err(hi, tail, m);
    float A = s * m, B = s - 1, Bl = sum_err(s, -1, B), eh = A + B;  /* Bl != 0 for k > 24 */
    *el_out = sum_err(B, A, eh) + (s * ml + Bl);                   /* B = 0 or its exponent >= A's */
    return eh;
}
KERNEL float tanhf_q(float eh, float el, float x, int fma)
{
    float d = eh + 2, err = eh > 2 ? sum_err(eh, 2, d) : sum_err(2, eh, d);
    float q = eh / d, rem = rem_f(eh, q, d, fma);
    return copysignf(q + (rem + el - q * (err + el)) * recip_rough(d), x);
}
KERNEL float tanhf_q0(float eh, float el, float x) { return tanhf_q(eh, el, x, 0); }
#ifdef PB_VMATH_X86  /* the paths with FMA */
KERNEL float tanhf_q1(float eh, float el, float x) { return tanhf_q(eh, el, x, 1); }
#endif

/* log(2^k (1 + f)) + lo as log_reduced, with fdlibm's float polynomial
 * (e_logf.c): |(log(1 + s) - log(1 - s)) / s - (2 + 2 R(s^2))| < 2^-34.24
 * for s = f / (2 + f), R(z) = LG1 z + ... + LG4 z^4. Below 1 ulp. */
KERNEL float logf_reduced(float kd, float f, float lo)
{
    const float LG1 = 0xaaaaaa.0p-24f, LG2 = 0xccce13.0p-25f, LG3 = 0x91e9ee.0p-25f, LG4 = 0xf89e26.0p-26f;
    float hfsq = 0.5f * f * f, s = f / (2 + f), z = s * s, w = z * z;
    float t1 = w * (LG2 + w * LG4), t2 = z * (LG1 + w * LG3);
    return kd * LN2F_HI - ((hfsq - (s * (hfsq + (t2 + t1)) + (kd * LN2F_LO + lo))) - f);
}

/* log_split for a positive normal float: returns k + 127, *f = m - 1 */
#define LOGF_MID UINT32_C(0x3f3504f3)  /* sqrt(1/2) rounded down */
KERNEL uint32_t logf_split(float u, float *f)
{
    uint32_t v = fbits(u) + (UINT32_C(0x3f800000) - LOGF_MID);
    *f = from_fbits((v & UINT32_C(0x007fffff)) + LOGF_MID) - 1;
    return v >> 23;
}

/* k as a float from kb = k + 127 in [0, 2^23): exact */
KERNEL float kf_of(uint32_t kb) { return from_fbits(kb | UINT32_C(0x4b000000)) - (0x1p23f + 127); }

/* log x as log_k; a subnormal x is scaled by 2^25 first. */
KERNEL float logf_k(float x)
{
    int sub = x < 0x1p-126f;
    float f;
    uint32_t kb = logf_split(sub ? x * 0x1p25f : x, &f);
    float r = logf_reduced(kf_of(kb) - (sub ? 25 : 0), f, 0);
    return x > 0 && x < INFINITY ? r : x == 0 ? -INFINITY : x < 0 ? NAN : x;
}

/* log1p x as log1p_k: log(u + c), u = fl(1 + x), c = (1 + x) - u exactly,
 * u = 2^k m; k = 0: log(1 + f) with f = x; else k ln2 + log(m) + c 2^-k / m,
 * 1/m ~ 1 - f + f^2 - f^3 (the term is below 2^-24 of the result; dropped
 * for x >= 2^24). */
KERNEL float log1pf_k(float x)
{
    float u = 1 + x, c = x > 1 ? 1 - (u - x) : x - (u - 1), f;
    uint32_t kb = logf_split(u, &f);
    float lo = x < 0x1p24f ? c * from_fbits((254 - kb) << 23) * (1 - f * (1 - f * (1 - f))) : 0;
    float r = logf_reduced(kf_of(kb), kb == 127 ? x : f, kb == 127 ? 0 : lo);
    return x > -1 && x < INFINITY ? (x == 0 ? x : r) : x == -1 ? -INFINITY : x < -1 ? NAN : x;
}

/* sigmoid x with E = e^{-|x|} <= 1 (never inf): 1 / (1 + E) for x >= 0,
 * E / (1 + E) for x < 0 (down to the subnormal results near x = -103.9),
 * compensated as tanh: E = Eh + El (expf_parts), num = 1 or Eh (+ El),
 *   d = fl(1 + Eh) = 1 + Eh - err (Fast2Sum),  q = fl(num / d) = (num - rem) / d,
 *   sigmoid = q + (rem + numl - q (err + El)) / (d + err + El),
 * 1 / (d + ...) ~ q for x >= 0 and ~ 1 - q for x < 0. Left: the last
 * rounding and the small ones inside e^x: 0.65 ulp seen for normal results,
 * 0.78 for subnormal ones (E is rounded to the subnormal grid first). Two
 * loops as tanh: E (sigmoidf_e), then the quotient (sigmoidf_q). */
KERNEL float sigmoidf_e(float x, float *El)
{
    float l, sc, E = expf_parts(-fabsf(x), &l, &sc);
    *El = l * sc;
    return E;
}
KERNEL float sigmoidf_q(float E, float El, float x, int fma)
{
    int neg = x < 0;
    float d = 1 + E, err = sum_err(1, E, d), num = neg ? E : 1;
    float q = num / d, rem = rem_f(num, q, d, fma);
    return q + (rem + (neg ? El : 0) - q * (err + El)) * (neg ? 1 - q : q);
}
KERNEL float sigmoidf_q0(float E, float El, float x) { return sigmoidf_q(E, El, x, 0); }
#ifdef PB_VMATH_X86
KERNEL float sigmoidf_q1(float E, float El, float x) { return sigmoidf_q(E, El, x, 1); }
#endif

/* y = KERNEL(x), or with two kernels y = K2(K1(x), x), blockwise through
 * local arrays (see the top of the file). */
#define BLOCKED2_T(T, NB, K1, K2, n, x, y)                                  \
    do {                                                                    \
        T in_[NB], mid_[NB], out_[NB];                                      \
        for (size_t i0 = 0; i0 < (n); i0 += NB) {                           \
            size_t m_ = (n) - i0 < NB ? (n) - i0 : NB;                      \
            if (m_ == NB) memcpy(in_, (x) + i0, sizeof in_);                \
            else {                                                          \
                memcpy(in_, (x) + i0, m_ * sizeof *in_);                    \
                memset(in_ + m_, 0, (NB - m_) * sizeof *in_);               \
            }                                                               \
            for (size_t i = 0; i < NB; i++) mid_[i] = K1(in_[i]);           \
            for (size_t i = 0; i < NB; i++) out_[i] = K2(mid_[i], in_[i]);  \
            if (m_ == NB) memcpy((y) + i0, out_, sizeof out_);              \
            else memcpy((y) + i0, out_, m_ * sizeof *out_);                 \
        }                                                                   \
    } while (0)
#define BLOCKED2(K1, K2, n, x, y) BLOCKED2_T(double, BLK, K1, K2, n, x, y)
KERNEL double first(double v, double x) { (void)x; return v; }
#define BLOCKED(KERNEL, n, x, y) BLOCKED2(KERNEL, first, n, x, y)
/* float: blocks of BLKF (the same bytes as BLK doubles) */
#define BLKF (2 * BLK)
KERNEL float firstf(float v, float x) { (void)x; return v; }
#define BLOCKED2F(K1, K2, n, x, y) BLOCKED2_T(float, BLKF, K1, K2, n, x, y)
#define BLOCKEDF(KERNEL, n, x, y) BLOCKED2F(KERNEL, firstf, n, x, y)
/* y = K2(K1(x, &lo), lo, x), the two kernels as two loops (tanh, sigmoid) */
#define BLOCKED_PAIRF(K1, K2, n, x, y)                                                 \
    do {                                                                             \
        float in_[BLKF], hi_[BLKF], lo_[BLKF], out_[BLKF];                           \
        for (size_t i0 = 0; i0 < (n); i0 += BLKF) {                                  \
            size_t m_ = (n) - i0 < BLKF ? (n) - i0 : BLKF;                           \
            memcpy(in_, (x) + i0, m_ * sizeof *in_);                                 \
            memset(in_ + m_, 0, (BLKF - m_) * sizeof *in_);                          \
            for (size_t i = 0; i < BLKF; i++) hi_[i] = K1(in_[i], &lo_[i]);          \
            for (size_t i = 0; i < BLKF; i++) out_[i] = K2(hi_[i], lo_[i], in_[i]);  \
            memcpy((y) + i0, out_, m_ * sizeof *out_);                               \
        }                                                                            \
    } while (0)

/* Loops of the elementwise helpers, written once for element type T (the
 * double ones with SUF empty, the float ones with SUF _f). Plain loops:
 * correct for any overlap (gcc checks at run time and takes the vector loop
 * only when the arrays do not overlap). */
#define ELEMENTWISE_LOOPS(T, SUF)                                                                   \
    KERNEL void relu_loop##SUF(size_t n, const T *x, T *y)                                          \
    {                                                                                               \
        for (size_t i = 0; i < n; i++) y[i] = x[i] > 0 ? x[i] : 0;                                  \
    }                                                                                               \
    KERNEL void relu_d1_loop##SUF(size_t n, T *d, const T *a)                                       \
    {                                                                                               \
        for (size_t i = 0; i < n; i++) d[i] *= a[i] > 0 ? 1 : 0;                                    \
    }                                                                                               \
    KERNEL void tanh_d1_loop##SUF(size_t n, T *d, const T *h)                                       \
    {                                                                                               \
        for (size_t i = 0; i < n; i++) d[i] *= 1 - h[i] * h[i];                                     \
    }                                                                                               \
    /* sum[j] += x[0][j] + x[1][j] + ... (rows in order) */                                         \
    KERNEL void sum_rows_loop##SUF(size_t rows, size_t cols, const T *restrict x, T *restrict sum)  \
    {                                                                                               \
        for (size_t i = 0; i < rows; i++)                                                           \
            for (size_t j = 0; j < cols; j++) sum[j] += x[i * cols + j];                            \
    }
ELEMENTWISE_LOOPS(double, )
ELEMENTWISE_LOOPS(float, _f)

/* float <-> double: y = (float)x rounds to nearest (even), y = (double)x is exact */
KERNEL void narrow_loop(size_t n, const double *restrict x, float *restrict y)
{
    for (size_t i = 0; i < n; i++) y[i] = (float)x[i];
}

KERNEL void widen_loop(size_t n, const float *restrict x, double *restrict y)
{
    for (size_t i = 0; i < n; i++) y[i] = x[i];
}

/* Adam, one pass: g = a ga [.* gm] + b gb, the moments, then
 * x -= lr_c m1 / (sqrt(m2 / c2) + eps) with 1 / c2 hoisted out of the loop.
 * One loop per combination of present arrays, so each vectorizes. */
#define ADAM_LOOP(GRAD)                                                             \
    for (size_t j = 0; j < n; j++) {                                                \
        double gj = (GRAD);                                                         \
        double u = b1 * m1[j] + (1 - b1) * gj, v = b2 * m2[j] + (1 - b2) * gj * gj; \
        m1[j] = u;                                                                  \
        m2[j] = v;                                                                  \
        x[j] -= lr_c * u / (sqrt(v * ic2) + eps);                                   \
    }

KERNEL void adam_loop(size_t n, double *restrict x, double *restrict m1, double *restrict m2, double lr_c, double c2,
                      double a, const double *restrict ga, const double *restrict gm, double b,
                      const double *restrict gb)
{
    const double b1 = 0.9, b2 = 0.999, eps = 1e-8, ic2 = 1 / c2;
    if (gm && gb) ADAM_LOOP(a * ga[j] * gm[j] + b * gb[j])
    else if (gm) ADAM_LOOP(a * ga[j] * gm[j])
    else if (gb) ADAM_LOOP(a * ga[j] + b * gb[j])
    else ADAM_LOOP(a * ga[j])
}

/* ---- code paths and dispatch ------------------------------------------- */

typedef void vfun(size_t n, const double *x, double *y);
typedef void dfun(size_t n, double *d, const double *a);
typedef void afun(size_t n, double *x, double *m1, double *m2, double lr_c, double c2, double a, const double *ga,
                  const double *gm, double b, const double *gb);
typedef void rfun(size_t rows, size_t cols, const double *x, double *sum);
typedef void vfun_f(size_t n, const float *x, float *y);
typedef void dfun_f(size_t n, float *d, const float *a);
typedef void rfun_f(size_t rows, size_t cols, const float *x, float *sum);
typedef void nfun(size_t n, const double *x, float *y);
typedef void wfun(size_t n, const float *x, double *y);
typedef struct vm_path {
    const char *name;
    int (*supported)(void);
    vfun *exp, *log, *log1p, *tanh, *sigmoid, *relu;
    dfun *relu_d1, *tanh_d1;
    rfun *sum_rows;
    afun *adam;
    vfun_f *exp_f, *log_f, *log1p_f, *tanh_f, *sigmoid_f, *relu_f;
    dfun_f *relu_d1_f, *tanh_d1_f;
    rfun_f *sum_rows_f;
    nfun *narrow;
    wfun *widen;
} vm_path;

/* Path P's functions, compiled with attribute ATTR (a target, or nothing);
 * FMA 1 if the target has fused multiply-add. */
#define PATH(P, ATTR, FMA)                                                                                            \
    ATTR static void exp_##P(size_t n, const double *x, double *y) { BLOCKED(exp_k, n, x, y); }                  \
    ATTR static void log_##P(size_t n, const double *x, double *y) { BLOCKED(log_k, n, x, y); }                  \
    ATTR static void log1p_##P(size_t n, const double *x, double *y) { BLOCKED(log1p_k, n, x, y); }              \
    ATTR static void tanh_##P(size_t n, const double *x, double *y) { BLOCKED2(tanh_e, tanh_q, n, x, y); }      \
    ATTR static void sigmoid_##P(size_t n, const double *x, double *y) { BLOCKED(sigmoid_k, n, x, y); }          \
    ATTR static void relu_##P(size_t n, const double *x, double *y) { relu_loop(n, x, y); }                      \
    ATTR static void relu_d1_##P(size_t n, double *d, const double *a) { relu_d1_loop(n, d, a); }                \
    ATTR static void tanh_d1_##P(size_t n, double *d, const double *h) { tanh_d1_loop(n, d, h); }                \
    ATTR static void sum_rows_##P(size_t r, size_t c, const double *x, double *s) { sum_rows_loop(r, c, x, s); } \
    ATTR static void adam_##P(size_t n, double *x, double *m1, double *m2, double lr_c, double c2, double a,     \
                              const double *ga, const double *gm, double b, const double *gb)                    \
    {                                                                                                            \
        adam_loop(n, x, m1, m2, lr_c, c2, a, ga, gm, b, gb);                                                     \
    }                                                                                                            \
    ATTR static void exp_f_##P(size_t n, const float *x, float *y) { BLOCKEDF(expf_k, n, x, y); }                \
    ATTR static void log_f_##P(size_t n, const float *x, float *y) { BLOCKEDF(logf_k, n, x, y); }                \
    ATTR static void log1p_f_##P(size_t n, const float *x, float *y) { BLOCKEDF(log1pf_k, n, x, y); }            \
    ATTR static void tanh_f_##P(size_t n, const float *x, float *y) { BLOCKED_PAIRF(tanhf_e, tanhf_q##FMA, n, x, y); } \
    ATTR static void sigmoid_f_##P(size_t n, const float *x, float *y) { BLOCKED_PAIRF(sigmoidf_e, sigmoidf_q##FMA, n, x, y); } \
    ATTR static void relu_f_##P(size_t n, const float *x, float *y) { relu_loop_f(n, x, y); }                    \
    ATTR static void relu_d1_f_##P(size_t n, float *d, const float *a) { relu_d1_loop_f(n, d, a); }              \
    ATTR static void tanh_d1_f_##P(size_t n, float *d, const float *h) { tanh_d1_loop_f(n, d, h); }              \
    ATTR static void sum_rows_f_##P(size_t r, size_t c, const float *x, float *s) { sum_rows_loop_f(r, c, x, s); } \
    ATTR static void narrow_##P(size_t n, const double *x, float *y) { narrow_loop(n, x, y); }                   \
    ATTR static void widen_##P(size_t n, const float *x, double *y) { widen_loop(n, x, y); }
#define PATH_ENTRY(P, NAME, SUPPORTED)                                                                           \
    {NAME, SUPPORTED, exp_##P, log_##P, log1p_##P, tanh_##P, sigmoid_##P, relu_##P, relu_d1_##P, tanh_d1_##P,    \
     sum_rows_##P, adam_##P, exp_f_##P, log_f_##P, log1p_f_##P, tanh_f_##P, sigmoid_f_##P, relu_f_##P,           \
     relu_d1_f_##P, tanh_d1_f_##P, sum_rows_f_##P, narrow_##P, widen_##P}

static int always(void) { return 1; }
PATH(base, , 0)
#ifdef PB_VMATH_X86
PATH(v3, __attribute__((target("arch=x86-64-v3"))), 1)
PATH(v4, __attribute__((target("arch=x86-64-v4"))), 1)
static int has_v3(void) { return __builtin_cpu_supports("x86-64-v3") != 0; }
static int has_v4(void) { return __builtin_cpu_supports("x86-64-v4") != 0; }
static const vm_path PATHS[] = {PATH_ENTRY(base, "x86-64", always), PATH_ENTRY(v3, "x86-64-v3 (AVX2, FMA)", has_v3),
                                PATH_ENTRY(v4, "x86-64-v4 (AVX-512)", has_v4)};
#else
static const vm_path PATHS[] = {PATH_ENTRY(base, "generic", always)};
#endif
enum { N_PATHS = sizeof PATHS / sizeof *PATHS };

static const vm_path *cur = &PATHS[0];

/* At load time: the best path this CPU runs. */
__attribute__((constructor)) static void pick_path(void)
{
#ifdef PB_VMATH_X86
    __builtin_cpu_init();
#endif
    for (int p = N_PATHS; p-- > 0;)
        if (PATHS[p].supported()) { cur = &PATHS[p]; return; }
}

int pb_vmath_paths(void) { return N_PATHS; }
int pb_vmath_path(void) { return (int)(cur - PATHS); }
const char *pb_vmath_path_name(int p) { return p >= 0 && p < N_PATHS ? PATHS[p].name : "?"; }
int pb_vmath_use_path(int p)
{
    if (p < 0 || p >= N_PATHS || !PATHS[p].supported()) return -1;
    cur = &PATHS[p];
    return 0;
}

void pb_vexp(size_t n, const double *x, double *y) { cur->exp(n, x, y); }
void pb_vlog(size_t n, const double *x, double *y) { cur->log(n, x, y); }
void pb_vlog1p(size_t n, const double *x, double *y) { cur->log1p(n, x, y); }
void pb_vtanh(size_t n, const double *x, double *y) { cur->tanh(n, x, y); }
void pb_vsigmoid(size_t n, const double *x, double *y) { cur->sigmoid(n, x, y); }
void pb_vrelu(size_t n, const double *x, double *y) { cur->relu(n, x, y); }
void pb_vmul_relu_d1(size_t n, double *d, const double *a) { cur->relu_d1(n, d, a); }
void pb_vmul_tanh_d1(size_t n, double *d, const double *h) { cur->tanh_d1(n, d, h); }

void pb_vsum_rows(size_t rows, size_t cols, const double *x, double *sum) { cur->sum_rows(rows, cols, x, sum); }
/* y[i][j] = v[j] for elements of size bytes: the first row, then the rows
 * so far copied after themselves, so O(log rows) memcpy calls instead of
 * one per row. */
static void set_rows(size_t rows, size_t cols, size_t size, const void *v, void *y)
{
    if (!rows || !cols) return;
    size_t row = cols * size;
    memcpy(y, v, row);
    for (size_t done = 1; done < rows;) {
        size_t k = done < rows - done ? done : rows - done;
        memcpy((char *)y + done * row, y, k * row);
        done += k;
    }
}
void pb_vset_rows(size_t rows, size_t cols, const double *v, double *y) { set_rows(rows, cols, sizeof *y, v, y); }

void pb_adam_update(size_t n, double *x, const double *g, double *m1, double *m2, double lr_c, double c2)
{
    cur->adam(n, x, m1, m2, lr_c, c2, 1, g, NULL, 0, NULL);  /* 1 * g is g exactly */
}

void pb_adam_update_lin(size_t n, double *x, double *m1, double *m2, double lr_c, double c2, double a, const double *ga,
                        const double *gm, double b, const double *gb)
{
    cur->adam(n, x, m1, m2, lr_c, c2, a, ga, gm, b, gb);
}

void pb_vexp_f32(size_t n, const float *x, float *y) { cur->exp_f(n, x, y); }
void pb_vlog_f32(size_t n, const float *x, float *y) { cur->log_f(n, x, y); }
void pb_vlog1p_f32(size_t n, const float *x, float *y) { cur->log1p_f(n, x, y); }
void pb_vtanh_f32(size_t n, const float *x, float *y) { cur->tanh_f(n, x, y); }
void pb_vsigmoid_f32(size_t n, const float *x, float *y) { cur->sigmoid_f(n, x, y); }
void pb_vrelu_f32(size_t n, const float *x, float *y) { cur->relu_f(n, x, y); }
void pb_vmul_relu_d1_f32(size_t n, float *d, const float *a) { cur->relu_d1_f(n, d, a); }
void pb_vmul_tanh_d1_f32(size_t n, float *d, const float *h) { cur->tanh_d1_f(n, d, h); }
void pb_vsum_rows_f32(size_t rows, size_t cols, const float *x, float *sum) { cur->sum_rows_f(rows, cols, x, sum); }
void pb_vset_rows_f32(size_t rows, size_t cols, const float *v, float *y) { set_rows(rows, cols, sizeof *y, v, y); }
void pb_vnarrow(size_t n, const double *x, float *y) { cur->narrow(n, x, y); }
void pb_vwiden(size_t n, const float *x, double *y) { cur->widen(n, x, y); }
