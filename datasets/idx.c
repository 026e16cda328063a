/* idx.c -- see idx.h. */
#define _POSIX_C_SOURCE 200809L
#include "datasets/idx.h"
#include "base/util.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

void pb_idx_free(pb_idx *x)
{
    if (!x) return;
    free(x->data);
    memset(x, 0, sizeof *x);
}

/* Read up to len bytes (fewer only at the end of the data); *got says how
 * many. Returns -1 when zlib reports an error (corrupt stream, read error). */
static int read_some(gzFile f, unsigned char *buf, size_t len, size_t *got)
{
    *got = 0;
    while (*got < len) {
        size_t want = len - *got;
        if (want > (1u << 30)) want = 1u << 30;
        int n = gzread(f, buf + *got, (unsigned)want);
        if (n < 0) return -1;
        if (n == 0) break;
        *got += (size_t)n;
    }
    return 0;
}

/* zlib's message for the stream's current error, without the "path: "
 * prefix gzerror puts in front; *err receives the zlib code. */
static const char *gz_message(gzFile f, const char *path, int *err)
{
    const char *m = gzerror(f, err);
    size_t pl = strlen(path);
    if (m && !strncmp(m, path, pl) && m[pl] == ':' && m[pl + 1] == ' ') m += pl + 2;
    return m && *m ? m : "unknown zlib error";
}

/* Error after a failed or short read: the zlib error, if any, else NULL. */
static int gz_fail(gzFile f, const char *path)
{
    int err;
    const char *m = gz_message(f, path, &err);
    if (err == Z_ERRNO) return pb_error(PB_ERR_IO, "%s: read error: %s", path, m);
    if (err == Z_BUF_ERROR)
        return pb_error(PB_ERR_FORMAT, "%s: corrupt gzip stream: it ends early (%s); the file is truncated", path, m);
    return pb_error(PB_ERR_FORMAT, "%s: corrupt gzip stream: %s", path, m);
}

/* A note for a short read: why the gzip stream ended, or "". */
static const char *short_note(gzFile f, const char *path)
{
    int err;
    gz_message(f, path, &err);
    return err == Z_BUF_ERROR ? " (the gzip stream ends early: unexpected end of file)" : "";
}

static int ends_with(const char *s, const char *suffix)
{
    size_t ls = strlen(s), lx = strlen(suffix);
    return ls >= lx && !strcmp(s + ls - lx, suffix);
}

static const char *type_name(int code)
{
    switch (code) {
    case 0x09: return "signed byte";
    case 0x0B: return "16-bit integer";
    case 0x0C: return "32-bit integer";
    case 0x0D: return "32-bit float";
    case 0x0E: return "64-bit float";
    default: return "not an IDX type";
    }
}

