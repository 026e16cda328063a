/* help.c -- usage text from the command table (commands.h) and the option
 * text (options.c), the notes every usage ends with (datasets, model specs,
 * where data and plugins are found), the manual page made from the same
 * text, and `version`. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/commands.h"
#include "datasets/registry.h"
#include "formats/provenance.h"
#include "models/model.h"

/* Where data and plugins are found (cli.h decides), as rules; the help
 * also prints what they resolve to here, the man page does not. */
static const char data_rule[] =
    "Data: the shipped files (wine, boston) are read from --data-dir DIR, else $" PB_DATA_DIR_ENV
    ", else EXE_DIR/../" PB_INSTALLED_DATA_DIR " (installed), else EXE_DIR/../datasets (source tree), EXE_DIR "
    "being the directory of the prunebench executable; so any working directory will do, and a fit is re-read "
    "from anywhere.";
static const char plugin_rule[] =
    "Plugins: a method NAME is DIR/NAME.so, DIR from --plugin-dir, else $" PB_PLUGIN_DIR_ENV
    ", else EXE_DIR/../" PB_INSTALLED_PLUGIN_DIR " (installed), else EXE_DIR/plugins (build tree).";
static const char model_note[] =
    "Model specs, e.g. mlp:13-13-3:tanh, mlp:13-39-1:tanh:mse, lstm:28x28-128-10, rnn:28x28-128-10,\n"
    "lstm:200xv20002e300-128-2 (tokens: vocabulary x embedding); the models:\n";

static void print_notes(FILE *f)
{
    pb_dataset_help(f);
    fprintf(f, "%s\n    here: %s\n", data_rule, default_data_dir());
    fprintf(f, "%s\n    here: %s\n", plugin_rule, default_plugin_dir());
    fputs(model_note, f);
    pb_model_list(f);
}

void print_usage(FILE *f)
{
    fprintf(f, "usage: prunebench <command> [options]\ncommands:\n");
    for (const command *c = commands; c->name; c++) fprintf(f, "  %s", c->usage);
    fprintf(f, "'prunebench help COMMAND' (or COMMAND --help): what each option means and its default;\n"
               "'prunebench --version': the version; 'man prunebench': all of it.\n");
    print_notes(f);
}

enum { OPT_COL = 32, HELP_WIDTH = 110 };  /* where meanings start; the widest line */

/* s[0..n) from column col on, wrapped at spaces to HELP_WIDTH, the
 * continuation lines indented to OPT_COL. */
static void print_wrapped(FILE *f, const char *s, size_t n, size_t col)
{
    while (n) {
        size_t room = HELP_WIDTH > col ? HELP_WIDTH - col : 1, take = n;
        if (n > room) {
            take = room;
            while (take > 0 && s[take] != ' ') take--;
            if (take == 0) take = room;   /* one long word: cut it */
        }
        fprintf(f, "%.*s\n", (int)take, s);
        s += take, n -= take;
        while (n && *s == ' ') s++, n--;
        if (n) fprintf(f, "%*s", OPT_COL, "");
        col = OPT_COL;
    }
}

/* The option text: "    OPTION  meaning", the meaning below a long option. */
static void print_options(FILE *f, const char *text)
{
    fprintf(f, "options:\n");
    while (*text) {
        size_t len = strcspn(text, "\n"), tab = strcspn(text, "\t");
        if (tab > len) tab = len;
        const char *desc = text + tab + (tab < len);
        size_t dl = (size_t)(text + len - desc);
        if (tab == 0) fprintf(f, "    ");
        else if (tab <= OPT_COL - 6) fprintf(f, "    %-*.*s  ", OPT_COL - 6, (int)tab, text);
        else fprintf(f, "    %.*s\n%*s", (int)tab, text, OPT_COL, "");
        print_wrapped(f, desc, dl, tab ? OPT_COL : 4);
        text += len + (text[len] == '\n');
    }
}

void print_command_usage(FILE *f, const command *c)
{
    fprintf(f, "usage: prunebench %s%s: %s\n", c->usage, c->name, c->summary);
    const char *opts = command_options(c->name);
    if (opts) print_options(f, opts);
    print_notes(f);
}

int unknown_command(const char *name)
{
    const char *names[64];
    size_t n = 0;
    char known[1024] = "";
    size_t k = 0;
    for (const command *c = commands; c->name && n < 64; c++) {
        names[n++] = c->name;
        if (k < sizeof known) k += (size_t)snprintf(known + k, sizeof known - k, "%s%s", k ? ", " : "", c->name);
    }
    const char *near = closest_name(name, names, n);
    fprintf(stderr, "prunebench: unknown command '%s' (%s%s%scommands: %s; see 'prunebench help')\n", name,
            near ? "did you mean '" : "", near ? near : "", near ? "'? " : "", known);
    return 2;
}

