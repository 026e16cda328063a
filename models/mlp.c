/* mlp.c -- forward, backward, Gauss-Newton and exact second derivatives of
 * the MLP described in mlp.h. Batches of at most ws->batch samples; every
 * dense product goes through pb_gemm.
 *
 * Notation per layer l (B samples): in_l = X (l = 0) or h_{l-1}, shape (B x d_l);
 *   a_l = in_l W_l^T + 1 b_l^T            (B x d_{l+1})
 *   h_l = act(a_l) for hidden layers, h_{L-1} = a_{L-1} = z (linear head).
 * Backward: delta_l = dL/da_l; dW_l = delta_l^T in_l; db_l = 1^T delta_l;
 *   delta_{l-1} = (delta_l W_l) .* act'(a_{l-1}).
 * R-operator (directional derivative along v = (V_l, c_l)):
 *   R a_l = in_l V_l^T + R(in_l) W_l^T + 1 c_l^T,  R h_l = act'(a_l) .* R a_l
 *   R delta_{L-1} = H_out R z
 *   R dW_l = R delta_l^T in_l + [exact] delta_l^T R in_l
 *   R delta_{l-1} = (R delta_l W_l + [exact] delta_l V_l) .* act'(a_{l-1})
 *                   + [exact] (delta_l W_l) .* act''(a_{l-1}) .* R a_{l-1}
 * Dropping the [exact] terms gives the Gauss-Newton product J^T H_out J v.
 */
#include "models/mlp.h"
#include "base/util.h"
#include "base/vmath.h"
#include "base/real.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#define MAX_PARAMS 1000000000ULL

struct PB_T(pb_mlp_ws) {
    size_t batch, n_layers;
    pb_real **a, **h, **delta, **Ra, **Rh, **Rdelta;  /* per layer, batch x d_{l+1} */
    pb_real *tmp, *Rtmp;                              /* batch x max_dim */
};

#ifndef PB_F32
static int parse_act(const char *s, size_t len, pb_act *act)
{
    if (len == 4 && !strncmp(s, "tanh", 4)) *act = PB_ACT_TANH;
    else if (len == 4 && !strncmp(s, "relu", 4)) *act = PB_ACT_RELU;
    else if (len == 8 && !strncmp(s, "identity", 8)) *act = PB_ACT_IDENTITY;
    else return 0;
    return 1;
}

