/* p3.h -- protocol P3, the threshold sweep (PROTOCOLS.md; seed 000 §4,
 * Figs. 1-2), for a Gaussian fit (gauss-diag "D" or gauss-scalar "I")
 * q(w) = N(m, diag s^2) under its prior N(mu 1, sp^2 I).
 *
 * For each lambda of a grid, the prunable parameters with |m_j / s_j| <
 * lambda are removed: held at exactly 0 and dropped from the KL term. With
 * K the kept set (every parameter outside the prunable set is kept):
 *   quality   at w = m on K, 0 elsewhere, on the test split: accuracy and
 *             macro F1 (classification), RMSE in target units (regression);
 *   L         = E_q[-log p(D|w)] + KL_K, the variational bound of the pruned
 *             model on the training split D, in the units of the training
 *             objective (train.h; for an mse head beta sum 0.5 r^2 -
 *             (N/2) log beta, without the constant (N/2) log 2 pi);
 *   E_q[-log p(D|w)] ~ (1/S) sum_{k=1..S} -log p(D | w_k),
 *             w_kj = m_j + s_j eps_kj on K, 0 elsewhere; eps_k ~ N(0, I_n)
 *             from one seeded stream, restarted for every lambda (common
 *             random numbers: every lambda sees the same eps, and eps_kj
 *             does not depend on which parameters are kept);
 *   KL_K      = sum_{j in K} [ log(sp / s_j) + (s_j^2 + (m_j - mu)^2) / (2 sp^2) - 1/2 ].
 * Kept sets are nested (a larger lambda keeps a subset), so a lambda whose
 * kept count equals the previous one's has the same set and reuses its
 * Monte Carlo estimate.
 *
 * Macro F1 (the convention of scikit-learn's f1_score(average="macro"),
 * which seed 000 used): per class c, F1_c = 2 TP_c / (2 TP_c + FP_c + FN_c),
 * averaged over the classes that occur in the test labels or in the
 * predictions; a class that occurs in neither is left out of the average
 * (its F1 is 0/0), a class that occurs in only one of them has F1_c = 0. */
#ifndef PB_P3_H
#define PB_P3_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "host/cell.h"

#define PB_P3_DEFAULT_LAMBDAS "1e-3..1e3/4"
#define PB_P3_DEFAULT_SAMPLES 20

/* Parse a lambda grid: comma-separated values and log ranges "A..B/K"
 * (A, A 10^(1/K), A 10^(2/K), ... up to B, K points per decade; 0 < A <=
 * B); values >= 0; sorted, repeats dropped. *out is malloc'd. */
int pb_lambda_grid_parse(const char *spec, double **out, size_t *n);

/* Macro F1: pb_macro_f1_of in protocols/metrics.h (the convention above). */

/* Macro F1 on the cell's test split at weights w (NaN for regression). */
int pb_test_macro_f1(const pb_cell *c, const double *w, double *f1);

typedef struct pb_p3_opts {
    const unsigned char *mask;  /* prunable set (n), NULL: every parameter */
    size_t samples;             /* Monte Carlo samples S (>= 1) */
    uint64_t seed;              /* of the eps stream */
} pb_p3_opts;

typedef struct pb_p3_row {
    double lambda;
    size_t n_prunable, n_kept;  /* kept of the prunable set */
    double kept_fraction;       /* n_kept / n_prunable */
    double quality;             /* test accuracy or RMSE */
    double aux;                 /* test NLL or MSE */
    double macro_f1;            /* NaN for regression */
    double expected_nll;        /* E_q[-log p(D|w)] (Monte Carlo) */
    double kl;                  /* KL_K */
    double bound;               /* L = expected_nll + kl */
} pb_p3_row;

/* The sweep over lambdas[0 .. nl) for the cell's fit: rows[nl]. Refuses a
 * fit without positive sds on the prunable set. */
int pb_p3_sweep(const pb_cell *c, const pb_p3_opts *o, const double *lambdas, size_t nl, pb_p3_row *rows);

/* The header line and one line per row (after the comment lines the
 * caller wrote). */
void pb_p3_write(FILE *f, const pb_p3_row *rows, size_t nl);

#endif
