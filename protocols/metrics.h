/* metrics.h -- classification metrics on predicted and true labels: the
 * confusion matrix, accuracy and macro F1. Shared by the Table 1 baselines
 * (baselines.h) and any protocol that scores class predictions.
 *
 * Macro F1 (seed 000's quality, "F1-мера"): the mean over classes c of
 *   F1_c = 2 TP_c / (2 TP_c + FP_c + FN_c)
 * (= 2 P R / (P + R) with precision P = TP/(TP+FP), recall R = TP/(TP+FN)).
 * Conventions: a class with TP+FP = 0 or TP+FN = 0 but not both has F1 0
 * (the formula above; no 0/0 arises); a class absent from both the truth
 * and the predictions (TP = FP = FN = 0) is left out of the mean (it says
 * nothing about the classifier), and the mean is over the classes present;
 * with no class present (no rows) the macro F1 is 0. scikit-learn's
 * f1_score(average='macro') with labels=None does the same (its labels are
 * those present in y_true or y_pred). */
#ifndef PB_METRICS_H
#define PB_METRICS_H

#include <stddef.h>

/* conf[t * k + p] += 1 for every row with true class t and prediction p
 * (both in [0, k)); conf is zeroed first. Fails (PB_ERR_ARG) on a label
 * outside [0, k). */
int pb_confusion(const int *truth, const int *pred, size_t n, int k, size_t *conf);

/* From a k x k confusion matrix (rows true, columns predicted). */
double pb_accuracy_of(const size_t *conf, int k);
double pb_macro_f1_of(const size_t *conf, int k);   /* NaN when every count is 0 */

/* The same from labels; NaN for n = 0, 0 for a label outside [0, k) (with the
 * error recorded: callers pass checked labels). */
double pb_macro_f1(const int *truth, const int *pred, size_t n, int k);
double pb_accuracy(const int *truth, const int *pred, size_t n);

#endif
