/* wordvec.c -- see wordvec.h. */
#define _POSIX_C_SOURCE 200809L
#include "datasets/wordvec.h"
#include "base/util.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void pb_wordvec_free(pb_wordvec *w)
{
    if (!w) return;
    free(w->E);
    memset(w, 0, sizeof *w);
}

/* The numbers of one line after its word: their count into *k (at most
 * cap stored into x), or the 1-based column of the first field that is not
 * a finite number into *bad (0 if all are). */
static void parse_numbers(const char *line, size_t start, size_t len, double *x, size_t cap, size_t *k, size_t *bad)
{
    *k = 0, *bad = 0;
    size_t i = start;
    for (;;) {
        while (i < len && line[i] == ' ') i++;
        if (i >= len) return;
        char *end;
        errno = 0;
        double v = strtod(line + i, &end);
        size_t used = (size_t)(end - (line + i));
        if (!used || (line[i + used] != ' ' && i + used < len) || errno == ERANGE || !isfinite(v)) {
            *bad = i + 1;
            return;
        }
        if (*k < cap) x[*k] = v;
        (*k)++;
        i += used;
    }
}

int pb_wordvec_read(const char *path, const pb_vocab *v, pb_wordvec *out)
{
    memset(out, 0, sizeof *out);
    FILE *f = pb_fopen_read(path, "r");
    if (!f) return pb_error(PB_ERR_IO, "%s: cannot open: %s", path, pb_open_strerror(errno));
    char *line = NULL;
    size_t cap = 0, lineno = 0, dim = 0, xcap = 0;
    double *x = NULL;
    unsigned char *have = pb_calloc(v->size + 1, 1);
    ssize_t got;
    int st = have ? PB_OK : pb_error(PB_ERR_NOMEM, "%s: out of memory", path);
    while (!st && (got = getline(&line, &cap, f)) >= 0) {
        lineno++;
        size_t len = (size_t)got;
        while (len && (line[len - 1] == '\n' || line[len - 1] == '\r')) line[--len] = '\0';
        if (!len) continue;
        char *nul = memchr(line, '\0', len);
        if (nul) {
            st = pb_error(PB_ERR_FORMAT, "%s:%zu:%zu: NUL byte", path, lineno, (size_t)(nul - line) + 1);
            break;
        }
        size_t w = 0;
        while (w < len && line[w] == ' ') w++;
        size_t w0 = w;
        while (w < len && line[w] != ' ') w++;
        if (xcap < len / 2 + 1) {   /* a line of len bytes holds at most len/2 + 1 numbers */
            free(x);
            xcap = len / 2 + 1;
            if (!(x = pb_calloc(xcap, sizeof *x))) { st = pb_error(PB_ERR_NOMEM, "%s: out of memory", path); break; }
        }
        size_t k, bad;
        parse_numbers(line, w, len, x, xcap, &k, &bad);
        if (bad) {
            st = pb_error(PB_ERR_FORMAT, "%s:%zu:%zu: not a number: '%.*s'", path, lineno, bad,
                          (int)strcspn(line + bad - 1, " ") < 40 ? (int)strcspn(line + bad - 1, " ") : 40,
                          line + bad - 1);
            break;
        }
        if (!dim) {
            if (!k) {
                st = pb_error(PB_ERR_FORMAT, "%s:%zu:%zu: a word without numbers: expected 'word v1 ... vD'", path,
                              lineno, len + 1);
                break;
            }
            dim = k;
            if (!(out->E = pb_calloc(v->size * dim, sizeof *out->E))) {
                st = pb_error(PB_ERR_NOMEM, "%s: out of memory for %zu x %zu vectors", path, v->size, dim);
                break;
            }
        } else if (k != dim) {
            st = pb_error(PB_ERR_FORMAT, "%s:%zu:%zu: %zu numbers after the word, expected %zu as on the first vector "
                          "line", path, lineno, len + 1, k, dim);
            break;
        }
        size_t id = pb_vocab_id(v, line + w0, w - w0);
        if (id >= 2 && id < v->size && !have[id]) {
            have[id] = 1;
            memcpy(out->E + id * dim, x, dim * sizeof *x);
            out->found++;
        }
    }
    if (!st && ferror(f)) st = pb_error(PB_ERR_IO, "%s:%zu: read error", path, lineno);
    if (!st && !dim) st = pb_error(PB_ERR_FORMAT, "%s: no vectors (expected lines 'word v1 ... vD')", path);
    fclose(f);
    free(line), free(x), free(have);
    if (st) {
        pb_wordvec_free(out);
        return st;
    }
    out->rows = v->size, out->dim = dim;
    return PB_OK;
}
