/* real.h -- the scalar type of a source file that is compiled once per
 * precision, so its kernels are written once for double and float.
 *
 * A file listed in the Makefile's TYPED_SRC is compiled twice: as it is
 * (double) into X.o, and with -DPB_F32 (float) into X_f32.o. After
 * including this header:
 *   pb_real       is the scalar type of the build (double, or float);
 *   PB_T(name)    is the name of a function or type of this precision:
 *                 name for double, name_f32 for float (pb_gemm, pb_vtanh,
 *                 pb_mlp_loss_grad, ... have both);
 *   PB_REAL_NAME  is "f64" or "f32";
 *   pb_sqrt(x)    is sqrt or sqrtf (no detour through double in float).
 * Parts that exist in double only (parsing, curvature, compaction: services
 * that read a fit, which is stored in double) sit between
 * `#ifndef PB_F32` and `#endif`.
 *
 * Headers declare the functions of both precisions by including a typed
 * header twice, with PB_R the scalar type and PB_N(name) the name (see
 * models/mlp.h and models/mlp_typed.h). Accumulated sums that decide a
 * result (a batch's loss) stay double in both precisions. */
#ifndef PB_REAL_H
#define PB_REAL_H

#ifdef PB_F32
typedef float pb_real;
#define PB_T(name) name##_f32
#define PB_REAL_NAME "f32"
#define pb_sqrt sqrtf
#else
typedef double pb_real;
#define PB_T(name) name
#define PB_REAL_NAME "f64"
#define pb_sqrt sqrt
#endif

#endif
