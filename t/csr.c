/* csr.c -- the sparse (CSR) form of a pruned MLP: predictions equal the
 * masked dense network's, size accounting, the .csr file (round trip,
 * corruption, truncation), the order-file score reader, and end to end
 * through the CLI (export, sparse-eval) on a small wine fit. */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "tap.h"
#include "formats/csr.h"
#include "formats/fit.h"
#include "models/mlp.h"
#include "formats/order.h"
#include "base/util.h"

static char dir[] = "/tmp/pb-csr-XXXXXX";
static char pb[1024], plugdir[1024], errfile[600], outfile[600];
static char errbuf[4096], outbuf[4096];

static int has(const char *hay, const char *needle) { return strstr(hay, needle) != NULL; }

static void path_of(const char *name, char *out, size_t len) { snprintf(out, len, "%s/%s", dir, name); }

/* ---- dense vs sparse ---- */

/* max over samples of max_c |s_ic - d_ic| / max_c |d_ic|: the error relative
 * to the size of each output vector (0/0 counts as 0). */
static double rel_err(const double *s, const double *d, size_t N, size_t C)
{
    double worst = 0;
    for (size_t i = 0; i < N; i++) {
        double e = 0, scale = 0;
        for (size_t c = 0; c < C; c++) {
            double a = fabs(s[i * C + c] - d[i * C + c]);
            if (!(a <= e)) e = a;   /* NaN propagates */
            if (fabs(d[i * C + c]) > scale) scale = fabs(d[i * C + c]);
        }
        double r = e == 0 ? 0 : scale > 0 ? e / scale : INFINITY;
        if (!(r <= worst)) worst = r;
    }
    return worst;
}

enum { CASE_LEVELS = 5 };
static const double levels[CASE_LEVELS] = {0, 0.3, 0.7, 0.95, 1.0};
static const char *special[] = {"an all-zero row in every layer", "layer 0 all zero", "last layer all zero",
                                "masked entries as -0.0"};
#define N_SPECIAL 4
#define N_CASES (CASE_LEVELS + N_SPECIAL)

/* w <- w0 with the case's mask applied; returns the number of nonzero weights. */
static size_t apply_case(const pb_mlp *m, const double *w0, double *w, int cs, gsl_rng *r)
{
    memcpy(w, w0, m->n_params * sizeof *w);
    size_t L = m->n_layers;
    for (size_t l = 0; l < L; l++) {
        size_t rows = m->dims[l + 1], cols = m->dims[l];
        double *W = w + m->w_off[l];
        for (size_t k = 0; k < rows * cols; k++) {
            int zero = 0;
            if (cs < CASE_LEVELS) zero = gsl_rng_uniform(r) < levels[cs];
            else if (cs == CASE_LEVELS) zero = k / cols == rows / 2;               /* middle row */
            else if (cs == CASE_LEVELS + 1) zero = l == 0;
            else if (cs == CASE_LEVELS + 2) zero = l == L - 1;
            else zero = gsl_rng_uniform(r) < 0.5;
            if (zero) W[k] = cs == CASE_LEVELS + 3 ? -0.0 : 0.0;
        }
    }
    size_t nnz = 0;
    for (size_t l = 0; l < L; l++)
        for (size_t k = 0; k < m->dims[l + 1] * m->dims[l]; k++) nnz += w[m->w_off[l] + k] != 0;
    return nnz;
}

static const char *case_name(int cs, char *buf, size_t len)
{
    if (cs < CASE_LEVELS) snprintf(buf, len, "%.0f%% of the weights zeroed", 100 * levels[cs]);
    else snprintf(buf, len, "%s", special[cs - CASE_LEVELS]);
    return buf;
}

/* For each spec and case: sparse predictions within 1e-12 relative of the
 * masked dense network's, and the nonzero count; then, per spec, the
 * dense buffer back from the CSR form is bitwise the masked one (up to the
 * sign of zeros). */