int pb_mlp_parse(const char *spec, pb_mlp **out)
{
    *out = NULL;
    if (strncmp(spec, "mlp:", 4) != 0)
        return pb_error(PB_ERR_ARG, "model spec '%s': expected 'mlp:<d0>-...-<dL>:<act>[:ce|mse]'", spec);
    if (strlen(spec) >= sizeof ((pb_mlp *)0)->spec)
        return pb_error(PB_ERR_ARG, "model spec '%s' is too long", spec);
    pb_mlp *m = pb_calloc(1, sizeof *m);
    if (!m) return PB_ERR_NOMEM;
    strcpy(m->spec, spec);
    const char *p = spec + 4;
    size_t cap = 8, n = 0;
    m->dims = pb_calloc(cap, sizeof *m->dims);
    if (!m->dims) goto nomem;
    char *end;
    for (;;) {
        if (*p < '0' || *p > '9') goto bad;
        unsigned long long d = strtoull(p, &end, 10);
        if (d == 0 || d > 1000000) goto bad;
        if (n == cap) {
            size_t *nd = realloc(m->dims, 2 * cap * sizeof *nd);
            if (!nd) goto nomem;
            m->dims = nd;
            cap *= 2;
        }
        m->dims[n++] = (size_t)d;
        p = end;
        if (*p == '-') { p++; continue; }
        break;
    }
    if (n < 2 || *p != ':') goto bad;
    p++;
    const char *colon = strchr(p, ':');
    size_t alen = colon ? (size_t)(colon - p) : strlen(p);
    if (!parse_act(p, alen, &m->act)) goto bad;
    m->head = PB_HEAD_CE;
    m->noise_precision = 1.0;
    if (colon) {
        if (!strcmp(colon + 1, "ce")) m->head = PB_HEAD_CE;
        else if (!strcmp(colon + 1, "mse")) m->head = PB_HEAD_MSE;
        else goto bad;
    }
    /* at most 1e9 parameters (as rnn.c), checked before the tables are built:
     * each size <= 1e6, so a product and a sum of up to 1e6 of them fit */
    unsigned long long np = 0;
    for (size_t l = 0; l + 1 < n; l++) np += (unsigned long long)m->dims[l] * m->dims[l + 1] + m->dims[l + 1];
    if (np > MAX_PARAMS) {
        pb_mlp_free(m);
        return pb_error(PB_ERR_ARG, "model spec '%s': %llu parameters is more than the limit of %llu", spec, np,
                        MAX_PARAMS);
    }
    /* the group tables below (two entries per parameter) and a fit's mean and sd: 32 bytes per parameter */
    uint64_t avail = pb_mem_available();
    if (avail && (double)np * 32 > (double)avail) {
        pb_mlp_free(m);
        return pb_error(PB_ERR_NOMEM, "model spec '%s': %llu parameters need at least %.3g GB (32 bytes each), more "
                        "than the %.3g GB of memory available", spec, np, (double)np * 32 / 1e9, (double)avail / 1e9);
    }
    m->n_layers = n - 1;
    m->w_off = pb_calloc(m->n_layers, sizeof *m->w_off);
    m->b_off = pb_calloc(m->n_layers, sizeof *m->b_off);
    m->n_tensors = 2 * m->n_layers;
    m->tensors = pb_calloc(m->n_tensors, sizeof *m->tensors);
    if (!m->w_off || !m->b_off || !m->tensors) goto nomem;
    size_t off = 0;
    m->max_dim = 0;
    for (size_t l = 0; l < m->n_layers; l++) {
        size_t din = m->dims[l], dout = m->dims[l + 1];
        if (din > m->max_dim) m->max_dim = din;
        if (dout > m->max_dim) m->max_dim = dout;
        m->w_off[l] = off;
        pb_tensor *tw = &m->tensors[2 * l], *tb = &m->tensors[2 * l + 1];
        snprintf(tw->name, sizeof tw->name, "W%zu", l);
        tw->offset = off, tw->rows = dout, tw->cols = din, tw->is_bias = 0;
        off += din * dout;
        m->b_off[l] = off;
        snprintf(tb->name, sizeof tb->name, "b%zu", l);
        tb->offset = off, tb->rows = dout, tb->cols = 1, tb->is_bias = 1;
        off += dout;
    }
    m->n_params = off;
    /* Groups: input neurons of each layer (column i of W_l), then output
     * neurons (row j of W_l and b_l[j]). */
    for (size_t l = 0; l < m->n_layers; l++) m->n_groups += m->dims[l] + m->dims[l + 1];
    m->groups = pb_calloc(m->n_groups, sizeof *m->groups);
    if (!m->groups) goto nomem;
    size_t g = 0;
    for (size_t l = 0; l < m->n_layers; l++) {
        size_t din = m->dims[l], dout = m->dims[l + 1];
        for (size_t i = 0; i < din; i++, g++) {
            pb_group *G = &m->groups[g];
            G->kind = PB_GROUP_INPUT_NEURON, G->layer = l, G->unit = i, G->n_members = dout, G->variable = 1;
            if (!(G->members = pb_calloc(dout, sizeof *G->members))) goto nomem;
            for (size_t j = 0; j < dout; j++) G->members[j] = m->w_off[l] + j * din + i;
        }
        for (size_t j = 0; j < dout; j++, g++) {
            pb_group *G = &m->groups[g];
            G->kind = PB_GROUP_OUTPUT_NEURON, G->layer = l, G->unit = j, G->n_members = din + 1;
            if (!(G->members = pb_calloc(din + 1, sizeof *G->members))) goto nomem;
            for (size_t i = 0; i < din; i++) G->members[i] = m->w_off[l] + j * din + i;
            G->members[din] = m->b_off[l] + j;
        }
    }
    if (m->head == PB_HEAD_CE && m->dims[m->n_layers] < 2) {
        pb_mlp_free(m);
        return pb_error(PB_ERR_ARG, "model spec '%s': a cross-entropy head needs at least 2 outputs", spec);
    }
    *out = m;
    return PB_OK;
bad:
    pb_mlp_free(m);
    return pb_error(PB_ERR_ARG, "model spec '%s': expected 'mlp:<d0>-...-<dL>:<tanh|relu|identity>[:ce|mse]'", spec);
nomem:
    pb_mlp_free(m);
    return PB_ERR_NOMEM;
}

