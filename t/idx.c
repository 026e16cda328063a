/* idx.c -- IDX reader (plain and gzip), MNIST-format directories,
 * pb_dataset_open, and the real Fashion-MNIST when it is installed. */
#define _POSIX_C_SOURCE 200809L
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "tap.h"
#include "datasets/idx.h"
#include "datasets/registry.h"
#include "base/util.h"

static char dir[] = "/tmp/pb-idx-XXXXXX";

static int has(const char *hay, const char *needle) { return strstr(hay, needle) != NULL; }

/* An IDX image in memory: header (type code, dims) then data. */
typedef struct blob {
    unsigned char b[8192];
    size_t n;
} blob;

static void idx_make(blob *x, int type, int ndim, const uint32_t *dims, const unsigned char *data, size_t len)
{
    x->n = 0;
    x->b[x->n++] = 0, x->b[x->n++] = 0, x->b[x->n++] = (unsigned char)type, x->b[x->n++] = (unsigned char)ndim;
    for (int k = 0; k < ndim; k++) {
        x->b[x->n++] = (unsigned char)(dims[k] >> 24), x->b[x->n++] = (unsigned char)(dims[k] >> 16);
        x->b[x->n++] = (unsigned char)(dims[k] >> 8), x->b[x->n++] = (unsigned char)dims[k];
    }
    TAP_REQUIRE(x->n + len <= sizeof x->b);
    memcpy(x->b + x->n, data, len);
    x->n += len;
}

static void path_of(const char *name, char *path, size_t len) { snprintf(path, len, "%s/%s", dir, name); }

static void write_plain(const char *name, const void *data, size_t len, char *path, size_t plen)
{
    path_of(name, path, plen);
    FILE *f = fopen(path, "wb");
    TAP_REQUIRE(f != NULL);
    TAP_REQUIRE(fwrite(data, 1, len, f) == len);
    TAP_REQUIRE(fclose(f) == 0);
}

static void write_gz(const char *name, const void *data, size_t len, char *path, size_t plen)
{
    path_of(name, path, plen);
    gzFile g = gzopen(path, "wb");
    TAP_REQUIRE(g != NULL);
    TAP_REQUIRE(gzwrite(g, data, (unsigned)len) == (int)len);
    TAP_REQUIRE(gzclose(g) == Z_OK);
}

static unsigned char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    TAP_REQUIRE(f != NULL);
    TAP_REQUIRE(fseek(f, 0, SEEK_END) == 0);
    long n = ftell(f);
    TAP_REQUIRE(n >= 0);
    rewind(f);
    unsigned char *buf = malloc((size_t)n + 1);
    TAP_REQUIRE(buf != NULL);
    TAP_REQUIRE(fread(buf, 1, (size_t)n, f) == (size_t)n);
    fclose(f);
    *len = (size_t)n;
    return buf;
}

/* A broken file must be rejected with an empty result and a one-line message
 * naming the file and containing want. */
static void expect_error(const char *path, const char *want, const char *what)
{
    pb_idx x;
    int st = pb_idx_read(path, &x);
    const char *msg = pb_last_error();
    ok(st != 0 && x.data == NULL && x.ndim == 0, "%s: rejected", what);
    ok(has(msg, path) && has(msg, want) && !strchr(msg, '\n'), "%s: message names the file and '%s' (got: %s)", what,
       want, msg);
}

static int same_data(const pb_data *a, const pb_data *b)
{
    return a->n == b->n && a->d == b->d && a->ydim == b->ydim && a->n_classes == b->n_classes &&
           !strcmp(a->name, b->name) && !memcmp(a->X, b->X, a->n * a->d * sizeof(double)) &&
           !memcmp(a->y, b->y, a->n * a->ydim * sizeof(double));
}

static int same_scaling(const pb_scaling *a, const pb_scaling *b)
{
    return a->d == b->d && a->ydim == b->ydim && !memcmp(a->x_mean, b->x_mean, a->d * sizeof(double)) &&
           !memcmp(a->x_sd, b->x_sd, a->d * sizeof(double)) && !memcmp(a->y_mean, b->y_mean, a->ydim * sizeof(double)) &&
           !memcmp(a->y_sd, b->y_sd, a->ydim * sizeof(double));
}

