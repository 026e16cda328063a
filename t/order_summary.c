/* order_summary.c -- order files, the exact Wilcoxon signed-rank test and
 * the fraction list parser. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "models/mlp.h"
#include "formats/order.h"
#include "protocols/p1.h"
#include "protocols/p1_summary.h"
#include "base/util.h"

static char dir[] = "/tmp/pb-order-XXXXXX";

static int has(const char *hay, const char *needle) { return strstr(hay, needle) != NULL; }

static void write_file(const char *name, const char *text, char *path, size_t len)
{
    snprintf(path, len, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    TAP_REQUIRE(f != NULL);
    fputs(text, f);
    TAP_REQUIRE(fclose(f) == 0);
}

/* pb_order_read must fail with a message containing path + suffix. */
static void expect_read_error(const char *name, const char *text, size_t n_params, const char *suffix, const char *what)
{
    char path[512], want[600];
    write_file(name, text, path, sizeof path);
    snprintf(want, sizeof want, "%s%s", path, suffix);
    size_t *ord = (size_t *)&ord, n = 99;
    int st = pb_order_read(path, n_params, &ord, &n, NULL, 0);
    ok(st != 0 && ord == NULL && n == 0 && has(pb_last_error(), want), "%s: rejected with '%s' (%s)", what, want,
       pb_last_error());
}

/* Exact two-sided p by brute force over the 2^m sign patterns of the given
 * ranks: P(|W+ - total/2| >= |w_obs - total/2|). */
static double brute_p(const double *rank, const int *positive, int m)
{
    double total = 0, w = 0;
    for (int i = 0; i < m; i++) total += rank[i], w += positive[i] ? rank[i] : 0;
    double obs = fabs(w - total / 2);
    long hits = 0, all = 1L << m;
    for (long s = 0; s < all; s++) {
        double ws = 0;
        for (int i = 0; i < m; i++)
            if (s & (1L << i)) ws += rank[i];
        hits += fabs(ws - total / 2) >= obs - 1e-9;
    }
    return (double)hits / (double)all;
}

