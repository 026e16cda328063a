/* rnn.c -- the Elman RNN and LSTM of rnn.h: parsing and tables, forward,
 * backpropagation through time with group multipliers, and compaction.
 *
 * A chunk of B sequences is stored time-major: row t*B + i of every per-step
 * array is sample i at step t (t = 0..T-1 here; step t+1 of the header).
 * Per chunk, with z the sample's row of Z (all ones when Z is NULL):
 *
 *   U   (T*B x d)   U[t,i]  = z_x .* x_t,i            (x = Emb[token] z_vocab[token])
 *   S   (T*B x GH)  S = U Wx^T                        one GEMM for all steps
 *                   S_t += HZ_{t-1} Wh^T              one GEMM per step t >= 1
 *   A   (T*B x GH)  LSTM: A_t = act(z_gate .* S_t + b), the gates;
 *                   Elman: A_t = S_t + b, h_t = tanh(A_t)
 *   Cs, TCs, Hs (T*B x H)  c_t, tanh(c_t), h_t;  HZ_t = z_h .* h_t
 *   zo  (B x C)     zo = HZ_{T-1} Wout^T + bout
 * Without Z, S is computed in A and the activations overwrite it in place;
 * with Z, S has its own array (dZ_gate needs it). In the backward pass dS
 * overwrites A step by step (step t's activations are not needed after it).
 *
 * Backward (delta = dL/d of the named quantity):
 *   dWout += dzo^T HZ_{T-1},  dbout += 1^T dzo,  dHZ_{T-1} = dzo Wout
 *   dh = dHZ .* z_h,  dZ_h += dHZ .* h            (every step's hidden state)
 *   LSTM cell, step t (dc carried from step t+1 as dc_{t+1} .* f_{t+1}):
 *     dc  += dh .* o .* (1 - tanh(c)^2)
 *     da_i = dc g i(1-i), da_f = dc c_{t-1} f(1-f), da_g = dc i (1-g^2),
 *     da_o = dh tanh(c) o(1-o)
 *   Elman: da = dh .* (1 - h^2)
 *   db += 1^T da,  dZ_gate += da .* S_t,  dS_t = da .* z_gate   (into A_t)
 *   dHZ_{t-1} = dS_t Wh
 *   after the loop: dWh += dS_{1..T-1}^T HZ_{0..T-2}   one GEMM, K = (T-1)B
 *                   dWx += dS^T U                      one GEMM, K = T B
 *                   (both computed transposed, then added)
 *                   dU = dS Wx  (tokens or dZ): dZ_x += dU .* x,
 *                   dEmb[v] += dU .* z_x z_vocab[v],  dZ_vocab[v] += (dU .* z_x) . Emb[v]
 */
#include "models/rnn.h"
#include "base/util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_randist.h>
#include "base/vmath.h"
#include "base/real.h"

/* ---- elementwise kernels (the only places that call exp and tanh) --------
 * sigm(x) = 1 / (1 + exp(-x)) and tanh, vectorized (harness/vmath.h: within
 * 2.5 ulp of the exact values). */

/* x <- sigm(x) */
static void v_sigm(size_t n, pb_real *x) { PB_T(pb_vsigmoid)(n, x, x); }

/* y <- tanh(x) (y may equal x) */
static void v_tanh_to(size_t n, const pb_real *x, pb_real *y) { PB_T(pb_vtanh)(n, x, y); }

/* x <- tanh(x) */
static void v_tanh(size_t n, pb_real *x) { v_tanh_to(n, x, x); }

/* C (M x N) = alpha op(A) op(B) + beta C, also when the inner size K is 0
 * (compact networks can have no inputs or no hidden units left). */