/* pb_dataset_open(name) against the old sequence load + split + standardize. */
static void compare_open(const char *name, double test_fraction, uint64_t seed, int standardize_y)
{
    pb_data all, tr, te, tr2, te2;
    pb_scaling sc, sc2;
    TAP_REQUIRE(pb_dataset_load(name, "datasets", seed, &all) == 0);
    TAP_REQUIRE(pb_split(&all, test_fraction, seed, &tr, &te) == 0);
    TAP_REQUIRE(pb_standardize(&tr, &te, standardize_y, &sc) == 0);
    int st = pb_dataset_open(name, "datasets", seed, test_fraction, standardize_y, &tr2, &te2, &sc2);
    if (st) diag("%s", pb_last_error());
    ok(st == 0 && same_data(&tr, &tr2) && same_data(&te, &te2) && same_scaling(&sc, &sc2),
       "pb_dataset_open %s: bit-identical to pb_dataset_load + pb_split + pb_standardize", name);
    pb_data_free(&all), pb_data_free(&tr), pb_data_free(&te), pb_data_free(&tr2), pb_data_free(&te2);
    pb_scaling_free(&sc), pb_scaling_free(&sc2);
}

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* gunzip a whole file with zlib's inflate (independent of the reader). */
static unsigned char *gunzip(const char *path, size_t *out_len)
{
    size_t zlen;
    unsigned char *z = slurp(path, &zlen);
    size_t cap = 64u << 20, n = 0;
    unsigned char *buf = malloc(cap);
    TAP_REQUIRE(buf != NULL);
    z_stream s;
    memset(&s, 0, sizeof s);
    TAP_REQUIRE(inflateInit2(&s, 15 + 16) == Z_OK);
    s.next_in = z;
    s.avail_in = (uInt)zlen;
    int rc;
    do {
        if (n == cap) {
            cap *= 2;
            buf = realloc(buf, cap);
            TAP_REQUIRE(buf != NULL);
        }
        s.next_out = buf + n;
        s.avail_out = (uInt)(cap - n);
        rc = inflate(&s, Z_NO_FLUSH);
        n = cap - s.avail_out;
    } while (rc == Z_OK);
    TAP_REQUIRE(rc == Z_STREAM_END);
    inflateEnd(&s);
    free(z);
    *out_len = n;
    return buf;
}

