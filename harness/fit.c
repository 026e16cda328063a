/* fit.c -- see fit.h. */
#include "fit.h"
#include "util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const unsigned char MAGIC[8] = {'P', 'B', 'F', 'I', 'T', '\r', '\n', 032};
#define ORDER_MARK 0x01020304u

int pb_fit_alloc(pb_fit *fit, size_t n)
{
    memset(fit, 0, sizeof *fit);
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
    fit->mean = fit->sd = NULL;
}

/* Growable byte buffer for serialization. */
typedef struct buf { unsigned char *p; size_t len, cap; int oom; } buf;

static void put(buf *b, const void *data, size_t len)
{
    if (b->oom) return;
    if (b->len + len > b->cap) {
        size_t cap = b->cap ? b->cap : 1024;
        while (cap < b->len + len) cap *= 2;
        unsigned char *np = realloc(b->p, cap);
        if (!np) { b->oom = 1; return; }
        b->p = np, b->cap = cap;
    }
    memcpy(b->p + b->len, data, len);
    b->len += len;
}
static void put_u32(buf *b, uint32_t v) { put(b, &v, sizeof v); }
static void put_u64(buf *b, uint64_t v) { put(b, &v, sizeof v); }
static void put_f64(buf *b, double v) { put(b, &v, sizeof v); }
static void put_str(buf *b, const char *s) { uint32_t n = (uint32_t)strlen(s); put_u32(b, n); put(b, s, n); }

int pb_fit_save(const pb_fit *fit, const char *path)
{
    buf pl = {0}, all = {0};
    put_str(&pl, fit->model);
    put_str(&pl, fit->dataset);
    put_str(&pl, fit->family);
    put_u32(&pl, fit->repeat);
    put_u64(&pl, fit->data_seed);
    put_u64(&pl, fit->init_seed);
    put_f64(&pl, fit->test_fraction);
    put_u32(&pl, (uint32_t)fit->standardize_y);
    put_u64(&pl, fit->n);
    put_f64(&pl, fit->prior_mean);
    put_f64(&pl, fit->prior_sd);
    put_f64(&pl, fit->noise_precision);
    put_f64(&pl, fit->final_objective);
    put_str(&pl, fit->settings);
    put(&pl, fit->mean, fit->n * sizeof *fit->mean);
    put(&pl, fit->sd, fit->n * sizeof *fit->sd);
    put(&all, MAGIC, sizeof MAGIC);
    put_u32(&all, PB_FIT_VERSION);
    put_u32(&all, ORDER_MARK);
    put_u64(&all, pl.len);
    put(&all, pl.p, pl.len);
    put_u64(&all, all.oom ? 0 : pb_fnv1a(PB_FNV_OFFSET, all.p, all.len));
    free(pl.p);
    if (pl.oom || all.oom) { free(all.p); return pb_error(PB_ERR_NOMEM, "out of memory writing %s", path); }
    pb_outfile o;
    int st = pb_out_open(&o, path);
    if (!st) {
        if (fwrite(all.p, 1, all.len, o.f) != all.len) {
            pb_out_abort(&o);
            st = pb_error(PB_ERR_IO, "cannot write %s: %s", path, strerror(errno));
        } else {
            st = pb_out_commit(&o);
        }
    }
    free(all.p);
    return st;
}

/* Reader over a byte range; a short read marks the reader bad. */
typedef struct reader { const unsigned char *p; size_t len, pos; int bad; } reader;

static void get(reader *r, void *out, size_t len)
{
    if (r->bad || len > r->len - r->pos) { r->bad = 1; memset(out, 0, len); return; }
    memcpy(out, r->p + r->pos, len);
    r->pos += len;
}
static uint32_t get_u32(reader *r) { uint32_t v; get(r, &v, sizeof v); return v; }
static uint64_t get_u64(reader *r) { uint64_t v; get(r, &v, sizeof v); return v; }
static double get_f64(reader *r) { double v; get(r, &v, sizeof v); return v; }
static void get_str(reader *r, char *out, size_t cap)
{
    uint32_t n = get_u32(r);
    if (r->bad || n >= cap) { r->bad = 1; out[0] = '\0'; return; }
    get(r, out, n);
    out[n] = '\0';
}

