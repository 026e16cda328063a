/* finetune.c -- protocol P1 with fine-tuning (protocols/finetune.h): a
 * removed weight stays exactly 0 through fine-tuning (and would not without
 * the mask), kept weights move, the same seed gives the same bits, the
 * settings come from the fit, the regenerated initial weights are the
 * driver's, the one-shot and iterative curves remove what they say (rewind
 * starts from the initial weights); then `curve --finetune` end to end. */
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
#include "runcmd.h"
#include "host/cell.h"
#include "protocols/finetune.h"
#include "protocols/p1.h"
#include "protocols/prune.h"
#include "train/train.h"
#include "base/util.h"

/* A cell without files: weights from pb_model_init, n train and n test
 * points with N(0, 1) inputs and labels (classification) or targets
 * (regression) that depend on the inputs. */
static void make_cell(pb_cell *c, const char *spec, size_t n, unsigned long seed)
{
    memset(c, 0, sizeof *c);
    TAP_REQUIRE(pb_model_parse(spec, &c->net) == 0);
    const pb_model *m = c->net;
    size_t d = m->in_dim, C = m->out_dim;
    int ce = m->head == PB_HEAD_CE;
    TAP_REQUIRE(pb_fit_alloc(&c->fit, m->n_params) == 0);
    snprintf(c->fit.model, sizeof c->fit.model, "%s", spec);
    snprintf(c->fit.dataset, sizeof c->fit.dataset, "t-finetune");
    snprintf(c->fit.family, sizeof c->fit.family, "gauss-diag");
    snprintf(c->fit.settings, sizeof c->fit.settings,
             "family=gauss-diag precision=f64 epochs=5 batch=16 optimizer=adam lr=0.02 lr_decay=none init_sd=0.5");
    c->fit.repeat = 2, c->fit.init_seed = 4242;
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, seed);
    pb_model_init(m, c->fit.mean, r);
    pb_data *sets[2] = {&c->train, &c->test};
    for (int s = 0; s < 2; s++) {
        pb_data *t = sets[s];
        TAP_REQUIRE(pb_data_alloc(t, "t-finetune", n, d, ce ? 1 : C, ce ? (int)C : 0) == 0);
        for (size_t i = 0; i < t->n; i++) {
            for (size_t j = 0; j < d; j++) t->X[i * d + j] = gsl_ran_gaussian(r, 1.0);
            double a = t->X[i * d] - 0.5 * t->X[i * d + d - 1];
            if (ce) t->y[i] = a < -0.5 ? 0 : a < 0.5 ? 1 : 2;
            else for (size_t k = 0; k < C; k++) t->y[i * C + k] = a + gsl_ran_gaussian(r, 0.1);
        }
    }
    gsl_rng_free(r);
    TAP_REQUIRE(identity_scaling(&c->scaling, d, ce ? 1 : C, 1.0));
}

/* The weight entries of the model, every third first, then the rest. */
static size_t weight_order(const pb_model *m, size_t **out)
{
    unsigned char *mask = calloc(m->n_params, 1);
    size_t *o = calloc(m->n_params, sizeof *o);
    TAP_REQUIRE(mask && o);
    size_t np = pb_model_prunable(m, 0, mask), k = 0;
    for (int pass = 0; pass < 2; pass++)
        for (size_t j = 0, w = 0; j < m->n_params; j++)
            if (mask[j] && ((w++ % 3 == 0) == (pass == 0))) o[k++] = j;
    TAP_REQUIRE(k == np);
    free(mask);
    *out = o;
    return np;
}

