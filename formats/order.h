/* order.h -- removal-order files: TSV, one prunable parameter per row, least
 * relevant first, with a '#' header carrying the method, its settings, the
 * fit it scored and the provenance.
 *
 *   # key: value          (method, settings, options, plugin, plugin_abi, plugin_hash, plugin_sha256,
 *                          fit, fit_sha256, model, seed, prunable, n_params, n_prunable, ...)
 *   rank  index  tensor  score
 */
#ifndef PB_ORDER_H
#define PB_ORDER_H

#include <stddef.h>
#include <stdint.h>
#include "models/model.h"

typedef struct pb_order_meta {
    const char *method, *settings, *fit_path, *prunable;
    uint64_t seed;
    unsigned repeat;
    /* The plugin that made the order (each line left out when NULL):
     * '# options:' every option's effective value, '# plugin:' the .so's
     * path, '# plugin_abi:' its declared ABI, '# plugin_hash:' the hash of
     * its bytes (host.h, pb_plugin_record), '# plugin_sha256:' the SHA-256
     * of its bytes (64 hex digits, as sha256sum prints them). */
    const char *options, *plugin, *plugin_abi, *plugin_hash, *plugin_sha256;
    /* '# fit_sha256:' the SHA-256 of the fit file's bytes (left out when
     * NULL): what pb_order_check_fit compares with the fit it is applied to. */
    const char *fit_sha256;
} pb_order_meta;

int pb_order_write(const char *path, const pb_order_meta *meta, const pb_model *m, const size_t *order,
                   const double *score, size_t n_prunable);

/* Whether the order at path belongs to the fit at fit_path, whose model is
 * m: its '# model:' is m's spec, its '# n_params:' m's count, its rows
 * exactly the prunable parameters of m its '# prunable:' names (weights or
 * all; a truncated order fails), and its '# fit_sha256:', when present
 * (every order rank writes), the SHA-256 of fit_path's bytes (an order of
 * another fit, dataset or repeat fails). One line naming both files
 * otherwise. */
int pb_order_check_fit(const char *path, const char *fit_path, const pb_model *m);

/* Read the order (indices < n_params, no repeats). *order is malloc'd.
 * method (if not NULL, cap method_len) receives the '# method:' value. */
int pb_order_read(const char *path, size_t n_params, size_t **order, size_t *n_order, char *method,
                  size_t method_len);

/* The same, and score[k] (n_params capacity, malloc'd) receives the score
 * column of row k, i.e. the score of parameter order[k] ("NA" reads as NaN;
 * any other score must be a finite number, else one line with the line
 * and column). */
int pb_order_read_scores(const char *path, size_t n_params, size_t **order, double **score, size_t *n_order,
                         char *method, size_t method_len);

#endif
