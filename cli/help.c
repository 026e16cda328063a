/* help.c -- usage text from the command table (commands.h), and the notes
 * every usage ends with: datasets, model specs, where plugins are found. */
#include <stdio.h>

#include "cli/cli.h"
#include "cli/commands.h"
#include "datasets/registry.h"
#include "models/model.h"

static const char usage_notes[] =
            "Plugins: a method NAME is DIR/NAME.so, DIR from --plugin-dir, else $" PB_PLUGIN_DIR_ENV ", else "
            PB_DEFAULT_PLUGIN_DIR ".\n"
            "Model specs, e.g. mlp:13-13-3:tanh, mlp:13-39-1:tanh:mse, lstm:28x28-128-10, rnn:28x28-128-10,\n"
            "lstm:200xv20002e300-128-2 (tokens: vocabulary x embedding); the models:\n";

static void print_notes(FILE *f)
{
    pb_dataset_help(f);
    fputs(usage_notes, f);
    pb_model_list(f);
}

void print_usage(FILE *f)
{
    fprintf(f, "usage: prunebench <command> [options]\ncommands:\n");
    for (const command *c = commands; c->name; c++) fprintf(f, "  %s", c->usage);
    print_notes(f);
}

void print_command_usage(FILE *f, const command *c)
{
    fprintf(f, "usage: prunebench %s%s: %s\n", c->usage, c->name, c->summary);
    print_notes(f);
}

int unknown_command(const char *name)
{
    fprintf(stderr, "prunebench: unknown command '%s' (see 'prunebench help')\n", name);
    return 2;
}

int cmd_help(int argc, char **argv)
{
    if (argc == 0) {
        print_usage(stdout);
        return 0;
    }
    const command *c = find_command(argv[0]);
    if (!c) return unknown_command(argv[0]);
    print_command_usage(stdout, c);
    return 0;
}
