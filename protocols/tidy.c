/* tidy.c -- see tidy.h. Two passes: the provenance header of every file
 * (what the rows are; sorted, duplicates refused), then the rows of each file
 * in that order, straight into the CSV. */
#define _POSIX_C_SOURCE 200809L
#include "protocols/tidy.h"
#include "protocols/p1_summary.h"
#include "base/util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAXCOL 32

typedef struct tidy_file {
    const char *path;
    size_t index;                 /* position among the inputs (ties keep it) */
    char experiment[4];           /* "p1" or "p2" */
    char method[64], dataset[64], model[192], metric[32], variant[64];
    unsigned repeat;
} tidy_file;

/* "# key: value" -> value if line is that key's line, else NULL */
static const char *header_value(const char *line, const char *key)
{
    size_t k = strlen(key);
    return !strncmp(line, "# ", 2) && !strncmp(line + 2, key, k) && line[2 + k] == ':' && line[3 + k] == ' '
               ? line + 4 + k
               : NULL;
}

static int read_header(const char *path, tidy_file *t)
{
    FILE *f = fopen(path, "r");
    if (!f) return pb_error(PB_ERR_IO, "%s: cannot open result file: %s", path, strerror(errno));
    char *line = NULL;
    size_t cap = 0;
    int have_repeat = 0;
    const char *v;
    while (getline(&line, &cap, f) >= 0 && line[0] == '#') {
        line[strcspn(line, "\r\n")] = '\0';
        if (!strncmp(line, "# prunebench protocol P1:", 25)) snprintf(t->experiment, sizeof t->experiment, "p1");
        else if (!strncmp(line, "# prunebench protocol P2:", 25)) snprintf(t->experiment, sizeof t->experiment, "p2");
        else if ((v = header_value(line, "method"))) snprintf(t->method, sizeof t->method, "%s", v);
        else if ((v = header_value(line, "dataset"))) snprintf(t->dataset, sizeof t->dataset, "%s", v);
        else if ((v = header_value(line, "model"))) snprintf(t->model, sizeof t->model, "%s", v);
        else if ((v = header_value(line, "quality_metric"))) snprintf(t->metric, sizeof t->metric, "%s", v);
        else if ((v = header_value(line, "compensate")))
            snprintf(t->variant, sizeof t->variant, "%s",
                     !strcmp(v, "none") ? "plain" : !strcmp(v, "conditional") ? "compensated" : v);
        else if ((v = header_value(line, "repeat"))) {
            char *end;
            errno = 0;
            unsigned long r = strtoul(v, &end, 10);
            have_repeat = end != v && !*end && !errno && r <= 1000000;
            t->repeat = (unsigned)r;
        }
    }
    free(line);
    fclose(f);
    const char *missing = !t->experiment[0] ? "'# prunebench protocol P1:' or 'P2:'"
                          : !t->method[0]   ? "'# method:'"
                          : !have_repeat    ? "'# repeat:' (a number)"
                          : !t->dataset[0]  ? "'# dataset:'"
                          : !t->model[0]    ? "'# model:'"
                          : !t->metric[0]   ? "'# quality_metric:'"
                                            : NULL;
    if (missing) return pb_error(PB_ERR_FORMAT, "%s: not a P1 curve or P2 noise file: no %s in its header", path, missing);
    if (!t->variant[0]) snprintf(t->variant, sizeof t->variant, "plain");
    return PB_OK;
}

static int cmp_file(const void *a, const void *b)
{
    const tidy_file *x = a, *y = b;
    int c;
    if ((c = strcmp(x->dataset, y->dataset)) || (c = strcmp(x->model, y->model)) ||
        (c = strcmp(x->experiment, y->experiment)) || (c = strcmp(x->variant, y->variant)) ||
        (c = pb_summary_method_cmp(x->method, y->method)))
        return c;
    if (x->repeat != y->repeat) return x->repeat < y->repeat ? -1 : 1;
    return (x->index > y->index) - (x->index < y->index);
}

/* One CSV field: quoted (RFC 4180) when it holds a comma, quote or line break. */
static void csv_field(FILE *f, const char *s, int last)
{
    if (strpbrk(s, ",\"\r\n")) {
        fputc('"', f);
        for (; *s; s++) {
            if (*s == '"') fputc('"', f);
            fputc(*s, f);
        }
        fputc('"', f);
    } else {
        fputs(s, f);
    }
    fputc(last ? '\n' : ',', f);
}

/* Split line at tabs into at most MAXCOL fields; returns the count (MAXCOL + 1 if more). */
static size_t split_tabs(char *line, char **field)
{
    size_t n = 0;
    for (char *p = line;; n++) {
        if (n == MAXCOL) return MAXCOL + 1;
        field[n] = p;
        char *tab = strchr(p, '\t');
        if (!tab) return n + 1;
        *tab = '\0';
        p = tab + 1;
    }
}

static int is_number(const char *s)
{
    char *end;
    if (!*s) return 0;
    (void)strtod(s, &end);
    return !*end;
}

