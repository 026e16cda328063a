/* cli.c -- see cli.h. */
#include "cli.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

_Noreturn void die(int st)
{
    (void)st;
    fprintf(stderr, "prunebench: %s\n", pb_last_error());
    exit(1);
}



int parse_opts(int argc, char **argv, opt *opts, char ***rest, int *nrest)
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

