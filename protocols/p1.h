/* p1.h -- protocol P1, sparsity vs quality (PROTOCOLS.md): remove the first
 * k = round(f * n_prunable) parameters of a removal order (set them to exactly
 * 0; every other parameter at its posterior mean) and measure test quality
 * for each requested fraction f. No retraining. */
#ifndef PB_P1_H
#define PB_P1_H

#include <stddef.h>
#include <stdio.h>
#include "host/cell.h"
#include "protocols/prune.h"

/* Parse "a:step:b,c,d" (ranges and single values, comma separated) into a
 * sorted list without repeats in [0, hi]; `what` names the list in errors.
 * *out is malloc'd. */
int pb_grid_parse(const char *spec, const char *what, double hi, double **out, size_t *n);
/* The same for removed fractions, in [0, 1]. */
int pb_fractions_parse(const char *spec, double **out, size_t *n);
#define PB_DEFAULT_FRACTIONS "0:0.05:0.95,0.98,0.99,1"

/* Test-set quality of weights w: accuracy (classification) or RMSE in the
 * original target units (regression); aux is the mean test NLL or the MSE. */
int pb_evaluate(const pb_cell *c, const double *w, double *quality, double *aux);
const char *pb_quality_metric(const pb_cell *c);  /* "accuracy" or "rmse" */
/* The same scores for outputs already computed (test n x dL: class
 * probabilities or predictions), whatever network produced them. */
void pb_score_outputs(const pb_cell *c, const double *out, double *quality, double *aux);

/* Write the curve rows (after a header the caller wrote), walking the
 * pruner through the fractions. */
int pb_p1_curve(const pb_cell *c, pb_pruner *pr, const double *fractions, size_t nf, FILE *out);

#endif
