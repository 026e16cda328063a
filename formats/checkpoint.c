/* checkpoint.c -- see checkpoint.h. */
#define _POSIX_C_SOURCE 200809L
#include "formats/checkpoint.h"
#include "base/binfile.h"
#include "base/util.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const unsigned char MAGIC[8] = {'P', 'B', 'C', 'K', 'P', 'T', '\r', '\n'};
enum { VERSION = 2, OLDEST = 1 };

uint64_t pb_ckpt_hash(const double *x, size_t n)
{
    return x ? pb_fnv1a(PB_FNV_OFFSET, x, n * sizeof *x) : 0;
}

int pb_ckpt_save(const char *path, const pb_ckpt *c)
{
    pb_buf b = {0};
    pb_buf_str(&b, c->key);
    pb_buf_u64(&b, c->epoch);
    pb_buf_u64(&b, c->next);
    pb_buf_u64(&b, c->step);
    pb_buf_u32(&b, (uint32_t)c->n_scalars);
    for (size_t i = 0; i < c->n_scalars; i++) {
        pb_buf_str(&b, c->scalar[i].name);
        pb_buf_f64(&b, *c->scalar[i].value);
    }
    pb_buf_u32(&b, (uint32_t)c->n_vectors);
    for (size_t v = 0; v < c->n_vectors; v++) {
        pb_buf_str(&b, c->vector[v].name);
        pb_buf_u64(&b, c->vector[v].len);
        pb_buf_put(&b, c->vector[v].data, c->vector[v].len * sizeof(double));
    }
    pb_buf_u64(&b, c->n_perm);
    for (size_t i = 0; i < c->n_perm; i++) pb_buf_u64(&b, c->perm[i]);
    pb_buf_str(&b, gsl_rng_name(c->rng));
    pb_buf_u64(&b, gsl_rng_size(c->rng));
    pb_buf_put(&b, gsl_rng_state(c->rng), gsl_rng_size(c->rng));
    int st = b.oom ? pb_error(PB_ERR_NOMEM, "checkpoint %s: out of memory", path)
                   : pb_binfile_write(path, MAGIC, VERSION, "checkpoint", &b);
    free(b.p);
    return st;
}

