/* csv.c -- see csv.h. */
#define _POSIX_C_SOURCE 200809L
#include "datasets/csv.h"
#include "base/util.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
/* Split a line on commas in place; returns the number of fields. */
static size_t split_fields(char *line, char **fields, size_t max)
{
    size_t n = 0;
    char *p = line;
    for (;;) {
        if (n < max) fields[n] = p;
        n++;
        char *c = strchr(p, ',');
        if (!c) break;
        *c = '\0';
        p = c + 1;
    }
    return n;
}

static void chomp(char *s)
{
    size_t len = strlen(s);
    while (len && (s[len - 1] == '\n' || s[len - 1] == '\r')) s[--len] = '\0';
}

/* Room for rows rows in out (X and y), the rows read so far kept. */
static int grow_rows(pb_data *out, size_t rows)
{
    double *X = realloc(out->X, rows * out->d * sizeof *X);
    if (X) out->X = X;
    double *y = X ? realloc(out->y, rows * out->ydim * sizeof *y) : NULL;
    if (y) out->y = y;
    if (!X || !y) return pb_error(PB_ERR_NOMEM, "%s: out of memory for %zu rows", out->name, rows);
    return PB_OK;
}

/* Parse a whole field as a finite double. */
static int parse_number(const char *s, double *out)
{
    while (isspace((unsigned char)*s)) s++;
    if (!*s) return 0;
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    while (isspace((unsigned char)*end)) end++;
    if (*end || errno == ERANGE || !isfinite(v)) return 0;
    *out = v;
    return 1;
}

int pb_csv_load(const char *path, int classification, const char *name, pb_data *out)
{
    memset(out, 0, sizeof *out);
    FILE *f = pb_fopen_read(path, "r");
    if (!f) return pb_error(PB_ERR_IO, "%s: cannot open: %s", path, pb_open_strerror(errno));
    char *line = NULL;
    size_t cap = 0, lineno = 0;
    int st = PB_OK;
    enum { MAXF = 4096 };
    char **fields = pb_calloc(MAXF, sizeof *fields);
    if (!fields) { fclose(f); return PB_ERR_NOMEM; }
    double n_d, d_d;
    size_t n = 0, d = 0, row = 0;
    if (getline(&line, &cap, f) < 0) {
        st = pb_error(PB_ERR_FORMAT, "%s:1: empty file (expected a line 'n_samples,n_features,...')", path);
        goto done;
    }
    lineno = 1;
    chomp(line);
    size_t nf = split_fields(line, fields, MAXF);
    if (nf < 2 || !parse_number(fields[0], &n_d) || !parse_number(fields[1], &d_d) || n_d < 1 ||
        d_d < 1 || n_d != floor(n_d) || d_d != floor(d_d) || n_d > 1e8 || d_d > 1e5) {
        st = pb_error(PB_ERR_FORMAT, "%s:1: expected 'n_samples,n_features,...' with two positive integers", path);
        goto done;
    }
    if (d_d + 1 > MAXF) { /* a row is split into at most MAXF fields */
        st = pb_error(PB_ERR_FORMAT, "%s:1: %.0f features announced; at most %d are supported", path, d_d, MAXF - 1);
        goto done;
    }
    n = (size_t)n_d, d = (size_t)d_d;
    /* line 1 only announces n: the rows are stored as they come, in arrays
     * that grow (doubling) up to n, so a false header costs no memory */
    size_t cap_rows = n < 1024 ? n : 1024;
    if ((st = pb_data_alloc(out, name, cap_rows, d, 1, 0))) goto done;
    int max_class = -1;
    while (getline(&line, &cap, f) >= 0) {
        lineno++;
        chomp(line);
        if (!line[0]) continue;
        nf = split_fields(line, fields, MAXF);
        double v;
        if (row == 0 && lineno == 2) { /* column names: a line 2 without a single number */
            size_t numeric = 0;
            for (size_t j = 0; j < nf && j < MAXF; j++) numeric += parse_number(fields[j], &v);
            if (numeric == 0) continue;
        }
        if (nf != d + 1) {
            st = pb_error(PB_ERR_FORMAT, "%s:%zu: expected %zu columns (%zu features and a target), found %zu",
                          path, lineno, d + 1, d, nf);
            goto done;
        }
        if (row == n) {
            st = pb_error(PB_ERR_FORMAT, "%s:%zu: more rows than the %zu announced on line 1", path, lineno, n);
            goto done;
        }
        if (row == cap_rows && (st = grow_rows(out, cap_rows = 2 * cap_rows < n ? 2 * cap_rows : n))) goto done;
        for (size_t j = 0; j <= d; j++) {
            if (!parse_number(fields[j], &v)) {
                st = pb_error(PB_ERR_FORMAT, "%s:%zu:%zu: expected a number, found '%.40s'", path, lineno,
                              j + 1, fields[j]);
                goto done;
            }
            if (fabs(v) > PB_DATA_MAX_ABS) {
                st = pb_error(PB_ERR_FORMAT, "%s:%zu:%zu: %.40s is out of range: values must be at most %g in "
                              "magnitude (standardization squares them)", path, lineno, j + 1, fields[j], PB_DATA_MAX_ABS);
                goto done;
            }
            if (j < d) {
                out->X[row * d + j] = v;
            } else {
                if (classification && (v < 0 || v != floor(v) || v > 10000)) {
                    st = pb_error(PB_ERR_FORMAT, "%s:%zu:%zu: class label must be a non-negative integer, found '%s'",
                                  path, lineno, j + 1, fields[j]);
                    goto done;
                }
                out->y[row] = v;
                if (classification && (int)v > max_class) max_class = (int)v;
            }
        }
        row++;
    }
    if (ferror(f)) {
        st = pb_error(PB_ERR_IO, "%s:%zu: read error", path, lineno);
    } else if (row != n) {
        st = pb_error(PB_ERR_FORMAT, "%s:%zu: file ends after %zu rows; line 1 announced %zu", path, lineno, row, n);
    } else {
        out->n = n;
        if (classification) out->n_classes = max_class + 1;
    }
done:
    free(line);
    free(fields);
    fclose(f);
    if (st) pb_data_free(out);
    return st;
}
