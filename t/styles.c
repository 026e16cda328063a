/* styles.c -- the figure style of each method (protocols/styles.h): fixed
 * names keep their fixed style; an unknown name gets the same style whatever
 * else is loaded; known methods differ from each other; a fit trained by its
 * method is recognised from its settings. Then the gnuplot includes the P1
 * and P2 summaries write: a method that trained its own network is dashed and
 * marked in the legend, the number of repeats and the P2 z-scale (zmax over
 * all methods) are there; and, when gnuplot is installed, report/p1.gp and
 * report/p2-slices.gp draw from them without an error. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tap.h"
#include "protocols/styles.h"
#include "protocols/p1_summary.h"
#include "protocols/p2_summary.h"
#include "base/util.h"

static char dir[] = "/tmp/pb-styles-XXXXXX";

static char *path_of(const char *name)
{
    static char p[32][256];
    static int k;
    TAP_REQUIRE(k < 32);
    snprintf(p[k], sizeof p[k], "%s/%s", dir, name);
    return p[k++];
}

static char *slurp(const char *path)
{
    char *buf = calloc(1, 1 << 16);
    TAP_REQUIRE(buf != NULL);
    FILE *f = fopen(path, "r");
    if (!f) return buf;
    size_t n = fread(buf, 1, (1 << 16) - 1, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

/* Word k (0-based) of the gnuplot string variable var in the text of a .gp
 * file (var = "w0 w1 ..."), into out; "" if absent. */
static void gp_word(const char *text, const char *var, size_t k, char *out, size_t len)
{
    out[0] = '\0';
    char key[64];
    snprintf(key, sizeof key, "\n%s", var);
    const char *p = strstr(text, key);
    if (!p || !(p = strchr(p, '"'))) return;
    p++;
    for (size_t i = 0; i < k; i++) {
        p += strcspn(p, " \"");
        if (*p != ' ') return;
        p++;
    }
    size_t n = strcspn(p, " \"");
    if (n >= len) n = len - 1;
    memcpy(out, p, n);
    out[n] = '\0';
}

/* The style words of method name as a gp file written for `names` carries them. */
static void style_in_gp(const char *file, const char *const *names, size_t n, size_t k, char *color, char *point,
                        size_t len)
{
    char *path = path_of(file);
    FILE *f = fopen(path, "w");
    TAP_REQUIRE(f != NULL);
    fputc('\n', f);
    pb_styles_write_gp(f, names, NULL, n);
    TAP_REQUIRE(fclose(f) == 0);
    char *t = slurp(path);
    gp_word(t, "colors", k, color, len);
    gp_word(t, "points", k, point, len);
    free(t);
}

/* A P1 curve file: method, repeat, its fit's settings; quality q0 - slope * f. */
static void write_curve(const char *name, const char *method, int repeat, const char *settings, double q0, double slope)
{
    FILE *f = fopen(path_of(name), "w");
    TAP_REQUIRE(f != NULL);
    fprintf(f, "# prunebench protocol P1: sparsity vs quality\n# method: %s\n# repeat: %d\n# dataset: toy\n", method,
            repeat);
    fprintf(f, "# fit_settings: %s\n# quality_metric: accuracy\n", settings);
    fprintf(f, "requested_fraction\tachieved_fraction\tn_removed\tquality\ttest_nll\n");
    for (int i = 0; i <= 4; i++) {
        double fr = 0.25 * i;
        fprintf(f, "%g\t%g\t%d\t%.17g\t0.5\n", fr, fr, 4 * i, q0 - slope * fr);
    }
    TAP_REQUIRE(fclose(f) == 0);
}

/* A P2 noise file on a 2 x 2 grid: output noise = peak * f * s. */
static void write_noise(const char *name, const char *method, int repeat, const char *settings, double peak)
{
    FILE *f = fopen(path_of(name), "w");
    TAP_REQUIRE(f != NULL);
    fprintf(f, "# prunebench protocol P2: noise robustness\n# method: %s\n# repeat: %d\n# dataset: toy\n", method, repeat);
    fprintf(f, "# fit_settings: %s\n# quality_metric: accuracy\n# draws: 10\n", settings);
    fprintf(f, "requested_fraction\tachieved_fraction\tnoise_level\toutput_noise\tquality_mean\tquality_sd\n");
    for (int fi = 0; fi < 2; fi++)
        for (int li = 0; li < 2; li++)
            fprintf(f, "%d\t%d\t%d\t%.17g\t0.9\t0.01\n", fi, fi, li, peak * fi * li + 0.01 * repeat);
    TAP_REQUIRE(fclose(f) == 0);
}

/* 0 if gnuplot is installed and runs script with the -e assignments. */
static int gnuplot_runs(const char *assign, const char *script)
{
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "gnuplot -e \"%s\" %s 2>%s", assign, script, path_of("gnuplot.err"));
    return system(cmd);
}

