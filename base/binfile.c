/* binfile.c -- see binfile.h. */
#include "base/binfile.h"
#include "base/util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ORDER_MARK 0x01020304u
#define HEAD_LEN (8 + 4 + 4 + 8)

void pb_buf_put(pb_buf *b, const void *data, size_t len)
{
    if (b->oom || len == 0) return;
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
void pb_buf_u32(pb_buf *b, uint32_t v) { pb_buf_put(b, &v, sizeof v); }
void pb_buf_u64(pb_buf *b, uint64_t v) { pb_buf_put(b, &v, sizeof v); }
void pb_buf_f64(pb_buf *b, double v) { pb_buf_put(b, &v, sizeof v); }
void pb_buf_str(pb_buf *b, const char *s)
{
    uint32_t n = (uint32_t)strlen(s);
    pb_buf_u32(b, n);
    pb_buf_put(b, s, n);
}

void pb_reader_get(pb_reader *r, void *out, size_t len)
{
    if (r->bad || len > r->len - r->pos) {
        r->bad = 1;
        if (len) memset(out, 0, len);
        return;
    }
    if (len) memcpy(out, r->p + r->pos, len);
    r->pos += len;
}
uint32_t pb_reader_u32(pb_reader *r) { uint32_t v; pb_reader_get(r, &v, sizeof v); return v; }
uint64_t pb_reader_u64(pb_reader *r) { uint64_t v; pb_reader_get(r, &v, sizeof v); return v; }
double pb_reader_f64(pb_reader *r) { double v; pb_reader_get(r, &v, sizeof v); return v; }
void pb_reader_str(pb_reader *r, char *out, size_t cap)
{
    uint32_t n = pb_reader_u32(r);
    if (r->bad || n >= cap || n > r->len - r->pos) {
        r->bad = 1;
        out[0] = '\0';
        return;
    }
    pb_reader_get(r, out, n);
    out[n] = '\0';
}

int pb_binfile_write(const char *path, const unsigned char magic[8], uint32_t version, const char *kind,
                     const pb_buf *payload)
{
    pb_buf all = {0};
    pb_buf_put(&all, magic, 8);
    pb_buf_u32(&all, version);
    pb_buf_u32(&all, ORDER_MARK);
    pb_buf_u64(&all, payload->len);
    pb_buf_put(&all, payload->p, payload->len);
    pb_buf_u64(&all, all.oom ? 0 : pb_fnv1a(PB_FNV_OFFSET, all.p, all.len));
    if (payload->oom || all.oom) {
        free(all.p);
        return pb_error(PB_ERR_NOMEM, "out of memory writing %s %s", kind, path);
    }
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

static int read_all(const char *path, const char *kind, unsigned char **data, size_t *len)
{
    *data = NULL;
    *len = 0;
    FILE *f = pb_fopen_read(path, "rb");
    if (!f) return pb_error(PB_ERR_IO, "%s: cannot open %s: %s", path, kind, pb_open_strerror(errno));
    unsigned char *d = NULL;
    size_t n = 0, cap = 0;
    for (;;) {
        if (n == cap) {
            cap = cap ? 2 * cap : 65536;
            unsigned char *nd = realloc(d, cap);
            if (!nd) { free(d); fclose(f); return pb_error(PB_ERR_NOMEM, "out of memory reading %s", path); }
            d = nd;
        }
        size_t got = fread(d + n, 1, cap - n, f);
        n += got;
        if (got == 0) break;
    }
    int ioerr = ferror(f);
    fclose(f);
    if (ioerr) { free(d); return pb_error(PB_ERR_IO, "%s: read error", path); }
    *data = d, *len = n;
    return PB_OK;
}

int pb_binfile_read(const char *path, const unsigned char magic[8], uint32_t version, const char *kind,
                    unsigned char **data, pb_reader *payload)
{
    uint32_t v;
    return pb_binfile_read_versions(path, magic, version, version, kind, data, payload, &v);
}

int pb_binfile_read_versions(const char *path, const unsigned char magic[8], uint32_t vmin, uint32_t vmax,
                             const char *kind, unsigned char **data, pb_reader *payload, uint32_t *version)
{
    size_t len;
    memset(payload, 0, sizeof *payload);
    int st = read_all(path, kind, data, &len);
    if (st) return st;
    const unsigned char *d = *data;
    if (memcmp(d, magic, len < 8 ? len : 8) != 0)
        st = pb_error(PB_ERR_FORMAT, "%s: not a prunebench %s (bad magic number)", path, kind);
    else if (len < HEAD_LEN + 8)
        st = pb_error(PB_ERR_FORMAT, "%s: truncated %s (%zu bytes, shorter than the header)", path, kind, len);
    if (st) goto fail;
    pb_reader r = {d, len, 8, 0};
    uint32_t v = pb_reader_u32(&r), mark = pb_reader_u32(&r);
    uint64_t plen = pb_reader_u64(&r);
    size_t room = len - HEAD_LEN - 8;  /* payload bytes the file can hold */
    uint64_t sum;
    memcpy(&sum, d + len - 8, 8);
    if (mark != ORDER_MARK)
        st = pb_error(PB_ERR_FORMAT, "%s: %s written on a machine of another byte order", path, kind);
    else if (v < vmin || v > vmax) {
        if (vmin == vmax) st = pb_error(PB_ERR_FORMAT, "%s: %s version %u, this build reads version %u", path, kind, v, vmax);
        else st = pb_error(PB_ERR_FORMAT, "%s: %s version %u, this build reads versions %u to %u", path, kind, v, vmin, vmax);
    }
    else if (plen > room)
        st = pb_error(PB_ERR_FORMAT, "%s: truncated %s (%zu bytes, the header says %llu)", path, kind, len,
                      (unsigned long long)(plen + HEAD_LEN + 8));
    else if (plen < room)
        st = pb_error(PB_ERR_FORMAT, "%s: padded %s: %zu trailing bytes after the payload", path, kind,
                      room - (size_t)plen);
    else if (sum != pb_fnv1a(PB_FNV_OFFSET, d, len - 8))
        st = pb_error(PB_ERR_FORMAT, "%s: %s is corrupt (checksum mismatch)", path, kind);
    if (st) goto fail;
    payload->p = d + HEAD_LEN;
    payload->len = (size_t)plen;
    *version = v;
    return PB_OK;
fail:
    free(*data);
    *data = NULL;
    return st;
}
