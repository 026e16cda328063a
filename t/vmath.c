/* vmath.c -- the vectorized kernels of harness/vmath.h against long-double
 * references (the true value to about 2^-63) and against glibc libm, over
 * wide ranges including subnormals, overflow and underflow thresholds;
 * special values (NaN, +-inf, +-0) exactly; in-place and tail handling; the
 * MLP activation helpers against their scalar formulas; the fused Adam steps
 * against the textbook formula -- all of it on every code path this CPU can
 * run (pb_vmath_use_path). Then the svd plugin's vectorized KL against the
 * long-double formula. Errors are in ulp of the true result (for a subnormal
 * or zero result, the subnormal spacing 2^-1074). */
#define _POSIX_C_SOURCE 200809L
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tap.h"
#include "host/host.h"
#include "base/util.h"
#include "base/vmath.h"

static const char *path_name = "";  /* the code path under test, in every test name */

/* ---- inputs --------------------------------------------------------------- */

static uint64_t rng_state = 0x9e3779b97f4a7c15u;
static uint64_t next_u64(void)  /* splitmix64 */
{
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15u);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}
static double unif01(void) { return (double)(next_u64() >> 11) * 0x1p-53; }
static double unif(double a, double b) { return a + (b - a) * unif01(); }
/* sign * 2^e with e uniform in [e0, e1], mantissa uniform: every binade alike */
static double logunif(double e0, double e1, int sign)
{
    double m = 1 + unif01();
    return sign * ldexp(m, (int)floor(unif(e0, e1)));
}
static double from_bits(uint64_t u) { double x; memcpy(&x, &u, sizeof x); return x; }
/* max that keeps a NaN (fmax would drop it) */
static double worse(double a, double b) { return a > b || isnan(a) ? a : b; }
static void worse_in(double *w, double e) { *w = worse(*w, e); }

/* ---- error measurement ------------------------------------------------------ */

static long double ulp_of(long double r)
{
    r = fabsl(r);
    if (r < (long double)DBL_MIN) return 0x1p-1074L;
    int e;
    frexpl(r, &e);                     /* r = f 2^e, f in [0.5, 1) */
    return ldexpl(1.0L, e - 53);
}

/* |got - ref| in ulp of ref; got = +-inf must match a reference beyond DBL_MAX. */
static double ulp_err(double got, long double ref)
{
    if (isinf(got) || fabsl(ref) > (long double)DBL_MAX)
        return isinf(got) && fabsl(ref) >= (long double)DBL_MAX && (got > 0) == (ref > 0) ? 0 : INFINITY;
    if (isnan(got)) return INFINITY;
    return (double)(fabsl((long double)got - ref) / ulp_of(ref));
}

typedef struct fn {
    const char *name;
    void (*vec)(size_t, const double *, double *);
    double (*libm)(double);
    long double (*ref)(long double);
    double bound;  /* ulp, the documented maximum (vmath.h) */
} fn;

static double sigmoid_libm(double x) { return 1 / (1 + exp(-x)); }
static long double sigmoidl(long double x) { return 1 / (1 + expl(-x)); }

/* Max error of fn->vec over x[0..n), beside libm's, and the max distance
 * vmath - libm; the test: vmath within the documented bound. */
static void check_accuracy(const fn *f, const char *range, size_t n, const double *x)
{
    double *y = malloc(n * sizeof *y);
    TAP_REQUIRE(y);
    f->vec(n, x, y);
    double ev = 0, el = 0, evl = 0, at = 0;
    for (size_t i = 0; i < n; i++) {
        long double r = f->ref(x[i]);
        double l = f->libm(x[i]);
        double e = ulp_err(y[i], r);
        if (e > ev) ev = e, at = x[i];
        el = worse(el, ulp_err(l, r));
        evl = worse(evl, ulp_err(y[i], l));
    }
    ok(ev <= f->bound, "[%s] %s over %s (%zu points): max error %.3f ulp (at %.17g), bound %g; libm %.3f ulp; "
       "|vmath - libm| <= %.3f ulp", path_name, f->name, range, n, ev, at, f->bound, el, evl);
    free(y);
}