int main(void)
{
    plan(20);
    TAP_REQUIRE(mkdtemp(dir) != NULL);

    /* ---- the table ---- */
    pb_style r = pb_style_of("random"), o = pb_style_of("obd"), s = pb_style_of("svd"), g = pb_style_of("groupvd");
    ok(!strcmp(r.color, "#7F7F7F") && r.point == 1 && r.known, "random: grey, point 1");
    ok(!strcmp(o.color, "#E69F00") && o.point == 7 && !strcmp(s.color, "#0072B2") && s.point == 13 &&
       !strcmp(g.color, "#D55E00") && g.point == 11, "obd, svd, groupvd: their Okabe-Ito colours and points");
    static const char *const known[] = {"random", "obd", "variational", "belsley", "svd", "groupvd",
                                        "magnitude", "snip", "synflow"};
    size_t nk = sizeof known / sizeof known[0];
    int all_known = 1, distinct = 1;
    for (size_t i = 0; i < nk; i++) {
        pb_style a = pb_style_of(known[i]);
        all_known &= a.known && a.color[0] == '#' && strlen(a.color) == 7;
        for (size_t j = 0; j < i; j++) {
            pb_style b = pb_style_of(known[j]);
            if (!strcasecmp(a.color, b.color) || a.point == b.point) {
                diag("%s and %s share a colour or a point type", known[i], known[j]);
                distinct = 0;
            }
        }
    }
    ok(all_known, "every known method is in the table, with an #rrggbb colour");
    ok(distinct, "two known methods never share a colour or a point type");

    /* ---- an unknown name ---- */
    pb_style u1 = pb_style_of("my_pruner"), u2 = pb_style_of("my_pruner");
    ok(!u1.known && !strcmp(u1.color, u2.color) && u1.point == u2.point, "an unknown name: the same style every time");
    int open_point = u1.point % 2 == 0 && u1.point >= 4 && u1.point <= 14;
    int like_known = 0;
    for (size_t i = 0; i < nk; i++) like_known |= pb_style_of(known[i]).point == u1.point;
    ok(open_point && !like_known, "an unknown name gets an open point type no known method uses (%d)", u1.point);
    /* in two summaries with different sets of other methods, at different positions */
    const char *few[] = {"random", "my_pruner"}, *many[] = {"aaa", "obd", "zzz", "my_pruner", "random", "another"};
    char c1[32], p1[32], c2[32], p2[32];
    style_in_gp("few.gp", few, 2, 1, c1, p1, sizeof c1);
    style_in_gp("many.gp", many, 6, 3, c2, p2, sizeof c2);
    char want_p[16];
    snprintf(want_p, sizeof want_p, "%d", u1.point);
    ok(!strcmp(c1, u1.color) && !strcmp(c2, u1.color) && !strcmp(p1, want_p) && !strcmp(p2, want_p),
       "an unknown name keeps its style whatever else is loaded (%s %s / %s %s)", c1, p1, c2, p2);
    int spread = 0;
    const char *names[] = {"a", "b", "c", "d", "e", "f", "g", "h"};
    for (size_t i = 1; i < 8; i++) spread |= strcmp(pb_style_of(names[i]).color, pb_style_of(names[0]).color) != 0;
    ok(spread, "unknown names do not all get one colour");

    /* ---- whose network ---- */
    ok(pb_fit_settings_own_network("family=log-uniform epochs=150 noise=none method=svd") &&
       pb_fit_settings_own_network("method=groupvd epochs=3"), "settings naming a method: its own network");
    ok(!pb_fit_settings_own_network("family=gauss-diag epochs=150 prior_mean=empirical-bayes noise=none") &&
       !pb_fit_settings_own_network("xmethod=a") && !pb_fit_settings_own_network("method= epochs=1") &&
       !pb_fit_settings_own_network(""), "settings without a method (or 'method=' empty): the shared fit");
    ok(pb_style_dashtype(1) == 2 && pb_style_dashtype(0) == 1, "own network dashed (dashtype 2), shared fit solid");

    /* ---- the P1 include ---- */
    const char *shared = "family=gauss-diag epochs=10 noise=none", *trained = "family=log-uniform epochs=10 method=svd";
    write_curve("random-r0.tsv", "random", 0, shared, 0.9, 0.5);
    write_curve("obd-r0.tsv", "obd", 0, shared, 0.9, 0.2);
    write_curve("svd-r0.tsv", "svd", 0, trained, 0.95, 0.1);
    char *curves[] = {path_of("svd-r0.tsv"), path_of("random-r0.tsv"), path_of("obd-r0.tsv")};
    pb_summary_opts so = {0};
    so.dataset = "toy", so.title = "Toy", so.mean_out = path_of("p1-mean.tsv"), so.gp_out = path_of("p1-methods.gp");
    int st = pb_summarize(&so, curves, 3);
    ok(st == PB_OK, "P1 summary of random, obd and an svd with its own fit%s%s", st ? ": " : "", st ? pb_last_error() : "");
    char *t = slurp(so.gp_out);
    ok(strstr(t, "methods = \"random obd svd\"\n") && strstr(t, "dashes  = \"1 1 2\"\n") &&
       strstr(t, "own     = \"0 0 1\"\n") && strstr(t, "colors  = \"#7F7F7F #E69F00 #0072B2\"\n"),
       "p1-methods.gp: svd dashed and marked own, the others solid; colours by name");
    ok(strstr(t, "(own network)") && strstr(t, "repeats = 1\nrepeats_max = 1\n"),
       "p1-methods.gp: the legend's marker, and one repeat");
    free(t);

    /* ---- the P2 include ---- */
    write_noise("n-random-r0.tsv", "random", 0, shared, 0.2);
    write_noise("n-random-r1.tsv", "random", 1, shared, 0.2);
    write_noise("n-groupvd-r0.tsv", "groupvd", 0, "epochs=10 method=groupvd", 0.7);
    write_noise("n-groupvd-r1.tsv", "groupvd", 1, "epochs=10 method=groupvd", 0.5);
    char *noises[] = {path_of("n-random-r0.tsv"), path_of("n-groupvd-r0.tsv"), path_of("n-random-r1.tsv"),
                      path_of("n-groupvd-r1.tsv")};
    char prefix[300];
    snprintf(prefix, sizeof prefix, "%s/p2-surface", dir);
    pb_p2_summary_opts po = {"toy", "Toy", prefix, path_of("p2-slices.tsv"), path_of("p2-macros.tex"), NULL, 1, 1};
    st = pb_p2_summarize(&po, noises, 4);
    ok(st == PB_OK, "P2 summary of random and a groupvd with its own fits%s%s", st ? ": " : "", st ? pb_last_error() : "");
    t = slurp(path_of("p2-surface-methods.gp"));
    ok(strstr(t, "methods = \"random groupvd\"\n") && strstr(t, "dashes  = \"1 2\"\n") && strstr(t, "own     = \"0 1\"\n"),
       "p2-surface-methods.gp: groupvd dashed and marked own");
    /* groupvd's mean surface peaks at f = s = 1: (0.7 + (0.5 + 0.01)) / 2 = 0.605, above random's */
    const char *z = strstr(t, "\nzmax = ");
    ok(z && fabs(strtod(z + 8, NULL) - 0.605) < 1e-9 && strstr(t, "repeats = 2\nrepeats_max = 2\n"),
       "p2-surface-methods.gp: zmax over all methods' surfaces (%g), two repeats", z ? strtod(z + 8, NULL) : NAN);
    free(t);

    /* ---- the figure scripts read them ---- */
    if (system("gnuplot --version >/dev/null 2>&1") != 0) {
        skip(3, "gnuplot is not installed");
    } else {
        char a[2048];
        snprintf(a, sizeof a, "data='%s'; methods_gp='%s'; out='%s'; fmt='pdf'", so.mean_out, so.gp_out,
                 path_of("p1.pdf"));
        int rc = gnuplot_runs(a, "report/p1.gp");
        char *err = slurp(path_of("gnuplot.err"));
        struct stat sb;
        ok(rc == 0 && !err[0] && stat(path_of("p1.pdf"), &sb) == 0 && sb.st_size > 0, "report/p1.gp draws it%s%s",
           err[0] ? ": " : "", err);
        free(err);
        snprintf(a, sizeof a, "data='%s'; methods_gp='%s/p2-surface-methods.gp'; out='%s'; fmt='pdf'",
                 path_of("p2-slices.tsv"), dir, path_of("p2-slices.pdf"));
        rc = gnuplot_runs(a, "report/p2-slices.gp");
        err = slurp(path_of("gnuplot.err"));
        ok(rc == 0 && !err[0], "report/p2-slices.gp draws it%s%s", err[0] ? ": " : "", err);
        free(err);
        snprintf(a, sizeof a, "data='%s/p2-surface-groupvd.tsv'; methods_gp='%s/p2-surface-methods.gp'; method='groupvd'; "
                 "out='%s'; fmt='pdf'; title='Toy: groupvd'", dir, dir, path_of("surface.pdf"));
        rc = gnuplot_runs(a, "report/p2-surface.gp");
        err = slurp(path_of("gnuplot.err"));
        ok(rc == 0 && !err[0], "report/p2-surface.gp draws it%s%s", err[0] ? ": " : "", err);
        free(err);
    }
    return done_testing();
}
