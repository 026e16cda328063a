/* cli.h -- option parsing and exit-on-error helpers shared by the
 * subcommands of the prunebench CLI (harness/main.c, harness/cmd_*.c).
 * Only CLI code may exit; library code returns a status. */
#ifndef PB_CLI_H
#define PB_CLI_H

#include <stddef.h>

/* One option: --key value, or a flag (--key). Single-letter keys are written -k. */
typedef struct opt { const char *key; const char *val; int is_flag; int seen; } opt;
#define O(k) {k, NULL, 0, 0}
#define F(k) {k, NULL, 1, 0}
#define END {NULL, NULL, 0, 0}

/* Print "prunebench: <last error>" and exit 1. */
_Noreturn void die(int st);

/* Parse argv into opts; other arguments go to rest (capacity argc). */
int parse_opts(int argc, char **argv, opt *opts, char ***rest, int *nrest);
const char *get(opt *opts, const char *key, const char *dflt);
const char *need(opt *opts, const char *key);                      /* dies if absent */
double get_num(opt *opts, const char *key, double dflt, double lo, double hi);
size_t get_count(opt *opts, const char *key, size_t dflt, size_t lo, size_t hi);

/* Open what protocols P1 and P2 walk: the cell of fit_path, the removal order
 * (and its method name), and a pruner honouring --compensate none|conditional
 * and --estimator. The compensation seed is protocol P1's for both protocols,
 * so they see the same pruned networks. Dies on error. */
struct pb_cell;
struct pb_pruner;
void open_pruning(opt *o, const char *fit_path, const char *order_path, struct pb_cell *c, size_t **order,
                  size_t *n_order, char *method, size_t method_len, struct pb_pruner *pr, char *info, size_t info_len);

/* A method's natural operating point: the relevance threshold of the
 * training facet of the method an order file names ('# method:'), its
 * plugin looked up in plugin_dir. Dies if the method declares none. */
double method_operating_point(const char *order_path, const char *plugin_dir);

/* Subcommands defined outside main.c. */
int cmd_noise(int argc, char **argv);
int cmd_noise_summary(int argc, char **argv);
int cmd_bench(int argc, char **argv);
int cmd_evaluate(int argc, char **argv);
int cmd_export(int argc, char **argv);
int cmd_sparse_eval(int argc, char **argv);
int cmd_structure(int argc, char **argv);

#endif
