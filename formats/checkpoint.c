/* checkpoint.c -- see checkpoint.h. */
#define _POSIX_C_SOURCE 200809L
#include "formats/checkpoint.h"
#include "base/binfile.h"
#include "base/util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const unsigned char MAGIC[8] = {'P', 'B', 'C', 'K', 'P', 'T', '\r', '\n'};
enum { VERSION = 1 };

uint64_t pb_ckpt_hash(const double *x, size_t n)
{
    return x ? pb_fnv1a(PB_FNV_OFFSET, x, n * sizeof *x) : 0;
}

/* Payload: key, epoch, next, step, scalars, vectors (length, values), perm
 * (length, values as u64), generator (type name, state bytes). */
int pb_ckpt_save(const char *path, const pb_ckpt *c)
{
    pb_buf b = {0};
    pb_buf_str(&b, c->key);
    pb_buf_u64(&b, c->epoch);
    pb_buf_u64(&b, c->next);
    pb_buf_u64(&b, c->step);
    pb_buf_u32(&b, (uint32_t)c->n_scalars);
    for (size_t i = 0; i < c->n_scalars; i++) pb_buf_f64(&b, c->scalar[i]);
    pb_buf_u32(&b, (uint32_t)c->n_vectors);
    for (size_t v = 0; v < c->n_vectors; v++) {
        pb_buf_u64(&b, c->vector_len[v]);
        pb_buf_put(&b, c->vector[v], c->vector_len[v] * sizeof(double));
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

/* 0 when r's next vector-like record has length want; says what differs otherwise. */
static int shape_ok(pb_reader *r, size_t want, const char *what, const char *path)
{
    uint64_t len = pb_reader_u64(r);
    if (r->bad || len == want) return 1;
    fprintf(stderr, "prunebench: checkpoint %s has %llu %s, this run %zu: starting over, it will be replaced\n", path,
            (unsigned long long)len, what, want);
    return 0;
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
    int st = pb_binfile_read(path, MAGIC, VERSION, "checkpoint", &data, &r);
    if (st) {
        char why[512];
        snprintf(why, sizeof why, "%s", pb_last_error());
        return pb_error(st, "%s (remove it to start the run over)", why);
    }
    char key[sizeof c->key];
    pb_reader_str(&r, key, sizeof key);
    if (!r.bad && strcmp(key, c->key)) {
        fprintf(stderr, "prunebench: checkpoint %s belongs to another run (other settings or data): starting over, it "
                        "will be replaced\n", path);
        free(data);
        return PB_OK;
    }
    uint64_t epoch = pb_reader_u64(&r), next = pb_reader_u64(&r), step = pb_reader_u64(&r);
    int same = 1;
    uint32_t ns = pb_reader_u32(&r);
    if (!r.bad && ns != c->n_scalars) same = 0;
    double scalar[PB_CKPT_MAX_SCALARS];
    for (size_t i = 0; same && i < c->n_scalars; i++) scalar[i] = pb_reader_f64(&r);
    if (same && pb_reader_u32(&r) != c->n_vectors && !r.bad) same = 0;
    /* read into the caller's buffers only once everything has been checked: read twice */
    size_t vec_pos = r.pos;
    for (size_t v = 0; same && v < c->n_vectors; v++) {
        same = shape_ok(&r, c->vector_len[v], "optimizer values", path);
        r.pos += c->vector_len[v] * sizeof(double);
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
    if (same && !r.bad && strcmp(rng_name, gsl_rng_name(c->rng))) {
        fprintf(stderr, "prunebench: checkpoint %s uses generator %s, this run %s: starting over, it will be replaced\n",
                path, rng_name, gsl_rng_name(c->rng));
        same = 0;
    }
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
    c->epoch = epoch, c->next = next, c->step = step;
    memcpy(c->scalar, scalar, c->n_scalars * sizeof *scalar);
    r.pos = vec_pos;
    for (size_t v = 0; v < c->n_vectors; v++) {
        pb_reader_u64(&r);
        pb_reader_get(&r, c->vector[v], c->vector_len[v] * sizeof(double));
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
