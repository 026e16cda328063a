/* registry.c -- the dataset registry (datasets/registry.h): the table is
 * well formed; an unknown name gives one line naming every known set; every
 * row opens or, with its files absent, gives a one-line error naming the
 * file or variable its help line documents; help (the library call and
 * `prunebench help`) shows every row; README.md and docs/protocols.md name
 * every row in their dataset sections, and nothing else there. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tap.h"
#include "datasets/registry.h"
#include "base/util.h"

static int has(const char *hay, const char *needle) { return strstr(hay, needle) != NULL; }

static int one_line(const char *s) { return s[0] && !strchr(s, '\n'); }

static const char *const env_vars[] = {"PB_FASHION_MNIST_DIR", "PB_MNIST_DIR", "PB_IMDB_DIR", "PB_MOVIE_REVIEWS_FILE",
                                       "PB_WORDNET_DIR", "PB_SEMEVAL_FILE"};
enum { N_ENV = sizeof env_vars / sizeof env_vars[0] };

/* Every variable a row may read points at a path that does not exist. */
static void env_absent(const char *dir)
{
    char p[600];
    snprintf(p, sizeof p, "%s/absent", dir);
    for (int i = 0; i < N_ENV; i++) setenv(env_vars[i], p, 1);
}

static void env_unset(void)
{
    for (int i = 0; i < N_ENV; i++) unsetenv(env_vars[i]);
}

/* The table itself: one test per row. */
static void check_rows(size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const pb_dataset *ds = pb_dataset_at(i);
        int unique = 1;
        for (size_t j = 0; j < i; j++) unique &= strcmp(pb_dataset_at(j)->name, ds->name) != 0;
        int one_way = (ds->load != NULL) != (ds->open != NULL);
        int documented = !ds->source || has(ds->about, ds->source);
        ok(ds->name[0] && unique && one_way && one_line(ds->about) && documented && pb_dataset_find(ds->name) == ds,
           "row %s: unique name, load or open, one help line naming its source '%s'", ds->name,
           ds->source ? ds->source : "(generated)");
    }
    ok(pb_dataset_at(n) == NULL, "pb_dataset_at past the end is NULL");
}

/* An unknown name: the same one line from open, load, available and find. */
static void check_unknown(size_t n)
{
    char want[1024] = "unknown dataset 'nosuch' (known: ";
    for (size_t i = 0; i < n; i++) {
        strcat(want, pb_dataset_at(i)->name);
        strcat(want, i + 1 < n ? ", " : ")");
    }
    pb_data tr, te;
    pb_scaling sc;
    int st = pb_dataset_open("nosuch", "datasets", 1, 0.2, 1, &tr, &te, &sc);
    ok(st == PB_ERR_ARG && !strcmp(pb_last_error(), want) && !tr.X && !te.X && !sc.x_mean,
       "unknown dataset: one line listing every row (%s)", pb_last_error());
    pb_error(PB_OK, "-");
    st = pb_dataset_load("nosuch", "datasets", 1, &tr);
    ok(st == PB_ERR_ARG && !strcmp(pb_last_error(), want) && !tr.X, "pb_dataset_load: the same line");
    pb_error(PB_OK, "-");
    ok(!pb_dataset_available("nosuch", "datasets") && !strcmp(pb_last_error(), want),
       "pb_dataset_available: 0 and the same line");
    pb_error(PB_OK, "-");
    ok(pb_dataset_find("nosuch") == NULL && !strcmp(pb_last_error(), want) && pb_dataset_find("") == NULL &&
       pb_dataset_find("WINE") == NULL, "pb_dataset_find: NULL and the same line; names are exact");
}

/* Open every row from data_dir with every variable pointing nowhere: a row
 * without a source opens; the others report one line naming their source,
 * leave the outputs empty, and pb_dataset_available agrees. */
static void check_open_or_missing(const char *data_dir, const char *label, const char *const *must_open)
{
    for (size_t i = 0; i < pb_dataset_count(); i++) {
        const pb_dataset *ds = pb_dataset_at(i);
        int expect_open = !ds->source;
        for (const char *const *m = must_open; *m; m++) expect_open |= !strcmp(*m, ds->name);
        pb_data tr, te;
        pb_scaling sc;
        pb_error(PB_OK, "-");
        int avail = pb_dataset_available(ds->name, data_dir);
        char why[1024];
        snprintf(why, sizeof why, "%s", pb_last_error());
        int st = pb_dataset_open(ds->name, data_dir, 3, 0.2, 1, &tr, &te, &sc);
        if (expect_open) {
            ok(avail && st == PB_OK && tr.n > 0 && te.n > 0 && tr.d == te.d && sc.d == tr.d,
               "%s, %s: available and opens (%zu + %zu rows x %zu)", label, ds->name, tr.n, te.n, tr.d);
        } else {
            const char *msg = pb_last_error();
            ok(!avail && has(why, ds->source) && one_line(why) && st != PB_OK && one_line(msg) &&
                   has(msg, ds->source) && !tr.X && !te.X && !sc.x_mean,
               "%s, %s: unavailable, and opening fails in one line naming %s (%s)", label, ds->name, ds->source, msg);
        }
        pb_data_free(&tr);
        pb_data_free(&te);
        pb_scaling_free(&sc);
    }
}

/* With the variables unset, a row read through one either is available or
 * says in one line which variable to set (presence only: nothing is read). */