static void check_predictions(const char *spec, gsl_rng *r)
{
    pb_mlp *m;
    TAP_REQUIRE(pb_mlp_parse(spec, &m) == PB_OK);
    size_t n = m->n_params, N = 23, d0 = pb_mlp_in_dim(m), C = pb_mlp_out_dim(m);
    double *w0 = calloc(n, sizeof *w0), *w = calloc(n, sizeof *w), *back = calloc(n, sizeof *back);
    double *X = calloc(N * d0, sizeof *X), *dense = calloc(N * C, sizeof *dense), *sparse = calloc(N * C, sizeof *sparse);
    TAP_REQUIRE(w0 && w && back && X && dense && sparse);
    pb_mlp_init(m, w0, r);
    for (size_t l = 0; l < m->n_layers; l++)        /* nonzero biases, so empty rows still carry a value */
        for (size_t j = 0; j < m->dims[l + 1]; j++) w0[m->b_off[l] + j] = gsl_ran_gaussian(r, 0.5);
    for (size_t k = 0; k < N * d0; k++) X[k] = gsl_ran_gaussian(r, 1.5);
    pb_mlp_ws *ws = pb_mlp_ws_alloc(m, 8);  /* several batches */
    TAP_REQUIRE(ws != NULL);
    int back_ok = 1;
    for (int cs = 0; cs < N_CASES; cs++) {
        size_t nnz = apply_case(m, w0, w, cs, r);
        TAP_REQUIRE(pb_mlp_predict(m, ws, w, X, N, dense) == PB_OK);
        pb_csr_net net;
        TAP_REQUIRE(pb_csr_from_dense(m, w, &net) == PB_OK);
        TAP_REQUIRE(pb_csr_predict(&net, X, N, sparse) == PB_OK);
        double e = rel_err(sparse, dense, N, C);
        char name[96];
        ok(e <= 1e-12 && pb_csr_nnz(&net) == nnz, "%s, %s: sparse = dense within %.1e relative, nnz %zu (expected %zu)",
           spec, case_name(cs, name, sizeof name), e, pb_csr_nnz(&net), nnz);
        TAP_REQUIRE(pb_csr_n_params(&net) == n);
        pb_csr_to_dense(&net, back);
        for (size_t j = 0; j < n; j++) back_ok &= back[j] == w[j] && (w[j] == 0 || !memcmp(&back[j], &w[j], sizeof *w));
        pb_csr_free(&net);
    }
    ok(back_ok, "%s: pb_csr_to_dense gives back the masked buffer in every case", spec);
    pb_mlp_ws_free(ws);
    free(w0); free(w); free(back); free(X); free(dense); free(sparse);
    pb_mlp_free(m);
}

/* ---- files ---- */

static size_t read_bytes(const char *path, unsigned char *buf, size_t cap)
{
    FILE *f = fopen(path, "rb");
    TAP_REQUIRE(f != NULL);
    size_t n = fread(buf, 1, cap, f);
    fclose(f);
    return n;
}

static void write_bytes(const char *path, const unsigned char *buf, size_t len)
{
    FILE *f = fopen(path, "wb");
    TAP_REQUIRE(f != NULL);
    TAP_REQUIRE(fwrite(buf, 1, len, f) == len);
    TAP_REQUIRE(fclose(f) == 0);
}

static void fix_checksum(unsigned char *buf, size_t len)
{
    uint64_t h = pb_fnv1a(PB_FNV_OFFSET, buf, len - 8);
    memcpy(buf + len - 8, &h, 8);
}

/* pb_csr_load fails with one line that starts with the path and contains want. */
static void expect_load_error(const char *name, const unsigned char *buf, size_t len, const char *want, const char *what)
{
    char path[700];
    path_of(name, path, sizeof path);
    write_bytes(path, buf, len);
    pb_csr_net net;
    memset(&net, 0xab, sizeof net);
    int st = pb_csr_load(path, &net);
    const char *e = pb_last_error();
    ok(st != 0 && !strncmp(e, path, strlen(path)) && has(e, want) && !strchr(e, '\n') && net.layers == NULL,
       "%s: rejected with '%s'", what, e);
}

static int same_net(const pb_csr_net *a, const pb_csr_net *b)
{
    if (strcmp(a->spec, b->spec) || a->act != b->act || a->head != b->head || a->n_layers != b->n_layers ||
        a->max_dim != b->max_dim)
        return 0;
    for (size_t l = 0; l < a->n_layers; l++) {
        const pb_csr_layer *x = &a->layers[l], *y = &b->layers[l];
        if (x->rows != y->rows || x->cols != y->cols || x->nnz != y->nnz) return 0;
        if (memcmp(x->row_ptr, y->row_ptr, (x->rows + 1) * sizeof *x->row_ptr) ||
            memcmp(x->col, y->col, x->nnz * sizeof *x->col) || memcmp(x->val, y->val, x->nnz * sizeof *x->val) ||
            memcmp(x->bias, y->bias, x->rows * sizeof *x->bias))
            return 0;
    }
    return 1;
}

static size_t count_tmp_files(void)
{
    DIR *d = opendir(dir);
    TAP_REQUIRE(d != NULL);
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d))) n += strstr(e->d_name, ".tmp.") != NULL;
    closedir(d);
    return n;
}

/* ---- CLI ---- */

static void slurp(const char *path, char *buf, size_t cap)
{
    buf[0] = '\0';
    FILE *f = fopen(path, "r");
    if (!f) return;
    size_t n = fread(buf, 1, cap - 1, f);
    buf[n] = '\0';
    fclose(f);
}

