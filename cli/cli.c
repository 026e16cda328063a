/* cli.c -- see cli.h. */
#define _XOPEN_SOURCE 700   /* realpath */
#include "cli/cli.h"
#include "base/util.h"
#include "datasets/registry.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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
            if (!o) {
                const char *keys[128];
                size_t n = 0;
                for (opt *p = opts; p->key && n < 128; p++) keys[n++] = p->key;
                const char *near = closest_name(k, keys, n);
                if (near)
                    return pb_error(PB_ERR_ARG, "unknown option '%s' (did you mean '%s%s'? see 'prunebench help')", a,
                                    near[1] ? "--" : "-", near);
                return pb_error(PB_ERR_ARG, "unknown option '%s' (see 'prunebench help')", a);
            }
            if (o->seen) return pb_error(PB_ERR_ARG, "option '%s' given twice (give it once)", a);
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

/* The options that name a file a command writes: checked before any work
 * (pb_out_check), so a bad path fails at once, not after a long run. */
static const char *const output_keys[] = {"o", "tex", "mean", "gp", "tsv", "macros", "slices", "gates", "trace"};

static int check_outputs(opt *opts)
{
    for (opt *p = opts; p->key; p++) {
        if (!p->val || p->is_flag) continue;
        for (size_t k = 0; k < sizeof output_keys / sizeof *output_keys; k++) {
            if (strcmp(p->key, output_keys[k])) continue;
            int st = pb_out_check(p->val);
            if (st) {
                char why[900];
                snprintf(why, sizeof why, "%s", pb_last_error());
                return pb_error(st, "%s%s: %s", p->key[1] ? "--" : "-", p->key, why);
            }
        }
    }
    return PB_OK;
}

char **parse_files_or_die(int argc, char **argv, opt *opts, int *n)
{
    char **rest = calloc((size_t)argc + 1, sizeof *rest);
    if (!rest) die(PB_ERR_NOMEM);
    int st = parse_opts(argc, argv, opts, &rest, n);
    if (!st) st = check_outputs(opts);
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

static int is_dir(const char *p)
{
    struct stat s;
    return stat(p, &s) == 0 && S_ISDIR(s.st_mode);
}

/* The first of EXE_DIR/<installed> and EXE_DIR/<in_tree> that is a
 * directory, into out; else fallback. EXE_DIR: where /proc/self/exe is. */
static const char *beside_exe(const char *installed, const char *in_tree, const char *fallback, char *out, size_t len)
{
    char exe[4096];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0) return fallback;
    exe[n] = '\0';
    char *slash = strrchr(exe, '/');
    if (!slash) return fallback;
    *slash = '\0';   /* exe is EXE_DIR now */
    char cand[4200];
    for (int k = 0; k < 2; k++) {
        if ((size_t)snprintf(cand, sizeof cand, k ? "%s/%s" : "%s/../%s", exe, k ? in_tree : installed) >= sizeof cand ||
            !is_dir(cand))
            continue;
        char *real = realpath(cand, NULL);   /* no "/.." in the paths errors and files name */
        int fits = (size_t)snprintf(out, len, "%s", real ? real : cand) < len;
        free(real);
        if (fits) return out;
    }
    return fallback;
}

const char *default_data_dir(void)
{
    static char buf[4200];
    static const char *dir;
    const char *env = getenv(PB_DATA_DIR_ENV);
    if (env && *env) return env;
    if (!dir) dir = beside_exe(PB_INSTALLED_DATA_DIR, "../datasets", PB_FALLBACK_DATA_DIR, buf, sizeof buf);
    return dir;
}

const char *default_plugin_dir(void)
{
    static char buf[4200];
    static const char *dir;
    const char *env = getenv(PB_PLUGIN_DIR_ENV);
    if (env && *env) return env;
    if (!dir) dir = beside_exe(PB_INSTALLED_PLUGIN_DIR, "plugins", PB_FALLBACK_PLUGIN_DIR, buf, sizeof buf);
    return dir;
}

