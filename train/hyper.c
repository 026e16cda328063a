/* hyper.c -- the generators of hyper.h (seed 003 eqs. 5 and 6), forward
 * and backward.
 *
 * Low-rank, for one generated tensor (a x b) with f = ReLU(t alpha + gamma):
 *   p = f U1 (a),  q = f U2 (b),  G = p q^T + B1
 * backward from dG (a x b):
 *   dB1 = dG,  dp = dG q,  dq = dG^T p,
 *   dU1 = f dp^T (H x a),  dU2 = f dq^T (H x b),  df += U1 dp + U2 dq,
 * and once over all tensors, with z = t alpha + gamma:
 *   dalpha = df .* [z > 0] t,  dgamma = df .* [z > 0].
 * Linear: G = lambda b2 + b3, so db3 = dG, db2 = lambda dG. */
#include "train/hyper.h"
#include "base/util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_randist.h>

const char *pb_hyper_kind_name(pb_hyper_kind k) { return k == PB_HYPER_LINEAR ? "linear" : "lowrank"; }

int pb_hyper_kind_parse(const char *s, pb_hyper_kind *k)
{
    if (!strcmp(s, "lowrank")) *k = PB_HYPER_LOWRANK;
    else if (!strcmp(s, "linear")) *k = PB_HYPER_LINEAR;
    else return pb_error(PB_ERR_ARG, "hypernetwork '%s': expected lowrank or linear", s);
    return PB_OK;
}

void pb_hyper_free(pb_hyper *h)
{
    if (!h) return;
    free(h->t);
    free(h->u);
    h->t = NULL, h->u = NULL;
}

int pb_hyper_alloc(pb_hyper *h, const pb_model *m, pb_hyper_kind kind, size_t hidden)
{
    memset(h, 0, sizeof *h);
    size_t n = m->n_params, T = m->n_tensors, covered = 0;
    for (size_t k = 0; k < T; k++) covered += m->tensors[k].rows * m->tensors[k].cols;
    if (covered != n || !T)
        return pb_error(PB_ERR_ARG, "hypernetwork: the tensors of %s cover %zu of its %zu parameters", m->spec, covered, n);
    if (kind == PB_HYPER_LOWRANK && !hidden) return pb_error(PB_ERR_ARG, "hypernetwork: low-rank needs hidden units");
    h->kind = kind, h->n = n, h->hidden = kind == PB_HYPER_LOWRANK ? hidden : 0, h->n_tensors = 2 * T;
    h->t = pb_calloc(2 * T, sizeof *h->t);
    if (!h->t) return PB_ERR_NOMEM;
    size_t H = h->hidden, at = 2 * n + 2 * H, pq = 0, maxab = 0;
    for (size_t k = 0; k < 2 * T; k++) {
        const pb_tensor *mt = &m->tensors[k % T];
        pb_hyper_tensor *t = &h->t[k];
        t->g_off = (k / T) * n + mt->offset, t->rows = mt->rows, t->cols = mt->cols;
        t->u1 = at, at += H * t->rows;
        t->u2 = at, at += H * t->cols;
        t->pq = pq, pq += t->rows + t->cols;
        if (t->rows + t->cols > maxab) maxab = t->rows + t->cols;
    }
    /* workspace: z (H) | f (H) | df (H) | p, q per tensor | dp, dq scratch */
    h->n_u = kind == PB_HYPER_LOWRANK ? at : 4 * n;
    h->ws_len = kind == PB_HYPER_LOWRANK ? 3 * H + pq + maxab : 1;
    h->u = pb_calloc(h->n_u, sizeof *h->u);
    if (!h->u) {
        pb_hyper_free(h);
        return PB_ERR_NOMEM;
    }
    return PB_OK;
}

void pb_hyper_init(pb_hyper *h, const double *mean0, double init_sd, gsl_rng *rng)
{
    size_t n = h->n, H = h->hidden;
    double *u = h->u, v0 = 2 * log(init_sd);
    memset(u, 0, h->n_u * sizeof *u);
    memcpy(u, mean0, n * sizeof *u);
    for (size_t j = n; j < 2 * n; j++) u[j] = v0;
    if (h->kind == PB_HYPER_LINEAR) return;  /* b2 = 0 */
    for (size_t i = 0; i < H; i++) u[2 * n + i] = gsl_ran_gaussian_ziggurat(rng, 1.0), u[2 * n + H + i] = 1.0;
    double su = 0.03;  /* p, q ~ 0.03 |f| / sqrt(H) (see pb_hyper_forward) */
    for (size_t j = 2 * n + 2 * H; j < h->n_u; j++) u[j] = su * gsl_ran_gaussian_ziggurat(rng, 1.0);
}

