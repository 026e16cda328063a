/* cli.c -- end to end through the real binary: train, rank, curve,
 * determinism, error paths, plugin listing and conformance check; the CLI
 * from another working directory, --version, per-option help with
 * defaults, closest-name suggestions, train's last line. */
#define _XOPEN_SOURCE 700   /* realpath */
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tap.h"

static char dir[] = "/tmp/pb-cli-XXXXXX";
static const char *bdir;
static char pb[1024], plugdir[1024], errfile[600];
static char errbuf[4096];

/* Run "prunebench <args>" with stdout to outfile (or /dev/null) and stderr
 * captured in errbuf. Returns the exit status, or -1 if it did not exit. */
static int run(const char *args, const char *outfile)
{
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "'%s' %s >'%s' 2>'%s'", pb, args, outfile ? outfile : "/dev/null", errfile);
    int rc = system(cmd);
    errbuf[0] = '\0';
    FILE *f = fopen(errfile, "r");
    if (f) {
        size_t n = fread(errbuf, 1, sizeof errbuf - 1, f);
        errbuf[n] = '\0';
        fclose(f);
    }
    if (rc == -1 || !WIFEXITED(rc)) return -1;
    return WEXITSTATUS(rc);
}

/* The first line of a file in dir starting with prefix, into out ("" if none). */
static void first_line_with(const char *name, const char *prefix, char *out, size_t len)
{
    char p[700], line[2048];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    out[0] = '\0';
    FILE *f = fopen(p, "r");
    while (f && fgets(line, sizeof line, f))
        if (!strncmp(line, prefix, strlen(prefix))) {
            size_t l = strcspn(line, "\n");
            if (l >= len) l = len - 1;
            memcpy(out, line, l);
            out[l] = '\0';
            break;
        }
    if (f) fclose(f);
}

/* Whether a file in dir holds text once its line breaks and the
 * indentation after them are read as one space (wrapped help). */
static int joined_has(const char *name, const char *text)
{
    char p[700];
    static char buf[1 << 16];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    FILE *f = fopen(p, "r");
    if (!f) return 0;
    size_t n = 0;
    int c, after_nl = 0;
    while ((c = fgetc(f)) != EOF && n + 1 < sizeof buf) {
        if (c == '\n') { buf[n++] = ' '; after_nl = 1; continue; }
        if (after_nl && c == ' ') continue;
        after_nl = 0;
        buf[n++] = (char)c;
    }
    buf[n] = '\0';
    fclose(f);
    return strstr(buf, text) != NULL;
}

/* stderr is exactly one line starting with "prunebench: " */
static int one_error_line(void)
{
    size_t len = strlen(errbuf);
    return !strncmp(errbuf, "prunebench: ", 12) && len > 12 && errbuf[len - 1] == '\n' &&
           strchr(errbuf, '\n') == errbuf + len - 1;
}

static int file_exists(const char *name)
{
    char p[700];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    return access(p, F_OK) == 0;
}