void pb_mlp_free(pb_mlp *m)
{
    if (!m) return;
    pb_groups_free(m->groups, m->n_groups);
    free(m->tensors);
    free(m->w_off);
    free(m->b_off);
    free(m->dims);
    free(m);
}

size_t pb_mlp_in_dim(const pb_mlp *m) { return m->dims[0]; }
size_t pb_mlp_out_dim(const pb_mlp *m) { return m->dims[m->n_layers]; }

void pb_mlp_init(const pb_mlp *m, double *w, const gsl_rng *rng)
{
    for (size_t l = 0; l < m->n_layers; l++) {
        size_t din = m->dims[l], dout = m->dims[l + 1];
        double sd = 1.0 / sqrt((double)din);
        for (size_t k = 0; k < din * dout; k++) w[m->w_off[l] + k] = sd * gsl_ran_gaussian_ziggurat(rng, 1.0);
        for (size_t j = 0; j < dout; j++) w[m->b_off[l] + j] = 0;
    }
}

#endif /* PB_F32 */

/* ---- training: both precisions ---- */

static pb_real **alloc_layers(const pb_mlp *m, size_t batch)
{
    pb_real **p = pb_calloc(m->n_layers, sizeof *p);
    if (!p) return NULL;
    for (size_t l = 0; l < m->n_layers; l++)
        if (!(p[l] = pb_calloc(batch * m->dims[l + 1], sizeof **p))) return p;
    return p;
}

static void free_layers(pb_real **p, size_t L)
{
    if (!p) return;
    for (size_t l = 0; l < L; l++) free(p[l]);
    free(p);
}

void PB_T(pb_mlp_ws_free)(PB_T(pb_mlp_ws) *ws)
{
    if (!ws) return;
    size_t L = ws->n_layers;
    free_layers(ws->a, L);
    free_layers(ws->h, L);
    free_layers(ws->delta, L);
    free_layers(ws->Ra, L);
    free_layers(ws->Rh, L);
    free_layers(ws->Rdelta, L);
    free(ws->tmp);
    free(ws->Rtmp);
    free(ws);
}

PB_T(pb_mlp_ws) *PB_T(pb_mlp_ws_alloc)(const pb_mlp *m, size_t batch)
{
    PB_T(pb_mlp_ws) *ws = pb_calloc(1, sizeof *ws);
    if (!ws) return NULL;
    ws->batch = batch;
    ws->n_layers = m->n_layers;
    ws->tmp = pb_calloc(batch * m->max_dim, sizeof *ws->tmp);
    ws->a = alloc_layers(m, batch);
    ws->h = alloc_layers(m, batch);
    ws->delta = alloc_layers(m, batch);
    ws->Ra = alloc_layers(m, batch);
    ws->Rh = alloc_layers(m, batch);
    ws->Rdelta = alloc_layers(m, batch);
    ws->Rtmp = pb_calloc(batch * m->max_dim, sizeof *ws->Rtmp);
    int ok = ws->tmp && ws->a && ws->h && ws->delta && ws->Ra && ws->Rh && ws->Rdelta && ws->Rtmp;
    for (size_t l = 0; ok && l < m->n_layers; l++)
        ok = ws->a[l] && ws->h[l] && ws->delta[l] && ws->Ra[l] && ws->Rh[l] && ws->Rdelta[l];
    if (!ok) {
        PB_T(pb_mlp_ws_free)(ws);
        pb_error(PB_ERR_NOMEM, "out of memory allocating MLP workspace");
        return NULL;
    }
    return ws;
}

