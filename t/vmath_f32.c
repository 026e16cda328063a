/* vmath_f32.c -- the float kernels of base/vmath.h (the _f32 functions,
 * pb_vnarrow, pb_vwiden) on every code path this CPU can run.
 *
 * Accuracy: errors in float ulp of the true result (for a result below
 * FLT_MIN, the subnormal spacing 2^-149; an inf counts as 2^128), against
 * glibc's double functions on the float input converted to double (their
 * own error, below 2^-28 float ulp, does not matter here). Points: a strided
 * scan of all 2^32 float bit patterns (every binade, subnormals, NaNs),
 * every float of dense ranges (whole binades of the reduced argument, the
 * overflow and underflow thresholds, every input with a subnormal result),
 * random points. Each reference is computed once and compared with every
 * path. Then special values exactly, in place and tails, the activation and
 * row helpers against their scalar formulas, the conversions against C
 * casts. */
#define _POSIX_C_SOURCE 200809L
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "base/vmath.h"

enum { MAXP = 8, CH = 1 << 16 };
static int n_paths, runs[MAXP];  /* paths, and which of them this CPU runs */

static uint64_t rng_state = 0x243f6a8885a308d3u;
static uint64_t next_u64(void)  /* splitmix64 */
{
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15u);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}
static double unif(double a, double b) { return a + (b - a) * ((double)(next_u64() >> 11) * 0x1p-53); }
static float f_of(uint32_t u) { float x; memcpy(&x, &u, sizeof x); return x; }
static uint32_t bits_of(float x) { uint32_t u; memcpy(&u, &x, sizeof u); return u; }

/* |got - ref| in float ulp of ref */
static double ulp_err(float got, double ref)
{
    if (isnan(ref) || isnan(got)) return isnan(ref) && isnan(got) ? 0 : INFINITY;
    if (fabs(ref) >= 0x1p128) return isinf(got) && (got > 0) == (ref > 0) ? 0 : INFINITY;
    double g = isinf(got) ? copysign(0x1p128, got) : got;
    int e;
    frexp(ref, &e);  /* |ref| in [2^(e-1), 2^e) */
    double ulp = fabs(ref) < FLT_MIN ? 0x1p-149 : ldexp(1, e - 24);
    return fabs(g - ref) / ulp;
}

typedef struct fn {
    const char *name;
    void (*vec)(size_t, const float *, float *);
    double (*ref)(double);
    double bound;  /* float ulp, the documented maximum (vmath.h) */
} fn;

static double sigmoid_ref(double x) { return 1 / (1 + exp(-x)); }

/* ---- accuracy: a source of points, the reference once, every path -------- */

typedef struct src {
    const char *what;
    size_t n;                    /* points */
    float (*at)(const struct src *, size_t);
    uint32_t a, b;               /* ranges of bits, or stride and offset */
    double lo, hi;               /* random ranges */
} src;

static float strided(const src *s, size_t i) { return f_of((uint32_t)(i * s->a + s->b)); }
/* every float with bits in [a, b]: with the sign bit, the negative ones */
static float every(const src *s, size_t i) { return f_of(s->a + (uint32_t)i); }
static float random_in(const src *s, size_t i) { (void)i; return (float)unif(s->lo, s->hi); }

static src all_bits(uint32_t stride, uint32_t off)
{
    src s = {"a strided scan of all 2^32 bit patterns", (size_t)((0x1p32 - off - 1) / stride) + 1, strided, stride, off,
             0, 0};
    return s;
}
/* every float from x0 up to x1 (x0 <= x1 of one sign; for negatives, give them in increasing magnitude) */
static src every_float(const char *what, float x0, float x1)
{
    src s = {what, (size_t)(bits_of(x1) - bits_of(x0)) + 1, every, bits_of(x0), bits_of(x1), 0, 0};
    return s;
}
static src random_pts(const char *what, size_t n, double lo, double hi)
{
    src s = {what, n, random_in, 0, 0, lo, hi};
    return s;
}

static void check_accuracy(const fn *f, src s)
{
    static float x[CH], y[CH];
    static double r[CH];
    double worst[MAXP] = {0}, where[MAXP] = {0};
    for (size_t i0 = 0; i0 < s.n; i0 += CH) {
        size_t m = s.n - i0 < CH ? s.n - i0 : CH;
        for (size_t i = 0; i < m; i++) x[i] = s.at(&s, i0 + i), r[i] = f->ref(x[i]);
        for (int p = 0; p < n_paths; p++) {
            if (!runs[p]) continue;
            pb_vmath_use_path(p);
            f->vec(m, x, y);
            for (size_t i = 0; i < m; i++) {
                double e = ulp_err(y[i], r[i]);
                if (e > worst[p] || isnan(e)) worst[p] = e, where[p] = x[i];
            }
        }
    }
    for (int p = 0; p < n_paths; p++) {
        if (!runs[p]) { skip(1, "this CPU cannot run the path"); continue; }
        ok(worst[p] <= f->bound, "[%s] %s over %s (%zu points): max error %.3f float ulp (at %.9g), bound %g",
           pb_vmath_path_name(p), f->name, s.what, s.n, worst[p], where[p], f->bound);
    }
}

