/* p3_summary.h -- the summary of protocol P3 sweeps (p3.h, `prunebench
 * sweep`) over repeats, per posterior family: D (gauss-diag) and I
 * (gauss-scalar), told apart by each file's "# family:" line.
 *
 * Every file of one summary must have the same lambda grid and dataset. Per
 * family and lambda index l, over the R files of that family:
 *   mean and sd (population sd over repeats: sqrt(mean(x^2) - mean(x)^2),
 *   0 for one repeat) of kept_fraction, quality, macro_f1 (NaN for
 *   regression) and bound L;
 *   lambda* = the lambda of the smallest mean L (the first on ties), and the
 *   means there.
 * Outputs (each optional, at least one; written atomically):
 *   mean:   gnuplot data, one block per family (D first), columns
 *           lambda kept kept_sd quality quality_sd f1 f1_sd bound bound_sd;
 *   gp:     a gnuplot include: families = "D I" (those present), metric,
 *           dataset_title, repeats (fewest over the families);
 *   tsv:    one row per family: repeats, the unpruned values (lambda = 0,
 *           or the smallest lambda of the grid) and lambda* with the means
 *           there;
 *   macros: \pb<Name><Family>{Repeats,LambdaStar,KeptAtStar,QualityAtStar,
 *           FOneAtStar,BoundAtStar,BoundUnpruned,QualityUnpruned,
 *           FOneUnpruned} (Name the camel form of --name, Family D or I;
 *           F1 as --- for regression). */
#ifndef PB_P3_SUMMARY_H
#define PB_P3_SUMMARY_H

#include <stddef.h>

typedef struct pb_p3_summary_opts {
    const char *name;       /* macro prefix, e.g. "wine" (required with macros) */
    const char *title;      /* the dataset as printed (default: the files' dataset) */
    const char *mean_out, *gp_out, *tsv_out, *macros_out;
} pb_p3_summary_opts;

int pb_p3_summarize(const pb_p3_summary_opts *o, char **files, size_t n_files);

#endif
