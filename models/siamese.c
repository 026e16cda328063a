/* siamese.c -- the siamese Elman RNN of seed 000 (eqs. 1-3) behind the model
 * ops table (model.h): two sentences through ONE Elman RNN, the two last
 * hidden states concatenated into a softmax over the similarity classes.
 *
 * Specs (ce head only; C classes, H hidden units, L steps per sentence):
 *   "siamese:2x<L>v<V>e<E>-<H>-<C>", e.g. siamese:2x20v5002e50-50-6: token
 *     ids (as doubles: 0 padding, 1 out-of-vocabulary, 2.. words) through a
 *     LEARNED embedding Emb (V x E). A row of X holds 2L ids: sentence A at
 *     [0, L), sentence B at [L, 2L), each pre-padded with 0 so its last step
 *     is its last word. Padding is a token like any other (row 0 of Emb,
 *     learned), as in the token models of rnn.h: no masking.
 *   "siamese:2x<L>x<E>-<H>-<C>", e.g. siamese:2x30x50-50-6: FIXED word
 *     vectors as inputs, as seed 000 feeds GloVe vectors: a row holds 2LE
 *     reals, sentence A's L vectors of E values at [0, LE) (step t at
 *     [tE, (t+1)E)), sentence B's at [LE, 2LE). The vectors are data, not
 *     parameters (datasets/wordvec.h makes such rows from token pairs), so
 *     there is no Emb and the model has only the seed's weights.
 *
 * The network (t = 1..L, h_0 = 0, s = A or B, the same W, U, b for both):
 *   x^s_t = Emb[token^s_t]                                   (E)
 *   h^s_t = tanh(Wx x^s_t + Wh h^s_{t-1} + b)                 (H)   eqs. 1-2
 *   z     = Wout [h^A_L; h^B_L] + bout                        (C)   eq. 3
 *   p     = softmax(z),  loss = -sum_i log p_i[y_i]
 * The seed's eq. 3 uses the concatenation (not |h_A - h_B|) and V without a
 * bias; bout is added here as in every other model of the suite. The seed
 * does not give the hidden size: its word vectors and hidden states share
 * the letter n, so the bench and docs use H = E = 50.
 *
 * Parameters (flat, row-major, in this order; the first four exactly as the
 * Elman model "rnn:<L>xv<V>e<E>-<H>-<C>" (or "rnn:<L>x<E>-<H>-<C>") of rnn.h
 * lays them out, so its kernels run on them):
 *   Emb  (V x E, tokens only)    Wx (H x E)    Wh (H x H)    b (H, bias)
 *   Wout (C x 2H)   columns [0, H) read h^A_L, [H, 2H) read h^B_L
 *   bout (C, bias)
 * Both sentences of a chunk of B pairs go through rnn.c's recurrence as one
 * batch of 2B sequences (rows 0..B-1 the A sentences, B..2B-1 the B ones),
 * so the shared weights' gradients are the sums over both branches.
 *
 * No groups (so no group multipliers: dropout and groupvd refuse the model),
 * no curvature, no CSR form, no compaction, no float training. The
 * variational step (lrt_loss_grad) is rnn.h's pb_rnn_vd_loss_grad scheme:
 * one weight sample per call for Emb, Wx, Wh, the local reparameterization
 * trick on the dense layer.
 */
#include "models/model.h"
#include "models/rnn.h"
#include "base/blas.h"
#include "base/util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_randist.h>

#define VAR_FLOOR 1e-16  /* keeps 1/sd finite where [h_A; h_B] is all zero (as rnn.c) */
#define SPEC_FORM "'siamese:2x<L>v<V>e<E>-<H>-<C>' or 'siamese:2x<L>x<E>-<H>-<C>'"

typedef struct siamese {
    pb_rnn *rnn;            /* the shared recurrence: rnn:<L>xv<V>e<E>-<H>-<C> */
    size_t L, V, E, H, C;   /* V = 0: fixed word vectors as inputs */
    size_t step;            /* doubles per step of one sentence: 1 (a token id) or E */
    size_t off_wout, off_bout, n_params;
    pb_tensor tensors[6];
} siamese;

