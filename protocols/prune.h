/* prune.h -- walk a removal order: after advancing to k, the weights are the
 * fit's posterior means with the first k parameters of the order set to
 * exactly 0, either as they are (no compensation) or moved to the Gaussian
 * conditional mean given the removed parameters are 0 (compensate=conditional,
 * the Optimal Brain Surgeon update when the covariance is a Laplace inverse
 * Hessian):  m_rest <- m_rest - Sigma_{rest,z} / Sigma_{z,z} m_z, one z at a time.
 * Shared by protocols P1 and P2, so both see the same pruned networks. */
#ifndef PB_PRUNE_H
#define PB_PRUNE_H

#include <stddef.h>
#include <stdint.h>
#include "host/cell.h"
#include "posterior/posterior.h"

typedef struct pb_pruner {
    size_t n, n_order, k;
    const size_t *order;
    double *w;              /* current weights (n) */
    int compensate;
    size_t m;               /* active count in the compensated state */
    double *S, *mu;         /* conditional covariance (m x m, lda n) and mean (m) of the active set */
    size_t *pos, *param;    /* parameter -> compact position (SIZE_MAX if removed), and back */
} pb_pruner;

/* compensate: 0 none; 1 conditional, with the posterior covariance from
 * estimator `est` (info receives its description). */
int pb_pruner_init(pb_pruner *p, const pb_cell *c, const size_t *order, size_t n_order, int compensate,
                   pb_estimator est, uint64_t seed, char *info, size_t info_len);
/* Remove up to the first k parameters of the order (k never decreases). */
int pb_pruner_advance(pb_pruner *p, size_t k);
void pb_pruner_free(pb_pruner *p);

#endif
