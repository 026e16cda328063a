/* structure.c -- `prunebench structure` (protocol P4) end to end on a toy
 * sequential set: an LSTM trained with groupvd, its order, and the compact
 * network at thresholds that remove nothing, about half, and everything;
 * the TSV's counts agree with each other and with the order file; the gate
 * table has one row per kept unit and gate; errors are one line and leave no
 * output file. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tap.h"

static char dir[] = "/tmp/pb-structure-XXXXXX";
static char out_txt[8192], err_txt[8192];

static void write_idx(const char *name, int ndim, const uint32_t *dims, const unsigned char *data, size_t len)
{
    char p[512];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    FILE *f = fopen(p, "wb");
    TAP_REQUIRE(f != NULL);
    unsigned char h[4] = {0, 0, 8, (unsigned char)ndim};
    fwrite(h, 1, 4, f);
    for (int k = 0; k < ndim; k++) {
        unsigned char b[4] = {(unsigned char)(dims[k] >> 24), (unsigned char)(dims[k] >> 16), (unsigned char)(dims[k] >> 8),
                              (unsigned char)dims[k]};
        fwrite(b, 1, 4, f);
    }
    fwrite(data, 1, len, f);
    fclose(f);
}

static void slurp(const char *path, char *buf, size_t cap)
{
    FILE *f = fopen(path, "r");
    size_t n = f ? fread(buf, 1, cap - 1, f) : 0;
    buf[n] = '\0';
    if (f) fclose(f);
}

/* Run the CLI with args; stdout and stderr land in out_txt and err_txt. */
static int run(const char *args)
{
    const char *b = getenv("PB_BUILD") ? getenv("PB_BUILD") : "build";
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "%s/prunebench %s >%s/out.txt 2>%s/err.txt", b, args, dir, dir);
    int rc = system(cmd);
    char p[512];
    snprintf(p, sizeof p, "%s/out.txt", dir);
    slurp(p, out_txt, sizeof out_txt);
    snprintf(p, sizeof p, "%s/err.txt", dir);
    slurp(p, err_txt, sizeof err_txt);
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

/* value of `key` in a key<TAB>value TSV (NaN if absent) */
static double field(const char *file, const char *key)
{
    char p[512], line[512];
    snprintf(p, sizeof p, "%s/%s", dir, file);
    FILE *f = fopen(p, "r");
    if (!f) return NAN;
    double v = NAN;
    size_t kl = strlen(key);
    while (fgets(line, sizeof line, f))
        if (!strncmp(line, key, kl) && line[kl] == '\t') v = atof(line + kl + 1);
    fclose(f);
    return v;
}

static int exists(const char *file)
{
    char p[512];
    struct stat s;
    snprintf(p, sizeof p, "%s/%s", dir, file);
    return stat(p, &s) == 0;
}

static size_t data_rows(const char *file)
{
    char p[512], line[512];
    snprintf(p, sizeof p, "%s/%s", dir, file);
    FILE *f = fopen(p, "r");
    size_t n = 0;
    if (!f) return 0;
    while (fgets(line, sizeof line, f)) n += line[0] != '#';
    fclose(f);
    return n ? n - 1 : 0;  /* minus the column header */
}

/* the score at rank k of an order file */
static double score_at(const char *file, size_t k)
{
    char p[512], line[512];
    snprintf(p, sizeof p, "%s/%s", dir, file);
    FILE *f = fopen(p, "r");
    TAP_REQUIRE(f != NULL);
    double v = NAN;
    size_t r, ix;
    char t[64];
    double s;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "%zu\t%zu\t%63s\t%lf", &r, &ix, t, &s) == 4 && r == k) v = s;
    fclose(f);
    return v;
}