typedef struct siamese_ws {
    size_t batch;           /* pairs */
    pb_rnn_ws *rws;         /* 2 * batch sequences */
    double *Xs;             /* 2B x L*step: the A sentences, then the B sentences */
    double *hT, *dhT;       /* 2B x H: last hidden states (A rows, then B rows), their gradients */
    double *hc, *dhc;       /* B x 2H: [h_A, h_B] per pair, its gradient */
    double *zo, *dzo;       /* B x C */
    double *w, *eps;        /* variational step: n_params, off_b (Emb, Wx, Wh) */
    double *e, *sd, *r;     /* B x C: head noise, its sd, dzo .* e / sd */
    double *h2;             /* B x 2H: hc^2 */
} siamese_ws;

static const siamese *sm_of(const pb_model *m) { return m->impl; }

/* ---- parsing ---------------------------------------------------------------- */

/* A positive decimal size (at most 1e6); advances *p. */
static int parse_size(const char **p, size_t *out)
{
    if (**p < '0' || **p > '9') return 0;
    char *end;
    unsigned long long v = strtoull(*p, &end, 10);
    if (v == 0 || v > 1000000ULL) return 0;
    *out = (size_t)v;
    *p = end;
    return 1;
}

static void sm_free(void *impl)
{
    siamese *s = impl;
    if (!s) return;
    pb_rnn_free(s->rnn);
    free(s);
}

static int sm_parse(const char *spec, pb_model *m)
{
    siamese *s = pb_calloc(1, sizeof *s);
    if (!s) return PB_ERR_NOMEM;
    m->impl = s;
    const char *p = spec + strlen("siamese:");
    size_t two = 0;
    int ok = !strncmp(spec, "siamese:", 8) && parse_size(&p, &two) && two == 2 && *p++ == 'x' &&
             parse_size(&p, &s->L);
    if (ok && *p == 'v')   /* tokens: v<V>e<E> */
        ok = *p++ == 'v' && parse_size(&p, &s->V) && *p++ == 'e';
    else                   /* word vectors: x<E> */
        ok = ok && *p++ == 'x';
    ok = ok && parse_size(&p, &s->E) && *p++ == '-' && parse_size(&p, &s->H) && *p++ == '-' &&
         parse_size(&p, &s->C) && !*p;
    if (!ok)
        return pb_error(PB_ERR_ARG, "model spec '%s': expected %s (a pair of sentences of L tokens or word vectors)",
                        spec, SPEC_FORM);
    if (s->C < 2) return pb_error(PB_ERR_ARG, "model spec '%s': a cross-entropy head needs at least 2 outputs", spec);
    s->step = s->V ? 1 : s->E;
    char rspec[128];
    if (s->V)
        snprintf(rspec, sizeof rspec, "rnn:%zuxv%zue%zu-%zu-%zu", s->L, s->V, s->E, s->H, s->C);
    else
        snprintf(rspec, sizeof rspec, "rnn:%zux%zu-%zu-%zu", s->L, s->E, s->H, s->C);
    int st = pb_rnn_parse(rspec, &s->rnn);
    if (st) {
        char why[256];
        snprintf(why, sizeof why, "%s", pb_last_error());
        return pb_error(st, "model spec '%s': %s", spec, why);
    }
    size_t C = s->C, H = s->H;
    s->off_wout = s->rnn->off_wout;
    s->off_bout = s->off_wout + C * 2 * H;
    s->n_params = s->off_bout + C;
    const pb_rnn *r = s->rnn;
    size_t nt = 0;
    if (s->V) s->tensors[nt++] = (pb_tensor){"Emb", r->off_emb, s->V, s->E, 0};
    s->tensors[nt++] = (pb_tensor){"Wx", r->off_wx, H, s->E, 0};
    s->tensors[nt++] = (pb_tensor){"Wh", r->off_wh, H, H, 0};
    s->tensors[nt++] = (pb_tensor){"b", r->off_b, H, 1, 1};
    s->tensors[nt++] = (pb_tensor){"Wout", s->off_wout, C, 2 * H, 0};
    s->tensors[nt++] = (pb_tensor){"bout", s->off_bout, C, 1, 1};
    m->head = PB_HEAD_CE;
    m->n_params = s->n_params;
    m->in_dim = 2 * s->L * s->step;
    m->out_dim = C;
    m->n_tensors = nt, m->tensors = s->tensors;
    m->n_groups = 0, m->groups = NULL;
    return PB_OK;
}