/* ---- per path: special values, layout, helpers ------------------------------ */

static int same(float got, float want)  /* NaN matches NaN; zeros by sign */
{
    if (isnan(want)) return isnan(got);
    return got == want && signbit(got) == signbit(want);
}

static void check_special(const char *path, const fn *f, size_t n, const float *x, const float *want)
{
    float y[32];
    TAP_REQUIRE(n <= 32);
    f->vec(n, x, y);
    int good = 1;
    for (size_t i = 0; i < n; i++)
        if (!same(y[i], want[i])) good = 0, diag("%s(%.9g) = %.9g, expected %.9g", f->name, x[i], y[i], want[i]);
    ok(good, "[%s] %s: special values (NaN, +-inf, +-0, thresholds) as C99 Annex F", path, f->name);
}

static void check_layout(const char *path, const fn *f)
{
    enum { N = 600 };
    float x[N], y[N], z[N], t[N];
    for (size_t i = 0; i < N; i++) x[i] = (float)unif(-3, 3) + 1.5f;
    f->vec(N, x, y);
    memcpy(z, x, sizeof z);
    f->vec(N, z, z);
    int good = !memcmp(y, z, sizeof y);
    for (size_t off = 0; off < 140 && good; off += 7)  /* offsets and lengths around the block size */
        for (size_t len = 0; off + len <= N && len < 280 && good; len += 13) {
            memset(t, 0, sizeof t);
            f->vec(len, x + off, t);
            good = !memcmp(t, y + off, len * sizeof *t);
            for (size_t i = len; i < N && good; i++) good = t[i] == 0;
        }
    ok(good, "[%s] %s: in place = out of place, any offset and length gives the same bits, nothing past n written",
       path, f->name);
}

static void check_activations(const char *path)
{
    enum { N = 1000 };
    static float a[N], h[N], d[N], e[N], y[N];
    for (size_t i = 0; i < N; i++) a[i] = (float)unif(-4, 4), d[i] = (float)unif(-2, 2);
    a[0] = 0, a[1] = -0.0f, a[2] = NAN, a[3] = INFINITY, a[4] = -INFINITY, d[5] = NAN, d[6] = INFINITY;
    pb_vrelu_f32(N, a, y);
    int good = 1;
    for (size_t i = 0; i < N; i++) good &= same(y[i], a[i] > 0 ? a[i] : 0);
    ok(good, "[%s] pb_vrelu_f32 = (a > 0 ? a : 0) exactly, including NaN -> 0 and -0 -> 0", path);
    memcpy(e, d, sizeof e);
    pb_vmul_relu_d1_f32(N, e, a);
    good = 1;
    for (size_t i = 0; i < N; i++) good &= same(e[i], d[i] * (a[i] > 0 ? 1.0f : 0.0f));
    ok(good && isnan(e[5]), "[%s] pb_vmul_relu_d1_f32 = d * (a > 0) exactly; NaN in d propagates", path);
    for (size_t i = 0; i < N; i++) h[i] = tanhf(a[i]);
    memcpy(e, d, sizeof e);
    pb_vmul_tanh_d1_f32(N, e, h);
    double worst = 0;
    good = 1;
    for (size_t i = 0; i < N; i++) {
        if (isnan(d[i]) || isnan(h[i]) || isinf(d[i])) { good &= isnan(e[i]) || isinf(e[i]); continue; }
        double want = (double)d[i] * (1 - (double)h[i] * h[i]);  /* exact in double */
        double err = fabs(e[i] - want) / (FLT_EPSILON * fabs((double)d[i]) * (1 + (double)h[i] * h[i]));
        if (err > worst) worst = err;
    }
    ok(good && worst <= 2,
       "[%s] pb_vmul_tanh_d1_f32 = d (1 - h^2) within %.2f eps |d| (1 + h^2) (bound 2), NaN propagates", path, worst);
}

