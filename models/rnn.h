/* rnn.h -- recurrent classifiers/regressors (Elman RNN and LSTM) over a flat
 * parameter buffer, with per-sample group multipliers, and a physically
 * smaller copy of a pruned network for inference ("compaction").
 *
 * Spec strings:
 *   "lstm:<T>x<d>-<H>-<C>[:ce|:mse]"        real inputs, LSTM cell
 *   "rnn:<T>x<d>-<H>-<C>[:ce|:mse]"         real inputs, Elman cell
 *   "lstm:<T>xv<V>e<E>-<H>-<C>[:ce|:mse]"   token inputs (also "rnn:..."),
 *                                           vocabulary V, embedding size E
 * T time steps, d input features per step (d = E with tokens), H hidden
 * units, C outputs. Head as in mlp.h: ce (softmax cross-entropy, labels
 * 0..C-1 stored as doubles; the default) or mse (0.5 beta (z - y)^2 with
 * noise precision beta = noise_precision, 1 after parsing).
 *
 * Inputs X are N rows. Real inputs: a row holds T*d doubles, step t's
 * features at [t*d, (t+1)*d). Tokens: a row holds T token ids (integer
 * doubles in [0, V); anything else is an error), x_t = Emb[token_t].
 *
 * The network (h_0 = c_0 = 0, t = 1..T, G gate blocks of H rows each):
 *   Elman (G = 1):  h_t = tanh(Wx x_t + Wh h_{t-1} + b)
 *   LSTM  (G = 4, gate order i, f, g, o):
 *     [a_i; a_f; a_g; a_o] = Wx x_t + Wh h_{t-1} + b          (4H)
 *     i = sigm(a_i), f = sigm(a_f), g = tanh(a_g), o = sigm(a_o)
 *     c_t = f .* c_{t-1} + i .* g,   h_t = o .* tanh(c_t)
 *   output on the last state only: z = Wout h_T + bout            (C)
 *
 * Parameters (flat buffer of n_params doubles, row-major, in this order):
 *   Emb  (V x E)     only with tokens            off_emb
 *   Wx   (G*H x d)   row q*H+u: gate q of unit u  off_wx
 *   Wh   (G*H x H)                               off_wh
 *   b    (G*H)                                   off_b
 *   Wout (C x H)                                 off_wout
 *   bout (C)                                     off_bout
 * The tensor table names them "Emb", "Wx", "Wh", "b", "Wout", "bout" (b and
 * bout with is_bias = 1; Emb only with tokens).
 *
 * Groups (layout.h), all with variable = 1 and layer 0, in this order:
 *   PB_GROUP_VOCABULARY     V (tokens only)  unit v: row v of Emb
 *   PB_GROUP_INPUT_NEURON   d                unit j: column j of Wx
 *   PB_GROUP_HIDDEN_NEURON  H                unit k: column k of Wh, then column k of Wout
 *   PB_GROUP_GATE           G*H (LSTM only)  unit q*H+u: row q*H+u of Wx, then of Wh (not b)
 * so the columns of Z start at zoff_vocab, zoff_x, zoff_h, zoff_gate.
 * With per-sample multipliers z (one row of Z, shared by all time steps) the
 * forward pass is exactly the network with the group members scaled:
 *   x_t  = Emb[token_t] * z_vocab[token_t]                (tokens)
 *   a_t  = z_gate .* (Wx (z_x .* x_t) + Wh (z_h .* h_{t-1})) + b
 *   z    = Wout (z_h .* h_T) + bout
 * (z_gate = 1 for Elman, which has no gate groups).
 *
 * Loss over N samples: L = sum_i l(z_i, y_i), summed, not averaged.
 */
#ifndef PB_RNN_H
#define PB_RNN_H

#include <stddef.h>
#include <gsl/gsl_rng.h>
#include "base/blas.h"
#include "models/layout.h"
#include "models/mlp.h"   /* pb_head_loss */

/* Named pb_rnn_cell, not pb_cell: harness/cell.h already defines pb_cell
 * (an experiment cell). */
typedef enum pb_rnn_cell { PB_CELL_ELMAN, PB_CELL_LSTM } pb_rnn_cell;