/* Emb ~ N(0, 1) (tokens only); Wx, Wh ~ N(0, 1/(E + H)); Wout ~ N(0, 1/(2H)); b = bout = 0
 * (rnn.h's scheme, the dense layer's fan-in 2H), drawn in buffer order. */
static void sm_init(const pb_model *m, double *w, const gsl_rng *rng)
{
    const siamese *s = sm_of(m);
    const pb_rnn *r = s->rnn;
    size_t H = s->H;
    if (s->V)
        for (size_t k = 0; k < s->V * s->E; k++) w[r->off_emb + k] = gsl_ran_gaussian_ziggurat(rng, 1.0);
    double sr = 1.0 / sqrt((double)(s->E + H));
    for (size_t k = 0; k < H * s->E; k++) w[r->off_wx + k] = sr * gsl_ran_gaussian_ziggurat(rng, 1.0);
    for (size_t k = 0; k < H * H; k++) w[r->off_wh + k] = sr * gsl_ran_gaussian_ziggurat(rng, 1.0);
    for (size_t k = 0; k < H; k++) w[r->off_b + k] = 0;
    double so = 1.0 / sqrt((double)(2 * H));
    for (size_t k = 0; k < s->C * 2 * H; k++) w[s->off_wout + k] = so * gsl_ran_gaussian_ziggurat(rng, 1.0);
    for (size_t c = 0; c < s->C; c++) w[s->off_bout + c] = 0;
}

/* A ce head has no noise precision: nothing to set. */
static void sm_set_noise_precision(pb_model *m, double beta) { (void)m, (void)beta; }

/* ---- workspace ---------------------------------------------------------------- */

static void sm_ws_free(void *p)
{
    siamese_ws *ws = p;
    if (!ws) return;
    pb_rnn_ws_free(ws->rws);
    free(ws->Xs), free(ws->hT), free(ws->dhT), free(ws->hc), free(ws->dhc), free(ws->zo), free(ws->dzo);
    free(ws->w), free(ws->eps), free(ws->e), free(ws->sd), free(ws->r), free(ws->h2);
    free(ws);
}

static void *sm_ws_alloc(const pb_model *m, size_t batch)
{
    const siamese *s = sm_of(m);
    if (batch == 0) {
        pb_error(PB_ERR_ARG, "siamese RNN workspace: batch size 0");
        return NULL;
    }
    siamese_ws *ws = pb_calloc(1, sizeof *ws);
    if (!ws) return NULL;
    size_t B = batch, H = s->H, C = s->C;
    ws->batch = B;
    int ok = (ws->rws = pb_rnn_ws_alloc(s->rnn, 2 * B)) != NULL;
    ok &= (ws->Xs = pb_calloc(2 * B * s->L * s->step, sizeof *ws->Xs)) != NULL;
    ok &= (ws->hT = pb_calloc(2 * B * H, sizeof *ws->hT)) != NULL;
    ok &= (ws->dhT = pb_calloc(2 * B * H, sizeof *ws->dhT)) != NULL;
    ok &= (ws->hc = pb_calloc(B * 2 * H, sizeof *ws->hc)) != NULL;
    ok &= (ws->dhc = pb_calloc(B * 2 * H, sizeof *ws->dhc)) != NULL;
    ok &= (ws->zo = pb_calloc(B * C, sizeof *ws->zo)) != NULL;
    ok &= (ws->dzo = pb_calloc(B * C, sizeof *ws->dzo)) != NULL;
    if (!ok) {
        sm_ws_free(ws);
        pb_error(PB_ERR_NOMEM, "out of memory allocating the siamese RNN workspace (batch %zu)", batch);
        return NULL;
    }
    return ws;
}

/* The arrays of the variational step, on its first call. */
static int ws_need_vd(const siamese *s, siamese_ws *ws)
{
    if (ws->w) return PB_OK;
    size_t B = ws->batch;
    ws->w = pb_calloc(s->n_params, sizeof *ws->w);
    ws->eps = pb_calloc(s->rnn->off_b ? s->rnn->off_b : 1, sizeof *ws->eps);
    ws->e = pb_calloc(B * s->C, sizeof *ws->e);
    ws->sd = pb_calloc(B * s->C, sizeof *ws->sd);
    ws->r = pb_calloc(B * s->C, sizeof *ws->r);
    ws->h2 = pb_calloc(B * 2 * s->H, sizeof *ws->h2);
    if (!ws->w || !ws->eps || !ws->e || !ws->sd || !ws->r || !ws->h2) {
        free(ws->w), free(ws->eps), free(ws->e), free(ws->sd), free(ws->r), free(ws->h2);
        ws->w = ws->eps = ws->e = ws->sd = ws->r = ws->h2 = NULL;
        return pb_error(PB_ERR_NOMEM, "out of memory allocating the siamese RNN variational workspace");
    }
    return PB_OK;
}

