/* tidy.c -- `prunebench tidy`: fixture P1 curves (plain, compensated, a
 * regression one) and a P2 noise file into one CSV; what each row is from
 * the provenance header, not the path; malformed inputs refused in one line
 * with nothing written. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tap.h"
#include "protocols/tidy.h"

static char dir[] = "/tmp/pb-tidy-XXXXXX";
static char pb[1024], errbuf[4096];

static void write_file(const char *name, const char *text)
{
    char path[700];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    TAP_REQUIRE(f != NULL);
    fputs(text, f);
    TAP_REQUIRE(fclose(f) == 0);
}

/* prunebench tidy -o DIR/out with the given files (names in dir); stderr in errbuf. */
static int tidy(const char *out, const char *files)
{
    char cmd[4096], args[2048] = "", errfile[700];
    char copy[1024];
    snprintf(copy, sizeof copy, "%s", files);
    for (char *save, *t = strtok_r(copy, " ", &save); t; t = strtok_r(NULL, " ", &save)) {
        size_t l = strlen(args);
        snprintf(args + l, sizeof args - l, " '%s/%s'", dir, t);
    }
    snprintf(errfile, sizeof errfile, "%s/stderr", dir);
    snprintf(cmd, sizeof cmd, "'%s' tidy -o '%s/%s'%s 2>'%s'", pb, dir, out, args, errfile);
    int rc = system(cmd);
    errbuf[0] = '\0';
    FILE *f = fopen(errfile, "r");
    if (f) {
        size_t n = fread(errbuf, 1, sizeof errbuf - 1, f);
        errbuf[n] = '\0';
        fclose(f);
    }
    return rc == -1 || !WIFEXITED(rc) ? -1 : WEXITSTATUS(rc);
}

static int one_error_line(const char *needle)
{
    size_t len = strlen(errbuf);
    return !strncmp(errbuf, "prunebench: ", 12) && len > 12 && errbuf[len - 1] == '\n' &&
           strchr(errbuf, '\n') == errbuf + len - 1 && strstr(errbuf, needle);
}

static int exists(const char *name)
{
    char p[700];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    return access(p, F_OK) == 0;
}

/* The CSV's lines (at most 64, each at most 511 characters). */
static size_t read_lines(const char *name, char lines[][512])
{
    char p[700];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    FILE *f = fopen(p, "r");
    if (!f) return 0;
    size_t n = 0;
    while (n < 64 && fgets(lines[n], 512, f)) lines[n][strcspn(lines[n], "\n")] = '\0', n++;
    fclose(f);
    return n;
}

/* Field k (0-based) of a CSV line without quotes. */
static const char *field(const char *line, int k, char *buf, size_t len)
{
    for (int i = 0; i < k && line; i++) line = strchr(line, ',') ? strchr(line, ',') + 1 : NULL;
    if (!line) return "";
    size_t l = strcspn(line, ",");
    snprintf(buf, len, "%.*s", (int)(l < len ? l : len - 1), line);
    return buf;
}

#define P1_HEAD(method, repeat, comp)                                                                            \
    "# prunebench protocol P1: sparsity vs quality\n# method: " method "\n# repeat: " repeat "\n# dataset: wine\n" \
    "# model: mlp:13-13-3:tanh\n# quality_metric: accuracy\n# compensate: " comp "\n# prunebench: test\n"