/* ---- special values ----------------------------------------------------------- */

static int same(double got, double want)  /* NaN matches NaN; zeros by sign */
{
    if (isnan(want)) return isnan(got);
    return got == want && signbit(got) == signbit(want);
}

static void check_special(const char *name, void (*vec)(size_t, const double *, double *), size_t n,
                          const double *x, const double *want)
{
    double y[32];
    TAP_REQUIRE(n <= 32);
    vec(n, x, y);
    int good = 1;
    for (size_t i = 0; i < n; i++)
        if (!same(y[i], want[i])) good = 0, diag("%s(%g) = %.17g, expected %.17g", name, x[i], y[i], want[i]);
    ok(good, "[%s] %s: special values (NaN, +-inf, +-0, thresholds) exactly as C99 Annex F", path_name, name);
}

/* ---- in place and tails: every element is computed alike wherever it sits ---- */

static void check_layout(const fn *f)
{
    enum { N = 300 };
    double x[N], y[N], z[N], t[N];
    for (size_t i = 0; i < N; i++) x[i] = unif(-3, 3) + 1.5;
    f->vec(N, x, y);
    memcpy(z, x, sizeof z);
    f->vec(N, z, z);                       /* in place */
    int good = !memcmp(y, z, sizeof y);
    for (size_t off = 0; off < 70 && good; off += 7)   /* offsets and lengths around the block size */
        for (size_t len = 0; off + len <= N && len < 140 && good; len += 13) {
            memset(t, 0, sizeof t);
            f->vec(len, x + off, t);
            good = !memcmp(t, y + off, len * sizeof *t);
            for (size_t i = len; i < N && good; i++) good = t[i] == 0;  /* nothing written past n */
        }
    ok(good, "[%s] %s: in place = out of place, any offset and length gives the same bits, nothing past n written",
       path_name, f->name);
}

/* ---- the MLP helpers ----------------------------------------------------------- */

static void check_activations(void)
{
    enum { N = 1000 };
    static double a[N], h[N], d[N], e[N], y[N];
    for (size_t i = 0; i < N; i++) a[i] = unif(-4, 4), d[i] = unif(-2, 2);
    a[0] = 0, a[1] = -0.0, a[2] = NAN, a[3] = INFINITY, a[4] = -INFINITY, d[5] = NAN, d[6] = INFINITY;
    pb_vrelu(N, a, y);
    int good = 1;
    for (size_t i = 0; i < N; i++) good &= same(y[i], a[i] > 0 ? a[i] : 0);
    ok(good, "[%s] pb_vrelu = (a > 0 ? a : 0) exactly, including NaN -> 0 and -0 -> 0", path_name);
    memcpy(e, d, sizeof e);
    pb_vmul_relu_d1(N, e, a);
    good = 1;
    for (size_t i = 0; i < N; i++) good &= same(e[i], d[i] * (a[i] > 0 ? 1 : 0));
    ok(good && isnan(e[5]) && (a[6] > 0 || isnan(e[6])), "[%s] pb_vmul_relu_d1 = d * (a > 0) exactly; NaN and inf in d propagate",
       path_name);
    for (size_t i = 0; i < N; i++) h[i] = tanh(a[i]);
    memcpy(e, d, sizeof e);
    pb_vmul_tanh_d1(N, e, h);
    double worst = 0;
    for (size_t i = 0; i < N; i++) {
        if (isnan(d[i]) || isnan(h[i]) || isinf(d[i])) { good &= isnan(e[i]) || isinf(e[i]); continue; }
        /* in units of the rounding of the formula's terms: eps |d| (1 + h^2) (1 - h^2 cancels near |h| = 1) */
        long double want = (long double)d[i] * (1 - (long double)h[i] * h[i]);
        worse_in(&worst, (double)(fabsl(e[i] - want) / (DBL_EPSILON * fabsl((long double)d[i]) * (1 + h[i] * h[i]))));
    }
    ok(good && worst <= 2, "[%s] pb_vmul_tanh_d1 = d (1 - h^2) within %.2f eps |d| (1 + h^2) (bound 2), NaN propagates",
       path_name, worst);
}

