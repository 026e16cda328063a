/* p3_summary.c -- `sweep-summary` (protocols/p3_summary.h) on fixture
 * sweeps: means and population sds over repeats computed by hand, the lambda
 * of the smallest mean bound, D and I told apart by the family line,
 * regression's F1 as ---, and malformed or mismatched inputs refused in one
 * error naming file and line. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tap.h"
#include "base/util.h"
#include "protocols/p3_summary.h"

static char dir[] = "/tmp/pb-p3sum-XXXXXX";
static char paths[8][700];

static char *write_sweep(int k, const char *family, const char *metric, const char *rows)
{
    snprintf(paths[k], sizeof paths[k], "%s/s%d.tsv", dir, k);
    FILE *f = fopen(paths[k], "w");
    TAP_REQUIRE(f != NULL);
    fprintf(f, "# prunebench sweep\n# dataset: toy\n# family: %s\n# quality_metric: %s\n"
               "lambda\tn_kept\tn_prunable\tkept_fraction\tquality\ttest_aux\tmacro_f1\tbound\texpected_nll\tkl\n%s",
            family, metric, rows);
    TAP_REQUIRE(fclose(f) == 0);
    return paths[k];
}

static char text[1 << 14];
static const char *slurp(const char *name)
{
    char p[700];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    FILE *f = fopen(p, "r");
    text[0] = '\0';
    if (!f) return text;
    size_t n = fread(text, 1, sizeof text - 1, f);
    text[n] = '\0';
    fclose(f);
    return text;
}

int main(void)
{
    plan(9);
    TAP_REQUIRE(mkdtemp(dir) != NULL);
    char mean[700], tsv[700], mac[700], gp[700];
    snprintf(mean, sizeof mean, "%s/mean.tsv", dir);
    snprintf(tsv, sizeof tsv, "%s/sum.tsv", dir);
    snprintf(mac, sizeof mac, "%s/m.tex", dir);
    snprintf(gp, sizeof gp, "%s/m.gp", dir);
    /* D, two repeats: bounds 10, 6, 8 and 12, 4, 9 -> means 11, 5, 8.5:
     * lambda* = 1 (index 1); kept there (0.5 + 0.7) / 2 = 0.6, sd 0.1. */
    char *files[5];
    files[0] = write_sweep(0, "gauss-diag", "accuracy",
                           "0.1\t4\t4\t1\t0.9\t0\t0.8\t10\t1\t1\n1\t2\t4\t0.5\t0.8\t0\t0.7\t6\t1\t1\n10\t0\t4\t0\t0.3\t0\t0.1\t8\t1\t1\n");
    files[1] = write_sweep(1, "gauss-diag", "accuracy",
                           "0.1\t4\t4\t1\t0.7\t0\t0.6\t12\t1\t1\n1\t3\t4\t0.7\t0.6\t0\t0.5\t4\t1\t1\n10\t0\t4\t0\t0.3\t0\t0.1\t9\t1\t1\n");
    /* I, one repeat: smallest bound at the last lambda (3 < 5) */
    files[2] = write_sweep(2, "gauss-scalar", "accuracy",
                           "0.1\t4\t4\t1\t0.9\t0\t0.9\t7\t1\t1\n1\t1\t4\t0.25\t0.5\t0\t0.4\t5\t1\t1\n10\t0\t4\t0\t0.3\t0\t0.1\t3\t1\t1\n");
    pb_p3_summary_opts o = {"toy", "Toy", mean, gp, tsv, mac};
    int st = pb_p3_summarize(&o, files, 3);
    if (st) diag("%s", pb_last_error());
    ok(st == 0, "summarize 2 D sweeps and 1 I sweep");
    slurp("sum.tsv");
    ok(strstr(text, "\nD\t2\t11\t0.8\t0.7\t1\t0.6\t0.7\t0.6\t5\n") != NULL,
       "D: unpruned mean bound 11, quality 0.8, F1 0.7; lambda* 1 with kept 0.6, quality 0.7, F1 0.6, bound 5");
    ok(strstr(text, "\nI\t1\t7\t0.9\t0.9\t10\t0\t0.3\t0.1\t3\n") != NULL, "I: lambda* 10 (bound 3), one repeat");
    slurp("mean.tsv");
    ok(strstr(text, "# family D, 2 repeats") && strstr(text, "1\t0.6\t0.1\t0.7\t0.1\t0.6\t0.1\t5\t1\n") &&
           strstr(text, "\n\n\n# family I, 1 repeats") && strstr(text, "1\t0.25\t0\t0.5\t0\t0.4\t0\t5\t0\n"),
       "gnuplot data: D block with population sds (kept 0.6 +- 0.1, bound 5 +- 1), then the I block, sd 0");
    slurp("m.tex");
    ok(strstr(text, "\\newcommand{\\pbToyDLambdaStar}{1}") && strstr(text, "\\newcommand{\\pbToyDKeptAtStar}{60.0}") &&
           strstr(text, "\\newcommand{\\pbToyIRepeats}{1}") && strstr(text, "\\newcommand{\\pbToyIFOneAtStar}{0.100}"),
       "macros: \\pbToyDLambdaStar 1, KeptAtStar 60.0 (%%), I's F1 at its lambda*");
    slurp("m.gp");
    ok(strstr(text, "families = \"D I\"") && strstr(text, "metric = \"accuracy\"") && strstr(text, "repeats = 1"),
       "gp include: families D I, the metric, the fewest repeats");

    /* regression: macro F1 nan -> --- in the macros */
    files[3] = write_sweep(3, "gauss-diag", "rmse", "0.1\t4\t4\t1\t3.5\t0\tnan\t10\t1\t1\n1\t2\t4\t0.5\t3.9\t0\tnan\t8\t1\t1\n");
    pb_p3_summary_opts r = {"reg", NULL, NULL, NULL, NULL, mac};
    st = pb_p3_summarize(&r, &files[3], 1);
    slurp("m.tex");
    ok(st == 0 && strstr(text, "\\newcommand{\\pbRegDFOneAtStar}{---}") && strstr(text, "\\pbRegDQualityAtStar}{3.900}"),
       "regression: F1 --- , RMSE at lambda*");

    /* another grid, a bad number: one error naming file and line */
    char *two[2] = {files[0], files[3]};
    st = pb_p3_summarize(&o, two, 2);
    ok(st != 0 && strstr(pb_last_error(), "s3.tsv") && strstr(pb_last_error(), "lambdas"),
       "sweeps of different grids refused: %s", pb_last_error());
    files[4] = write_sweep(4, "gauss-diag", "accuracy", "0.1\t4\t4\t1\tx\t0\t0.8\t10\t1\t1\n");
    st = pb_p3_summarize(&o, &files[4], 1);
    ok(st != 0 && strstr(pb_last_error(), "s4.tsv:6: column 5 (quality)"), "a non-number named by file, line and column: %s",
       pb_last_error());
    return 0;
}
