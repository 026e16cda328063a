/* mlp_grad.c -- pb_mlp_parse (errors, tensor and group tables) and
 * pb_mlp_loss_grad: the loss against a forward pass written here, the
 * gradient against central differences of the loss. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "tap.h"
#include "testutil.h"
#include "models/mlp.h"
#include "base/util.h"


static double ref_loss(const ref_net *r, const double *w, const double *X, const double *y, size_t N,
                       double *amin)
{
    size_t d0 = r->dims[0], C = r->dims[r->L];
    double z[64], sum = 0;
    for (size_t i = 0; i < N; i++) {
        ref_forward(r, w, X + i * d0, z, amin);
        if (r->mse) {
            for (size_t c = 0; c < C; c++) sum += 0.5 * (z[c] - y[i * C + c]) * (z[c] - y[i * C + c]);
        } else {
            double se = 0;
            for (size_t c = 0; c < C; c++) se += exp(z[c]);
            sum += log(se) - z[(size_t)y[i]];
        }
    }
    return sum;
}

/* ---- parse ---------------------------------------------------------------- */

static void test_parse_errors(void)
{
    const char *bad[] = {
        "",                     /* empty */
        "mlp",                  /* no dims */
        "mlp:",                 /* no dims */
        "MLP:4-3:tanh",         /* prefix is case sensitive */
        "net:4-3:tanh",         /* wrong family */
        "mlp:4:tanh",           /* one size: no layer */
        "mlp:4-3",              /* no activation */
        "mlp:4-3:",             /* empty activation */
        "mlp:4-3:sigmoid",      /* unknown activation */
        "mlp:4-3:tanhh",        /* activation with trailing junk */
        "mlp:4-0-3:tanh",       /* zero width */
        "mlp:4--3:tanh",        /* empty size */
        "mlp:-4-3:tanh",        /* sign */
        "mlp:4-+3:tanh",        /* sign */
        "mlp:4-3-:tanh",        /* trailing dash */
        "mlp:4-3x:tanh",        /* junk after a size */
        "mlp:4-2000000:tanh",   /* absurd width */
        "mlp:4-99999999999999999999999:tanh", /* overflow */
        "mlp:4-3:tanh:",        /* empty head */
        "mlp:4-3:tanh:xent",    /* unknown head */
        "mlp:4-3:tanh:mse:x",   /* trailing field */
        "mlp:4-1:tanh",         /* ce with one output */
        "mlp:4-1:tanh:ce",      /* ce with one output */
        "mlp: 4-3:tanh",        /* space */
    };
    size_t nb = sizeof bad / sizeof bad[0];
    static pb_mlp sentinel;
    for (size_t k = 0; k < nb; k++) {
        pb_mlp *m = &sentinel; /* parse must reset *out to NULL on failure */
        int st = pb_mlp_parse(bad[k], &m);
        ok(st != 0 && m == NULL && pb_last_error()[0] != 0, "parse rejects '%s' (status %d: %s)", bad[k], st,
           pb_last_error());
        if (st == 0) pb_mlp_free(m);
    }
    /* too long for the spec buffer */
    char longspec[300] = "mlp:4";
    for (int k = 0; k < 60; k++) strcat(longspec, "-3");
    strcat(longspec, ":tanh");
    pb_mlp *m = NULL;
    int st = pb_mlp_parse(longspec, &m);
    ok(st != 0 && m == NULL, "parse rejects a %zu-character spec", strlen(longspec));
    if (!st) pb_mlp_free(m);

    /* accepted forms */
    struct { const char *s; size_t L, d0, dL; pb_act act; pb_head head; } good[] = {
        {"mlp:4-1:tanh:mse", 1, 4, 1, PB_ACT_TANH, PB_HEAD_MSE},
        {"mlp:4-6-2:relu:ce", 2, 4, 2, PB_ACT_RELU, PB_HEAD_CE},
        {"mlp:7-5-5-5-3:identity", 4, 7, 3, PB_ACT_IDENTITY, PB_HEAD_CE},
        {"mlp:10-1-2:relu", 2, 10, 2, PB_ACT_RELU, PB_HEAD_CE},
    };
    for (size_t k = 0; k < sizeof good / sizeof good[0]; k++) {
        m = NULL;
        st = pb_mlp_parse(good[k].s, &m);
        int pass = st == 0 && m && m->n_layers == good[k].L && pb_mlp_in_dim(m) == good[k].d0 &&
                   pb_mlp_out_dim(m) == good[k].dL && m->act == good[k].act && m->head == good[k].head &&
                   !strcmp(m->spec, good[k].s);
        ok(pass, "parse accepts '%s' with the right layers, activation and head", good[k].s);
        if (st) diag("%s", pb_last_error());
        pb_mlp_free(m);
    }
}

