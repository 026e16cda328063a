/* rnn_grad.c -- models/rnn.[ch]: spec parsing, the tensor and group tables,
 * initialization, the loss against a reference forward pass written here
 * from the header's equations, gradients and dL/dZ against central
 * differences of that reference, the group-variable identity (layout.h),
 * hand-computed cases, predict against the loss, and input errors. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "tap.h"
#include "testutil.h"
#include "models/rnn.h"
#include "base/util.h"

/* ---- an independent reference, from the layout rnn.h documents ---------- */

typedef struct ref_rnn {
    int lstm, tok, mse;
    size_t T, d, V, E, H, C, G, GH, in;
    size_t oemb, owx, owh, ob, owout, obout, n;   /* parameter offsets */
    size_t zv, zx, zh, zg, nz;                    /* group (Z column) offsets */
} ref_rnn;

static void ref_setup(ref_rnn *r, int lstm, int tok, size_t T, size_t d, size_t V, size_t H, size_t C, int mse)
{
    memset(r, 0, sizeof *r);
    r->lstm = lstm, r->tok = tok, r->mse = mse;
    r->T = T, r->d = d, r->V = tok ? V : 0, r->E = tok ? d : 0, r->H = H, r->C = C;
    r->G = lstm ? 4 : 1, r->GH = r->G * H;
    r->in = tok ? T : T * d;
    r->oemb = 0;
    r->owx = r->V * r->E;
    r->owh = r->owx + r->GH * d;
    r->ob = r->owh + r->GH * H;
    r->owout = r->ob + r->GH;
    r->obout = r->owout + C * H;
    r->n = r->obout + C;
    r->zv = 0, r->zx = r->V, r->zh = r->zx + d, r->zg = r->zh + H;
    r->nz = r->zg + (lstm ? r->GH : 0);
}

static double sigm(double x) { return 1 / (1 + exp(-x)); }

/* Outputs z (C) of one sequence x with group multipliers zr (nz, or NULL),
 * straight from the equations of rnn.h, one scalar at a time. */
static void rr_forward(const ref_rnn *r, const double *w, const double *x, const double *zr, double *out)
{
    size_t d = r->d, H = r->H, GH = r->GH;
    double h[32] = {0}, c[32] = {0}, xs[32], hs[32], a[128];
    for (size_t t = 0; t < r->T; t++) {
        for (size_t j = 0; j < d; j++) {
            double xj;
            if (r->tok) {
                size_t v = (size_t)x[t];
                xj = w[r->oemb + v * d + j] * (zr ? zr[r->zv + v] : 1);
            } else {
                xj = x[t * d + j];
            }
            xs[j] = xj * (zr ? zr[r->zx + j] : 1);
        }
        for (size_t k = 0; k < H; k++) hs[k] = h[k] * (zr ? zr[r->zh + k] : 1);
        for (size_t q = 0; q < GH; q++) {
            double s = 0;
            for (size_t j = 0; j < d; j++) s += w[r->owx + q * d + j] * xs[j];
            for (size_t k = 0; k < H; k++) s += w[r->owh + q * H + k] * hs[k];
            a[q] = (zr && r->lstm ? zr[r->zg + q] : 1) * s + w[r->ob + q];
        }
        for (size_t u = 0; u < H; u++) {
            if (r->lstm) {
                double ig = sigm(a[u]), fg = sigm(a[H + u]), gg = tanh(a[2 * H + u]), og = sigm(a[3 * H + u]);
                c[u] = fg * c[u] + ig * gg;
                h[u] = og * tanh(c[u]);
            } else {
                h[u] = tanh(a[u]);
            }
        }
    }
    for (size_t o = 0; o < r->C; o++) {
        double s = w[r->obout + o];
        for (size_t k = 0; k < H; k++) s += w[r->owout + o * H + k] * h[k] * (zr ? zr[r->zh + k] : 1);
        out[o] = s;
    }
}

/* One sample's loss (beta = 1 for mse). */
static double rr_head(const ref_rnn *r, const double *z, const double *y)
{
    double s = 0;
    if (r->mse) {
        for (size_t c = 0; c < r->C; c++) s += 0.5 * (z[c] - y[c]) * (z[c] - y[c]);
    } else {
        double se = 0;
        for (size_t c = 0; c < r->C; c++) se += exp(z[c]);
        s = log(se) - z[(size_t)y[0]];
    }
    return s;
}

static double rr_loss(const ref_rnn *r, const double *w, const double *X, const double *y, size_t N,
                       const double *Z)
{
    double z[16], sum = 0;
    size_t ys = r->mse ? r->C : 1;
    for (size_t i = 0; i < N; i++) {
        rr_forward(r, w, X + i * r->in, Z ? Z + i * r->nz : NULL, z);
        sum += rr_head(r, z, y + i * ys);
    }
    return sum;
}

/* The reference layout of a parsed model (asserts the shapes match). */
static void ref_of(const pb_rnn *m, ref_rnn *r)
{
    ref_setup(r, m->cell == PB_CELL_LSTM, m->tokens, m->T, m->d, m->V, m->H, m->C, m->head == PB_HEAD_MSE);
    TAP_REQUIRE(r->n == m->n_params && r->nz == m->n_groups);
}