typedef struct pb_rnn {
    char spec[128];
    pb_rnn_cell cell;
    int tokens;             /* 1: token inputs through an embedding */
    size_t T, d, V, E, H, C, G;   /* V = E = 0 for real inputs; d = E for tokens */
    pb_head head;
    double noise_precision; /* beta of the mse head; 1 after parsing */
    size_t n_params;
    size_t off_emb, off_wx, off_wh, off_b, off_wout, off_bout;
    size_t n_tensors;
    pb_tensor *tensors;
    size_t n_groups;
    pb_group *groups;
    size_t zoff_vocab, zoff_x, zoff_h, zoff_gate;  /* first column of each group kind in Z */
} pb_rnn;

/* Parse a spec (see above) and build the model description; on failure *out
 * is NULL and pb_last_error() names the spec. Free with pb_rnn_free. */
int pb_rnn_parse(const char *spec, pb_rnn **out);
void pb_rnn_free(pb_rnn *m);
size_t pb_rnn_in_dim(const pb_rnn *m);   /* doubles per row of X: T*d, or T for tokens */
size_t pb_rnn_out_dim(const pb_rnn *m);  /* C */

/* Initialize w from rng, drawing in buffer order (Emb, Wx, Wh, Wout):
 *   Emb ~ N(0, 1)  (an embedded token has unit-variance components, like
 *                   standardized real inputs)
 *   Wx, Wh ~ N(0, 1/(d + H))   (fan-in of a gate pre-activation)
 *   Wout ~ N(0, 1/H)
 *   b = 0 except the LSTM forget-gate block b[H..2H) = 1;  bout = 0. */
void pb_rnn_init(const pb_rnn *m, double *w, const gsl_rng *rng);

/* The training functions, in double (names as below) and float (the same
 * names with _f32), from one source (base/real.h): see rnn_typed.h. */
#define PB_R double
#define PB_N(name) name
#include "models/rnn_typed.h"
#undef PB_R
#undef PB_N
#define PB_R float
#define PB_N(name) name##_f32
#include "models/rnn_typed.h"
#undef PB_R
#undef PB_N

/* out (N x C): class probabilities (ce) or predictions (mse). */
int pb_rnn_predict(const pb_rnn *m, pb_rnn_ws *ws, const double *w, const double *X, size_t N, double *out);

/* ---- compaction ----------------------------------------------------------
 *
 * pb_rnn_compact_build takes weights in which removed parameters are exactly
 * 0 and keeps only what can influence the output:
 *   - a gate row r = q*H+u whose Wx row and Wh row are all zero is constant,
 *     act(b_r) (sigm, or tanh for g and for Elman), precomputed once;
 *   - hidden units: unit k is kept iff the output depends on it: Wout column
 *     k is nonzero, or Wh[r][k] != 0 for a non-constant row r of a kept unit
 *     (the least fixed point: units read only by removed units, or only by
 *     themselves, are removed too); a removed unit loses its gate rows;
 *   - input features / embedding components: column j is kept iff Wx[r][j]
 *     != 0 for some non-constant row r of a kept unit;
 *   - vocabulary entries: row v of Emb is kept iff it is nonzero in a kept
 *     component; the others map to one shared zero row.
 * A kept LSTM unit with all four gates constant still evolves
 * (c_t = f c_{t-1} + i g with constants); a constant Elman unit is 0 at t = 0
 * and tanh(b) afterwards. Both are handled exactly.
 * pb_rnn_compact_predict gives pb_rnn_predict's outputs (to rounding). */
typedef struct pb_rnn_compact pb_rnn_compact;
int pb_rnn_compact_build(const pb_rnn *m, const double *w, pb_rnn_compact **out);
int pb_rnn_compact_predict(const pb_rnn_compact *c, const double *X, size_t N, double *out);
void pb_rnn_compact_free(pb_rnn_compact *c);

/* Sizes of the original and the compact network (layout.h pb_structure). */
typedef pb_structure pb_rnn_structure;
int pb_rnn_compact_structure(const pb_rnn_compact *c, pb_rnn_structure *s);

/* Constant gates of the kept hidden units, for a heat map.
 * *n_units = number of kept units, *n_gates = G (4 LSTM: i, f, g, o; 1 Elman).
 * Any of unit, is_const, value may be NULL (call once with all NULL to learn
 * the sizes). unit (n_units): original index of each kept unit, increasing.
 * is_const, value (n_units x G, row k = kept unit k, column q = gate q):
 * 1 and act(b) (sigm(b), tanh(b) for g and Elman) if the gate is constant,
 * 0 and NAN otherwise. */
int pb_rnn_gate_constants(const pb_rnn_compact *c, size_t *n_units, size_t *n_gates, size_t *unit, int *is_const,
                          double *value);

#endif
