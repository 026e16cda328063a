/* synthetic.h -- the synthetic multicollinear set of PROTOCOLS.md (seed 004
 * section 5) and the initial weights of its 100-1 network. Generated from a
 * seed: no files. */
#ifndef PB_SYNTHETIC_H
#define PB_SYNTHETIC_H

#include <stddef.h>
#include <stdint.h>

#include "datasets/data.h"

/* The set's size as the experiments use it (registry.h: "synthetic"). */
#define PB_SYNTHETIC_N 10000
#define PB_SYNTHETIC_D 100

/* Seed 004 eq. 5.2: n rows x ~ N(1, I_d), y = x_0 (regression, ydim 1);
 * one mt19937 stream from seed, x row by row. Name "synthetic". */
int pb_synthetic_make(size_t n, size_t d, uint64_t seed, pb_data *out);

/* Initial weights of the synthetic experiment's 100-1 network, our reading
 * of seed 004 eq. 5.1: w ~ N(m, A) with m = (1, 0.0025, ..., 0.0025),
 * A_11 = 1, A_1j = A_j1 = 1e-3, A_jj = 1, A_jk = 0.95 otherwise (j, k > 1);
 * w has d entries (the weights), drawn as w = m + L z with L the Cholesky
 * factor of A (A = L L^T) and z ~ N(0, I_d) from seed. */
int pb_synthetic_init(size_t d, uint64_t seed, double *w);

#endif