/* act'(a) written in terms of a and h = act(a). */
static inline pb_real act_d1(pb_act act, pb_real a, pb_real h)
{
    switch (act) {
    case PB_ACT_TANH: return 1 - h * h;
    case PB_ACT_RELU: return a > 0 ? 1 : 0;
    default: return 1;
    }
}

/* d .*= act'(a) over n entries, vectorized (vmath.h); identity: unchanged. */
static void act_d1_mul(pb_act act, size_t n, pb_real *d, const pb_real *a, const pb_real *h)
{
    if (act == PB_ACT_TANH) PB_T(pb_vmul_tanh_d1)(n, d, h);
    else if (act == PB_ACT_RELU) PB_T(pb_vmul_relu_d1)(n, d, a);
}

/* act''(a): tanh'' = -2 h (1 - h^2); relu and identity: 0. */
static inline pb_real act_d2(pb_act act, pb_real h)
{
    return act == PB_ACT_TANH ? -2 * h * (1 - h * h) : 0;
}

/* a_l = in W^T + 1 b^T; h_l = act(a_l) (identity on the last layer). X is (B x d0). */
static void forward(const pb_mlp *m, PB_T(pb_mlp_ws) *ws, const pb_real *w, const pb_real *X, size_t B)
{
    for (size_t l = 0; l < m->n_layers; l++) {
        size_t din = m->dims[l], dout = m->dims[l + 1];
        const pb_real *in = l ? ws->h[l - 1] : X;
        pb_real *a = ws->a[l], *h = ws->h[l];
        const pb_real *W = w + m->w_off[l], *b = w + m->b_off[l];
        PB_T(pb_vset_rows)(B, dout, b, a);
        PB_T(pb_gemm)(0, 1, B, dout, din, 1.0, in, din, W, din, 1.0, a, dout);
        int last = l + 1 == m->n_layers;
        if (last || m->act == PB_ACT_IDENTITY) memcpy(h, a, B * dout * sizeof *h);
        else if (m->act == PB_ACT_TANH) PB_T(pb_vtanh)(B * dout, a, h);
        else PB_T(pb_vrelu)(B * dout, a, h);
    }
}

/* Loss of the outputs z = h_{L-1} (B x C) and dz = dl/dz into delta_{L-1};
 * for ce the softmax probabilities p are left in Rtmp (B x C). */
int PB_T(pb_head_loss)(pb_head head, double noise_precision, size_t C, const pb_real *z, const pb_real *y, size_t B,
                 double *loss, pb_real *dz, pb_real *p)
{
    double sum = 0;
    if (head == PB_HEAD_CE) {
        /* softmax by rows: e = exp(z - max_c z) for the whole block at once (vmath),
         * p = e / sum_c e, loss = log sum_c e + max - z_true, dz = p - onehot */
        for (size_t i = 0; i < B; i++) {
            pb_real y_i = y[i];
            if (!(y_i >= 0 && y_i < (pb_real)C) || y_i != floor(y_i))
                return pb_error(PB_ERR_ARG, "class label %g out of range 0..%zu", y_i, C - 1);
            const pb_real *zi = z + i * C;
            pb_real mx = zi[0];
            for (size_t c = 1; c < C; c++) if (zi[c] > mx) mx = zi[c];
            for (size_t c = 0; c < C; c++) dz[i * C + c] = zi[c] - mx;
            sum -= dz[i * C + (size_t)y_i];
        }
        PB_T(pb_vexp)(B * C, dz, dz);
        for (size_t i = 0; i < B; i++) {
            pb_real *di = dz + i * C, se = 0;
            for (size_t c = 0; c < C; c++) se += di[c];
            sum += log(se);
            pb_real inv = 1 / se;
            for (size_t c = 0; c < C; c++) {
                pb_real pc = di[c] * inv;
                if (p) p[i * C + c] = pc;
                di[c] = pc - (c == (size_t)y[i]);
            }
        }
    } else {
        for (size_t i = 0; i < B; i++)
            for (size_t c = 0; c < C; c++) {
                pb_real r = z[i * C + c] - y[i * C + c];
                sum += 0.5 * noise_precision * r * r;
                dz[i * C + c] = noise_precision * r;
            }
    }
    *loss += sum;
    return PB_OK;
}

