/* findings.h -- the report's "Findings": for each claim of a seed paper the
 * suite tests, the claim, what this run measured and a verdict under a
 * stated criterion; and one table comparing every method across datasets.
 *
 * Inputs, all under the results directory of one scale (results/<scale>/):
 *   <exp>/p1-summary.tsv, <exp>/p1c-summary.tsv   P1 summaries (p1_summary.h),
 *       read by column name: a column the code does not know is ignored, a
 *       column it needs and does not find makes that verdict "not available";
 *   <exp>/<method>-export.tex, <exp>/plain-macros.tex   \newcommand macros of
 *       `export` and `evaluate` (an image experiment's compression and error);
 *   <exp>/<method>-p4.tsv (key/value), <exp>/plain-eval.tsv   protocol P4 of
 *       a recurrent network and the unregularized baseline's quality.
 * and the claims table (report/claims.tsv): a TSV with a header naming the
 * columns id, seed, cite, experiment, method, criterion, params, claim;
 * '#' lines are comments. params is "key=value ..." for the criterion:
 *   tol_fraction  holds=H partly=P [summary=p1|p1c]
 *       largest fraction within tolerance (tol_fraction) >= H holds, >= P partly;
 *   beats_random  [summary=p1|p1c]
 *       paired AUC difference to random, d = AUC(method) - AUC(random) (the
 *       columns auc_diff, auc_diff_low, auc_diff_high: mean and 95% interval):
 *       in the method's favour (d > 0 for accuracy, d < 0 for RMSE) with the
 *       interval excluding 0 holds, in its favour otherwise partly, else does
 *       not hold. Without the interval columns: the exact Wilcoxon p-value
 *       (p_vs_random) < 0.05 in place of the interval;
 *   best          against=M1,M2,... by=auc|tol_fraction [summary=p1|p1c]
 *       no listed method (of those run) better holds, some partly, all does not hold;
 *   stability     holds=H partly=P [summary=p1|p1c]
 *       S (the summary's stability, >= 1 worse after pruning) <= H holds, <= P partly;
 *   compression   min=C rise=E
 *       image network from export: compression >= C and error at most E
 *       points above the plain network's: holds; one of the two: partly;
 *   lstm_compression  min=C drop=D
 *       recurrent network (P4): compression >= C and accuracy at most D points
 *       below the unregularized network's (plain-eval.tsv): holds; one: partly;
 *   groups        hidden=F drop=D
 *       recurrent network (P4): a share >= F of the hidden neurons removed and
 *       accuracy at most D points below the unregularized one: holds; some
 *       hidden neurons, inputs or gates removed: partly.
 *   p3_min  (method "-": the claims on P3 concern the posterior families)
 *       P3 mean curves (<exp>/p3-mean.tsv): the mean bound L smallest (first
 *       on a plateau) at a lambda strictly inside the grid that keeps some
 *       weights (not the empty network), for every family holds, some partly;
 *   p3_prune  keep=K drop=D
 *       per family, the smallest kept fraction among the lambdas whose mean
 *       macro F1 is at most D below the smallest lambda's: <= K for every
 *       family holds, for some partly;
 *   p3_cross
 *       D keeps fewer weights than I at some lambda (by > 1 point) and
 *       more at a larger one: holds; only the first: partly.
 *   p5_close  drop=D ratio=R  (method: a P5 method, e.g. lowrank, linearft)
 *       P5 summary (<exp>/p5-summary.tsv): mean accuracy over the lambdas at
 *       most D below direct's and updates (every lambda's model: own updates
 *       summed plus the shared hypernetwork's) at most R times direct's:
 *       holds; one of the two: partly;
 *   p5_stable
 *       |S - 1| below direct's at every lambda holds, at half or more partly.
 * A claim whose experiment or method is absent from the results, or not
 * among the run's (pb_findings_opts), is "not run".
 *
 * The cross-dataset table: for each dataset the P1 summary's AUC and largest
 * fraction within tolerance of every method present (any names), the rank by
 * AUC on that dataset (1 = best: highest AUC for accuracy, lowest for RMSE;
 * ties share the mean of their ranks), and the mean rank over the datasets
 * where the method ran, sorted by it. A method whose unpruned quality differs
 * from random's (it trained its own network) is marked.
 */
#ifndef PB_FINDINGS_H
#define PB_FINDINGS_H

#include <stddef.h>

typedef struct pb_findings_opts {
    const char *claims;        /* claims TSV */
    const char *results_dir;   /* results/<scale> */
    const char *scale;         /* "quick" labels every verdict "(quick scale)" */
    const char *datasets;      /* the cross-dataset table's datasets, separated by spaces or commas;
                                  NULL: the experiments of the claims on P1 summaries, in order */
    const char *tex_out;       /* LaTeX: the body of a Findings section, no heading of its own (may be NULL) */
    const char *tsv_out;       /* the same as text: claims table, then the method table (may be NULL) */
    const char *methods;       /* this run's methods, separated by spaces or commas: a claim on another is
                                  "not run" whatever older results lie in results_dir (NULL: any) */
    const char *experiments;   /* the same for the experiments (NULL: any) */
} pb_findings_opts;

int pb_findings(const pb_findings_opts *o);


#endif