/* ---- the row helpers: bitwise the plain loops ---------------------------------------- */

static void check_rows(void)
{
    enum { R = 37, C = 41 };
    static double x[R * C], y[R * C], s1[C], s2[C], v[C];
    int sum_ok = 1, set_ok = 1;
    for (size_t rows = 0; rows <= R; rows += 3)
        for (size_t cols = 1; cols <= C; cols += 5) {
            for (size_t k = 0; k < rows * cols; k++) x[k] = unif(-1, 1) * pow(10, unif(-8, 8));
            if (rows > 2) x[cols] = rows % 2 ? NAN : INFINITY;   /* row 1 */
            for (size_t j = 0; j < cols; j++) s1[j] = s2[j] = unif(-1, 1), v[j] = unif(-5, 5);
            pb_vsum_rows(rows, cols, x, s1);
            for (size_t i = 0; i < rows; i++)
                for (size_t j = 0; j < cols; j++) s2[j] += x[i * cols + j];
            for (size_t j = 0; j < cols; j++) sum_ok &= same(s1[j], s2[j]);
            for (size_t k = 0; k < R * C; k++) y[k] = -7;
            pb_vset_rows(rows, cols, v, y);
            for (size_t k = 0; k < R * C; k++) set_ok &= y[k] == (k < rows * cols ? v[k % cols] : -7);
        }
    ok(sum_ok, "[%s] pb_vsum_rows = the row-by-row loop bitwise (NaN and inf included), shapes up to %d x %d", path_name,
       R, C);
    ok(set_ok, "[%s] pb_vset_rows: every row = v, nothing past rows x cols written", path_name);
}

/* ---- Adam ----------------------------------------------------------------------- */

/* One step of pb_adam_update_lin (g = a ga .* gm + b gb; gm, gb optional)
 * from random states against the textbook formula as harness/train.c writes
 * it, 200 times over N entries, restarting each step from the textbook state
 * so the comparison stays one step deep. */
static void check_adam_step(int use_gm, int use_gb)
{
    enum { N = 4099 };
    static double x[N], ga[N], gm[N], gb[N], m1[N], m2[N], xr[N], m1r[N], m2r[N];
    const double b1 = 0.9, b2 = 0.999, eps = 1e-8, lr = 1e-3, a = 0.25, b = 1e-3;
    double worst_m = 0, worst_x = 0;
    for (size_t i = 0; i < N; i++) {
        xr[i] = unif(-3, 3);
        m1r[i] = unif(-1, 1) * pow(10, unif(-8, 1));
        m2r[i] = pow(10, unif(-16, 1));
    }
    m2r[0] = m1r[0] = 0;
    for (size_t t = 1; t <= 200; t++) {
        double c1 = 1 - pow(b1, (double)t), c2 = 1 - pow(b2, (double)t);
        for (size_t i = 0; i < N; i++) {
            ga[i] = i == 0 ? 0 : unif(-1, 1) * pow(10, unif(-6, 2));
            gm[i] = pow(10, unif(-3, 3)), gb[i] = i == 0 ? 0 : unif(-1, 1) * pow(10, unif(-6, 2));
            x[i] = xr[i], m1[i] = m1r[i], m2[i] = m2r[i];
        }
        if (!use_gm && !use_gb) pb_adam_update(N, x, ga, m1, m2, lr / c1, c2);
        else pb_adam_update_lin(N, x, m1, m2, lr / c1, c2, a, ga, use_gm ? gm : NULL, b, use_gb ? gb : NULL);
        for (size_t i = 0; i < N; i++) {
            double g = !use_gm && !use_gb ? ga[i] : a * ga[i] * (use_gm ? gm[i] : 1) + (use_gb ? b * gb[i] : 0);
            double gsize = !use_gm && !use_gb ? fabs(ga[i]) : fabs(a * ga[i] * (use_gm ? gm[i] : 1)) + (use_gb ? fabs(b * gb[i]) : 0);
            double u = b1 * m1r[i] + (1 - b1) * g, v = b2 * m2r[i] + (1 - b2) * g * g;
            double step = lr * (u / c1) / (sqrt(v / c2) + eps);
            /* moments relative to the sizes of their terms (the gradient's terms, and m1's, may cancel) */
            double s1 = b1 * fabs(m1r[i]) + (1 - b1) * gsize, s2 = b2 * m2r[i] + (1 - b2) * gsize * gsize;
            worst_m = worse(worst_m, worse(fabs(m1[i] - u) / (s1 + 1e-300), fabs(m2[i] - v) / (s2 + 1e-300)));
            /* x: a few ulp of the step (and of the step's own inputs) plus the rounding of x - step */
            double ds = lr * (s1 / c1) / (sqrt(v / c2) + eps);
            worst_x = worse(worst_x, fabs(x[i] - (xr[i] - step)) / (DBL_EPSILON * (fabs(xr[i]) + ds)));
            m1r[i] = u, m2r[i] = v, xr[i] -= step;
        }
    }
    ok(worst_m <= 4 * DBL_EPSILON && worst_x <= 8,
       "[%s] %s = textbook Adam, 200 steps x %d entries: moments within %.2g of their terms, "
       "x within %.2f eps (|x| + |step|) (bound 8)", path_name,
       !use_gm && !use_gb ? "pb_adam_update" : use_gm && use_gb ? "pb_adam_update_lin (g = a ga gm + b gb)"
       : use_gm ? "pb_adam_update_lin (g = a ga gm)" : "pb_adam_update_lin (g = a ga + b gb)", N, worst_m, worst_x);
}