/* ---- forward and backward of one chunk of B pairs ------------------------------ */

/* Xs rows 0..B-1 = sentences A, B..2B-1 = sentences B; hT = the shared
 * recurrence's last states of those 2B sequences; hc[i] = [hT[i], hT[B+i]];
 * zo = hc Wout^T + bout (B x 2H times 2H x C). s0: the chunk's first pair,
 * for the line that names a bad token id (an integer in [0, V) expected). */
static int chunk_forward(const siamese *s, siamese_ws *ws, const double *w, const double *X, size_t B, size_t s0)
{
    size_t L = s->L, H = s->H, C = s->C, row = L * s->step;
    for (size_t k = 0; s->V && k < B * 2 * L; k++) {
        double x = X[k];
        if (!(x >= 0 && x < (double)s->V) || x != floor(x))
            return pb_error(PB_ERR_ARG, "token id %g at step %zu of sentence %c of pair %zu is not an integer in [0, %zu)",
                            x, k % L, (k / L) % 2 ? 'B' : 'A', s0 + k / (2 * L), s->V);
    }
    for (size_t i = 0; i < B; i++) {
        memcpy(ws->Xs + i * row, X + i * 2 * row, row * sizeof *ws->Xs);
        memcpy(ws->Xs + (B + i) * row, X + i * 2 * row + row, row * sizeof *ws->Xs);
    }
    int st = pb_rnn_hidden_forward(s->rnn, ws->rws, w, ws->Xs, 2 * B, ws->hT);
    if (st) return st;
    for (size_t i = 0; i < B; i++) {
        memcpy(ws->hc + i * 2 * H, ws->hT + i * H, H * sizeof *ws->hc);
        memcpy(ws->hc + i * 2 * H + H, ws->hT + (B + i) * H, H * sizeof *ws->hc);
    }
    for (size_t i = 0; i < B; i++) memcpy(ws->zo + i * C, w + s->off_bout, C * sizeof *ws->zo);
    pb_gemm(0, 1, B, C, 2 * H, 1.0, ws->hc, 2 * H, w + s->off_wout, 2 * H, 1.0, ws->zo, C);
    return PB_OK;
}

/* From dL/dzo (ws->dzo) and, if dhc_add is not NULL, an extra dL/dhc:
 *   dWout += dzo^T hc,  dbout += 1^T dzo,  dhc = dzo Wout (+ dhc_add),
 *   dh^A_L = dhc[:, 0:H), dh^B_L = dhc[:, H:2H)  into the 2B rows of dhT,
 * then backpropagation through time of all 2B sequences at once: the
 * shared (Emb,) Wx, Wh, b gain the sum of both branches' gradients. */
static void chunk_backward(const siamese *s, siamese_ws *ws, const double *w, size_t B, const double *dhc_add,
                           double *grad)
{
    size_t H = s->H, C = s->C;
    pb_gemm(1, 0, C, 2 * H, B, 1.0, ws->dzo, C, ws->hc, 2 * H, 1.0, grad + s->off_wout, 2 * H);
    for (size_t i = 0; i < B; i++)
        for (size_t c = 0; c < C; c++) grad[s->off_bout + c] += ws->dzo[i * C + c];
    pb_gemm(0, 0, B, 2 * H, C, 1.0, ws->dzo, C, w + s->off_wout, 2 * H, 0.0, ws->dhc, 2 * H);
    if (dhc_add)
        for (size_t k = 0; k < B * 2 * H; k++) ws->dhc[k] += dhc_add[k];
    for (size_t i = 0; i < B; i++) {
        memcpy(ws->dhT + i * H, ws->dhc + i * 2 * H, H * sizeof *ws->dhT);
        memcpy(ws->dhT + (B + i) * H, ws->dhc + i * 2 * H + H, H * sizeof *ws->dhT);
    }
    pb_rnn_hidden_backward(s->rnn, ws->rws, w, ws->Xs, 2 * B, ws->dhT, grad);
}

