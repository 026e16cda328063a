/* p4.c -- protocol P4 through the library (protocols/p4.h) on a cell built
 * in memory: an LSTM with random weights and an order by |mean|. At a
 * threshold below every score nothing is removed and the compact network
 * keeps every unit; at the median, the removed count and the nonzero weights
 * agree with a count made here; above every score everything goes. The
 * writers put those numbers in the table, the gate table and the macros.
 * Refused: an MLP fit, repeats < 1, a missing order file. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "tap.h"
#include "testutil.h"
#include "host/cell.h"
#include "formats/order.h"
#include "protocols/p1.h"
#include "protocols/p4.h"
#include "base/util.h"

enum { N_TEST = 40 };

/* A cell without files: model `spec` (classification head, C classes), fit
 * means from the model's initializer scaled by 2, a test set of N(0, 1)
 * inputs with labels i mod C. */
static void make_cell(pb_cell *c, const char *spec, unsigned long seed)
{
    memset(c, 0, sizeof *c);
    TAP_REQUIRE(pb_model_parse(spec, &c->net) == 0);
    const pb_model *m = c->net;
    size_t d = m->in_dim, C = m->out_dim;
    TAP_REQUIRE(pb_fit_alloc(&c->fit, m->n_params) == 0);
    snprintf(c->fit.model, sizeof c->fit.model, "%s", spec);
    snprintf(c->fit.dataset, sizeof c->fit.dataset, "toy");
    snprintf(c->fit.family, sizeof c->fit.family, "gauss-diag");
    snprintf(c->fit.settings, sizeof c->fit.settings, "made in memory");
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    TAP_REQUIRE(r != NULL);
    gsl_rng_set(r, seed);
    pb_model_init(m, c->fit.mean, r);
    for (size_t j = 0; j < m->n_params; j++) c->fit.mean[j] *= 2, c->fit.sd[j] = 0.1;
    TAP_REQUIRE(pb_data_alloc(&c->test, "toy", N_TEST, d, 1, (int)C) == 0);
    for (size_t i = 0; i < N_TEST; i++) {
        for (size_t j = 0; j < d; j++) c->test.X[i * d + j] = gsl_ran_gaussian(r, 1.0);
        c->test.y[i] = (double)(i % C);
    }
    gsl_rng_free(r);
    TAP_REQUIRE(identity_scaling(&c->scaling, d, 1, 1.0));
}

static const double *sort_key;
static int by_key(const void *a, const void *b)
{
    double x = sort_key[*(const size_t *)a], y = sort_key[*(const size_t *)b];
    return (x > y) - (x < y);
}

/* The order file of the weights by |mean| (least first): score |mean|.
 * Returns the scores (n_params, NaN off the prunable set) and their count. */
static double *write_order(const pb_cell *c, const char *path, size_t *n_prunable)
{
    const pb_model *m = c->net;
    size_t n = m->n_params;
    unsigned char *mask = calloc(n, 1);
    size_t *order = calloc(n, sizeof *order);
    double *score = calloc(n, sizeof *score);
    TAP_REQUIRE(mask && order && score);
    size_t np = pb_model_prunable(m, 0, mask), k = 0;
    for (size_t j = 0; j < n; j++) {
        score[j] = mask[j] ? fabs(c->fit.mean[j]) : NAN;
        if (mask[j]) order[k++] = j;
    }
    sort_key = score;
    qsort(order, np, sizeof *order, by_key);
    pb_order_meta meta = {"bymag", "", "toy.fit", "weights", 1, 0, NULL, NULL, NULL, NULL, NULL, NULL};
    TAP_REQUIRE(pb_order_write(path, &meta, m, order, score, np) == 0);
    free(mask), free(order);
    *n_prunable = np;
    return score;
}

/* The text a writer produces (malloc'd). */
static char *written(int which, const pb_cell *c, const pb_p4_opts *o, const pb_p4_result *r)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    TAP_REQUIRE(f != NULL);
    if (which == 0) pb_p4_write(f, c, o, r);
    else if (which == 1) pb_p4_write_gates(f, o, r);
    else pb_p4_write_macros(f, "toy-lstm", c, r);
    fclose(f);
    return buf;
}