static void mask_held(const char *spec)
{
    pb_cell c;
    make_cell(&c, spec, 60, 7);
    size_t n = c.net->n_params, *order;
    size_t np = weight_order(c.net, &order), k = np / 2;
    unsigned char *keep = malloc(n), *all = malloc(n);
    double *w = malloc(n * sizeof *w), *w2 = malloc(n * sizeof *w), *free_w = malloc(n * sizeof *w);
    TAP_REQUIRE(keep && all && w && w2 && free_w);
    memset(keep, 1, n), memset(all, 1, n);
    memcpy(w, c.fit.mean, n * sizeof *w);
    for (size_t i = 0; i < k; i++) keep[order[i]] = 0, w[order[i]] = 0;
    memcpy(w2, w, n * sizeof *w);
    memcpy(free_w, w, n * sizeof *w);
    TAP_REQUIRE(pb_finetune(&c, keep, w, 4, 16, 0.02, PB_PRECISION_F64, 0, 99, "t") == 0);
    TAP_REQUIRE(pb_finetune(&c, keep, w2, 4, 16, 0.02, PB_PRECISION_F64, 0, 99, "t") == 0);
    /* the same start without the mask: the removed weights do move */
    TAP_REQUIRE(pb_finetune(&c, all, free_w, 4, 16, 0.02, PB_PRECISION_F64, 0, 99, "t") == 0);
    size_t revived = 0, revived_free = 0, moved = 0;
    for (size_t i = 0; i < k; i++) {
        revived += w[order[i]] != 0 || signbit(w[order[i]]);
        revived_free += free_w[order[i]] != 0;
    }
    for (size_t j = 0; j < n; j++) moved += keep[j] && w[j] != c.fit.mean[j];
    is_int((long long)revived, 0, "%s: no removed weight revived by fine-tuning (%zu removed, exactly +0)", spec, k);
    /* (a weight into a hidden unit whose outgoing weights are all removed gets no gradient) */
    ok(2 * revived_free > k, "%s: without the mask, %zu of the %zu would have moved", spec, revived_free, k);
    ok(moved > (n - k) / 2, "%s: fine-tuning moves the kept weights (%zu of %zu)", spec, moved, n - k);
    ok(!memcmp(w, w2, n * sizeof *w), "%s: the same seed gives the same bits", spec);
    TAP_REQUIRE(pb_finetune(&c, keep, w2, 1, 16, 0.02, PB_PRECISION_F64, 0, 100, "t") == 0);
    memcpy(w2, c.fit.mean, n * sizeof *w);
    for (size_t i = 0; i < k; i++) w2[order[i]] = 0;
    TAP_REQUIRE(pb_finetune(&c, keep, w2, 4, 16, 0.02, PB_PRECISION_F64, 0, 100, "t") == 0);
    ok(memcmp(w, w2, n * sizeof *w) != 0, "%s: another seed, another run", spec);
    /* training lowers the loss on the kept weights: test quality improves or holds */
    double q0, q1, aux;
    memcpy(w2, c.fit.mean, n * sizeof *w);
    for (size_t i = 0; i < k; i++) w2[order[i]] = 0;
    TAP_REQUIRE(pb_evaluate(&c, w2, &q0, &aux) == 0);
    TAP_REQUIRE(pb_finetune(&c, keep, w2, 40, 16, 0.02, PB_PRECISION_F64, 0, 5, "t") == 0);
    TAP_REQUIRE(pb_evaluate(&c, w2, &q1, &aux) == 0);
    ok(c.net->head == PB_HEAD_CE ? q1 > q0 : q1 < q0, "%s: 40 epochs of fine-tuning improve the pruned network (%g -> %g)",
       spec, q0, q1);
    free(keep), free(all), free(w), free(w2), free(free_w), free(order);
    pb_cell_close(&c);
}

/* The initial weights regenerated from the fit's seed are those the driver
 * starts from: a run with step size 0 leaves them as they are. */
static void initial_weights(void)
{
    pb_cell c;
    make_cell(&c, "mlp:4-5-3:tanh", 30, 3);
    size_t n = c.net->n_params;
    double *w0 = malloc(n * sizeof *w0);
    TAP_REQUIRE(w0);
    pb_train_opts o;
    pb_train_opts_default(&o);
    o.family = PB_FAMILY_POINT, o.epochs = 1, o.lr = 0, o.seed = c.fit.init_seed, o.label = "t";
    pb_fit f;
    TAP_REQUIRE(pb_fit_alloc(&f, n) == 0);
    TAP_REQUIRE(pb_train_model(c.net, &c.train, &o, &f) == 0);
    TAP_REQUIRE(pb_fit_initial_weights(&c, w0) == 0);
    ok(!memcmp(f.mean, w0, n * sizeof *w0), "initial weights: regenerated from init_seed, as the driver drew them");
    c.fit.init_seed++;
    TAP_REQUIRE(pb_fit_initial_weights(&c, w0) == 0);
    ok(memcmp(f.mean, w0, n * sizeof *w0) != 0, "initial weights: another init_seed, other weights");
    strcat(c.fit.settings, " init=seed004-synthetic");
    ok(pb_fit_initial_weights(&c, w0) == PB_ERR_ARG && strstr(pb_last_error(), "did not start from its seed"),
       "initial weights: refused for a fit with a given start");
    pb_fit_free(&f);
    free(w0);
    pb_cell_close(&c);
}

