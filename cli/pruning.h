/* pruning.h -- what the commands that prune a fit share: protocols P1 and P2
 * (curve, noise) open the same pruned networks and write the same header;
 * export and structure find a method's operating point. Die on error. */
#ifndef PB_CLI_PRUNING_H
#define PB_CLI_PRUNING_H

#include <stddef.h>
#include <stdio.h>
#include "cli/cli.h"

/* Open what protocols P1 and P2 walk: the cell of fit_path, the removal order
 * (and its method name), and a pruner honouring --compensate none|conditional
 * and --estimator. The compensation seed is protocol P1's for both protocols,
 * so they see the same pruned networks. Dies on error. */
struct pb_cell;
struct pb_pruner;
void open_pruning(opt *o, const char *fit_path, const char *order_path, struct pb_cell *c, size_t **order,
                  size_t *n_order, char *method, size_t method_len, struct pb_pruner *pr, char *info, size_t info_len);

/* The header lines of a P1 or P2 result that name the cell: title, method,
 * repeat, dataset, model, fit, its settings, order, quality metric. */
void write_cell_header(FILE *f, const char *title, const char *method, const struct pb_cell *c, const char *fit_path,
                       const char *order_path);
/* The header lines that say how parameters are removed (pr's compensation). */
void write_removal_header(FILE *f, const struct pb_pruner *pr, const char *info);

/* A method's natural operating point: the relevance threshold of the
 * training facet of the method an order file names ('# method:'), its
 * plugin looked up in plugin_dir. Dies if the method declares none. */
double method_operating_point(const char *order_path, const char *plugin_dir);

#endif