/* The tables of mlp:13-13-3:tanh against offsets worked out by hand. */
static void test_tables(void)
{
    pb_mlp *m = NULL;
    TAP_REQUIRE(pb_mlp_parse("mlp:13-13-3:tanh", &m) == 0);
    is_int((long long)m->n_params, 13 * 13 + 13 + 13 * 3 + 3, "mlp:13-13-3 has 237 parameters");
    is_int((long long)m->n_layers, 2, "two weight layers");
    ok(m->dims[0] == 13 && m->dims[1] == 13 && m->dims[2] == 3, "dims 13,13,3");
    ok(m->w_off[0] == 0 && m->b_off[0] == 169 && m->w_off[1] == 182 && m->b_off[1] == 221,
       "offsets W0=0 b0=169 W1=182 b1=221");
    is_int((long long)m->n_tensors, 4, "four tensors");
    struct { const char *name; size_t off, rows, cols; int bias; } tw[4] = {
        {"W0", 0, 13, 13, 0}, {"b0", 169, 13, 1, 1}, {"W1", 182, 3, 13, 0}, {"b1", 221, 3, 1, 1}};
    int tpass = m->n_tensors == 4;
    for (size_t k = 0; tpass && k < 4; k++) {
        const pb_tensor *t = &m->tensors[k];
        tpass = !strcmp(t->name, tw[k].name) && t->offset == tw[k].off && t->rows == tw[k].rows &&
                t->cols == tw[k].cols && t->is_bias == tw[k].bias;
        if (!tpass) diag("tensor %zu: %s off %zu %zux%zu bias %d", k, t->name, t->offset, t->rows, t->cols, t->is_bias);
    }
    ok(tpass, "tensor table names, offsets, shapes and bias flags");
    /* the tensors tile the buffer exactly */
    int *cover = calloc(m->n_params, sizeof *cover);
    for (size_t k = 0; k < m->n_tensors; k++)
        for (size_t q = 0; q < m->tensors[k].rows * m->tensors[k].cols; q++)
            if (m->tensors[k].offset + q < m->n_params) cover[m->tensors[k].offset + q]++;
    int tiled = 1;
    for (size_t j = 0; j < m->n_params; j++) tiled &= cover[j] == 1;
    ok(tiled, "tensors cover every parameter exactly once");

    is_int((long long)m->n_groups, 13 + 13 + 13 + 3, "42 groups (13+13 in layer 0, 13+3 in layer 1)");
    /* Expected groups: per layer, input neurons i (column i of W_l: members
     * w_off + j*din + i for j < dout), then output neurons j (row j and b_l[j]). */
    size_t dims[3] = {13, 13, 3}, woff[2] = {0, 182}, boff[2] = {169, 221};
    size_t g = 0, wrong = 0;
    for (size_t l = 0; l < 2 && g <= m->n_groups; l++) {
        size_t din = dims[l], dout = dims[l + 1];
        for (size_t i = 0; i < din; i++, g++) {
            if (g >= m->n_groups) { wrong++; continue; }
            const pb_group *G = &m->groups[g];
            int good = G->kind == PB_GROUP_INPUT_NEURON && G->layer == l && G->unit == i && G->n_members == dout;
            for (size_t j = 0; good && j < dout; j++) good = G->members[j] == woff[l] + j * din + i;
            if (!good) wrong++;
        }
        for (size_t j = 0; j < dout; j++, g++) {
            if (g >= m->n_groups) { wrong++; continue; }
            const pb_group *G = &m->groups[g];
            int good = G->kind == PB_GROUP_OUTPUT_NEURON && G->layer == l && G->unit == j && G->n_members == din + 1;
            for (size_t i = 0; good && i < din; i++) good = G->members[i] == woff[l] + j * din + i;
            if (good) good = G->members[din] == boff[l] + j;
            if (!good) wrong++;
        }
    }
    ok(wrong == 0, "every group has the right kind, layer, unit and members (%zu wrong)", wrong);
    /* Spot checks written out: input neuron 2 of layer 1 = W1[0][2], W1[1][2], W1[2][2]. */
    const pb_group *gi = &m->groups[26 + 2];
    ok(gi->kind == PB_GROUP_INPUT_NEURON && gi->n_members == 3 && gi->members[0] == 182 + 2 &&
           gi->members[1] == 182 + 13 + 2 && gi->members[2] == 182 + 26 + 2,
       "layer-1 input neuron 2 is column 2 of W1");
    const pb_group *go = &m->groups[26 + 13 + 1];
    ok(go->kind == PB_GROUP_OUTPUT_NEURON && go->n_members == 14 && go->members[0] == 182 + 13 &&
           go->members[12] == 182 + 25 && go->members[13] == 222,
       "layer-1 output neuron 1 is row 1 of W1 plus b1[1]");
    /* every weight is in exactly one input and one output group; every bias in one output group only */
    int *nin = calloc(m->n_params, sizeof *nin), *nout = calloc(m->n_params, sizeof *nout);
    for (size_t k = 0; k < m->n_groups; k++)
        for (size_t q = 0; q < m->groups[k].n_members; q++) {
            size_t j = m->groups[k].members[q];
            if (j >= m->n_params) continue;
            if (m->groups[k].kind == PB_GROUP_INPUT_NEURON) nin[j]++;
            else nout[j]++;
        }
    int part = 1;
    for (size_t j = 0; j < m->n_params; j++) {
        int bias = (j >= 169 && j < 182) || j >= 221;
        part &= nout[j] == 1 && nin[j] == (bias ? 0 : 1);
    }
    ok(part, "groups partition the weights twice (input, output) and the biases once");
    free(cover), free(nin), free(nout);
    pb_mlp_free(m);
}

