/* robust.c -- small or hostile input gives one line and a non-zero status,
 * never a crash, a hang or a wrong result with exit 0: splits with an empty
 * part, options given twice, output paths checked before training, orders
 * checked against the fit they are applied to, non-finite or overflowing
 * values in CSV files, scores, fits and standardization, checkpoints past
 * the run's end, model size, stale temp files, FIFOs among the data files.
 * Through the real binary where the command line is the point, the library
 * otherwise. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdarg.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <gsl/gsl_rng.h>

#include "tap.h"
#include "base/util.h"
#include "datasets/csv.h"
#include "datasets/data.h"
#include "datasets/registry.h"
#include "datasets/text.h"
#include "formats/checkpoint.h"
#include "formats/fit.h"
#include "formats/order.h"
#include "host/cell.h"

static char dir[] = "/tmp/pb-robust-XXXXXX";
static char pb[1024], errfile[600], errbuf[8192];

/* Run "prunebench <args>" (stdout discarded, stderr into errbuf), at most
 * `seconds` (then killed: -1). Returns the exit status, -1 on a signal. */
static int run(int seconds, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int run(int seconds, const char *fmt, ...)
{
    char args[3000], cmd[8192];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(args, sizeof args, fmt, ap);
    va_end(ap);
    snprintf(cmd, sizeof cmd, "cd '%s' && timeout -s KILL %d '%s' %s >/dev/null 2>'%s'", dir, seconds, pb, args,
             errfile);
    int rc = system(cmd);
    FILE *f = fopen(errfile, "r");
    size_t n = f ? fread(errbuf, 1, sizeof errbuf - 1, f) : 0;
    errbuf[n] = '\0';
    if (f) fclose(f);
    if (rc == -1 || !WIFEXITED(rc)) return -1;
    return WEXITSTATUS(rc);
}

/* The error is one line, "prunebench: ..." holding want. */
static int one_line(const char *want)
{
    size_t n = strlen(errbuf);
    int ok1 = n > 0 && errbuf[n - 1] == '\n' && !memchr(errbuf, '\n', n - 1) && !strncmp(errbuf, "prunebench: ", 12) &&
              strstr(errbuf, want) != NULL;
    if (!ok1) diag("stderr: %s", errbuf);
    return ok1;
}

static void path_of(const char *name, char *out, size_t len) { snprintf(out, len, "%s/%s", dir, name); }

static void write_file(const char *name, const char *text)
{
    char p[700];
    path_of(name, p, sizeof p);
    FILE *f = fopen(p, "w");
    TAP_REQUIRE(f != NULL);
    fputs(text, f);
    fclose(f);
}

static int has_error(const char *want)
{
    int yes = strstr(pb_last_error(), want) != NULL;
    if (!yes) diag("error: %s", pb_last_error());
    return yes;
}

/* ---- item 2: splits with an empty part ---- */
static void test_splits(void)
{
    char sub[700];
    path_of("one", sub, sizeof sub);
    mkdir(sub, 0755);
    write_file("one/boston_house_prices.csv", "1,2\na,b,y\n1,2,3\n");
    int rc = run(60, "train --data boston --data-dir one --model mlp:2-2-1:tanh:mse -o x.fit --epochs 1");
    ok(rc == 1 && one_line("boston: a test fraction of 0.2 of 1 rows leaves the test part empty"),
       "a one-row CSV: one line naming the set, the fraction and the empty part (rc %d)", rc);
    write_file("mr.tsv", "good movie\t0.5\nbad movie\t0.1\n");
    rc = run(60, "train --data movie-reviews --data-dir mr.tsv --model lstm:20xv100e4-4-1:mse -o x.fit --epochs 1");
    ok(rc == 1 && one_line("movie-reviews: a test fraction of 0.2 of 2 rows leaves the test part empty"),
       "a two-line Movie Reviews file: one line (rc %d)", rc);
    path_of("ten", sub, sizeof sub);
    mkdir(sub, 0755);
    write_file("ten/boston_house_prices.csv", "10,1\n1,1\n2,2\n3,3\n4,4\n5,5\n6,6\n7,7\n8,8\n9,9\n10,10\n");
    rc = run(60, "train --data boston --data-dir ten --model mlp:1-2-1:tanh:mse -o x.fit --epochs 1 --test-fraction 0.99");
    ok(rc == 1 && one_line("leaves the training part empty"), "--test-fraction 0.99 on 10 rows: one line (rc %d)", rc);
}

/* ---- item 4: the command line ---- */
static void test_cli(void)
{
    int rc = run(20, "train --data wine --model mlp:13-4-3:tanh --epochs 100000 -o /nonexistent/x.fit");
    ok(rc == 1 && one_line("-o: cannot write /nonexistent/x.fit: directory /nonexistent"),
       "train -o /nonexistent/x.fit fails before training (rc %d)", rc);
    write_file("plain", "a file, not a directory\n");
    rc = run(20, "rank --fit w.fit --method random -o plain/x");
    ok(rc == 1 && one_line("is not a directory"), "rank -o under a file: refused before any work (rc %d)", rc);
    rc = run(20, "train --data wine --model mlp:13-4-3:tanh --epochs 2 --epochs 3 -o x.fit");
    ok(rc == 1 && one_line("option '--epochs' given twice"), "--epochs 2 --epochs 3: one line naming it (rc %d)", rc);
    rc = run(20, "train --data wine --model mlp:13-100000-100000-3:tanh --epochs 1 -o x.fit");
    ok(rc == 1 && one_line("parameters is more than the limit"), "a 100000-wide MLP: refused at once (rc %d)", rc);
    /* the memory estimate, machine-independent: one parameter more than the memory available trains */
    uint64_t avail = pb_mem_available();
    size_t n = avail ? (size_t)(avail / PB_FIT_TRAIN_BYTES_PER_PARAM) + 1000 : 0;
    if (n && n <= PB_FIT_MAX_PARAMS) {
        int st = pb_fit_check_size(n, "mlp:x");
        ok(st == PB_ERR_NOMEM && has_error("GB of memory available"), "a model beyond the memory available: refused");
    } else {
        skip(1, "memory available unknown or above 2^31 parameters");
    }
    ok(pb_fit_check_size(PB_FIT_MAX_PARAMS + 1, "mlp:y") == PB_ERR_ARG && has_error("more than the 2147483648 (2^31)"),
       "more than 2^31 parameters: refused");
    ok(pb_fit_check_size(1000, "mlp:z") == 0, "a thousand parameters: fine");
}

/* ---- item 3: orders applied to the fit they belong to ---- */
static void test_orders(void)
{
    const char *setup[] = {"train --data wine --model mlp:13-4-3:tanh --epochs 2 -o w.fit",
                           "train --data wine --model mlp:13-4-3:tanh --epochs 2 --repeat 1 -o w1.fit",
                           "train --data boston --model mlp:13-4-1:tanh:mse --epochs 2 -o b.fit",
                           "rank --fit w.fit --method random -o w.tsv"};
    int rc;
    for (size_t k = 0; k < sizeof setup / sizeof *setup; k++)
        if ((rc = run(120, "%s", setup[k])) != 0) diag("%s: rc %d: %s", setup[k], rc, errbuf);
    TAP_REQUIRE(rc == 0);
    char p[700], line[512];
    path_of("w.tsv", p, sizeof p);
    FILE *f = fopen(p, "r");
    int has_sha = 0;
    while (f && fgets(line, sizeof line, f))
        if (!strncmp(line, "# fit_sha256: ", 14) && strlen(line) == 14 + 64 + 1) has_sha = 1;
    if (f) fclose(f);
    ok(has_sha, "rank records the fit's SHA-256 in the order");
    rc = run(60, "curve --fit w.fit --order w.tsv --fractions 0,0.5 -o c.tsv");
    ok(rc == 0, "the order on its own fit: a curve (rc %d)", rc);
    rc = run(60, "curve --fit b.fit --order w.tsv --fractions 0,0.5 -o c.tsv");
    ok(rc == 1 && one_line("an order of model mlp:13-4-3:tanh; the fit b.fit is model"),
       "a Wine order on a Boston fit: refused (rc %d)", rc);
    rc = run(60, "curve --fit w1.fit --order w.tsv --fractions 0,0.5 -o c.tsv");
    ok(rc == 1 && one_line("ranked another fit than w1.fit"), "an order of another repeat's fit: refused (rc %d)", rc);
    rc = run(60, "noise --fit w1.fit --order w.tsv --fractions 0 --levels 0 --draws 2 -o n.tsv");
    ok(rc == 1 && one_line("ranked another fit than w1.fit"), "noise: the same check (rc %d)", rc);
    /* truncated: its last 5 rows lost */
    char cmd[2000];
    snprintf(cmd, sizeof cmd, "cd '%s' && head -n -5 w.tsv > wt.tsv", dir);
    TAP_REQUIRE(system(cmd) == 0);
    rc = run(60, "curve --fit w.fit --order wt.tsv --fractions 0,0.5 -o c.tsv");
    ok(rc == 1 && one_line("wt.tsv: 59 rows; the 64 prunable parameters (weights) of the fit w.fit"),
       "a truncated order: refused (rc %d)", rc);
    rc = run(60, "export --fit w.fit --order wt.tsv --fraction 0.5 -o x.csr");
    ok(rc == 1 && one_line("59 rows"), "export: the same check (rc %d)", rc);
    /* a score that overflows */
    snprintf(cmd, sizeof cmd, "cd '%s' && awk -F'\\t' -v OFS='\\t' '/^[0-9]/ && !d { $4 = \"1e999\"; d = 1 } 1' w.tsv > wi.tsv",
             dir);
    TAP_REQUIRE(system(cmd) == 0);
    path_of("wi.tsv", p, sizeof p);
    size_t *order = NULL, n_order;
    double *score = NULL;
    int st = pb_order_read_scores(p, 71, &order, &score, &n_order, NULL, 0);
    ok(st == PB_ERR_FORMAT && has_error("wi.tsv:22:4: score '1e999' is not a finite number") && !order,
       "a score of 1e999: refused with line and column");
}

/* ---- item 3: values that overflow or are not finite ---- */
static void test_values(void)
{
    char p[700];
    pb_data d;
    write_file("big.csv", "2,2\n1,2,0\n1e308,4,1\n");
    path_of("big.csv", p, sizeof p);
    int st = pb_csv_load(p, 0, "big", &d);
    ok(st == PB_ERR_FORMAT && has_error("big.csv:3:1: 1e308 is out of range") && !d.X, "1e308 in a CSV: line and column");
    write_file("bigscore.tsv", "a fine film\t0.5\nbad\t1e308\nok\t0.2\n");
    path_of("bigscore.tsv", p, sizeof p);
    pb_data tr0, te0;
    st = pb_movie_reviews_load(p, NULL, 0.5, 1, &tr0, &te0, NULL);
    ok(st == PB_ERR_FORMAT && has_error("bigscore.tsv:2:5: score 1e308 is out of range") && !tr0.X,
       "1e308 as a Movie Reviews score: line and column");
    path_of("huge.csv", p, sizeof p);
    FILE *f = fopen(p, "w");
    fprintf(f, "100000000,4000\n");
    for (int r = 0; r < 3; r++) {
        for (int j = 0; j < 4000; j++) fprintf(f, "%d,", j);
        fprintf(f, "1\n");
    }
    fclose(f);
    st = pb_csv_load(p, 0, "huge", &d);
    ok(st == PB_ERR_FORMAT && has_error("file ends after 3 rows; line 1 announced 100000000"),
       "a header of 1e8 x 4000: no 3.2 TB allocation, the rows it has are read");

    /* standardization that would overflow names the column */
    pb_data tr, te;
    pb_scaling sc;
    TAP_REQUIRE(pb_data_alloc(&tr, "t", 2, 2, 1, 0) == 0 && pb_data_alloc(&te, "t", 1, 2, 1, 0) == 0);
    tr.X[0] = 1, tr.X[1] = 1e308, tr.X[2] = 2, tr.X[3] = -1e308;
    st = pb_standardize(&tr, &te, 1, &sc);
    ok(st == PB_ERR_NUMERIC && has_error("t: feature 1 (column 2)") && !sc.x_mean,
       "a standard deviation that overflows: refused, naming the column");
    pb_data_free(&tr), pb_data_free(&te);

    /* fit files */
    pb_fit fit, back;
    TAP_REQUIRE(pb_fit_alloc(&fit, 4) == 0);
    snprintf(fit.model, sizeof fit.model, "mlp:1-1-1:tanh:mse");
    snprintf(fit.dataset, sizeof fit.dataset, "boston");
    snprintf(fit.family, sizeof fit.family, "gauss-diag");
    fit.test_fraction = 0.2, fit.prior_sd = 1, fit.noise_precision = 1;
    for (int j = 0; j < 4; j++) fit.mean[j] = 0.5, fit.sd[j] = 0.1;
    path_of("v.fit", p, sizeof p);
    TAP_REQUIRE(pb_fit_save(&fit, p) == 0 && pb_fit_load(p, &back) == 0);
    pb_fit_free(&back);
    fit.mean[1] = NAN;
    TAP_REQUIRE(pb_fit_save(&fit, p) == 0);
    st = pb_fit_load(p, &back);
    ok(st == PB_ERR_FORMAT && has_error("mean of parameter 1 is nan"), "a fit with a NaN mean: refused");
    fit.mean[1] = 0.5, fit.sd[2] = -1;
    TAP_REQUIRE(pb_fit_save(&fit, p) == 0);
    st = pb_fit_load(p, &back);
    ok(st == PB_ERR_FORMAT && has_error("sd of parameter 2 is -1"), "a fit with a negative sd: refused");
    fit.sd[2] = INFINITY;
    TAP_REQUIRE(pb_fit_save(&fit, p) == 0);
    ok(pb_fit_load(p, &back) == PB_ERR_FORMAT && has_error("sd of parameter 2 is inf"), "an infinite sd: refused");
    fit.sd[2] = 0.1;
    snprintf(fit.dataset, sizeof fit.dataset, "winee");
    TAP_REQUIRE(pb_fit_save(&fit, p) == 0);
    pb_cell c;
    st = pb_cell_open(&c, p, "datasets");
    ok(st && has_error("unknown dataset 'winee'"), "a fit of an unknown dataset: refused when opened");
    /* a fit naming another dataset than its model reads */
    snprintf(fit.dataset, sizeof fit.dataset, "wine");
    TAP_REQUIRE(pb_fit_save(&fit, p) == 0);
    st = pb_cell_open(&c, p, "datasets");
    ok(st && has_error("the fit's model does not read its dataset wine"), "a fit of mlp:1-1-1 naming wine: refused");
    pb_fit_free(&fit);
}

/* ---- item 3: a checkpoint past the run's end ---- */
static void test_checkpoint(void)
{
    char p[700];
    path_of("x.ckpt", p, sizeof p);
    double v[2] = {1, 2};
    size_t perm[2] = {0, 1};
    pb_ckpt c;
    memset(&c, 0, sizeof c);
    snprintf(c.key, sizeof c.key, "run");
    c.n_vectors = 1;
    c.vector[0] = (pb_ckpt_vector){"values", v, 2};
    c.perm = perm, c.n_perm = 2;
    c.rng = gsl_rng_alloc(gsl_rng_mt19937);
    c.epoch = 7, c.next = 0, c.step = 12;
    TAP_REQUIRE(pb_ckpt_save(p, &c) == 0);
    int found = 0;
    c.last_epoch = 7;
    int st = pb_ckpt_load(p, &c, &found);
    ok(st == 0 && found, "a checkpoint at the last epoch resumes");
    c.last_epoch = 5, found = 0;
    st = pb_ckpt_load(p, &c, &found);
    ok(st == PB_ERR_FORMAT && !found && has_error("at epoch 7, past the run's last epoch 5"),
       "a checkpoint past the run's last epoch: refused in one line");
    gsl_rng_free(c.rng);
}

/* ---- item 4: stale temp files, FIFOs ---- */
static void test_files(void)
{
    char p[700], dead[800], live[800];
    path_of("out.txt", p, sizeof p);
    pid_t child = fork();
    if (child == 0) _exit(0);
    waitpid(child, NULL, 0);   /* a pid no process has now */
    snprintf(dead, sizeof dead, "%s.tmp.%ld", p, (long)child);
    snprintf(live, sizeof live, "%s.tmp.%ld", p, (long)getppid());
    FILE *f = fopen(dead, "w");
    fclose(f);
    f = fopen(live, "w");
    fclose(f);
    pb_outfile o;
    TAP_REQUIRE(pb_out_open(&o, p) == 0);
    fputs("x\n", o.f);
    TAP_REQUIRE(pb_out_commit(&o) == 0);
    ok(access(dead, F_OK) != 0 && errno == ENOENT, "a write removes the temp file a dead process left");
    ok(access(live, F_OK) == 0, "and keeps one whose process lives");
    remove(live);

    /* a FIFO where a data file is: refused at once, never blocking */
    alarm(30);
    path_of("fifo.csv", p, sizeof p);
    TAP_REQUIRE(mkfifo(p, 0644) == 0);
    pb_data d;
    int st = pb_csv_load(p, 0, "x", &d);
    ok(st == PB_ERR_IO && has_error("not a regular file"), "a FIFO as a CSV file: refused, no hang");
    char imdb[700], q[800];
    path_of("aclImdb", imdb, sizeof imdb);
    const char *sub[] = {"", "/train", "/test", "/train/pos", "/train/neg", "/test/pos", "/test/neg"};
    for (int k = 0; k < 7; k++) {
        snprintf(q, sizeof q, "%s%s", imdb, sub[k]);
        mkdir(q, 0755);
        if (k >= 3) {
            snprintf(q, sizeof q, "%s%s/0_%d.txt", imdb, sub[k], k < 5 ? 9 : 2);
            f = fopen(q, "w");
            fputs("a fine film", f);
            fclose(f);
        }
    }
    snprintf(q, sizeof q, "%s/train/pos/1_8.txt", imdb);
    TAP_REQUIRE(mkfifo(q, 0644) == 0);
    pb_data tr, te;
    st = pb_imdb_load(imdb, NULL, &tr, &te, NULL);
    ok(st == PB_ERR_IO && has_error("1_8.txt: not a regular file"), "a FIFO named *.txt in an IMDB directory: refused, "
                                                                    "no hang");
    alarm(0);
}

int main(void)
{
    TAP_REQUIRE(mkdtemp(dir) != NULL);
    const char *bdir = getenv("PB_BUILD") ? getenv("PB_BUILD") : "build";
    char cwd[512];
    TAP_REQUIRE(getcwd(cwd, sizeof cwd) != NULL);
    snprintf(pb, sizeof pb, "%s%s%s/prunebench", bdir[0] == '/' ? "" : cwd, bdir[0] == '/' ? "" : "/", bdir);
    snprintf(errfile, sizeof errfile, "%s/stderr", dir);
    /* absolute: the commands run in the temp directory (make exports a relative PB_PLUGIN_DIR) */
    char data[600], plugins[1100];
    snprintf(data, sizeof data, "%s/datasets", cwd);
    setenv("PB_DATA_DIR", data, 1);
    snprintf(plugins, sizeof plugins, "%.1000s", pb);
    strcpy(strrchr(plugins, '/'), "/plugins");
    setenv("PB_PLUGIN_DIR", plugins, 1);
    test_splits();
    test_cli();
    test_orders();
    test_values();
    test_checkpoint();
    test_files();
    char cmd[700];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0) diag("could not remove %s", dir);
    return done_testing();
}