int PB_T(pb_mlp_head_loss)(const pb_mlp *m, const pb_real *z, const pb_real *y, size_t B, double *loss, pb_real *dz,
                     pb_real *p)
{
    return PB_T(pb_head_loss)(m->head, m->noise_precision, m->dims[m->n_layers], z, y, B, loss, dz, p);
}

/* The head on the workspace's last layer; probabilities (ce) left in Rtmp. */
static int head_loss(const pb_mlp *m, PB_T(pb_mlp_ws) *ws, const pb_real *y, size_t B, double *loss)
{
    size_t L = m->n_layers;
    return PB_T(pb_mlp_head_loss)(m, ws->h[L - 1], y, B, loss, ws->delta[L - 1], ws->Rtmp);
}

/* Backward from delta_{L-1} (already set): grad += dL/dw.
 * Uses delta[l] (overwritten for l < L-1) and tmp. */
static void backward(const pb_mlp *m, PB_T(pb_mlp_ws) *ws, const pb_real *w, const pb_real *X, size_t B,
                     pb_real *grad)
{
    for (size_t l = m->n_layers; l-- > 0;) {
        size_t din = m->dims[l], dout = m->dims[l + 1];
        const pb_real *in = l ? ws->h[l - 1] : X;
        const pb_real *d = ws->delta[l];
        PB_T(pb_gemm)(1, 0, dout, din, B, 1.0, d, dout, in, din, 1.0, grad + m->w_off[l], din);
        pb_real *gb = grad + m->b_off[l];
        PB_T(pb_vsum_rows)(B, dout, d, gb);
        if (l == 0) break;
        /* delta_{l-1} = (delta_l W_l) .* act'(a_{l-1}) */
        pb_real *dprev = ws->delta[l - 1];
        PB_T(pb_gemm)(0, 0, B, din, dout, 1.0, d, dout, w + m->w_off[l], din, 0.0, dprev, din);
        act_d1_mul(m->act, B * din, dprev, ws->a[l - 1], ws->h[l - 1]);
    }
}

int PB_T(pb_mlp_predict)(const pb_mlp *m, PB_T(pb_mlp_ws) *ws, const pb_real *w, const pb_real *X, size_t N,
                   pb_real *out)
{
    size_t d0 = m->dims[0], C = m->dims[m->n_layers];
    for (size_t s = 0; s < N; s += ws->batch) {
        size_t B = N - s < ws->batch ? N - s : ws->batch;
        forward(m, ws, w, X + s * d0, B);
        const pb_real *z = ws->h[m->n_layers - 1];
        for (size_t i = 0; i < B; i++) {
            pb_real *o = out + (s + i) * C;
            const pb_real *zi = z + i * C;
            if (m->head == PB_HEAD_CE) {
                pb_real mx = zi[0], se = 0;
                for (size_t c = 1; c < C; c++) if (zi[c] > mx) mx = zi[c];
                for (size_t c = 0; c < C; c++) se += (o[c] = exp(zi[c] - mx));
                for (size_t c = 0; c < C; c++) o[c] /= se;
            } else {
                memcpy(o, zi, C * sizeof *o);
            }
        }
    }
    return PB_OK;
}

static size_t y_stride(const pb_mlp *m) { return m->head == PB_HEAD_CE ? 1 : m->dims[m->n_layers]; }