/* ---- gradient ------------------------------------------------------------- */

static void test_grad(const char *spec, int act, gsl_rng *rng)
{
    pb_mlp *m = NULL;
    int st = pb_mlp_parse(spec, &m);
    if (st) diag("%s", pb_last_error());
    TAP_REQUIRE(st == 0);
    ref_net r;
    ref_layout(&r, m->n_layers, m->dims, act, m->head == PB_HEAD_MSE);
    TAP_REQUIRE(r.n == m->n_params);
    size_t n = r.n, N = 7, d0 = r.dims[0], C = r.dims[r.L];
    size_t ys = r.mse ? C : 1;
    double *X = malloc(N * d0 * sizeof *X), *y = malloc(N * ys * sizeof *y);
    double *w = malloc(n * sizeof *w), *g = malloc(n * sizeof *g), *g2 = malloc(n * sizeof *g2);
    double *fd = malloc(n * sizeof *fd);
    pb_mlp_ws *ws3 = pb_mlp_ws_alloc(m, 3), *wsN = pb_mlp_ws_alloc(m, N);
    TAP_REQUIRE(X && y && w && g && g2 && fd && ws3 && wsN);
    const double scales[3] = {0.6, 1.2, 2.0};
    for (int draw = 0; draw < 3; draw++) {
        /* Draw data and weights; for relu redraw until no hidden
         * pre-activation is within 1e-3 of the kink. */
        int redraws = 0;
        double amin;
        do {
            for (size_t k = 0; k < N * d0; k++) X[k] = gsl_ran_gaussian(rng, 1.0);
            for (size_t i = 0; i < N; i++) {
                if (r.mse) for (size_t c = 0; c < C; c++) y[i * C + c] = gsl_ran_gaussian(rng, 1.0);
                else y[i] = (double)gsl_rng_uniform_int(rng, C);
            }
            for (size_t l = 0; l < r.L; l++) {
                size_t din = r.dims[l], dout = r.dims[l + 1];
                for (size_t k = 0; k < din * dout; k++)
                    w[r.w_off[l] + k] = scales[draw] * gsl_ran_gaussian(rng, 1.0) / sqrt((double)din);
                for (size_t j = 0; j < dout; j++) w[r.b_off[l] + j] = gsl_ran_gaussian(rng, 0.5);
            }
            amin = INFINITY;
            ref_loss(&r, w, X, y, N, &amin);
        } while (act == 1 && amin < 1e-3 && ++redraws < 100);
        if (redraws) diag("%s draw %d: redrew %d times to keep relu pre-activations off the kink", spec, draw, redraws);

        double loss = NAN, want = ref_loss(&r, w, X, y, N, NULL);
        st = pb_mlp_loss_grad(m, ws3, w, X, y, N, &loss, g);
        is_double(loss, want, 1e-10 * (1 + fabs(want)), "%s draw %d: loss (batches of 3) = reference forward", spec, draw);

        /* central differences of the reference loss */
        double h = 1e-5, gmax = 0, err = 0, gn = 0;
        size_t worst = 0;
        for (size_t j = 0; j < n; j++) {
            double wj = w[j];
            w[j] = wj + h;
            double lp = ref_loss(&r, w, X, y, N, NULL);
            w[j] = wj - h;
            double lm = ref_loss(&r, w, X, y, N, NULL);
            w[j] = wj;
            fd[j] = (lp - lm) / (2 * h);
            if (fabs(fd[j]) > gmax) gmax = fabs(fd[j]);
            if (!(fabs(g[j] - fd[j]) <= err)) err = fabs(g[j] - fd[j]), worst = j;
            gn += g[j] * g[j];
        }
        double tol = 1e-8 * (1 + gmax);
        ok(st == 0 && err <= tol, "%s draw %d: gradient = central differences (max err %.2g, tol %.2g)", spec, draw,
           err, tol);
        if (!(err <= tol)) diag("worst at parameter %zu: got %.10g, fd %.10g", worst, g[worst], fd[worst]);
        ok(sqrt(gn) > 1e-2, "%s draw %d: gradient is not trivially zero (norm %.3g)", spec, draw, sqrt(gn));

        /* one batch of N and loss without gradient agree with the chunked run */
        double loss2 = NAN, loss3 = NAN, d = 0;
        pb_mlp_loss_grad(m, wsN, w, X, y, N, &loss2, g2);
        pb_mlp_loss_grad(m, ws3, w, X, y, N, &loss3, NULL);
        for (size_t j = 0; j < n; j++) d = fmax(d, fabs(g2[j] - g[j]));
        ok(fabs(loss2 - loss) <= 1e-12 * (1 + fabs(loss)) && loss3 == loss && d <= 1e-12 * (1 + gmax),
           "%s draw %d: one batch of %zu and grad=NULL give the same loss/gradient", spec, draw, N);
    }
    free(X), free(y), free(w), free(g), free(g2), free(fd);
    pb_mlp_ws_free(ws3), pb_mlp_ws_free(wsN);
    pb_mlp_free(m);
}

