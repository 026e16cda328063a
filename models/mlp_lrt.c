/* mlp_lrt.c -- see mlp_lrt.h.
 *
 * Backward through a = mu + s .* e with s = sqrt(v + tiny):
 *   g = dL/da (B x dout);  dL/dmu = g;  dL/dv = g .* e / (2 s)
 *   dtheta_l  = g^T in           (dout x din)     db_l = 1^T g
 *   dsigma2_l = (dL/dv)^T (in .* in)               (dout x din)
 *   dL/din    = g theta_l + 2 in .* ((dL/dv) sigma2_l)     (B x din)
 * then through the hidden activation as in mlp.c. With group multipliers the
 * layer input is u = x .* z (per sample), every "in" above is u, and
 *   dL/dz = dL/du .* x,   dL/dx = dL/du .* z. */
#include "mlp_lrt.h"
#include "util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_randist.h>

#define VAR_FLOOR 1e-16  /* keeps 1/s finite where an input row is all zero */

struct pb_lrt_ws {
    size_t batch, n_layers;
    double **a, **h, **s, **e, **g;   /* per layer, batch x d_{l+1} */
    double *in2, *dv, *din, *dz;      /* batch x max_dim scratch */
    double **u;                       /* per layer, batch x d_l: inputs times Z (allocated on first use) */
};

static void free_layers(double **p, size_t L)
{
    if (!p) return;
    for (size_t l = 0; l < L; l++) free(p[l]);
    free(p);
}

void pb_lrt_ws_free(pb_lrt_ws *ws)
{
    if (!ws) return;
    size_t L = ws->n_layers;
    free_layers(ws->a, L); free_layers(ws->h, L); free_layers(ws->s, L); free_layers(ws->e, L); free_layers(ws->g, L);
    free(ws->in2); free(ws->dv); free(ws->din); free(ws->dz);
    free_layers(ws->u, L);
    free(ws);
}

static double **alloc_layers(const pb_mlp *m, size_t batch, int *ok)
{
    double **p = calloc(m->n_layers, sizeof *p);
    if (!p) { *ok = 0; return NULL; }
    for (size_t l = 0; l < m->n_layers; l++)
        if (!(p[l] = calloc(batch * m->dims[l + 1], sizeof **p))) *ok = 0;
    return p;
}

pb_lrt_ws *pb_lrt_ws_alloc(const pb_mlp *m, size_t batch)
{
    pb_lrt_ws *ws = calloc(1, sizeof *ws);
    if (!ws) { pb_error(PB_ERR_NOMEM, "out of memory"); return NULL; }
    int ok = 1;
    ws->batch = batch, ws->n_layers = m->n_layers;
    ws->a = alloc_layers(m, batch, &ok);
    ws->h = alloc_layers(m, batch, &ok);
    ws->s = alloc_layers(m, batch, &ok);
    ws->e = alloc_layers(m, batch, &ok);
    ws->g = alloc_layers(m, batch, &ok);
    size_t k = batch * (m->max_dim > m->dims[0] ? m->max_dim : m->dims[0]);
    ws->in2 = calloc(k, sizeof *ws->in2);
    ws->dv = calloc(k, sizeof *ws->dv);
    ws->din = calloc(k, sizeof *ws->din);
    ws->dz = calloc(k, sizeof *ws->dz);
    if (!ok || !ws->in2 || !ws->dv || !ws->din || !ws->dz) {
        pb_lrt_ws_free(ws);
        pb_error(PB_ERR_NOMEM, "out of memory allocating the variational workspace");
        return NULL;
    }
    return ws;
}

static inline double act(pb_act a, double x)
{
    return a == PB_ACT_TANH ? tanh(x) : a == PB_ACT_RELU ? (x > 0 ? x : 0) : x;
}

/* act'(a) from a and h = act(a) */
static inline double act_d1(pb_act a, double x, double h)
{
    return a == PB_ACT_TANH ? 1 - h * h : a == PB_ACT_RELU ? (x > 0 ? 1 : 0) : 1;
}