static void draw_data(const ref_rnn *r, gsl_rng *rng, size_t N, double *X, double *y)
{
    for (size_t k = 0; k < N * r->in; k++)
        X[k] = r->tok ? (double)gsl_rng_uniform_int(rng, r->V) : gsl_ran_gaussian(rng, 1.0);
    for (size_t i = 0; i < N; i++) {
        if (r->mse) for (size_t c = 0; c < r->C; c++) y[i * r->C + c] = gsl_ran_gaussian(rng, 1.0);
        else y[i] = (double)gsl_rng_uniform_int(rng, r->C);
    }
}

static void draw_weights(const ref_rnn *r, gsl_rng *rng, double scale, double *w)
{
    for (size_t j = 0; j < r->n; j++) w[j] = scale * gsl_ran_gaussian(rng, 1.0);
}

/* ---- parsing ------------------------------------------------------------- */

static const char *bad_specs[] = {
    "",                          /* empty */
    "lstm",                      /* no sizes */
    "lstm:",                     /* no sizes */
    "LSTM:28x28-128-10",         /* case sensitive */
    "gru:28x28-128-10",          /* unknown cell */
    "rnn28x28-128-10",           /* no colon */
    "lstm:28-128-10",            /* no T x d */
    "lstm:28x28-128",            /* no C */
    "lstm:28x28-128-10-5",       /* one size too many */
    "lstm:0x28-128-10",          /* zero T */
    "lstm:28x0-128-10",          /* zero d */
    "lstm:28x28-0-10",           /* zero H */
    "lstm:28x28-128-0:mse",      /* zero C */
    "lstm:28x28-128-1",          /* ce with one output */
    "rnn:28x28-128-1:ce",        /* ce with one output */
    "lstm:28x28-128-10:",        /* empty head */
    "lstm:28x28-128-10:xent",    /* unknown head */
    "lstm:28x28-128-10:mse:x",   /* trailing field */
    "lstm:28x28-128-10 ",        /* trailing space */
    "lstm: 28x28-128-10",        /* space */
    "lstm:28x+28-128-10",        /* sign */
    "lstm:-28x28-128-10",        /* sign */
    "lstm:28x28--128-10",        /* empty size */
    "lstm:28x-128-10",           /* empty d */
    "lstm:28xv20000-128-2",      /* vocabulary without embedding size */
    "lstm:28xv0e300-128-2",      /* zero vocabulary */
    "lstm:28xve300-128-2",       /* empty vocabulary */
    "lstm:28xv20000e-128-2",     /* empty embedding size */
    "lstm:28xv20000e0-128-2",    /* zero embedding size */
    "lstm:28xe300v20000-128-2",  /* wrong order */
    "lstm:28x28x3-128-10",       /* junk after d */
    "lstm:2000000x28-128-10",    /* absurd T */
    "rnn:4x99999999999999999999999-4-2",       /* overflow */
    "lstm:4xv1000000e1000000-4-2",             /* 1e12 parameters */
};
static int n_bad_specs(void) { return (int)(sizeof bad_specs / sizeof bad_specs[0]); }

static const struct good_spec {
    const char *s;
    pb_rnn_cell cell;
    int tokens;
    size_t T, d, V, E, H, C;
    pb_head head;
} good_specs[] = {
    {"lstm:28x28-128-10", PB_CELL_LSTM, 0, 28, 28, 0, 0, 128, 10, PB_HEAD_CE},
    {"rnn:5x3-4-1:mse", PB_CELL_ELMAN, 0, 5, 3, 0, 0, 4, 1, PB_HEAD_MSE},
    {"lstm:400xv20000e300-128-2", PB_CELL_LSTM, 1, 400, 300, 20000, 300, 128, 2, PB_HEAD_CE},
    {"rnn:7xv11e5-6-3:ce", PB_CELL_ELMAN, 1, 7, 5, 11, 5, 6, 3, PB_HEAD_CE},
    {"lstm:1x1-1-1:mse", PB_CELL_LSTM, 0, 1, 1, 0, 0, 1, 1, PB_HEAD_MSE},
};
#define N_GOOD (sizeof good_specs / sizeof good_specs[0])

static void test_parse(void)
{
    static pb_rnn sentinel;
    for (int k = 0; k < n_bad_specs(); k++) {
        pb_rnn *m = &sentinel;   /* parse must reset *out on failure */
        int st = pb_rnn_parse(bad_specs[k], &m);
        const char *e = pb_last_error();
        ok(st != 0 && m == NULL && e[0] && strstr(e, bad_specs[k]) && !strchr(e, '\n'),
           "parse rejects '%s' with one line naming it (status %d: %s)", bad_specs[k], st, e);
        if (!st) pb_rnn_free(m);
    }
    char longspec[200] = "lstm:28x28-128-10";
    while (strlen(longspec) < 150) strcat(longspec, "0");
    pb_rnn *m = NULL;
    int st = pb_rnn_parse(longspec, &m);
    ok(st != 0 && m == NULL, "parse rejects a %zu-character spec", strlen(longspec));
    if (!st) pb_rnn_free(m);

    for (size_t k = 0; k < N_GOOD; k++) {
        const struct good_spec *g = &good_specs[k];
        m = NULL;
        st = pb_rnn_parse(g->s, &m);
        if (st) diag("%s", pb_last_error());
        size_t G = g->cell == PB_CELL_LSTM ? 4 : 1;
        size_t np = g->V * g->E + G * g->H * (g->d + g->H + 1) + g->C * (g->H + 1);
        int pass = st == 0 && m && !strcmp(m->spec, g->s) && m->cell == g->cell && m->tokens == g->tokens &&
                   m->T == g->T && m->d == g->d && m->V == g->V && m->E == g->E && m->H == g->H && m->C == g->C &&
                   m->G == G && m->head == g->head && m->noise_precision == 1.0 && m->n_params == np &&
                   pb_rnn_in_dim(m) == (g->tokens ? g->T : g->T * g->d) && pb_rnn_out_dim(m) == g->C;
        ok(pass, "parse accepts '%s' (cell, sizes, head, %zu parameters, in/out dims)", g->s, np);
        pb_rnn_free(m);
    }
}
#define N_PARSE_TESTS (n_bad_specs() + 1 + (int)N_GOOD)