/* Class labels outside 0..C-1 or not integers are errors. */
static void test_bad_labels(void)
{
    pb_mlp *m = NULL;
    TAP_REQUIRE(pb_mlp_parse("mlp:2-3:tanh", &m) == 0);
    pb_mlp_ws *ws = pb_mlp_ws_alloc(m, 4);
    double w[9] = {0}, X[4] = {1, 2, 3, 4}, loss, g[9];
    double ybad[3][2] = {{0, 3}, {1.5, 0}, {-1, 0}};
    for (int k = 0; k < 3; k++) {
        int st = pb_mlp_loss_grad(m, ws, w, X, ybad[k], 2, &loss, g);
        ok(st != 0 && strstr(pb_last_error(), "label") != NULL, "label %g rejected (%s)", ybad[k][0] == 0 ? ybad[k][1] : ybad[k][0],
           pb_last_error());
    }
    /* all-zero weights: loss is exactly N log C */
    double ygood[2] = {0, 2};
    int st = pb_mlp_loss_grad(m, ws, w, X, ygood, 2, &loss, g);
    is_double(st ? NAN : loss, 2 * log(3.0), 1e-14, "zero weights: loss = N log C");
    pb_mlp_ws_free(ws);
    pb_mlp_free(m);
}

int main(void)
{
    struct { const char *spec; int act; } specs[] = {
        {"mlp:4-5-3:tanh", 0},
        {"mlp:3-4-2:tanh:mse", 0},
        {"mlp:4-6-3:relu", 1},
        {"mlp:3-5-2:relu:mse", 1},
        {"mlp:4-5-3:identity", 2},
        {"mlp:3-4-2:identity:mse", 2},
        {"mlp:5-4-4-3:tanh", 0},           /* 2 hidden layers */
        {"mlp:3-4-3-4-2:tanh:mse", 0},     /* 3 hidden layers */
        {"mlp:2-6-5-4-3:relu", 1},         /* 3 hidden layers */
        {"mlp:3-5-4-2:relu:mse", 1},       /* 2 hidden layers */
        {"mlp:3-4-4-2:identity", 2},       /* 2 hidden layers */
        {"mlp:4-3:tanh", 0},               /* no hidden layer: multinomial logistic */
    };
    size_t ns = sizeof specs / sizeof specs[0];
    plan(25 + 4 + 12 + (int)ns * 3 * 4 + 4);
    test_parse_errors();
    test_tables();
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, 4242);
    for (size_t k = 0; k < ns; k++) test_grad(specs[k].spec, specs[k].act, rng);
    test_bad_labels();
    gsl_rng_free(rng);
    return done_testing();
}