static void settings(void)
{
    pb_cell c;
    make_cell(&c, "mlp:4-5-3:tanh", 10, 3);
    pb_finetune_opts o = {.epochs = 1};
    size_t b;
    double lr;
    pb_precision p;
    int st = pb_finetune_settings(&c, &o, &b, &lr, &p);
    ok(st == 0 && b == 16 && lr == 0.02 && p == PB_PRECISION_F64, "settings: batch, lr and precision from the fit (%zu, %g)",
       b, lr);
    o.batch = 7, o.lr = 0.5, o.precision_set = 1, o.precision = PB_PRECISION_F32;
    ok(pb_finetune_settings(&c, &o, &b, &lr, &p) == 0 && b == 7 && lr == 0.5 && p == PB_PRECISION_F32,
       "settings: given ones win");
    snprintf(c.fit.settings, sizeof c.fit.settings, "family=x lr_decay=none");
    o = (pb_finetune_opts){.epochs = 1};
    ok(pb_finetune_settings(&c, &o, &b, &lr, &p) == PB_ERR_ARG, "settings: none in the fit and none given: refused");
    o.batch = 3;
    ok(pb_finetune_settings(&c, &o, &b, &lr, &p) == PB_ERR_ARG && strstr(pb_last_error(), "lr="),
       "settings: 'lr_decay=' is not 'lr='");
    pb_cell_close(&c);
}

/* The curve prints the quality with 10 significant digits. */
static int same_q(double a, double b) { return fabs(a - b) <= 1e-9 * fabs(b); }

/* Rows of a curve written to a temporary file: n_removed and quality. */
static size_t read_rows(FILE *f, size_t *k, double *q, size_t *round, size_t cap)
{
    rewind(f);
    char line[512];
    size_t r = 0;
    TAP_REQUIRE(fgets(line, sizeof line, f) && !strncmp(line, "requested_fraction", 18));
    while (r < cap && fgets(line, sizeof line, f)) {
        double req, ach, aux;
        TAP_REQUIRE(sscanf(line, "%lf\t%lf\t%zu\t%lf\t%lf\t%zu", &req, &ach, &k[r], &q[r], &aux, &round[r]) == 6);
        r++;
    }
    return r;
}

static void curves(void)
{
    pb_cell c;
    make_cell(&c, "mlp:4-6-1:tanh:mse", 50, 5);
    size_t n = c.net->n_params, *order, np = weight_order(c.net, &order);
    pb_pruner pr;
    pb_finetune_opts o = {.epochs = 2};
    const double fr[] = {0, 0.5, 1};
    FILE *f = tmpfile();
    TAP_REQUIRE(f);
    TAP_REQUIRE(pb_pruner_init(&pr, &c, order, np, 0, PB_EST_LAPLACE, 1, NULL, 0) == 0);
    TAP_REQUIRE(pb_p1_finetune_curve(&c, &pr, fr, 3, &o, f) == 0);
    pb_pruner_free(&pr);
    size_t k[16], rd[16];
    double q[16];
    size_t nr = read_rows(f, k, q, rd, 16);
    ok(nr == 3 && k[0] == 0 && k[1] == (size_t)llround(0.5 * (double)np) && k[2] == np && rd[2] == 0,
       "one-shot: a row per fraction, k = round(f n)");
    /* the row at 1: every weight removed, biases fine-tuned: the network is a constant, as measured */
    double *w = calloc(n, sizeof *w);
    unsigned char *keep = malloc(n);
    TAP_REQUIRE(w && keep);
    memset(keep, 1, n);
    memcpy(w, c.fit.mean, n * sizeof *w);
    for (size_t i = 0; i < np; i++) keep[order[i]] = 0, w[order[i]] = 0;
    TAP_REQUIRE(pb_finetune(&c, keep, w, 2, 16, 0.02, PB_PRECISION_F64, 0, pb_finetune_seed(&c, "oneshot", "1"), "t") == 0);
    double q1, aux;
    TAP_REQUIRE(pb_evaluate(&c, w, &q1, &aux) == 0);
    ok(same_q(q1, q[2]), "one-shot: the row at 1 is the network pruned and fine-tuned with its row's seed (%.17g, %.17g)", q1, q[2]);

    /* iterative with rewind and a negligible step: round r is the initial weights with the order's first k_r removed */
    double *w0 = malloc(n * sizeof *w0);
    TAP_REQUIRE(w0 && pb_fit_initial_weights(&c, w0) == 0);
    o = (pb_finetune_opts){.epochs = 1, .lr = 1e-300, .prune_rate = 0.4, .rounds = 4, .rewind = 1};
    f = freopen(NULL, "w+", f) ? f : tmpfile();
    TAP_REQUIRE(f && pb_pruner_init(&pr, &c, order, np, 0, PB_EST_LAPLACE, 1, NULL, 0) == 0);
    TAP_REQUIRE(pb_p1_iterative_curve(&c, &pr, &o, f) == 0);
    nr = read_rows(f, k, q, rd, 16);
    int ks = nr == 5, qs = nr == 5;
    for (size_t r = 0; r < nr && r < 5; r++) {
        ks &= rd[r] == r && k[r] == (size_t)llround((1 - pow(0.6, (double)r)) * (double)np);
        if (!r) continue;
        memcpy(w, w0, n * sizeof *w);
        for (size_t i = 0; i < k[r]; i++) w[order[i]] = 0;
        double qr;
        TAP_REQUIRE(pb_evaluate(&c, w, &qr, &aux) == 0);
        qs &= same_q(qr, q[r]);
    }
    ok(ks, "iterative: round r removes round((1 - (1 - p)^r) n)");
    ok(qs, "iterative with rewind: each round starts the kept weights from the initial weights");
    double q0;
    TAP_REQUIRE(pb_evaluate(&c, c.fit.mean, &q0, &aux) == 0);
    ok(nr && same_q(q[0], q0), "iterative: round 0 is the fit itself");
    o.rewind = 0;
    pb_pruner_free(&pr);
    TAP_REQUIRE(pb_pruner_init(&pr, &c, order, np, 0, PB_EST_LAPLACE, 1, NULL, 0) == 0);
    f = freopen(NULL, "w+", f) ? f : tmpfile();
    TAP_REQUIRE(f && pb_p1_iterative_curve(&c, &pr, &o, f) == 0);
    pb_pruner_free(&pr);
    nr = read_rows(f, k, q, rd, 16);
    memcpy(w, c.fit.mean, n * sizeof *w);
    for (size_t i = 0; i < k[4]; i++) w[order[i]] = 0;
    double q4;
    TAP_REQUIRE(pb_evaluate(&c, w, &q4, &aux) == 0);
    ok(nr == 5 && same_q(q[4], q4), "iterative without rewind: the rounds continue from the fit's weights");
    fclose(f);
    free(w), free(w0), free(keep), free(order);
    pb_cell_close(&c);
}

