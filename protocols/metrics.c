/* metrics.c -- see metrics.h. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "protocols/metrics.h"
#include "base/util.h"

int pb_confusion(const int *truth, const int *pred, size_t n, int k, size_t *conf)
{
    memset(conf, 0, (size_t)k * (size_t)k * sizeof *conf);
    for (size_t i = 0; i < n; i++) {
        if (truth[i] < 0 || truth[i] >= k || pred[i] < 0 || pred[i] >= k)
            return pb_error(PB_ERR_ARG, "confusion: row %zu has label %d, prediction %d (classes 0..%d)", i, truth[i],
                            pred[i], k - 1);
        conf[(size_t)truth[i] * (size_t)k + (size_t)pred[i]]++;
    }
    return PB_OK;
}

double pb_accuracy_of(const size_t *conf, int k)
{
    size_t right = 0, all = 0;
    for (int t = 0; t < k; t++)
        for (int p = 0; p < k; p++) {
            all += conf[(size_t)t * (size_t)k + (size_t)p];
            if (t == p) right += conf[(size_t)t * (size_t)k + (size_t)p];
        }
    return all ? (double)right / (double)all : 0.0;
}

/* F1_c = 2 TP / (2 TP + FP + FN); classes with TP = FP = FN = 0 are skipped. */
double pb_macro_f1_of(const size_t *conf, int k)
{
    double sum = 0;
    int present = 0;
    for (int c = 0; c < k; c++) {
        size_t tp = conf[(size_t)c * (size_t)k + (size_t)c], fp = 0, fn = 0;
        for (int o = 0; o < k; o++) {
            if (o == c) continue;
            fp += conf[(size_t)o * (size_t)k + (size_t)c];
            fn += conf[(size_t)c * (size_t)k + (size_t)o];
        }
        if (tp + fp + fn == 0) continue;
        present++;
        sum += 2.0 * (double)tp / (double)(2 * tp + fp + fn);
    }
    return present ? sum / present : NAN;
}

double pb_macro_f1(const int *truth, const int *pred, size_t n, int k)
{
    if (k <= 0) return 0.0;
    size_t *conf = pb_calloc((size_t)k * (size_t)k, sizeof *conf);
    if (!conf) return 0.0;
    double f = pb_confusion(truth, pred, n, k, conf) ? 0.0 : pb_macro_f1_of(conf, k);
    free(conf);
    return f;
}

double pb_accuracy(const int *truth, const int *pred, size_t n)
{
    size_t right = 0;
    for (size_t i = 0; i < n; i++) right += truth[i] == pred[i];
    return n ? (double)right / (double)n : 0.0;
}