/* ---- tables ---------------------------------------------------------------- */

/* The tables of a small model against the layout derived here: 9 tests. */
static void test_tables(const char *spec, size_t want_n, const size_t want_off[6])
{
    pb_rnn *m = NULL;
    TAP_REQUIRE(pb_rnn_parse(spec, &m) == 0);
    ref_rnn r;
    ref_of(m, &r);
    is_int((long long)m->n_params, (long long)want_n, "%s: %zu parameters", spec, want_n);
    /* want_off: Emb, Wx, Wh, b, Wout, bout, written out by hand by the caller */
    ok(m->off_emb == want_off[0] && m->off_wx == want_off[1] && m->off_wh == want_off[2] && m->off_b == want_off[3] &&
           m->off_wout == want_off[4] && m->off_bout == want_off[5],
       "%s: offsets Emb %zu Wx %zu Wh %zu b %zu Wout %zu bout %zu", spec, want_off[0], want_off[1], want_off[2],
       want_off[3], want_off[4], want_off[5]);
    struct { const char *name; size_t off, rows, cols; int bias; } tw[6] = {
        {"Emb", r.oemb, r.V, r.E, 0},      {"Wx", r.owx, r.GH, r.d, 0},     {"Wh", r.owh, r.GH, r.H, 0},
        {"b", r.ob, r.GH, 1, 1},           {"Wout", r.owout, r.C, r.H, 0}, {"bout", r.obout, r.C, 1, 1}};
    size_t t0 = r.tok ? 0 : 1, nt = 6 - t0;
    int tpass = m->n_tensors == nt;
    for (size_t k = 0; tpass && k < nt; k++) {
        const pb_tensor *t = &m->tensors[k];
        tpass = !strcmp(t->name, tw[t0 + k].name) && t->offset == tw[t0 + k].off && t->rows == tw[t0 + k].rows &&
                t->cols == tw[t0 + k].cols && t->is_bias == tw[t0 + k].bias;
        if (!tpass) diag("tensor %zu: %s off %zu %zux%zu bias %d", k, t->name, t->offset, t->rows, t->cols, t->is_bias);
    }
    ok(tpass, "%s: %zu tensors with the right names, offsets, shapes and bias flags", spec, nt);
    int *cover = calloc(m->n_params, sizeof *cover);
    for (size_t k = 0; k < m->n_tensors; k++)
        for (size_t q = 0; q < m->tensors[k].rows * m->tensors[k].cols; q++)
            if (m->tensors[k].offset + q < m->n_params) cover[m->tensors[k].offset + q]++;
    int tiled = 1;
    for (size_t j = 0; j < m->n_params; j++) tiled &= cover[j] == 1;
    ok(tiled, "%s: the tensors tile the buffer", spec);

    size_t want_groups = r.V + r.d + r.H + (r.lstm ? r.GH : 0);
    ok(m->n_groups == want_groups && m->zoff_vocab == 0 && m->zoff_x == r.V && m->zoff_h == r.V + r.d &&
           m->zoff_gate == r.V + r.d + r.H,
       "%s: %zu groups, Z columns at vocab 0, x %zu, h %zu, gates %zu", spec, want_groups, r.zx, r.zh, r.zg);
    /* every group, member by member, from the definitions in rnn.h */
    size_t wrong = 0, g = 0, *want = malloc((r.GH + r.C + r.d + r.H + r.E + 1) * sizeof *want);
    for (int kind = 0; kind < 4; kind++) {
        size_t count = kind == 0 ? r.V : kind == 1 ? r.d : kind == 2 ? r.H : (r.lstm ? r.GH : 0);
        pb_group_kind gk = kind == 0 ? PB_GROUP_VOCABULARY : kind == 1 ? PB_GROUP_INPUT_NEURON
                         : kind == 2 ? PB_GROUP_HIDDEN_NEURON : PB_GROUP_GATE;
        for (size_t u = 0; u < count; u++, g++) {
            size_t n = 0;
            if (kind == 0) for (size_t e = 0; e < r.E; e++) want[n++] = r.oemb + u * r.E + e;
            if (kind == 1) for (size_t q = 0; q < r.GH; q++) want[n++] = r.owx + q * r.d + u;
            if (kind == 2) {
                for (size_t q = 0; q < r.GH; q++) want[n++] = r.owh + q * r.H + u;
                for (size_t c = 0; c < r.C; c++) want[n++] = r.owout + c * r.H + u;
            }
            if (kind == 3) {
                for (size_t j = 0; j < r.d; j++) want[n++] = r.owx + u * r.d + j;
                for (size_t k = 0; k < r.H; k++) want[n++] = r.owh + u * r.H + k;
            }
            if (g >= m->n_groups) { wrong++; continue; }
            const pb_group *G = &m->groups[g];
            int good = G->kind == gk && G->unit == u && G->layer == 0 && G->variable == 1 && G->n_members == n;
            for (size_t q = 0; good && q < n; q++) good = G->members[q] == want[q];
            if (!good) wrong++;
        }
    }
    ok(wrong == 0, "%s: every group has the right kind, unit, layer 0, variable 1 and members (%zu wrong)", spec, wrong);
    /* partitions: per kind, how often each parameter is a member */
    int *cnt[4];
    for (int k = 0; k < 4; k++) cnt[k] = calloc(m->n_params, sizeof **cnt);
    for (size_t k = 0; k < m->n_groups; k++) {
        int kind = m->groups[k].kind == PB_GROUP_VOCABULARY ? 0 : m->groups[k].kind == PB_GROUP_INPUT_NEURON ? 1
                 : m->groups[k].kind == PB_GROUP_HIDDEN_NEURON ? 2 : 3;
        for (size_t q = 0; q < m->groups[k].n_members; q++)
            if (m->groups[k].members[q] < m->n_params) cnt[kind][m->groups[k].members[q]]++;
    }
    int pv = 1, px = 1, ph = 1, pg = 1;
    for (size_t j = 0; j < m->n_params; j++) {
        int emb = j < r.owx, wx = j >= r.owx && j < r.owh, wh = j >= r.owh && j < r.ob;
        int wout = j >= r.owout && j < r.obout;
        pv &= cnt[0][j] == emb;                            /* vocabulary entries partition Emb */
        px &= cnt[1][j] == wx;                             /* input neurons partition Wx */
        ph &= cnt[2][j] == (wh || wout);                   /* hidden neurons partition Wh and Wout */
        pg &= cnt[3][j] == (r.lstm ? (wx || wh) : 0);      /* gates partition Wx and Wh (LSTM) */
    }
    ok(pv && px, "%s: vocabulary groups partition Emb, input groups partition Wx", spec);
    ok(ph, "%s: hidden-neuron groups partition Wh and Wout", spec);
    ok(pg, "%s: gate groups partition Wx and Wh (none for Elman); biases are in no group", spec);
    for (int k = 0; k < 4; k++) free(cnt[k]);
    free(cover), free(want);
    pb_rnn_free(m);
}
#define N_TABLE_TESTS 9