/* ---- the ops ------------------------------------------------------------------- */

static int sm_loss_grad(const pb_model *m, void *wsp, const double *w, const double *X, const double *y, size_t N,
                        double *loss, double *grad)
{
    const siamese *s = sm_of(m);
    siamese_ws *ws = wsp;
    *loss = 0;
    if (grad) memset(grad, 0, s->n_params * sizeof *grad);
    for (size_t s0 = 0; s0 < N; s0 += ws->batch) {
        size_t B = N - s0 < ws->batch ? N - s0 : ws->batch;
        int st = chunk_forward(s, ws, w, X + s0 * m->in_dim, B, s0);
        if (st) return st;
        if ((st = pb_head_loss(PB_HEAD_CE, 1.0, s->C, ws->zo, y + s0, B, loss, ws->dzo, NULL))) return st;
        if (grad) chunk_backward(s, ws, w, B, NULL, grad);
    }
    return PB_OK;
}

/* The step under w ~ N(theta, sigma2), as pb_rnn_vd_loss_grad (rnn.h):
 *   (Emb,) Wx, Wh (parameters [0, off_b)): w = theta + sigma .* eps, ONE eps
 *     per call (drawn in buffer order), shared by every pair, both branches
 *     and every step; b is not sampled;
 *   dense layer, local reparameterization (e drawn after eps, row-major):
 *     zo = hc theta_out^T + bout + sd .* e,  sd^2 = hc^2 sigma2_out^T + 1e-16;
 *   dL/dtheta = dL/dw;  dL/dsigma2 = dL/dw eps / (2 sigma) on [0, off_b),
 *     0.5 r^T hc^2 on Wout (r = dzo .* e / sd), 0 on the biases;
 *   the head noise adds (r sigma2_out) .* hc to dL/dhc. */
static int sm_lrt_loss_grad(const pb_model *m, void *wsp, const double *theta, const double *sigma2, const double *X,
                            const double *y, size_t B, const double *Z, double *dZ, gsl_rng *rng, double *loss,
                            double *dtheta, double *dsigma2)
{
    const siamese *s = sm_of(m);
    siamese_ws *ws = wsp;
    size_t H = s->H, C = s->C, nrec = s->rnn->off_b;
    *loss = 0;
    if (Z || dZ) return pb_error(PB_ERR_ARG, "model %s has no group multipliers", m->spec);
    if (B > ws->batch)
        return pb_error(PB_ERR_ARG, "%s: %zu pairs exceed the workspace batch of %zu", m->spec, B, ws->batch);
    if (dsigma2 && !dtheta) return pb_error(PB_ERR_ARG, "%s: dL/dsigma2 needs dL/dtheta", m->spec);
    int st = ws_need_vd(s, ws);
    if (st) return st;
    double *w = ws->w;
    memcpy(w, theta, s->n_params * sizeof *w);
    for (size_t j = 0; j < nrec; j++) {
        ws->eps[j] = gsl_ran_gaussian_ziggurat(rng, 1.0);
        w[j] += sqrt(sigma2[j]) * ws->eps[j];
    }
    if ((st = chunk_forward(s, ws, w, X, B, 0))) return st;
    const double *s2out = sigma2 + s->off_wout;
    for (size_t k = 0; k < B * 2 * H; k++) ws->h2[k] = ws->hc[k] * ws->hc[k];
    pb_gemm(0, 1, B, C, 2 * H, 1.0, ws->h2, 2 * H, s2out, 2 * H, 0.0, ws->sd, C);
    for (size_t k = 0; k < B * C; k++) {
        ws->sd[k] = sqrt(ws->sd[k] + VAR_FLOOR);
        ws->e[k] = gsl_ran_gaussian_ziggurat(rng, 1.0);
        ws->zo[k] += ws->sd[k] * ws->e[k];
    }
    if ((st = pb_head_loss(PB_HEAD_CE, 1.0, C, ws->zo, y, B, loss, ws->dzo, NULL))) return st;
    if (!dtheta) return PB_OK;
    /* r = dzo .* e / sd;  dhc gains (r sigma2_out) .* hc  (into h2's place after dsigma2 reads it) */
    for (size_t k = 0; k < B * C; k++) ws->r[k] = ws->dzo[k] * ws->e[k] / ws->sd[k];
    memset(dtheta, 0, s->n_params * sizeof *dtheta);
    if (dsigma2) {
        memset(dsigma2, 0, s->n_params * sizeof *dsigma2);
        pb_gemm(1, 0, C, 2 * H, B, 0.5, ws->r, C, ws->h2, 2 * H, 0.0, dsigma2 + s->off_wout, 2 * H);
    }
    pb_gemm(0, 0, B, 2 * H, C, 1.0, ws->r, C, s2out, 2 * H, 0.0, ws->h2, 2 * H);
    for (size_t k = 0; k < B * 2 * H; k++) ws->h2[k] *= ws->hc[k];
    chunk_backward(s, ws, w, B, ws->h2, dtheta);
    if (dsigma2)
        for (size_t j = 0; j < nrec; j++)
            dsigma2[j] = sigma2[j] > 0 ? dtheta[j] * ws->eps[j] / (2 * sqrt(sigma2[j])) : 0;
    return PB_OK;
}