int pb_fit_load(const char *path, pb_fit *fit)
{
    memset(fit, 0, sizeof *fit);
    FILE *f = fopen(path, "rb");
    if (!f) return pb_error(PB_ERR_IO, "%s: cannot open fit file: %s", path, strerror(errno));
    unsigned char *data = NULL;
    size_t len = 0, cap = 0;
    for (;;) {
        if (len == cap) {
            cap = cap ? 2 * cap : 65536;
            unsigned char *nd = realloc(data, cap);
            if (!nd) { free(data); fclose(f); return pb_error(PB_ERR_NOMEM, "out of memory reading %s", path); }
            data = nd;
        }
        size_t got = fread(data + len, 1, cap - len, f);
        len += got;
        if (got == 0) break;
    }
    int ioerr = ferror(f);
    fclose(f);
    int st = PB_OK;
    if (ioerr) { st = pb_error(PB_ERR_IO, "%s: read error", path); goto done; }
    size_t head = sizeof MAGIC + 4 + 4 + 8;
    if (len < sizeof MAGIC || memcmp(data, MAGIC, sizeof MAGIC) != 0) {
        st = pb_error(PB_ERR_FORMAT, "%s: not a prunebench fit file (bad magic number)", path);
        goto done;
    }
    if (len < head + 8) { st = pb_error(PB_ERR_FORMAT, "%s: truncated fit file (%zu bytes)", path, len); goto done; }
    reader r = {data, len, sizeof MAGIC, 0};
    uint32_t version = get_u32(&r), mark = get_u32(&r);
    uint64_t plen = get_u64(&r);
    if (mark != ORDER_MARK) {
        st = pb_error(PB_ERR_FORMAT, "%s: fit file written on a machine of another byte order", path);
        goto done;
    }
    if (version != PB_FIT_VERSION) {
        st = pb_error(PB_ERR_FORMAT, "%s: fit file version %u, this build reads version %u", path, version, PB_FIT_VERSION);
        goto done;
    }
    if (plen != len - head - 8) {
        st = pb_error(PB_ERR_FORMAT, "%s: truncated or padded fit file (payload %llu bytes, file holds %zu)", path,
                      (unsigned long long)plen, len - head - 8 > len ? 0 : len - head - 8);
        goto done;
    }
    uint64_t sum;
    memcpy(&sum, data + len - 8, 8);
    if (sum != pb_fnv1a(PB_FNV_OFFSET, data, len - 8)) {
        st = pb_error(PB_ERR_FORMAT, "%s: fit file is corrupt (checksum mismatch)", path);
        goto done;
    }
    r.len = len - 8;
    get_str(&r, fit->model, sizeof fit->model);
    get_str(&r, fit->dataset, sizeof fit->dataset);
    get_str(&r, fit->family, sizeof fit->family);
    fit->repeat = get_u32(&r);
    fit->data_seed = get_u64(&r);
    fit->init_seed = get_u64(&r);
    fit->test_fraction = get_f64(&r);
    fit->standardize_y = (int)get_u32(&r);
    uint64_t n = get_u64(&r);
    fit->prior_mean = get_f64(&r);
    fit->prior_sd = get_f64(&r);
    fit->noise_precision = get_f64(&r);
    fit->final_objective = get_f64(&r);
    get_str(&r, fit->settings, sizeof fit->settings);
    if (r.bad || n == 0 || n > (r.len - r.pos) / 16 || (r.len - r.pos) != n * 16) {
        st = pb_error(PB_ERR_FORMAT, "%s: fit file payload is inconsistent", path);
        goto done;
    }
    fit->n = (size_t)n;
    fit->mean = pb_calloc(fit->n, sizeof *fit->mean);
    fit->sd = pb_calloc(fit->n, sizeof *fit->sd);
    if (!fit->mean || !fit->sd) { st = PB_ERR_NOMEM; goto done; }
    get(&r, fit->mean, fit->n * sizeof *fit->mean);
    get(&r, fit->sd, fit->n * sizeof *fit->sd);
done:
    free(data);
    if (st) pb_fit_free(fit);
    return st;
}