int main(void)
{
    plan(38);
    TAP_REQUIRE(mkdtemp(dir) != NULL);

    /* ---- order files ---- */
    pb_model *m;
    TAP_REQUIRE(pb_model_parse("mlp:2-2-2:tanh", &m) == 0); /* W0 0..3, b0 4..5, W1 6..9, b1 10..11 */
    size_t order[8] = {8, 1, 3, 6, 2, 7, 9, 0};
    double score[12];
    for (size_t j = 0; j < 12; j++) score[j] = 1.0 / 3.0 + (double)j * 1e-17;
    score[8] = -1e-300;
    score[1] = 0.1;
    score[9] = NAN;
    score[0] = 1e300;
    pb_order_meta meta = {"testm", "k=v,x=2", "some/dir/a.fit", "weights", UINT64_C(18446744073709551615), 3,
                          "k=v,x=2", "p/testm.so", "1.5", "fnv1a64:0123456789abcdef",
                          "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff", NULL};
    char path[512];
    snprintf(path, sizeof path, "%s/order.tsv", dir);
    int st = pb_order_write(path, &meta, m, order, score, 8);
    if (st) diag("%s", pb_last_error());
    ok(st == 0, "pb_order_write succeeds");
    size_t *got = NULL, n = 0;
    char method[64];
    st = pb_order_read(path, 12, &got, &n, method, sizeof method);
    if (st) diag("%s", pb_last_error());
    ok(st == 0 && n == 8 && got && !memcmp(got, order, sizeof order), "round trip: the same 8 indices in order");
    ok(!strcmp(method, "testm"), "round trip: method name '%s'", method);
    free(got);
    char small[4];
    st = pb_order_read(path, 12, &got, &n, small, sizeof small);
    ok(st == 0 && !strcmp(small, "tes"), "method name truncated to the buffer ('%s')", small);
    free(got);

    /* the file itself: header keys and rows with tensor names and exact scores */
    FILE *f = fopen(path, "r");
    TAP_REQUIRE(f != NULL);
    char line[1024];
    int seen_method = 0, seen_settings = 0, seen_plugin = 0, seen_seed = 0, seen_counts = 0, seen_fit = 0, rows = 0, rows_ok = 1;
    int header_ok = 0;
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = '\0';
        if (!strcmp(line, "# method: testm")) seen_method = 1;
        else if (!strcmp(line, "# method_settings: k=v,x=2")) seen_settings = 1;
        else if (!strcmp(line, "# options: k=v,x=2") || !strcmp(line, "# plugin: p/testm.so") ||
                 !strcmp(line, "# plugin_abi: 1.5") || !strcmp(line, "# plugin_hash: fnv1a64:0123456789abcdef") ||
                 !strcmp(line, "# plugin_sha256: 00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"))
            seen_plugin++;
        else if (!strcmp(line, "# seed: 18446744073709551615")) seen_seed = 1;
        else if (!strcmp(line, "# n_params: 12") || !strcmp(line, "# n_prunable: 8")) seen_counts++;
        else if (!strcmp(line, "# fit: some/dir/a.fit")) seen_fit = 1;
        else if (!strcmp(line, "rank\tindex\ttensor\tscore")) header_ok = 1;
        else if (line[0] != '#' && header_ok) {
            size_t r, j;
            char tensor[16], sc[64];
            if (sscanf(line, "%zu\t%zu\t%15s\t%63s", &r, &j, tensor, sc) != 4) { rows_ok = 0; continue; }
            const char *want_tensor = j < 4 ? "W0" : j < 6 ? "b0" : j < 10 ? "W1" : "b1";
            int score_ok = isnan(score[j]) ? !strcmp(sc, "NA") : strtod(sc, NULL) == score[j];
            rows_ok &= r == (size_t)rows && j == order[rows] && !strcmp(tensor, want_tensor) && score_ok;
            rows++;
        }
    }
    fclose(f);
    ok(seen_method && seen_settings && seen_fit && seen_plugin == 5,
       "header: method, settings, options, plugin path, ABI, hash and SHA-256, fit");
    ok(seen_seed && seen_counts == 2, "header: 64-bit seed, n_params 12, n_prunable 8");
    ok(header_ok && rows == 8 && rows_ok, "rows: rank, index, tensor (W0/W1), score exact to the bit or NA");

    meta.settings = "";
    st = pb_order_write(path, &meta, m, order, score, 8);
    f = fopen(path, "r");
    TAP_REQUIRE(f != NULL);
    int dflt = 0;
    while (fgets(line, sizeof line, f)) dflt |= !strcmp(line, "# method_settings: default\n");
    fclose(f);
    ok(st == 0 && dflt, "empty settings recorded as 'default'");

    /* rejections, with file:line */
    const char *head = "# method: x\nrank\tindex\ttensor\tscore\n";
    char text[512];
    snprintf(text, sizeof text, "%s0\t3\tW0\t0.1\n1\t3\tW0\t0.2\n", head);
    expect_read_error("repeat.tsv", text, 12, ":4:", "repeated index on line 4");
    ok(has(pb_last_error(), "repeated"), "repeated index: message says so");
    snprintf(text, sizeof text, "%s0\t12\tb1\t0.1\n", head);
    expect_read_error("range.tsv", text, 12, ":3:", "index 12 of a 12-parameter model on line 3");
    ok(has(pb_last_error(), "out of range") && has(pb_last_error(), "12"), "out-of-range index: message says so");
    snprintf(text, sizeof text, "%s0\t3\tW0\t0.1\n1\tx\tW0\t0.2\n", head);
    expect_read_error("word.tsv", text, 12, ":4:2", "non-numeric index on line 4");
    snprintf(text, sizeof text, "%s0 3 W0 0.1\n", head);
    expect_read_error("notab.tsv", text, 12, ":3:", "row without tabs");
    expect_read_error("nohead.tsv", "# method: x\n0\t3\tW0\t0.1\n", 12, ":2:", "data before the column header");
    expect_read_error("empty.tsv", "", 12, ": no column header", "empty file");
    snprintf(path, sizeof path, "%s/missing.tsv", dir);
    st = pb_order_read(path, 12, &got, &n, NULL, 0);
    ok(st != 0 && has(pb_last_error(), path) && has(pb_last_error(), "cannot open"), "missing order file: '%s'",
       pb_last_error());
    /* a short order (fewer rows than prunable parameters) is read as is */
    snprintf(text, sizeof text, "%s0\t3\tW0\t0.1\n\n1\t0\tW0\t0.2\n", head);
    write_file("short.tsv", text, path, sizeof path);
    st = pb_order_read(path, 12, &got, &n, NULL, 0);
    ok(st == 0 && n == 2 && got[0] == 3 && got[1] == 0, "two rows with a blank line between: read as 3, 0");
    free(got);
    pb_model_free(m);

    /* ---- Wilcoxon signed-rank, exact ---- */
    double d5[5] = {0.5, 1.5, 2.5, 3.5, 4.5};
    is_double(pb_wilcoxon_signed_rank(d5, 5), 2.0 / 32.0, 1e-15, "5 positive differences: p = 2/32 = 0.0625");
    double d5n[5] = {-0.5, -1.5, -2.5, -3.5, -4.5};
    is_double(pb_wilcoxon_signed_rank(d5n, 5), 0.0625, 1e-15, "5 negative differences: p = 0.0625 (two-sided)");
    /* {1,2,3,-4,5}: ranks 1..5, W+ = 11 of 15, |11 - 7.5| = 3.5: subsets of {1..5} with
     * sum <= 4 (7 of them) or >= 11 (7) -> 14/32 */
    double dm[5] = {1, 2, 3, -4, 5};
    double r5[5] = {1, 2, 3, 4, 5};
    int s5[5] = {1, 1, 1, 0, 1};
    is_double(brute_p(r5, s5, 5), 14.0 / 32.0, 1e-15, "brute force in the test: {1,2,3,-4,5} -> 14/32");
    is_double(pb_wilcoxon_signed_rank(dm, 5), 14.0 / 32.0, 1e-15, "{1,2,3,-4,5}: p = 14/32 = 0.4375");
    double zeros[4] = {0, 0, 0, 0};
    is_double(pb_wilcoxon_signed_rank(zeros, 4), 1.0, 0, "all differences zero: p = 1");
    is_double(pb_wilcoxon_signed_rank(zeros, 0), 1.0, 0, "no differences: p = 1");
    /* zeros are dropped: {0, 0, 1, 2, 3, 4, 5} is the 5 positive case */
    double dz[7] = {0, 1, 0, 2, 3, 4, 5};
    is_double(pb_wilcoxon_signed_rank(dz, 7), 0.0625, 1e-15, "zeros dropped before ranking");
    /* ties: |d| = {2,2,1,3} -> ranks 2.5, 2.5, 1, 4; W+ = 9 of 10; |9 - 5| = 4:
     * sign patterns with W+ in {0, 1, 9, 10}: 4 of 16 */
    double dt[4] = {2, 2, -1, 3};
    is_double(pb_wilcoxon_signed_rank(dt, 4), 0.25, 1e-15, "ties get average ranks: {2,2,-1,3} -> 4/16");
    double dsym[2] = {1, -1};
    is_double(pb_wilcoxon_signed_rank(dsym, 2), 1.0, 1e-15, "{1,-1}: W+ at the centre, p = 1");
    double d1[1] = {3};
    is_double(pb_wilcoxon_signed_rank(d1, 1), 1.0, 1e-15, "one difference: p = 2/2 = 1");
    /* 20 positive: exact, 2 / 2^20 */
    double d20[20];
    for (int i = 0; i < 20; i++) d20[i] = i + 1;
    is_double(pb_wilcoxon_signed_rank(d20, 20), 2.0 / 1048576.0, 1e-18, "20 positive differences: p = 2/2^20");
    /* above 20: normal approximation without continuity correction,
     * z = |W+ - n(n+1)/4| / sqrt(n(n+1)(2n+1)/24) */
    double d25[25];
    for (int i = 0; i < 25; i++) d25[i] = i + 1;
    double z25 = (325.0 - 162.5) / sqrt(25.0 * 26 * 51 / 24);
    is_double(pb_wilcoxon_signed_rank(d25, 25), erfc(z25 / sqrt(2.0)), 1e-15, "25 positive: normal approximation");
    /* 70 differences: 1..64 positive, 65..70 negative; all 70 count */
    double d70[70];
    for (int i = 0; i < 70; i++) d70[i] = i < 64 ? i + 1 : -(i + 1);
    double z70 = fabs(64.0 * 65 / 2 - 70.0 * 71 / 4) / sqrt(70.0 * 71 * 141 / 24);
    double p70 = erfc(z70 / sqrt(2.0)), got70 = pb_wilcoxon_signed_rank(d70, 70);
    ok(fabs(got70 - p70) <= 1e-9 * p70, "70 differences all used: p = %.6g (expected %.6g)", got70, p70);

    /* ---- fractions ---- */
    double *v;
    size_t nf;
    st = pb_fractions_parse(PB_DEFAULT_FRACTIONS, &v, &nf);
    ok(st == 0 && nf == 23, "'%s' gives 23 values (got %zu)", PB_DEFAULT_FRACTIONS, nf);
    TAP_REQUIRE(st == 0 && nf == 23);
    ok(v[0] == 0 && v[22] == 1, "first 0, last 1");
    char buf[32];
    snprintf(buf, sizeof buf, "%.6g", v[3]);
    ok(v[3] == 0.15 && !strcmp(buf, "0.15"), "fourth value is exactly 0.15 and prints as '%s'", buf);
    int grid = 1;
    for (int i = 0; i < 20; i++) grid &= v[i] == (double)(5 * i) / 100.0;
    ok(grid && v[20] == 0.98 && v[21] == 0.99, "values are the doubles nearest k/20, then 0.98, 0.99");
    free(v);
    st = pb_fractions_parse("1,0,0.5,0.5", &v, &nf);
    ok(st == 0 && nf == 3 && v[0] == 0 && v[1] == 0.5 && v[2] == 1, "'1,0,0.5,0.5' sorted and deduplicated: 0 0.5 1");
    free(v);
    st = pb_fractions_parse("0:0.1:1", &v, &nf);
    ok(st == 0 && nf == 11 && v[10] == 1 && v[7] == 0.7, "'0:0.1:1' gives 11 values ending at exactly 1");
    free(v);
    static const char *bad[] = {"1.5", "a", "0:0:1", "", "-0.1", "0.5:0.1:0.2", "0:0.1", "0.5,x", "nan", "0:1e-300:1"};
    int all_bad = 1;
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        v = (double *)&v;
        st = pb_fractions_parse(bad[i], &v, &nf);
        if (st == 0 || v != NULL || !has(pb_last_error(), bad[i])) {
            all_bad = 0;
            diag("'%s' not rejected properly (status %d): %s", bad[i], st, pb_last_error());
        }
        if (st == 0) free(v);
    }
    ok(all_bad, "rejected naming the input: 1.5, a, 0:0:1, empty, -0.1, 0.5:0.1:0.2, 0:0.1, 0.5,x, nan, 0:1e-300:1");

    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0) diag("could not remove %s", dir);
    return done_testing();
}