int main(void)
{
    plan(17);
    TAP_REQUIRE(mkdtemp(dir) != NULL);
    const char *bdir = getenv("PB_BUILD") ? getenv("PB_BUILD") : "build";
    snprintf(pb, sizeof pb, "%s/prunebench", bdir);

    /* names that say the opposite of the headers: the header wins */
    write_file("noise-obd-r7.tsv", P1_HEAD("random", "1", "none")
               "requested_fraction\tachieved_fraction\tn_removed\tquality\ttest_nll\n"
               "0\t0\t0\t0.9722222222\t0.058\n0.5\t0.5\t104\t0.95\t0.1\n1\t1\t208\t0.33\t1.1\n");
    write_file("a.tsv", P1_HEAD("obd", "0", "conditional")
               "requested_fraction\tachieved_fraction\tn_removed\tquality\ttest_nll\n"
               "0\t0\t0\t0.97\t0.05\n0.5\t0.500962\t104\t0.96\t0.07\n");
    write_file("b.tsv", P1_HEAD("random", "0", "none")
               "requested_fraction\tachieved_fraction\tn_removed\tquality\ttest_nll\n"
               "0\t0\t0\t0.97\t0.05\n");
    write_file("boston.tsv", "# prunebench protocol P1: sparsity vs quality\n# method: obd\n# repeat: 0\n"
               "# dataset: boston\n# model: mlp:13-39-1:tanh:mse\n# quality_metric: rmse\n# compensate: none\n"
               "requested_fraction\tachieved_fraction\tn_removed\tquality\ttest_mse\n0\t0\t0\t5.967114936\t35.60646066\n");
    write_file("curve-x.tsv", "# prunebench protocol P2: noise robustness\n# method: obd\n# repeat: 0\n# dataset: wine\n"
               "# model: mlp:13-13-3:tanh\n# quality_metric: accuracy\n# compensate: none\n"
               "requested_fraction\tachieved_fraction\tnoise_level\toutput_noise\tquality_mean\tquality_sd\n"
               "0\t0\t0\t0\t0.9722222222\t0\n0.1\t0.100962\t0.25\t0.04239615315\t0.9666666667\t0.01139975947\n");

    int rc = tidy("all.csv", "noise-obd-r7.tsv a.tsv b.tsv boston.tsv curve-x.tsv");
    if (rc) diag("stderr: %s", errbuf);
    ok(rc == 0 && errbuf[0] == '\0', "tidy of 4 curves and a noise file: exit 0, nothing on stderr");
    char lines[64][512], b1[128], b2[128];
    size_t n = read_lines("all.csv", lines);
    ok(n == 10, "a header row and 9 rows, one per result row (got %zu lines)", n);
    ok(n > 0 && !strcmp(lines[0], PB_TIDY_COLUMNS) &&
           !strcmp(lines[0], "dataset,experiment,method,variant,repeat,fraction,quality,quality_sd,noise_level,"
                             "output_noise,requested_fraction,n_removed,test_nll,test_mse,model,metric"),
       "header row: %s", lines[0]);
    int cols_ok = 1;
    for (size_t i = 0; i < n; i++) {
        int commas = 0;
        for (const char *p = lines[i]; *p; p++) commas += *p == ',';
        cols_ok &= commas == 15;
    }
    ok(cols_ok, "every line has 16 fields");
    /* sorted: boston; then wine p1 compensated (obd r0), p1 plain (random r0, random r1), p2 plain (obd r0) */
    ok(!strcmp(lines[1], "boston,p1,obd,plain,0,0,5.967114936,,,,0,0,,35.60646066,mlp:13-39-1:tanh:mse,rmse"),
       "regression curve row: test_mse filled, test_nll and P2 columns empty: %s", lines[1]);
    ok(!strcmp(lines[2], "wine,p1,obd,compensated,0,0,0.97,,,,0,0,0.05,,mlp:13-13-3:tanh,accuracy") &&
           !strcmp(field(lines[3], 5, b1, sizeof b1), "0.500962"),
       "compensated curve: variant from '# compensate: conditional', achieved fraction as printed");
    ok(!strcmp(field(lines[4], 2, b1, sizeof b1), "random") && !strcmp(field(lines[4], 4, b2, sizeof b2), "0") &&
           !strcmp(field(lines[5], 4, b2, sizeof b2), "1") && !strcmp(field(lines[5], 3, b1, sizeof b1), "plain"),
       "noise-obd-r7.tsv is random, repeat 1, plain p1 (its header, not its name), after repeat 0");
    ok(!strcmp(lines[8], "wine,p2,obd,plain,0,0,0.9722222222,0,0,0,0,,,,mlp:13-13-3:tanh,accuracy") &&
           !strcmp(lines[9], "wine,p2,obd,plain,0,0.100962,0.9666666667,0.01139975947,0.25,0.04239615315,0.1,,,,"
                             "mlp:13-13-3:tanh,accuracy"),
       "noise file: quality = quality_mean, quality_sd, noise_level, output_noise; P1-only columns empty");
    /* the order of the arguments does not matter */
    rc = tidy("rev.csv", "curve-x.tsv boston.tsv b.tsv a.tsv noise-obd-r7.tsv");
    char cmd[1600];
    snprintf(cmd, sizeof cmd, "cmp -s '%s/all.csv' '%s/rev.csv'", dir, dir);
    ok(rc == 0 && system(cmd) == 0, "the same CSV from the files in reverse order");

    /* ---- malformed inputs: one line, exit 1, no output, no temp file ---- */
    write_file("nonum.tsv", P1_HEAD("svd", "0", "none")
               "requested_fraction\tachieved_fraction\tn_removed\tquality\ttest_nll\n0\t0\t0\t0.97\t0.05\n"
               "0.5\t0.5\t104\tabc\t0.1\n");
    rc = tidy("bad.csv", "a.tsv nonum.tsv");
    ok(rc == 1 && one_error_line("nonum.tsv:11: column 'quality': 'abc' is not a number") && !exists("bad.csv"),
       "a non-number: one line naming file:line and column, exit 1, no output (%s)", errbuf);
    write_file("nomethod.tsv", "# prunebench protocol P1: sparsity vs quality\n# repeat: 0\n# dataset: wine\n"
               "requested_fraction\tachieved_fraction\tn_removed\tquality\n0\t0\t0\t1\n");
    rc = tidy("bad.csv", "nomethod.tsv");
    ok(rc == 1 && one_error_line("nomethod.tsv: not a P1 curve or P2 noise file: no '# method:'") && !exists("bad.csv"),
       "no '# method:': one line (%s)", errbuf);
    write_file("order.tsv", "# prunebench removal order (least relevant first)\n# method: obd\nrank\tindex\n0\t3\n");
    rc = tidy("bad.csv", "order.tsv");
    ok(rc == 1 && one_error_line("order.tsv: not a P1 curve or P2 noise file") && !exists("bad.csv"),
       "an order file is refused (%s)", errbuf);
    write_file("short.tsv", P1_HEAD("svd", "0", "none")
               "requested_fraction\tachieved_fraction\tn_removed\tquality\ttest_nll\n0\t0\t0\t0.97\n");
    rc = tidy("bad.csv", "short.tsv");
    ok(rc == 1 && one_error_line("short.tsv:10: 4 tab-separated fields, the column header has 5"), "a short row (%s)",
       errbuf);
    write_file("nocol.tsv", P1_HEAD("svd", "0", "none") "requested_fraction\tn_removed\tquality\n0\t0\t0.97\n");
    rc = tidy("bad.csv", "nocol.tsv");
    ok(rc == 1 && one_error_line("nocol.tsv:9: a P1 curve file needs a column 'achieved_fraction'"),
       "a missing column (%s)", errbuf);
    rc = tidy("bad.csv", "b.tsv a.tsv b.tsv");
    ok(rc == 1 && one_error_line("both are wine mlp:13-13-3:tanh p1 plain random repeat 0") && !exists("bad.csv"),
       "the same cell twice (%s)", errbuf);
    rc = tidy("bad.csv", "missing.tsv");
    ok(rc == 1 && one_error_line("missing.tsv: cannot open result file"), "a missing file (%s)", errbuf);
    snprintf(cmd, sizeof cmd, "ls '%s' | grep -q '\\.tmp\\.'", dir);
    ok(system(cmd) != 0, "no temporary file left behind");

    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0) diag("could not remove %s", dir);
    return done_testing();
}