/* ---- initialization ---------------------------------------------------------- */

static double sd_of(const double *x, size_t n)
{
    double s = 0, s2 = 0;
    for (size_t k = 0; k < n; k++) s += x[k], s2 += x[k] * x[k];
    return sqrt(s2 / n - (s / n) * (s / n));
}

static void test_init(void)
{
    pb_rnn *m = NULL;
    TAP_REQUIRE(pb_rnn_parse("lstm:3xv500e40-60-30", &m) == 0);
    double *w1 = malloc(m->n_params * sizeof *w1), *w2 = malloc(m->n_params * sizeof *w2);
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, 99);
    pb_rnn_init(m, w1, rng);
    gsl_rng_set(rng, 99);
    pb_rnn_init(m, w2, rng);
    ok(!memcmp(w1, w2, m->n_params * sizeof *w1), "init is a function of the generator state");
    int bias_ok = 1;
    for (size_t r = 0; r < 4 * m->H; r++) bias_ok &= w1[m->off_b + r] == (r >= m->H && r < 2 * m->H ? 1.0 : 0.0);
    for (size_t c = 0; c < m->C; c++) bias_ok &= w1[m->off_bout + c] == 0;
    ok(bias_ok, "init: LSTM forget-gate biases 1, other biases 0");
    double se = sd_of(w1 + m->off_emb, m->V * m->E), sx = sd_of(w1 + m->off_wx, 4 * m->H * m->d);
    double sh = sd_of(w1 + m->off_wh, 4 * m->H * m->H), so = sd_of(w1 + m->off_wout, m->C * m->H);
    double wr = 1 / sqrt(100.0), wo = 1 / sqrt(60.0);
    ok(fabs(se - 1) < 0.05 && fabs(sx / wr - 1) < 0.05 && fabs(sh / wr - 1) < 0.05 && fabs(so / wo - 1) < 0.1,
       "init: sd Emb %.3f (1), Wx %.4f and Wh %.4f (%.4f), Wout %.4f (%.4f)", se, sx, sh, wr, so, wo);
    gsl_rng_free(rng);
    free(w1), free(w2);
    pb_rnn_free(m);
}
#define N_INIT_TESTS 3

/* ---- gradients --------------------------------------------------------------- */

static const char *grad_specs[] = {
    "rnn:4x3-5-3",     "rnn:4x3-5-3:mse",     "lstm:4x3-5-3",     "lstm:4x3-5-3:mse",
    "rnn:4xv7e4-5-3",  "rnn:4xv7e4-5-3:mse",  "lstm:4xv7e4-5-3",  "lstm:4xv7e4-5-3:mse",
};
#define N_GRAD_SPECS (sizeof grad_specs / sizeof grad_specs[0])

static int grad_test_count(const char *spec)
{
    int lstm = !strncmp(spec, "lstm", 4), tok = strstr(spec, "xv") != NULL;
    int nt = tok ? 6 : 5, nk = tok + 2 + lstm;
    return 5 + nt + nk;
}

/* Central differences of the reference loss in w (Z fixed) into fd. */
static void fd_w(const ref_rnn *r, double *w, const double *X, const double *y, size_t N, const double *Z, double *fd)
{
    double h = 1e-5;
    for (size_t j = 0; j < r->n; j++) {
        double wj = w[j];
        w[j] = wj + h;
        double lp = rr_loss(r, w, X, y, N, Z);
        w[j] = wj - h;
        double lm = rr_loss(r, w, X, y, N, Z);
        w[j] = wj;
        fd[j] = (lp - lm) / (2 * h);
    }
}