int pb_lrt_loss_grad(const pb_mlp *m, pb_lrt_ws *ws, const double *theta, const double *sigma2, const double *X,
                     const double *y, size_t B, const double *Z, double *dZ, gsl_rng *rng, double *loss, double *dtheta,
                     double *dsigma2)
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
    memset(dtheta, 0, m->n_params * sizeof *dtheta);
    memset(dsigma2, 0, m->n_params * sizeof *dsigma2);
    /* forward; with Z the layer input is u = in .* z_l (z_l: this layer's columns of Z) */
    for (size_t l = 0, zoff = 0; l < L; zoff += m->dims[l], l++) {
        size_t din = m->dims[l], dout = m->dims[l + 1];
        const double *in = l ? ws->h[l - 1] : X, *W = theta + m->w_off[l], *b = theta + m->b_off[l];
        double *a = ws->a[l], *s = ws->s[l], *e = ws->e[l], *h = ws->h[l];
        if (Z) {
            double *u = ws->u[l];
            for (size_t i = 0; i < B; i++)
                for (size_t j = 0; j < din; j++) u[i * din + j] = in[i * din + j] * Z[i * nz + zoff + j];
            in = u;
        }
        for (size_t i = 0; i < B; i++) memcpy(a + i * dout, b, dout * sizeof *a);
        pb_gemm(0, 1, B, dout, din, 1.0, in, din, W, din, 1.0, a, dout);              /* mu */
        for (size_t k = 0; k < B * din; k++) ws->in2[k] = in[k] * in[k];
        pb_gemm(0, 1, B, dout, din, 1.0, ws->in2, din, sigma2 + m->w_off[l], din, 0.0, s, dout);  /* v */
        int last = l + 1 == L;
        for (size_t k = 0; k < B * dout; k++) {
            s[k] = sqrt(s[k] + VAR_FLOOR);
            e[k] = gsl_ran_gaussian_ziggurat(rng, 1.0);
            a[k] += s[k] * e[k];
            h[k] = last ? a[k] : act(m->act, a[k]);
        }
    }
    *loss = 0;
    int st = pb_mlp_head_loss(m, ws->h[L - 1], y, B, loss, ws->g[L - 1], NULL);
    if (st) return st;
    /* backward: g[l] = dL/da_l */
    for (size_t l = L, zoff = nz; l-- > 0;) {
        size_t din = m->dims[l], dout = m->dims[l + 1];
        zoff -= din;
        const double *x = l ? ws->h[l - 1] : X, *in = Z ? ws->u[l] : x, *g = ws->g[l], *s = ws->s[l], *e = ws->e[l];
        const double *W = theta + m->w_off[l], *S2 = sigma2 + m->w_off[l];
        pb_gemm(1, 0, dout, din, B, 1.0, g, dout, in, din, 1.0, dtheta + m->w_off[l], din);
        double *db = dtheta + m->b_off[l];
        for (size_t i = 0; i < B; i++)
            for (size_t o = 0; o < dout; o++) db[o] += g[i * dout + o];
        for (size_t k = 0; k < B * dout; k++) ws->dv[k] = g[k] * e[k] / (2 * s[k]);
        for (size_t k = 0; k < B * din; k++) ws->in2[k] = in[k] * in[k];
        pb_gemm(1, 0, dout, din, B, 1.0, ws->dv, dout, ws->in2, din, 1.0, dsigma2 + m->w_off[l], din);
        if (l == 0 && !dZ) break;
        /* dL/din = g theta + 2 in .* (dv sigma2) (into gq), then through z and the activation */
        double *gq = l ? ws->g[l - 1] : ws->dz;
        pb_gemm(0, 0, B, din, dout, 1.0, g, dout, W, din, 0.0, gq, din);
        pb_gemm(0, 0, B, din, dout, 1.0, ws->dv, dout, S2, din, 0.0, ws->din, din);
        for (size_t k = 0; k < B * din; k++) gq[k] += 2 * in[k] * ws->din[k];
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
        const double *ap = ws->a[l - 1];
        for (size_t k = 0; k < B * din; k++) gq[k] *= act_d1(m->act, ap[k], x[k]);
    }
    return PB_OK;
}
