/* commands.h -- the command table of the prunebench CLI. Dispatch, `help`,
 * `help COMMAND`, `COMMAND --help` and the unknown-command error all read
 * it (main.c, help.c); each command is one file cli/cmd_<name>.c. A new
 * command is that file, one row in commands.c and its options' meanings
 * and defaults in options.c (help and the man page print them). */
#ifndef PB_CLI_COMMANDS_H
#define PB_CLI_COMMANDS_H

#include <stdio.h>

typedef struct command {
    const char *name;
    const char *summary;    /* one line: what the command does */
    const char *usage;      /* "NAME options...\n", continuation lines indented 8 */
    int (*run)(int argc, char **argv);  /* the arguments after the command name; returns the exit status */
} command;

extern const command commands[];   /* ends with a row whose name is NULL */

/* The row of `name`, or NULL. */
const command *find_command(const char *name);

/* options.c: what each option of a command means and its default, lines
 * "OPTION ARG<TAB>meaning (default: ...)"; NULL for a name without one. */
typedef struct command_help { const char *name, *options; } command_help;
const char *command_options(const char *name);

/* help.c: the whole usage (every command, then the notes); one command's
 * usage, summary and the notes; the one-line unknown-command error (returns
 * the exit status 2). */
void print_usage(FILE *f);
void print_command_usage(FILE *f, const command *c);
int unknown_command(const char *name);
/* The manual page, roff (man(7)), from the same table and option text. */
void print_man(FILE *f);

int cmd_train(int argc, char **argv);
int cmd_hyper_train(int argc, char **argv);
int cmd_hyper_gen(int argc, char **argv);
int cmd_rank(int argc, char **argv);
int cmd_curve(int argc, char **argv);
int cmd_summarize(int argc, char **argv);
int cmd_noise(int argc, char **argv);
int cmd_noise_summary(int argc, char **argv);
int cmd_export(int argc, char **argv);
int cmd_structure(int argc, char **argv);
int cmd_sparse_eval(int argc, char **argv);
int cmd_plugins(int argc, char **argv);
int cmd_check_plugin(int argc, char **argv);
int cmd_evaluate(int argc, char **argv);
int cmd_provenance(int argc, char **argv);
int cmd_bench(int argc, char **argv);
int cmd_help(int argc, char **argv);
int cmd_version(int argc, char **argv);
int cmd_tidy(int argc, char **argv);
int cmd_sweep_summary(int argc, char **argv);
int cmd_findings(int argc, char **argv);
int cmd_sweep(int argc, char **argv);
int cmd_baselines(int argc, char **argv);

#endif