static void test_grad(const char *spec, gsl_rng *rng)
{
    pb_rnn *m = NULL;
    int st = pb_rnn_parse(spec, &m);
    if (st) diag("%s", pb_last_error());
    TAP_REQUIRE(st == 0);
    ref_rnn r;
    ref_of(m, &r);
    size_t N = 7, n = r.n, nz = r.nz, ys = r.mse ? r.C : 1;
    double *X = malloc(N * r.in * sizeof *X), *y = malloc(N * ys * sizeof *y), *w = malloc(n * sizeof *w);
    double *g = malloc(n * sizeof *g), *g2 = malloc(n * sizeof *g2), *fd = malloc(n * sizeof *fd);
    double *Z = malloc(N * nz * sizeof *Z), *dZ = malloc(N * nz * sizeof *dZ), *dZ2 = malloc(N * nz * sizeof *dZ2);
    double *fdz = malloc(N * nz * sizeof *fdz);
    pb_rnn_ws *ws3 = pb_rnn_ws_alloc(m, 3), *wsN = pb_rnn_ws_alloc(m, N);
    TAP_REQUIRE(X && y && w && g && g2 && fd && Z && dZ && dZ2 && fdz && ws3 && wsN);
    draw_data(&r, rng, N, X, y);
    draw_weights(&r, rng, 0.7, w);
    for (size_t k = 0; k < N * nz; k++) Z[k] = 0.5 + gsl_rng_uniform(rng);

    /* without Z: loss and the gradient of each tensor */
    double loss = NAN, want = rr_loss(&r, w, X, y, N, NULL);
    st = pb_rnn_loss_grad(m, ws3, w, X, y, N, NULL, NULL, &loss, g);
    is_double(st ? NAN : loss, want, 1e-10 * (1 + fabs(want)), "%s: loss (chunks of 3 of %zu) = reference forward", spec, N);
    fd_w(&r, w, X, y, N, NULL, fd);
    double gmax = max_abs(n, fd), tol = 2e-8 * (1 + gmax);
    for (size_t k = 0; k < m->n_tensors; k++) {
        const pb_tensor *t = &m->tensors[k];
        size_t len = t->rows * t->cols;
        double err = max_diff(len, g + t->offset, fd + t->offset), nrm = max_abs(len, g + t->offset);
        ok(err <= tol && nrm > 1e-6, "%s: d/d%s = central differences (max err %.2g, tol %.2g, max |g| %.2g)", spec,
           t->name, err, tol, nrm);
    }

    /* with Z: loss, gradient, dZ by kind */
    want = rr_loss(&r, w, X, y, N, Z);
    st = pb_rnn_loss_grad(m, ws3, w, X, y, N, Z, dZ, &loss, g);
    is_double(st ? NAN : loss, want, 1e-10 * (1 + fabs(want)), "%s: loss with per-sample Z = reference", spec);
    fd_w(&r, w, X, y, N, Z, fd);
    gmax = max_abs(n, fd), tol = 2e-8 * (1 + gmax);
    double err = max_diff(n, g, fd);
    ok(err <= tol, "%s: gradient with Z = central differences (max err %.2g, tol %.2g)", spec, err, tol);
    double h = 1e-5;
    for (size_t k = 0; k < N * nz; k++) {
        double zk = Z[k];
        Z[k] = zk + h;
        double lp = rr_loss(&r, w, X, y, N, Z);
        Z[k] = zk - h;
        double lm = rr_loss(&r, w, X, y, N, Z);
        Z[k] = zk;
        fdz[k] = (lp - lm) / (2 * h);
    }
    double zmax = max_abs(N * nz, fdz), ztol = 2e-8 * (1 + zmax);
    const char *kname[4] = {"vocabulary", "input", "hidden", "gate"};
    size_t kstart[5] = {r.zv, r.zx, r.zh, r.zg, r.nz};
    for (int kind = 0; kind < 4; kind++) {
        if (kstart[kind + 1] == kstart[kind]) continue;   /* no groups of this kind */
        double e = 0, nrm = 0;
        for (size_t i = 0; i < N; i++)
            for (size_t k = kstart[kind]; k < kstart[kind + 1]; k++) {
                e = fmax(e, fabs(dZ[i * nz + k] - fdz[i * nz + k]));
                if (isnan(dZ[i * nz + k])) e = INFINITY;
                nrm = fmax(nrm, fabs(dZ[i * nz + k]));
            }
        ok(e <= ztol && nrm > 1e-6, "%s: dL/dZ of the %s groups = central differences (max err %.2g, tol %.2g)", spec,
           kname[kind], e, ztol);
    }

    /* one chunk of N gives the same, and so do the partial requests */
    double loss2 = NAN, loss3 = NAN, loss4 = NAN;
    pb_rnn_loss_grad(m, wsN, w, X, y, N, Z, dZ2, &loss2, g2);
    ok(fabs(loss2 - loss) <= 1e-12 * (1 + fabs(loss)) && max_diff(n, g, g2) <= 1e-12 * (1 + gmax) &&
           max_diff(N * nz, dZ, dZ2) <= 1e-12 * (1 + zmax),
       "%s: one chunk of %zu and chunks of 3 agree (loss, gradient, dZ)", spec, N);
    memset(dZ2, 0, N * nz * sizeof *dZ2);
    int st3 = pb_rnn_loss_grad(m, ws3, w, X, y, N, Z, NULL, &loss3, NULL);
    int st4 = pb_rnn_loss_grad(m, ws3, w, X, y, N, Z, dZ2, &loss4, NULL);
    ok(!st3 && !st4 && loss3 == loss && loss4 == loss && max_diff(N * nz, dZ, dZ2) <= 1e-13 * (1 + zmax),
       "%s: loss alone, and dZ without the gradient, are the same", spec);

    free(X), free(y), free(w), free(g), free(g2), free(fd), free(Z), free(dZ), free(dZ2), free(fdz);
    pb_rnn_ws_free(ws3), pb_rnn_ws_free(wsN);
    pb_rnn_free(m);
}