/* ---- the manual page ---- */

/* Text for roff: backslash as \e, '-' as \- (a minus, so options can be
 * searched and copied), a line starting with '.' or '\'' guarded by \&. */
static void roff(FILE *f, const char *s, size_t n)
{
    int bol = 1;
    for (size_t i = 0; i < n && s[i]; i++) {
        char ch = s[i];
        if (bol && (ch == '.' || ch == '\'')) fputs("\\&", f);
        if (ch == '\\') fputs("\\e", f);
        else if (ch == '-') fputs("\\-", f);
        else fputc(ch, f);
        bol = ch == '\n';
    }
}

static void roff_str(FILE *f, const char *s) { roff(f, s, strlen(s)); }

/* What a printing function writes, as roff in a no-fill block. */
static void roff_verbatim(FILE *f, void (*print)(FILE *))
{
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    if (!m) return;
    print(m);
    fclose(m);
    fputs(".PP\n.nf\n", f);
    roff(f, buf, len);
    fputs(".fi\n", f);
    free(buf);
}

void print_man(FILE *f)
{
    fputs(".\\\" generated by prunebench help --man -- do not edit\n", f);
    fputs(".TH PRUNEBENCH 1 \"\" \"prunebench ", f);
    roff_str(f, pb_version());
    fputs("\" \"User Commands\"\n.SH NAME\nprunebench \\- a reproducible benchmark of neural-network pruning methods\n"
          ".SH SYNOPSIS\n.B prunebench\n.I command\n[\\fIoptions\\fR]\n.br\n.B prunebench help\n[\\fIcommand\\fR]\n"
          ".br\n.B prunebench \\-\\-version\n"
          ".SH DESCRIPTION\nOne command per step of the pipeline: train a model on a dataset (a fit), rank its "
          "weights with a pruning-method plugin (an order), measure test quality as weights are removed (a curve), "
          "under input noise, and summarize over methods and repeats. Every output file records its provenance.\n"
          ".SH COMMANDS\n", f);
    for (const command *c = commands; c->name; c++) {
        fputs(".SS ", f);
        roff_str(f, c->name);
        fputs("\n", f);
        roff_str(f, c->summary);
        fputs(".\n.PP\n.nf\n", f);
        roff(f, "prunebench ", 11);
        roff_str(f, c->usage);
        fputs(".fi\n", f);
        const char *text = command_options(c->name);
        while (text && *text) {
            size_t len = strcspn(text, "\n"), tab = strcspn(text, "\t");
            if (tab > len) tab = len;
            const char *desc = text + tab + (tab < len);
            if (tab) {
                fputs(".TP\n.B ", f);
                roff(f, text, tab);
                fputs("\n", f);
            } else {
                fputs(".PP\n", f);
            }
            roff(f, desc, (size_t)(text + len - desc));
            fputs("\n", f);
            text += len + (text[len] == '\n');
        }
    }
    fputs(".SH DATASETS\n", f);
    roff_verbatim(f, pb_dataset_help);
    fputs(".SH MODELS\n", f);
    roff_str(f, model_note);
    roff_verbatim(f, pb_model_list);
    fputs(".SH FILES\n", f);
    roff_str(f, data_rule);
    fputs("\n.PP\n", f);
    roff_str(f, plugin_rule);
    fputs("\n.PP\nA plugin is built against \\fBprunebench.h\\fR: "
          "\\fBcc \\-shared \\-fPIC $(pkg\\-config \\-\\-cflags prunebench) my.c \\-o my.so\\fR; "
          "\\fBpkg\\-config \\-\\-variable=plugindir prunebench\\fR names the installed plugins' directory.\n"
          ".SH ENVIRONMENT\n.TP\n.B " PB_DATA_DIR_ENV "\nthe data directory, unless \\-\\-data\\-dir is given.\n"
          ".TP\n.B " PB_PLUGIN_DIR_ENV "\nthe plugin directory, unless \\-\\-plugin\\-dir is given.\n"
          ".PP\nThe variables naming the data that is not shipped are in DATASETS.\n"
          ".SH EXIT STATUS\n0 on success; 1 on an error (one line on stderr, no output file left behind); "
          "2 for an unknown command; 75 when train paused (run it again to resume).\n", f);
}

int cmd_help(int argc, char **argv)
{
    if (argc == 0) {
        print_usage(stdout);
        return 0;
    }
    if (!strcmp(argv[0], "--man")) {
        print_man(stdout);
        return fflush(stdout) ? 1 : 0;
    }
    const command *c = find_command(argv[0]);
    if (!c) return unknown_command(argv[0]);
    print_command_usage(stdout, c);
    return 0;
}

int cmd_version(int argc, char **argv)
{
    opt o[] = {END};
    parse_or_die(argc, argv, o, "version");
    printf("prunebench %s\n", pb_version());
    return 0;
}