/* Run "prunebench <args>"; stdout in outbuf, stderr in errbuf. Exit status or -1. */
static int run(const char *args)
{
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "'%s' %s >'%s' 2>'%s'", pb, args, outfile, errfile);
    int rc = system(cmd);
    slurp(outfile, outbuf, sizeof outbuf);
    slurp(errfile, errbuf, sizeof errbuf);
    if (rc == -1 || !WIFEXITED(rc)) return -1;
    return WEXITSTATUS(rc);
}

static int one_error_line(void)
{
    size_t len = strlen(errbuf);
    return !strncmp(errbuf, "prunebench: ", 12) && len > 12 && errbuf[len - 1] == '\n' &&
           strchr(errbuf, '\n') == errbuf + len - 1;
}

/* The quality and aux columns of the curve row at requested fraction f, as printed. */
static int curve_row(const char *path, double f, char *q, char *aux)
{
    FILE *fp = fopen(path, "r");
    if (!fp) return 0;
    char line[1024];
    int found = 0, header = 0;
    while (!found && fgets(line, sizeof line, fp)) {
        if (line[0] == '#') continue;
        if (!header) { header = 1; continue; }
        double req;
        char a[64], b[64], c[64], d[64];
        if (sscanf(line, "%lf\t%63s\t%63s\t%63s\t%63s", &req, a, b, c, d) == 5 && req == f)
            strcpy(q, c), strcpy(aux, d), found = 1;
    }
    fclose(fp);
    return found;
}