const char *plugin_dir(opt *opts)
{
    const char *v = opts ? get(opts, "plugin-dir", NULL) : NULL;
    return v ? v : default_plugin_dir();
}

const char *data_dir(opt *opts)
{
    const char *v = opts ? get(opts, "data-dir", NULL) : NULL;
    return v ? v : default_data_dir();
}

void plugin_path(const char *method, const char *dir, char *out, size_t len)
{
    size_t l = strlen(method);
    if (strchr(method, '/') || (l > 3 && !strcmp(method + l - 3, ".so"))) snprintf(out, len, "%s", method);
    else snprintf(out, len, "%s/%s.so", dir, method);
}

/* Edit distance (Levenshtein): d[i][j] = min(d[i-1][j] + 1, d[i][j-1] + 1,
 * d[i-1][j-1] + [a_i != b_j]), one row at a time. */
static size_t edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 63 || lb > 63) return (size_t)-1;
    size_t row[64];
    for (size_t j = 0; j <= lb; j++) row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t up = row[j], best = diag + (a[i - 1] != b[j - 1]);
            if (up + 1 < best) best = up + 1;
            if (row[j - 1] + 1 < best) best = row[j - 1] + 1;
            diag = up;
            row[j] = best;
        }
    }
    return row[lb];
}

const char *closest_name(const char *name, const char *const *known, size_t n)
{
    size_t limit = strlen(name) / 3 > 2 ? strlen(name) / 3 : 2, best = (size_t)-1;
    const char *pick = NULL;
    for (size_t i = 0; i < n; i++) {
        size_t d = edit_distance(name, known[i]);
        if (d <= limit && d < best) best = d, pick = known[i];
    }
    return pick;
}

static int by_name(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

void method_plugin_or_die(const char *method, const char *dir, char *out, size_t len)
{
    plugin_path(method, dir, out, len);
    size_t l = strlen(method);
    if (strchr(method, '/') || (l > 3 && !strcmp(method + l - 3, ".so")) || access(out, F_OK) == 0) return;
    /* a bare name with no plugin file: the names the directory holds */
    char *names[256], known[2048] = "";
    size_t n = 0, k = 0;
    DIR *d = opendir(dir);
    struct dirent *e;
    while (d && n < 256 && (e = readdir(d))) {
        size_t el = strlen(e->d_name);
        if (el > 3 && !strcmp(e->d_name + el - 3, ".so") && (names[n] = pb_calloc(el - 2, 1)))
            memcpy(names[n++], e->d_name, el - 3);
    }
    if (d) closedir(d);
    qsort(names, n, sizeof *names, by_name);
    for (size_t i = 0; i < n && k < sizeof known; i++)
        k += (size_t)snprintf(known + k, sizeof known - k, "%s%s", i ? ", " : "", names[i]);
    const char *near = closest_name(method, (const char *const *)names, n);
    char hint[128] = "";
    if (near) snprintf(hint, sizeof hint, "did you mean '%s'? ", near);
    die(pb_error(PB_ERR_ARG, "unknown method '%s': no %s.so in %s (%sknown: %s; --plugin-dir or $%s)", method, method,
                 dir, hint, n ? known : "none", PB_PLUGIN_DIR_ENV));
}

void dataset_or_die(const char *name)
{
    if (pb_dataset_find(name)) return;
    const char *names[64], *why = pb_last_error();
    size_t n = 0;
    for (size_t i = 0; i < pb_dataset_count() && n < 64; i++) names[n++] = pb_dataset_at(i)->name;
    const char *near = closest_name(name, names, n);
    if (!near) die(PB_ERR_ARG);
    char msg[1024];
    snprintf(msg, sizeof msg, "%s", why);
    die(pb_error(PB_ERR_ARG, "%s; did you mean '%s'?", msg, near));
}

static volatile sig_atomic_t interrupted;
static void on_interrupt(int sig)
{
    (void)sig;
    interrupted = 1;
}

volatile sig_atomic_t *catch_interrupts(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_interrupt;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    return &interrupted;
}

void release_interrupts(void)
{
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
}