/* out (N x C) = softmax(zo) per pair. */
static int sm_predict(const pb_model *m, void *wsp, const double *w, const double *X, size_t N, double *out)
{
    const siamese *s = sm_of(m);
    siamese_ws *ws = wsp;
    size_t C = s->C;
    for (size_t s0 = 0; s0 < N; s0 += ws->batch) {
        size_t B = N - s0 < ws->batch ? N - s0 : ws->batch;
        int st = chunk_forward(s, ws, w, X + s0 * m->in_dim, B, s0);
        if (st) return st;
        for (size_t i = 0; i < B; i++) {
            const double *z = ws->zo + i * C;
            double *o = out + (s0 + i) * C, mx = z[0], se = 0;
            for (size_t c = 1; c < C; c++) if (z[c] > mx) mx = z[c];
            for (size_t c = 0; c < C; c++) se += (o[c] = exp(z[c] - mx));
            for (size_t c = 0; c < C; c++) o[c] /= se;
        }
    }
    return PB_OK;
}

/* Pair data: token ids of the model's vocabulary, or real word vectors
 * (in_dim and the class count are checked by pb_model_check_data before
 * this). */
static int sm_check_data(const pb_model *m, size_t in_dim, size_t n_classes, size_t vocab)
{
    (void)in_dim, (void)n_classes;
    const siamese *s = sm_of(m);
    if (!s->V) {
        if (vocab)
            return pb_error(PB_ERR_ARG,
                            "model %s takes word vectors but the data holds token ids: use siamese:2x%zuv%zue... or "
                            "a word-vector set (e.g. wordnet-pairs-lsa)",
                            m->spec, s->L, vocab);
        return PB_OK;
    }
    if (!vocab)
        return pb_error(PB_ERR_ARG, "model %s takes pairs of token-id sentences but the data has real values",
                        m->spec);
    if (vocab != s->V)
        return pb_error(PB_ERR_ARG, "model %s has a vocabulary of %zu but the data's is %zu: use siamese:2x%zuv%zue...",
                        m->spec, s->V, vocab, s->L, vocab);
    return PB_OK;
}

/* F = 2 (2 (L H E + (L - 1) H H) + C 2H): both sentences through the
 * recurrence (h_0 = 0; the embedding lookup is free), the dense layer once. */
static double sm_forward_flops(const pb_model *m)
{
    const siamese *s = sm_of(m);
    double L = (double)s->L, H = (double)s->H, E = (double)s->E, C = (double)s->C;
    return 2 * (2 * (L * H * E + (L - 1) * H * H) + C * 2 * H);
}

const pb_model_ops pb_siamese_ops = {
    .parse = sm_parse,
    .free = sm_free,
    .init = sm_init,
    .set_noise_precision = sm_set_noise_precision,
    .ws_alloc = sm_ws_alloc,
    .ws_free = sm_ws_free,
    .loss_grad = sm_loss_grad,
    .lrt_loss_grad = sm_lrt_loss_grad,
    .predict = sm_predict,
    .check_data = sm_check_data,
    .forward_flops = sm_forward_flops,
};
