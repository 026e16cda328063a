/* vmath.h -- vectorized elementwise math on arrays of doubles, for the
 * per-weight and per-unit loops of training (activations, log sigma^2 ->
 * sigma^2, Adam).
 *
 * y = f(x) functions: y[i] = f(x[i]) for i < n; y may be x (in place), no
 * other overlap. Maximum error in units of the last place of the true
 * result (ulp; for subnormal results, of the subnormal spacing), asserted by
 * t/vmath.c on every code path against long-double references over wide
 * ranges (the largest seen there and in 30M-point scans, and glibc's):
 *
 *   pb_vexp      <= 1 ulp    (seen 0.89; libm 0.51); 0 below -745.14,
 *                            +inf above 709.79, subnormal results rounded once
 *   pb_vlog      <= 1 ulp    (0.84; libm 0.52), all positive doubles
 *                            including subnormals
 *   pb_vlog1p    <= 1 ulp    (0.87; libm 0.79), x in (-1, +inf)
 *   pb_vtanh     <= 2.5 ulp  (1.96; libm 2.14); +-1 exactly for |x| >= 20
 *   pb_vsigmoid  <= 2.5 ulp  (1.78; 1 / (1 + exp(-x)) with libm: 2.27);
 *                            0 for x < -709.78 (true value below 2^-1024)
 *
 * Special values follow C99 Annex F (as libm): NaN gives NaN; exp(-inf) = 0,
 * exp(+inf) = inf; log(+-0) = -inf, log(x < 0) = NaN, log(inf) = inf;
 * log1p(-1) = -inf, log1p(x < -1) = NaN, log1p(+-0) = +-0; tanh(+-inf) = +-1,
 * tanh(+-0) = +-0; sigmoid(-inf) = 0, sigmoid(inf) = 1. No errno, no
 * floating-point exception flags are promised.
 *
 * Dispatch and determinism: each function is compiled for x86-64-v4
 * (AVX-512), x86-64-v3 (AVX2 + FMA) and baseline x86-64, and the best path
 * the CPU supports is picked at load time, so the same binary on the same
 * CPU gives bitwise the same results. The paths may differ in the last bit
 * (FMA contraction); every path meets the bounds above (t/vmath.c checks
 * each path the machine can run).
 *
 * Float kernels (the _f32 functions below, for a float32 training path):
 * the same contracts on arrays of floats, computed in float arithmetic with
 * their own float reductions and degree-5 polynomials (16 lanes per AVX-512
 * vector, 8 per AVX2 one; about 2x the double kernels' speed per element),
 * tanh and sigmoid with the roundings of e^x, of the denominator and of the
 * quotient compensated. Maximum error in float ulp (for results below
 * FLT_MIN, of 2^-149), asserted by t/vmath_f32.c on every path against
 * double references over a strided scan of all 2^32 bit patterns, every
 * float of whole binades of the reduced argument, every x with a subnormal
 * or overflowing exp, and random points. In parentheses the largest error
 * over all 2^32 floats, baseline and AVX-512 paths (an exhaustive run
 * outside the suite; the worst points of exp, tanh and sigmoid lie in the
 * suite's dense ranges):
 *
 *   pb_vexp_f32      <= 1 ulp  (0.76); 0 below -103.972 (ln 2^-150), +inf
 *                              above 88.7228 (as correctly rounded),
 *                              subnormal results from one scaling
 *   pb_vlog_f32      <= 1 ulp  (0.84), all positive floats incl. subnormals
 *   pb_vlog1p_f32    <= 1 ulp  (0.85)
 *   pb_vtanh_f32     <= 1 ulp  (0.93); +-1 exactly for |x| > 9.0110
 *   pb_vsigmoid_f32  <= 1 ulp  (0.78); down to its subnormal results, 0
 *                              below -103.972
 *
 * Special values as for the double functions. pb_vnarrow and pb_vwiden
 * convert (round to nearest even, overflow to inf; exact); x and y must not
 * overlap. The activation and row helpers are the double ones' loops.
 */
#ifndef PB_VMATH_H
#define PB_VMATH_H

#include <stddef.h>