static void check_adam(void)
{
    check_adam_step(0, 0);
    check_adam_step(1, 1);
    check_adam_step(1, 0);
    check_adam_step(0, 1);
    double x0[2] = {1.5, -2}, z[2] = {0}, m1[2] = {0}, m2[2] = {0};
    pb_adam_update(2, x0, z, m1, m2, 0.1, 0.001);
    ok(x0[0] == 1.5 && x0[1] == -2 && m1[0] == 0 && m2[1] == 0,
       "[%s] pb_adam_update: zero gradient and zero moments leave x unchanged", path_name);
    double xs[3] = {1, 2, 3}, gs[3] = {0.5, NAN, INFINITY}, a1[3] = {0}, a2[3] = {0};
    pb_adam_update(3, xs, gs, a1, a2, 0.1, 0.001);
    ok(isfinite(xs[0]) && isnan(xs[1]) && isnan(xs[2]),
       "[%s] pb_adam_update: NaN and inf gradients make x NaN (divergence stays visible)", path_name);
    /* a run: 2000 steps on f(x) = sum c_i (x_i - x*_i)^2 go where the textbook loop goes */
    enum { N = 1000 };
    static double x[N], g[N], p1[N], p2[N], xr[N], r1[N], r2[N];
    const double b1 = 0.9, b2 = 0.999, eps = 1e-8;
    for (size_t i = 0; i < N; i++) x[i] = xr[i] = 0, p1[i] = p2[i] = r1[i] = r2[i] = 0;
    for (size_t t = 1; t <= 2000; t++) {
        double c1 = 1 - pow(b1, (double)t), c2 = 1 - pow(b2, (double)t);
        for (size_t i = 0; i < N; i++) g[i] = 2 * (1 + (double)(i % 7)) * (x[i] - (0.3 + 1e-3 * (double)i));
        pb_adam_update(N, x, g, p1, p2, 1e-2 / c1, c2);
        for (size_t i = 0; i < N; i++) {
            double gi = 2 * (1 + (double)(i % 7)) * (xr[i] - (0.3 + 1e-3 * (double)i));
            r1[i] = b1 * r1[i] + (1 - b1) * gi, r2[i] = b2 * r2[i] + (1 - b2) * gi * gi;
            xr[i] -= 1e-2 * (r1[i] / c1) / (sqrt(r2[i] / c2) + eps);
        }
    }
    double dx = 0, dmin = 0;
    for (size_t i = 0; i < N; i++)
        dx = worse(dx, fabs(x[i] - xr[i])), dmin = worse(dmin, fabs(x[i] - (0.3 + 1e-3 * (double)i)));
    ok(dx < 1e-9 && dmin < 1e-2,
       "[%s] 2000 Adam steps on a quadratic: fused and textbook runs agree to %.1e, at the minimum to %.1e", path_name,
       dx, dmin);
}