/* The rows of one file, appended to out. */
static int write_rows(FILE *out, const tidy_file *t)
{
    /* the file's columns that become tidy columns: P1 and P2 name them differently */
    enum { FRACTION, QUALITY, QUALITY_SD, NOISE_LEVEL, OUTPUT_NOISE, REQUESTED, N_REMOVED, TEST_NLL, TEST_MSE, NMAP };
    const int p2 = !strcmp(t->experiment, "p2");
    const char *src[NMAP] = {"achieved_fraction", p2 ? "quality_mean" : "quality", "quality_sd", "noise_level",
                             "output_noise", "requested_fraction", "n_removed", "test_nll", "test_mse"};
    /* required: fraction, quality, requested; p2 also its noise columns */
    const int required[NMAP] = {1, 1, p2, p2, p2, 1, 0, 0, 0};
    FILE *f = fopen(t->path, "r");
    if (!f) return pb_error(PB_ERR_IO, "%s: cannot open result file: %s", t->path, strerror(errno));
    char *line = NULL, *field[MAXCOL + 1];
    size_t cap = 0, lineno = 0, ncol = 0, rows = 0;
    int col[NMAP], st = PB_OK;
    char repeat[16];
    snprintf(repeat, sizeof repeat, "%u", t->repeat);
    while (getline(&line, &cap, f) >= 0) {
        lineno++;
        line[strcspn(line, "\r\n")] = '\0';
        if (line[0] == '#') continue;
        if (!ncol) {  /* the column header */
            ncol = split_tabs(line, field);
            if (ncol > MAXCOL) { st = pb_error(PB_ERR_FORMAT, "%s:%zu: more than %d columns", t->path, lineno, MAXCOL); break; }
            for (int k = 0; k < NMAP; k++) {
                col[k] = -1;
                for (size_t j = 0; j < ncol; j++)
                    if (!strcmp(field[j], src[k])) col[k] = (int)j;
                if (col[k] < 0 && required[k]) {
                    st = pb_error(PB_ERR_FORMAT, "%s:%zu: a %s file needs a column '%s' in its column header", t->path,
                                  lineno, p2 ? "P2 noise" : "P1 curve", src[k]);
                    break;
                }
            }
            if (st) break;
            continue;
        }
        if (!line[0]) continue;
        size_t n = split_tabs(line, field);
        if (n != ncol) {
            st = pb_error(PB_ERR_FORMAT, "%s:%zu: %zu tab-separated fields, the column header has %zu", t->path, lineno,
                          n > MAXCOL ? (size_t)MAXCOL + 1 : n, ncol);
            break;
        }
        for (int k = 0; k < NMAP && !st; k++)
            if (col[k] >= 0 && !is_number(field[col[k]]))
                st = pb_error(PB_ERR_FORMAT, "%s:%zu: column '%s': '%s' is not a number", t->path, lineno, src[k],
                              field[col[k]]);
        if (st) break;
        const char *cell[] = {t->dataset, t->experiment, t->method, t->variant, repeat};
        for (size_t k = 0; k < sizeof cell / sizeof *cell; k++) csv_field(out, cell[k], 0);
        for (int k = 0; k < NMAP; k++) csv_field(out, col[k] >= 0 ? field[col[k]] : "", 0);
        csv_field(out, t->model, 0);
        csv_field(out, t->metric, 1);
        rows++;
    }
    free(line);
    fclose(f);
    if (!st && !ncol) st = pb_error(PB_ERR_FORMAT, "%s: no column header after the '#' lines", t->path);
    if (!st && !rows) st = pb_error(PB_ERR_FORMAT, "%s: no data rows", t->path);
    return st;
}

int pb_tidy(const char *out_path, char **files, size_t n_files)
{
    if (!n_files) return pb_error(PB_ERR_ARG, "tidy: no result files given");
    tidy_file *t = pb_calloc(n_files, sizeof *t);
    if (!t) return PB_ERR_NOMEM;
    int st = PB_OK;
    for (size_t i = 0; i < n_files && !st; i++) {
        t[i].path = files[i];
        t[i].index = i;
        st = read_header(files[i], &t[i]);
    }
    if (!st) {
        qsort(t, n_files, sizeof *t, cmp_file);
        for (size_t i = 1; i < n_files && !st; i++) {
            const tidy_file *a = &t[i - 1], *b = &t[i];
            if (!strcmp(a->dataset, b->dataset) && !strcmp(a->model, b->model) && !strcmp(a->experiment, b->experiment) &&
                !strcmp(a->variant, b->variant) && !strcmp(a->method, b->method) && a->repeat == b->repeat)
                st = pb_error(PB_ERR_FORMAT, "%s and %s: both are %s %s %s %s %s repeat %u", a->path, b->path, a->dataset,
                              a->model, a->experiment, a->variant, a->method, a->repeat);
        }
    }
    pb_outfile out = {0};
    if (!st) st = pb_out_open(&out, out_path);
    if (!st) {
        fprintf(out.f, "%s\n", PB_TIDY_COLUMNS);
        for (size_t i = 0; i < n_files && !st; i++) st = write_rows(out.f, &t[i]);
        if (st) pb_out_abort(&out);
        else st = pb_out_commit(&out);
    }
    free(t);
    return st;
}