static void check_rows(const char *path)
{
    enum { R = 37, C = 41 };
    static float x[R * C], y[R * C], s1[C], s2[C], v[C];
    int sum_ok = 1, set_ok = 1;
    for (size_t rows = 0; rows <= R; rows += 3)
        for (size_t cols = 1; cols <= C; cols += 5) {
            for (size_t k = 0; k < rows * cols; k++) x[k] = (float)(unif(-1, 1) * pow(10, unif(-4, 4)));
            if (rows > 2) x[cols] = rows % 2 ? NAN : INFINITY;
            for (size_t j = 0; j < cols; j++) s1[j] = s2[j] = (float)unif(-1, 1), v[j] = (float)unif(-5, 5);
            pb_vsum_rows_f32(rows, cols, x, s1);
            for (size_t i = 0; i < rows; i++)
                for (size_t j = 0; j < cols; j++) s2[j] += x[i * cols + j];
            for (size_t j = 0; j < cols; j++) sum_ok &= same(s1[j], s2[j]);
            for (size_t k = 0; k < R * C; k++) y[k] = -7;
            pb_vset_rows_f32(rows, cols, v, y);
            for (size_t k = 0; k < R * C; k++) set_ok &= y[k] == (k < rows * cols ? v[k % cols] : -7);
        }
    ok(sum_ok, "[%s] pb_vsum_rows_f32 = the row-by-row float loop bitwise (NaN and inf included)", path);
    ok(set_ok, "[%s] pb_vset_rows_f32: every row = v, nothing past rows x cols written", path);
}

static void check_convert(const char *path)
{
    enum { N = 4099 };
    static double x[N], w[N];
    static float y[N];
    for (size_t i = 0; i < N; i++) {
        uint64_t u = next_u64();
        double d;
        memcpy(&d, &u, sizeof d);
        x[i] = i % 3 == 0 ? d : i % 3 == 1 ? unif(-1, 1) * pow(2, unif(-160, 130)) : unif(-100, 100);
    }
    double special[] = {NAN, INFINITY, -INFINITY, 0.0, -0.0, FLT_MAX, -FLT_MAX, 0x1.ffffffp127, 0x1.fffffefp127,
                        0x1p-149, 0x1p-150, 0x1.0000001p-150, -0x1p-150, 0x1.000001p0, 0x1.000003p0, 1e-310, 1e300};
    memcpy(x, special, sizeof special);
    pb_vnarrow(N, x, y);
    int good = 1;
    for (size_t i = 0; i < N; i++) good &= same(y[i], (float)x[i]);
    ok(good, "[%s] pb_vnarrow = (float)x bitwise: ties to even, overflow to inf, subnormal and zero results, NaN", path);
    pb_vwiden(N, y, w);
    good = 1;
    for (size_t i = 0; i < N; i++) good &= isnan(y[i]) ? isnan(w[i]) : w[i] == y[i] && !signbit(w[i]) == !signbit(y[i]);
    ok(good, "[%s] pb_vwiden = (double)x exactly", path);
}

static void check_path(const char *path, const fn *fns)
{
    const fn *EXP = &fns[0], *LOG = &fns[1], *LOG1P = &fns[2], *TANH = &fns[3], *SIGM = &fns[4];
    {
        float in[] = {NAN, -NAN, INFINITY, -INFINITY, 0.0f, -0.0f, 0x1.62e42ep6f, 0x1.62e430p6f, 89, 1e30f,
                      -0x1.9fe368p6f, -0x1.9fe36ap6f, -104, -1e30f, 0x1p-149f};
        float want[] = {NAN, NAN, INFINITY, 0, 1, 1, (float)exp(0x1.62e42ep6), INFINITY, INFINITY, INFINITY,
                        0x1p-149f, 0, 0, 0, 1};
        check_special(path, EXP, sizeof in / sizeof *in, in, want);
    }
    {
        float in[] = {NAN, INFINITY, -INFINITY, 0.0f, -0.0f, -1, -1e-30f, 1, 0x1p-149f, FLT_MAX, 0x1p-126f};
        float want[] = {NAN, INFINITY, NAN, -INFINITY, -INFINITY, NAN, NAN, 0, (float)log(0x1p-149), (float)log(FLT_MAX),
                        (float)log(0x1p-126)};
        check_special(path, LOG, sizeof in / sizeof *in, in, want);
    }
    {
        float in[] = {NAN, INFINITY, -INFINITY, 0.0f, -0.0f, -1, -1.5f, 0x1p-149f, -0x1p-149f, FLT_MAX, 0x1p24f};
        float want[] = {NAN, INFINITY, NAN, 0.0f, -0.0f, -INFINITY, NAN, 0x1p-149f, -0x1p-149f, (float)log(FLT_MAX),
                        (float)log1p(0x1p24)};
        check_special(path, LOG1P, sizeof in / sizeof *in, in, want);
    }
    {
        float in[] = {NAN, INFINITY, -INFINITY, 0.0f, -0.0f, 10, -10, 9.1f, 1e30f, 0x1p-149f, -0x1p-149f, 0x1p-20f};
        float want[] = {NAN, 1, -1, 0.0f, -0.0f, 1, -1, 1, 1, 0x1p-149f, -0x1p-149f, 0x1p-20f};
        check_special(path, TANH, sizeof in / sizeof *in, in, want);
    }
    {
        float in[] = {NAN, INFINITY, -INFINITY, 0.0f, -0.0f, 18, -104, -1e30f, 1e30f, 100};
        float want[] = {NAN, 1, 0, 0.5f, 0.5f, 1, 0, 0, 1, 1};
        check_special(path, SIGM, sizeof in / sizeof *in, in, want);
    }
    for (size_t i = 0; i < 5; i++) check_layout(path, &fns[i]);
    check_activations(path);
    check_rows(path);
    check_convert(path);
}

