/* p2_summary.c -- the P2 summary through the library (protocols/p2_summary.h)
 * on noise files written here: two methods x two repeats on a 3 x 3
 * fraction x level grid with values from a closed form, so every mean and
 * sd over repeats is known. Checks the surfaces, the method list, the
 * slices, the macros and the table; then the refusals (no files, a grid
 * point off the grid, grids that differ, two files for one repeat, another
 * dataset, a file that is not a noise file), none of which writes a file. */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tap.h"
#include "protocols/p2_summary.h"
#include "base/util.h"

static char dir[] = "/tmp/pb-p2sum-XXXXXX";
static const double frac[3] = {0, 0.5, 1}, level[3] = {0, 0.5, 1};

/* The closed form: method m (0 random, 1 obd), repeat r, grid cell. */
static double noise_of(int m, int r, double f, double s) { return 0.1 * (m + 1) * (2 * f + 1) * s + 0.01 * r; }
static double quality_of(int m, int r, double f, double s) { return 0.9 - 0.2 * f - 0.1 * s - 0.02 * r - 0.05 * m; }
static double achieved_of(int r, double f) { return f * (0.98 + 0.01 * r); }

/* dir/name, in a buffer of its own (the test asks for fewer than 64). */
static char *path_of(const char *name)
{
    static char p[64][256];
    static int k;
    TAP_REQUIRE(k < 64);
    snprintf(p[k], sizeof p[k], "%s/%s", dir, name);
    return p[k++];
}

/* A noise file of method m, repeat r; nf fractions of frac[], dataset ds. */
static void write_noise(const char *name, int m, int r, int nf, const char *ds)
{
    FILE *f = fopen(path_of(name), "w");
    TAP_REQUIRE(f != NULL);
    fprintf(f, "# prunebench protocol P2: noise robustness\n# method: %s\n# repeat: %d\n# dataset: %s\n",
            m ? "obd" : "random", r, ds);
    fprintf(f, "# quality_metric: accuracy\n# draws: 10\n");
    fprintf(f, "requested_fraction\tachieved_fraction\tnoise_level\toutput_noise\tquality_mean\tquality_sd\n");
    for (int fi = 0; fi < nf; fi++)
        for (int li = 0; li < 3; li++)
            fprintf(f, "%.17g\t%.17g\t%.17g\t%.17g\t%.17g\t0.01\n", frac[fi], achieved_of(r, frac[fi]), level[li],
                    noise_of(m, r, frac[fi], level[li]), quality_of(m, r, frac[fi], level[li]));
    TAP_REQUIRE(fclose(f) == 0);
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f) return calloc(1, 1);
    char *buf = calloc(1, 1 << 16);
    TAP_REQUIRE(buf != NULL);
    size_t n = fread(buf, 1, (1 << 16) - 1, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

/* Data rows of a surface: percent, level, noise, quality, noise sd, quality sd. */
static int check_surface(const char *path, int m)
{
    FILE *f = fopen(path, "r");
    if (!f) return 0;
    char line[512];
    int rows = 0, good = 1;
    while (fgets(line, sizeof line, f)) {
        double v[6];
        if (line[0] == '#' || line[0] == '\n') continue;
        if (sscanf(line, "%lf\t%lf\t%lf\t%lf\t%lf\t%lf", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5]) != 6) { good = 0; break; }
        int fi = rows / 3, li = rows % 3;
        double fr = frac[fi], s = level[li];
        double n0 = noise_of(m, 0, fr, s), n1 = noise_of(m, 1, fr, s), q0 = quality_of(m, 0, fr, s),
               q1 = quality_of(m, 1, fr, s);
        double want[6] = {100 * (achieved_of(0, fr) + achieved_of(1, fr)) / 2, s, (n0 + n1) / 2, (q0 + q1) / 2,
                          fabs(n0 - n1) / sqrt(2), fabs(q0 - q1) / sqrt(2)};
        for (int k = 0; k < 6; k++)
            if (!(fabs(v[k] - want[k]) <= 1e-8 * (1 + fabs(want[k])))) {
                diag("%s row %d column %d: %.17g, expected %.17g", path, rows, k, v[k], want[k]);
                good = 0;
            }
        rows++;
    }
    fclose(f);
    return good && rows == 9;
}

static int exists(const char *name) { return access(path_of(name), F_OK) == 0; }