/* ---- throughput, for the record (not asserted) ------------------------------------ */

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static void timing(const fn *f, double lo, double hi)
{
    enum { N = 1 << 16, R = 20 };
    static double x[N], y[N];
    for (size_t i = 0; i < N; i++) x[i] = unif(lo, hi);
    double t0 = now();
    for (int r = 0; r < R; r++) f->vec(N, x, y);
    double tv = (now() - t0) / ((double)N * R);
    t0 = now();
    volatile double sink = 0;
    for (int r = 0; r < R; r++) {
        double s = 0;
        for (size_t i = 0; i < N; i++) s += f->libm(x[i]);
        sink += s;
    }
    double tl = (now() - t0) / ((double)N * R);
    (void)sink;
    diag("[%s] %-10s %.2f ns/element, libm %.2f ns/element (x in [%g, %g])", path_name, f->name, 1e9 * tv, 1e9 * tl, lo,
         hi);
}

/* ---- main --------------------------------------------------------------------------- */

/* Everything above on the code path in use. */
static void check_path(void)
{
    enum { M = 1 << 18 };
    static double x[M];
    const fn EXP = {"pb_vexp", pb_vexp, exp, expl, 1};
    const fn LOG = {"pb_vlog", pb_vlog, log, logl, 1};
    const fn LOG1P = {"pb_vlog1p", pb_vlog1p, log1p, log1pl, 1};
    const fn TANH = {"pb_vtanh", pb_vtanh, tanh, tanhl, 2.5};
    const fn SIGM = {"pb_vsigmoid", pb_vsigmoid, sigmoid_libm, sigmoidl, 2.5};

    /* exp: the whole finite range, the reduced range densely, subnormal results */
    for (size_t i = 0; i < M; i++) x[i] = unif(-745.2, 709.79);
    check_accuracy(&EXP, "[-745.2, 709.79] uniform", M, x);
    for (size_t i = 0; i < M; i++) x[i] = unif(-2, 2);
    check_accuracy(&EXP, "[-2, 2]", M, x);
    for (size_t i = 0; i < M; i++) x[i] = logunif(-1074, 0, i % 2 ? 1 : -1);
    check_accuracy(&EXP, "+-[2^-1074, 1] log-uniform", M, x);
    for (size_t i = 0; i < M; i++) x[i] = unif(-745.2, -708.3);
    check_accuracy(&EXP, "[-745.2, -708.3] (subnormal results)", M, x);
    {
        double in[] = {NAN, -NAN, INFINITY, -INFINITY, 0.0, -0.0, 709.782712893384, 709.7827128933841, 710, 1e308,
                       -745.1332191019411, -745.1332191019412, -746, -1e308, 0x1p-1074};
        double want[] = {NAN, NAN, INFINITY, 0, 1, 1, exp(709.782712893384), INFINITY, INFINITY, INFINITY,
                         exp(-745.1332191019411), 0, 0, 0, 1};
        check_special("pb_vexp", pb_vexp, sizeof in / sizeof *in, in, want);
    }

    /* log: every binade of the positive doubles, subnormals, near 1 */
    for (size_t i = 0; i < M; i++) x[i] = logunif(-1074, 1024, 1);
    check_accuracy(&LOG, "(0, DBL_MAX] log-uniform incl. subnormals", M, x);
    for (size_t i = 0; i < M; i++) x[i] = from_bits(next_u64() >> 1);  /* random bit patterns, positive */
    for (size_t i = 0; i < M; i++) if (!isfinite(x[i]) || x[i] == 0) x[i] = 1;
    check_accuracy(&LOG, "random positive bit patterns", M, x);
    for (size_t i = 0; i < M; i++) x[i] = 1 + unif(-0.3, 0.42);
    check_accuracy(&LOG, "[0.7, 1.42] (around 1)", M, x);
    for (size_t i = 0; i < M; i++) x[i] = 1 + logunif(-60, -1, i % 2 ? 1 : -1);
    check_accuracy(&LOG, "1 +- [2^-60, 2^-1]", M, x);
    {
        double in[] = {NAN, INFINITY, -INFINITY, 0.0, -0.0, -1, -1e-300, 1, 2, 0x1p-1074, DBL_MAX, 0x1p-1022};
        double want[] = {NAN, INFINITY, NAN, -INFINITY, -INFINITY, NAN, NAN, 0, log(2.0), log(0x1p-1074), log(DBL_MAX),
                         log(0x1p-1022)};
        check_special("pb_vlog", pb_vlog, sizeof in / sizeof *in, in, want);
    }

    /* log1p: tiny and subnormal x, around 0, up to -1, large */
    for (size_t i = 0; i < M; i++) x[i] = logunif(-1074, 0, i % 2 ? 1 : -1);
    for (size_t i = 0; i < M; i++) if (x[i] <= -1) x[i] = -0.5;
    check_accuracy(&LOG1P, "+-[2^-1074, 1) log-uniform", M, x);
    for (size_t i = 0; i < M; i++) x[i] = logunif(0, 1024, 1);
    check_accuracy(&LOG1P, "[1, DBL_MAX] log-uniform", M, x);
    for (size_t i = 0; i < M; i++) x[i] = -1 + logunif(-53, -1, 1);
    check_accuracy(&LOG1P, "-1 + [2^-53, 2^-1]", M, x);
    for (size_t i = 0; i < M; i++) x[i] = unif(-0.999, 10);
    check_accuracy(&LOG1P, "[-0.999, 10]", M, x);
    {
        double in[] = {NAN, INFINITY, -INFINITY, 0.0, -0.0, -1, -1.5, 0x1p-1074, -0x1p-1074, 1, DBL_MAX, 0x1p53, 0x1p53 + 2};
        double want[] = {NAN, INFINITY, NAN, 0.0, -0.0, -INFINITY, NAN, 0x1p-1074, -0x1p-1074, log(2.0), log(DBL_MAX),
                         log1p(0x1p53), log1p(0x1p53 + 2)};
        check_special("pb_vlog1p", pb_vlog1p, sizeof in / sizeof *in, in, want);
    }

    /* tanh: the transition range densely, tiny, large */
    for (size_t i = 0; i < M; i++) x[i] = unif(-22, 22);
    check_accuracy(&TANH, "[-22, 22]", M, x);
    for (size_t i = 0; i < M; i++) x[i] = unif(-1.2, 1.2);
    check_accuracy(&TANH, "[-1.2, 1.2]", M, x);
    for (size_t i = 0; i < M; i++) x[i] = logunif(-1074, 1024, i % 2 ? 1 : -1);
    check_accuracy(&TANH, "+-[2^-1074, DBL_MAX] log-uniform", M, x);
    {
        double in[] = {NAN, INFINITY, -INFINITY, 0.0, -0.0, 20, -20, 19.5, 1e300, 0x1p-1074, -0x1p-1074, 0x1p-30};
        double want[] = {NAN, 1, -1, 0.0, -0.0, 1, -1, 1, 1, 0x1p-1074, -0x1p-1074, tanh(0x1p-30)};
        check_special("pb_vtanh", pb_vtanh, sizeof in / sizeof *in, in, want);
    }

    /* sigmoid: the range where it is not 0 or 1 to double precision, and beyond */
    for (size_t i = 0; i < M; i++) x[i] = unif(-709.7, 40);
    check_accuracy(&SIGM, "[-709.7, 40]", M, x);
    for (size_t i = 0; i < M; i++) x[i] = unif(-20, 20);
    check_accuracy(&SIGM, "[-20, 20]", M, x);
    {
        double in[] = {NAN, INFINITY, -INFINITY, 0.0, -0.0, 40, -745, -1e300, 1e300};
        double want[] = {NAN, 1, 0, 0.5, 0.5, 1, 0, 0, 1};
        check_special("pb_vsigmoid", pb_vsigmoid, sizeof in / sizeof *in, in, want);
    }

    const fn *all[] = {&EXP, &LOG, &LOG1P, &TANH, &SIGM};
    for (size_t i = 0; i < 5; i++) check_layout(all[i]);
    check_activations();
    check_rows();
    check_adam();

    timing(&EXP, -10, 10);
    timing(&LOG, 1e-8, 10);
    timing(&LOG1P, 1e-4, 3000);
    timing(&TANH, -3, 3);
    timing(&SIGM, -10, 10);
}

