/* vmath.c -- see vmath.h.
 *
 * Each kernel is a branch-free scalar function of one double (selects, not
 * branches; bit manipulation through memcpy), applied by a loop gcc
 * vectorizes. The y = f(x) functions run their kernel over blocks of BLK
 * elements copied into local arrays, so the vector loop has a fixed count
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
 * LN2_HI having 32 significant bits so k LN2_HI is exact for |k| < 2^21.
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

/* y = KERNEL(x), or with two kernels y = K2(K1(x), x), blockwise through
 * local arrays (see the top of the file). */
#define BLOCKED2(K1, K2, n, x, y)                                           \
    do {                                                                    \
        double in_[BLK], mid_[BLK], out_[BLK];                              \
        for (size_t i0 = 0; i0 < (n); i0 += BLK) {                          \
            size_t m_ = (n) - i0 < BLK ? (n) - i0 : BLK;                    \
            if (m_ == BLK) memcpy(in_, (x) + i0, sizeof in_);               \
            else {                                                          \
                memcpy(in_, (x) + i0, m_ * sizeof *in_);                    \
                memset(in_ + m_, 0, (BLK - m_) * sizeof *in_);              \
            }                                                               \
            for (size_t i = 0; i < BLK; i++) mid_[i] = K1(in_[i]);          \
            for (size_t i = 0; i < BLK; i++) out_[i] = K2(mid_[i], in_[i]); \
            if (m_ == BLK) memcpy((y) + i0, out_, sizeof out_);             \
            else memcpy((y) + i0, out_, m_ * sizeof *out_);                 \
        }                                                                   \
    } while (0)
KERNEL double first(double v, double x) { (void)x; return v; }
#define BLOCKED(KERNEL, n, x, y) BLOCKED2(KERNEL, first, n, x, y)

/* Loops of the elementwise helpers. Plain loops: correct for any overlap
 * (gcc checks at run time and takes the vector loop only when the arrays do
 * not overlap). */
KERNEL void relu_loop(size_t n, const double *x, double *y)
{
    for (size_t i = 0; i < n; i++) y[i] = x[i] > 0 ? x[i] : 0;
}

KERNEL void relu_d1_loop(size_t n, double *d, const double *a)
{
    for (size_t i = 0; i < n; i++) d[i] *= a[i] > 0 ? 1 : 0;
}

KERNEL void tanh_d1_loop(size_t n, double *d, const double *h)
{
    for (size_t i = 0; i < n; i++) d[i] *= 1 - h[i] * h[i];
}

/* sum[j] += x[0][j] + x[1][j] + ... (rows in order) */
KERNEL void sum_rows_loop(size_t rows, size_t cols, const double *restrict x, double *restrict sum)
{
    for (size_t i = 0; i < rows; i++)
        for (size_t j = 0; j < cols; j++) sum[j] += x[i * cols + j];
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
typedef struct vm_path {
    const char *name;
    int (*supported)(void);
    vfun *exp, *log, *log1p, *tanh, *sigmoid, *relu;
    dfun *relu_d1, *tanh_d1;
    rfun *sum_rows;
    afun *adam;
} vm_path;

/* Path P's functions, compiled with attribute ATTR (a target, or nothing). */
#define PATH(P, ATTR)                                                                                            \
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
    }
#define PATH_ENTRY(P, NAME, SUPPORTED) \
    {NAME, SUPPORTED, exp_##P, log_##P, log1p_##P, tanh_##P, sigmoid_##P, relu_##P, relu_d1_##P, tanh_d1_##P, \
     sum_rows_##P, adam_##P}

static int always(void) { return 1; }
PATH(base, )
#ifdef PB_VMATH_X86
PATH(v3, __attribute__((target("arch=x86-64-v3"))))
PATH(v4, __attribute__((target("arch=x86-64-v4"))))
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
/* y[i][j] = v[j]: the first row, then the rows so far copied after
 * themselves, so O(log rows) memcpy calls instead of one per row. */
void pb_vset_rows(size_t rows, size_t cols, const double *v, double *y)
{
    if (!rows || !cols) return;
    memcpy(y, v, cols * sizeof *y);
    for (size_t done = 1; done < rows;) {
        size_t k = done < rows - done ? done : rows - done;
        memcpy(y + done * cols, y, k * cols * sizeof *y);
        done += k;
    }
}

void pb_adam_update(size_t n, double *x, const double *g, double *m1, double *m2, double lr_c, double c2)
{
    cur->adam(n, x, m1, m2, lr_c, c2, 1, g, NULL, 0, NULL);  /* 1 * g is g exactly */
}

void pb_adam_update_lin(size_t n, double *x, double *m1, double *m2, double lr_c, double c2, double a, const double *ga,
                        const double *gm, double b, const double *gb)
{
    cur->adam(n, x, m1, m2, lr_c, c2, a, ga, gm, b, gb);
}
