/* p1_summary.h -- the P1 summary of one dataset over methods and repeats
 * (PROTOCOLS.md, protocol P1 "Summary"):
 *   quality at 0% removed (mean, sd over repeats);
 *   area under the quality-vs-achieved-fraction curve (trapezoid, per repeat);
 *   largest fraction whose mean quality, and that of every smaller fraction,
 *     stays within tolerance of the unpruned mean quality (accuracy: absolute
 *     drop <= tol, default 0.01; RMSE: relative rise <= tol, default 0.05);
 *   stability S = q(0)/q(0.9) for accuracy, q(0.9)/q(0) for RMSE (>= 1 means worse);
 *   paired comparison of each method's per-repeat AUC, and of its per-repeat
 *     largest fraction within tolerance (each repeat's curve against its own
 *     quality at 0), against random's on the same repeat (same base fit): the
 *     mean difference over the paired repeats, its 95% Student t interval
 *     (pb_paired_compare) and the exact two-sided Wilcoxon signed-rank p-value.
 *
 * Outputs (each optional):
 *   --tsv  one row per method, tab-separated, columns named in the header row
 *          (readers should go by name; columns are only ever appended):
 *            method repeats q0_mean q0_sd auc_mean auc_sd tol_fraction stability
 *            p_vs_random                 the AUC's Wilcoxon p (as before)
 *            paired_repeats              repeats paired with random's (R)
 *            auc_diff auc_diff_low auc_diff_high
 *                                        mean AUC - random's AUC over the pairs, 95% t interval
 *            tol_fraction_repeat_mean    mean over repeats of each repeat's own largest
 *                                        fraction within tolerance
 *            tol_fraction_diff tol_fraction_diff_low tol_fraction_diff_high
 *            tol_fraction_p_vs_random    the same comparison for that fraction
 *            min_p                       the smallest p the exact test can give, 2^(1-R)
 *          "nan" where a value does not exist (random against itself, no random
 *          among the methods, an interval from fewer than 2 pairs).
 *   --tex  the LaTeX table: adds "Delta AUC vs random [95% CI]" and p.
 *   --macros  \pb<D>Repeats, \pb<D>MinP (2^(1-R)), \pb<D>NSignificant (methods
 *          with AUC p < 0.05), and per method \pb<D><M>AucDiff, ...AucDiffLow,
 *          ...AucDiffHigh, ...AucDiffCI ("[low, high]" or "(no interval: 1 repeat)"),
 *          ...PValue (AUC), ...TolFractionDiff, ...TolFractionDiffLow/High/CI
 *          (in percentage points), ...TolFractionPValue; "---" where not compared.
 */
#ifndef PB_P1_SUMMARY_H
#define PB_P1_SUMMARY_H

#include <stddef.h>

typedef struct pb_summary_opts {
    const char *dataset;
    const char *title;          /* dataset name as printed */
    double tol;                 /* <= 0: the metric's default */
    const char *mean_out;       /* gnuplot data: mean and sd per fraction, one block per method */
    const char *gp_out;         /* gnuplot include: methods and styles (styles.h), metric, repeats */
    const char *tsv_out;        /* summary table */
    const char *tex_out;        /* LaTeX table */
    const char *macros_out;     /* LaTeX \newcommand macros */
    const char *reference;      /* published values TSV (may be NULL) */
    const char *variant;        /* NULL, or a name put in the macro names (\pb<Dataset><Variant><Method>...) */
} pb_summary_opts;

int pb_summarize(const pb_summary_opts *o, char **curve_files, size_t n_files);

/* The order in which the summaries (P1, P2) list methods: random, the
 * baseline, first; then by name (strcmp). */
int pb_summary_method_cmp(const char *a, const char *b);

/* Paired comparison of n differences d (method minus random, one per repeat):
 * the mean, a 95% confidence interval for the mean difference, and the exact
 * Wilcoxon p-value. The interval is Student's t, mean +- t_{0.975, n-1} s/sqrt(n)
 * with s the sample sd: with a handful of repeats the sd is itself estimated
 * from those few differences, and the normal quantile (1.96) would give
 * intervals too narrow (t_{0.975,1} = 12.7, t_{0.975,4} = 2.78, t_{0.975,9} =
 * 2.26); exact when the differences are normal, and the Wilcoxon p does not
 * need even that. With n < 2 there is no sd, so no interval: low = high =
 * NaN (the writers print that as "no interval", never a number). n = 0: mean
 * and p NaN too. min_p = 2^(1-n), the smallest p the exact test can reach. */
typedef struct pb_paired {
    size_t n;
    double mean, low, high, p, min_p;
} pb_paired;
void pb_paired_compare(const double *d, size_t n, pb_paired *out);

/* Exact two-sided Wilcoxon signed-rank p-value of paired differences d
 * (zeros dropped, average ranks for ties; normal approximation above n = 20).
 * Returns 1 when no difference is non-zero. */
double pb_wilcoxon_signed_rank(const double *d, size_t n);

#endif
