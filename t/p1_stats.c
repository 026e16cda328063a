/* p1_stats.c -- the P1 summary's paired comparison against random: the 95%
 * Student t interval against hand-computed cases, the exact Wilcoxon p
 * against published values, and the summary's TSV (columns by name), LaTeX
 * table and macros, with 3 repeats and with 1. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tap.h"
#include "protocols/p1_summary.h"
#include "base/util.h"

static char dir[] = "/tmp/pb-p1stats-XXXXXX";

static int has(const char *hay, const char *needle) { return strstr(hay, needle) != NULL; }

/* A curve file with fractions 0, 0.5, 1 and quality 1, q_half, 0: its AUC
 * (trapezoid over the achieved fraction) is 0.25 (1 + q_half) + 0.25 q_half. */
static void write_curve(const char *name, const char *method, unsigned repeat, double q_half, char *path, size_t len)
{
    snprintf(path, len, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    TAP_REQUIRE(f != NULL);
    fprintf(f, "# prunebench protocol P1: sparsity vs quality\n# method: %s\n# repeat: %u\n# dataset: toy\n"
               "# quality_metric: accuracy\nrequested_fraction\tachieved_fraction\tn_removed\tquality\ttest_nll\n"
               "0\t0\t0\t1\t0.1\n0.5\t0.5\t5\t%.17g\t0.2\n1\t1\t10\t0\t0.3\n", method, repeat, q_half);
    TAP_REQUIRE(fclose(f) == 0);
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f) return NULL;
    static char buf[65536];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

/* The value of column `col` in the row of `method` of a summary TSV (found
 * by the header row's names, as a reader by name does); NAN if absent. */
static double tsv_value(const char *path, const char *method, const char *col)
{
    FILE *f = fopen(path, "r");
    if (!f) return NAN;
    char line[4096];
    int idx = -1;
    double v = NAN;
    while (fgets(line, sizeof line, f)) {
        if (line[0] == '#') continue;
        line[strcspn(line, "\n")] = '\0';
        char *save, *tok = strtok_r(line, "\t", &save);
        if (idx < 0) {
            for (int i = 0; tok; i++, tok = strtok_r(NULL, "\t", &save))
                if (!strcmp(tok, col)) idx = i;
            if (idx < 0) break;
            continue;
        }
        if (!tok || strcmp(tok, method)) continue;
        for (int i = 0; tok && i < idx; i++) tok = strtok_r(NULL, "\t", &save);
        if (tok) v = strtod(tok, NULL);
    }
    fclose(f);
    return v;
}

int main(void)
{
    plan(31);
    TAP_REQUIRE(mkdtemp(dir) != NULL);

    /* ---- the interval, by hand ----
     * d = 1, 2, 3, 4: mean 2.5, s = sqrt(5/3) = 1.2909944, s/sqrt(4) = 0.6454972,
     * t_{0.975,3} = 3.1824463 (tables) -> half width 2.0542603. */
    double d4[4] = {1, 2, 3, 4};
    pb_paired c;
    pb_paired_compare(d4, 4, &c);
    is_double(c.mean, 2.5, 1e-15, "1,2,3,4: mean difference 2.5");
    is_double(c.low, 2.5 - 2.0542603, 1e-6, "1,2,3,4: lower 95%% bound 0.4457397 (t with 3 df)");
    is_double(c.high, 2.5 + 2.0542603, 1e-6, "1,2,3,4: upper 95%% bound 4.5542603");
    is_double(c.p, 0.125, 1e-15, "1,2,3,4: Wilcoxon p = 2/16");
    is_double(c.min_p, 0.125, 0, "1,2,3,4: smallest attainable p 2^(1-4) = 0.125");
    /* d = 0.1, 0.3: mean 0.2, s/sqrt(2) = 0.1, t_{0.975,1} = 12.7062047 */
    double d2[2] = {0.1, 0.3};
    pb_paired_compare(d2, 2, &c);
    ok(fabs(c.low - (0.2 - 1.27062047)) < 1e-7 && fabs(c.high - (0.2 + 1.27062047)) < 1e-7,
       "0.1, 0.3: [%.7f, %.7f] = 0.2 -+ 12.7062047 * 0.1 (t with 1 df, not 1.96)", c.low, c.high);
    /* one repeat: no sd, so no interval */
    double d1[1] = {0.4};
    pb_paired_compare(d1, 1, &c);
    ok(c.n == 1 && c.mean == 0.4 && isnan(c.low) && isnan(c.high) && c.p == 1 && c.min_p == 1,
       "one difference: mean 0.4, no interval (NaN bounds), p = 1 = the smallest attainable");
    pb_paired_compare(d1, 0, &c);
    ok(c.n == 0 && isnan(c.mean) && isnan(c.low) && isnan(c.p) && isnan(c.min_p), "no differences: everything NaN");
    double dz[3] = {0.2, 0.2, 0.2};
    pb_paired_compare(dz, 3, &c);
    ok(c.low == 0.2 && c.high == 0.2 && c.p == 0.25, "three equal differences: a zero-width interval, p = 2/8");

    /* ---- Wilcoxon signed-rank, exact: published values ----
     * R's ?wilcox.test example (Hollander & Wolfe 1973, p. 29, depression
     * scale before/after): V = 40, p-value = 0.03906 (= 20/512). */
    double x[9] = {1.83, 0.50, 1.62, 2.48, 1.68, 1.88, 1.55, 3.06, 1.30};
    double y[9] = {0.878, 0.647, 0.598, 2.05, 1.06, 1.29, 1.06, 3.14, 1.29};
    double dxy[9];
    for (int i = 0; i < 9; i++) dxy[i] = x[i] - y[i];
    is_double(pb_wilcoxon_signed_rank(dxy, 9), 20.0 / 512.0, 1e-15, "Hollander & Wolfe depression data: p = 0.0390625");
    /* wilcox.test(c(-1, 2, 3, 4, 5, 6)): V = 20, p-value = 0.0625 */
    double d6[6] = {-1, 2, 3, 4, 5, 6};
    is_double(pb_wilcoxon_signed_rank(d6, 6), 0.0625, 1e-15, "-1,2..6: V = 20, p = 0.0625");
    /* the floor 2^(1-R): 10 repeats all in favour give 0.001953125 < 0.05 */
    double d10[10];
    for (int i = 0; i < 10; i++) d10[i] = 0.01 * (i + 1);
    is_double(pb_wilcoxon_signed_rank(d10, 10), 0.001953125, 1e-18, "10 positive differences: p = 2^-9 = 0.00195");

    /* ---- the summary: 3 repeats ----
     * random: q(0.5) = 0.5 on every repeat (AUC 0.5); m: q(0.5) = 0.5 + 2 d_r
     * with d = 0.05, 0.10, 0.15, so AUC(m) - AUC(random) = d_r: mean 0.1,
     * s = 0.05, t_{0.975,2} = 4.3026527 -> 0.1 -+ 0.1242068. */
    char files[7][512];
    const double dm[3] = {0.05, 0.10, 0.15};
    for (unsigned r = 0; r < 3; r++) {
        char name[64];
        snprintf(name, sizeof name, "random-r%u.tsv", r);
        write_curve(name, "random", r, 0.5, files[r], sizeof files[r]);
        snprintf(name, sizeof name, "m-r%u.tsv", r);
        write_curve(name, "m", r, 0.5 + 2 * dm[r], files[3 + r], sizeof files[3 + r]);
    }
    char *argv[6];
    for (int i = 0; i < 6; i++) argv[i] = files[i];
    char tsv[600], tex[600], mac[600];
    snprintf(tsv, sizeof tsv, "%s/s.tsv", dir);
    snprintf(tex, sizeof tex, "%s/t.tex", dir);
    snprintf(mac, sizeof mac, "%s/m.tex", dir);
    pb_summary_opts o = {.dataset = "toy", .tsv_out = tsv, .tex_out = tex, .macros_out = mac};
    int st = pb_summarize(&o, argv, 6);
    if (st) diag("%s", pb_last_error());
    ok(st == 0, "summarize 2 methods x 3 repeats");
    is_double(tsv_value(tsv, "m", "auc_diff"), 0.1, 1e-6, "TSV auc_diff (by name) = 0.1");
    is_double(tsv_value(tsv, "m", "auc_diff_low"), 0.1 - 0.1242068, 1e-6, "TSV auc_diff_low = -0.0242068");
    is_double(tsv_value(tsv, "m", "auc_diff_high"), 0.1 + 0.1242068, 1e-6, "TSV auc_diff_high = 0.2242068");
    ok(tsv_value(tsv, "m", "p_vs_random") == 0.25 && tsv_value(tsv, "m", "paired_repeats") == 3 &&
           tsv_value(tsv, "m", "min_p") == 0.25,
       "TSV p_vs_random 0.25 (2/8), paired_repeats 3, min_p 0.25");
    ok(tsv_value(tsv, "m", "auc_mean") > 0.59 && tsv_value(tsv, "m", "repeats") == 3 &&
           !isnan(tsv_value(tsv, "m", "tol_fraction")),
       "TSV keeps the columns it had (auc_mean, repeats, tol_fraction)");
    ok(isnan(tsv_value(tsv, "random", "auc_diff")) && isnan(tsv_value(tsv, "random", "p_vs_random")),
       "random against itself: nan");
    /* within tolerance per repeat: random drops at 0.5 (0), m too (q <= 0.8): difference 0, p = 1 */
    ok(tsv_value(tsv, "m", "tol_fraction_diff") == 0 && tsv_value(tsv, "m", "tol_fraction_p_vs_random") == 1,
       "TSV tol_fraction_diff 0, its p 1");
    char *text = slurp(tex);
    ok(text && has(text, "{$\\Delta$AUC vs random\\\\{}[95\\% CI]}") && has(text, "m & 3 &") &&
           has(text, "$+0.100$ [$-0.024$, $+0.224$] & 0.250 &"),
       "LaTeX table: Delta AUC column '+0.100 [-0.024, +0.224]' and p 0.250");
    text = slurp(mac);
    ok(text && has(text, "\\newcommand{\\pbToyMAucDiff}{\\ensuremath{+0.100}}") &&
           has(text, "\\newcommand{\\pbToyMAucDiffLow}{\\ensuremath{-0.024}}") &&
           has(text, "\\newcommand{\\pbToyMAucDiffHigh}{\\ensuremath{+0.224}}") &&
           has(text, "\\newcommand{\\pbToyMPValue}{0.25}"),
       "macros: \\pbToyMAucDiff, ...Low, ...High, \\pbToyMPValue");
    ok(text && has(text, "\\newcommand{\\pbToyRepeats}{3}") && has(text, "\\newcommand{\\pbToyMinP}{0.25}") &&
           has(text, "\\newcommand{\\pbToyNSignificant}{0}") && has(text, "\\newcommand{\\pbToyRandomAucDiff}{---}"),
       "macros: Repeats 3, MinP 0.25, NSignificant 0, random's difference ---");
    ok(text && has(text, "\\newcommand{\\pbToyMTolFractionDiff}{\\ensuremath{+0.0}}") &&
           has(text, "\\newcommand{\\pbToyMTolFractionPValue}{1}"),
       "macros: fraction within tolerance, difference in percentage points, and its p");

    /* ---- one repeat: differences without an interval, never NaN text ---- */
    argv[0] = files[0], argv[1] = files[3];
    st = pb_summarize(&o, argv, 2);
    ok(st == 0, "summarize 2 methods x 1 repeat");
    is_double(tsv_value(tsv, "m", "auc_diff"), 0.05, 1e-9, "1 repeat: TSV auc_diff 0.05");
    ok(isnan(tsv_value(tsv, "m", "auc_diff_low")) && tsv_value(tsv, "m", "min_p") == 1,
       "1 repeat: TSV bounds nan, min_p 1");
    text = slurp(tex);
    ok(text && has(text, "$+0.050$ (no interval: 1 repeat)") && !has(text, "nan"),
       "1 repeat: table says 'no interval: 1 repeat', no nan");
    text = slurp(mac);
    ok(text && has(text, "\\newcommand{\\pbToyMAucDiffLow}{n/a}") &&
           has(text, "\\newcommand{\\pbToyMAucDiffCI}{(no interval: 1 repeat)}") && has(text, "\\pbToyMinP}{1}") &&
           !has(text, "nan"),
       "1 repeat: macros n/a and '(no interval: 1 repeat)', MinP 1, no nan");

    /* a method name with '_' is escaped in the LaTeX table (pb_tex_escape) */
    char under[512];
    write_curve("u-r0.tsv", "my_m", 0, 0.6, under, sizeof under);
    argv[0] = files[0], argv[1] = under;
    st = pb_summarize(&o, argv, 2);
    text = st == 0 ? slurp(tex) : NULL;
    ok(text && has(text, "my\\_m & 1 &") && !has(text, "my_m"), "a method named my_m is my\\_m in the LaTeX table");

    /* a method with 10 repeats far above random reaches p < 0.05 */
    char *many[20];
    static char mf[20][512];
    for (unsigned r = 0; r < 10; r++) {
        char name[64];
        snprintf(name, sizeof name, "r10-random-r%u.tsv", r);
        write_curve(name, "random", r, 0.3 + 0.01 * r, mf[r], sizeof mf[r]);
        snprintf(name, sizeof name, "r10-m-r%u.tsv", r);
        write_curve(name, "m", r, 0.6 + 0.02 * r, mf[10 + r], sizeof mf[10 + r]);
        many[r] = mf[r], many[10 + r] = mf[10 + r];
    }
    st = pb_summarize(&o, many, 20);
    text = slurp(mac);
    ok(st == 0 && tsv_value(tsv, "m", "p_vs_random") < 0.002 && text && has(text, "\\pbToyMinP}{0.00195}") &&
           has(text, "\\pbToyNSignificant}{1}"),
       "10 repeats all in favour: p = 0.00195 < 0.05, MinP 0.00195, NSignificant 1");

    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0) diag("could not remove %s", dir);
    return done_testing();
}