static size_t count_lines(const char *s)
{
    size_t n = 0;
    for (; *s; s++) n += *s == '\n';
    return n;
}

int main(void)
{
    plan(31);
    char dir[] = "/tmp/pb-p4-XXXXXX", order_path[64];
    TAP_REQUIRE(mkdtemp(dir) != NULL);
    snprintf(order_path, sizeof order_path, "%s/order.tsv", dir);

    pb_cell c;
    make_cell(&c, "lstm:6x3-5-2", 7);
    size_t np;
    double *score = write_order(&c, order_path, &np);
    size_t H = 5;
    pb_p4_opts o = {"toy.fit", order_path, -HUGE_VAL, 0, 2, 1};
    pb_p4_result r;

    /* nothing removed */
    int st = pb_p4_run(&c, &o, &r);
    ok(st == PB_OK, "P4 below every score runs%s%s", st ? ": " : "", st ? pb_last_error() : "");
    double q0, aux0;
    TAP_REQUIRE(pb_evaluate(&c, c.fit.mean, &q0, &aux0) == 0);
    ok(r.removed == 0 && r.prunable == np, "nothing removed of %zu prunable (removed %zu, prunable %zu)", np, r.removed,
       r.prunable);
    ok(r.quality == q0 && r.aux == aux0, "quality is the unpruned network's (%g)", q0);
    ok(!strcmp(r.method, "bymag"), "method read from the order file ('%s')", r.method);
    ok(r.s.hidden == H && r.s.hidden_kept == H && r.s.inputs_kept == r.s.inputs && r.s.gates_nonconst == r.s.gates,
       "every unit, input and gate kept (hidden %zu/%zu, gates %zu/%zu)", r.s.hidden_kept, r.s.hidden, r.s.gates_nonconst,
       r.s.gates);
    ok(r.s.weights_nonzero == r.s.weights && r.compression == 1, "no weight zero, compression 1 (%g)", r.compression);
    ok(r.max_output_diff <= 1e-9, "compact outputs equal the dense ones (%g)", r.max_output_diff);
    ok(r.seconds_dense > 0 && r.seconds_compact > 0, "both timings measured");
    int all_input = r.n_units == H && r.n_gates == 4;
    for (size_t k = 0; all_input && k < r.n_units * r.n_gates; k++) all_input = !r.constant[k] && isnan(r.value[k]);
    ok(all_input, "gate table: %zu units x %zu gates, none constant", r.n_units, r.n_gates);
    pb_p4_result_free(&r);

    /* about half: the count made here */
    double *sorted = calloc(np, sizeof *sorted);
    TAP_REQUIRE(sorted != NULL);
    size_t k = 0;
    for (size_t j = 0; j < c.net->n_params; j++)
        if (!isnan(score[j])) sorted[k++] = score[j];
    sort_key = sorted;
    size_t *idx = calloc(np, sizeof *idx);
    TAP_REQUIRE(idx != NULL);
    for (size_t j = 0; j < np; j++) idx[j] = j;
    qsort(idx, np, sizeof *idx, by_key);
    o.threshold = sorted[idx[np / 2]];
    size_t below = 0;
    for (size_t j = 0; j < np; j++) below += sorted[j] < o.threshold;
    st = pb_p4_run(&c, &o, &r);
    ok(st == PB_OK, "P4 at the median score runs");
    is_int((long long)r.removed, (long long)below, "removed: the scores below the threshold");
    is_int((long long)r.s.weights_nonzero, (long long)(r.s.weights - below), "nonzero weights: weights - removed");
    is_double(r.compression, (double)r.s.weights / (double)(r.s.weights - below), 1e-12,
              "compression: weights / nonzero weights");
    ok(r.max_output_diff <= 1e-9 && r.s.flops_compact <= r.s.flops_dense, "compact outputs equal, FLOPs not more");
    ok(r.flop_ratio == r.s.flops_dense / r.s.flops_compact, "flop_ratio: dense / compact FLOPs (%g)", r.flop_ratio);
    char *t = written(0, &c, &o, &r);
    char want[128];
    snprintf(want, sizeof want, "\nremoved\t%zu\nprunable\t%zu\n", below, np);
    ok(strstr(t, "# prunebench protocol P4: group structure at a threshold\n") == t && strstr(t, "\nkey\tvalue\n") &&
       strstr(t, want) && strstr(t, "# method: bymag\n# fit: toy.fit\n"), "table: header, key/value rows, counts");
    ok(strstr(t, "(--score-below), no retraining") != NULL, "table: the threshold's source");
    free(t);
    t = written(1, &c, &o, &r);
    is_int((long long)count_lines(t), (long long)(6 + r.n_units * r.n_gates), "gate table: 6 header lines, a row per unit and gate");
    free(t);
    t = written(2, &c, &o, &r);
    snprintf(want, sizeof want, "\\newcommand{\\pbToyLstmHiddenKept}{%zu}\n", r.s.hidden_kept);
    ok(strstr(t, want) && strstr(t, "\\pbToyLstmAccuracy}"), "macros: camel-cased name, hidden units kept, accuracy");
    free(t);
    pb_p4_result_free(&r);

    /* everything removed */
    o.threshold = HUGE_VAL, o.operating_point = 1;
    st = pb_p4_run(&c, &o, &r);
    ok(st == PB_OK, "P4 above every score runs");
    ok(r.removed == np && r.s.weights_nonzero == 0 && r.compression == HUGE_VAL, "every weight removed (%zu)", r.removed);
    ok(r.s.hidden_kept == 0 && r.n_units == 0, "no hidden unit kept");
    ok(r.max_output_diff <= 1e-9, "compact outputs still equal the dense ones");
    t = written(0, &c, &o, &r);
    ok(strstr(t, "(the method's operating point)") != NULL, "table: the operating point named as the source");
    free(t);
    pb_p4_result_free(&r);

    /* refused */
    o.threshold = 0, o.repeats = 0;
    st = pb_p4_run(&c, &o, &r);
    ok(st == PB_ERR_ARG && r.unit == NULL, "repeats 0: refused (%s)", pb_last_error());
    o.repeats = 1;
    o.threshold = NAN;
    ok(pb_p4_run(&c, &o, &r) == PB_ERR_ARG, "a NaN threshold: refused");
    o.threshold = 0;
    char missing[96];
    snprintf(missing, sizeof missing, "%s/none.tsv", dir);
    o.order_path = missing;
    st = pb_p4_run(&c, &o, &r);
    ok(st == PB_ERR_IO && strstr(pb_last_error(), "none.tsv"), "a missing order file: refused (%s)", pb_last_error());
    pb_p4_result_free(&r);
    o.order_path = order_path;
    pb_cell mlp;
    make_cell(&mlp, "mlp:4-5-3:tanh", 3);
    st = pb_p4_run(&mlp, &o, &r);
    ok(st == PB_ERR_ARG, "an MLP fit: refused in one line (%s)", pb_last_error());
    ok(strchr(pb_last_error(), '\n') == NULL, "the refusal is one line");
    pb_p4_result_free(&r);
    pb_cell_close(&mlp);
    /* an order of another model: its indices do not fit */
    pb_cell big;
    make_cell(&big, "lstm:6x3-9-2", 5);
    char big_order[96];
    snprintf(big_order, sizeof big_order, "%s/big.tsv", dir);
    size_t np_big;
    free(write_order(&big, big_order, &np_big));
    o.order_path = big_order;
    st = pb_p4_run(&c, &o, &r);
    ok(st != PB_OK, "an order of a larger model: refused (%s)", pb_last_error());
    pb_p4_result_free(&r);
    pb_cell_close(&big);
    double q1, aux1;
    ok(pb_evaluate(&c, c.fit.mean, &q1, &aux1) == 0 && q1 == q0 && aux1 == aux0, "the cell's fit is untouched by P4");

    free(score), free(sorted), free(idx);
    pb_cell_close(&c);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0) diag("could not remove %s", dir);
    return done_testing();
}
