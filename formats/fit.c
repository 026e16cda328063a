/* fit.c -- see fit.h. */
#include "formats/fit.h"
#include "base/binfile.h"
#include "base/util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const unsigned char MAGIC[8] = {'P', 'B', 'F', 'I', 'T', '\r', '\n', 032};

int pb_fit_check_size(size_t n_params, const char *spec)
{
    if (n_params > PB_FIT_MAX_PARAMS)
        return pb_error(PB_ERR_ARG, "model %s has %zu parameters: more than the %zu (2^31) a fit holds", spec, n_params,
                        PB_FIT_MAX_PARAMS);
    uint64_t avail = pb_mem_available();
    double need = (double)n_params * (double)PB_FIT_TRAIN_BYTES_PER_PARAM;
    if (avail && need > (double)avail)
        return pb_error(PB_ERR_NOMEM, "model %s has %zu parameters: training needs at least %.3g GB (%zu bytes per "
                        "parameter), more than the %.3g GB of memory available", spec, n_params, need / 1e9,
                        (size_t)PB_FIT_TRAIN_BYTES_PER_PARAM, (double)avail / 1e9);
    return PB_OK;
}

int pb_fit_alloc(pb_fit *fit, size_t n)
{
    memset(fit, 0, sizeof *fit);
    if (n > PB_FIT_MAX_PARAMS)
        return pb_error(PB_ERR_ARG, "a fit of %zu parameters: more than the %zu (2^31) a fit holds", n,
                        PB_FIT_MAX_PARAMS);
    fit->n = n;
    fit->mean = pb_calloc(n, sizeof *fit->mean);
    fit->sd = pb_calloc(n, sizeof *fit->sd);
    if (!fit->mean || !fit->sd) {
        pb_fit_free(fit);
        return PB_ERR_NOMEM;
    }
    return PB_OK;
}

void pb_fit_free(pb_fit *fit)
{
    if (!fit) return;
    free(fit->mean);
    free(fit->sd);
    free(fit->group_mean);
    free(fit->group_sd);
    free(fit->init);
    fit->mean = fit->sd = fit->group_mean = fit->group_sd = fit->init = NULL;
    fit->n_groups = 0;
}

int pb_setting(const char *settings, const char *key, char *out, size_t cap)
{
    size_t kl = strlen(key);
    out[0] = '\0';
    for (const char *p = settings; p && *p; p = strchr(p, ' ')) {
        while (*p == ' ') p++;
        if (!strncmp(p, key, kl) && p[kl] == '=') {
            p += kl + 1;
            snprintf(out, cap, "%.*s", (int)strcspn(p, " "), p);
            return 1;
        }
    }
    return 0;
}

double pb_setting_num(const char *settings, const char *key, double dflt)
{
    char v[64], *end;
    if (!pb_setting(settings, key, v, sizeof v)) return dflt;
    double x = strtod(v, &end);
    return end != v && !*end ? x : dflt;
}

int pb_fit_alloc_groups(pb_fit *fit, size_t n_groups)
{
    free(fit->group_mean);
    free(fit->group_sd);
    fit->n_groups = n_groups;
    fit->group_mean = n_groups ? pb_calloc(n_groups, sizeof *fit->group_mean) : NULL;
    fit->group_sd = n_groups ? pb_calloc(n_groups, sizeof *fit->group_sd) : NULL;
    if (n_groups && (!fit->group_mean || !fit->group_sd)) {
        free(fit->group_mean);
        free(fit->group_sd);
        fit->group_mean = fit->group_sd = NULL;
        fit->n_groups = 0;
        return PB_ERR_NOMEM;
    }
    return PB_OK;
}

int pb_fit_alloc_init(pb_fit *fit)
{
    free(fit->init);
    fit->init = pb_calloc(fit->n ? fit->n : 1, sizeof *fit->init);
    return fit->init ? PB_OK : PB_ERR_NOMEM;
}

int pb_fit_save(const pb_fit *fit, const char *path)
{
    pb_buf pl = {0};
    pb_buf_str(&pl, fit->model);
    pb_buf_str(&pl, fit->dataset);
    pb_buf_str(&pl, fit->family);
    pb_buf_u32(&pl, fit->repeat);
    pb_buf_u64(&pl, fit->data_seed);
    pb_buf_u64(&pl, fit->init_seed);
    pb_buf_f64(&pl, fit->test_fraction);
    pb_buf_u32(&pl, (uint32_t)fit->standardize_y);
    pb_buf_u64(&pl, fit->n);
    pb_buf_f64(&pl, fit->prior_mean);
    pb_buf_f64(&pl, fit->prior_sd);
    pb_buf_f64(&pl, fit->noise_precision);
    pb_buf_f64(&pl, fit->final_objective);
    pb_buf_str(&pl, fit->settings);
    pb_buf_u64(&pl, fit->n_groups);
    if (fit->init) pb_buf_u64(&pl, fit->n);  /* version 4 only: version 3 bytes are unchanged */
    pb_buf_put(&pl, fit->mean, fit->n * sizeof *fit->mean);
    pb_buf_put(&pl, fit->sd, fit->n * sizeof *fit->sd);
    if (fit->n_groups) {
        pb_buf_put(&pl, fit->group_mean, fit->n_groups * sizeof *fit->group_mean);
        pb_buf_put(&pl, fit->group_sd, fit->n_groups * sizeof *fit->group_sd);
    }
    if (fit->init) pb_buf_put(&pl, fit->init, fit->n * sizeof *fit->init);
    int st = pb_binfile_write(path, MAGIC, fit->init ? PB_FIT_VERSION : PB_FIT_VERSION_NO_INIT, "fit file", &pl);
    free(pl.p);
    return st;
}