int pb_idx_read(const char *path, pb_idx *out)
{
    memset(out, 0, sizeof *out);
    /* opened as a regular file that never blocks (util.h), then handed to zlib */
    FILE *ff = pb_fopen_read(path, "rb");
    if (!ff) return pb_error(PB_ERR_IO, "%s: cannot open: %s", path, pb_open_strerror(errno));
    int fd = dup(fileno(ff));
    /* zlib's buffers (in: size, out: twice that): 256 KiB for a real data
     * file, less for a small one (no large allocations per small file) */
    struct stat fs;
    unsigned want = fstat(fileno(ff), &fs) == 0 && fs.st_size < (1 << 18) ? (unsigned)fs.st_size : 1u << 18;
    fclose(ff);
    if (fd < 0) return pb_error(PB_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    gzFile f = gzdopen(fd, "rb");
    if (!f) {
        close(fd);
        return pb_error(PB_ERR_NOMEM, "%s: cannot open: out of memory", path);
    }
    gzbuffer(f, want < (1u << 13) ? 1u << 13 : want);
    int st = PB_OK;
    unsigned char hdr[4 + 4 * PB_IDX_MAX_DIMS];
    size_t got;
    if (read_some(f, hdr, 4, &got)) { st = gz_fail(f, path); goto done; }
    if (got == 0) {
        int err;
        gz_message(f, path, &err);
        st = err == Z_BUF_ERROR ? gz_fail(f, path) : pb_error(PB_ERR_FORMAT, "%s: empty file (expected an IDX header)", path);
        goto done;
    }
    if (got < 4) {
        st = pb_error(PB_ERR_FORMAT, "%s: truncated: expected a 4-byte IDX header, found %zu bytes%s", path, got,
                      short_note(f, path));
        goto done;
    }
    if (hdr[0] != 0 || hdr[1] != 0) {
        st = pb_error(PB_ERR_FORMAT, "%s: wrong magic: not an IDX file (first bytes %02x %02x %02x %02x, expected 00 00 08 "
                      "and a dimension count 01-04)%s", path, hdr[0], hdr[1], hdr[2], hdr[3],
                      gzdirect(f) && ends_with(path, ".gz") ? "; despite its .gz name it is not gzip-compressed" : "");
        goto done;
    }
    if (hdr[2] != 0x08) {
        st = pb_error(PB_ERR_FORMAT, "%s: unsupported IDX type code 0x%02x (%s); only 0x08, unsigned byte, is supported",
                      path, hdr[2], type_name(hdr[2]));
        goto done;
    }
    int ndim = hdr[3];
    if (ndim < 1 || ndim > PB_IDX_MAX_DIMS) {
        st = pb_error(PB_ERR_FORMAT, "%s: unsupported number of dimensions %d (1-%d are supported)", path, ndim,
                      PB_IDX_MAX_DIMS);
        goto done;
    }
    size_t hlen = 4 * (size_t)ndim;
    if (read_some(f, hdr + 4, hlen, &got)) { st = gz_fail(f, path); goto done; }
    if (got < hlen) {
        st = pb_error(PB_ERR_FORMAT, "%s: truncated: expected %zu bytes of dimensions after the magic, found %zu%s", path,
                      hlen, got, short_note(f, path));
        goto done;
    }
    size_t count = 1;
    for (int k = 0; k < ndim; k++) {
        const unsigned char *p = hdr + 4 + 4 * k;
        uint32_t v = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
        if (v == 0) {
            st = pb_error(PB_ERR_FORMAT, "%s: dimension %d is 0", path, k + 1);
            goto done;
        }
        if (count > SIZE_MAX / v) {
            st = pb_error(PB_ERR_FORMAT, "%s: the dimensions announce more bytes than can be addressed", path);
            goto done;
        }
        count *= v;
        out->dims[k] = v;
    }
    out->ndim = ndim;
    out->count = count;

    /* Grow the buffer with the data actually present, so a header that
     * announces far more than the file holds costs no more than the file. */
    size_t cap = count < ((size_t)1 << 16) ? count : (size_t)1 << 16, have = 0;
    unsigned char *buf = malloc(cap);
    if (!buf) { st = pb_error(PB_ERR_NOMEM, "%s: out of memory for %zu bytes", path, cap); goto done; }
    for (;;) {
        if (read_some(f, buf + have, cap - have, &got)) { free(buf); st = gz_fail(f, path); goto done; }
        have += got;
        if (have < cap || cap == count) break;
        size_t ncap = cap > count / 2 ? count : 2 * cap;
        unsigned char *nb = realloc(buf, ncap);
        if (!nb) { free(buf); st = pb_error(PB_ERR_NOMEM, "%s: out of memory for %zu bytes", path, ncap); goto done; }
        buf = nb, cap = ncap;
    }
    out->data = buf;
    if (have < count) {
        st = pb_error(PB_ERR_FORMAT, "%s: truncated: expected %zu bytes of data, found %zu%s", path, count, have,
                      short_note(f, path));
        goto done;
    }
    /* Nothing may follow the data. */
    unsigned char extra[1 << 16];
    size_t trailing = 0;
    do {
        if (read_some(f, extra, sizeof extra, &got)) { st = gz_fail(f, path); goto done; }
        trailing += got;
    } while (got == sizeof extra);
    int err;
    gz_message(f, path, &err);
    if (err != Z_OK) { st = gz_fail(f, path); goto done; }
    if (trailing) {
        st = pb_error(PB_ERR_FORMAT, "%s: %zu trailing bytes after the %zu bytes of data the header announces", path,
                      trailing, count);
        goto done;
    }
done:
    gzclose(f);
    if (st) pb_idx_free(out);
    return st;
}

/* ---- MNIST-format directories ---- */

static const char *const mnist_base[4] = {"train-images-idx3-ubyte", "train-labels-idx1-ubyte",
                                          "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"};

static int is_regular(const char *path)
{
    struct stat s;
    return stat(path, &s) == 0 && S_ISREG(s.st_mode);
}

/* Find the four files; fills info->dir and info->file[].path. */
static int mnist_resolve(const char *dir, pb_mnist_info *info)
{
    memset(info, 0, sizeof *info);
    struct stat s;
    if (stat(dir, &s) != 0)
        return pb_error(PB_ERR_IO, "%s: cannot open MNIST-format directory: %s", dir, strerror(errno));
    if (!S_ISDIR(s.st_mode)) return pb_error(PB_ERR_IO, "%s: not a directory (expected an MNIST-format directory)", dir);
    if (strlen(dir) + 40 > sizeof info->dir) return pb_error(PB_ERR_ARG, "%s: directory name too long", dir);
    snprintf(info->dir, sizeof info->dir, "%s", dir);
    for (int i = 0; i < 4; i++) {
        char *p = info->file[i].path;
        size_t len = sizeof info->file[i].path;
        snprintf(p, len, "%s/%s", dir, mnist_base[i]);
        if (is_regular(p)) continue;
        snprintf(p, len, "%s/%s.gz", dir, mnist_base[i]);
        if (is_regular(p)) continue;
        return pb_error(PB_ERR_IO, "%s: no %s or %s.gz in this directory", dir, mnist_base[i], mnist_base[i]);
    }
    return PB_OK;
}

static int hash_file(pb_idx_source *src)
{
    FILE *f = pb_fopen_read(src->path, "rb");
    if (!f) return pb_error(PB_ERR_IO, "%s: cannot open: %s", src->path, pb_open_strerror(errno));
    enum { CHUNK = 1 << 20 };
    unsigned char *buf = malloc(CHUNK);
    if (!buf) { fclose(f); return pb_error(PB_ERR_NOMEM, "out of memory"); }
    uint64_t h = PB_FNV_OFFSET, bytes = 0;
    size_t n;
    while ((n = fread(buf, 1, CHUNK, f)) > 0) {
        h = pb_fnv1a(h, buf, n);
        bytes += n;
    }
    int st = ferror(f) ? pb_error(PB_ERR_IO, "%s: read error", src->path) : PB_OK;
    free(buf);
    fclose(f);
    src->bytes = bytes;
    src->fnv1a = h;
    return st;
}

int pb_mnist_identify(const char *dir, pb_mnist_info *info)
{
    int st = mnist_resolve(dir, info);
    for (int i = 0; i < 4 && !st; i++) st = hash_file(&info->file[i]);
    return st;
}

void pb_mnist_describe(const pb_mnist_info *info, char *buf, size_t len)
{
    if (!len) return;
    size_t k = (size_t)snprintf(buf, len, "%s:", info->dir);
    for (int i = 0; i < 4 && k < len; i++) {
        const char *p = info->file[i].path, *slash = strrchr(p, '/');
        k += (size_t)snprintf(buf + k, len - k, "%s %s %" PRIu64 " bytes fnv1a64 %016" PRIx64, i ? ";" : "",
                              slash ? slash + 1 : p, info->file[i].bytes, info->file[i].fnv1a);
    }
}

/* One part (train or test): images and labels -> out. */
static int mnist_part(const pb_idx_source *img_src, const pb_idx_source *lab_src, const char *name, pb_data *out)
{
    pb_idx img, lab;
    int st = pb_idx_read(img_src->path, &img);
    if (st) return st;
    if ((st = pb_idx_read(lab_src->path, &lab))) { pb_idx_free(&img); return st; }
    const char *ip = img_src->path, *lp = lab_src->path;
    if (img.ndim != 3) {
        st = pb_error(PB_ERR_FORMAT, "%s: expected images (3 dimensions: count x rows x columns), found %d dimension%s", ip,
                      img.ndim, img.ndim == 1 ? "" : "s");
        goto done;
    }
    if (lab.ndim != 1) {
        st = pb_error(PB_ERR_FORMAT, "%s: expected labels (1 dimension), found %d dimensions", lp, lab.ndim);
        goto done;
    }
    if (lab.dims[0] != img.dims[0]) {
        st = pb_error(PB_ERR_FORMAT, "%s: %" PRIu32 " labels, but %s has %" PRIu32 " images", lp, lab.dims[0], ip,
                      img.dims[0]);
        goto done;
    }
    for (size_t i = 0; i < lab.count; i++)
        if (lab.data[i] >= 10) {
            st = pb_error(PB_ERR_FORMAT, "%s: label %u of item %zu is not a class 0-9", lp, lab.data[i], i);
            goto done;
        }
    size_t n = img.dims[0], d = (size_t)img.dims[1] * img.dims[2];
    if ((st = pb_data_alloc(out, name, n, d, 1, 10))) goto done;
    double scale[256];
    for (int v = 0; v < 256; v++) scale[v] = v / 255.0;
    for (size_t i = 0; i < n * d; i++) out->X[i] = scale[img.data[i]];
    for (size_t i = 0; i < n; i++) out->y[i] = lab.data[i];
done:
    pb_idx_free(&img);
    pb_idx_free(&lab);
    return st;
}

int pb_mnist_load(const char *dir, const char *name, pb_data *train, pb_data *test, pb_mnist_info *info)
{
    memset(train, 0, sizeof *train);
    memset(test, 0, sizeof *test);
    pb_mnist_info *inf = info ? info : pb_calloc(1, sizeof *inf);
    if (!inf) return PB_ERR_NOMEM;
    int st = info ? pb_mnist_identify(dir, inf) : mnist_resolve(dir, inf);
    char nm[64];
    if (!st) {
        snprintf(nm, sizeof nm, "%s/train", name);
        st = mnist_part(&inf->file[0], &inf->file[1], nm, train);
    }
    if (!st) {
        snprintf(nm, sizeof nm, "%s/test", name);
        st = mnist_part(&inf->file[2], &inf->file[3], nm, test);
    }
    if (!st && train->d != test->d)
        st = pb_error(PB_ERR_FORMAT, "%s: images of %zu pixels, but %s has images of %zu pixels", inf->file[2].path,
                      test->d, inf->file[0].path, train->d);
    if (st) {
        pb_data_free(train);
        pb_data_free(test);
    }
    if (!info) free(inf);
    return st;
}

/* ---- the sets by name ---- */

const char *pb_dataset_mnist_dir(const char *name)
{
    if (!strcmp(name, "fashion-mnist")) {
        const char *dir = getenv(PB_FASHION_MNIST_ENV);
        return dir && *dir ? dir : PB_FASHION_MNIST_DEFAULT_DIR;
    }
    if (!strcmp(name, "mnist")) {
        const char *dir = getenv(PB_MNIST_ENV);
        if (dir && *dir) return dir;
        pb_error(PB_ERR_ARG, "mnist: set %s to a directory holding train-images-idx3-ubyte, train-labels-idx1-ubyte, "
                 "t10k-images-idx3-ubyte and t10k-labels-idx1-ubyte (each plain or .gz), e.g. "
                 "export %s=$HOME/data/mnist", PB_MNIST_ENV, PB_MNIST_ENV);
        return NULL;
    }
    pb_error(PB_ERR_ARG, "dataset '%s' is not an MNIST-format set (known: fashion-mnist, mnist)", name);
    return NULL;
}

/* "seq-fashion-mnist" -> "fashion-mnist"; other names unchanged. */
static const char *mnist_base_name(const char *name) { return strncmp(name, "seq-", 4) ? name : name + 4; }

int pb_mnist_open(const char *name, pb_data *train, pb_data *test)
{
    memset(train, 0, sizeof *train);
    memset(test, 0, sizeof *test);
    const char *base = mnist_base_name(name);
    const char *dir = pb_dataset_mnist_dir(base);
    if (!dir) return PB_ERR_ARG;
    int fashion = !strcmp(base, "fashion-mnist");
    const char *env = fashion ? PB_FASHION_MNIST_ENV : PB_MNIST_ENV;
    int from_env = getenv(env) && *getenv(env);
    struct stat s;
    if (stat(dir, &s) != 0 || !S_ISDIR(s.st_mode)) {
        if (!from_env)
            return pb_error(PB_ERR_IO, "%s: %s: no such directory (install the Debian package dataset-fashion-mnist, "
                            "or set %s to a directory of the four IDX files)", name, dir, env);
        return pb_error(PB_ERR_IO, "%s: %s=%s: no such directory", name, env, dir);
    }
    int st = pb_mnist_load(dir, name, train, test, NULL);
    if (st || base == name) return st;
    /* a sequence of image rows */
    size_t side = (size_t)floor(sqrt((double)train->d) + 0.5);
    if (side * side != train->d) {
        st = pb_error(PB_ERR_FORMAT, "%s: %s: images of %zu pixels are not square, so their rows are not known", name,
                      dir, train->d);
        pb_data_free(train);
        pb_data_free(test);
        return st;
    }
    train->seq_len = test->seq_len = side;
    return PB_OK;
}

int pb_mnist_available(const char *name)
{
    const char *base = mnist_base_name(name);
    const char *dir = pb_dataset_mnist_dir(base);
    if (!dir) return 0;
    pb_mnist_info *info = pb_calloc(1, sizeof *info);
    if (!info) return 0;
    int st = mnist_resolve(dir, info);
    free(info);
    if (!st) return 1;
    const char *env = strcmp(base, "fashion-mnist") ? PB_MNIST_ENV : PB_FASHION_MNIST_ENV;
    int from_env = getenv(env) && *getenv(env);
    char why[512];
    snprintf(why, sizeof why, "%s", pb_last_error());
    pb_error(PB_ERR_IO, "%s: %s (%s $%s)", name, why, from_env ? "from" : "the default when unset:", env);
    return 0;
}
