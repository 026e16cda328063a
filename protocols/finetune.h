/* finetune.h -- protocol P1 with fine-tuning, one-shot and iterative
 * (PROTOCOLS.md, P1 "Fine-tuning"; docs/protocols.md).
 *
 * Fine-tuning a pruned network: the removed parameters R (the first k of the
 * removal order) are held at exactly 0, the kept ones start from the pruned
 * weights and are trained E epochs on the cell's training split by the one
 * training driver (train/driver.h) with a masked point-estimate family:
 *   minimize (1/N) L(w)  over w_j, j not in R;   w_j = 0 for j in R,
 * where L is the model's summed training loss at the network's own noise
 * precision (an mse head's beta updated by the driver as in every family).
 * Per minibatch the gradient g_j of a removed j is set to 0 before the Adam
 * step and w_j is set to 0 after it, so a removed weight is exactly 0 in
 * every forward pass and in the result. The network that P1 measures is the
 * fit's mean (a point network), so the fine-tuned network is a point
 * network too; it is not a posterior (PROTOCOLS.md asks for "the fit's own
 * objective": see docs/protocols.md for why it is the point loss).
 * Minibatch size, step size and precision are the fit's own (its settings'
 * batch=, lr=, precision=) unless given; the step size is constant. The
 * driver's stream is seeded per repeat and row (pb_finetune_seed), so every
 * fine-tuned row is reproducible bit for bit and independent of the others.
 *
 * One-shot (pb_p1_finetune_curve): for each requested fraction f, remove
 * the first k = round(f n_order) of the order (with the pruner's
 * compensation, if any), fine-tune E epochs, measure. Every row is pruned
 * and fine-tuned from the fit on its own, f = 0 included (the dense network
 * gets the same E epochs, so the tolerance compares like with like).
 *
 * Iterative (pb_p1_iterative_curve): round 0 is the fit itself (nothing
 * removed, not trained); round r = 1..R removes the next parameters of the
 * order up to k_r = round((1 - (1 - p)^r) n_order) (p of what remains),
 * then fine-tunes E epochs starting from round r-1's fine-tuned weights, or,
 * with rewind, from the initial weights w0 of the fit's training (kept
 * weights set to w0_j, removed ones 0: the lottery-ticket procedure of
 * Frankle & Carbin 2019), and measures. The order stays the one given (the
 * fit's ranking); it is not recomputed between rounds.
 */
#ifndef PB_FINETUNE_H
#define PB_FINETUNE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "host/cell.h"
#include "models/model.h"
#include "protocols/prune.h"

typedef struct pb_finetune_opts {
    size_t epochs;           /* E >= 1 */
    size_t batch;            /* minibatch size; 0: the fit's */
    double lr;               /* Adam step size; 0: the fit's */
    int precision_set;       /* 1: use `precision`; 0: the fit's */
    pb_precision precision;
    size_t train_limit;      /* train on the first this many training samples (0: all) */
    /* iterative variant */
    double prune_rate;       /* p in (0, 1) */
    size_t rounds;           /* R >= 1 */
    int rewind;              /* kept weights to their initial values before each round's training */
} pb_finetune_opts;

/* The batch, step size and precision fine-tuning uses for cell c under o
 * (the fit's settings where o leaves them open); an error if the fit's
 * settings do not say and o does not either. */
int pb_finetune_settings(const pb_cell *c, const pb_finetune_opts *o, size_t *batch, double *lr, pb_precision *prec);

/* The seed of one fine-tuned row: pb_seed("p1-finetune", dataset, model,
 * "", repeat, "<variant> <row>"), variant "oneshot" (row: the requested
 * fraction, %.17g) or "iterative p=<p> rewind=<0|1>" (row: "round=<r>").
 * Not the method: the methods of a repeat fine-tune with the same stream
 * (common random numbers; the unpruned row of methods sharing a fit is
 * the same network). */
uint64_t pb_finetune_seed(const pb_cell *c, const char *variant, const char *row);

/* Fine-tune w (n_params values, w_j = 0 where !keep[j]) in place: E epochs
 * of the masked point family on c->train (its first train_limit samples
 * when 0 < train_limit < its size) with the given seed, batch, step size
 * and precision. Removed weights come back exactly 0. label names the run
 * in errors. */
int pb_finetune(const pb_cell *c, const unsigned char *keep, double *w, size_t epochs, size_t batch, double lr,
                pb_precision prec, size_t train_limit, uint64_t seed, const char *label);

/* The initial weights of the fit's training, regenerated: the driver draws
 * them first from its stream seeded with the fit's init_seed
 * (pb_model_init), so they need not be stored. Refused (one line) for a fit
 * whose training started elsewhere: settings with init= (a given start),
 * init_fit= (another fit) or a hypernetwork's fit. */
int pb_fit_initial_weights(const pb_cell *c, double *w0);

/* The rows of one curve (after a header the caller wrote):
 *   requested_fraction achieved_fraction n_removed quality test_nll|test_mse round
 * one-shot: round is 0 on every row; iterative: the round r. */
int pb_p1_finetune_curve(const pb_cell *c, pb_pruner *pr, const double *fractions, size_t nf,
                         const pb_finetune_opts *o, FILE *out);
int pb_p1_iterative_curve(const pb_cell *c, pb_pruner *pr, const pb_finetune_opts *o, FILE *out);

#endif