/* p = f U / sqrt(H) (U: H x a, row-major), out (a) */
static void row_times(size_t H, size_t a, const double *f, const double *U, double *out)
{
    double c = 1.0 / sqrt((double)H);
    memset(out, 0, a * sizeof *out);
    for (size_t k = 0; k < H; k++) {
        double fk = c * f[k];
        if (fk == 0) continue;
        const double *r = U + k * a;
        for (size_t i = 0; i < a; i++) out[i] += fk * r[i];
    }
}

void pb_hyper_forward(const pb_hyper *h, const double *u, double lambda, double *ws, double *g)
{
    size_t n = h->n, H = h->hidden;
    if (h->kind == PB_HYPER_LINEAR) {
        const double *b3 = u, *b2 = u + 2 * n;
        for (size_t j = 0; j < 2 * n; j++) g[j] = lambda * b2[j] + b3[j];
        return;
    }
    double t = log10(lambda), *z = ws, *f = ws + H;
    const double *alpha = u + 2 * n, *gamma = alpha + H;
    for (size_t k = 0; k < H; k++) z[k] = t * alpha[k] + gamma[k], f[k] = z[k] > 0 ? z[k] : 0;
    for (size_t k = 0; k < h->n_tensors; k++) {
        const pb_hyper_tensor *T = &h->t[k];
        size_t a = T->rows, b = T->cols;
        double *p = ws + 3 * H + T->pq, *q = p + a, *G = g + T->g_off;
        const double *B1 = u + T->g_off;
        row_times(H, a, f, u + T->u1, p);
        row_times(H, b, f, u + T->u2, q);
        for (size_t i = 0; i < a; i++)
            for (size_t j = 0; j < b; j++) G[i * b + j] = p[i] * q[j] + B1[i * b + j];
    }
}

void pb_hyper_backward(const pb_hyper *h, const double *u, double lambda, double *ws, const double *dg, double *du)
{
    size_t n = h->n, H = h->hidden;
    if (h->kind == PB_HYPER_LINEAR) {
        memcpy(du, dg, 2 * n * sizeof *du);
        for (size_t j = 0; j < 2 * n; j++) du[2 * n + j] = lambda * dg[j];
        return;
    }
    double t = log10(lambda), *z = ws, *f = ws + H, *df = ws + 2 * H, *scratch = ws + 3 * H;
    memcpy(du, dg, 2 * n * sizeof *du);  /* dB1 = dG */
    memset(df, 0, H * sizeof *df);
    for (size_t k = 0; k < h->n_tensors; k++) scratch += h->t[k].rows + h->t[k].cols;
    for (size_t k = 0; k < h->n_tensors; k++) {
        const pb_hyper_tensor *T = &h->t[k];
        size_t a = T->rows, b = T->cols;
        const double *p = ws + 3 * H + T->pq, *q = p + a, *dG = dg + T->g_off;
        double *dp = scratch, *dq = scratch + a;
        memset(dq, 0, b * sizeof *dq);
        for (size_t i = 0; i < a; i++) {
            double s = 0;
            for (size_t j = 0; j < b; j++) s += dG[i * b + j] * q[j], dq[j] += dG[i * b + j] * p[i];
            dp[i] = s;
        }
        const double *U1 = u + T->u1, *U2 = u + T->u2;
        double *dU1 = du + T->u1, *dU2 = du + T->u2, rs = 1.0 / sqrt((double)H);
        for (size_t c = 0; c < H; c++) {  /* p = f U1 / sqrt(H): dU1 = f dp^T / sqrt(H), df = U1 dp / sqrt(H) */
            double fc = rs * f[c], s = 0;
            for (size_t i = 0; i < a; i++) dU1[c * a + i] = fc * dp[i], s += U1[c * a + i] * dp[i];
            for (size_t j = 0; j < b; j++) dU2[c * b + j] = fc * dq[j], s += U2[c * b + j] * dq[j];
            df[c] += rs * s;
        }
    }
    double *dalpha = du + 2 * n, *dgamma = dalpha + H;
    for (size_t c = 0; c < H; c++) {
        double dz = z[c] > 0 ? df[c] : 0;
        dalpha[c] = dz * t, dgamma[c] = dz;
    }
}
