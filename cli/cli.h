/* cli.h -- what every command of the prunebench CLI shares: the option
 * parser, the directory defaults, and exit on error. Only CLI code may
 * exit; library code returns a status. The commands themselves: commands.h. */
#ifndef PB_CLI_H
#define PB_CLI_H

#include <stddef.h>

/* ---- directory defaults: the one place they are decided ---- */

/* Plugins: --plugin-dir, else $PB_PLUGIN_DIR, else this (relative to the working directory). */
#define PB_PLUGIN_DIR_ENV "PB_PLUGIN_DIR"
#define PB_DEFAULT_PLUGIN_DIR "build/plugins"
/* Datasets (CSV files, text sets): --data-dir, else this. */
#define PB_DEFAULT_DATA_DIR "datasets"

/* ---- options ---- */

/* One option: --key value, or a flag (--key). Single-letter keys are written -k. */
typedef struct opt { const char *key; const char *val; int is_flag; int seen; } opt;
#define O(k) {k, NULL, 0, 0}
#define F(k) {k, NULL, 1, 0}
#define END {NULL, NULL, 0, 0}

/* Print "prunebench: <last error>" and exit 1. */
_Noreturn void die(int st);

/* Parse the options of a command that takes options only: dies on an
 * unknown option, a missing value, or an argument that is not an option
 * ("<command>: unexpected argument 'x'"). */
void parse_or_die(int argc, char **argv, opt *opts, const char *command);
/* The same for a command that takes files beside its options: returns the
 * arguments that are not options (malloc'd, *n of them). */
char **parse_files_or_die(int argc, char **argv, opt *opts, int *n);

const char *get(opt *opts, const char *key, const char *dflt);
const char *need(opt *opts, const char *key);                      /* dies if absent */
double get_num(opt *opts, const char *key, double dflt, double lo, double hi);
size_t get_count(opt *opts, const char *key, size_t dflt, size_t lo, size_t hi);

/* The plugin directory (--plugin-dir, $PB_PLUGIN_DIR, PB_DEFAULT_PLUGIN_DIR)
 * and the data directory (--data-dir, PB_DEFAULT_DATA_DIR) of a command's options. */
const char *plugin_dir(opt *opts);
const char *data_dir(opt *opts);

/* The plugin file of a method: `method` itself if it holds a '/' or ends in
 * .so, else DIR/METHOD.so. */
void plugin_path(const char *method, const char *dir, char *out, size_t len);

#endif