static void check_unset(const char *data_dir)
{
    env_unset();
    for (size_t i = 0; i < pb_dataset_count(); i++) {
        const pb_dataset *ds = pb_dataset_at(i);
        if (!ds->source || strncmp(ds->source, "PB_", 3)) continue;
        pb_error(PB_OK, "-");
        int avail = pb_dataset_available(ds->name, data_dir);
        ok(avail || (one_line(pb_last_error()) && has(pb_last_error(), ds->source)),
           "variables unset, %s: %s", ds->name, avail ? "available (its default location)" : pb_last_error());
    }
}

/* Every row's help line appears in text, after the heading. */
static int lists_every_row(const char *text)
{
    const char *head = strstr(text, "Datasets (");
    if (!head) return 0;
    for (size_t i = 0; i < pb_dataset_count(); i++) {
        const pb_dataset *ds = pb_dataset_at(i);
        char line[512];
        snprintf(line, sizeof line, "%s  ", ds->name);
        const char *at = strstr(head, line);
        if (!at || !has(at, ds->about)) return 0;
    }
    return 1;
}

static void check_help(void)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    TAP_REQUIRE(f != NULL);
    pb_dataset_help(f);
    TAP_REQUIRE(fclose(f) == 0);
    size_t lines = 0;
    for (const char *p = buf; *p; p++) lines += *p == '\n';
    ok(lists_every_row(buf) && lines == pb_dataset_count() + 1, "pb_dataset_help: a heading and one line per row");
    free(buf);

    const char *b = getenv("PB_BUILD") ? getenv("PB_BUILD") : "build";
    char cmd[600], out[65536];
    snprintf(cmd, sizeof cmd, "%s/prunebench help 2>&1", b);
    FILE *p = popen(cmd, "r");
    TAP_REQUIRE(p != NULL);
    size_t got = fread(out, 1, sizeof out - 1, p);
    out[got] = '\0';
    int rc = pclose(p);
    ok(rc == 0 && lists_every_row(out), "prunebench help lists every row with its help line");
}

/* The text of file path between the line "## Datasets" (a heading of that
 * name, any level) and the next heading of the same or a higher level. */
static char *dataset_section(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f) return NULL;
    char *out = NULL, *line = NULL;
    size_t len = 0, cap = 0;
    FILE *m = open_memstream(&out, &len);
    int level = 0;
    while (m && getline(&line, &cap, f) > 0) {
        int hashes = 0;
        while (line[hashes] == '#') hashes++;
        int heading = hashes > 0 && line[hashes] == ' ';
        if (level && heading && hashes <= level) break;
        if (level) fputs(line, m);
        else if (heading && !strncmp(line + hashes, " Datasets", 9)) level = hashes;
    }
    free(line);
    fclose(f);
    if (m) fclose(m);
    if (out && !level) out[0] = '\0';
    return out;
}

/* Every row named in the section as `name`; every table row of the
 * section ("| `x` |") names a registry row. */
static void check_doc(const char *path)
{
    char *sec = dataset_section(path);
    if (!sec || !sec[0]) {
        ok(0, "%s: has a '## Datasets' section", path);
        ok(0, "%s: its table names only registry rows", path);
        free(sec);
        return;
    }
    char missing[512] = "";
    for (size_t i = 0; i < pb_dataset_count(); i++) {
        char q[80];
        snprintf(q, sizeof q, "`%s`", pb_dataset_at(i)->name);
        if (!has(sec, q) && strlen(missing) < 400) strcat(missing, " "), strcat(missing, pb_dataset_at(i)->name);
    }
    ok(!missing[0], "%s: the dataset section names every registry row%s%s", path, missing[0] ? "; missing:" : "",
       missing);
    char unknown[512] = "";
    for (const char *l = sec; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
        if (strncmp(l, "| `", 3)) continue;
        const char *end = strchr(l + 3, '`');
        if (!end) continue;
        char name[64];
        snprintf(name, sizeof name, "%.*s", (int)(end - l - 3), l + 3);
        if (!pb_dataset_find(name) && strlen(unknown) < 400) strcat(unknown, " "), strcat(unknown, name);
    }
    ok(!unknown[0], "%s: its table names only registry rows%s%s", path, unknown[0] ? "; not in the registry:" : "",
       unknown);
    free(sec);
}

int main(void)
{
    size_t n = pb_dataset_count();
    size_t via_env = 0;
    for (size_t i = 0; i < n; i++) via_env += pb_dataset_at(i)->source && !strncmp(pb_dataset_at(i)->source, "PB_", 3);
    plan((int)(n + 1 + 4 + 2 * n + via_env + 2 + 4 + 1));

    check_rows(n);
    check_unknown(n);

    char dir[] = "/tmp/pb-registry-XXXXXX";
    TAP_REQUIRE(mkdtemp(dir) != NULL);
    env_absent(dir);
    static const char *const none[] = {NULL};
    static const char *const shipped[] = {"wine", "boston", NULL};
    check_open_or_missing(dir, "empty data dir", none);
    check_open_or_missing("datasets", "shipped data dir", shipped);
    check_unset(dir);

    check_help();
    check_doc("README.md");
    check_doc("docs/protocols.md");

    /* a parts-only row cannot be loaded whole */
    for (size_t i = 0; i < n; i++) {
        const pb_dataset *ds = pb_dataset_at(i);
        if (ds->load) continue;
        pb_data all;
        int st = pb_dataset_load(ds->name, "datasets", 1, &all);
        ok(st == PB_ERR_ARG && has(pb_last_error(), "pb_dataset_open") && !all.X,
           "pb_dataset_load %s: refused, pointing to pb_dataset_open", ds->name);
        break;
    }
    rmdir(dir);
    return done_testing();
}
