/* order.c -- see order.h. */
#define _POSIX_C_SOURCE 200809L
#include "formats/order.h"
#include "base/util.h"
#include "formats/provenance.h"
#include "base/sha256.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int pb_order_write(const char *path, const pb_order_meta *meta, const pb_model *m, const size_t *order,
                   const double *score, size_t n_prunable)
{
    pb_outfile o;
    int st = pb_out_open(&o, path);
    if (st) return st;
    FILE *f = o.f;
    fprintf(f, "# prunebench removal order (least relevant first)\n");
    fprintf(f, "# method: %s\n", meta->method);
    fprintf(f, "# method_settings: %s\n", meta->settings && *meta->settings ? meta->settings : "default");
    if (meta->options) fprintf(f, "# options: %s\n", meta->options);
    if (meta->plugin) fprintf(f, "# plugin: %s\n", meta->plugin);
    if (meta->plugin_abi) fprintf(f, "# plugin_abi: %s\n", meta->plugin_abi);
    if (meta->plugin_hash) fprintf(f, "# plugin_hash: %s\n", meta->plugin_hash);
    if (meta->plugin_sha256) fprintf(f, "# plugin_sha256: %s\n", meta->plugin_sha256);
    fprintf(f, "# fit: %s\n", meta->fit_path);
    if (meta->fit_sha256) fprintf(f, "# fit_sha256: %s\n", meta->fit_sha256);
    fprintf(f, "# model: %s\n", m->spec);
    fprintf(f, "# repeat: %u\n", meta->repeat);
    fprintf(f, "# seed: %" PRIu64 "\n", meta->seed);
    fprintf(f, "# prunable: %s\n", meta->prunable);
    fprintf(f, "# n_params: %zu\n# n_prunable: %zu\n", m->n_params, n_prunable);
    pb_write_provenance(f);
    fprintf(f, "rank\tindex\ttensor\tscore\n");
    for (size_t k = 0; k < n_prunable; k++) {
        double s = score[order[k]];
        if (isnan(s)) fprintf(f, "%zu\t%zu\t%s\tNA\n", k, order[k], pb_model_tensor_of(m, order[k]));
        else fprintf(f, "%zu\t%zu\t%s\t%.17g\n", k, order[k], pb_model_tensor_of(m, order[k]), s);
    }
    return pb_out_commit(&o);
}

/* Both readers: the index column always, the score column (4th; "NA" -> NaN)
 * when score is not NULL. */
static int order_read(const char *path, size_t n_params, size_t **order, double **score, size_t *n_order,
                      char *method, size_t method_len)
{
    *order = NULL;
    *n_order = 0;
    if (score) *score = NULL;
    if (method && method_len) method[0] = '\0';
    FILE *f = pb_fopen_read(path, "r");
    if (!f) return pb_error(PB_ERR_IO, "%s: cannot open order file: %s", path, pb_open_strerror(errno));
    char *line = NULL;
    size_t cap = 0, lineno = 0, n = 0;
    int st = PB_OK, header_seen = 0;
    size_t *ord = pb_calloc(n_params, sizeof *ord);
    unsigned char *seen = pb_calloc(n_params, 1);
    double *sc = score ? pb_calloc(n_params, sizeof *sc) : NULL;
    if (!ord || !seen || (score && !sc)) { st = PB_ERR_NOMEM; goto done; }
    while (getline(&line, &cap, f) >= 0) {
        lineno++;
        line[strcspn(line, "\r\n")] = '\0';
        if (line[0] == '#') {
            if (method && !strncmp(line, "# method: ", 10)) snprintf(method, method_len, "%s", line + 10);
            continue;
        }
        if (!header_seen) {
            if (strncmp(line, "rank\tindex", 10) != 0) {
                st = pb_error(PB_ERR_FORMAT, "%s:%zu: expected the column header 'rank<TAB>index...'", path, lineno);
                goto done;
            }
            header_seen = 1;
            continue;
        }
        if (!line[0]) continue;
        char *tab = strchr(line, '\t'), *end;
        if (!tab) { st = pb_error(PB_ERR_FORMAT, "%s:%zu:2: missing index column", path, lineno); goto done; }
        errno = 0;
        unsigned long long j = strtoull(tab + 1, &end, 10);
        if (end == tab + 1 || (*end && *end != '\t') || errno) {
            st = pb_error(PB_ERR_FORMAT, "%s:%zu:2: expected a parameter index", path, lineno);
            goto done;
        }
        if (j >= n_params || seen[j]++) {
            st = pb_error(PB_ERR_FORMAT, "%s:%zu:2: index %llu is out of range or repeated (model has %zu parameters)",
                          path, lineno, j, n_params);
            goto done;
        }
        if (sc) {
            /* rank, index, tensor, score */
            char *t = *end ? strchr(end + 1, '\t') : NULL, *send;
            if (!t) {
                st = pb_error(PB_ERR_FORMAT, "%s:%zu:4: missing score column", path, lineno);
                goto done;
            }
            t++;
            if (!strcmp(t, "NA")) {
                sc[n] = NAN;
            } else {
                sc[n] = strtod(t, &send);
                if (send == t || (*send && *send != '\t')) {
                    st = pb_error(PB_ERR_FORMAT, "%s:%zu:4: expected a score or NA", path, lineno);
                    goto done;
                }
                /* an overflow (1e999 reads as inf), inf or nan: not a score (a missing one is NA) */
                if (!isfinite(sc[n])) {
                    st = pb_error(PB_ERR_FORMAT, "%s:%zu:4: score '%.40s' is not a finite number", path, lineno, t);
                    goto done;
                }
            }
        }
        ord[n++] = (size_t)j;
    }
    if (!header_seen) st = pb_error(PB_ERR_FORMAT, "%s: no column header; not an order file", path);
done:
    free(line);
    free(seen);
    fclose(f);
    if (st) {
        free(ord);
        free(sc);
    } else {
        *order = ord, *n_order = n;
        if (score) *score = sc;
    }
    return st;
}

