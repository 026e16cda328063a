/* hyper.h -- hypernetworks that generate every variational parameter of a
 * model from the complexity weight lambda (seed 003 §3, eqs. 5 and 6).
 *
 * The generated vector is g = (m | v), 2n values: the posterior means m and
 * log-variances v = log s^2 of q(w) = N(m, diag exp(v)) for the model's n
 * parameters, seen as 2 T tensors (the model's T tensors, layout.h, once for
 * m and once for v; tensor k of part p sits at p n + offset).
 *
 * Low-rank (eq. 5), per generated tensor (rows a x cols b):
 *   G(lambda) = (f U1)^T (f U2) / H + B1,   f = ReLU(t alpha + gamma),  t = log10 lambda,
 * with f a 1 -> H ReLU layer shared by all tensors (alpha, gamma: H), U1 (H x a),
 * U2 (H x b) and B1 (a x b) the tensor's own: a rank-one matrix in lambda
 * plus a constant one. (Our reading: the layer takes log10 lambda, which
 * spans [-1, 2] under the training distribution; a bias column is b = 1.)
 * The 1/H is ours: U -> U / sqrt(H) gives eq. 5's functions, but an SGD
 * step on U moves p = f U1 by the step size times |f|^2 (about 100 at H
 * 50), which made the unscaled form diverge at the step size that trains
 * B1; with p = f U1 / sqrt(H) the factor is |f|^2 / H, of order 1.
 * Linear (eq. 6), per generated value: G(lambda) = lambda b2 + b3 (lambda
 * itself, as in the equation).
 *
 * Layout of the hypernetwork's values u (n_u doubles):
 *   low-rank: B1 (2n, in g's order) | alpha (H) | gamma (H) | per generated
 *             tensor k: U1_k (H x a_k) then U2_k (H x b_k)
 *   linear:   b3 (2n, in g's order) | b2 (2n)
 * so u[0 .. n) is the lambda-independent part of the means in both, where a
 * trainer puts the model's own initial weights. */
#ifndef PB_TRAIN_HYPER_H
#define PB_TRAIN_HYPER_H

#include <stddef.h>
#include <gsl/gsl_rng.h>
#include "models/model.h"

typedef enum pb_hyper_kind { PB_HYPER_LOWRANK, PB_HYPER_LINEAR } pb_hyper_kind;

#define PB_HYPER_HIDDEN 50  /* seed 003 §4: f has 50 ReLU units */
#define PB_HYPER_SGD_LR 0.1 /* SGD step size of `hyper-train` by default (the seed gives none) */
/* `hyper-train` by default: the L2 norm the lambda-dependent part of a
 * step's gradient is clipped to (ours, not the seed's; family_hyper.c),
 * chosen on Fashion-MNIST at the SGD step size above (low-rank: 5 epochs
 * of the full set; at 0.1 it trained for 8 epochs of 20,000 images, then
 * broke down within the 25 epochs of P5; docs/protocols.md). */
#define PB_HYPER_CLIP_LOWRANK 0.01
#define PB_HYPER_CLIP_LINEAR 0.001

typedef struct pb_hyper_tensor {
    size_t g_off;           /* its first value in g */
    size_t rows, cols;      /* a x b */
    size_t u1, u2;          /* low-rank: offsets of U1 and U2 in u */
    size_t pq;              /* low-rank: offset of its p = f U1 / sqrt(H) (a) then q = f U2 / sqrt(H) (b) in the workspace */
} pb_hyper_tensor;

typedef struct pb_hyper {
    pb_hyper_kind kind;
    size_t n;               /* model parameters; g has 2n values */
    size_t hidden;          /* H (low-rank; 0 for linear) */
    size_t n_u;             /* hypernetwork values */
    size_t n_tensors;       /* generated tensors, 2 T */
    pb_hyper_tensor *t;
    size_t ws_len;          /* doubles of a workspace (pb_hyper_forward keeps what backward needs there) */
    double *u;              /* the values, n_u (owned) */
} pb_hyper;

/* "lowrank" / "linear"; parse returns PB_ERR_ARG in one line otherwise. */
const char *pb_hyper_kind_name(pb_hyper_kind k);
int pb_hyper_kind_parse(const char *s, pb_hyper_kind *k);

/* The layout for model m (its tensors must cover its n parameters), u
 * zeroed; hidden is H for low-rank (ignored for linear). */
int pb_hyper_alloc(pb_hyper *h, const pb_model *m, pb_hyper_kind kind, size_t hidden);
void pb_hyper_free(pb_hyper *h);

/* Initial values: the means' constant part u[0 .. n) = mean0 (the model's
 * initialization), the log-variances' constant part 2 log init_sd, the
 * lambda-dependent parts (b2 = 0 for linear; alpha ~ N(0, 1), gamma = 1,
 * U1, U2 ~ N(0, 0.03^2) for low-rank) drawn from rng, so that at
 * the start G(lambda) is the base initialization up to a small rank-one term. */
void pb_hyper_init(pb_hyper *h, const double *mean0, double init_sd, gsl_rng *rng);

/* g = G(lambda) from values u: m = g[0 .. n), v = g[n .. 2n). ws (ws_len
 * doubles) keeps what the backward pass needs. */
void pb_hyper_forward(const pb_hyper *h, const double *u, double lambda, double *ws, double *g);

/* du = (dg/du)^T dg for the lambda and ws of the last forward call (dg: 2n
 * values, dL/dm then dL/dv); du (n_u) is overwritten. ws is scratch too. */
void pb_hyper_backward(const pb_hyper *h, const double *u, double lambda, double *ws, const double *dg, double *du);

#endif