/* ---- the group-variable identity (layout.h) ------------------------------- */

/* w_eff = w with the members of group k scaled by z[k], from the group table. */
static void scale_by_groups(const pb_rnn *m, const double *w, const double *z, double *w_eff)
{
    memcpy(w_eff, w, m->n_params * sizeof *w_eff);
    for (size_t k = 0; k < m->n_groups; k++)
        for (size_t q = 0; q < m->groups[k].n_members; q++) w_eff[m->groups[k].members[q]] *= z[k];
}

static const char *ident_specs[] = {"rnn:4x3-5-3", "lstm:4x3-5-3", "rnn:4xv7e4-5-3", "lstm:4xv7e4-5-3:mse"};
#define N_IDENT_SPECS (sizeof ident_specs / sizeof ident_specs[0])
#define N_IDENT_TESTS 3

static void test_identity(const char *spec, gsl_rng *rng)
{
    pb_rnn *m = NULL;
    TAP_REQUIRE(pb_rnn_parse(spec, &m) == 0);
    ref_rnn r;
    ref_of(m, &r);
    size_t N = 6, n = r.n, nz = r.nz, ys = r.mse ? r.C : 1, in = r.in;
    double *X = malloc(N * in * sizeof *X), *y = malloc(N * ys * sizeof *y), *w = malloc(n * sizeof *w);
    double *we = malloc(n * sizeof *we), *Z = malloc(N * nz * sizeof *Z), *g = malloc(n * sizeof *g);
    double *dZ = malloc(N * nz * sizeof *dZ);
    pb_rnn_ws *ws = pb_rnn_ws_alloc(m, 4);
    TAP_REQUIRE(X && y && w && we && Z && g && dZ && ws);
    draw_data(&r, rng, N, X, y);
    draw_weights(&r, rng, 0.7, w);

    /* all rows of Z equal to z: the network with weights scaled by the group members */
    for (size_t k = 0; k < nz; k++) Z[k] = 0.3 + 1.2 * gsl_rng_uniform(rng);
    for (size_t i = 1; i < N; i++) memcpy(Z + i * nz, Z, nz * sizeof *Z);
    scale_by_groups(m, w, Z, we);
    double lz = NAN, le = NAN;
    int st = pb_rnn_loss_grad(m, ws, w, X, y, N, Z, NULL, &lz, NULL);
    st |= pb_rnn_loss_grad(m, ws, we, X, y, N, NULL, NULL, &le, NULL);
    ok(!st && fabs(lz - le) <= 1e-12 * (1 + fabs(le)), "%s: Z rows all z = weights scaled by group members (%.15g vs %.15g)",
       spec, lz, le);

    /* different rows: each sample as if alone, with its own scaled weights */
    for (size_t k = 0; k < N * nz; k++) Z[k] = 0.3 + 1.2 * gsl_rng_uniform(rng);
    double lall = NAN, sum1 = 0, sum2 = 0, worst = 0;
    st = pb_rnn_loss_grad(m, ws, w, X, y, N, Z, NULL, &lall, NULL);
    for (size_t i = 0; i < N; i++) {
        double l1 = NAN, l2 = NAN;
        st |= pb_rnn_loss_grad(m, ws, w, X + i * in, y + i * ys, 1, Z + i * nz, NULL, &l1, NULL);
        scale_by_groups(m, w, Z + i * nz, we);
        st |= pb_rnn_loss_grad(m, ws, we, X + i * in, y + i * ys, 1, NULL, NULL, &l2, NULL);
        sum1 += l1, sum2 += l2;
        worst = fmax(worst, fabs(l1 - l2));
    }
    ok(!st && worst <= 1e-12 * (1 + fabs(lall)) && fabs(sum1 - lall) <= 1e-12 * (1 + fabs(lall)) &&
           fabs(sum2 - lall) <= 1e-12 * (1 + fabs(lall)),
       "%s: per-sample Z rows = separate runs with scaled weights (worst %.2g)", spec, worst);

    /* at Z = 1: sum_i dL/dZ[i,k] = sum_{j in group k} w_j dL/dw_j (chain rule) */
    for (size_t k = 0; k < N * nz; k++) Z[k] = 1;
    double l = NAN;
    st = pb_rnn_loss_grad(m, ws, w, X, y, N, Z, dZ, &l, g);
    double e = 0, scale = 0;
    for (size_t k = 0; k < nz; k++) {
        double a = 0, b = 0;
        for (size_t i = 0; i < N; i++) a += dZ[i * nz + k];
        for (size_t q = 0; q < m->groups[k].n_members; q++) {
            size_t j = m->groups[k].members[q];
            b += w[j] * g[j];
        }
        e = fmax(e, fabs(a - b));
        scale = fmax(scale, fabs(b));
    }
    ok(!st && e <= 1e-11 * (1 + scale) && scale > 1e-6, "%s: at Z = 1, sum_i dZ[i,k] = sum over group k of w dL/dw (max err %.2g)",
       spec, e);
    free(X), free(y), free(w), free(we), free(Z), free(g), free(dZ);
    pb_rnn_ws_free(ws);
    pb_rnn_free(m);
}