/* ---- the svd plugin's KL ------------------------------------------------------------ */

/* Its kernels are copies of the ones above (a plugin cannot link the
 * harness): its KL, gradients and sum against the formula of plugins/svd.c's
 * header in long double. */
static long double kl_ref(double th, double ls, long double *dth, long double *dls, int *edge)
{
    const long double K1 = 0.63576L, K2 = 1.87320L, K3 = 1.48695L;
    long double t2 = (long double)th * th + 1e-8L, la = ls - logl(t2);
    *edge = fabsl(fabsl(la) - 8) < 1e-9L;  /* the clip decision could go either way */
    int clipped = la < -8 || la > 8;
    if (la < -8) la = -8;
    if (la > 8) la = 8;
    long double s = 1 / (1 + expl(-(K2 + K3 * la))), e = expl(-la);
    long double d = clipped ? 0 : -K1 * K3 * s * (1 - s) - 0.5L * e / (1 + e);
    *dls = d;
    *dth = d * (-2 * th / t2);
    return K1 - K1 * s + 0.5L * log1pl(e);
}

/* The formula in double with libm, as plugins/svd.c computed it before vectorization. */
static double kl_libm(double th, double ls, double *dth, double *dls)
{
    const double K1 = 0.63576, K2 = 1.87320, K3 = 1.48695;
    double t2 = th * th + 1e-8, la = ls - log(t2);
    int clipped = la < -8 || la > 8;
    if (la < -8) la = -8;
    if (la > 8) la = 8;
    double s = 1 / (1 + exp(-(K2 + K3 * la))), e = exp(-la);
    double d = clipped ? 0 : -K1 * K3 * s * (1 - s) - 0.5 * e / (1 + e);
    *dls = d;
    *dth = d * (-2 * th / t2);
    return K1 - K1 * s + 0.5 * log1p(e);
}

