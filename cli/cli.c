/* cli.c -- see cli.h. */
#include "cli/cli.h"
#include "base/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

_Noreturn void die(int st)
{
    (void)st;
    fprintf(stderr, "prunebench: %s\n", pb_last_error());
    exit(1);
}

/* Parse argv into opts; other arguments go to rest (capacity argc). */
static int parse_opts(int argc, char **argv, opt *opts, char ***rest, int *nrest)
{
    *nrest = 0;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (a[0] == '-' && a[1]) {
            const char *k = a[1] == '-' ? a + 2 : a + 1;
            opt *o = NULL;
            for (opt *p = opts; p->key; p++) if (!strcmp(p->key, k)) o = p;
            if (!o) return pb_error(PB_ERR_ARG, "unknown option '%s' (see 'prunebench help')", a);
            o->seen = 1;
            if (o->is_flag) { o->val = "1"; continue; }
            if (i + 1 >= argc) return pb_error(PB_ERR_ARG, "option '%s' needs a value", a);
            o->val = argv[++i];
        } else {
            (*rest)[(*nrest)++] = argv[i];
        }
    }
    return PB_OK;
}

void parse_or_die(int argc, char **argv, opt *opts, const char *command)
{
    int nrest;
    char **rest = parse_files_or_die(argc, argv, opts, &nrest);
    if (nrest) die(pb_error(PB_ERR_ARG, "%s: unexpected argument '%s'", command, rest[0]));
    free(rest);
}

char **parse_files_or_die(int argc, char **argv, opt *opts, int *n)
{
    char **rest = calloc((size_t)argc + 1, sizeof *rest);
    if (!rest) die(PB_ERR_NOMEM);
    int st = parse_opts(argc, argv, opts, &rest, n);
    if (st) die(st);
    return rest;
}

const char *get(opt *opts, const char *key, const char *dflt)
{
    for (opt *p = opts; p->key; p++) if (!strcmp(p->key, key)) return p->val ? p->val : dflt;
    return dflt;
}

const char *need(opt *opts, const char *key)
{
    const char *v = get(opts, key, NULL);
    if (!v) die(pb_error(PB_ERR_ARG, "missing required option %s%s", key[1] ? "--" : "-", key));
    return v;
}

double get_num(opt *opts, const char *key, double dflt, double lo, double hi)
{
    const char *v = get(opts, key, NULL);
    if (!v) return dflt;
    char *end;
    double x = strtod(v, &end);
    if (end == v || *end || !(x >= lo && x <= hi))
        die(pb_error(PB_ERR_ARG, "--%s %s: expected a number in [%g, %g]", key, v, lo, hi));
    return x;
}

/* An integer option (no fraction, no exponent surprises). */
size_t get_count(opt *opts, const char *key, size_t dflt, size_t lo, size_t hi)
{
    const char *v = get(opts, key, NULL);
    if (!v) return dflt;
    char *end;
    unsigned long long x = strtoull(v, &end, 10);
    if (end == v || *end || *v == '-' || x < lo || x > hi)
        die(pb_error(PB_ERR_ARG, "--%s %s: expected an integer in [%zu, %zu]", key, v, lo, hi));
    return (size_t)x;
}

const char *plugin_dir(opt *opts)
{
    const char *env = getenv(PB_PLUGIN_DIR_ENV);
    return get(opts, "plugin-dir", env ? env : PB_DEFAULT_PLUGIN_DIR);
}

const char *data_dir(opt *opts)
{
    return get(opts, "data-dir", PB_DEFAULT_DATA_DIR);
}

void plugin_path(const char *method, const char *dir, char *out, size_t len)
{
    size_t l = strlen(method);
    if (strchr(method, '/') || (l > 3 && !strcmp(method + l - 3, ".so"))) snprintf(out, len, "%s", method);
    else snprintf(out, len, "%s/%s.so", dir, method);
}