int PB_T(pb_mlp_loss_grad)(const pb_mlp *m, PB_T(pb_mlp_ws) *ws, const pb_real *w, const pb_real *X,
                     const pb_real *y, size_t N, double *loss, pb_real *grad)
{
    size_t d0 = m->dims[0], ys = y_stride(m);
    *loss = 0;
    if (grad) memset(grad, 0, m->n_params * sizeof *grad);
    for (size_t s = 0; s < N; s += ws->batch) {
        size_t B = N - s < ws->batch ? N - s : ws->batch;
        forward(m, ws, w, X + s * d0, B);
        int st = head_loss(m, ws, y + s * ys, B, loss);
        if (st) return st;
        if (grad) backward(m, ws, w, X + s * d0, B, grad);
    }
    return PB_OK;
}

#ifndef PB_F32
/* ---- curvature: double only ---- */

/* out = H_out u per sample for the head (u and out are B x C). */
static void head_hessian(const pb_mlp *m, const double *p, const double *u, size_t B, double *out)
{
    size_t C = m->dims[m->n_layers];
    for (size_t i = 0; i < B; i++) {
        const double *pi = p + i * C, *ui = u + i * C;
        double *oi = out + i * C;
        if (m->head == PB_HEAD_CE) {
            /* H_out = diag(p) - p p^T */
            double pu = 0;
            for (size_t c = 0; c < C; c++) pu += pi[c] * ui[c];
            for (size_t c = 0; c < C; c++) oi[c] = pi[c] * (ui[c] - pu);
        } else {
            for (size_t c = 0; c < C; c++) oi[c] = m->noise_precision * ui[c];  /* H_out = beta I */
        }
    }
}

int pb_mlp_hessian_vec(const pb_mlp *m, pb_mlp_ws *ws, const double *w, const double *X,
                       const double *y, size_t N, const double *v, int exact, double *out)
{
    size_t d0 = m->dims[0], ys = y_stride(m), L = m->n_layers;
    memset(out, 0, m->n_params * sizeof *out);
    for (size_t s = 0; s < N; s += ws->batch) {
        size_t B = N - s < ws->batch ? N - s : ws->batch;
        const double *Xb = X + s * d0;
        double loss = 0;
        forward(m, ws, w, Xb, B);
        int st = head_loss(m, ws, y + s * ys, B, &loss);
        if (st) return st;
        /* R-forward */
        for (size_t l = 0; l < L; l++) {
            size_t din = m->dims[l], dout = m->dims[l + 1];
            const double *in = l ? ws->h[l - 1] : Xb;
            double *Ra = ws->Ra[l];
            const double *c = v + m->b_off[l];
            for (size_t i = 0; i < B; i++) memcpy(Ra + i * dout, c, dout * sizeof *Ra);
            pb_gemm(0, 1, B, dout, din, 1.0, in, din, v + m->w_off[l], din, 1.0, Ra, dout);
            if (l) pb_gemm(0, 1, B, dout, din, 1.0, ws->Rh[l - 1], din, w + m->w_off[l], din, 1.0, Ra, dout);
            int last = l + 1 == L;
            for (size_t k = 0; k < B * dout; k++)
                ws->Rh[l][k] = last ? Ra[k] : act_d1(m->act, ws->a[l][k], ws->h[l][k]) * Ra[k];
        }
        /* R delta at the head: H_out R z (probabilities p are in Rtmp). */
        head_hessian(m, ws->Rtmp, ws->Rh[L - 1], B, ws->Rdelta[L - 1]);
        /* R-backward; delta_l is recomputed alongside for the exact terms. */
        for (size_t l = L; l-- > 0;) {
            size_t din = m->dims[l], dout = m->dims[l + 1];
            const double *in = l ? ws->h[l - 1] : Xb;
            const double *d = ws->delta[l], *Rd = ws->Rdelta[l];
            const double *W = w + m->w_off[l], *V = v + m->w_off[l];
            pb_gemm(1, 0, dout, din, B, 1.0, Rd, dout, in, din, 1.0, out + m->w_off[l], din);
            if (exact && l) pb_gemm(1, 0, dout, din, B, 1.0, d, dout, ws->Rh[l - 1], din, 1.0, out + m->w_off[l], din);
            double *ob = out + m->b_off[l];
            for (size_t i = 0; i < B; i++)
                for (size_t j = 0; j < dout; j++) ob[j] += Rd[i * dout + j];
            if (l == 0) break;
            double *dh = ws->tmp, *Rdh = ws->Rtmp;
            /* Rtmp held p, which is no longer needed once the head is done. */
            pb_gemm(0, 0, B, din, dout, 1.0, d, dout, W, din, 0.0, dh, din);
            pb_gemm(0, 0, B, din, dout, 1.0, Rd, dout, W, din, 0.0, Rdh, din);
            if (exact) pb_gemm(0, 0, B, din, dout, 1.0, d, dout, V, din, 1.0, Rdh, din);
            const double *ap = ws->a[l - 1], *hp = ws->h[l - 1], *Rap = ws->Ra[l - 1];
            double *dprev = ws->delta[l - 1], *Rdprev = ws->Rdelta[l - 1];
            for (size_t k = 0; k < B * din; k++) {
                double d1 = act_d1(m->act, ap[k], hp[k]);
                dprev[k] = dh[k] * d1;
                Rdprev[k] = Rdh[k] * d1 + (exact ? dh[k] * act_d2(m->act, hp[k]) * Rap[k] : 0);
            }
        }
    }
    return PB_OK;
}