static void real_fashion_mnist(void)
{
    const int N = 15;
    struct stat s;
    if (stat(PB_FASHION_MNIST_DEFAULT_DIR, &s) != 0) {
        diag("%s absent (Debian package dataset-fashion-mnist): real-data tests skipped", PB_FASHION_MNIST_DEFAULT_DIR);
        skip(N, "Fashion-MNIST not installed");
        return;
    }
    unsetenv(PB_FASHION_MNIST_ENV);
    pb_data tr, te;
    pb_scaling sc;
    double t0 = now();
    int st = pb_dataset_open("fashion-mnist", "datasets", 1, 0.2, 1, &tr, &te, &sc);
    double t1 = now();
    if (st) diag("%s", pb_last_error());
    ok(st == 0, "fashion-mnist: pb_dataset_open loads %s", PB_FASHION_MNIST_DEFAULT_DIR);
    if (st) { skip(N - 1, "load failed"); return; }
    diag("fashion-mnist: pb_dataset_open took %.3f s", t1 - t0);
    ok(tr.n == 60000 && tr.d == 784 && tr.ydim == 1, "fashion-mnist: train 60000 x 784 (got %zu x %zu)", tr.n, tr.d);
    ok(te.n == 10000 && te.d == 784 && te.ydim == 1, "fashion-mnist: test 10000 x 784 (got %zu x %zu)", te.n, te.d);
    ok(tr.n_classes == 10 && te.n_classes == 10, "fashion-mnist: 10 classes");
    ok(!strcmp(tr.name, "fashion-mnist/train") && !strcmp(te.name, "fashion-mnist/test"), "fashion-mnist: names %s, %s",
       tr.name, te.name);
    int cnt[10] = {0}, tcnt[10] = {0}, bad = 0;
    for (size_t i = 0; i < tr.n; i++) {
        int c = (int)tr.y[i];
        if (c < 0 || c > 9 || tr.y[i] != c) bad++;
        else cnt[c]++;
    }
    for (size_t i = 0; i < te.n; i++) {
        int c = (int)te.y[i];
        if (c < 0 || c > 9 || te.y[i] != c) bad++;
        else tcnt[c]++;
    }
    int balanced = !bad;
    for (int c = 0; c < 10; c++) balanced &= cnt[c] == 6000 && tcnt[c] == 1000;
    ok(balanced, "fashion-mnist: 6000 training and 1000 test images per class");
    is_int((long long)tr.y[0], 9, "fashion-mnist: first training label is 9 (ankle boot)");
    ok(te.y[0] == 9 && te.y[1] == 2 && te.y[2] == 1, "fashion-mnist: first test labels 9, 2, 1");
    /* image 0, row 14, column 12: 237 (read with Python's gzip module when this test was written) */
    is_double(tr.X[14 * 28 + 12] * 255.0, 237, 1e-9, "fashion-mnist: pixel (image 0, row 14, column 12) is 237/255");
    double lo = 1, hi = 0;
    for (size_t i = 0; i < tr.n * tr.d; i++) lo = tr.X[i] < lo ? tr.X[i] : lo, hi = tr.X[i] > hi ? tr.X[i] : hi;
    ok(lo == 0.0 && hi == 1.0, "fashion-mnist: pixels span [0, 1] (min %g, max %g)", lo, hi);

    /* every training pixel against an independent gunzip of the file */
    char p[4200];
    snprintf(p, sizeof p, "%s/train-images-idx3-ubyte.gz", PB_FASHION_MNIST_DEFAULT_DIR);
    if (access(p, R_OK) == 0) {
        size_t len;
        unsigned char *raw = gunzip(p, &len);
        is_int((long long)len, 16 + 60000LL * 784, "fashion-mnist: independent gunzip gives 16 + 60000*784 bytes");
        ok(raw[16 + 14 * 28 + 12] == 237, "fashion-mnist: independent gunzip: that pixel is 237 (got %u)",
           raw[16 + 14 * 28 + 12]);
        size_t mism = 0;
        for (size_t i = 0; i < tr.n * tr.d && 16 + i < len; i++) mism += tr.X[i] != raw[16 + i] / 255.0;
        is_int((long long)mism, 0, "fashion-mnist: every training pixel equals byte/255 of the independent gunzip");
        free(raw);
    } else {
        skip(3, "train-images-idx3-ubyte.gz not present (plain file?)");
    }
    ok(sc.d == 784 && sc.ydim == 1 && sc.x_mean[0] == 0 && sc.x_sd[783] == 1 && sc.y_sd[0] == 1,
       "fashion-mnist: identity scaling");

    pb_mnist_info info;
    pb_data a, b;
    t0 = now();
    st = pb_mnist_load(PB_FASHION_MNIST_DEFAULT_DIR, "fashion-mnist", &a, &b, &info);
    t1 = now();
    char line[2048];
    if (!st) pb_mnist_describe(&info, line, sizeof line);
    ok(st == 0 && same_data(&a, &tr) && same_data(&b, &te) && info.file[0].bytes > 1000000,
       "fashion-mnist: pb_mnist_load with identification gives the same data");
    if (!st) diag("identification (%.3f s with hashing): %s", t1 - t0, line);
    pb_data_free(&a), pb_data_free(&b);
    pb_data_free(&tr), pb_data_free(&te);
    pb_scaling_free(&sc);
}

