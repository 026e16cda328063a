/* p1_summary.h -- the P1 summary of one dataset over methods and repeats
 * (PROTOCOLS.md, protocol P1 "Summary"):
 *   quality at 0% removed (mean, sd over repeats);
 *   area under the quality-vs-achieved-fraction curve (trapezoid, per repeat);
 *   largest fraction whose mean quality, and that of every smaller fraction,
 *     stays within tolerance of the unpruned mean quality (accuracy: absolute
 *     drop <= tol, default 0.01; RMSE: relative rise <= tol, default 0.05);
 *   stability S = q(0)/q(0.9) for accuracy, q(0.9)/q(0) for RMSE (>= 1 means worse);
 *   paired comparison of each method's per-repeat AUC against random's on the
 *     same repeat (same base fit): exact two-sided Wilcoxon signed-rank p-value.
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

/* Exact two-sided Wilcoxon signed-rank p-value of paired differences d
 * (zeros dropped, average ranks for ties; normal approximation above n = 20).
 * Returns 1 when no difference is non-zero. */
double pb_wilcoxon_signed_rank(const double *d, size_t n);

#endif
