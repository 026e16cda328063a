/* mlp_lrt.c -- see mlp_lrt.h. Compiled once per precision (base/real.h).
 *
 * Backward through a = mu + s .* e with s = sqrt(v + tiny):
 *   g = dL/da (B x dout);  dL/dmu = g;  dL/dv = g .* e / (2 s)
 *   dtheta_l  = g^T in           (dout x din)     db_l = 1^T g
 *   dsigma2_l = (dL/dv)^T (in .* in)               (dout x din)
 *   dL/din    = g theta_l + 2 in .* ((dL/dv) sigma2_l)     (B x din)
 * then through the hidden activation as in mlp.c. With group multipliers the
 * layer input is u = x .* z (per sample), every "in" above is u, and
 *   dL/dz = dL/du .* x,   dL/dx = dL/du .* z. */
#include "models/mlp_lrt.h"
#include "base/util.h"
#include "base/vmath.h"
#include "base/real.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_randist.h>

#define VAR_FLOOR 1e-16  /* keeps 1/s finite where an input row is all zero */

struct PB_T(pb_lrt_ws) {
    size_t batch, n_layers;
    pb_real **a, **h, **s, **e, **g;   /* per layer, batch x d_{l+1} */
    pb_real **in2;                     /* per layer, batch x d_l: (layer input)^2, kept for the backward pass */
    pb_real *dv, *din, *dz;            /* batch x max_dim scratch */
    pb_real **u;                       /* per layer, batch x d_l: inputs times Z (allocated on first use) */
};

static void free_layers(pb_real **p, size_t L)
{
    if (!p) return;
    for (size_t l = 0; l < L; l++) free(p[l]);
    free(p);
}

void PB_T(pb_lrt_ws_free)(PB_T(pb_lrt_ws) *ws)
{
    if (!ws) return;
    size_t L = ws->n_layers;
    free_layers(ws->a, L); free_layers(ws->h, L); free_layers(ws->s, L); free_layers(ws->e, L); free_layers(ws->g, L);
    free_layers(ws->in2, L);
    free(ws->dv); free(ws->din); free(ws->dz);
    free_layers(ws->u, L);
    free(ws);
}

/* per layer l, batch x d_{l + out} pb_reals (out = 1: outputs, 0: inputs) */
static pb_real **alloc_layers(const pb_mlp *m, size_t batch, int out, int *ok)
{
    pb_real **p = calloc(m->n_layers, sizeof *p);
    if (!p) { *ok = 0; return NULL; }
    for (size_t l = 0; l < m->n_layers; l++)
        if (!(p[l] = calloc(batch * m->dims[l + out], sizeof **p))) *ok = 0;
    return p;
}

PB_T(pb_lrt_ws) *PB_T(pb_lrt_ws_alloc)(const pb_mlp *m, size_t batch)
{
    PB_T(pb_lrt_ws) *ws = calloc(1, sizeof *ws);
    if (!ws) { pb_error(PB_ERR_NOMEM, "out of memory"); return NULL; }
    int ok = 1;
    ws->batch = batch, ws->n_layers = m->n_layers;
    ws->a = alloc_layers(m, batch, 1, &ok);
    ws->h = alloc_layers(m, batch, 1, &ok);
    ws->s = alloc_layers(m, batch, 1, &ok);
    ws->e = alloc_layers(m, batch, 1, &ok);
    ws->g = alloc_layers(m, batch, 1, &ok);
    ws->in2 = alloc_layers(m, batch, 0, &ok);
    size_t k = batch * (m->max_dim > m->dims[0] ? m->max_dim : m->dims[0]);
    ws->dv = calloc(k, sizeof *ws->dv);
    ws->din = calloc(k, sizeof *ws->din);
    ws->dz = calloc(k, sizeof *ws->dz);
    if (!ok || !ws->dv || !ws->din || !ws->dz) {
        PB_T(pb_lrt_ws_free)(ws);
        pb_error(PB_ERR_NOMEM, "out of memory allocating the variational workspace");
        return NULL;
    }
    return ws;
}

/* The elementwise steps, written as plain loops over restrict pointers that
 * gcc vectorizes (-O3 for this file, Makefile); same arithmetic as the
 * formulas at the top, no FMA contraction. */

/* y = x .* x */
static void square(size_t n, const pb_real *restrict x, pb_real *restrict y)
{
    for (size_t k = 0; k < n; k++) y[k] = x[k] * x[k];
}

/* s = sqrt(v + VAR_FLOOR) (v arrives in s), a = mu + s .* e (mu arrives in a) */
static void sample_preact(size_t n, pb_real *restrict s, const pb_real *restrict e, pb_real *restrict a)
{
    for (size_t k = 0; k < n; k++) {
        s[k] = pb_sqrt(s[k] + (pb_real)VAR_FLOOR);
        a[k] += s[k] * e[k];
    }
}

/* dL/dv = g .* e / (2 s) */
static void grad_v(size_t n, const pb_real *restrict g, const pb_real *restrict e, const pb_real *restrict s,
                   pb_real *restrict dv)
{
    for (size_t k = 0; k < n; k++) dv[k] = g[k] * e[k] / (2 * s[k]);
}

/* gq += 2 in .* din */
static void add_var_path(size_t n, const pb_real *restrict in, const pb_real *restrict din, pb_real *restrict gq)
{
    for (size_t k = 0; k < n; k++) gq[k] += 2 * in[k] * din[k];
}