static void gemm(int ta, int tb, size_t M, size_t N, size_t K, pb_real alpha, const pb_real *A, size_t lda,
                 const pb_real *B, size_t ldb, pb_real beta, pb_real *C, size_t ldc)
{
    if (M == 0 || N == 0) return;
    if (K == 0) {
        for (size_t i = 0; i < M; i++)
            for (size_t j = 0; j < N; j++) C[i * ldc + j] = beta == 0 ? 0 : beta * C[i * ldc + j];
        return;
    }
    PB_T(pb_gemm)(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
}

/* pb_calloc of at least one element (sizes can be 0). */
static void *calloc1(size_t n, size_t size) { return pb_calloc(n ? n : 1, size); }

#ifndef PB_F32
/* ---- parsing and tables ---------------------------------------------------- */

#define SPEC_FORMS "'lstm|rnn:<T>x<d>-<H>-<C>[:ce|:mse]' or 'lstm|rnn:<T>xv<V>e<E>-<H>-<C>[:ce|:mse]'"
#define MAX_DIM 1000000ULL
#define MAX_PARAMS 1000000000ULL

/* A positive decimal size (digits only, at most MAX_DIM); advances *p. */
static int parse_size(const char **p, size_t *out)
{
    if (**p < '0' || **p > '9') return 0;
    char *end;
    unsigned long long v = strtoull(*p, &end, 10);
    if (v == 0 || v > MAX_DIM) return 0;
    *out = (size_t)v;
    *p = end;
    return 1;
}

static int add_group(pb_group *G, pb_group_kind kind, size_t unit, size_t n)
{
    G->kind = kind, G->layer = 0, G->unit = unit, G->n_members = n, G->variable = 1;
    G->members = calloc1(n, sizeof *G->members);
    return G->members != NULL;
}

int pb_rnn_parse(const char *spec, pb_rnn **out)
{
    *out = NULL;
    if (strlen(spec) >= sizeof ((pb_rnn *)0)->spec)
        return pb_error(PB_ERR_ARG, "model spec '%s' is too long", spec);
    pb_rnn *m = pb_calloc(1, sizeof *m);
    if (!m) return PB_ERR_NOMEM;
    strcpy(m->spec, spec);
    const char *p = spec;
    if (!strncmp(p, "lstm:", 5)) m->cell = PB_CELL_LSTM, m->G = 4, p += 5;
    else if (!strncmp(p, "rnn:", 4)) m->cell = PB_CELL_ELMAN, m->G = 1, p += 4;
    else goto bad;
    if (!parse_size(&p, &m->T) || *p++ != 'x') goto bad;
    if (*p == 'v') {
        p++;
        m->tokens = 1;
        if (!parse_size(&p, &m->V) || *p++ != 'e' || !parse_size(&p, &m->E)) goto bad;
        m->d = m->E;
    } else if (!parse_size(&p, &m->d)) goto bad;
    if (*p++ != '-' || !parse_size(&p, &m->H) || *p++ != '-' || !parse_size(&p, &m->C)) goto bad;
    m->head = PB_HEAD_CE;
    m->noise_precision = 1.0;
    if (*p == ':') {
        if (!strcmp(p + 1, "ce")) m->head = PB_HEAD_CE;
        else if (!strcmp(p + 1, "mse")) m->head = PB_HEAD_MSE;
        else goto bad;
    } else if (*p) goto bad;
    if (m->head == PB_HEAD_CE && m->C < 2) {
        pb_rnn_free(m);
        return pb_error(PB_ERR_ARG, "model spec '%s': a cross-entropy head needs at least 2 outputs", spec);
    }
    size_t V = m->V, E = m->E, d = m->d, H = m->H, C = m->C, GH = m->G * m->H;
    /* each size <= 1e6, so these products cannot overflow 64 bits */
    unsigned long long np = (unsigned long long)V * E + (unsigned long long)GH * (d + H + 1) +
                            (unsigned long long)C * (H + 1);
    if (np > MAX_PARAMS) {
        pb_rnn_free(m);
        return pb_error(PB_ERR_ARG, "model spec '%s': %llu parameters is more than the limit of %llu", spec, np,
                        MAX_PARAMS);
    }
    m->off_emb = 0;
    m->off_wx = V * E;
    m->off_wh = m->off_wx + GH * d;
    m->off_b = m->off_wh + GH * H;
    m->off_wout = m->off_b + GH;
    m->off_bout = m->off_wout + C * H;
    m->n_params = m->off_bout + C;

    m->n_tensors = m->tokens ? 6 : 5;
    m->tensors = pb_calloc(m->n_tensors, sizeof *m->tensors);
    if (!m->tensors) goto nomem;
    pb_tensor *t = m->tensors;
    if (m->tokens) *t++ = (pb_tensor){"Emb", m->off_emb, V, E, 0};
    *t++ = (pb_tensor){"Wx", m->off_wx, GH, d, 0};
    *t++ = (pb_tensor){"Wh", m->off_wh, GH, H, 0};
    *t++ = (pb_tensor){"b", m->off_b, GH, 1, 1};
    *t++ = (pb_tensor){"Wout", m->off_wout, C, H, 0};
    *t++ = (pb_tensor){"bout", m->off_bout, C, 1, 1};

    m->zoff_vocab = 0;
    m->zoff_x = V;
    m->zoff_h = m->zoff_x + d;
    m->zoff_gate = m->zoff_h + H;
    m->n_groups = m->zoff_gate + (m->cell == PB_CELL_LSTM ? GH : 0);
    m->groups = pb_calloc(m->n_groups, sizeof *m->groups);
    if (!m->groups) goto nomem;
    pb_group *g = m->groups;
    for (size_t v = 0; v < V; v++, g++) {      /* row v of Emb */
        if (!add_group(g, PB_GROUP_VOCABULARY, v, E)) goto nomem;
        for (size_t e = 0; e < E; e++) g->members[e] = m->off_emb + v * E + e;
    }
    for (size_t j = 0; j < d; j++, g++) {      /* column j of Wx */
        if (!add_group(g, PB_GROUP_INPUT_NEURON, j, GH)) goto nomem;
        for (size_t r = 0; r < GH; r++) g->members[r] = m->off_wx + r * d + j;
    }
    for (size_t k = 0; k < H; k++, g++) {      /* column k of Wh, column k of Wout */
        if (!add_group(g, PB_GROUP_HIDDEN_NEURON, k, GH + C)) goto nomem;
        for (size_t r = 0; r < GH; r++) g->members[r] = m->off_wh + r * H + k;
        for (size_t c = 0; c < C; c++) g->members[GH + c] = m->off_wout + c * H + k;
    }
    if (m->cell == PB_CELL_LSTM)
        for (size_t r = 0; r < GH; r++, g++) { /* row r of Wx, row r of Wh */
            if (!add_group(g, PB_GROUP_GATE, r, d + H)) goto nomem;
            for (size_t j = 0; j < d; j++) g->members[j] = m->off_wx + r * d + j;
            for (size_t k = 0; k < H; k++) g->members[d + k] = m->off_wh + r * H + k;
        }
    *out = m;
    return PB_OK;
bad:
    pb_rnn_free(m);
    return pb_error(PB_ERR_ARG, "model spec '%s': expected %s", spec, SPEC_FORMS);
nomem:
    pb_rnn_free(m);
    return PB_ERR_NOMEM;
}

void pb_rnn_free(pb_rnn *m)
{
    if (!m) return;
    pb_groups_free(m->groups, m->n_groups);
    free(m->tensors);
    free(m);
}

size_t pb_rnn_in_dim(const pb_rnn *m) { return m->tokens ? m->T : m->T * m->d; }
size_t pb_rnn_out_dim(const pb_rnn *m) { return m->C; }

void pb_rnn_init(const pb_rnn *m, double *w, const gsl_rng *rng)
{
    size_t GH = m->G * m->H;
    for (size_t k = 0; k < m->V * m->E; k++) w[m->off_emb + k] = gsl_ran_gaussian_ziggurat(rng, 1.0);
    double sr = 1.0 / sqrt((double)(m->d + m->H));
    for (size_t k = 0; k < GH * m->d; k++) w[m->off_wx + k] = sr * gsl_ran_gaussian_ziggurat(rng, 1.0);
    for (size_t k = 0; k < GH * m->H; k++) w[m->off_wh + k] = sr * gsl_ran_gaussian_ziggurat(rng, 1.0);
    double so = 1.0 / sqrt((double)m->H);
    for (size_t k = 0; k < m->C * m->H; k++) w[m->off_wout + k] = so * gsl_ran_gaussian_ziggurat(rng, 1.0);
    for (size_t r = 0; r < GH; r++)
        w[m->off_b + r] = (m->cell == PB_CELL_LSTM && r >= m->H && r < 2 * m->H) ? 1.0 : 0.0;
    for (size_t c = 0; c < m->C; c++) w[m->off_bout + c] = 0;
}

#endif /* PB_F32 */

/* ---- workspace --------------------------------------------------------------- */

struct PB_T(pb_rnn_ws) {
    size_t batch, T, GH, H;
    size_t *tok;            /* T*batch token ids (tokens only) */
    pb_real *U, *dU;         /* T*batch x d */
    pb_real *A;              /* T*batch x GH: S, then activations, then dS */
    pb_real *Cs, *TCs;       /* T*batch x H: c_t, tanh(c_t) (LSTM) */
    pb_real *Hs;             /* T*batch x H: h_t */
    pb_real *S, *HZ;         /* with Z only (allocated on first use): T*batch x GH, T*batch x H */
    pb_real *dh, *dhz, *dc;  /* batch x H */
    pb_real *zo, *dzo;       /* batch x C */
    pb_real *gT;             /* max(d, H) x GH: a weight gradient, transposed */
    pb_real *w, *eps;        /* variational step only (allocated on first use): n_params, off_b */
    pb_real *e, *sd, *r;     /* batch x C: head noise, its sd, dzo .* e / sd */
    pb_real *h2, *dhv;       /* batch x H: HZ_{T-1}^2, the head noise's share of dHZ_{T-1} */
};

void PB_T(pb_rnn_ws_free)(PB_T(pb_rnn_ws) *ws)
{
    if (!ws) return;
    free(ws->tok);
    free(ws->U), free(ws->dU), free(ws->A), free(ws->Cs), free(ws->TCs), free(ws->Hs);
    free(ws->S), free(ws->HZ);
    free(ws->dh), free(ws->dhz), free(ws->dc), free(ws->zo), free(ws->dzo), free(ws->gT);
    free(ws->w), free(ws->eps), free(ws->e), free(ws->sd), free(ws->r), free(ws->h2), free(ws->dhv);
    free(ws);
}

PB_T(pb_rnn_ws) *PB_T(pb_rnn_ws_alloc)(const pb_rnn *m, size_t batch)
{
    if (batch == 0) {
        pb_error(PB_ERR_ARG, "RNN workspace: batch size 0");
        return NULL;
    }
    PB_T(pb_rnn_ws) *ws = pb_calloc(1, sizeof *ws);
    if (!ws) return NULL;
    size_t TB = m->T * batch, GH = m->G * m->H, H = m->H;
    ws->batch = batch, ws->T = m->T, ws->GH = GH, ws->H = H;
    int ok = 1;
    if (m->tokens) ok &= (ws->tok = pb_calloc(TB, sizeof *ws->tok)) != NULL;
    ok &= (ws->U = pb_calloc(TB * m->d, sizeof *ws->U)) != NULL;
    ok &= (ws->dU = pb_calloc(TB * m->d, sizeof *ws->dU)) != NULL;
    ok &= (ws->A = pb_calloc(TB * GH, sizeof *ws->A)) != NULL;
    if (m->cell == PB_CELL_LSTM) {
        ok &= (ws->Cs = pb_calloc(TB * H, sizeof *ws->Cs)) != NULL;
        ok &= (ws->TCs = pb_calloc(TB * H, sizeof *ws->TCs)) != NULL;
    }
    ok &= (ws->Hs = pb_calloc(TB * H, sizeof *ws->Hs)) != NULL;
    ok &= (ws->dh = pb_calloc(batch * H, sizeof *ws->dh)) != NULL;
    ok &= (ws->dhz = pb_calloc(batch * H, sizeof *ws->dhz)) != NULL;
    ok &= (ws->dc = pb_calloc(batch * H, sizeof *ws->dc)) != NULL;
    ok &= (ws->zo = pb_calloc(batch * m->C, sizeof *ws->zo)) != NULL;
    ok &= (ws->dzo = pb_calloc(batch * m->C, sizeof *ws->dzo)) != NULL;
    ok &= (ws->gT = pb_calloc((m->d > H ? m->d : H) * GH, sizeof *ws->gT)) != NULL;
    if (!ok) {
        PB_T(pb_rnn_ws_free)(ws);
        pb_error(PB_ERR_NOMEM, "out of memory allocating the RNN workspace (batch %zu, %zu steps)", batch, m->T);
        return NULL;
    }
    return ws;
}

/* The arrays used only with group multipliers. */
static int ws_need_z(PB_T(pb_rnn_ws) *ws)
{
    if (ws->S) return PB_OK;
    size_t TB = ws->T * ws->batch;
    ws->S = pb_calloc(TB * ws->GH, sizeof *ws->S);
    ws->HZ = pb_calloc(TB * ws->H, sizeof *ws->HZ);
    if (!ws->S || !ws->HZ) {
        free(ws->S), free(ws->HZ);
        ws->S = ws->HZ = NULL;
        return pb_error(PB_ERR_NOMEM, "out of memory allocating the RNN workspace for group multipliers");
    }
    return PB_OK;
}

/* ---- forward ------------------------------------------------------------------ */

/* A token id x (a pb_real) as an index in [0, V), or an error. */
static int token_id(pb_real x, size_t V, size_t t, size_t i, size_t *v)
{
    if (!(x >= 0 && (double)x < (double)V) || x != floor(x))
        return pb_error(PB_ERR_ARG, "token id %g at step %zu of sample %zu is not an integer in [0, %zu)", x, t, i, V);
    *v = (size_t)x;
    return PB_OK;
}

/* U[t*B+i] = z_x .* x_{t,i}  (T*B x d); x = X row slice or Emb[v] z_vocab[v].
 * Z (B rows of nz) may be NULL. */
static int build_inputs(const pb_rnn *m, PB_T(pb_rnn_ws) *ws, const pb_real *w, const pb_real *X, size_t B,
                        const pb_real *Z, size_t s0)
{
    size_t T = m->T, d = m->d, nz = m->n_groups, in = pb_rnn_in_dim(m);
    const pb_real *Emb = w + m->off_emb;
    for (size_t t = 0; t < T; t++)
        for (size_t i = 0; i < B; i++) {
            pb_real *u = ws->U + (t * B + i) * d;
            const pb_real *zx = Z ? Z + i * nz + m->zoff_x : NULL;
            if (m->tokens) {
                size_t v = 0;
                int st = token_id(X[i * in + t], m->V, t, s0 + i, &v);
                if (st) return st;
                ws->tok[t * B + i] = v;
                const pb_real *e = Emb + v * d;
                if (Z) {
                    pb_real zv = Z[i * nz + m->zoff_vocab + v];
                    for (size_t j = 0; j < d; j++) u[j] = e[j] * zv * zx[j];
                } else {
                    memcpy(u, e, d * sizeof *u);
                }
            } else {
                const pb_real *x = X + i * in + t * d;
                if (Z) for (size_t j = 0; j < d; j++) u[j] = x[j] * zx[j];
                else memcpy(u, x, d * sizeof *u);
            }
        }
    return PB_OK;
}

/* Pre-activations of one step (B x GH): At = z_gate .* St + b, or, without
 * group multipliers (zg NULL), At = St + b in place (St == At). */
static void preact(size_t B, size_t GH, pb_real *At, const pb_real *St, const pb_real *b, const pb_real *zg, size_t nz)
{
    for (size_t i = 0; i < B; i++) {
        pb_real *a = At + i * GH;
        const pb_real *s = St + i * GH;
        if (zg) {
            const pb_real *z = zg + i * nz;
            for (size_t r = 0; r < GH; r++) a[r] = z[r] * s[r] + b[r];
        } else {
            for (size_t r = 0; r < GH; r++) a[r] = s[r] + b[r];
        }
    }
}

/* Gate activations in place on At (B x 4H): sigm on i, f, o; tanh on g. */
static void lstm_act(size_t B, size_t H, pb_real *At)
{
    for (size_t i = 0; i < B; i++) {
        pb_real *a = At + i * 4 * H;
        v_sigm(2 * H, a);
        v_tanh(H, a + 2 * H);
        v_sigm(H, a + 3 * H);
    }
}

/* One LSTM cell update for B samples: gates At (B x 4H: i, f, g, o),
 * c = f .* cprev + i .* g (cprev NULL: zero), tc = tanh(c), h = o .* tc. */
static void lstm_cell(size_t B, size_t H, const pb_real *At, const pb_real *cprev, pb_real *c, pb_real *tc, pb_real *h)
{
    for (size_t i = 0; i < B; i++) {
        const pb_real *ig = At + i * 4 * H, *fg = ig + H, *gg = ig + 2 * H, *og = ig + 3 * H;
        pb_real *ci = c + i * H, *tci = tc + i * H, *hi = h + i * H;
        if (cprev) {
            const pb_real *cp = cprev + i * H;
            for (size_t u = 0; u < H; u++) ci[u] = fg[u] * cp[u] + ig[u] * gg[u];
        } else {
            for (size_t u = 0; u < H; u++) ci[u] = ig[u] * gg[u];
        }
        v_tanh_to(H, ci, tci);
        for (size_t u = 0; u < H; u++) hi[u] = og[u] * tci[u];
    }
}

/* hz = h .* z_h (B x H; zh rows of stride nz) */
static void scale_rows(size_t B, size_t H, const pb_real *h, const pb_real *zh, size_t nz, pb_real *hz)
{
    for (size_t i = 0; i < B; i++)
        for (size_t k = 0; k < H; k++) hz[i * H + k] = h[i * H + k] * zh[i * nz + k];
}

/* The recurrence of one chunk of B sequences (X, Z: the chunk's rows),
 * leaving every step's state in ws (reads w only below off_wout). */
static int forward_states(const pb_rnn *m, PB_T(pb_rnn_ws) *ws, const pb_real *w, const pb_real *X, size_t B,
                          const pb_real *Z, size_t s0)
{
    size_t T = m->T, d = m->d, H = m->H, GH = m->G * H, nz = m->n_groups;
    int lstm = m->cell == PB_CELL_LSTM;
    int st = build_inputs(m, ws, w, X, B, Z, s0);
    if (st) return st;
    const pb_real *Wx = w + m->off_wx, *Wh = w + m->off_wh, *b = w + m->off_b;
    const pb_real *HZ = Z ? ws->HZ : ws->Hs;   /* what the recurrence and the output read */
    /* S lives in ws->S when Z is given (dZ_gate needs it), else in A itself */
    pb_real *S = Z ? ws->S : ws->A;
    const pb_real *zg = Z && lstm ? Z + m->zoff_gate : NULL;
    /* input products of all steps: S = U Wx^T  ((T B) x d times d x GH) */
    gemm(0, 1, T * B, GH, d, 1.0, ws->U, d, Wx, d, 0.0, S, GH);
    for (size_t t = 0; t < T; t++) {
        pb_real *At = ws->A + t * B * GH, *St = S + t * B * GH, *Ht = ws->Hs + t * B * H;
        /* recurrent product: S_t += HZ_{t-1} Wh^T  (B x H times H x GH) */
        if (t) gemm(0, 1, B, GH, H, 1.0, HZ + (t - 1) * B * H, H, Wh, H, 1.0, St, GH);
        /* the elementwise part one sample at a time, so a row (GH + 4H
         * pb_reals) stays in L1 through all its kernels */
        pb_real *Ct = lstm ? ws->Cs + t * B * H : NULL, *TCt = lstm ? ws->TCs + t * B * H : NULL;
        for (size_t i = 0; i < B; i++) {
            pb_real *a = At + i * GH, *h = Ht + i * H;
            preact(1, GH, a, St + i * GH, b, zg ? zg + i * nz : NULL, nz);
            if (lstm) {
                lstm_act(1, H, a);
                lstm_cell(1, H, a, t ? Ct - B * H + i * H : NULL, Ct + i * H, TCt + i * H, h);
            } else {
                v_tanh_to(H, a, h);
            }
            if (Z) scale_rows(1, H, h, Z + i * nz + m->zoff_h, nz, ws->HZ + (t * B + i) * H);
        }
    }
    return PB_OK;
}

/* Forward pass of one chunk of B sequences (X, Z: the chunk's rows), leaving
 * every step's state in ws and the outputs in ws->zo (B x C). */
static int forward(const pb_rnn *m, PB_T(pb_rnn_ws) *ws, const pb_real *w, const pb_real *X, size_t B, const pb_real *Z,
                   size_t s0)
{
    size_t T = m->T, H = m->H, C = m->C;
    int st = forward_states(m, ws, w, X, B, Z, s0);
    if (st) return st;
    const pb_real *HZ = Z ? ws->HZ : ws->Hs;
    /* zo = HZ_{T-1} Wout^T + bout  (B x H times H x C) */
    for (size_t i = 0; i < B; i++) memcpy(ws->zo + i * C, w + m->off_bout, C * sizeof *ws->zo);
    gemm(0, 1, B, C, H, 1.0, HZ + (T - 1) * B * H, H, w + m->off_wout, H, 1.0, ws->zo, C);
    return PB_OK;
}

/* ---- backward ---------------------------------------------------------------- */

/* dh = dhz .* z_h (or dhz when zh is NULL); dZ_h += dhz .* h (if dzh). B x H. */
static void hidden_back(size_t B, size_t H, const pb_real *dhz, const pb_real *h, const pb_real *zh, pb_real *dzh,
                        size_t nz, pb_real *dh)
{
    for (size_t i = 0; i < B; i++) {
        const pb_real *g = dhz + i * H, *hi = h + i * H;
        pb_real *o = dh + i * H;
        if (zh) {
            const pb_real *z = zh + i * nz;
            for (size_t k = 0; k < H; k++) o[k] = g[k] * z[k];
        } else {
            memcpy(o, g, H * sizeof *o);
        }
        if (dzh) {
            pb_real *dz = dzh + i * nz;
            for (size_t k = 0; k < H; k++) dz[k] += g[k] * hi[k];
        }
    }
}

/* LSTM cell and gate scaling backward at one step, in place: At (B x 4H)
 * holds the gates i, f, g, o on entry and dS_t = da .* z_gate on return;
 * dh = dL/dh_t; dc = dL/dc_t from later steps on entry, dL/dc_{t-1} on
 * return; cprev = c_{t-1} (NULL: zero); tc = tanh(c_t). Also db += 1^T da
 * (db may be NULL) and, if dzg is not NULL, dZ_gate += da .* S_t; zg NULL
 * means multipliers 1. */
static void lstm_cell_back(size_t B, size_t H, pb_real *At, const pb_real *cprev, const pb_real *tc, const pb_real *dh,
                           pb_real *dc, pb_real *db, const pb_real *St, const pb_real *zg, pb_real *dzg, size_t nz)
{
    for (size_t i = 0; i < B; i++) {
        pb_real *ig = At + i * 4 * H, *fg = ig + H, *gg = ig + 2 * H, *og = ig + 3 * H;
        const pb_real *tci = tc + i * H, *dhi = dh + i * H, *cp = cprev ? cprev + i * H : NULL;
        pb_real *dci = dc + i * H;
        for (size_t u = 0; u < H; u++) {
            pb_real I = ig[u], F = fg[u], Gv = gg[u], O = og[u], tcu = tci[u];
            pb_real dcu = dci[u] + dhi[u] * O * (1 - tcu * tcu);
            pb_real cpu = cp ? cp[u] : 0;
            ig[u] = dcu * Gv * I * (1 - I);
            fg[u] = dcu * cpu * F * (1 - F);
            gg[u] = dcu * I * (1 - Gv * Gv);
            og[u] = dhi[u] * tcu * O * (1 - O);
            dci[u] = dcu * F;
        }
        pb_real *a = ig;   /* da, 4H */
        if (db) for (size_t r = 0; r < 4 * H; r++) db[r] += a[r];
        if (zg && dzg) {
            const pb_real *s = St + i * 4 * H, *z = zg + i * nz;
            pb_real *dz = dzg + i * nz;
            for (size_t r = 0; r < 4 * H; r++) {
                dz[r] += a[r] * s[r];
                a[r] *= z[r];
            }
        } else if (zg) {
            const pb_real *z = zg + i * nz;
            for (size_t r = 0; r < 4 * H; r++) a[r] *= z[r];
        }
    }
}

/* Elman backward at one step: dS_t = da = dh .* (1 - h_t^2) into At (B x H,
 * which held the pre-activations); db += 1^T da (db may be NULL). */
static void elman_back(size_t B, size_t H, pb_real *At, const pb_real *Ht, const pb_real *dh, pb_real *db)
{
    for (size_t i = 0; i < B; i++) {
        pb_real *a = At + i * H;
        const pb_real *g = dh + i * H, *h = Ht + i * H;
        for (size_t k = 0; k < H; k++) a[k] = g[k] * (1 - h[k] * h[k]);
        if (db) for (size_t k = 0; k < H; k++) db[k] += a[k];
    }
}

/* Back to the inputs from dU = dS Wx (in ws->dU): dZ_x, and with tokens
 * dEmb (gEmb, may be NULL) and dZ_vocab. */
static void input_back(const pb_rnn *m, PB_T(pb_rnn_ws) *ws, const pb_real *w, const pb_real *X, size_t B,
                       const pb_real *Z, pb_real *dZ, pb_real *gEmb)
{
    size_t T = m->T, d = m->d, nz = m->n_groups, in = pb_rnn_in_dim(m);
    const pb_real *Emb = w + m->off_emb;
    for (size_t t = 0; t < T; t++)
        for (size_t i = 0; i < B; i++) {
            const pb_real *du = ws->dU + (t * B + i) * d;
            pb_real *dzx = dZ ? dZ + i * nz + m->zoff_x : NULL;
            if (!m->tokens) {
                if (!dzx) continue;
                const pb_real *x = X + i * in + t * d;
                for (size_t j = 0; j < d; j++) dzx[j] += du[j] * x[j];
                continue;
            }
            size_t v = ws->tok[t * B + i];
            const pb_real *e = Emb + v * d;
            const pb_real *zx = Z ? Z + i * nz + m->zoff_x : NULL;
            pb_real zv = Z ? Z[i * nz + m->zoff_vocab + v] : 1.0;
            pb_real *ge = gEmb ? gEmb + v * d : NULL;
            pb_real dzv = 0;
            for (size_t j = 0; j < d; j++) {
                pb_real dx = zx ? du[j] * zx[j] : du[j];   /* dL/d(Emb[v] z_vocab[v])_j */
                if (dzx) dzx[j] += du[j] * e[j] * zv;
                if (ge) ge[j] += dx * zv;
                dzv += dx * e[j];
            }
            if (dZ) dZ[i * nz + m->zoff_vocab + v] += dzv;
        }
}

/* G (cols x rows) += A^T for A (rows x cols) */
static void add_transposed(size_t rows, size_t cols, const pb_real *A, pb_real *G)
{
    for (size_t i = 0; i < rows; i++)
        for (size_t j = 0; j < cols; j++) G[j * rows + i] += A[i * cols + j];
}

static void backward_states(const pb_rnn *m, PB_T(pb_rnn_ws) *ws, const pb_real *w, const pb_real *X, size_t B,
                            const pb_real *Z, pb_real *dZ, pb_real *grad);

/* Backward of one chunk after forward() and the head (dL/dzo in ws->dzo):
 * grad (may be NULL) += dL/dw; dZ (the chunk's rows, may be NULL) += dL/dZ. */
static void backward(const pb_rnn *m, PB_T(pb_rnn_ws) *ws, const pb_real *w, const pb_real *X, size_t B,
                     const pb_real *Z, pb_real *dZ, pb_real *grad, const pb_real *dhz_add)
{
    size_t T = m->T, H = m->H, C = m->C;
    const pb_real *HZ = Z ? ws->HZ : ws->Hs;
    const pb_real *Wout = w + m->off_wout;
    if (grad) {
        /* dWout += dzo^T HZ_{T-1} (C x B times B x H); dbout += 1^T dzo */
        gemm(1, 0, C, H, B, 1.0, ws->dzo, C, HZ + (T - 1) * B * H, H, 1.0, grad + m->off_wout, H);
        for (size_t i = 0; i < B; i++)
            for (size_t c = 0; c < C; c++) grad[m->off_bout + c] += ws->dzo[i * C + c];
    }
    /* dHZ_{T-1} = dzo Wout (B x C times C x H) */
    gemm(0, 0, B, H, C, 1.0, ws->dzo, C, Wout, H, 0.0, ws->dhz, H);
    if (dhz_add)
        for (size_t k = 0; k < B * H; k++) ws->dhz[k] += dhz_add[k];
    backward_states(m, ws, w, X, B, Z, dZ, grad);
}

/* Backpropagation through time of one chunk after forward_states(), from
 * dL/dHZ_{T-1} in ws->dhz: grad (may be NULL) += dL/dw below off_wout; dZ
 * (the chunk's rows, may be NULL) += dL/dZ. */
static void backward_states(const pb_rnn *m, PB_T(pb_rnn_ws) *ws, const pb_real *w, const pb_real *X, size_t B,
                            const pb_real *Z, pb_real *dZ, pb_real *grad)
{
    size_t T = m->T, d = m->d, H = m->H, GH = m->G * H, nz = m->n_groups;
    int lstm = m->cell == PB_CELL_LSTM;
    const pb_real *HZ = Z ? ws->HZ : ws->Hs;
    const pb_real *Wx = w + m->off_wx, *Wh = w + m->off_wh;
    const pb_real *zh = Z ? Z + m->zoff_h : NULL, *zg = Z && lstm ? Z + m->zoff_gate : NULL;
    pb_real *dzh = dZ ? dZ + m->zoff_h : NULL, *dzg = dZ && lstm ? dZ + m->zoff_gate : NULL;
    hidden_back(B, H, ws->dhz, ws->Hs + (T - 1) * B * H, zh, dzh, nz, ws->dh);
    if (lstm) memset(ws->dc, 0, B * H * sizeof *ws->dc);
    for (size_t t = T; t-- > 0;) {
        pb_real *At = ws->A + t * B * GH;
        pb_real *db = grad ? grad + m->off_b : NULL;
        if (lstm) {
            const pb_real *Ct = ws->Cs + t * B * H;
            lstm_cell_back(B, H, At, t ? Ct - B * H : NULL, ws->TCs + t * B * H, ws->dh, ws->dc, db,
                           Z ? ws->S + t * B * GH : NULL, zg, dzg, nz);
        } else {
            elman_back(B, H, At, ws->Hs + t * B * H, ws->dh, db);
        }
        if (t) {
            /* dHZ_{t-1} = dS_t Wh (B x GH times GH x H) */
            gemm(0, 0, B, H, GH, 1.0, At, GH, Wh, H, 0.0, ws->dhz, H);
            hidden_back(B, H, ws->dhz, ws->Hs + (t - 1) * B * H, zh, dzh, nz, ws->dh);
        }
    }
    if (grad) {
        /* dWh += dS_{1..T-1}^T HZ_{0..T-2}  (GH x (T-1)B times (T-1)B x H)
         * dWx += dS^T U                     (GH x TB times TB x d)
         * each computed transposed (HZ^T dS, U^T dS: wide outputs run
         * faster in OpenBLAS) into gT, then added. */
        if (T > 1) {
            gemm(1, 0, H, GH, (T - 1) * B, 1.0, HZ, H, ws->A + B * GH, GH, 0.0, ws->gT, GH);
            add_transposed(H, GH, ws->gT, grad + m->off_wh);
        }
        gemm(1, 0, d, GH, T * B, 1.0, ws->U, d, ws->A, GH, 0.0, ws->gT, GH);
        add_transposed(d, GH, ws->gT, grad + m->off_wx);
    }
    if (dZ || (grad && m->tokens)) {
        /* dU = dS Wx  (TB x GH times GH x d) */
        gemm(0, 0, T * B, d, GH, 1.0, ws->A, GH, Wx, d, 0.0, ws->dU, d);
        input_back(m, ws, w, X, B, Z, dZ, grad && m->tokens ? grad + m->off_emb : NULL);
    }
}

int PB_T(pb_rnn_loss_grad)(const pb_rnn *m, PB_T(pb_rnn_ws) *ws, const pb_real *w, const pb_real *X, const pb_real *y,
                     size_t N, const pb_real *Z, pb_real *dZ, double *loss, pb_real *grad)
{
    size_t in = pb_rnn_in_dim(m), nz = m->n_groups, ys = m->head == PB_HEAD_CE ? 1 : m->C;
    *loss = 0;
    if (dZ && !Z) return pb_error(PB_ERR_ARG, "%s: dL/dZ asked for without group multipliers Z", m->spec);
    if (Z) {
        int st = ws_need_z(ws);
        if (st) return st;
    }
    if (grad) memset(grad, 0, m->n_params * sizeof *grad);
    if (dZ) memset(dZ, 0, N * nz * sizeof *dZ);
    for (size_t s = 0; s < N; s += ws->batch) {
        size_t B = N - s < ws->batch ? N - s : ws->batch;
        const pb_real *Xb = X + s * in, *Zb = Z ? Z + s * nz : NULL;
        int st = forward(m, ws, w, Xb, B, Zb, s);
        if (st) return st;
        st = PB_T(pb_head_loss)(m->head, m->noise_precision, m->C, ws->zo, y + s * ys, B, loss, ws->dzo, NULL);
        if (st) return st;
        if (grad || dZ) backward(m, ws, w, Xb, B, Zb, dZ ? dZ + s * nz : NULL, grad, NULL);
    }
    return PB_OK;
}

/* ---- the recurrence alone (for models that read the last hidden states) ----- */

int PB_T(pb_rnn_hidden_forward)(const pb_rnn *m, PB_T(pb_rnn_ws) *ws, const pb_real *w, const pb_real *X, size_t B,
                                pb_real *hT)
{
    if (B > ws->batch)
        return pb_error(PB_ERR_ARG, "%s: %zu sequences exceed the workspace batch of %zu", m->spec, B, ws->batch);
    int st = forward_states(m, ws, w, X, B, NULL, 0);
    if (st) return st;
    memcpy(hT, ws->Hs + (m->T - 1) * B * m->H, B * m->H * sizeof *hT);
    return PB_OK;
}

void PB_T(pb_rnn_hidden_backward)(const pb_rnn *m, PB_T(pb_rnn_ws) *ws, const pb_real *w, const pb_real *X, size_t B,
                                  const pb_real *dhT, pb_real *grad)
{
    memcpy(ws->dhz, dhT, B * m->H * sizeof *ws->dhz);
    backward_states(m, ws, w, X, B, NULL, NULL, grad);
}

/* ---- the variational step ---------------------------------------------------- */

#define VAR_FLOOR 1e-16  /* keeps 1/sd finite where HZ_{T-1} is all zero (as mlp_lrt.c) */

static int ws_need_vd(const pb_rnn *m, PB_T(pb_rnn_ws) *ws)
{
    if (ws->w) return PB_OK;
    size_t BC = ws->batch * m->C, BH = ws->batch * m->H;
    ws->w = calloc1(m->n_params, sizeof *ws->w);
    ws->eps = calloc1(m->off_b, sizeof *ws->eps);
    ws->e = calloc1(BC, sizeof *ws->e), ws->sd = calloc1(BC, sizeof *ws->sd), ws->r = calloc1(BC, sizeof *ws->r);
    ws->h2 = calloc1(BH, sizeof *ws->h2), ws->dhv = calloc1(BH, sizeof *ws->dhv);
    if (!ws->w || !ws->eps || !ws->e || !ws->sd || !ws->r || !ws->h2 || !ws->dhv) {
        free(ws->w), free(ws->eps), free(ws->e), free(ws->sd), free(ws->r), free(ws->h2), free(ws->dhv);
        ws->w = ws->eps = ws->e = ws->sd = ws->r = ws->h2 = ws->dhv = NULL;
        return pb_error(PB_ERR_NOMEM, "out of memory allocating the RNN workspace for the variational step");
    }
    return PB_OK;
}

int PB_T(pb_rnn_vd_loss_grad)(const pb_rnn *m, PB_T(pb_rnn_ws) *ws, const pb_real *theta, const pb_real *sigma2, const pb_real *X,
                        const pb_real *y, size_t B, const pb_real *Z, pb_real *dZ, gsl_rng *rng, double *loss,
                        pb_real *dtheta, pb_real *dsigma2)
{
    size_t H = m->H, C = m->C, T = m->T, nrec = m->off_b;
    if (B > ws->batch) return pb_error(PB_ERR_ARG, "%s: %zu samples exceed the workspace's %zu", m->spec, B, ws->batch);
    if (dZ && !Z) return pb_error(PB_ERR_ARG, "%s: dL/dZ asked for without group multipliers Z", m->spec);
    if (dsigma2 && !dtheta) return pb_error(PB_ERR_ARG, "%s: dL/dsigma^2 needs dL/dtheta", m->spec);
    int st = ws_need_vd(m, ws);
    if (!st && Z) st = ws_need_z(ws);
    if (st) return st;
    /* one sample of the recurrent weights (Emb, Wx, Wh: parameters [0, off_b)) */
    pb_real *w = ws->w;
    memcpy(w, theta, m->n_params * sizeof *w);
    for (size_t j = 0; j < nrec; j++) {
        ws->eps[j] = gsl_ran_gaussian_ziggurat(rng, 1.0);
        w[j] += pb_sqrt(sigma2[j]) * ws->eps[j];
    }
    if ((st = forward(m, ws, w, X, B, Z, 0))) return st;
    /* the head's pre-activation noise: zo += sd .* e,  sd^2 = HZ^2 sigma2_out^T + floor */
    const pb_real *HZ = (Z ? ws->HZ : ws->Hs) + (T - 1) * B * H, *s2out = sigma2 + m->off_wout;
    for (size_t k = 0; k < B * H; k++) ws->h2[k] = HZ[k] * HZ[k];
    gemm(0, 1, B, C, H, 1.0, ws->h2, H, s2out, H, 0.0, ws->sd, C);
    for (size_t k = 0; k < B * C; k++) {
        ws->sd[k] = pb_sqrt(ws->sd[k] + (pb_real)VAR_FLOOR);
        ws->e[k] = gsl_ran_gaussian_ziggurat(rng, 1.0);
        ws->zo[k] += ws->sd[k] * ws->e[k];
    }
    *loss = 0;
    if ((st = PB_T(pb_head_loss)(m->head, m->noise_precision, C, ws->zo, y, B, loss, ws->dzo, NULL))) return st;
    if (!dtheta && !dZ) return PB_OK;
    /* r = dzo .* e / sd;  dHZ_{T-1} gains (r sigma2_out) .* HZ */
    for (size_t k = 0; k < B * C; k++) ws->r[k] = ws->dzo[k] * ws->e[k] / ws->sd[k];
    gemm(0, 0, B, H, C, 1.0, ws->r, C, s2out, H, 0.0, ws->dhv, H);
    for (size_t k = 0; k < B * H; k++) ws->dhv[k] *= HZ[k];
    if (dtheta) memset(dtheta, 0, m->n_params * sizeof *dtheta);
    if (dZ) memset(dZ, 0, B * m->n_groups * sizeof *dZ);
    backward(m, ws, w, X, B, Z, dZ, dtheta, ws->dhv);
    if (dsigma2) {
        /* recurrent: dL/dsigma^2 = dL/dw eps / (2 sigma); head: 0.5 r^T HZ^2; biases 0 */
        memset(dsigma2, 0, m->n_params * sizeof *dsigma2);
        for (size_t j = 0; j < nrec; j++)
            dsigma2[j] = sigma2[j] > 0 ? dtheta[j] * ws->eps[j] / (2 * pb_sqrt(sigma2[j])) : 0;
        gemm(1, 0, C, H, B, 0.5, ws->r, C, ws->h2, H, 0.0, dsigma2 + m->off_wout, H);
    }
    return PB_OK;
}

#ifndef PB_F32
/* out (B x C) = softmax(z) rows (ce) or z (mse). */
static void outputs(pb_head head, size_t C, const double *z, size_t B, double *out)
{
    for (size_t i = 0; i < B; i++) {
        const double *zi = z + i * C;
        double *o = out + i * C;
        if (head == PB_HEAD_CE) {
            double mx = zi[0], se = 0;
            for (size_t c = 1; c < C; c++) if (zi[c] > mx) mx = zi[c];
            for (size_t c = 0; c < C; c++) se += (o[c] = exp(zi[c] - mx));
            for (size_t c = 0; c < C; c++) o[c] /= se;
        } else {
            memcpy(o, zi, C * sizeof *o);
        }
    }
}

int pb_rnn_predict(const pb_rnn *m, pb_rnn_ws *ws, const double *w, const double *X, size_t N, double *out)
{
    size_t in = pb_rnn_in_dim(m), C = m->C;
    for (size_t s = 0; s < N; s += ws->batch) {
        size_t B = N - s < ws->batch ? N - s : ws->batch;
        int st = forward(m, ws, w, X + s * in, B, NULL, s);
        if (st) return st;
        outputs(m->head, C, ws->zo, B, out + s * C);
    }
    return PB_OK;
}

/* ---- compaction ------------------------------------------------------------- */

struct pb_rnn_compact {
    pb_rnn_cell cell;
    int tokens;
    pb_head head;
    size_t T, d, V, H, C, G;
    size_t dk, *in_idx;     /* kept input columns (original indices) */
    size_t *vmap;           /* V: row of Emb_c of each token (0: the shared zero row) */
    double *Emb_c;          /* (vocab_kept + 1) x dk, row 0 zero */
    size_t hk, *unit;       /* kept hidden units (original indices) */
    size_t nr;              /* non-constant gate rows of kept units, gate-major */
    size_t qstart[5];       /* rows of gate q: qstart[q] .. qstart[q+1]-1 */
    size_t *row_u;          /* nr: kept-unit index of each row */
    double *Wx_c, *Wh_c, *b_c;  /* nr x dk, nr x hk, nr */
    double *gate0;          /* G x hk: act(b) of constant gates, 0 elsewhere (gate-major template) */
    int *is_const;          /* G x hk */
    double *Wout_c, *bout;  /* C x hk, C */
    pb_rnn_structure st;
};

void pb_rnn_compact_free(pb_rnn_compact *c)
{
    if (!c) return;
    free(c->in_idx), free(c->vmap), free(c->Emb_c), free(c->unit), free(c->row_u);
    free(c->Wx_c), free(c->Wh_c), free(c->b_c), free(c->gate0), free(c->is_const);
    free(c->Wout_c), free(c->bout);
    free(c);
}

static int all_zero(size_t n, const double *x, size_t stride)
{
    for (size_t k = 0; k < n; k++)
        if (x[k * stride] != 0) return 0;
    return 1;
}

/* Gate q's activation: tanh for g (q = 2) and for Elman, sigm otherwise. */
static int gate_is_tanh(pb_rnn_cell cell, size_t q) { return cell == PB_CELL_ELMAN || q == 2; }

/* Operations per forward pass and sample (counted as rnn.h documents) of a
 * network with `rows` non-constant gate rows, din inputs and `units` hidden
 * units. */
static double flops(const pb_rnn_compact *c, size_t rows, size_t din, size_t units)
{
    double T = (double)c->T, r = (double)rows, h = (double)units;
    double cell = c->cell == PB_CELL_LSTM ? 5.0 * h : 0.0;
    return T * (2 * r * (double)din + 2 * r + cell) + (T - 1) * 2 * r * h + 2 * (double)c->C * h + (double)c->C;
}

int pb_rnn_compact_build(const pb_rnn *m, const double *w, pb_rnn_compact **out)
{
    *out = NULL;
    size_t d = m->d, H = m->H, C = m->C, G = m->G, GH = G * H, V = m->V;
    const double *Emb = w + m->off_emb, *Wx = w + m->off_wx, *Wh = w + m->off_wh, *b = w + m->off_b;
    const double *Wout = w + m->off_wout;
    pb_rnn_compact *c = pb_calloc(1, sizeof *c);
    char *rconst = calloc1(GH, 1), *live = pb_calloc(H, 1), *kin = pb_calloc(d, 1);
    size_t *stack = pb_calloc(H, sizeof *stack), *hpos = pb_calloc(H, sizeof *hpos);
    size_t *jpos = pb_calloc(d, sizeof *jpos);
    int st = PB_ERR_NOMEM;
    if (!c || !rconst || !live || !kin || !stack || !hpos || !jpos) goto done;
    c->cell = m->cell, c->tokens = m->tokens, c->head = m->head;
    c->T = m->T, c->d = d, c->V = V, c->H = H, c->C = C, c->G = G;

    /* constant rows: Wx row and Wh row all zero */
    for (size_t r = 0; r < GH; r++) rconst[r] = all_zero(d, Wx + r * d, 1) && all_zero(H, Wh + r * H, 1);
    /* live units: the least set containing the units read by the output and
     * closed under "read by a non-constant row of a live unit" */
    size_t ns = 0;
    for (size_t k = 0; k < H; k++)
        if (!all_zero(C, Wout + k, H)) live[k] = 1, stack[ns++] = k;
    while (ns) {
        size_t u = stack[--ns];
        for (size_t q = 0; q < G; q++) {
            size_t r = q * H + u;
            if (rconst[r]) continue;
            for (size_t k = 0; k < H; k++)
                if (!live[k] && Wh[r * H + k] != 0) live[k] = 1, stack[ns++] = k;
        }
    }
    for (size_t k = 0; k < H; k++)
        if (live[k]) hpos[k] = c->hk++;
    /* kept inputs: read by a non-constant row of a live unit */
    for (size_t q = 0; q < G; q++)
        for (size_t u = 0; u < H; u++) {
            size_t r = q * H + u;
            if (!live[u] || rconst[r]) continue;
            c->nr++;
            for (size_t j = 0; j < d; j++)
                if (Wx[r * d + j] != 0) kin[j] = 1;
        }
    for (size_t j = 0; j < d; j++)
        if (kin[j]) jpos[j] = c->dk++;
    size_t hk = c->hk, dk = c->dk, nr = c->nr;
    c->in_idx = calloc1(dk, sizeof *c->in_idx);
    c->unit = calloc1(hk, sizeof *c->unit);
    c->row_u = calloc1(nr, sizeof *c->row_u);
    c->Wx_c = calloc1(nr * dk, sizeof *c->Wx_c);
    c->Wh_c = calloc1(nr * hk, sizeof *c->Wh_c);
    c->b_c = calloc1(nr, sizeof *c->b_c);
    c->gate0 = calloc1(G * hk, sizeof *c->gate0);
    c->is_const = calloc1(G * hk, sizeof *c->is_const);
    c->Wout_c = calloc1(C * hk, sizeof *c->Wout_c);
    c->bout = pb_calloc(C, sizeof *c->bout);
    if (!c->in_idx || !c->unit || !c->row_u || !c->Wx_c || !c->Wh_c || !c->b_c || !c->gate0 || !c->is_const ||
        !c->Wout_c || !c->bout)
        goto done;
    for (size_t j = 0; j < d; j++)
        if (kin[j]) c->in_idx[jpos[j]] = j;
    for (size_t k = 0; k < H; k++)
        if (live[k]) c->unit[hpos[k]] = k;
    /* rows, gate-major; constant gates into the template */
    size_t row = 0;
    for (size_t q = 0; q < G; q++) {
        c->qstart[q] = row;
        for (size_t kk = 0; kk < hk; kk++) {
            size_t r = q * H + c->unit[kk];
            if (rconst[r]) {
                c->is_const[q * hk + kk] = 1;
                double a = b[r];   /* the same kernels as the forward pass */
                if (gate_is_tanh(m->cell, q)) v_tanh(1, &a);
                else v_sigm(1, &a);
                c->gate0[q * hk + kk] = a;
                continue;
            }
            c->row_u[row] = kk;
            c->b_c[row] = b[r];
            for (size_t jj = 0; jj < dk; jj++) c->Wx_c[row * dk + jj] = Wx[r * d + c->in_idx[jj]];
            for (size_t k2 = 0; k2 < hk; k2++) c->Wh_c[row * hk + k2] = Wh[r * H + c->unit[k2]];
            row++;
        }
    }
    c->qstart[G] = row;
    for (size_t o = 0; o < C; o++) {
        for (size_t kk = 0; kk < hk; kk++) c->Wout_c[o * hk + kk] = Wout[o * H + c->unit[kk]];
        c->bout[o] = w[m->off_bout + o];
    }
    /* vocabulary: a row is kept if nonzero in a kept component */
    size_t vk = 0;
    if (m->tokens) {
        if (!(c->vmap = pb_calloc(V, sizeof *c->vmap))) goto done;
        for (size_t v = 0; v < V; v++) {
            int nzr = 0;
            for (size_t jj = 0; jj < dk && !nzr; jj++) nzr = Emb[v * d + c->in_idx[jj]] != 0;
            if (nzr) c->vmap[v] = ++vk;
        }
        if (!(c->Emb_c = calloc1((vk + 1) * dk, sizeof *c->Emb_c))) goto done;
        for (size_t v = 0; v < V; v++)
            if (c->vmap[v])
                for (size_t jj = 0; jj < dk; jj++) c->Emb_c[c->vmap[v] * dk + jj] = Emb[v * d + c->in_idx[jj]];
    }
    /* structure */
    pb_rnn_structure *s = &c->st;
    s->vocab = V, s->vocab_kept = vk;
    s->emb = m->tokens ? d : 0, s->emb_kept = m->tokens ? dk : 0;
    s->inputs = d, s->inputs_kept = dk;
    s->hidden = H, s->hidden_kept = hk;
    s->gates = GH, s->gates_nonconst = nr;
    s->weights = V * m->E + GH * d + GH * H + C * H;
    size_t nzw = 0;
    for (size_t k = 0; k < V * m->E; k++) nzw += Emb[k] != 0;
    for (size_t k = 0; k < GH * d; k++) nzw += Wx[k] != 0;
    for (size_t k = 0; k < GH * H; k++) nzw += Wh[k] != 0;
    for (size_t k = 0; k < C * H; k++) nzw += Wout[k] != 0;
    s->weights_nonzero = nzw;
    s->flops_dense = flops(c, GH, d, H);
    s->flops_compact = flops(c, nr, dk, hk);
    st = PB_OK;
done:
    free(rconst), free(live), free(kin), free(stack), free(hpos), free(jpos);
    if (st) {
        pb_rnn_compact_free(c);
        return pb_error(st, "%s: out of memory building the compact network", m->spec);
    }
    *out = c;
    return PB_OK;
}

int pb_rnn_compact_structure(const pb_rnn_compact *c, pb_rnn_structure *s)
{
    *s = c->st;
    return PB_OK;
}

int pb_rnn_gate_constants(const pb_rnn_compact *c, size_t *n_units, size_t *n_gates, size_t *unit, int *is_const,
                          double *value)
{
    if (n_units) *n_units = c->hk;
    if (n_gates) *n_gates = c->G;
    for (size_t kk = 0; kk < c->hk; kk++) {
        if (unit) unit[kk] = c->unit[kk];
        for (size_t q = 0; q < c->G; q++) {
            int k = c->is_const[q * c->hk + kk];
            if (is_const) is_const[kk * c->G + q] = k;
            if (value) value[kk * c->G + q] = k ? c->gate0[q * c->hk + kk] : NAN;
        }
    }
    return PB_OK;
}

/* Compact forward for chunks of up to CB sequences:
 *   U (T*B x dk) gathered inputs, P = U Wx_c^T (T*B x nr, one GEMM),
 *   per step P_t += h Wh_c^T (B x hk times hk x nr), act(P_t + b_c) on the
 *   rows of each gate block, scattered into the gate values gv (B x G*hk,
 *   gate-major, the constant gates filled in once per chunk);
 *   LSTM: c = f c + i g, h = o tanh(c); Elman: h = gv.
 *   z = h Wout_c^T + bout. */
#define CB 64
int pb_rnn_compact_predict(const pb_rnn_compact *c, const double *X, size_t N, double *out)
{
    size_t T = c->T, dk = c->dk, hk = c->hk, nr = c->nr, G = c->G, C = c->C;
    size_t in = c->tokens ? T : T * c->d;
    int lstm = c->cell == PB_CELL_LSTM;
    double *U = calloc1(T * CB * dk, sizeof *U), *P = calloc1(T * CB * nr, sizeof *P);
    double *gv = calloc1(CB * G * hk, sizeof *gv), *h = calloc1(CB * hk, sizeof *h);
    double *cs = calloc1(CB * hk, sizeof *cs), *z = pb_calloc(CB * C, sizeof *z);
    int st = PB_OK;
    if (!U || !P || !gv || !h || !cs || !z) {
        st = PB_ERR_NOMEM;
        goto done;
    }
    for (size_t s0 = 0; s0 < N && !st; s0 += CB) {
        size_t B = N - s0 < CB ? N - s0 : CB;
        const double *Xb = X + s0 * in;
        for (size_t t = 0; t < T && !st; t++)
            for (size_t i = 0; i < B; i++) {
                double *u = U + (t * B + i) * dk;
                if (c->tokens) {
                    size_t v = 0;
                    if ((st = token_id(Xb[i * in + t], c->V, t, s0 + i, &v))) break;
                    memcpy(u, c->Emb_c + c->vmap[v] * dk, dk * sizeof *u);
                } else {
                    const double *x = Xb + i * in + t * c->d;
                    for (size_t jj = 0; jj < dk; jj++) u[jj] = x[c->in_idx[jj]];
                }
            }
        if (st) break;
        gemm(0, 1, T * B, nr, dk, 1.0, U, dk, c->Wx_c, dk, 0.0, P, nr);
        memset(cs, 0, B * hk * sizeof *cs);
        /* constant gates once per chunk: the steps overwrite only the others */
        for (size_t i = 0; i < B; i++) memcpy(gv + i * G * hk, c->gate0, G * hk * sizeof *gv);
        for (size_t t = 0; t < T; t++) {
            double *Pt = P + t * B * nr;
            if (t) gemm(0, 1, B, nr, hk, 1.0, h, hk, c->Wh_c, hk, 1.0, Pt, nr);
            for (size_t i = 0; i < B; i++) {
                double *p = Pt + i * nr, *g = gv + i * G * hk;
                for (size_t r = 0; r < nr; r++) p[r] += c->b_c[r];
                for (size_t q = 0; q < G; q++) {
                    size_t r0 = c->qstart[q], n = c->qstart[q + 1] - r0;
                    if (gate_is_tanh(c->cell, q)) v_tanh(n, p + r0);
                    else v_sigm(n, p + r0);
                    for (size_t r = r0; r < r0 + n; r++) g[q * hk + c->row_u[r]] = p[r];
                }
                double *hi = h + i * hk;
                if (lstm) {
                    const double *ig = g, *fg = g + hk, *gg = g + 2 * hk, *og = g + 3 * hk;
                    double *ci = cs + i * hk;
                    for (size_t k = 0; k < hk; k++) ci[k] = fg[k] * ci[k] + ig[k] * gg[k];
                    v_tanh_to(hk, ci, hi);
                    for (size_t k = 0; k < hk; k++) hi[k] *= og[k];
                } else {
                    memcpy(hi, g, hk * sizeof *hi);
                }
            }
        }
        for (size_t i = 0; i < B; i++) memcpy(z + i * C, c->bout, C * sizeof *z);
        gemm(0, 1, B, C, hk, 1.0, h, hk, c->Wout_c, hk, 1.0, z, C);
        outputs(c->head, C, z, B, out + s0 * C);
    }
done:
    free(U), free(P), free(gv), free(h), free(cs), free(z);
    if (st == PB_ERR_NOMEM) return pb_error(st, "out of memory in the compact RNN forward pass");
    return st;
}
#endif /* PB_F32 */