int main(void)
{
    plan(150);
    TAP_REQUIRE(mkdtemp(dir) != NULL);
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 20240);

    /* 1. predictions: 9 specs x 9 cases + 9 round trips to dense = 90 */
    const char *specs[] = {"mlp:6-9-5-3:tanh", "mlp:6-9-5-3:relu", "mlp:6-9-5-3:identity", "mlp:6-9-5-2:tanh:mse",
                           "mlp:6-9-5-2:relu:mse", "mlp:6-9-5-2:identity:mse", "mlp:4-3:tanh", "mlp:40-1:relu:mse", "mlp:64-48-10:relu"};
    for (size_t i = 0; i < sizeof specs / sizeof *specs; i++) check_predictions(specs[i], r);

    /* 2. size accounting by hand: mlp:3-2-2:tanh, 14 parameters
     *   W0 = [1 0 2; 0 0 0], b0 = [0.5 0], W1 = [0 3; 0 0], b1 = [0 -1]
     * layer 0: 2 values (16) + 2 cols (8) + 3 row pointers (12) + 2 biases (16) = 52
     * layer 1: 1 value (8) + 1 col (4) + 3 row pointers (12) + 2 biases (16) = 40
     * sparse 92 bytes, dense 14 x 8 = 112 bytes.
     * file: 24 header + payload (4 + 14 spec + 4 L + layer 0: 12 + 12 + 8 + 16 + 16
     *       + layer 1: 12 + 12 + 4 + 8 + 16 = 138) + 8 checksum = 170 bytes */
    pb_mlp *small;
    TAP_REQUIRE(pb_mlp_parse("mlp:3-2-2:tanh", &small) == PB_OK);
    const double ws_small[14] = {1, 0, 2, 0, 0, 0, 0.5, 0, 0, 3, 0, 0, 0, -1};
    pb_csr_net sn;
    TAP_REQUIRE(pb_csr_from_dense(small, ws_small, &sn) == PB_OK);
    const pb_csr_layer *l0 = &sn.layers[0], *l1 = &sn.layers[1];
    ok(l0->nnz == 2 && l1->nnz == 1 && pb_csr_nnz(&sn) == 3, "hand case: nnz 2 and 1");
    ok(l0->row_ptr[0] == 0 && l0->row_ptr[1] == 2 && l0->row_ptr[2] == 2 && l0->col[0] == 0 && l0->col[1] == 2 &&
           l0->val[0] == 1 && l0->val[1] == 2 && l1->row_ptr[0] == 0 && l1->row_ptr[1] == 1 && l1->row_ptr[2] == 1 &&
           l1->col[0] == 1 && l1->val[0] == 3 && l0->bias[0] == 0.5 && l1->bias[1] == -1,
       "hand case: row pointers {0,2,2} {0,1,1}, columns {0,2} {1}, values {1,2} {3}, biases");
    is_int((long long)pb_csr_sparse_bytes(&sn), 92, "hand case: sparse bytes 52 + 40 = 92");
    is_int((long long)pb_csr_dense_bytes(&sn), 112, "hand case: dense bytes 14 x 8 = 112");
    is_int((long long)pb_csr_nonzero_biases(&sn), 2, "hand case: 2 nonzero biases");
    char p_small[700];
    path_of("small.csr", p_small, sizeof p_small);
    TAP_REQUIRE(pb_csr_save(&sn, p_small) == PB_OK);
    unsigned char fbuf[1 << 16];
    is_int((long long)read_bytes(p_small, fbuf, sizeof fbuf), 170, "hand case: file is 24 + 138 + 8 = 170 bytes");
    pb_csr_free(&sn);
    pb_mlp_free(small);

    /* 3. file round trip: a relu network with a third of its weights zeroed */
    pb_mlp *m;
    TAP_REQUIRE(pb_mlp_parse("mlp:7-11-4-3:relu", &m) == PB_OK);
    double *w = calloc(m->n_params, sizeof *w);
    TAP_REQUIRE(w != NULL);
    pb_mlp_init(m, w, r);
    for (size_t j = 0; j < m->n_params; j++)
        if (gsl_rng_uniform(r) < 0.33) w[j] = 0;
        else if (w[j] == 0) w[j] = gsl_ran_gaussian(r, 1);
    pb_csr_net a, b;
    TAP_REQUIRE(pb_csr_from_dense(m, w, &a) == PB_OK);
    char p_a[700], p_b[700];
    path_of("a.csr", p_a, sizeof p_a);
    path_of("b.csr", p_b, sizeof p_b);
    ok(pb_csr_save(&a, p_a) == PB_OK, "save a.csr");
    int st = pb_csr_load(p_a, &b);
    ok(st == PB_OK, "load a.csr%s%s", st ? ": " : "", st ? pb_last_error() : "");
    ok(!st && same_net(&a, &b), "round trip: spec, activation, head, dims and every array bitwise equal");
    {
        double X[5 * 7], pa[5 * 3], pbb[5 * 3];
        for (size_t k = 0; k < 5 * 7; k++) X[k] = gsl_ran_gaussian(r, 1);
        TAP_REQUIRE(pb_csr_predict(&a, X, 5, pa) == PB_OK && pb_csr_predict(&b, X, 5, pbb) == PB_OK);
        ok(!memcmp(pa, pbb, sizeof pa), "round trip: predictions bitwise equal");
    }
    TAP_REQUIRE(pb_csr_save(&b, p_b) == PB_OK);
    unsigned char buf2[1 << 16];
    size_t len = read_bytes(p_a, fbuf, sizeof fbuf), len2 = read_bytes(p_b, buf2, sizeof buf2);
    ok(len == len2 && !memcmp(fbuf, buf2, len), "saving the loaded network gives the same %zu bytes", len);
    ok(count_tmp_files() == 0, "no '*.tmp.*' files left behind");
    pb_csr_free(&b);

    /* 4. corruption and truncation: each rejected with one line naming the file */
    unsigned char bad[1 << 16];
    memcpy(bad, fbuf, len);
    bad[0] ^= 0x20;
    expect_load_error("magic.csr", bad, len, "not a prunebench sparse network file (bad magic number)", "bad magic");
    memcpy(bad, fbuf, len);
    bad[8] = 2;
    expect_load_error("version.csr", bad, len, "version 2, this build reads version 1", "version 2");
    memcpy(bad, fbuf, len);
    bad[12] = 1, bad[13] = 2, bad[14] = 3, bad[15] = 4;  /* 0x01020304 written big-endian */
    expect_load_error("order.csr", bad, len, "another byte order", "byte-order mark swapped");
    const size_t cuts[] = {0, 5, 20, 31, 40, len - 9, len - 1};
    for (size_t i = 0; i < sizeof cuts / sizeof *cuts; i++) {
        char name[64], what[64];
        snprintf(name, sizeof name, "cut%zu.csr", cuts[i]);
        snprintf(what, sizeof what, "truncated to %zu of %zu bytes", cuts[i], len);
        expect_load_error(name, fbuf, cuts[i], "truncated sparse network file", what);
    }
    memcpy(bad, fbuf, len);
    bad[len] = 0;
    expect_load_error("trail.csr", bad, len + 1, "padded sparse network file: 1 trailing bytes", "one byte appended");
    memcpy(bad, fbuf, len);
    bad[len / 2] ^= 0x01;
    expect_load_error("flip.csr", bad, len, "corrupt (checksum mismatch)", "one payload bit flipped");
    memcpy(bad, fbuf, len);
    bad[len - 3] ^= 0x80;
    expect_load_error("sum.csr", bad, len, "corrupt (checksum mismatch)", "checksum bit flipped");
    /* payload edits with a recomputed checksum: the structural checks.
     * Layout: 24 header, 4 + 17 spec "mlp:7-11-4-3:relu", 4 L, then layer 0:
     * rows, cols, nnz at 49, 53, 57 and row_ptr from 61. */
    TAP_REQUIRE(strlen(a.spec) == 17);
    {
        uint32_t nnz0 = a.layers[0].nnz, v;
        memcpy(&v, fbuf + 57, 4);
        TAP_REQUIRE(v == nnz0);
        size_t col0 = 61 + 4 * (a.layers[0].rows + 1);
        memcpy(bad, fbuf, len);
        v = 7;  /* a column index equal to cols */
        memcpy(bad + col0, &v, 4);
        fix_checksum(bad, len);
        expect_load_error("col.csr", bad, len, "column index 7 out of range 0..6", "column index out of range");
        memcpy(bad, fbuf, len);
        v = nnz0 - 1;  /* last row pointer != nnz */
        memcpy(bad + 61 + 4 * a.layers[0].rows, &v, 4);
        fix_checksum(bad, len);
        expect_load_error("rowptr.csr", bad, len, "row pointers run", "last row pointer != nnz");
        memcpy(bad, fbuf, len);
        v = 12;  /* rows of layer 0 disagree with the spec */
        memcpy(bad + 49, &v, 4);
        fix_checksum(bad, len);
        expect_load_error("dims.csr", bad, len, "layer 0 is 12 x 7, model mlp:7-11-4-3:relu needs 11 x 7",
                          "layer dims disagree with the spec");
        memcpy(bad, fbuf, len);
        bad[32] = '9';  /* "mlp:7-11-..." -> "mlp:9-11-...": dims disagree */
        fix_checksum(bad, len);
        expect_load_error("spec.csr", bad, len, "needs 11 x 9", "spec edited");
    }
    {
        char p_none[700];
        path_of("none.csr", p_none, sizeof p_none);
        pb_csr_net net;
        st = pb_csr_load(p_none, &net);
        ok(st == PB_ERR_IO && has(pb_last_error(), "cannot open sparse network file"), "missing file: '%s'",
           pb_last_error());
    }
    pb_csr_free(&a);
    free(w);
    pb_mlp_free(m);

    /* 5. the order-file score reader */
    {
        char p_ord[700];
        path_of("o.tsv", p_ord, sizeof p_ord);
        FILE *f = fopen(p_ord, "w");
        TAP_REQUIRE(f != NULL);
        fputs("# method: x\nrank\tindex\ttensor\tscore\n0\t4\tW0\t-5.5\n1\t0\tW0\tNA\n2\t9\tW1\t1e-310\n3\t2\tW0\t3\n", f);
        TAP_REQUIRE(fclose(f) == 0);
        size_t *ord, no, *ord2, no2;
        double *sc;
        char meth[16];
        st = pb_order_read_scores(p_ord, 14, &ord, &sc, &no, meth, sizeof meth);
        ok(!st && no == 4 && ord[0] == 4 && ord[2] == 9 && sc[0] == -5.5 && isnan(sc[1]) && sc[2] == 1e-310 &&
               sc[3] == 3 && !strcmp(meth, "x"),
           "pb_order_read_scores: indices, scores per rank, NA as NaN, a subnormal score");
        st = pb_order_read(p_ord, 14, &ord2, &no2, NULL, 0);
        ok(!st && no2 == 4 && !memcmp(ord, ord2, 4 * sizeof *ord), "pb_order_read on the same file: the same order");
        free(ord); free(sc); free(ord2);
        f = fopen(p_ord, "w");
        TAP_REQUIRE(f != NULL);
        fputs("rank\tindex\n0\t4\n", f);
        TAP_REQUIRE(fclose(f) == 0);
        st = pb_order_read_scores(p_ord, 14, &ord, &sc, &no, NULL, 0);
        ok(st && ord == NULL && sc == NULL && has(pb_last_error(), ":2:4: missing score column"),
           "no score column: '%s'", pb_last_error());
        st = pb_order_read(p_ord, 14, &ord, &no, NULL, 0);
        ok(!st && no == 1, "pb_order_read still reads an order without scores");
        free(ord);
    }

    /* 6. end to end: train wine 30 epochs, rank obd, curve, export at 0.5, sparse-eval */
    const char *bdir = getenv("PB_BUILD") ? getenv("PB_BUILD") : "build";
    snprintf(pb, sizeof pb, "%s/prunebench", bdir);
    snprintf(plugdir, sizeof plugdir, "%s/plugins", bdir);
    snprintf(errfile, sizeof errfile, "%s/stderr.txt", dir);
    snprintf(outfile, sizeof outfile, "%s/stdout.txt", dir);
    TAP_REQUIRE(access(pb, X_OK) == 0);
    char args[3000];
    snprintf(args, sizeof args, "train --data wine --model mlp:13-13-3:tanh --epochs 30 --data-dir datasets -o '%s/w.fit'",
             dir);
    int rc = run(args);
    ok(rc == 0, "train wine mlp:13-13-3:tanh, 30 epochs%s%s", rc ? ": " : "", errbuf);
    snprintf(args, sizeof args, "rank --fit '%s/w.fit' --method obd --plugin-dir '%s' -o '%s/obd.tsv'", dir, plugdir, dir);
    rc = run(args);
    ok(rc == 0, "rank obd%s%s", rc ? ": " : "", errbuf);
    snprintf(args, sizeof args, "curve --fit '%s/w.fit' --order '%s/obd.tsv' --fractions 0,0.5,1 -o '%s/c.tsv'", dir, dir,
             dir);
    char cq[64] = "", caux[64] = "", p_curve[700];
    path_of("c.tsv", p_curve, sizeof p_curve);
    ok(run(args) == 0 && curve_row(p_curve, 0.5, cq, caux), "curve at 0, 0.5, 1: quality %s at 0.5", cq);
    snprintf(args, sizeof args, "export --fit '%s/w.fit' --order '%s/obd.tsv' --fraction 0.5 -o '%s/w.csr'", dir, dir, dir);
    rc = run(args);
    diag("%.*s", (int)strcspn(outbuf, "\n"), outbuf);
    size_t sparse_b = 0, dense_b = 0;
    const char *sb = strstr(outbuf, "; sparse ");
    ok(rc == 0 && errbuf[0] == '\0' && has(outbuf, "removed 104 of 208 (fraction 0.5)") &&
           has(outbuf, "total nnz 104/208") && strchr(outbuf, '\n') == outbuf + strlen(outbuf) - 1 && sb &&
           sscanf(sb, "; sparse %zu bytes vs dense %zu bytes", &sparse_b, &dense_b) == 2,
       "export --fraction 0.5: one line, 104 of 208 removed, total nnz 104/208");
    {
        /* the exported network is P1's network at 0.5: the fit's means with the first 104 of the order zeroed */
        pb_fit fit;
        char p_fit[700], p_w[700], p_ref[700];
        path_of("w.fit", p_fit, sizeof p_fit);
        path_of("w.csr", p_w, sizeof p_w);
        path_of("ref.csr", p_ref, sizeof p_ref);
        TAP_REQUIRE(pb_fit_load(p_fit, &fit) == PB_OK);
        pb_mlp *wm;
        TAP_REQUIRE(pb_mlp_parse(fit.model, &wm) == PB_OK);
        size_t *ord, no;
        char p_obd[700];
        path_of("obd.tsv", p_obd, sizeof p_obd);
        TAP_REQUIRE(pb_order_read(p_obd, wm->n_params, &ord, &no, NULL, 0) == PB_OK && no == 208);
        for (size_t k = 0; k < 104; k++) fit.mean[ord[k]] = 0;
        pb_csr_net ref, got;
        TAP_REQUIRE(pb_csr_from_dense(wm, fit.mean, &ref) == PB_OK && pb_csr_save(&ref, p_ref) == PB_OK);
        st = pb_csr_load(p_w, &got);
        ok(!st && same_net(&ref, &got), "w.csr is bitwise the fit's means with the first 104 of the obd order zeroed");
        ok(sparse_b == pb_csr_sparse_bytes(&ref) && dense_b == 1792 && sparse_b < dense_b,
           "printed sizes: sparse %zu bytes (expected %zu) vs dense %zu (224 x 8 = 1792)", sparse_b,
           pb_csr_sparse_bytes(&ref), dense_b);
        if (!st) pb_csr_free(&got);
        pb_csr_free(&ref);
        free(ord);
        pb_mlp_free(wm);
        pb_fit_free(&fit);
    }
    snprintf(args, sizeof args, "sparse-eval --net '%s/w.csr' --fit '%s/w.fit'", dir, dir);
    rc = run(args);
    diag("%.*s", (int)strcspn(outbuf, "\n"), outbuf);
    char sq[64] = "", saux[64] = "";
    ok(rc == 0 && sscanf(outbuf, "sparse-eval: accuracy %63s (test_nll %63[^;]", sq, saux) == 2 && !strcmp(sq, cq),
       "sparse-eval: accuracy %s, the curve's %s at 0.5", sq, cq);
    ok(fabs(atof(saux) - atof(caux)) <= 1e-9 * fabs(atof(caux)), "sparse-eval: test NLL %s, the curve's %s", saux, caux);

    /* --score-below: with X the score at rank 104, the parameters scored below X are ranks 0..103 */
    {
        pb_mlp *wm;
        TAP_REQUIRE(pb_mlp_parse("mlp:13-13-3:tanh", &wm) == PB_OK);
        size_t *ord, no;
        double *sc;
        char p_obd[700];
        path_of("obd.tsv", p_obd, sizeof p_obd);
        TAP_REQUIRE(pb_order_read_scores(p_obd, wm->n_params, &ord, &sc, &no, NULL, 0) == PB_OK && no == 208);
        if (sc[103] < sc[104]) {
            snprintf(args, sizeof args, "export --fit '%s/w.fit' --order '%s/obd.tsv' --score-below %.17g -o '%s/s.csr'",
                     dir, dir, sc[104], dir);
            rc = run(args);
            diag("%.*s", (int)strcspn(outbuf, "\n"), outbuf);
            char p_s[700], p_w[700];
            path_of("s.csr", p_s, sizeof p_s);
            path_of("w.csr", p_w, sizeof p_w);
            size_t ls = read_bytes(p_s, fbuf, sizeof fbuf), lw = read_bytes(p_w, buf2, sizeof buf2);
            ok(rc == 0 && has(outbuf, "removed 104 of 208 (score < 0.0") && ls == lw && !memcmp(fbuf, buf2, ls),
               "--score-below (score at rank 104): 104 removed, the same file as --fraction 0.5");
        } else {
            skip(1, "obd scores tie at ranks 103/104");
        }
        snprintf(args, sizeof args, "export --fit '%s/w.fit' --order '%s/obd.tsv' --score-below -1e300 -o '%s/s0.csr'", dir,
                 dir, dir);
        ok(run(args) == 0 && has(outbuf, "removed 0 of 208") && has(outbuf, "total nnz 208/208") &&
               has(outbuf, "compression 224/224 = 1x"),
           "--score-below -1e300: nothing removed, compression 1x");
        {
            /* --operating-point: the threshold of the method the order names (svd: -3), the same network as
             * --score-below -3 (the obd order relabelled as svd's: only its scores are read) */
            char p_sv[700], line[4096];
            path_of("svd.tsv", p_sv, sizeof p_sv);
            FILE *in = fopen(p_obd, "r"), *out = fopen(p_sv, "w");
            TAP_REQUIRE(in && out);
            /* scores rewritten to (rank - 104) / 20, so -3 removes ranks 0..43 and 0 would remove 104 */
            while (fgets(line, sizeof line, in)) {
                size_t rk, ix;
                char tn[64];
                if (!strncmp(line, "# method: ", 10)) fputs("# method: svd\n", out);
                else if (sscanf(line, "%zu\t%zu\t%63s", &rk, &ix, tn) == 3)
                    fprintf(out, "%zu\t%zu\t%s\t%.17g\n", rk, ix, tn, ((double)rk - 104.0) / 20.0);
                else fputs(line, out);
            }
            fclose(in), fclose(out);
            snprintf(args, sizeof args, "export --fit '%s/w.fit' --order '%s/svd.tsv' --score-below -3 -o '%s/m3.csr'", dir,
                     dir, dir);
            int r1 = run(args);
            char first[512];
            snprintf(first, sizeof first, "%.*s", (int)strcspn(outbuf, ";"), outbuf);
            snprintf(args, sizeof args, "export --fit '%s/w.fit' --order '%s/svd.tsv' --operating-point --plugin-dir '%s/plugins' "
                     "-o '%s/op.csr'", dir, dir, bdir, dir);
            int r2 = run(args);
            char p_m3[700], p_op[700];
            path_of("m3.csr", p_m3, sizeof p_m3);
            path_of("op.csr", p_op, sizeof p_op);
            size_t lm3 = read_bytes(p_m3, fbuf, sizeof fbuf), lop = read_bytes(p_op, buf2, sizeof buf2);
            ok(r1 == 0 && r2 == 0 && lm3 == lop && !memcmp(fbuf, buf2, lm3) && has(first, "removed 44 of 208") &&
                   has(outbuf, "removed 44 of 208"),
               "--operating-point of svd's order removes what --score-below -3 removes (%s)", first);
        }
        snprintf(args, sizeof args, "export --fit '%s/w.fit' --order '%s/obd.tsv' --fraction 1 -o '%s/f1.csr'", dir, dir, dir);
        ok(run(args) == 0 && has(outbuf, "W0 nnz 0/169 (100.0% sparse), W1 nnz 0/39 (100.0% sparse)") &&
               has(outbuf, "sparse 200 bytes vs dense 1792 bytes"),
           "--fraction 1: every layer empty, 200 bytes (row pointers and biases)");
        snprintf(args, sizeof args, "sparse-eval --net '%s/f1.csr' --fit '%s/w.fit'", dir, dir);
        ok(run(args) == 0 && curve_row(p_curve, 1, cq, caux) && sscanf(outbuf, "sparse-eval: accuracy %63s", sq) == 1 &&
               !strcmp(sq, cq),
           "sparse-eval with every weight removed: accuracy %s, the curve's %s at 1", sq, cq);
        free(ord);
        free(sc);
        pb_mlp_free(wm);
    }

    /* CLI errors: exit 1, one line, no output file */
    {
        /* a network of another model, and a corrupt copy of w.csr */
        pb_mlp *om;
        TAP_REQUIRE(pb_mlp_parse("mlp:13-5-3:tanh", &om) == PB_OK);
        double *ow = calloc(om->n_params, sizeof *ow);
        TAP_REQUIRE(ow != NULL);
        pb_csr_net on;
        char p_o[700], p_w[700], p_bad[700];
        path_of("other.csr", p_o, sizeof p_o);
        TAP_REQUIRE(pb_csr_from_dense(om, ow, &on) == PB_OK && pb_csr_save(&on, p_o) == PB_OK);
        pb_csr_free(&on);
        free(ow);
        pb_mlp_free(om);
        path_of("w.csr", p_w, sizeof p_w);
        path_of("wbad.csr", p_bad, sizeof p_bad);
        len = read_bytes(p_w, fbuf, sizeof fbuf);
        fbuf[100] ^= 0x04;
        write_bytes(p_bad, fbuf, len);
        path_of("wcut.csr", p_bad, sizeof p_bad);
        write_bytes(p_bad, fbuf, len / 2);
    }
    struct { const char *args, *want, *out, *what; } err[] = {
        {"export --fit '%s/w.fit' --order '%s/obd.tsv' --fraction 0.5 --score-below -3 -o '%s/x.csr'", "exactly one of",
         "x.csr", "both --fraction and --score-below"},
        {"export --fit '%s/w.fit' --order '%s/obd.tsv' -o '%s/x.csr'", "exactly one of", "x.csr",
         "neither --fraction nor --score-below"},
        {"export --fit '%s/w.fit' --order '%s/obd.tsv' --fraction 0:0.5:1 -o '%s/x.csr'", "expected one number", "x.csr",
         "a fraction list"},
        {"export --fit '%s/w.fit' --order '%s/obd.tsv' --fraction 1.5 -o '%s/x.csr'", "fractions '1.5'", "x.csr",
         "fraction out of range"},
        {"export --fit '%s/w.fit' --order '%s/obd.tsv' --score-below abc -o '%s/x.csr'", "--score-below abc", "x.csr",
         "score not a number"},
        {"export --fit '%s/w.fit' --order '%s/c.tsv' --fraction 0.5 -o '%s/x.csr'", "expected the column header", "x.csr",
         "a curve file as the order"},
        {"export --fit '%s/w.fit' --order '%s/obd.tsv' --fraction 0.5", "missing required option -o", NULL, "missing -o"},
        {"sparse-eval --net '%s/wbad.csr' --fit '%s/w.fit'", "checksum mismatch", NULL, "corrupt .csr"},
        {"sparse-eval --net '%s/wcut.csr' --fit '%s/w.fit'", "truncated sparse network file", NULL, "truncated .csr"},
        {"sparse-eval --net '%s/w.fit' --fit '%s/w.fit'", "bad magic number", NULL, "a fit file as the network"},
        {"sparse-eval --net '%s/other.csr' --fit '%s/w.fit'", "holds a mlp:13-5-3:tanh network but", NULL,
         "network of another model"},
        {"sparse-eval --fit '%s/w.fit'", "missing required option --net", NULL, "missing --net"},
    };
    for (size_t i = 0; i < sizeof err / sizeof *err; i++) {
        snprintf(args, sizeof args, err[i].args, dir, dir, dir);
        rc = run(args);
        char p_out[700];
        int left = 0;
        if (err[i].out) {
            path_of(err[i].out, p_out, sizeof p_out);
            left = access(p_out, F_OK) == 0;
        }
        int good = rc == 1 && one_error_line() && has(errbuf, err[i].want) && !left && outbuf[0] == '\0';
        errbuf[strcspn(errbuf, "\n")] = '\0';
        ok(good, "%s: exit %d, one line '%s'", err[i].what, rc, errbuf);
    }
    ok(count_tmp_files() == 0, "no '*.tmp.*' files left behind by the CLI");

    gsl_rng_free(r);
    char cmd[800];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0) diag("could not remove %s", dir);
    return done_testing();
}