int pb_mlp_gn_diag(const pb_mlp *m, pb_mlp_ws *ws, const double *w, const double *X,
                   const double *y, size_t N, double *diag)
{
    size_t d0 = m->dims[0], ys = y_stride(m), L = m->n_layers, C = m->dims[L];
    memset(diag, 0, m->n_params * sizeof *diag);
    double *p = pb_calloc(ws->batch * C, sizeof *p), *sq = pb_calloc(ws->batch * m->max_dim, sizeof *sq);
    if (!p || !sq) { free(p); free(sq); return PB_ERR_NOMEM; }
    for (size_t s = 0; s < N; s += ws->batch) {
        size_t B = N - s < ws->batch ? N - s : ws->batch;
        const double *Xb = X + s * d0;
        double loss = 0;
        forward(m, ws, w, Xb, B);
        int st = head_loss(m, ws, y + s * ys, B, &loss);
        if (st) { free(p); free(sq); return st; }
        memcpy(p, ws->Rtmp, B * C * sizeof *p);
        for (size_t c = 0; c < C; c++) {
            /* delta_{L-1} = u_c per sample */
            double *d = ws->delta[L - 1];
            for (size_t i = 0; i < B; i++)
                for (size_t k = 0; k < C; k++) {
                    if (m->head == PB_HEAD_CE) {
                        double pc = p[i * C + c];
                        d[i * C + k] = sqrt(pc) * ((k == c) - p[i * C + k]);
                    } else {
                        d[i * C + k] = (k == c) ? sqrt(m->noise_precision) : 0;  /* u_c = sqrt(beta) e_c */
                    }
                }
            for (size_t l = L; l-- > 0;) {
                size_t din = m->dims[l], dout = m->dims[l + 1];
                const double *in = l ? ws->h[l - 1] : Xb;
                const double *dl = ws->delta[l];
                /* diag_W += (delta .* delta)^T (in .* in): per-sample squares summed */
                double *dsq = ws->Rtmp;
                for (size_t k = 0; k < B * dout; k++) dsq[k] = dl[k] * dl[k];
                for (size_t k = 0; k < B * din; k++) sq[k] = in[k] * in[k];
                pb_gemm(1, 0, dout, din, B, 1.0, dsq, dout, sq, din, 1.0, diag + m->w_off[l], din);
                double *db = diag + m->b_off[l];
                for (size_t i = 0; i < B; i++)
                    for (size_t j = 0; j < dout; j++) db[j] += dsq[i * dout + j];
                if (l == 0) break;
                double *dprev = ws->delta[l - 1];
                pb_gemm(0, 0, B, din, dout, 1.0, dl, dout, w + m->w_off[l], din, 0.0, dprev, din);
                const double *ap = ws->a[l - 1], *hp = ws->h[l - 1];
                for (size_t k = 0; k < B * din; k++) dprev[k] *= act_d1(m->act, ap[k], hp[k]);
            }
        }
    }
    free(p);
    free(sq);
    return PB_OK;
}