/* ---- cases computed by hand ------------------------------------------------- */

/* LSTM, T = 2, d = 1, H = 1, C = 2, ce, label 0:
 *   Wx = (i, f, g, o) = (0, 0, 1, 0), Wh = (0, 0, 0, 2), b = (ln 3, 0, 0, 0),
 *   Wout = (1, -1)^T, bout = 0; x = (ln(3)/2, 0).
 * Step 1 (h0 = c0 = 0): i = sigm(ln 3) = 3/4, g = tanh(ln(3)/2) = 1/2,
 *   o = sigm(0) = 1/2; c1 = 3/8, h1 = tanh(3/8)/2 = 0.35835739835078595/2
 *   = 0.17917869917539297.
 * Step 2: i = 3/4, f = 1/2, g = tanh(0) = 0, o = sigm(2 h1) = 0.5886427484436749;
 *   c2 = c1/2 = 3/16, h2 = o tanh(3/16) = 0.5886427484436749 * 0.18533319990813948
 *   = 0.10909504417178827.
 * z = (h2, -h2): loss = log(1 + exp(-2 h2)) = 0.5899912337869428,
 *   p0 = sigm(2 h2) = 0.5543321441068875.
 * Elman, T = 2, d = 1, H = 1, C = 1, mse: Wx = 1, Wh = 2, b = 0, Wout = 3,
 *   bout = 1/2, x = (ln(3)/2, 0), y = 2: h1 = tanh(ln(3)/2) = 1/2,
 *   h2 = tanh(2 h1) = tanh(1) = 0.7615941559557649, z = 3 tanh(1) + 1/2 =
 *   2.7847824678672946, loss = (z - 2)^2 / 2 = 0.3079417609359406. */
static void test_hand(void)
{
    pb_rnn *m = NULL;
    TAP_REQUIRE(pb_rnn_parse("lstm:2x1-1-2", &m) == 0 && m->n_params == 4 + 4 + 4 + 2 + 2);
    double w[16] = {0}, X[2] = {log(3.0) / 2, 0}, y[1] = {0}, loss = NAN, p[2] = {NAN, NAN};
    w[m->off_wx + 2] = 1;
    w[m->off_wh + 3] = 2;
    w[m->off_b + 0] = log(3.0);
    w[m->off_wout + 0] = 1, w[m->off_wout + 1] = -1;
    pb_rnn_ws *ws = pb_rnn_ws_alloc(m, 1);
    int st = pb_rnn_loss_grad(m, ws, w, X, y, 1, NULL, NULL, &loss, NULL);
    is_double(st ? NAN : loss, 0.5899912337869428, 1e-14, "hand-computed LSTM (T=2, H=1): loss");
    st = pb_rnn_predict(m, ws, w, X, 1, p);
    is_double(st ? NAN : p[0], 0.5543321441068875, 1e-14, "hand-computed LSTM (T=2, H=1): p(label 0)");
    pb_rnn_ws_free(ws);
    pb_rnn_free(m);

    TAP_REQUIRE(pb_rnn_parse("rnn:2x1-1-1:mse", &m) == 0 && m->n_params == 5);
    double we[5] = {1, 2, 0, 3, 0.5}, ye[1] = {2}, z = NAN;   /* Wx, Wh, b, Wout, bout */
    ws = pb_rnn_ws_alloc(m, 1);
    st = pb_rnn_loss_grad(m, ws, we, X, ye, 1, NULL, NULL, &loss, NULL);
    is_double(st ? NAN : loss, 0.3079417609359406, 1e-14, "hand-computed Elman (T=2, H=1): loss");
    st = pb_rnn_predict(m, ws, we, X, 1, &z);
    is_double(st ? NAN : z, 2.7847824678672946, 1e-14, "hand-computed Elman (T=2, H=1): prediction");
    pb_rnn_ws_free(ws);
    pb_rnn_free(m);
}
#define N_HAND_TESTS 4

/* ---- predict against the loss ---------------------------------------------- */

static const char *pred_specs[] = {"lstm:5x3-6-4", "rnn:5xv9e4-6-3", "lstm:5xv9e4-6-2:mse", "rnn:5x3-6-2:mse"};
#define N_PRED_SPECS (sizeof pred_specs / sizeof pred_specs[0])
#define N_PRED_TESTS 2