/* Errors in units of what the formula's conditioning allows: log alpha =
 * log sigma^2 - log(theta^2 + 1e-8) carries an absolute rounding error of
 * about eps L, L = |log sigma^2| + |log(theta^2 + 1e-8)| (cancellation when
 * they are close), which moves the KL by |dKL/dla| eps L and its derivative
 * by at most 0.5 eps L (|d^2 KL/dla^2| < 0.5). So:
 *   KL:  |got - want| / (eps (|KL| + |d| L)),   d: |got - want| / (eps (|d| + 0.5 L)),
 *   dtheta = d (-2 theta / t2): the d error times |2 theta / t2|. */
typedef struct kl_err { double kl, d, dth; } kl_err;
static void kl_errors(double th, double ls, double kl, double d, double dt, long double rkl, long double rd, long double rdt,
                      kl_err *w)
{
    long double L = fabsl((long double)ls) + fabsl(logl((long double)th * th + 1e-8L)) + 1;
    long double sc = fabsl(2 * th / ((long double)th * th + 1e-8L));
    worse_in(&w->kl, (double)(fabsl(kl - rkl) / (DBL_EPSILON * (fabsl(rkl) + fabsl(rd) * L))));
    worse_in(&w->d, (double)(fabsl(d - rd) / (DBL_EPSILON * (fabsl(rd) + 0.5L * L))));
    worse_in(&w->dth, sc == 0 ? (dt == 0 ? 0 : INFINITY)   /* theta = 0: exactly 0 */
                              : (double)(fabsl(dt - rdt) / (DBL_EPSILON * sc * (fabsl(rd) + 0.5L * L))));
}