void pb_vexp(size_t n, const double *x, double *y);
void pb_vlog(size_t n, const double *x, double *y);
void pb_vlog1p(size_t n, const double *x, double *y);
void pb_vtanh(size_t n, const double *x, double *y);
void pb_vsigmoid(size_t n, const double *x, double *y);

/* Activations and their derivatives for the MLP (exact formulas, no
 * approximation; y may be x):
 *   pb_vrelu:       y = x > 0 ? x : 0             (NaN gives 0, as the scalar code)
 *   pb_vmul_relu_d1: d = d * (a > 0 ? 1 : 0)      (NaN/inf in d propagate)
 *   pb_vmul_tanh_d1: d = d * (1 - h^2), h = tanh(a) */
void pb_vrelu(size_t n, const double *x, double *y);
void pb_vmul_relu_d1(size_t n, double *d, const double *a);
void pb_vmul_tanh_d1(size_t n, double *d, const double *h);

/* Row operations on a rows x cols row-major matrix (the bias terms of a dense
 * layer), exact: sum[j] += x[0][j] + x[1][j] + ... added row after row (the
 * order of the plain double loop, so bitwise the same), and y[i][j] = v[j].
 * sum, v must not overlap x, y. */
void pb_vsum_rows(size_t rows, size_t cols, const double *x, double *sum);
void pb_vset_rows(size_t rows, size_t cols, const double *v, double *y);

/* One Adam step (Kingma and Ba 2015; b1 = 0.9, b2 = 0.999, eps = 1e-8) on n
 * entries, fused into one pass:
 *   m1 = b1 m1 + (1 - b1) g,   m2 = b2 m2 + (1 - b2) g^2,
 *   x -= lr_c m1 / (sqrt(m2 / c2) + eps),
 * with lr_c = lr / (1 - b1^t) and c2 = 1 - b2^t at step t (from 1). Equals
 * the unfused textbook formula to a few ulp per step (t/vmath.c), not
 * bitwise. x, g, m1, m2 must not overlap. */
void pb_adam_update(size_t n, double *x, const double *g, double *m1, double *m2, double lr_c, double c2);

/* The same step with the gradient assembled in the same pass (saves writing
 * and reading a gradient buffer):  g = a ga .* gm + b gb,  where gm NULL
 * stands for ones and gb NULL for zeros. ga, gm, gb must not overlap x, m1,
 * m2. E.g. the log sigma^2 entries of a variational fit:
 * a = 1/B, ga = dL/dsigma^2, gm = sigma^2, b = KL weight / N, gb = dKL/dlog sigma^2. */
void pb_adam_update_lin(size_t n, double *x, double *m1, double *m2, double lr_c, double c2, double a,
                        const double *ga, const double *gm, double b, const double *gb);

/* Float versions (see the top): the same contracts as the double functions
 * of the same name; pb_vsum_rows_f32 adds in float, rows in order. */
void pb_vexp_f32(size_t n, const float *x, float *y);
void pb_vlog_f32(size_t n, const float *x, float *y);
void pb_vlog1p_f32(size_t n, const float *x, float *y);
void pb_vtanh_f32(size_t n, const float *x, float *y);
void pb_vsigmoid_f32(size_t n, const float *x, float *y);
void pb_vrelu_f32(size_t n, const float *x, float *y);
void pb_vmul_relu_d1_f32(size_t n, float *d, const float *a);
void pb_vmul_tanh_d1_f32(size_t n, float *d, const float *h);
void pb_vsum_rows_f32(size_t rows, size_t cols, const float *x, float *sum);  /* rows added in order, like the double one */
void pb_vset_rows_f32(size_t rows, size_t cols, const float *v, float *y);
/* conversions, vectorized: y[i] = (float)x[i] (round to nearest) and y[i] = x[i] (exact) */
void pb_vnarrow(size_t n, const double *x, float *y);
void pb_vwiden(size_t n, const float *x, double *y);

/* Code paths: 0 .. pb_vmath_paths() - 1 (on x86-64: 0 baseline, 1 AVX2 +
 * FMA, 2 AVX-512), the one in use, its name (for provenance). For tests:
 * pb_vmath_use_path switches every function to path p; -1 if this CPU cannot
 * run it. Not thread-safe. */
int pb_vmath_paths(void);
int pb_vmath_path(void);
const char *pb_vmath_path_name(int p);
int pb_vmath_use_path(int p);

#endif