int main(void)
{
    plan(86);
    TAP_REQUIRE(mkdtemp(dir) != NULL);
    char path[512], p2[512];
    blob x;

    /* (a) good files, plain and gzipped */
    static const unsigned char pix[12] = {0, 1, 2, 127, 128, 255, 10, 20, 30, 40, 50, 254};
    const uint32_t d322[3] = {3, 2, 2};
    idx_make(&x, 0x08, 3, d322, pix, sizeof pix);
    write_plain("img", x.b, x.n, path, sizeof path);
    pb_idx im;
    int st = pb_idx_read(path, &im);
    if (st) diag("%s", pb_last_error());
    ok(st == 0, "plain 3x2x2 images: read");
    ok(im.ndim == 3 && im.dims[0] == 3 && im.dims[1] == 2 && im.dims[2] == 2 && im.count == 12,
       "plain: dims 3 x 2 x 2, 12 bytes");
    ok(im.data && !memcmp(im.data, pix, 12), "plain: exact bytes");
    pb_idx_free(&im);
    ok(im.data == NULL && im.ndim == 0, "pb_idx_free clears");
    write_gz("img.gz", x.b, x.n, path, sizeof path);
    st = pb_idx_read(path, &im);
    if (st) diag("%s", pb_last_error());
    ok(st == 0 && im.ndim == 3 && im.count == 12 && !memcmp(im.data, pix, 12), "gzipped 3x2x2 images: same dims and bytes");
    pb_idx_free(&im);
    static const unsigned char lab3[3] = {0, 9, 3};
    const uint32_t d3[1] = {3};
    idx_make(&x, 0x08, 1, d3, lab3, 3);
    write_gz("lab.gz", x.b, x.n, path, sizeof path);
    st = pb_idx_read(path, &im);
    ok(st == 0 && im.ndim == 1 && im.dims[0] == 3 && !memcmp(im.data, lab3, 3), "gzipped labels: 1 dimension, 0 9 3");
    pb_idx_free(&im);
    const uint32_t d4[4] = {1, 2, 3, 2};
    idx_make(&x, 0x08, 4, d4, pix, 12);
    write_plain("four", x.b, x.n, path, sizeof path);
    st = pb_idx_read(path, &im);
    ok(st == 0 && im.ndim == 4 && im.dims[3] == 2 && im.count == 12, "4 dimensions accepted");
    pb_idx_free(&im);

    /* (b) broken files */
    idx_make(&x, 0x08, 3, d322, pix, 10);
    write_plain("short", x.b, x.n, path, sizeof path);
    expect_error(path, "truncated: expected 12 bytes of data, found 10", "plain, 2 bytes short");
    write_gz("short.gz", x.b, x.n, path, sizeof path);
    expect_error(path, "truncated: expected 12 bytes of data, found 10", "gzipped, 2 bytes short");
    {   /* a gzip file cut in the middle of its compressed data */
        static unsigned char noise[4000];
        uint64_t r = 42;
        for (size_t i = 0; i < sizeof noise; i++) noise[i] = (unsigned char)((r = pb_mix64(r)) >> 56);
        const uint32_t dn[2] = {40, 100};
        idx_make(&x, 0x08, 2, dn, noise, sizeof noise);
        write_gz("cut.gz", x.b, x.n, path, sizeof path);
        size_t zl;
        unsigned char *z = slurp(path, &zl);
        write_plain("cut.gz", z, zl / 2, path, sizeof path);
        expect_error(path, "truncated: expected 4000 bytes of data", "gzip file cut in half");
        ok(has(pb_last_error(), "gzip stream ends early"), "cut in half: message says the gzip stream ends early");
        write_plain("notrailer.gz", z, zl - 8, path, sizeof path);
        expect_error(path, "gzip stream", "gzip file missing its 8-byte trailer (data complete)");
        z[zl / 2] ^= 0x55;
        write_plain("flipped.gz", z, zl, path, sizeof path);
        expect_error(path, "corrupt gzip stream", "gzip file with a flipped byte");
        free(z);
    }
    idx_make(&x, 0x08, 3, d322, pix, 12);
    x.b[0] = 0x50, x.b[1] = 0x4b;
    write_plain("magic", x.b, x.n, path, sizeof path);
    expect_error(path, "wrong magic", "wrong magic");
    write_plain("magic.gz", x.b, x.n, path, sizeof path);
    expect_error(path, "not gzip-compressed", "a .gz name on a file that is neither gzip nor IDX");
    idx_make(&x, 0x0D, 3, d322, pix, 12);
    write_gz("float.gz", x.b, x.n, path, sizeof path);
    expect_error(path, "unsupported IDX type code 0x0d", "type code 0x0D (float)");
    const uint32_t d5[5] = {1, 1, 1, 1, 1};
    idx_make(&x, 0x08, 5, d5, pix, 1);
    write_plain("five", x.b, x.n, path, sizeof path);
    expect_error(path, "unsupported number of dimensions 5", "5 dimensions");
    idx_make(&x, 0x08, 0, d5, pix, 1);
    write_plain("zero", x.b, x.n, path, sizeof path);
    expect_error(path, "unsupported number of dimensions 0", "0 dimensions");
    const uint32_t d30[2] = {3, 0};
    idx_make(&x, 0x08, 2, d30, pix, 0);
    write_plain("zerodim", x.b, x.n, path, sizeof path);
    expect_error(path, "dimension 2 is 0", "a zero dimension");
    idx_make(&x, 0x08, 3, d322, pix, 12);
    write_plain("hdr", x.b, 10, path, sizeof path);
    expect_error(path, "truncated: expected 12 bytes of dimensions", "header cut inside the dimensions");
    write_plain("empty", "", 0, path, sizeof path);
    expect_error(path, "empty file", "empty file");
    unsigned char more[15];
    memcpy(more, pix, 12), more[12] = more[13] = more[14] = 7;
    idx_make(&x, 0x08, 3, d322, more, 15);
    write_plain("trail", x.b, x.n, path, sizeof path);
    expect_error(path, "3 trailing bytes after the 12 bytes", "plain, 3 trailing bytes");
    write_gz("trail.gz", x.b, x.n, path, sizeof path);
    expect_error(path, "3 trailing bytes after the 12 bytes", "gzipped, 3 trailing bytes");
    path_of("does-not-exist.gz", path, sizeof path);
    expect_error(path, "cannot open: No such file", "missing file");
    {   /* a header announcing 4 GB in a 20-byte file: rejected without reading 4 GB */
        const uint32_t big[3] = {60000, 280, 280};
        idx_make(&x, 0x08, 3, big, pix, 4);
        write_plain("huge", x.b, x.n, path, sizeof path);
        expect_error(path, "truncated: expected 4704000000 bytes of data, found 4", "header announcing 4.7 GB");
    }

    /* (c) MNIST-format directories */
    char sub[600];
    const char *toy = "toy";
    snprintf(sub, sizeof sub, "%s/%s", dir, toy);
    TAP_REQUIRE(mkdir(sub, 0700) == 0);
    const uint32_t dt[3] = {2, 2, 2};
    static const unsigned char tpix[8] = {255, 0, 51, 102, 1, 2, 3, 4};
    static const unsigned char tlab[2] = {7, 0};
    const uint32_t d2[1] = {2};
    idx_make(&x, 0x08, 3, d322, pix, 12);
    write_gz("toy/train-images-idx3-ubyte.gz", x.b, x.n, path, sizeof path);
    idx_make(&x, 0x08, 1, d3, lab3, 3);
    write_plain("toy/train-labels-idx1-ubyte", x.b, x.n, path, sizeof path);
    idx_make(&x, 0x08, 3, dt, tpix, 8);
    write_plain("toy/t10k-images-idx3-ubyte", x.b, x.n, path, sizeof path);
    idx_make(&x, 0x08, 1, d2, tlab, 2);
    write_gz("toy/t10k-labels-idx1-ubyte.gz", x.b, x.n, path, sizeof path);
    pb_data tr, te;
    pb_mnist_info info;
    st = pb_mnist_load(sub, "toy", &tr, &te, &info);
    if (st) diag("%s", pb_last_error());
    ok(st == 0, "toy directory (plain and gzipped files mixed) loads");
    ok(tr.n == 3 && tr.d == 4 && tr.ydim == 1 && tr.n_classes == 10, "toy train: 3 x 4, ydim 1, 10 classes");
    ok(te.n == 2 && te.d == 4 && te.n_classes == 10, "toy test: 2 x 4");
    int exact = 1;
    for (size_t i = 0; i < 12; i++) exact &= tr.X[i] == pix[i] / 255.0;
    for (size_t i = 0; i < 8; i++) exact &= te.X[i] == tpix[i] / 255.0;
    ok(exact, "toy: every pixel is exactly byte/255");
    ok(tr.X[0] == 0.0 && tr.X[5] == 1.0 && te.X[0] == 1.0 && te.X[2] == 0.2 && te.X[3] == 0.4,
       "toy: 0 -> 0, 255 -> 1, 51 -> 0.2, 102 -> 0.4");
    ok(tr.y[0] == 0 && tr.y[1] == 9 && tr.y[2] == 3 && te.y[0] == 7 && te.y[1] == 0, "toy: labels 0 9 3 and 7 0");
    ok(!strcmp(tr.name, "toy/train") && !strcmp(te.name, "toy/test"), "toy: names toy/train, toy/test");
    {
        int idok = !strcmp(info.dir, sub);
        for (int i = 0; i < 4; i++) {
            size_t len;
            unsigned char *b = slurp(info.file[i].path, &len);
            idok &= info.file[i].bytes == len && info.file[i].fnv1a == pb_fnv1a(PB_FNV_OFFSET, b, len);
            free(b);
        }
        ok(idok, "toy: identification gives each file's size and FNV-1a of its bytes on disk");
        char line[2048];
        pb_mnist_describe(&info, line, sizeof line);
        ok(has(line, sub) && has(line, "train-images-idx3-ubyte.gz ") && has(line, "t10k-images-idx3-ubyte ") &&
           has(line, " bytes fnv1a64 "), "toy: description line (%s)", line);
    }
    pb_data_free(&tr), pb_data_free(&te);

    /* pb_dataset_open on the toy directory through the environment */
    pb_scaling sc;
    unsetenv(PB_MNIST_ENV);
    st = pb_dataset_open("mnist", "datasets", 1, 0.2, 1, &tr, &te, &sc);
    ok(st != 0 && has(pb_last_error(), "PB_MNIST_DIR") && tr.X == NULL && sc.x_mean == NULL,
       "mnist without PB_MNIST_DIR: says to set it (%s)", pb_last_error());
    setenv(PB_MNIST_ENV, sub, 1);
    st = pb_dataset_open("mnist", "datasets", 1, 0.5, 1, &tr, &te, &sc);
    if (st) diag("%s", pb_last_error());
    ok(st == 0 && tr.n == 3 && te.n == 2 && !strcmp(tr.name, "mnist/train"),
       "mnist from PB_MNIST_DIR: fixed train/test files (test fraction ignored)");
    ok(st == 0 && tr.X[5] == 1.0 && tr.X[4] == 128 / 255.0, "mnist: pixels not standardized");
    ok(st == 0 && sc.d == 4 && sc.ydim == 1 && sc.x_mean[0] == 0 && sc.x_mean[3] == 0 && sc.x_sd[0] == 1 &&
       sc.x_sd[3] == 1 && sc.y_mean[0] == 0 && sc.y_sd[0] == 1, "mnist: identity scaling (means 0, sds 1, d 4)");
    pb_data_free(&tr), pb_data_free(&te), pb_scaling_free(&sc);
    snprintf(p2, sizeof p2, "%s/nowhere", dir);
    setenv(PB_FASHION_MNIST_ENV, p2, 1);
    st = pb_dataset_open("fashion-mnist", "datasets", 1, 0.2, 1, &tr, &te, &sc);
    ok(st != 0 && has(pb_last_error(), PB_FASHION_MNIST_ENV) && has(pb_last_error(), p2),
       "fashion-mnist: a missing $PB_FASHION_MNIST_DIR is named (%s)", pb_last_error());
    setenv(PB_FASHION_MNIST_ENV, sub, 1);
    st = pb_dataset_open("fashion-mnist", "datasets", 1, 0.2, 1, &tr, &te, &sc);
    ok(st == 0 && tr.n == 3 && !strcmp(te.name, "fashion-mnist/test"), "fashion-mnist from $PB_FASHION_MNIST_DIR");
    pb_data_free(&tr), pb_data_free(&te), pb_scaling_free(&sc);
    unsetenv(PB_FASHION_MNIST_ENV);
    unsetenv(PB_MNIST_ENV);
    st = pb_dataset_load("fashion-mnist", "datasets", 1, &tr);
    ok(st != 0 && has(pb_last_error(), "pb_dataset_open"), "pb_dataset_load on fashion-mnist points to pb_dataset_open");

    /* a plain file is preferred to its .gz twin */
    idx_make(&x, 0x08, 1, d3, (const unsigned char[]){5, 5, 5}, 3);
    write_gz("toy/train-labels-idx1-ubyte.gz", x.b, x.n, path, sizeof path);
    st = pb_mnist_load(sub, "toy", &tr, &te, NULL);
    ok(st == 0 && tr.y[1] == 9, "plain file preferred to its .gz twin");
    pb_data_free(&tr), pb_data_free(&te);

    /* broken directories */
    snprintf(p2, sizeof p2, "%s/toy/train-labels-idx1-ubyte", dir);
    idx_make(&x, 0x08, 1, d2, lab3, 2);
    write_plain("toy/train-labels-idx1-ubyte", x.b, x.n, path, sizeof path);
    st = pb_mnist_load(sub, "toy", &tr, &te, NULL);
    ok(st != 0 && tr.X == NULL && te.X == NULL, "2 labels for 3 images: rejected");
    ok(has(pb_last_error(), p2) && has(pb_last_error(), "2 labels") && has(pb_last_error(), "3 images") &&
       has(pb_last_error(), "train-images-idx3-ubyte.gz"), "count mismatch: names both files and counts (%s)",
       pb_last_error());
    idx_make(&x, 0x08, 1, d3, (const unsigned char[]){0, 10, 3}, 3);
    write_plain("toy/train-labels-idx1-ubyte", x.b, x.n, path, sizeof path);
    st = pb_mnist_load(sub, "toy", &tr, &te, NULL);
    ok(st != 0 && has(pb_last_error(), p2) && has(pb_last_error(), "label 10 of item 1 is not a class 0-9"),
       "label 10 rejected (%s)", pb_last_error());
    idx_make(&x, 0x08, 3, d322, pix, 12);
    write_plain("toy/train-labels-idx1-ubyte", x.b, x.n, path, sizeof path);
    st = pb_mnist_load(sub, "toy", &tr, &te, NULL);
    ok(st != 0 && has(pb_last_error(), "expected labels (1 dimension)"), "labels with 3 dimensions rejected (%s)",
       pb_last_error());
    idx_make(&x, 0x08, 1, d3, lab3, 3);
    write_plain("toy/train-labels-idx1-ubyte", x.b, x.n, path, sizeof path);
    const uint32_t d133[3] = {1, 3, 3};
    idx_make(&x, 0x08, 3, d133, pix, 9);
    write_plain("toy/t10k-images-idx3-ubyte", x.b, x.n, path, sizeof path);
    idx_make(&x, 0x08, 1, (const uint32_t[]){1}, lab3, 1);
    write_plain("toy/t10k-labels-idx1-ubyte", x.b, x.n, path, sizeof path);
    st = pb_mnist_load(sub, "toy", &tr, &te, NULL);
    ok(st != 0 && has(pb_last_error(), "9 pixels") && has(pb_last_error(), "4 pixels"),
       "test images of another size rejected (%s)", pb_last_error());
    path_of("toy/t10k-labels-idx1-ubyte", path, sizeof path);
    TAP_REQUIRE(unlink(path) == 0);
    path_of("toy/t10k-labels-idx1-ubyte.gz", path, sizeof path);
    TAP_REQUIRE(unlink(path) == 0);
    st = pb_mnist_load(sub, "toy", &tr, &te, NULL);
    ok(st != 0 && has(pb_last_error(), "no t10k-labels-idx1-ubyte or t10k-labels-idx1-ubyte.gz"),
       "missing labels file named (%s)", pb_last_error());
    st = pb_mnist_load(p2, "toy", &tr, &te, NULL);
    ok(st != 0 && has(pb_last_error(), "not a directory"), "a file as directory rejected (%s)", pb_last_error());

    /* (d) pb_dataset_open on the tabular sets = the old sequence, bit for bit */
    compare_open("wine", 0.2, pb_seed("split", "wine", "", "", 3, "split"), 1);
    compare_open("boston", 0.2, pb_seed("split", "boston", "", "", 0, "split"), 1);
    compare_open("boston", 0.3, 77, 0);
    compare_open("synthetic", 0.2, 5, 1);
    st = pb_dataset_open("nosuch", "datasets", 1, 0.2, 1, &tr, &te, &sc);
    ok(st != 0 && has(pb_last_error(), "unknown dataset 'nosuch'") && has(pb_last_error(), "fashion-mnist") &&
       has(pb_last_error(), "mnist)"), "unknown dataset: message lists the MNIST-format sets (%s)", pb_last_error());

    /* (e) the real Fashion-MNIST, when installed */
    real_fashion_mnist();

    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0) diag("could not remove %s", dir);
    return done_testing();
}