int main(void)
{
    plan(15);
    TAP_REQUIRE(mkdtemp(dir) != NULL);
    /* 4x4 images, 10 classes: class c lights pixel c (of 16) and its neighbour, plus noise */
    enum { NTR = 300, NTE = 60 };
    unsigned char *img = calloc((NTR + NTE) * 16, 1), lab[NTR + NTE];
    TAP_REQUIRE(img != NULL);
    unsigned s = 12345;
    for (int i = 0; i < NTR + NTE; i++) {
        int c = i % 10;
        lab[i] = (unsigned char)c;
        for (int p = 0; p < 16; p++) {
            s = s * 1103515245u + 12345u;
            img[i * 16 + p] = (unsigned char)((s >> 16) % 40);
        }
        img[i * 16 + c] = 250, img[i * 16 + c + 1] = 200;
    }
    write_idx("train-images-idx3-ubyte", 3, (const uint32_t[]){NTR, 4, 4}, img, NTR * 16);
    write_idx("train-labels-idx1-ubyte", 1, (const uint32_t[]){NTR}, lab, NTR);
    write_idx("t10k-images-idx3-ubyte", 3, (const uint32_t[]){NTE, 4, 4}, img + NTR * 16, NTE * 16);
    write_idx("t10k-labels-idx1-ubyte", 1, (const uint32_t[]){NTE}, lab + NTR, NTE);
    free(img);
    setenv("PB_MNIST_DIR", dir, 1);
    const char *b = getenv("PB_BUILD") ? getenv("PB_BUILD") : "build";
    char args[2048];

    snprintf(args, sizeof args, "train --data seq-mnist --model lstm:4x4-6-10 --method %s/plugins/groupvd.so --epochs 5 "
             "--batch 30 --lr 0.01 -o %s/g.fit", b, dir);
    int rc = run(args);
    if (rc) diag("%s", err_txt);
    TAP_REQUIRE(rc == 0);
    /* the method given by name and plugin directory trains the same network as given by path */
    snprintf(args, sizeof args, "train --data seq-mnist --model lstm:4x4-6-10 --method groupvd --plugin-dir %s/plugins "
             "--epochs 5 --batch 30 --lr 0.01 -o %s/g2.fit", b, dir);
    rc = run(args);
    char cmpcmd[1200];
    snprintf(cmpcmd, sizeof cmpcmd, "cmp -s %s/g.fit %s/g2.fit", dir, dir);
    ok(rc == 0 && system(cmpcmd) == 0, "--method groupvd and --method <dir>/groupvd.so give byte-identical fits");
    snprintf(args, sizeof args, "rank --fit %s/g.fit --method %s/plugins/groupvd.so -o %s/g.tsv", dir, b, dir);
    TAP_REQUIRE(run(args) == 0);
    size_t W = 6 * 4 * 4 + 6 * 4 * 6 + 10 * 6;  /* Wx, Wh, Wout */

    /* nothing removed */
    snprintf(args, sizeof args, "structure --fit %s/g.fit --order %s/g.tsv --score-below -1e300 --repeats 1 --gates %s/g0.tsv "
             "-o %s/s0.tsv", dir, dir, dir, dir);
    rc = run(args);
    if (rc) diag("%s", err_txt);
    ok(rc == 0 && field("s0.tsv", "removed") == 0 && field("s0.tsv", "weights") == (double)W &&
           field("s0.tsv", "weights_nonzero") == (double)W && field("s0.tsv", "hidden_kept") == 6 &&
           field("s0.tsv", "gates_nonconst") == 24 && field("s0.tsv", "inputs_kept") == 4 &&
           field("s0.tsv", "flop_ratio") == 1,
       "nothing removed: %zu weights, 6 hidden, 24 gates, 4 inputs, FLOP ratio 1", W);
    ok(data_rows("g0.tsv") == 6 * 4, "gate table: 6 kept units x 4 gates = %zu rows", data_rows("g0.tsv"));
    ok(field("s0.tsv", "max_output_diff") <= 1e-9, "compact outputs equal the dense ones (max diff %g)",
       field("s0.tsv", "max_output_diff"));

    /* about half removed: the score at rank W/2 as the threshold */
    double x = score_at("g.tsv", W / 2);
    snprintf(args, sizeof args, "structure --fit %s/g.fit --order %s/g.tsv --score-below %.17g --repeats 1 --gates %s/gh.tsv "
             "--tex %s/gh.tex --name toy -o %s/sh.tsv", dir, dir, x, dir, dir, dir);
    rc = run(args);
    if (rc) diag("%s", err_txt);
    double removed = field("sh.tsv", "removed"), nz = field("sh.tsv", "weights_nonzero");
    ok(rc == 0 && removed == (double)(W / 2) && nz == (double)W - removed,
       "threshold = the score at rank %zu: %g removed, %g nonzero weights of %zu", W / 2, removed, nz, W);
    ok(field("sh.tsv", "hidden_kept") <= 6 && field("sh.tsv", "gates_nonconst") <= 4 * field("sh.tsv", "hidden_kept") &&
           field("sh.tsv", "flops_compact") <= field("sh.tsv", "flops_dense") &&
           fabs(field("sh.tsv", "compression") - (double)W / nz) < 1e-4 * (double)W / nz,
       "half removed: hidden %g, non-constant gates %g, FLOPs %g <= %g, compression = weights / nonzero",
       field("sh.tsv", "hidden_kept"), field("sh.tsv", "gates_nonconst"), field("sh.tsv", "flops_compact"),
       field("sh.tsv", "flops_dense"));
    ok(data_rows("gh.tsv") == 4 * (size_t)field("sh.tsv", "hidden_kept") && field("sh.tsv", "max_output_diff") <= 1e-9,
       "half removed: gate table has 4 rows per kept unit; compact outputs equal the dense ones");
    char tex[4096];
    char p[512];
    snprintf(p, sizeof p, "%s/gh.tex", dir);
    slurp(p, tex, sizeof tex);
    ok(strstr(tex, "\\newcommand{\\pbToyHiddenKept}") && strstr(tex, "\\newcommand{\\pbToySpeedup}") &&
           strstr(tex, "\\newcommand{\\pbToyAccuracy}"), "--tex writes the P4 macros (\\pbToy...)");
    ok(strchr(out_txt, '\n') == out_txt + strlen(out_txt) - 1 && strstr(out_txt, "structure: groupvd at"),
       "one summary line on stdout: %.*s", (int)strcspn(out_txt, "\n"), out_txt);

    /* everything removed */
    snprintf(args, sizeof args, "structure --fit %s/g.fit --order %s/g.tsv --score-below 1e300 --repeats 1 -o %s/s1.tsv", dir,
             dir, dir);
    rc = run(args);
    ok(rc == 0 && field("s1.tsv", "weights_nonzero") == 0 && field("s1.tsv", "hidden_kept") == 0 &&
           field("s1.tsv", "inputs_kept") == 0 && field("s1.tsv", "max_output_diff") <= 1e-9,
       "everything removed: no weight, unit or input left; outputs still equal");

    /* the operating point: groupvd's threshold -3 */
    snprintf(args, sizeof args, "structure --fit %s/g.fit --order %s/g.tsv --operating-point --plugin-dir %s/plugins --repeats 1 "
             "-o %s/sop.tsv", dir, dir, b, dir);
    rc = run(args);
    ok(rc == 0 && field("sop.tsv", "threshold") == -3, "--operating-point: threshold %g (groupvd's -3)",
       field("sop.tsv", "threshold"));

    /* errors: one line, exit 1, no output file */
    snprintf(args, sizeof args, "structure --fit %s/g.fit --order %s/g.tsv --operating-point --score-below 0 -o %s/e1.tsv", dir,
             dir, dir);
    rc = run(args);
    ok(rc == 1 && strstr(err_txt, "exactly one of") && !exists("e1.tsv"), "both thresholds: one line (%.*s)",
       (int)strcspn(err_txt, "\n"), err_txt);
    snprintf(args, sizeof args, "structure --fit %s/nothere.fit --order %s/g.tsv --score-below 0 -o %s/e2.tsv", dir, dir, dir);
    rc = run(args);
    ok(rc == 1 && strstr(err_txt, "nothere.fit") && !exists("e2.tsv"), "missing fit: one line naming it (%.*s)",
       (int)strcspn(err_txt, "\n"), err_txt);
    snprintf(args, sizeof args, "train --data seq-mnist --model mlp:16-5-10:tanh --family point --epochs 1 -o %s/m.fit", dir);
    TAP_REQUIRE(run(args) == 0);
    snprintf(args, sizeof args, "rank --fit %s/m.fit --method %s/plugins/random.so -o %s/m.tsv", dir, b, dir);
    TAP_REQUIRE(run(args) == 0);
    snprintf(args, sizeof args, "structure --fit %s/m.fit --order %s/m.tsv --score-below 0 -o %s/e3.tsv", dir, dir, dir);
    rc = run(args);
    ok(rc == 1 && strstr(err_txt, "(compact)") && strstr(err_txt, "mlp:16-5-10:tanh") && !exists("e3.tsv"), "an MLP fit: one line (%.*s)",
       (int)strcspn(err_txt, "\n"), err_txt);
    snprintf(args, sizeof args, "export --fit %s/g.fit --order %s/g.tsv --score-below 0 -o %s/e4.csr", dir, dir, dir);
    rc = run(args);
    ok(rc == 1 && strstr(err_txt, "(csr)") && strstr(err_txt, "lstm:4x4-6-10") && !exists("e4.csr"), "export of an LSTM fit: one line (%.*s)",
       (int)strcspn(err_txt, "\n"), err_txt);

    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0) diag("could not remove %s", dir);
    return 0;
}