static void test_predict(const char *spec, gsl_rng *rng)
{
    pb_rnn *m = NULL;
    TAP_REQUIRE(pb_rnn_parse(spec, &m) == 0);
    ref_rnn r;
    ref_of(m, &r);
    size_t N = 9, C = r.C, ys = r.mse ? C : 1;
    double *X = malloc(N * r.in * sizeof *X), *y = malloc(N * ys * sizeof *y), *w = malloc(r.n * sizeof *w);
    double *out = malloc(N * C * sizeof *out), *out2 = malloc(N * C * sizeof *out2);
    pb_rnn_ws *ws = pb_rnn_ws_alloc(m, 4), *wsN = pb_rnn_ws_alloc(m, N);
    TAP_REQUIRE(X && y && w && out && out2 && ws && wsN);
    draw_data(&r, rng, N, X, y);
    draw_weights(&r, rng, 0.8, w);
    double loss = NAN, s = 0, rowsum = 0;
    int st = pb_rnn_loss_grad(m, ws, w, X, y, N, NULL, NULL, &loss, NULL);
    st |= pb_rnn_predict(m, ws, w, X, N, out);
    for (size_t i = 0; i < N; i++) {
        if (r.mse) {
            for (size_t c = 0; c < C; c++) s += 0.5 * (out[i * C + c] - y[i * C + c]) * (out[i * C + c] - y[i * C + c]);
        } else {
            s -= log(out[i * C + (size_t)y[i]]);
            double rs = 0;
            for (size_t c = 0; c < C; c++) rs += out[i * C + c];
            rowsum = fmax(rowsum, fabs(rs - 1));
        }
    }
    ok(!st && fabs(s - loss) <= 1e-12 * (1 + fabs(loss)) && rowsum <= 1e-14,
       r.mse ? "%s: predictions give the loss: sum (out - y)^2 / 2 = loss" : "%s: probabilities sum to 1 and -sum log p(label) = loss",
       spec);
    st = pb_rnn_predict(m, wsN, w, X, N, out2);
    ok(!st && max_diff(N * C, out, out2) <= 1e-14, "%s: predict in chunks of 4 = in one chunk", spec);
    free(X), free(y), free(w), free(out), free(out2);
    pb_rnn_ws_free(ws), pb_rnn_ws_free(wsN);
    pb_rnn_free(m);
}

/* ---- errors ----------------------------------------------------------------- */

static void test_errors(void)
{
    pb_rnn *m = NULL;
    TAP_REQUIRE(pb_rnn_parse("lstm:3xv5e2-3-2", &m) == 0);
    pb_rnn_ws *ws = pb_rnn_ws_alloc(m, 2);
    double *w = calloc(m->n_params, sizeof *w), *g = calloc(m->n_params, sizeof *g), loss, out[4];
    double *Z = calloc(2 * m->n_groups, sizeof *Z), *dZ = calloc(2 * m->n_groups, sizeof *dZ);
    double y[2] = {0, 1};
    double bad[3][6] = {{0, 1, 2, 3, 4, 5}, {0, 1, 2, 3, -1, 4}, {0, 1.5, 2, 3, 4, 0}};
    const char *why[3] = {"token 5 with V = 5", "token -1", "token 1.5"};
    for (int k = 0; k < 3; k++) {
        int st = pb_rnn_loss_grad(m, ws, w, bad[k], y, 2, NULL, NULL, &loss, g);
        ok(st != 0 && strstr(pb_last_error(), "token") != NULL, "%s rejected (%s)", why[k], pb_last_error());
    }
    int st = pb_rnn_predict(m, ws, w, bad[0], 2, out);
    ok(st != 0 && strstr(pb_last_error(), "token") != NULL, "predict rejects token 5 with V = 5 (%s)", pb_last_error());
    double good[6] = {0, 1, 2, 3, 4, 0}, ybad[2] = {0, 2};
    st = pb_rnn_loss_grad(m, ws, w, good, y, 2, NULL, dZ, &loss, g);
    ok(st != 0, "dZ without Z is an error (%s)", pb_last_error());
    st = pb_rnn_loss_grad(m, ws, w, good, ybad, 2, NULL, NULL, &loss, g);
    ok(st != 0 && strstr(pb_last_error(), "label") != NULL, "label 2 with C = 2 rejected (%s)", pb_last_error());
    /* zero weights: loss = N log C */
    for (size_t k = 0; k < 2 * m->n_groups; k++) Z[k] = 1;
    st = pb_rnn_loss_grad(m, ws, w, good, y, 2, Z, dZ, &loss, g);
    is_double(st ? NAN : loss, 2 * log(2.0), 1e-14, "zero weights: loss = N log C");
    ok(pb_rnn_ws_alloc(m, 0) == NULL, "a workspace of batch 0 is refused (%s)", pb_last_error());
    free(w), free(g), free(Z), free(dZ);
    pb_rnn_ws_free(ws);
    pb_rnn_free(m);
}
#define N_ERROR_TESTS 8

int main(void)
{
    int n = N_PARSE_TESTS + 2 * N_TABLE_TESTS + N_INIT_TESTS + N_HAND_TESTS + (int)N_IDENT_SPECS * N_IDENT_TESTS +
            (int)N_PRED_SPECS * N_PRED_TESTS + N_ERROR_TESTS;
    for (size_t k = 0; k < N_GRAD_SPECS; k++) n += grad_test_count(grad_specs[k]);
    plan(n);
    test_parse();
    /* lstm:4xv7e3-5-3: Emb 7x3 = 21, Wx 20x3 = 60, Wh 20x5 = 100, b 20, Wout 3x5 = 15, bout 3 */
    const size_t off_lstm[6] = {0, 21, 81, 181, 201, 216};
    test_tables("lstm:4xv7e3-5-3", 219, off_lstm);
    /* rnn:4x3-5-3: Wx 5x3 = 15, Wh 5x5 = 25, b 5, Wout 3x5 = 15, bout 3 */
    const size_t off_rnn[6] = {0, 0, 15, 40, 45, 60};
    test_tables("rnn:4x3-5-3", 63, off_rnn);
    test_init();
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, 2718);
    for (size_t k = 0; k < N_GRAD_SPECS; k++) test_grad(grad_specs[k], rng);
    for (size_t k = 0; k < N_IDENT_SPECS; k++) test_identity(ident_specs[k], rng);
    test_hand();
    for (size_t k = 0; k < N_PRED_SPECS; k++) test_predict(pred_specs[k], rng);
    test_errors();
    gsl_rng_free(rng);
    return done_testing();
}
