/* cli.h -- what every command of the prunebench CLI shares: the option
 * parser, the directory defaults, and exit on error. Only CLI code may
 * exit; library code returns a status. The commands themselves: commands.h. */
#ifndef PB_CLI_H
#define PB_CLI_H

#include <signal.h>
#include <stddef.h>

/* ---- directory defaults: the one place they are decided ----
 *
 * Data (the shipped CSV files, the text sets' default place):
 *   --data-dir DIR, else $PB_DATA_DIR, else beside the executable:
 *   EXE_DIR/../share/prunebench/datasets (an installed prunebench), else
 *   EXE_DIR/../datasets (build/prunebench in the source tree), else
 *   "datasets" (relative to the working directory).
 * Plugins:
 *   --plugin-dir DIR, else $PB_PLUGIN_DIR, else EXE_DIR/../lib/prunebench/plugins
 *   (installed), else EXE_DIR/plugins (build/plugins), else "build/plugins".
 * EXE_DIR is the directory of /proc/self/exe, so a binary works from any
 * working directory, and an installed tree (make install PREFIX=... with
 * or without DESTDIR) finds its own files. A directory the user names
 * (option or variable) is used as given. */
#define PB_PLUGIN_DIR_ENV "PB_PLUGIN_DIR"
#define PB_DATA_DIR_ENV "PB_DATA_DIR"
#define PB_INSTALLED_DATA_DIR "share/prunebench/datasets"   /* under PREFIX */
#define PB_INSTALLED_PLUGIN_DIR "lib/prunebench/plugins"    /* under PREFIX */
/* The last resorts, relative to the working directory. */
#define PB_FALLBACK_PLUGIN_DIR "build/plugins"
#define PB_FALLBACK_DATA_DIR "datasets"

/* The defaults above without options: $PB_DATA_DIR or beside the
 * executable; $PB_PLUGIN_DIR or beside the executable. */
const char *default_data_dir(void);
const char *default_plugin_dir(void);

/* ---- options ---- */

/* One option: --key value, or a flag (--key). Single-letter keys are written -k. */
typedef struct opt { const char *key; const char *val; int is_flag; int seen; } opt;
#define O(k) {k, NULL, 0, 0}
#define F(k) {k, NULL, 1, 0}
#define END {NULL, NULL, 0, 0}

/* Print "prunebench: <last error>" and exit 1. */
_Noreturn void die(int st);

/* Parse the options of a command that takes options only: dies on an
 * unknown option, a missing value, an option given twice ("option
 * '--epochs' given twice"), an output file that cannot be written (-o,
 * --tex, --mean, --gp, --tsv, --macros, --slices, --gates, --trace: its
 * directory must exist and be writable, checked before any work), or an
 * argument that is not an option ("<command>: unexpected argument 'x'"). */
void parse_or_die(int argc, char **argv, opt *opts, const char *command);
/* The same for a command that takes files beside its options: returns the
 * arguments that are not options (malloc'd, *n of them). */
char **parse_files_or_die(int argc, char **argv, opt *opts, int *n);

const char *get(opt *opts, const char *key, const char *dflt);
const char *need(opt *opts, const char *key);                      /* dies if absent */
double get_num(opt *opts, const char *key, double dflt, double lo, double hi);
size_t get_count(opt *opts, const char *key, size_t dflt, size_t lo, size_t hi);

/* The plugin directory (--plugin-dir, else default_plugin_dir()) and the
 * data directory (--data-dir, else default_data_dir()) of a command's options. */
const char *plugin_dir(opt *opts);
const char *data_dir(opt *opts);

/* The plugin file of a method: `method` itself if it holds a '/' or ends in
 * .so, else DIR/METHOD.so. */
void plugin_path(const char *method, const char *dir, char *out, size_t len);
/* The same, but a bare NAME with no DIR/NAME.so dies with the methods DIR
 * holds and the closest of them ("unknown method 'rnadom' in DIR (did you
 * mean 'random'? known: ...)"). */
void method_plugin_or_die(const char *method, const char *dir, char *out, size_t len);

/* Dies unless name is a dataset of the registry: the known ones and the
 * closest ("unknown dataset 'wnie' (known: ...); did you mean 'wine'?"). */
void dataset_or_die(const char *name);

/* The name of known[0..n) closest to name (edit distance at most a third
 * of its length, at least 2), or NULL. */
const char *closest_name(const char *name, const char *const *known, size_t n);

/* ---- a training that can be paused ----
 * Exit status of a paused run (sysexits' EX_TEMPFAIL: run it again). */
enum { PB_EXIT_PAUSED = 75 };
/* From now on SIGINT and SIGTERM only set the returned flag (a training
 * given it as pb_train_opts.interrupt checkpoints and stops at its next
 * step); release_interrupts() restores their default actions. */
volatile sig_atomic_t *catch_interrupts(void);
void release_interrupts(void);

#endif
