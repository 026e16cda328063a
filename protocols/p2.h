/* p2.h -- protocol P2, noise robustness: how much the prediction of a pruned
 * network moves when its inputs are perturbed, for each removed fraction f
 * and input-noise level s.
 *
 * Inputs are standardized on the training split (the cell's test set is in
 * those units), so noise is isotropic in standardized units:
 *
 *   x~_ik = x_i + s eps_ik,   eps_ik ~ N(0, I_d),   k = 1..K draws per test point i.
 *
 * Common random numbers: eps depends only on (dataset, repeat, k) -- one GSL
 * mt19937 seeded with pb_p2_seed() = pb_seed("p2", dataset, "", "", repeat,
 * "input-noise") through pb_rng_seed, and the draws taken with
 * gsl_ran_gaussian_ziggurat(rng, 1.0) in the fixed order (draw k, test point
 * i, feature j). Every method, fraction and level sees the same eps.
 *
 * Pruned weights at f: the first k = llround(f n_order) parameters of the
 * order removed by the pb_pruner (as in protocol P1, with or without the
 * conditional-mean compensation the pruner was initialized with).
 *
 * Per (f, s), with f_c(x) the prediction in target units (regression:
 * pb_model_predict's output times scaling.y_sd[c]) or the class-probability
 * vector (classification), C outputs and n test points:
 *
 *   output_noise = sqrt( 1/(n C) sum_i sum_c Var_k[ f_c(x~_ik) ] ),
 *
 * Var_k the sample variance (divisor K - 1) over the K draws, and
 *
 *   quality_mean, quality_sd = mean and sample sd over k of q_k, q_k the
 *   test quality of draw k (accuracy, or RMSE in target units, computed
 *   exactly as pb_evaluate does on the noisy inputs).
 *
 * At s = 0 every draw sees the clean inputs, so output_noise is exactly 0 and
 * quality_mean is exactly pb_evaluate's quality.
 */
#ifndef PB_P2_H
#define PB_P2_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "host/cell.h"
#include "protocols/prune.h"

#define PB_DEFAULT_LEVELS "0:0.1:1"
#define PB_DEFAULT_DRAWS 100

/* The seed of the input-noise stream of a (dataset, repeat):
 * pb_seed("p2", dataset, "", "", repeat, "input-noise"). */
uint64_t pb_p2_seed(const char *dataset, unsigned repeat);

/* Parse a noise-level list with the syntax of pb_fractions_parse
 * ("a:step:b,c,..."), values in [0, 1000]; sorted, duplicates dropped.
 * *out is malloc'd. */
int pb_levels_parse(const char *spec, double **out, size_t *n);

/* Results of one run, row r = fi * nl + li (fraction-major). */
typedef struct pb_p2_result {
    size_t nf, nl;
    double *fraction, *achieved;        /* nf: requested, k / n_order */
    size_t *n_removed;                  /* nf */
    double *level;                      /* nl */
    double *output_noise;               /* nf * nl */
    double *quality_mean, *quality_sd;  /* nf * nl */
} pb_p2_result;

/* Run P2 for the fractions (non-decreasing, in [0,1]) and levels (>= 0),
 * K = draws >= 2, advancing pr from its current state (pr->k must not exceed
 * the first fraction's k). Fills *res (free with pb_p2_result_free).
 *
 * Loop: for each draw k, generate eps_k (n x d) once; for each level s form
 * X + s eps_k once; for each fraction run the forward pass with that
 * fraction's weights and update Welford running means and sums of squared
 * deviations per (fraction, level, test point, output), and per (fraction,
 * level) of the draw's quality. Memory: 2 nf nl n C doubles of accumulators,
 * nf n_params weights, 2 n d inputs and n C outputs -- never all draws
 * (8 MB for n = 2000, C = 1, 23 fractions x 11 levels). */
int pb_p2_run(const pb_cell *c, pb_pruner *pr, const double *fractions, size_t nf, const double *levels, size_t nl,
              size_t draws, uint64_t noise_seed, pb_p2_result *res);
void pb_p2_result_free(pb_p2_result *res);

/* pb_p2_run, then write a column-name line and one TSV row per (fraction,
 * level), fraction-major, after a header the caller wrote:
 *   requested_fraction  achieved_fraction  noise_level  output_noise  quality_mean  quality_sd */
int pb_p2_noise(const pb_cell *c, pb_pruner *pr, const double *fractions, size_t nf, const double *levels, size_t nl,
                size_t draws, uint64_t noise_seed, FILE *out);

#endif
