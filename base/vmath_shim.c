/* TEMPORARY: float kernels by widening (replaced by native float kernels). */
#include "base/vmath.h"
#include <string.h>
#define W(NAME) void NAME##_f32(size_t n, const float *x, float *y) { \
    double t[256]; for (size_t i = 0; i < n; i += 256) { size_t m = n - i < 256 ? n - i : 256; \
    for (size_t k = 0; k < m; k++) t[k] = x[i + k]; NAME(m, t, t); for (size_t k = 0; k < m; k++) y[i + k] = (float)t[k]; } }
W(pb_vexp) W(pb_vlog) W(pb_vlog1p) W(pb_vtanh) W(pb_vsigmoid)
void pb_vrelu_f32(size_t n, const float *x, float *y) { for (size_t i = 0; i < n; i++) y[i] = x[i] > 0 ? x[i] : 0; }
void pb_vmul_relu_d1_f32(size_t n, float *d, const float *a) { for (size_t i = 0; i < n; i++) d[i] *= a[i] > 0 ? 1 : 0; }
void pb_vmul_tanh_d1_f32(size_t n, float *d, const float *h) { for (size_t i = 0; i < n; i++) d[i] *= 1 - h[i] * h[i]; }
void pb_vsum_rows_f32(size_t rows, size_t cols, const float *x, float *sum) { for (size_t i = 0; i < rows; i++) for (size_t j = 0; j < cols; j++) sum[j] += x[i * cols + j]; }
void pb_vset_rows_f32(size_t rows, size_t cols, const float *v, float *y) { for (size_t i = 0; i < rows; i++) memcpy(y + i * cols, v, cols * sizeof *y); }
void pb_vnarrow(size_t n, const double *x, float *y) { for (size_t i = 0; i < n; i++) y[i] = (float)x[i]; }
void pb_vwiden(size_t n, const float *x, double *y) { for (size_t i = 0; i < n; i++) y[i] = x[i]; }