/* The command end to end on a small Wine fit. */
static void command(void)
{
    const char *b = getenv("PB_BUILD") ? getenv("PB_BUILD") : "build";
    char dir[] = "/tmp/pb-finetune-XXXXXX", cmd[4096], out[8192];
    TAP_REQUIRE(mkdtemp(dir));
    snprintf(cmd, sizeof cmd,
             "%s/prunebench train --data wine --model mlp:13-5-3:tanh --epochs 5 --no-checkpoint -o %s/f.fit 2>&1 && "
             "%s/prunebench rank --fit %s/f.fit --method %s/plugins/random.so -o %s/o.tsv 2>&1 && "
             "%s/prunebench curve --fit %s/f.fit --order %s/o.tsv --fractions 0,0.5,1 --finetune 2 -o %s/c.tsv 2>&1 && "
             "%s/prunebench curve --fit %s/f.fit --order %s/o.tsv --fractions 0,0.5,1 --finetune 2 -o %s/d.tsv 2>&1 && "
             "cmp %s/c.tsv %s/d.tsv && grep -c '^# finetune_epochs: 2$' %s/c.tsv && grep -vc '^#' %s/c.tsv",
             b, dir, b, dir, b, dir, b, dir, dir, dir, b, dir, dir, dir, dir, dir, dir, dir);
    int st = run_capture(cmd, out, sizeof out);
    ok(st == 0 && strstr(out, "1\n4\n"), "curve --finetune: the same file twice, its settings in the header, 3 rows");
    if (st) diag("%s", out);
    snprintf(cmd, sizeof cmd, "%s/prunebench curve --fit %s/f.fit --order %s/o.tsv --rewind -o %s/e.tsv 2>&1", b, dir,
             dir, dir);
    st = run_capture(cmd, out, sizeof out);
    ok(st != 0 && strstr(out, "need --iterative"), "curve --rewind without --iterative: refused");
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    TAP_REQUIRE(system(cmd) == 0);
}

int main(void)
{
    mask_held("mlp:4-6-3:tanh");
    mask_held("mlp:4-6-1:tanh:mse");
    initial_weights();
    settings();
    curves();
    command();
    return done_testing();
}
