/* csv.c -- pb_csv_load on the shipped datasets and on broken files. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tap.h"
#include "datasets/csv.h"
#include "datasets/registry.h"
#include "base/util.h"

static char dir[] = "/tmp/pb-csv-XXXXXX";

/* Write `text` to dir/name; the full path goes to path. */
static void write_file(const char *name, const char *text, char *path, size_t len)
{
    snprintf(path, len, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    TAP_REQUIRE(f != NULL);
    fputs(text, f);
    TAP_REQUIRE(fclose(f) == 0);
}

static int has(const char *hay, const char *needle) { return strstr(hay, needle) != NULL; }

/* Load a broken file: must fail, leave `out` empty, and the message must
 * contain `want` (and the path). */
static void expect_error(const char *name, const char *text, int classification, const char *want_suffix,
                         const char *what)
{
    char path[512], want[600];
    write_file(name, text, path, sizeof path);
    snprintf(want, sizeof want, "%s%s", path, want_suffix);
    pb_data d;
    int st = pb_csv_load(path, classification, "broken", &d);
    const char *msg = pb_last_error();
    ok(st != 0 && d.X == NULL && d.y == NULL, "%s: rejected", what);
    ok(has(msg, want) && !strchr(msg, '\n'), "%s: message names '%s' (got: %s)", what, want, msg);
}

int main(void)
{
    plan(63);
    TAP_REQUIRE(mkdtemp(dir) != NULL);

    /* (a) wine */
    pb_data w;
    int st = pb_csv_load("datasets/wine_data.csv", 1, "wine", &w);
    if (st) diag("%s", pb_last_error());
    TAP_REQUIRE(st == 0);
    is_int((long long)w.n, 178, "wine: 178 rows");
    is_int((long long)w.d, 13, "wine: 13 features");
    is_int((long long)w.ydim, 1, "wine: one target column");
    is_int(w.n_classes, 3, "wine: 3 classes");
    ok(!strcmp(w.name, "wine"), "wine: name recorded");
    int count[3] = {0, 0, 0}, bad_label = 0;
    for (size_t i = 0; i < w.n; i++) {
        int c = (int)w.y[i];
        if (c < 0 || c > 2 || (double)c != w.y[i]) bad_label++;
        else count[c]++;
    }
    is_int(bad_label, 0, "wine: every label is 0, 1 or 2");
    ok(count[0] == 59 && count[1] == 71 && count[2] == 48, "wine: class counts 59/71/48 (got %d/%d/%d)", count[0],
       count[1], count[2]);
    static const double first[13] = {14.23, 1.71, 2.43, 15.6, 127, 2.8, 3.06, 0.28, 2.29, 5.64, 1.04, 3.92, 1065};
    static const double last[13] = {14.13, 4.1, 2.74, 24.5, 96, 2.05, 0.76, 0.56, 1.35, 9.2, 0.61, 1.6, 560};
    int same_first = 1, same_last = 1;
    for (size_t j = 0; j < 13; j++) {
        same_first &= w.X[j] == first[j];
        same_last &= w.X[177 * 13 + j] == last[j];
    }
    ok(same_first && w.y[0] == 0, "wine: first row 14.23, 1.71, ..., 1065, label 0");
    ok(same_last && w.y[177] == 2, "wine: last row 14.13, 4.1, ..., 560, label 2");
    pb_data_free(&w);
    ok(w.X == NULL && w.y == NULL && w.n == 0, "pb_data_free clears the struct");

    /* (b) boston */
    pb_data b;
    st = pb_csv_load("datasets/boston_house_prices.csv", 0, "boston", &b);
    if (st) diag("%s", pb_last_error());
    TAP_REQUIRE(st == 0);
    ok(b.n == 506 && b.d == 13 && b.ydim == 1, "boston: 506 x 13, one target");
    is_int(b.n_classes, 0, "boston: regression (n_classes 0)");
    static const double b_first[13] = {0.00632, 18, 2.31, 0, 0.538, 6.575, 65.2, 4.09, 1, 296, 15.3, 396.9, 4.98};
    static const double b_last[13] = {0.04741, 0, 11.93, 0, 0.573, 6.03, 80.8, 2.505, 1, 273, 21, 396.9, 7.88};
    same_first = same_last = 1;
    for (size_t j = 0; j < 13; j++) {
        same_first &= b.X[j] == b_first[j];
        same_last &= b.X[505 * 13 + j] == b_last[j];
    }
    ok(same_first, "boston: header of names skipped, first row 0.00632, 18, ..., 4.98");
    ok(b.y[0] == 24.0, "boston: first target 24");
    ok(same_last && b.y[505] == 11.9, "boston: last row 0.04741, ..., 7.88, target 11.9");
    double ysum = 0;
    for (size_t i = 0; i < b.n; i++) ysum += b.y[i];
    /* MEDV mean of the standard Boston data: 22.532806... */
    is_double(ysum / (double)b.n, 22.532806324110677, 1e-9, "boston: mean target 22.5328");
    pb_data_free(&b);

    /* the same file as classification: 21.6 is not a class label */
    st = pb_csv_load("datasets/boston_house_prices.csv", 1, "boston", &b);
    ok(st != 0 && has(pb_last_error(), "class label"), "boston as classification: non-integer target rejected (%s)",
       pb_last_error());

    /* (c) broken files; the good file first, to be sure the layout is right */
    char path[512];
    write_file("good.csv", "3,2,a,b\n1,2,0\n3,4,1\r\n\n5,6,1\n", path, sizeof path);
    pb_data g;
    st = pb_csv_load(path, 1, "good", &g);
    if (st) diag("%s", pb_last_error());
    ok(st == 0 && g.n == 3 && g.d == 2 && g.n_classes == 2, "small file with CRLF and a blank line loads");
    ok(st == 0 && g.X[0] == 1 && g.X[3] == 4 && g.X[4] == 5 && g.y[0] == 0 && g.y[2] == 1, "small file: values");
    pb_data_free(&g);
    write_file("gap.csv", "2,1\n0.5,0\n1.5,2\n", path, sizeof path);
    st = pb_csv_load(path, 1, "gap", &g);
    ok(st == 0 && g.n_classes == 3, "labels {0,2}: n_classes is max label + 1 = 3");
    pb_data_free(&g);
    write_file("reg.csv", "2,1\n0.5,-1.25\n1.5,2.5\n", path, sizeof path);
    st = pb_csv_load(path, 0, "reg", &g);
    ok(st == 0 && g.n_classes == 0 && g.y[0] == -1.25 && g.y[1] == 2.5, "regression accepts negative, fractional targets");
    pb_data_free(&g);

    expect_error("word.csv", "3,2\n1,2,0\n3,4,1\n5,6,zz\n", 1, ":4:3", "non-number in line 4 column 3");
    ok(has(pb_last_error(), "zz"), "non-number: message quotes the cell");
    expect_error("word2.csv", "3,2\n1,2,0\n3,4,1\n5,abc,0\n", 1, ":4:2", "non-number in line 4 column 2");
    expect_error("empty_cell.csv", "2,2\n1,,0\n3,4,1\n", 1, ":2:2", "empty cell");
    expect_error("nan.csv", "2,2\n1,nan,0\n3,4,1\n", 0, ":2:2", "NaN cell");
    expect_error("inf.csv", "2,2\n1,2,0\n3,4,inf\n", 0, ":3:3", "infinite target");
    expect_error("cols.csv", "3,2\n1,2,0\n3,4\n5,6,1\n", 1, ":3:", "too few columns on line 3");
    ok(has(pb_last_error(), "expected 3 columns"), "column count: message says how many were expected");
    expect_error("cols2.csv", "2,2\n1,2,0\n3,4,1,7\n", 1, ":3:", "too many columns on line 3");
    expect_error("short.csv", "3,2\n1,2,0\n3,4,1\n", 1, ":", "fewer rows than announced");
    ok(has(pb_last_error(), "2 rows") && has(pb_last_error(), "announced 3"),
       "fewer rows: message gives both counts (%s)", pb_last_error());
    expect_error("long.csv", "2,2\n1,2,0\n3,4,1\n5,6,0\n", 1, ":4:", "more rows than announced");
    ok(has(pb_last_error(), "more rows"), "more rows: message says so");
    expect_error("empty.csv", "", 1, ":1:", "empty file");
    expect_error("header.csv", "x,2\n1,2,0\n", 1, ":1:", "line 1 not 'n,d'");
    expect_error("zero.csv", "0,2\n", 1, ":1:", "zero rows announced");
    expect_error("neg.csv", "2,2\n1,2,0\n3,4,-1\n", 1, ":3:3", "negative class label");
    ok(has(pb_last_error(), "class label"), "negative label: message says class label");
    expect_error("frac.csv", "2,2\n1,2,0.5\n3,4,1\n", 1, ":2:3", "non-integer class label");

    /* a corrupt first cell on line 2 is an error, not a line of column names */
    expect_error("first.csv", "2,2\nx,2,0\n1,2,0\n3,4,1\n", 1, ":2:1", "non-number in the first cell of line 2");
    /* wider than the loader's field table: rejected on line 1, not read out of bounds */
    {
        size_t cols = 5001, len = 16 + 2 * cols;
        char *wide = malloc(len);
        TAP_REQUIRE(wide != NULL);
        size_t k = (size_t)snprintf(wide, len, "1,%zu\n", cols - 1);
        for (size_t j = 0; j < cols; j++) { wide[k++] = '0'; wide[k++] = j + 1 < cols ? ',' : '\n'; }
        wide[k] = '\0';
        expect_error("wide.csv", wide, 0, ":1:", "5000 features (more than the loader's field table)");
        free(wide);
    }

    snprintf(path, sizeof path, "%s/does-not-exist.csv", dir);
    st = pb_csv_load(path, 1, "missing", &g);
    ok(st == PB_ERR_IO, "missing file: I/O error status");
    ok(has(pb_last_error(), path) && has(pb_last_error(), "cannot open"), "missing file: message names the path (%s)",
       pb_last_error());

    /* dataset loader by name */
    st = pb_dataset_load("wine", "datasets", 0, &g);
    ok(st == 0 && g.n == 178 && g.n_classes == 3, "pb_dataset_load wine");
    pb_data_free(&g);
    st = pb_dataset_load("nosuch", "datasets", 0, &g);
    ok(st != 0 && has(pb_last_error(), "nosuch"), "pb_dataset_load: unknown name rejected");

    /* the SHA-256 manifest (written by someone else; names relative to datasets/) */
    if (access("datasets/SHA256SUMS", R_OK) == 0) {
        int rc = system("cd datasets && sha256sum --quiet -c SHA256SUMS");
        ok(rc == 0, "datasets/SHA256SUMS matches the shipped files");
    } else {
        skip(1, "datasets/SHA256SUMS not present");
    }

    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0) diag("could not remove %s", dir);
    return done_testing();
}