static int same_files(const char *a, const char *b)
{
    char cmd[1600];
    snprintf(cmd, sizeof cmd, "cmp -s '%s/%s' '%s/%s'", dir, a, dir, b);
    return system(cmd) == 0;
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

typedef struct row { double req, ach, removed, q; } row;

/* Data rows of a curve file (after the column header). */
static size_t read_curve(const char *name, row *rows, size_t max, int *header_ok, int *test36)
{
    char p[700], line[1024];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    FILE *f = fopen(p, "r");
    *header_ok = 0;
    *test36 = 0;
    if (!f) return 0;
    size_t n = 0;
    while (fgets(line, sizeof line, f)) {
        if (!strcmp(line, "# test_samples: 36\n")) *test36 = 1;
        if (line[0] == '#') continue;
        if (!*header_ok) {
            *header_ok = !strncmp(line, "requested_fraction\tachieved_fraction\tn_removed\tquality", 52);
            continue;
        }
        if (n < max && sscanf(line, "%lf\t%lf\t%lf\t%lf", &rows[n].req, &rows[n].ach, &rows[n].removed, &rows[n].q) == 4)
            n++;
    }
    fclose(f);
    return n;
}

/* Order rows: count, and whether every index is a weight of mlp:13-13-3
 * (W0 = 0..168, b0 = 169..181, W1 = 182..220, b1 = 221..223) and distinct. */
static size_t read_order(const char *name, int *weights_only)
{
    char p[700], line[1024];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    FILE *f = fopen(p, "r");
    *weights_only = 0;
    if (!f) return 0;
    unsigned char seen[224] = {0};
    size_t n = 0;
    int header = 0, good = 1;
    while (fgets(line, sizeof line, f)) {
        if (line[0] == '#') continue;
        if (!header) { header = 1; continue; }
        size_t r, j;
        if (sscanf(line, "%zu\t%zu", &r, &j) != 2 || r != n || j >= 224 || seen[j]++) { good = 0; continue; }
        good &= j < 169 || (j >= 182 && j < 221);
        n++;
    }
    fclose(f);
    *weights_only = good;
    return n;
}

int main(void)
{
    plan(61 + 14 + 2 * 23);
    TAP_REQUIRE(mkdtemp(dir) != NULL);
    bdir = getenv("PB_BUILD") ? getenv("PB_BUILD") : "build";
    snprintf(pb, sizeof pb, "%s/prunebench", bdir);
    {   /* absolute, so that it runs from other directories too */
        char *real = realpath(pb, NULL);
        if (real) snprintf(pb, sizeof pb, "%s", real);
        free(real);
    }
    snprintf(plugdir, sizeof plugdir, "%s/plugins", bdir);
    snprintf(errfile, sizeof errfile, "%s/stderr.txt", dir);
    TAP_REQUIRE(access(pb, X_OK) == 0);
    char args[3000];

    /* train twice: byte-identical fits */
    const char *train = "train --data wine --model mlp:13-13-3:tanh --epochs 30 --data-dir datasets";
    snprintf(args, sizeof args, "%s -o '%s/a.fit'", train, dir);
    int rc = run(args, NULL);
    if (rc) diag("stderr: %s", errbuf);
    ok(rc == 0 && file_exists("a.fit"), "train wine mlp:13-13-3:tanh 30 epochs");
    ok(errbuf[0] == '\0', "train is silent without --progress");
    snprintf(args, sizeof args, "%s -o '%s/b.fit'", train, dir);
    ok(run(args, NULL) == 0, "train again to another file");
    ok(same_files("a.fit", "b.fit"), "the two fit files are byte-identical");
    snprintf(args, sizeof args, "%s --repeat 1 -o '%s/r1.fit'", train, dir);
    ok(run(args, NULL) == 0 && !same_files("a.fit", "r1.fit"), "another repeat gives another fit");
    snprintf(args, sizeof args, "%s --precision f32 -o '%s/f32.fit'", train, dir);
    ok(run(args, NULL) == 0 && file_exists("f32.fit") && !same_files("a.fit", "f32.fit"), "train --precision f32: another fit");
    snprintf(args, sizeof args, "%s --precision f16 -o '%s/x.fit'", train, dir);
    ok(run(args, NULL) == 1 && strstr(errbuf, "--precision f16: expected f64 or f32") && !file_exists("x.fit"),
       "--precision f16: refused in one line: %.80s", errbuf);

    /* --estimate: one line of numbers on stdout, no fit */
    {
        char est[700];
        snprintf(est, sizeof est, "%s/estimate.txt", dir);
        snprintf(args, sizeof args, "%s --estimate 5 -o '%s/e.fit'", train, dir);
        rc = run(args, est);
        char line[512] = "", d[64], mdl[64], fam[64], prec[8];
        size_t steps = 0;
        double per = -1, total = -1;
        FILE *f = fopen(est, "r");
        if (f) {
            if (!fgets(line, sizeof line, f)) line[0] = '\0';
            fclose(f);
        }
        int fields = sscanf(line, "estimate\t%63s\t%63s\t%63s\t%7s\t%zu\t%lf\t%lf", d, mdl, fam, prec, &steps, &per, &total);
        ok(rc == 0 && fields == 7 && steps == 30 * 5 && per > 0 && fabs(total - per * 150) <= 1e-4 * total &&
               !strcmp(prec, "f64") && !file_exists("e.fit"),
           "train --estimate 5: '%.*s': 30 epochs x 5 minibatches of 32, seconds = steps x time per step, no fit written",
           (int)strcspn(line, "\n"), line);
    }

    /* rank with random and obd */
    const char *methods[] = {"random", "obd"};
    for (int i = 0; i < 2; i++) {
        snprintf(args, sizeof args, "rank --fit '%s/a.fit' --method %s --plugin-dir '%s' -o '%s/o-%s.tsv'", dir,
                 methods[i], plugdir, dir, methods[i]);
        rc = run(args, NULL);
        if (rc) diag("stderr: %s", errbuf);
        ok(rc == 0, "rank --method %s", methods[i]);
        char name[64];
        snprintf(name, sizeof name, "o-%s.tsv", methods[i]);
        int w;
        size_t n = read_order(name, &w);
        ok(n == 208 && w, "%s order: 208 distinct weights of mlp:13-13-3 (got %zu)", methods[i], n);
        snprintf(args, sizeof args, "rank --fit '%s/a.fit' --method %s --plugin-dir '%s' -o '%s/o2-%s.tsv'", dir,
                 methods[i], plugdir, dir, methods[i]);
        char name2[64];
        snprintf(name2, sizeof name2, "o2-%s.tsv", methods[i]);
        ok(run(args, NULL) == 0 && same_files(name, name2), "rank %s twice: identical order files", methods[i]);
    }
    ok(!same_files("o-random.tsv", "o-obd.tsv"), "random and obd orders differ");
    {
        /* the order header records the plugin: every option's effective value, path, ABI, hash */
        char cmd[1600];
        snprintf(cmd, sizeof cmd, "grep -q '^# options: hessian=gn$' '%s/o-obd.tsv' && grep -q '^# plugin: .*/obd.so$' "
                 "'%s/o-obd.tsv' && grep -q '^# plugin_abi: 1\\.5$' '%s/o-obd.tsv' && "
                 "grep -Eq '^# plugin_hash: fnv1a64:[0-9a-f]{16}$' '%s/o-obd.tsv'", dir, dir, dir, dir);
        ok(system(cmd) == 0, "obd order header: options hessian=gn (the default), plugin path, ABI 1.5, hash");
    }
    snprintf(args, sizeof args, "rank --fit '%s/a.fit' --method obd --prunable all --plugin-dir '%s' -o '%s/o-all.tsv'",
             dir, plugdir, dir);
    ok(run(args, NULL) == 0, "rank --prunable all");
    {
        int w;
        size_t n = read_order("o-all.tsv", &w);
        ok(n == 224 && !w, "--prunable all: 224 parameters, biases included (got %zu)", n);
    }

    /* curves */
    row rr[64], ro[64];
    size_t nr = 0, no = 0;
    for (int i = 0; i < 2; i++) {
        snprintf(args, sizeof args, "curve --fit '%s/a.fit' --order '%s/o-%s.tsv' -o '%s/c-%s.tsv'", dir, dir,
                 methods[i], dir, methods[i]);
        rc = run(args, NULL);
        if (rc) diag("stderr: %s", errbuf);
        ok(rc == 0, "curve for %s", methods[i]);
        char name[64];
        snprintf(name, sizeof name, "c-%s.tsv", methods[i]);
        int header_ok, test36;
        row *r = i ? ro : rr;
        size_t n = read_curve(name, r, 64, &header_ok, &test36);
        if (i) no = n;
        else nr = n;
        ok(header_ok && test36, "%s curve: column header and 36 test samples", methods[i]);
        ok(n == 23, "%s curve: 23 rows for the default fractions (got %zu)", methods[i], n);
        ok(n > 0 && r[0].req == 0 && r[0].ach == 0 && r[0].removed == 0, "%s curve: first row requested 0, achieved 0",
           methods[i]);
        ok(n > 0 && r[n - 1].req == 1 && r[n - 1].ach == 1 && r[n - 1].removed == 208,
           "%s curve: last row requested 1, achieved 1, 208 removed", methods[i]);
        int mono = 1;
        for (size_t k = 1; k < n; k++) mono &= r[k].ach >= r[k - 1].ach && r[k].q >= 0 && r[k].q <= 1;
        ok(mono, "%s curve: achieved fraction non-decreasing, accuracy in [0,1]", methods[i]);
        /* all weights removed: every prediction is argmax of the output bias, one class;
         * the stratified test set holds 12/14/10 of the classes */
        double q = n ? r[n - 1].q : -1;
        ok(n && (fabs(q - 12.0 / 36) < 1e-9 || fabs(q - 14.0 / 36) < 1e-9 || fabs(q - 10.0 / 36) < 1e-9),
           "%s curve: with every weight removed accuracy is one class's share (12, 14 or 10 of 36): %g", methods[i], q);
    }
    ok(nr && no && rr[0].q == ro[0].q, "nothing removed: both methods have the same quality (%g)", nr ? rr[0].q : -1);
    ok(nr && rr[0].q > 0.5, "the trained fit beats the majority class on test (%g)", nr ? rr[0].q : -1);
    snprintf(args, sizeof args, "curve --fit '%s/a.fit' --order '%s/o-obd.tsv' --fractions 0,0.5,1 -o '%s/c3.tsv'", dir,
             dir, dir);
    {
        row r3[8];
        int h, t;
        ok(run(args, NULL) == 0 && read_curve("c3.tsv", r3, 8, &h, &t) == 3 && r3[1].removed == 104,
           "--fractions 0,0.5,1: three rows, 104 removed at one half");
    }

    /* train's last line (stdout): final objective and the test quality evaluate gives */
    {
        char tout[700], eline[512], tline[512];
        snprintf(tout, sizeof tout, "%s/train-out.txt", dir);
        snprintf(args, sizeof args, "%s -o '%s/t.fit'", train, dir);
        rc = run(args, tout);
        first_line_with("train-out.txt", "train: ", tline, sizeof tline);
        snprintf(args, sizeof args, "evaluate --fit '%s/t.fit' -o '%s/t-eval.tsv'", dir, dir);
        int erc = run(args, NULL);
        first_line_with("t-eval.tsv", "0\t", eline, sizeof eline);
        double obj = -1, q = -1, nll = -1, eq = -2;
        char path[700] = "";
        int fields = sscanf(tline, "train: wine mlp:13-13-3:tanh repeat 0: final objective %lf per sample, test accuracy "
                            "%lf (nll %lf) -> %699s", &obj, &q, &nll, path);
        sscanf(eline, "0\t%lf", &eq);
        char want[700];
        snprintf(want, sizeof want, "%s/t.fit", dir);
        ok(rc == 0 && erc == 0 && fields == 4 && obj > 0 && fabs(q - eq) < 1e-4 && !strcmp(path, want),
           "train ends with '%.120s' (evaluate: %g)", tline, eq);
        char hline[256] = "";
        double f1 = -1;
        first_line_with("t-eval.tsv", "repeat\t", hline, sizeof hline);
        sscanf(eline, "0\t%*f\t%*f\t%lf", &f1);
        ok(!strncmp(hline, "repeat\tquality\ttest_nll\tmacro_f1", 32) && f1 > 0 && f1 <= 1,
           "evaluate of a classifier adds its macro F1 (%g)", f1);
    }

    /* from another working directory, no PB_* variables: the data and the
     * plugins are found beside the executable; the same fit, byte for byte */
    {
        char other[700], cmd[8192], envs[1400] = "env -u PB_PLUGIN_DIR -u PB_DATA_DIR", probe[1100];
        snprintf(other, sizeof other, "%s/elsewhere", dir);
        /* a build directory outside the source tree (B=/elsewhere) has no
         * datasets beside it: then $PB_DATA_DIR names them */
        snprintf(probe, sizeof probe, "%s/../datasets/wine_data.csv", bdir);
        char *data = realpath("datasets", NULL);
        if (access(probe, R_OK) != 0 && data) snprintf(envs, sizeof envs, "env -u PB_PLUGIN_DIR PB_DATA_DIR='%s'", data);
        free(data);
        snprintf(cmd, sizeof cmd, "mkdir -p '%s/deeper' && cd '%s' && %s '%s' train "
                 "--data wine --model mlp:13-13-3:tanh --epochs 30 -o away.fit >/dev/null 2>'%s'", other, other, envs, pb, errfile);
        int r1 = system(cmd);
        ok(r1 == 0 && same_files("a.fit", "elsewhere/away.fit"), "train --data wine from another directory: the same fit");
        snprintf(cmd, sizeof cmd, "cd '%s/deeper' && %s '%s' rank --fit ../away.fit --method obd -o o.tsv 2>'%s' && "
                 "%s '%s' curve --fit ../away.fit --order o.tsv -o c.tsv 2>>'%s'", other, envs, pb, errfile, envs, pb,
                 errfile);
        int r2 = system(cmd);
        char a[128], b[128];
        first_line_with("c-obd.tsv", "0\t", a, sizeof a);
        first_line_with("elsewhere/deeper/c.tsv", "0\t", b, sizeof b);
        ok(r2 == 0 && a[0] && !strcmp(a, b), "rank and curve re-read the fit's data from a third directory: '%s'", b);
    }

    /* --version and version: the version the provenance records */
    {
        char vout[700], prov[256], want[300], got[300];
        snprintf(vout, sizeof vout, "%s/version.txt", dir);
        first_line_with("c-obd.tsv", "# prunebench: ", prov, sizeof prov);
        snprintf(want, sizeof want, "prunebench %s", prov + 14);
        for (int k = 0; k < 2; k++) {
            rc = run(k ? "version" : "--version", vout);
            first_line_with("version.txt", "prunebench ", got, sizeof got);
            ok(rc == 0 && prov[0] && !strcmp(got, want), "%s prints '%s' (provenance: '%s')", k ? "version" : "--version",
               got, prov);
        }
    }

    /* help: each option's meaning and default */
    {
        snprintf(args, sizeof args, "train --help");
        char hout[700], l1[512], l2[512], l3[512];
        snprintf(hout, sizeof hout, "%s/help-train.txt", dir);
        rc = run("train --help", hout);
        first_line_with("help-train.txt", "    --epochs E ", l1, sizeof l1);
        first_line_with("help-train.txt", "    --data-dir DIR ", l2, sizeof l2);
        ok(rc == 0 && strstr(l1, "(default: 300)") && strstr(l2, "PB_DATA_DIR"), "train --help: '%s'", l1);
        snprintf(hout, sizeof hout, "%s/help-curve.txt", dir);
        rc = run("help curve", hout);
        first_line_with("help-curve.txt", "    --fractions LIST ", l3, sizeof l3);
        ok(rc == 0 && l3[0] && joined_has("help-curve.txt", "(default: 0:0.05:0.95,0.98,0.99,1)"), "help curve: '%s'", l3);
        snprintf(hout, sizeof hout, "%s/man.txt", dir);
        rc = run("help --man", hout);
        first_line_with("man.txt", ".TH PRUNEBENCH 1 ", l1, sizeof l1);
        first_line_with("man.txt", ".SS train", l2, sizeof l2);
        ok(rc == 0 && l1[0] && l2[0], "help --man: a man page ('%s')", l1);
    }

    /* summarize with no output option: refused */
    snprintf(args, sizeof args, "summarize --dataset wine '%s/c-obd.tsv' '%s/c-random.tsv'", dir, dir);
    rc = run(args, NULL);
    ok(rc == 1 && one_error_line() && strstr(errbuf, "--tsv"), "summarize with no output: exit %d, '%.100s'", rc, errbuf);

    /* a misspelled method, dataset, command, option: the known names and the closest */
    snprintf(args, sizeof args, "rank --fit '%s/a.fit' --method rnadom --plugin-dir '%s' -o '%s/x.tsv'", dir, plugdir, dir);
    rc = run(args, NULL);
    ok(rc == 1 && one_error_line() && strstr(errbuf, "did you mean 'random'?") && strstr(errbuf, "obd") &&
           !file_exists("x.tsv"),
       "--method rnadom: '%.160s'", errbuf);
    rc = run("train --data wnie --model mlp:13-13-3:tanh -o /dev/null", NULL);
    ok(rc == 1 && one_error_line() && strstr(errbuf, "did you mean 'wine'?") && strstr(errbuf, "boston"),
       "--data wnie: '%.160s'", errbuf);
    rc = run("trian --data wine", NULL);
    ok(rc == 2 && one_error_line() && strstr(errbuf, "did you mean 'train'?") && strstr(errbuf, "evaluate"),
       "command trian: '%.160s'", errbuf);
    rc = run("train --data wine --epoch 3 --model mlp:13-13-3:tanh -o /dev/null", NULL);
    ok(rc == 1 && one_error_line() && strstr(errbuf, "did you mean '--epochs'?"), "--epoch: '%.160s'", errbuf);

    /* error paths: non-zero exit, one line on stderr, no output left behind */
    struct { const char *args, *want, *out, *what; } err[] = {
        {"train --data nosuch --model mlp:13-13-3:tanh -o '%s/x.fit'", "unknown dataset", "x.fit", "unknown dataset"},
        {"train --data wine --model mlp:4-5-3:tanh -o '%s/x.fit'", "4 inputs", "x.fit", "model/data mismatch"},
        {"train --data wine --model mlp:13-13-2:tanh -o '%s/x.fit'", "3 classes", "x.fit", "output/class mismatch"},
        {"train --data wine --model nonsense -o '%s/x.fit'", "nonsense", "x.fit", "bad model spec"},
        {"train --data wine --model mlp:13-13-3:tanh --bogus 1 -o '%s/x.fit'", "unknown option '--bogus'", "x.fit",
         "unknown option"},
        {"train --data wine --model mlp:13-13-3:tanh --epochs -3 -o '%s/x.fit'", "--epochs", "x.fit", "bad number"},
        {"train --data wine --model mlp:13-13-3:tanh", "missing required option -o", NULL, "missing -o"},
        {"rank --fit '%s/none.fit' --method random --plugin-dir '%s' -o '%s/x.tsv'", "cannot open fit file", "x.tsv",
         "missing fit file"},
        {"rank --fit '%s/bad.fit' --method random --plugin-dir '%s' -o '%s/x.tsv'", "checksum", "x.tsv",
         "corrupt fit file (rank)"},
        {"curve --fit '%s/bad.fit' --order '%s/o-obd.tsv' -o '%s/x.tsv'", "checksum", "x.tsv", "corrupt fit file (curve)"},
        {"rank --fit '%s/a.fit' --method nosuch --plugin-dir '%s' -o '%s/x.tsv'", "nosuch.so", "x.tsv", "unknown method"},
        {"rank --fit '%s/a.fit' --method obd --options hessian=bogus --plugin-dir '%s' -o '%s/x.tsv'", "hessian=bogus",
         "x.tsv", "bad plugin options"},
        {"curve --fit '%s/a.fit' --order '%s/none.tsv' -o '%s/x.tsv'", "cannot open order file", "x.tsv",
         "missing order file"},
        {"curve --fit '%s/a.fit' --order '%s/o-obd.tsv' --fractions 1.5 -o '%s/x.tsv'", "fractions", "x.tsv",
         "bad fraction list"},
    };
    /* the corrupt fit: one payload byte flipped */
    {
        char a[700], b[700];
        snprintf(a, sizeof a, "%s/a.fit", dir);
        snprintf(b, sizeof b, "%s/bad.fit", dir);
        FILE *in = fopen(a, "rb"), *out = fopen(b, "wb");
        TAP_REQUIRE(in && out);
        int c;
        long pos = 0;
        while ((c = fgetc(in)) != EOF) fputc(pos++ == 200 ? c ^ 0x01 : c, out);
        fclose(in);
        TAP_REQUIRE(fclose(out) == 0);
    }
    for (size_t i = 0; i < sizeof err / sizeof *err; i++) {
        /* every %s in the pattern is a directory: the temp dir or the plugin dir */
        const char *a1 = dir, *a2 = dir, *a3 = dir;
        if (strstr(err[i].args, "--plugin-dir")) a2 = plugdir;
        snprintf(args, sizeof args, err[i].args, a1, a2, a3);
        rc = run(args, NULL);
        int left = err[i].out && file_exists(err[i].out);
        int good = rc > 0 && one_error_line() && strstr(errbuf, err[i].want) && !left;
        errbuf[strcspn(errbuf, "\n")] = '\0';
        ok(good, "%s: exit %d, one line '%s'", err[i].what, rc, errbuf);
    }
    ok(count_tmp_files() == 0, "no '*.tmp.*' files left behind");

    /* plugins */
    char out[700];
    snprintf(out, sizeof out, "%s/plugins.txt", dir);
    snprintf(args, sizeof args, "plugins --plugin-dir '%s'", plugdir);
    rc = run(args, out);
    int saw_random = 0, saw_obd = 0;
    FILE *f = fopen(out, "r");
    char line[1024];
    while (f && fgets(line, sizeof line, f)) {
        saw_random |= !strncmp(line, "random ", 7);
        saw_obd |= !strncmp(line, "obd ", 4);
    }
    if (f) fclose(f);
    ok(rc == 0 && saw_random && saw_obd, "plugins lists random and obd");
    /* a directory with a broken plugin: listed with an error, exit non-zero */
    char pdir[700], cmd[4096];
    snprintf(pdir, sizeof pdir, "%s/plg", dir);
    snprintf(cmd, sizeof cmd, "mkdir '%s' && cp '%s/random.so' '%s/' && echo junk > '%s/broken.so'", pdir, plugdir, pdir,
             pdir);
    TAP_REQUIRE(system(cmd) == 0);
    snprintf(args, sizeof args, "plugins --plugin-dir '%s'", pdir);
    rc = run(args, out);
    int saw_broken = 0;
    saw_random = 0;
    f = fopen(out, "r");
    while (f && fgets(line, sizeof line, f)) {
        saw_broken |= !strncmp(line, "broken.so", 9) && strstr(line, "error:") != NULL;
        saw_random |= !strncmp(line, "random ", 7);
    }
    if (f) fclose(f);
    ok(rc != 0 && saw_broken && saw_random, "plugins: a broken .so is listed with its error, exit non-zero");

    /* check-plugin */
    snprintf(args, sizeof args, "check-plugin '%s/obd.so'", plugdir);
    rc = run(args, out);
    int conforms = 0;
    f = fopen(out, "r");
    while (f && fgets(line, sizeof line, f)) conforms |= strstr(line, "conforms") != NULL;
    if (f) fclose(f);
    ok(rc == 0 && conforms, "check-plugin obd.so exits 0 and reports conformance");
    snprintf(args, sizeof args, "check-plugin '%s/broken.so'", pdir);
    ok(run(args, out) != 0, "check-plugin on a broken .so exits non-zero");

    /* help: one command's entry, on stdout, exit 0 */
    const char *helps[][2] = {{"help noise", "usage: prunebench noise --fit"}, {"evaluate --help", "usage: prunebench evaluate"},
                              {"structure -h", "usage: prunebench structure"}};
    for (size_t k = 0; k < sizeof helps / sizeof *helps; k++) {
        rc = run(helps[k][0], out);
        char first[512] = "";
        int other_commands = 0;
        f = fopen(out, "r");
        if (f && fgets(first, sizeof first, f))
            while (fgets(line, sizeof line, f)) other_commands |= !strncmp(line, "  ", 2) && line[2] != ' ';
        if (f) fclose(f);
        ok(rc == 0 && !strncmp(first, helps[k][1], strlen(helps[k][1])) && !other_commands && errbuf[0] == '\0',
           "'%s' prints that command's usage only", helps[k][0]);
    }
    rc = run("help nosuch", out);
    ok(rc == 2 && one_error_line() && strstr(errbuf, "unknown command 'nosuch'"), "'help nosuch': one line, exit 2");
    rc = run("nosuch --help", out);
    ok(rc == 2 && one_error_line() && strstr(errbuf, "unknown command 'nosuch'"), "'nosuch --help': one line, exit 2");
    rc = run("", out);
    ok(rc == 2 && !strncmp(errbuf, "usage: prunebench <command>", 27), "no command: the usage on stderr, exit 2");

    /* every command of the table: listed by 'help', and its own usage from
     * 'help COMMAND' and 'COMMAND --help' */
    static const char *const commands[] = {"train", "rank", "curve", "summarize", "noise", "noise-summary", "export",
                                           "structure", "sparse-eval", "plugins", "check-plugin", "evaluate",
                                           "provenance", "version", "bench", "help", "tidy", "findings", "sweep", "sweep-summary",
                                           "baselines", "hyper-train", "hyper-gen"};
    enum { N_COMMANDS = sizeof commands / sizeof *commands };
    rc = run("help", out);
    size_t listed = 0, known = 0;
    f = fopen(out, "r");
    while (f && fgets(line, sizeof line, f)) {
        if (strncmp(line, "  ", 2) || line[2] == ' ') continue;
        listed++;
        for (size_t k = 0; k < N_COMMANDS; k++) {
            size_t l = strlen(commands[k]);
            known += !strncmp(line + 2, commands[k], l) && (line[2 + l] == ' ' || line[2 + l] == '\n');
        }
    }
    if (f) fclose(f);
    ok(rc == 0 && listed == N_COMMANDS && known == N_COMMANDS, "'help' lists the %d commands (%zu listed, %zu known)",
       (int)N_COMMANDS, listed, known);
    for (size_t k = 0; k < N_COMMANDS; k++)
        for (int form = 0; form < 2; form++) {
            snprintf(args, sizeof args, form ? "%s --help" : "help %s", commands[k]);
            rc = run(args, out);
            char first[512] = "", want[128], summary[128];
            snprintf(want, sizeof want, "usage: prunebench %s", commands[k]);
            snprintf(summary, sizeof summary, "%s: ", commands[k]);
            int other_commands = 0, has_summary = 0, has_notes = 0, has_options = 0;
            f = fopen(out, "r");
            if (f && fgets(first, sizeof first, f))
                while (fgets(line, sizeof line, f)) {
                    other_commands |= !strncmp(line, "  ", 2) && line[2] != ' ';
                    has_summary |= !strncmp(line, summary, strlen(summary));
                    has_notes |= !strncmp(line, "Plugins: ", 9);
                    has_options |= !strcmp(line, "options:\n");
                }
            if (f) fclose(f);
            size_t wl = strlen(want);
            ok(rc == 0 && !strncmp(first, want, wl) && (first[wl] == ' ' || first[wl] == '\n') && !other_commands &&
                   has_summary && has_options && has_notes && errbuf[0] == '\0',
               "'%s': that command's usage, its summary, its options and the notes", args);
        }

    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0) diag("could not remove %s", dir);
    return done_testing();
}