/* The first entry of v[0..n) that is not finite or (nonneg) negative, or n. */
static size_t first_bad(const double *v, size_t n, int nonneg)
{
    for (size_t j = 0; j < n; j++)
        if (!isfinite(v[j]) || (nonneg && v[j] < 0)) return j;
    return n;
}

/* What a well-formed file can still get wrong: values (fit.h). The dataset
 * is checked where it is opened (host/cell.h: known, and read by the model). */
static int fit_check(const char *path, const pb_fit *fit)
{
    if (!(fit->test_fraction > 0 && fit->test_fraction < 1))
        return pb_error(PB_ERR_FORMAT, "%s: test fraction %g is not in (0,1)", path, fit->test_fraction);
    if (!isfinite(fit->prior_mean) || !(fit->prior_sd >= 0 && isfinite(fit->prior_sd)) ||
        !(fit->noise_precision >= 0 && isfinite(fit->noise_precision)))
        return pb_error(PB_ERR_FORMAT, "%s: prior mean %g, prior sd %g, noise precision %g: each must be finite, the "
                        "last two non-negative", path, fit->prior_mean, fit->prior_sd, fit->noise_precision);
    struct { const char *name; const double *v; size_t n; int nonneg; } arr[] = {
        {"mean", fit->mean, fit->n, 0}, {"sd", fit->sd, fit->n, 1},
        {"group mean", fit->group_mean, fit->n_groups, 0}, {"group sd", fit->group_sd, fit->n_groups, 1},
        {"initial value", fit->init, fit->init ? fit->n : 0, 0}};
    for (size_t a = 0; a < sizeof arr / sizeof *arr; a++) {
        size_t j = first_bad(arr[a].v, arr[a].n, arr[a].nonneg);
        if (j < arr[a].n)
            return pb_error(PB_ERR_FORMAT, "%s: %s of parameter %zu is %g (must be finite%s)", path, arr[a].name, j,
                            arr[a].v[j], arr[a].nonneg ? " and non-negative" : "");
    }
    return PB_OK;
}

int pb_fit_load(const char *path, pb_fit *fit)
{
    memset(fit, 0, sizeof *fit);
    unsigned char *data;
    pb_reader r;
    uint32_t version;
    int st = pb_binfile_read_versions(path, MAGIC, 2, PB_FIT_VERSION, "fit file", &data, &r, &version);
    if (st) return st;
    pb_reader_str(&r, fit->model, sizeof fit->model);
    pb_reader_str(&r, fit->dataset, sizeof fit->dataset);
    pb_reader_str(&r, fit->family, sizeof fit->family);
    fit->repeat = pb_reader_u32(&r);
    fit->data_seed = pb_reader_u64(&r);
    fit->init_seed = pb_reader_u64(&r);
    fit->test_fraction = pb_reader_f64(&r);
    fit->standardize_y = (int)pb_reader_u32(&r);
    uint64_t n = pb_reader_u64(&r);
    fit->prior_mean = pb_reader_f64(&r);
    fit->prior_sd = pb_reader_f64(&r);
    fit->noise_precision = pb_reader_f64(&r);
    fit->final_objective = pb_reader_f64(&r);
    pb_reader_str(&r, fit->settings, sizeof fit->settings);
    uint64_t ng = version >= 3 ? pb_reader_u64(&r) : 0;  /* version 2: no group variables */
    uint64_t ni = version >= 4 ? pb_reader_u64(&r) : 0;  /* version 3: no initial weights */
    size_t rest = r.len - r.pos;
    if (r.bad || n == 0 || n > PB_FIT_MAX_PARAMS || ng > n || (ni != 0 && ni != n) || rest % 8 != 0 ||
        rest / 8 != 2 * (n + ng) + ni) {
        st = pb_error(PB_ERR_FORMAT, "%s: fit file payload is inconsistent", path);
        goto done;
    }
    fit->n = (size_t)n;
    fit->mean = pb_calloc(fit->n, sizeof *fit->mean);
    fit->sd = pb_calloc(fit->n, sizeof *fit->sd);
    if (!fit->mean || !fit->sd) { st = PB_ERR_NOMEM; goto done; }
    pb_reader_get(&r, fit->mean, fit->n * sizeof *fit->mean);
    pb_reader_get(&r, fit->sd, fit->n * sizeof *fit->sd);
    if (ng) {
        if ((st = pb_fit_alloc_groups(fit, (size_t)ng))) goto done;
        pb_reader_get(&r, fit->group_mean, fit->n_groups * sizeof *fit->group_mean);
        pb_reader_get(&r, fit->group_sd, fit->n_groups * sizeof *fit->group_sd);
    }
    if (ni) {
        if ((st = pb_fit_alloc_init(fit))) goto done;
        pb_reader_get(&r, fit->init, fit->n * sizeof *fit->init);
    }
    if (!st) st = fit_check(path, fit);
done:
    free(data);
    if (st) pb_fit_free(fit);
    return st;
}