int PB_T(pb_lrt_loss_grad)(const pb_mlp *m, PB_T(pb_lrt_ws) *ws, const pb_real *theta, const pb_real *sigma2, const pb_real *X,
                     const pb_real *y, size_t B, const pb_real *Z, pb_real *dZ, gsl_rng *rng, double *loss, pb_real *dtheta,
                     pb_real *dsigma2)
{
    size_t L = m->n_layers, nz = 0;
    if (B > ws->batch) return pb_error(PB_ERR_ARG, "batch %zu exceeds the workspace's %zu", B, ws->batch);
    if (dZ && !Z) return pb_error(PB_ERR_ARG, "dZ needs Z");
    for (size_t l = 0; l < L; l++) nz += m->dims[l];
    if (Z && !ws->u) {
        int ok = 1;
        ws->u = calloc(L, sizeof *ws->u);
        if (!ws->u) return pb_error(PB_ERR_NOMEM, "out of memory");
        for (size_t l = 0; l < L; l++)
            if (!(ws->u[l] = calloc(ws->batch * m->dims[l], sizeof **ws->u))) ok = 0;
        if (!ok) return pb_error(PB_ERR_NOMEM, "out of memory");
    }
    /* forward; with Z the layer input is u = in .* z_l (z_l: this layer's columns of Z) */
    for (size_t l = 0, zoff = 0; l < L; zoff += m->dims[l], l++) {
        size_t din = m->dims[l], dout = m->dims[l + 1];
        const pb_real *in = l ? ws->h[l - 1] : X, *W = theta + m->w_off[l], *b = theta + m->b_off[l];
        pb_real *a = ws->a[l], *s = ws->s[l], *e = ws->e[l], *h = ws->h[l];
        if (Z) {
            pb_real *u = ws->u[l];
            for (size_t i = 0; i < B; i++)
                for (size_t j = 0; j < din; j++) u[i * din + j] = in[i * din + j] * Z[i * nz + zoff + j];
            in = u;
        }
        PB_T(pb_vset_rows)(B, dout, b, a);
        PB_T(pb_gemm)(0, 1, B, dout, din, 1.0, in, din, W, din, 1.0, a, dout);              /* mu */
        square(B * din, in, ws->in2[l]);
        PB_T(pb_gemm)(0, 1, B, dout, din, 1.0, ws->in2[l], din, sigma2 + m->w_off[l], din, 0.0, s, dout);  /* v */
        for (size_t k = 0; k < B * dout; k++) e[k] = gsl_ran_gaussian_ziggurat(rng, 1.0);
        sample_preact(B * dout, s, e, a);
        if (l + 1 == L || m->act == PB_ACT_IDENTITY) memcpy(h, a, B * dout * sizeof *h);
        else if (m->act == PB_ACT_TANH) PB_T(pb_vtanh)(B * dout, a, h);
        else PB_T(pb_vrelu)(B * dout, a, h);
    }
    *loss = 0;
    int st = PB_T(pb_mlp_head_loss)(m, ws->h[L - 1], y, B, loss, ws->g[L - 1], NULL);
    if (st) return st;
    /* backward: g[l] = dL/da_l. Every entry of dtheta and dsigma2 is written
     * (weights by the products with beta = 0, biases below), so no clearing. */
    for (size_t l = L, zoff = nz; l-- > 0;) {
        size_t din = m->dims[l], dout = m->dims[l + 1];
        zoff -= din;
        const pb_real *x = l ? ws->h[l - 1] : X, *in = Z ? ws->u[l] : x, *g = ws->g[l], *s = ws->s[l], *e = ws->e[l];
        const pb_real *W = theta + m->w_off[l], *S2 = sigma2 + m->w_off[l];
        PB_T(pb_gemm)(1, 0, dout, din, B, 1.0, g, dout, in, din, 0.0, dtheta + m->w_off[l], din);
        memset(dtheta + m->b_off[l], 0, dout * sizeof *dtheta);   /* db = 1^T g */
        PB_T(pb_vsum_rows)(B, dout, g, dtheta + m->b_off[l]);
        grad_v(B * dout, g, e, s, ws->dv);
        PB_T(pb_gemm)(1, 0, dout, din, B, 1.0, ws->dv, dout, ws->in2[l], din, 0.0, dsigma2 + m->w_off[l], din);
        memset(dsigma2 + m->b_off[l], 0, dout * sizeof *dsigma2);
        if (l == 0 && !dZ) break;
        /* dL/din = g theta + 2 in .* (dv sigma2) (into gq), then through z and the activation */
        pb_real *gq = l ? ws->g[l - 1] : ws->dz;
        PB_T(pb_gemm)(0, 0, B, din, dout, 1.0, g, dout, W, din, 0.0, gq, din);
        PB_T(pb_gemm)(0, 0, B, din, dout, 1.0, ws->dv, dout, S2, din, 0.0, ws->din, din);
        add_var_path(B * din, in, ws->din, gq);
        if (dZ)  /* u = x .* z: dL/dz = dL/du .* x, dL/dx = dL/du .* z */
            for (size_t i = 0; i < B; i++)
                for (size_t j = 0; j < din; j++) {
                    dZ[i * nz + zoff + j] = gq[i * din + j] * x[i * din + j];
                    gq[i * din + j] *= Z[i * nz + zoff + j];
                }
        else if (Z)
            for (size_t i = 0; i < B; i++)
                for (size_t j = 0; j < din; j++) gq[i * din + j] *= Z[i * nz + zoff + j];
        if (l == 0) break;
        /* through the activation: act'(a) from a and h = act(a) = x */
        if (m->act == PB_ACT_TANH) PB_T(pb_vmul_tanh_d1)(B * din, gq, x);
        else if (m->act == PB_ACT_RELU) PB_T(pb_vmul_relu_d1)(B * din, gq, ws->a[l - 1]);
    }
    return PB_OK;
}
