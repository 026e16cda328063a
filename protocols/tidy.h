/* tidy.h -- one tidy table of a scale's results: every P1 curve (plain and
 * compensated) and every P2 noise file as rows of one CSV with a header row,
 * one row per file row, what the row is (dataset, protocol, method,
 * variant, repeat, model, metric) taken from each file's provenance header
 * ('# prunebench protocol P1|P2', '# method:', '# repeat:', '# dataset:',
 * '# model:', '# quality_metric:', '# compensate:'), never from its path.
 *
 * Columns (PB_TIDY_COLUMNS; empty where a protocol has no such value):
 *   dataset             '# dataset:' (fashion-mnist for both image networks: see model)
 *   experiment          p1 (sparsity vs quality) or p2 (noise robustness)
 *   method              '# method:'
 *   variant             plain (pruned weights set to 0, the rest kept) or
 *                       compensated (the rest moved to their conditional
 *                       mean: curvec/), from '# compensate:' none|conditional
 *   repeat              '# repeat:'
 *   fraction            achieved fraction of the prunable parameters removed
 *   quality             test accuracy or RMSE (metric); p2: its mean over the
 *                       noise draws at noise_level
 *   quality_sd          p2: sample sd of the quality over the noise draws
 *   noise_level         p2: sd of the input noise (standardized units)
 *   output_noise        p2: output noise (see the noise file's header)
 *   requested_fraction  the fraction asked for (fraction: what the grid allowed)
 *   n_removed           p1: parameters removed
 *   test_nll            p1, classification: test negative log-likelihood per sample
 *   test_mse            p1, regression: test mean squared error (the RMSE squared)
 *   model               '# model:' (the model spec)
 *   metric              accuracy or rmse
 * Numbers are copied as the result files print them (no rounding). Rows are
 * sorted by dataset, model, experiment, variant, method (random first),
 * repeat, then in file order. */
#ifndef PB_TIDY_H
#define PB_TIDY_H

#include <stddef.h>

#define PB_TIDY_COLUMNS                                                                                            \
    "dataset,experiment,method,variant,repeat,fraction,quality,quality_sd,noise_level,output_noise,"             \
    "requested_fraction,n_removed,test_nll,test_mse,model,metric"

/* Read the given curve and noise files and write the CSV to out_path
 * atomically (temp file + rename). A malformed file, or two files for the
 * same (dataset, model, experiment, variant, method, repeat), fails with
 * one line naming the file (and line) and nothing is written. */
int pb_tidy(const char *out_path, char **files, size_t n_files);

#endif