int main(void)
{
    const fn fns[] = {{"pb_vexp_f32", pb_vexp_f32, exp, 1},
                      {"pb_vlog_f32", pb_vlog_f32, log, 1},
                      {"pb_vlog1p_f32", pb_vlog1p_f32, log1p, 1},
                      {"pb_vtanh_f32", pb_vtanh_f32, tanh, 1},
                      {"pb_vsigmoid_f32", pb_vsigmoid_f32, sigmoid_ref, 1}};
    const fn *EXP = &fns[0], *LOG = &fns[1], *LOG1P = &fns[2], *TANH = &fns[3], *SIGM = &fns[4];
    int cur = pb_vmath_path();
    n_paths = pb_vmath_paths();
    TAP_REQUIRE(n_paths <= MAXP);
    for (int p = 0; p < n_paths; p++) {
        runs[p] = pb_vmath_use_path(p) == 0;
        diag("path %s%s", pb_vmath_path_name(p), !runs[p] ? ": not supported on this CPU, skipped" : p == cur ? " (the one in use)" : "");
    }

    /* exp: everything; every float with a subnormal result or near the
     * underflow and overflow thresholds; whole binades of the reduced range */
    check_accuracy(EXP, all_bits(1021, 17));
    check_accuracy(EXP, every_float("every float in [-104, -87.3] (subnormal results, underflow)", -87.3f, -104.0f));
    check_accuracy(EXP, every_float("every float in [88, 89] (overflow)", 88, 89));
    check_accuracy(EXP, every_float("every float in [0.5, 1)", 0.5f, 0x1.fffffep-1f));
    check_accuracy(EXP, every_float("every float in [-1, -0.5]", -0.5f, -1));
    check_accuracy(EXP, random_pts("[-104, 89] uniform", 1 << 20, -104, 89));

    /* log: everything; every mantissa (two binades around 1); subnormals */
    check_accuracy(LOG, all_bits(1021, 5));
    check_accuracy(LOG, every_float("every float in [0.5, 2)", 0.5f, 0x1.fffffep0f));
    check_accuracy(LOG, every_float("every subnormal with bits < 2^20", 0x1p-149f, f_of(0xfffff)));

    /* log1p: everything; near -1; around 0 and the k = 0 / k = 1 edges */
    check_accuracy(LOG1P, all_bits(1021, 11));
    check_accuracy(LOG1P, every_float("every float in [-1, -0.5]", -0.5f, -1));
    check_accuracy(LOG1P, every_float("every float in [0.25, 0.5)", 0.25f, 0x1.fffffep-2f));
    check_accuracy(LOG1P, random_pts("[-0.5, 0.5] uniform", 1 << 20, -0.5, 0.5));
    check_accuracy(LOG1P, random_pts("[1, 1e6] uniform", 1 << 18, 1, 1e6));

    /* tanh: everything; the transition densely; the approach to +-1 */
    check_accuracy(TANH, all_bits(1021, 3));
    check_accuracy(TANH, every_float("every float in [0.25, 1)", 0.25f, 0x1.fffffep-1f));
    check_accuracy(TANH, every_float("every float in [8, 10]", 8, 10));
    check_accuracy(TANH, random_pts("[-10, 10] uniform", 1 << 20, -10, 10));

    /* sigmoid: everything; subnormal and tiny results; the middle */
    check_accuracy(SIGM, all_bits(1021, 7));
    check_accuracy(SIGM, every_float("every float in [-104, -80] (subnormal and tiny results)", -80, -104));
    check_accuracy(SIGM, every_float("every float in [-2, -1]", -1, -2));
    check_accuracy(SIGM, every_float("every float in [1, 2)", 1, 0x1.fffffep0f));
    check_accuracy(SIGM, random_pts("[-20, 20] uniform", 1 << 20, -20, 20));

    int per_path = 0;
    for (int p = 0; p < n_paths; p++) {
        if (!runs[p]) { skip(per_path, "this CPU cannot run the path"); continue; }
        pb_vmath_use_path(p);
        int before = tap_run;
        check_path(pb_vmath_path_name(p), fns);
        if (p == 0) per_path = tap_run - before;
    }
    is_int(pb_vmath_use_path(cur), 0, "back to the path picked at load time (%s)", pb_vmath_path_name(cur));
    return done_testing();
}