int main(void)
{
    plan(20);
    TAP_REQUIRE(mkdtemp(dir) != NULL);
    write_noise("random-r0.tsv", 0, 0, 3, "toy");
    write_noise("random-r1.tsv", 0, 1, 3, "toy");
    write_noise("obd-r0.tsv", 1, 0, 3, "toy");
    write_noise("obd-r1.tsv", 1, 1, 3, "toy");
    /* given out of order: obd first, repeat 1 before 0 */
    char *files[] = {path_of("obd-r1.tsv"), path_of("random-r1.tsv"), path_of("obd-r0.tsv"), path_of("random-r0.tsv")};
    char prefix[256], slices[256], macros[256], table[256];
    snprintf(prefix, sizeof prefix, "%s/surface", dir);
    snprintf(slices, sizeof slices, "%s/slices.tsv", dir);
    snprintf(macros, sizeof macros, "%s/macros.tex", dir);
    snprintf(table, sizeof table, "%s/table.tex", dir);
    pb_p2_summary_opts o = {"toy", "Toy set", prefix, slices, macros, table, 0.5, 0.5};
    int st = pb_p2_summarize(&o, files, 4);
    ok(st == PB_OK, "summary of 2 methods x 2 repeats%s%s", st ? ": " : "", st ? pb_last_error() : "");
    ok(check_surface(path_of("surface-random.tsv"), 0), "random's surface: means and sds over repeats per cell");
    ok(check_surface(path_of("surface-obd.tsv"), 1), "obd's surface: means and sds over repeats per cell");
    char *t = slurp(path_of("surface-methods.gp"));
    ok(strstr(t, "methods = \"random obd\"\n") && strstr(t, "dataset_title = \"Toy set\"\n") &&
       strstr(t, "at_fraction = 0.5\nat_level = 0.5\ndraws = 10\n"), "method list: random first; title, grid point, draws");
    free(t);
    t = slurp(slices);
    size_t blocks = 0;
    for (const char *p = t; (p = strstr(p, "\n# block ")); p++) blocks++;
    ok(blocks == 4, "slices: 2 blocks per method (%zu)", blocks);
    /* block 0 is random vs percent removed at s = 0.5; its row at fraction 1 */
    char want[256];
    double n0 = noise_of(0, 0, 1, 0.5), n1 = noise_of(0, 1, 1, 0.5);
    snprintf(want, sizeof want, "\n%.6g\t%.10g\t%.10g\t", 100 * (achieved_of(0, 1) + achieved_of(1, 1)) / 2,
             (n0 + n1) / 2, fabs(n0 - n1) / sqrt(2));
    ok(strstr(t, "# block 0: method: random repeats: 2;") && strstr(t, want), "slices: random at s = 0.5, fraction 1");
    ok(strstr(t, "# block 3: method: obd repeats: 2; output noise vs noise level at fraction 0.5") != NULL,
       "slices: obd vs noise level at fraction 0.5 last");
    free(t);
    t = slurp(macros);
    /* at (0.5, 0.5): noise 0.1 (m + 1) + 0.005; quality 0.74 - 0.05 m; range over the surface */
    ok(strstr(t, "\\newcommand{\\pbToyRandomNoiseAtHalf}{0.105}\n") &&
       strstr(t, "\\newcommand{\\pbToyObdNoiseAtHalf}{0.205}\n"), "macros: mean output noise at the grid point");
    ok(strstr(t, "\\newcommand{\\pbToyRandomNoiseAtHalfQuality}{0.740}\n") &&
       strstr(t, "\\newcommand{\\pbToyObdNoiseAtHalfQuality}{0.690}\n"), "macros: mean accuracy there");
    ok(strstr(t, "\\newcommand{\\pbToyObdNoiseMin}{0.00500}\n") && strstr(t, "\\newcommand{\\pbToyObdNoiseMax}{0.605}\n"),
       "macros: the surface's range");
    ok(strstr(t, "\\newcommand{\\pbToyRandomNoiseRepeats}{2}\n") && strstr(t, "\\newcommand{\\pbToyNoiseDraws}{10}\n"),
       "macros: repeats and draws");
    free(t);
    t = slurp(table);
    ok(strstr(t, "\nrandom & 2 & 0.105 & 0.740 & 0.00500--0.305 \\\\\nobd & 2 & 0.205 & 0.690 & 0.00500--0.605 \\\\\n") !=
           NULL, "table: a row per method, random first");
    free(t);

    /* refused, and nothing written */
    snprintf(prefix, sizeof prefix, "%s/bad", dir);
    snprintf(slices, sizeof slices, "%s/bad-slices.tsv", dir);
    snprintf(macros, sizeof macros, "%s/bad-macros.tex", dir);
    o.tex_out = NULL;
    st = pb_p2_summarize(&o, files, 0);
    ok(st == PB_ERR_ARG, "no files: refused (%s)", pb_last_error());
    o.at_fraction = 0.3;
    st = pb_p2_summarize(&o, files, 4);
    ok(st == PB_ERR_ARG && strstr(pb_last_error(), "0.3"), "a fraction off the grid: refused (%s)", pb_last_error());
    o.at_fraction = 0.5;
    write_noise("short.tsv", 1, 2, 2, "toy");
    char *differ[] = {files[0], path_of("short.tsv")};
    st = pb_p2_summarize(&o, differ, 2);
    ok(st == PB_ERR_FORMAT && strstr(pb_last_error(), "short.tsv"), "grids that differ: refused (%s)", pb_last_error());
    char *twice[] = {files[0], files[0]};
    st = pb_p2_summarize(&o, twice, 2);
    ok(st == PB_ERR_FORMAT && strstr(pb_last_error(), "two noise files for repeat 1"), "two files for one repeat: refused (%s)",
       pb_last_error());
    write_noise("other.tsv", 0, 2, 3, "wine");
    char *other[] = {files[0], path_of("other.tsv")};
    st = pb_p2_summarize(&o, other, 2);
    ok(st == PB_ERR_FORMAT && strstr(pb_last_error(), "'wine'"), "another dataset: refused (%s)", pb_last_error());
    FILE *f = fopen(path_of("junk.tsv"), "w");
    TAP_REQUIRE(f && fputs("# method: x\nnot a noise file\n", f) >= 0 && fclose(f) == 0);
    char *junk[] = {path_of("junk.tsv")};
    st = pb_p2_summarize(&o, junk, 1);
    ok(st == PB_ERR_FORMAT && strchr(pb_last_error(), '\n') == NULL, "a file that is not a noise file: one line (%s)",
       pb_last_error());
    ok(!exists("bad-random.tsv") && !exists("bad-obd.tsv") && !exists("bad-methods.gp") && !exists("bad-slices.tsv") &&
       !exists("bad-macros.tex"), "the refused summaries wrote nothing");
    DIR *d = opendir(dir);
    TAP_REQUIRE(d != NULL);
    size_t tmp = 0;
    for (struct dirent *e; (e = readdir(d));) tmp += strstr(e->d_name, ".tmp") != NULL;
    closedir(d);
    ok(tmp == 0, "no temporary file left (%zu)", tmp);

    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0) diag("could not remove %s", dir);
    return done_testing();
}