static void check_svd_kl(void)
{
    const char *bdir = getenv("PB_BUILD") ? getenv("PB_BUILD") : "build";
    char path[1024];
    snprintf(path, sizeof path, "%s/plugins/svd.so", bdir);
    pb_plugin p;
    if (pb_plugin_open(path, &p) || !p.method.training) {
        diag("%s: %s", path, pb_last_error());
        skip(3, "the svd plugin is not built");
        return;
    }
    enum { N = 100003 };
    static double th[N], ls[N], dth[N], dls[N];
    for (size_t j = 0; j < N; j++) {
        th[j] = (j % 2 ? 1 : -1) * pow(10, unif(-6, 1.5));
        ls[j] = unif(-13, 13) + log(th[j] * th[j] + 1e-8);   /* log alpha in [-13, 13]: both clips and between */
    }
    th[0] = 0, ls[0] = -10, th[1] = 1e-300, ls[1] = 5;
    double kl = p.method.training->kl(NULL, N, th, ls, dth, dls);
    long double sum = 0;
    kl_err ev = {0, 0, 0}, el = {0, 0, 0};
    size_t edges = 0;
    int zero = 1;
    for (size_t j = 0; j < N; j++) {
        long double rdth, rdls;
        int edge;
        long double k = kl_ref(th[j], ls[j], &rdth, &rdls, &edge);
        sum += k;
        if (edge) { edges++; continue; }
        if (rdls == 0) zero &= dls[j] == 0 && dth[j] == 0;
        double d1, d2, k1 = j % 10 ? NAN : p.method.training->kl(NULL, 1, th + j, ls + j, &d1, &d2);
        kl_errors(th[j], ls[j], j % 10 ? (double)k : k1, dls[j], dth[j], k, rdls, rdth, &ev);
        double lk = kl_libm(th[j], ls[j], &d1, &d2);
        kl_errors(th[j], ls[j], lk, d2, d1, k, rdls, rdth, &el);
    }
    ok(ev.kl <= 4, "svd KL per weight = the long-double formula within %.2f (bound 4; the libm formula: %.2f) "
       "eps (|KL| + |dKL/dla| L), log alpha in [-13, 13]", ev.kl, el.kl);
    ok(ev.d <= 4 && ev.dth <= 4 && zero, "svd dKL/dlog sigma^2 and dKL/dtheta within %.2f and %.2f (bound 4; libm: %.2f, %.2f) "
       "eps (|d| + L/2), exactly 0 where clipped (%zu points on the clip edge left out)", ev.d, ev.dth, el.d, el.dth, edges);
    double rs = (double)(fabsl(kl - sum) / sum);
    ok(rs < 1e-14, "svd KL of %d weights = the long-double sum to %.1e relative (bound 1e-14)", N, rs);
    pb_plugin_close(&p);
}

int main(void)
{
    int cur = pb_vmath_path(), per_path = 0;  /* path 0, the baseline, always runs: it counts the tests */
    for (int p = 0; p < pb_vmath_paths(); p++) {
        path_name = pb_vmath_path_name(p);
        if (pb_vmath_use_path(p)) {
            skip(per_path, "this CPU cannot run the path");
            diag("path %s: not supported on this CPU, skipped", path_name);
            continue;
        }
        diag("path %s%s", path_name, p == cur ? " (the one in use)" : "");
        int before = tap_run;
        check_path();
        if (p == 0) per_path = tap_run - before;
    }
    is_int(pb_vmath_use_path(cur), 0, "back to the path picked at load time (%s)", pb_vmath_path_name(cur));
    ok(pb_vmath_use_path(pb_vmath_paths()) == -1 && pb_vmath_use_path(-1) == -1, "pb_vmath_use_path refuses a path that does not exist");
    check_svd_kl();
    return done_testing();
}