int pb_order_read(const char *path, size_t n_params, size_t **order, size_t *n_order, char *method,
                  size_t method_len)
{
    return order_read(path, n_params, order, NULL, n_order, method, method_len);
}

int pb_order_read_scores(const char *path, size_t n_params, size_t **order, double **score, size_t *n_order,
                         char *method, size_t method_len)
{
    return order_read(path, n_params, order, score, n_order, method, method_len);
}

/* The value of a '# key: ' header line into out (cap len), if line is one. */
static int header_value(const char *line, const char *key, char *out, size_t len)
{
    size_t kl = strlen(key);
    if (strncmp(line, "# ", 2) || strncmp(line + 2, key, kl) || strncmp(line + 2 + kl, ": ", 2)) return 0;
    snprintf(out, len, "%s", line + 4 + kl);
    return 1;
}

int pb_order_check_fit(const char *path, const char *fit_path, const pb_model *m)
{
    FILE *f = pb_fopen_read(path, "r");
    if (!f) return pb_error(PB_ERR_IO, "%s: cannot open order file: %s", path, pb_open_strerror(errno));
    char *line = NULL, model[1024] = "", np[64] = "", prunable[64] = "", sha[128] = "";
    size_t cap = 0, rows = 0, lineno = 0, bad_header = 0;
    int header_seen = 0;
    while (!bad_header && getline(&line, &cap, f) >= 0) {
        lineno++;
        line[strcspn(line, "\r\n")] = '\0';
        if (line[0] == '#') {
            if (!header_value(line, "model", model, sizeof model) && !header_value(line, "n_params", np, sizeof np) &&
                !header_value(line, "prunable", prunable, sizeof prunable))
                header_value(line, "fit_sha256", sha, sizeof sha);
        } else if (!header_seen) {
            header_seen = 1;
            if (strncmp(line, "rank\tindex", 10) != 0) bad_header = lineno;
        } else if (line[0]) {
            rows++;
        }
    }
    int rerr = ferror(f);
    free(line);
    fclose(f);
    if (rerr) return pb_error(PB_ERR_IO, "%s: read error", path);
    if (bad_header || !header_seen)
        return pb_error(PB_ERR_FORMAT, "%s:%zu: expected the column header 'rank<TAB>index...'", path,
                        bad_header ? bad_header : lineno);
    if (model[0] && strcmp(model, m->spec))
        return pb_error(PB_ERR_FORMAT, "%s: an order of model %s; the fit %s is model %s: rank this fit", path, model,
                        fit_path, m->spec);
    char want[64];
    snprintf(want, sizeof want, "%zu", m->n_params);
    if (!np[0] || strcmp(np, want))
        return pb_error(PB_ERR_FORMAT, "%s: an order of %s parameters; the fit %s has %zu: rank this fit", path,
                        np[0] ? np : "an unknown number of", fit_path, m->n_params);
    if (strcmp(prunable, "weights") && strcmp(prunable, "all"))
        return pb_error(PB_ERR_FORMAT, "%s: no '# prunable: weights|all' line; not an order file of rank", path);
    unsigned char *mask = pb_calloc(m->n_params, 1);
    if (!mask) return PB_ERR_NOMEM;
    size_t n_prunable = pb_model_prunable(m, !strcmp(prunable, "all"), mask);
    free(mask);
    if (rows != n_prunable)
        return pb_error(PB_ERR_FORMAT, "%s: %zu rows; the %zu prunable parameters (%s) of the fit %s need as many "
                        "(a truncated order?)", path, rows, n_prunable, prunable, fit_path);
    if (sha[0]) {
        char hex[65];
        int st = pb_sha256_file(fit_path, hex);
        if (st) return st;
        if (strcmp(sha, hex))
            return pb_error(PB_ERR_FORMAT, "%s: ranked another fit than %s (fit_sha256 %.12s..., the fit is "
                            "%.12s...): rank this fit", path, fit_path, sha, hex);
    }
    return PB_OK;
}
