/* pruning.h -- what the commands that prune a fit share: protocols P1 and P2
 * (curve, noise) open the same pruned networks and write the same header;
 * export and structure find a method's operating point. Die on error. */
#ifndef PB_CLI_PRUNING_H
#define PB_CLI_PRUNING_H

#include <stddef.h>
#include <stdio.h>
#include "cli/cli.h"
#include "host/cell.h"
#include "protocols/prune.h"

/* What protocols P1 and P2 walk: the cell of a fit, a removal order (and
 * its method name), and a pruner over them. */
typedef struct pruning {
    const char *fit_path, *order_path;
    pb_cell c;
    size_t *order, n_order;
    char method[64];
    pb_pruner pr;
    char info[256];         /* the pruner's description of its compensation */
} pruning;

/* Open them; the pruner honours --compensate none|conditional and
 * --estimator. The compensation seed is protocol P1's for both protocols,
 * so they see the same pruned networks. Dies on error. */
void open_pruning(opt *o, const char *fit_path, const char *order_path, pruning *p);
void close_pruning(pruning *p);

/* The header lines of a P1 or P2 result that name the cell: title, method,
 * repeat, dataset, model, fit, its settings, order, quality metric. */
void write_cell_header(FILE *f, const char *title, const pruning *p);
/* The header lines that say how parameters are removed (the compensation). */
void write_removal_header(FILE *f, const pruning *p);

/* A method's natural operating point: the relevance threshold of the
 * training facet of the method an order file names ('# method:'), its
 * plugin looked up in plugin_dir. Dies if the method declares none. */
double method_operating_point(const char *order_path, const char *plugin_dir);

#endif