/* The one-line notice that the checkpoint is another run's; returns 0 (not the same run). */
static int other_run(const char *path, const char *fmt, ...)
{
    char why[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
    fprintf(stderr, "prunebench: checkpoint %s %s: starting over, it will be replaced\n", path, why);
    return 0;
}

/* 1 when r's next length record is want; says what differs otherwise. */
static int shape_ok(pb_reader *r, size_t want, const char *what, const char *path)
{
    uint64_t len = pb_reader_u64(r);
    if (r->bad || len == want) return 1;
    return other_run(path, "has %llu %s, this run %zu", (unsigned long long)len, what, want);
}

/* Read the named scalars into value[] (in c's order). 1 when the names are
 * exactly c's (any order); 0 after a notice otherwise. */
static int read_scalars(pb_reader *r, const pb_ckpt *c, double *value, const char *path)
{
    uint32_t ns = pb_reader_u32(r);
    if (r->bad) return 1;
    if (ns != c->n_scalars) return other_run(path, "carries %u values, this run %zu", ns, c->n_scalars);
    unsigned char seen[PB_CKPT_MAX_SCALARS] = {0};
    for (uint32_t i = 0; i < ns && !r->bad; i++) {
        char name[PB_CKPT_NAME_MAX];
        pb_reader_str(r, name, sizeof name);
        double v = pb_reader_f64(r);
        if (r->bad) break;
        size_t k = 0;
        while (k < c->n_scalars && strcmp(c->scalar[k].name, name)) k++;
        if (k == c->n_scalars || seen[k]) return other_run(path, "carries a value '%s' this run does not", name);
        seen[k] = 1;
        value[k] = v;
    }
    return 1;
}

int pb_ckpt_load(const char *path, pb_ckpt *c, int *found)
{
    *found = 0;
    if (access(path, F_OK) != 0) {
        if (errno == ENOENT) return PB_OK;
        return pb_error(PB_ERR_IO, "checkpoint %s: %s", path, strerror(errno));
    }
    unsigned char *data = NULL;
    pb_reader r;
    uint32_t version = 0;
    int st = pb_binfile_read_versions(path, MAGIC, OLDEST, VERSION, "checkpoint", &data, &r, &version);
    if (st) {
        char why[512];
        snprintf(why, sizeof why, "%s", pb_last_error());
        return pb_error(st, "%s (remove it to start the run over)", why);
    }
    if (version < VERSION) {
        free(data);
        return pb_error(PB_ERR_FORMAT, "checkpoint %s: format version %u, written by an older prunebench (this build "
                        "reads version %d): remove it to start the run over", path, version, VERSION);
    }
    char key[sizeof c->key];
    pb_reader_str(&r, key, sizeof key);
    if (!r.bad && strcmp(key, c->key)) {
        other_run(path, "belongs to another run (other settings or data)");
        free(data);
        return PB_OK;
    }
    uint64_t epoch = pb_reader_u64(&r), next = pb_reader_u64(&r), step = pb_reader_u64(&r);
    double scalar[PB_CKPT_MAX_SCALARS];
    int same = read_scalars(&r, c, scalar, path);
    uint32_t nv = same ? pb_reader_u32(&r) : 0;
    if (same && !r.bad && nv != c->n_vectors)
        same = other_run(path, "carries %u vectors, this run %zu", nv, c->n_vectors);
    /* read into the caller's buffers only once everything has been checked: read twice */
    size_t vec_pos = r.pos;
    for (size_t v = 0; same && !r.bad && v < c->n_vectors; v++) {
        char name[PB_CKPT_NAME_MAX];
        pb_reader_str(&r, name, sizeof name);
        if (!r.bad && strcmp(name, c->vector[v].name))
            same = other_run(path, "has vector '%s' where this run has '%s'", name, c->vector[v].name);
        if (same) same = shape_ok(&r, c->vector[v].len, c->vector[v].name, path);
        r.pos += c->vector[v].len * sizeof(double);
        if (r.pos > r.len) r.bad = 1;
    }
    if (same) same = shape_ok(&r, c->n_perm, "samples", path);
    size_t perm_pos = r.pos;
    if (same) {
        r.pos += c->n_perm * sizeof(uint64_t);
        if (r.pos > r.len) r.bad = 1;
    }
    char rng_name[64] = "";
    if (same) pb_reader_str(&r, rng_name, sizeof rng_name);
    if (same && !r.bad && strcmp(rng_name, gsl_rng_name(c->rng)))
        same = other_run(path, "uses generator %s, this run %s", rng_name, gsl_rng_name(c->rng));
    if (same) same = shape_ok(&r, gsl_rng_size(c->rng), "generator state bytes", path);
    size_t rng_pos = r.pos;
    if (same) {
        r.pos += gsl_rng_size(c->rng);
        if (r.pos != r.len) r.bad = 1;
    }
    if (r.bad || (same && (epoch == 0 || next > c->n_perm))) {
        free(data);
        return pb_error(PB_ERR_FORMAT, "checkpoint %s: payload does not parse (remove it to start the run over)", path);
    }
    if (!same) {
        free(data);
        return PB_OK;
    }
    if (c->last_epoch && epoch > c->last_epoch) {
        free(data);
        return pb_error(PB_ERR_FORMAT, "checkpoint %s: at epoch %llu, past the run's last epoch %llu (remove it to "
                        "start the run over)", path, (unsigned long long)epoch, (unsigned long long)c->last_epoch);
    }
    c->epoch = epoch, c->next = next, c->step = step;
    for (size_t i = 0; i < c->n_scalars; i++) *c->scalar[i].value = scalar[i];
    r.pos = vec_pos;
    for (size_t v = 0; v < c->n_vectors; v++) {
        char name[PB_CKPT_NAME_MAX];
        pb_reader_str(&r, name, sizeof name);
        pb_reader_u64(&r);
        pb_reader_get(&r, c->vector[v].data, c->vector[v].len * sizeof(double));
    }
    r.pos = perm_pos;
    for (size_t i = 0; i < c->n_perm; i++) {
        uint64_t p = pb_reader_u64(&r);
        if (p >= c->n_perm) r.bad = 1;
        c->perm[i] = (size_t)p;
    }
    r.pos = rng_pos;
    pb_reader_get(&r, gsl_rng_state(c->rng), gsl_rng_size(c->rng));
    free(data);
    if (r.bad) return pb_error(PB_ERR_FORMAT, "checkpoint %s: sample order out of range (remove it to start over)", path);
    *found = 1;
    return PB_OK;
}