int pb_mlp_gn_matrix(const pb_mlp *m, pb_mlp_ws *ws, const double *w, const double *X, const double *y,
                     size_t N, double *G)
{
    size_t d0 = m->dims[0], ys = y_stride(m), L = m->n_layers, C = m->dims[L], n = m->n_params;
    memset(G, 0, n * n * sizeof *G);
    /* J: per-sample rows g_ic (B x n); p: softmax probabilities (B x C) */
    double *J = pb_calloc(ws->batch * n, sizeof *J), *p = pb_calloc(ws->batch * C, sizeof *p);
    if (!J || !p) { free(J); free(p); return PB_ERR_NOMEM; }
    int st = PB_OK;
    for (size_t s = 0; s < N && !st; s += ws->batch) {
        size_t B = N - s < ws->batch ? N - s : ws->batch;
        const double *Xb = X + s * d0;
        double loss = 0;
        forward(m, ws, w, Xb, B);
        if ((st = head_loss(m, ws, y + s * ys, B, &loss))) break;
        memcpy(p, ws->Rtmp, B * C * sizeof *p);
        for (size_t c = 0; c < C; c++) {
            double *d = ws->delta[L - 1];
            for (size_t i = 0; i < B; i++)
                for (size_t k = 0; k < C; k++)
                    d[i * C + k] = m->head == PB_HEAD_CE ? sqrt(p[i * C + c]) * ((k == c) - p[i * C + k])
                                                         : (k == c) ? sqrt(m->noise_precision) : 0;
            for (size_t l = L; l-- > 0;) {
                size_t din = m->dims[l], dout = m->dims[l + 1];
                const double *in = l ? ws->h[l - 1] : Xb, *dl = ws->delta[l];
                /* row i: dW_l = delta_i (x) in_i, db_l = delta_i */
                for (size_t i = 0; i < B; i++) {
                    double *row = J + i * n;
                    for (size_t o = 0; o < dout; o++) {
                        double dv = dl[i * dout + o];
                        double *rw = row + m->w_off[l] + o * din;
                        for (size_t k = 0; k < din; k++) rw[k] = dv * in[i * din + k];
                        row[m->b_off[l] + o] = dv;
                    }
                }
                if (l == 0) break;
                double *dprev = ws->delta[l - 1];
                pb_gemm(0, 0, B, din, dout, 1.0, dl, dout, w + m->w_off[l], din, 0.0, dprev, din);
                const double *ap = ws->a[l - 1], *hp = ws->h[l - 1];
                for (size_t k = 0; k < B * din; k++) dprev[k] *= act_d1(m->act, ap[k], hp[k]);
            }
            /* G += J^T J */
            pb_gemm(1, 0, n, n, B, 1.0, J, n, J, n, 1.0, G, n);
        }
    }
    free(J);
    free(p);
    return st;
}

int pb_mlp_hessian_diag(const pb_mlp *m, pb_mlp_ws *ws, const double *w, const double *X,
                        const double *y, size_t N, double *diag)
{
    size_t n = m->n_params;
    double *e = pb_calloc(n, sizeof *e), *hv = pb_calloc(n, sizeof *hv);
    if (!e || !hv) { free(e); free(hv); return PB_ERR_NOMEM; }
    int st = PB_OK;
    for (size_t j = 0; j < n && !st; j++) {
        e[j] = 1;
        st = pb_mlp_hessian_vec(m, ws, w, X, y, N, e, 1, hv);
        diag[j] = hv[j];
        e[j] = 0;
    }
    free(e);
    free(hv);
    return st;
}
#endif /* PB_F32 */
