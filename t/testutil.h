/* testutil.h -- helpers shared by the numerical tests (header-only): an
 * independent reference MLP written from the layout mlp.h documents,
 * vector comparisons, and reading back what a test captured. Nothing here
 * calls the code under test. */
#ifndef PB_TESTUTIL_H
#define PB_TESTUTIL_H

#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

#include "datasets/data.h"

/* ---- a cell's scaling ----------------------------------------------------- */

/* sc: the identity scaling of d features and ydim targets (means 0, feature
 * sds 1, target sds y_sd), allocated; 0 when an allocation failed. */
static inline int identity_scaling(pb_scaling *sc, size_t d, size_t ydim, double y_sd)
{
    sc->d = d, sc->ydim = ydim;
    sc->x_mean = calloc(d, sizeof(double)), sc->x_sd = calloc(d, sizeof(double));
    sc->y_mean = calloc(ydim, sizeof(double)), sc->y_sd = calloc(ydim, sizeof(double));
    if (!sc->x_mean || !sc->x_sd || !sc->y_mean || !sc->y_sd) return 0;
    for (size_t j = 0; j < d; j++) sc->x_sd[j] = 1;
    for (size_t k = 0; k < ydim; k++) sc->y_sd[k] = y_sd;
    return 1;
}

/* ---- an independent reference network ---------------------------------- */

/* Parameter layout from the header's description: W_l (d_{l+1} x d_l,
 * row-major) then b_l, layer after layer. */
typedef struct ref_net {
    size_t L, dims[8], w_off[8], b_off[8], n;
    int act;   /* 0 tanh, 1 relu, 2 identity */
    int mse;
} ref_net;

static inline void ref_layout(ref_net *r, size_t L, const size_t *dims, int act, int mse)
{
    r->L = L, r->act = act, r->mse = mse;
    size_t off = 0;
    for (size_t l = 0; l <= L; l++) r->dims[l] = dims[l];
    for (size_t l = 0; l < L; l++) {
        r->w_off[l] = off;
        off += dims[l] * dims[l + 1];
        r->b_off[l] = off;
        off += dims[l + 1];
    }
    r->n = off;
}

/* z = network outputs (linear head) for one input x; if amin is given, the
 * smallest |pre-activation| of any hidden unit is folded into it. */
static inline void ref_forward(const ref_net *r, const double *w, const double *x, double *z, double *amin)
{
    double buf[2][64];
    const double *in = x;
    for (size_t l = 0; l < r->L; l++) {
        size_t din = r->dims[l], dout = r->dims[l + 1];
        double *out = l + 1 == r->L ? z : buf[l % 2];
        for (size_t j = 0; j < dout; j++) {
            double a = w[r->b_off[l] + j];
            for (size_t i = 0; i < din; i++) a += w[r->w_off[l] + j * din + i] * in[i];
            if (l + 1 < r->L) {
                if (amin && fabs(a) < *amin) *amin = fabs(a);
                a = r->act == 0 ? tanh(a) : r->act == 1 ? (a > 0 ? a : 0) : a;
            }
            out[j] = a;
        }
        in = out;
    }
}

static inline double max_abs(size_t n, const double *a)
{
    double m = 0;
    for (size_t j = 0; j < n; j++) m = fmax(m, fabs(a[j]));
    return m;
}

/* max |a - b| (NaN counts as infinite) */
static inline double max_diff(size_t n, const double *a, const double *b)
{
    double m = 0;
    for (size_t j = 0; j < n; j++) {
        double d = fabs(a[j] - b[j]);
        if (!(d <= m)) m = isnan(d) ? INFINITY : d;
    }
    return m;
}

/* The text of file `path` (at most cap - 1 bytes, "" if unreadable) in buf,
 * after flushing stderr (which tests redirect to a file to read notices). */
static inline const char *read_text(const char *path, char *buf, size_t cap)
{
    fflush(stderr);
    FILE *f = fopen(path, "r");
    size_t len = f ? fread(buf, 1, cap - 1, f) : 0;
    buf[len] = '\0';
    if (f) fclose(f);
    return buf;
}

#endif
