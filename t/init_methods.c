/* init_methods.c -- the ABI 1.6 host services (initial weights, minibatch
 * loss/gradient and Hessian-vector products, dense layers, activations,
 * parameter tensors) and the plugins built on them: magnitude (global and
 * layer scope), snip and synflow, each against scores worked out by hand on
 * a 2-2-1 network; the refusals of a fit without initial weights and of a
 * model that is not a stack of dense layers. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <gsl/gsl_rng.h>

#include "tap.h"
#include "formats/fit.h"
#include "host/cell.h"
#include "host/host.h"
#include "models/model.h"
#include "datasets/data.h"
#include "base/util.h"

/* mlp:2-2-1:identity:mse: W0 = 0..3 (W0[o][i] at 2o + i), b0 = 4..5, W1 = 6..7, b1 = 8 */
#define NP 9

static int has(const char *s, const char *part) { return s && strstr(s, part) != NULL; }

static pb_plugin open_plugin(const char *name)
{
    const char *bdir = getenv("PB_BUILD") ? getenv("PB_BUILD") : "build";
    char path[1024];
    snprintf(path, sizeof path, "%s/plugins/%s.so", bdir, name);
    pb_plugin p;
    int st = pb_plugin_open(path, &p);
    if (st) diag("%s", pb_last_error());
    TAP_REQUIRE(st == 0);
    return p;
}

/* Rank with plugin p; the scores into score, the order into order; status. */
static int rank(const pb_plugin *p, const pb_host *host, const double *mean, const unsigned char *mask, size_t np,
                const char *spec, const char *options, size_t *order, double *score)
{
    char settings[256];
    pb_fit_view v = {NP, mean, NULL, mask, np, 0.0, 1.0, spec, 0, NULL, NULL, NULL, NULL, NULL};
    int st = pb_plugin_rank(p, host, &v, options, order, score, settings, sizeof settings);
    if (st) diag("%s", pb_last_error());
    return st;
}

static int same_order(const size_t *got, const size_t *want, size_t n)
{
    int same = !memcmp(got, want, n * sizeof *got);
    if (!same) {
        char line[256];
        size_t l = 0;
        for (size_t k = 0; k < n && l < sizeof line - 8; k++) l += (size_t)snprintf(line + l, sizeof line - l, " %zu", got[k]);
        diag("order:%s", line);
    }
    return same;
}

static int close_all(const double *got, const double *want, const unsigned char *mask, size_t n, double tol)
{
    for (size_t j = 0; j < n; j++)
        if ((!mask || mask[j]) && !(fabs(got[j] - want[j]) <= tol)) {
            diag("entry %zu: %.17g, by hand %.17g", j, got[j], want[j]);
            return 0;
        }
    return 1;
}

int main(void)
{
    plan(29);
    pb_model *m;
    TAP_REQUIRE(pb_model_parse("mlp:2-2-1:identity:mse", &m) == 0 && m->n_params == NP);
    /* one training sample x = (1, 1), y = 0 */
    pb_data one;
    TAP_REQUIRE(pb_data_alloc(&one, "one", 1, 2, 1, 0) == 0);
    one.X[0] = one.X[1] = 1, one.y[0] = 0;
    unsigned char mask[NP], mask_all[NP];
    size_t np = pb_model_prunable(m, 0, mask), np_all = pb_model_prunable(m, 1, mask_all);
    TAP_REQUIRE(np == 6 && np_all == 9);
    size_t order[NP];
    double score[NP];

    /* ---- magnitude ---- */
    static const double MEAN[NP] = {0.5, -0.1, 0.3, -2.0, 0.7, -0.7, 0.05, -1.0, 0.2};
    pb_host host;
    pb_host_ctx ctx;
    TAP_REQUIRE(pb_host_init_model(&host, &ctx, m, &one, 1) == 0);
    pb_plugin mag = open_plugin("magnitude");
    int st = rank(&mag, &host, MEAN, mask, np, m->spec, "", order, score);
    /* |m| of the weights 0 1 2 3 6 7: .5 .1 .3 2 .05 1 */
    static const size_t mag_global[6] = {6, 1, 2, 0, 7, 3};
    double absm[NP];
    for (size_t j = 0; j < NP; j++) absm[j] = fabs(MEAN[j]);
    ok(st == 0 && close_all(score, absm, mask, NP, 0) && same_order(order, mag_global, 6),
       "magnitude scope=global: scores |m|, order 6 1 2 0 7 3");
    st = rank(&mag, &host, MEAN, mask, np, m->spec, "scope=layer", order, score);
    /* W0 (4 entries) by |m|: 1 2 0 3 -> (r + 1/2)/4 = .125 .375 .625 .875;
     * W1 (2 entries): 6 7 -> .25 .75 */
    static const double q_layer[NP] = {0.625, 0.125, 0.375, 0.875, 0, 0, 0.25, 0.75, 0};
    static const size_t mag_layer[6] = {1, 6, 2, 0, 7, 3};
    ok(st == 0 && close_all(score, q_layer, mask, NP, 0) && same_order(order, mag_layer, 6),
       "magnitude scope=layer: rank quantiles .625 .125 .375 .875 | .25 .75, order 1 6 2 0 7 3");
    /* after the first 3 removals each tensor has lost half: W0 {1, 2}, W1 {6} */
    ok(st == 0 && order[0] == 1 && order[1] == 6 && order[2] == 2,
       "magnitude scope=layer: half the removals take half of W0 and half of W1");
    st = rank(&mag, &host, MEAN, mask_all, np_all, m->spec, "scope=layer", order, score);
    /* with biases: b0 (|.7| twice: ties by index) .25 .75, b1 .5 */
    static const double q_all[NP] = {0.625, 0.125, 0.375, 0.875, 0.25, 0.75, 0.25, 0.75, 0.5};
    static const size_t mag_all[9] = {1, 4, 6, 2, 8, 0, 5, 7, 3};
    ok(st == 0 && close_all(score, q_all, mask_all, NP, 0) && same_order(order, mag_all, 9),
       "magnitude scope=layer with biases: every tensor its own quantiles (b0 .25 .75, b1 .5)");
    pb_plugin_close(&mag);

    /* ---- services ---- */
    /* initial weights W0 = [[1, -2], [.5, 3]], b0 = 0, W1 = [2, -1], b1 = 0 */
    static const double INIT[NP] = {1, -2, 0.5, 3, 0, 0, 2, -1, 0};
    double w[NP];
    ctx.fail_msg[0] = '\0';
    st = host.initial_weights(host.ctx, w);
    ok(st != 0 && has(ctx.fail_msg, "does not store its initial weights"),
       "initial_weights on a fit without them: fails, saying so (%s)", ctx.fail_msg);
    pb_fit fit;
    TAP_REQUIRE(pb_fit_alloc(&fit, NP) == 0 && pb_fit_alloc_init(&fit) == 0);
    memcpy(fit.init, INIT, sizeof INIT);
    memcpy(fit.mean, MEAN, sizeof MEAN);
    pb_host_set_fit(&ctx, &fit);
    st = host.initial_weights(host.ctx, w);
    ok(st == 0 && !memcmp(w, INIT, sizeof INIT), "initial_weights: the fit's init, bitwise");
    ok(host.abi_minor == 6 && host.struct_size == sizeof(pb_host), "the host speaks ABI 1.6");

    /* by hand at INIT, x = (1, 1), y = 0: h = W0 x = (-1, 3.5), z = W1 h = -5.5,
     * L = z^2 / 2 (+ const), dL/dz = -5.5: dW1 = -5.5 h = (5.5, -19.25), db1 = -5.5,
     * dL/dh = -5.5 W1 = (-11, 5.5): dW0 = [[-11, -11], [5.5, 5.5]], db0 = (-11, 5.5) */
    static const double GRAD[NP] = {-11, -11, 5.5, 5.5, -11, 5.5, 5.5, -19.25, -5.5};
    double g[NP], loss, fl, fg[NP];
    st = host.minibatch_loss_grad(host.ctx, INIT, 100, 7, &loss, g);
    ok(st == 0 && close_all(g, GRAD, NULL, NP, 1e-12), "minibatch_loss_grad (batch 100 of 1 sample): the gradient by hand");
    st = host.loss_grad(host.ctx, INIT, &fl, fg);
    ok(st == 0 && fl == loss && !memcmp(fg, g, sizeof g), "a batch larger than the set is the whole set: loss_grad's values");

    /* ---- snip ---- */
    pb_plugin snip = open_plugin("snip");
    st = rank(&snip, &host, MEAN, mask, np, m->spec, "", order, score);
    /* |w0 g|: W0 11 22 2.75 16.5, W1 11 19.25 -> 2 0 6 3 7 1 (0 and 6 tie at 11: by index) */
    static const double SNIP[NP] = {11, 22, 2.75, 16.5, 0, 0, 11, 19.25, 0};
    static const size_t snip_order[6] = {2, 0, 6, 3, 7, 1};
    ok(st == 0 && close_all(score, SNIP, mask, NP, 1e-12) && same_order(order, snip_order, 6),
       "snip: |w0 dL/dw0| = 11 22 2.75 16.5 | 11 19.25 (at the initial weights, not the mean), order 2 0 6 3 7 1");
    st = rank(&snip, &host, MEAN, mask_all, np_all, m->spec, "batch=1", order, score);
    ok(st == 0 && close_all(score, SNIP, mask_all, NP, 1e-12), "snip batch=1 with biases: |w0 g| = 0 at the zero biases");
    pb_host_set_fit(&ctx, NULL);
    st = rank(&snip, &host, MEAN, mask, np, m->spec, "", order, score);
    ok(st != 0 && has(pb_last_error(), "snip") && has(pb_last_error(), "initial weights") && !strchr(pb_last_error(), '\n'),
       "snip on a fit without initial weights: one line (%s)", pb_last_error());
    pb_host_set_fit(&ctx, &fit);

    /* ---- synflow ---- */
    pb_plugin sf = open_plugin("synflow");
    /* |W0| = [[.5, 1], [.5, 2]], |W1| = [3, 2], b = 0 */
    static const double SF_INIT[NP] = {0.5, -1, -0.5, 2, 0, 0, 3, -2, 0};
    memcpy(fit.init, SF_INIT, sizeof SF_INIT);
    /* round 1, all kept: a1 = |W0| 1 = (1.5, 2.5), R = 3(1.5) + 2(2.5) = 9.5,
     * g1 = |W1| = (3, 2): S(W0[o][i]) = |W0[o][i]| g1[o] = 1.5 3 1 4,
     * S(W1[o]) = |W1[o]| a1[o] = 4.5 5 (each layer's S sums to R = 9.5).
     * One shot (rounds=1, keep=1/6: keep round(6/6) = 1): 2 0 1 3 6 | 7. */
    static const size_t sf_oneshot[6] = {2, 0, 1, 3, 6, 7};
    static const double sf_pos1[NP] = {1, 2, 0, 3, 0, 0, 4, 5, 0};
    st = rank(&sf, &host, MEAN, mask, np, m->spec, "rounds=1,keep=0.16666666666666666", order, score);
    ok(st == 0 && same_order(order, sf_oneshot, 6) && close_all(score, sf_pos1, mask, NP, 0),
       "synflow one round: S = 1.5 3 1 4 | 4.5 5, order 2 0 1 3 6 7, relevance = position");
    /* rounds=5, keep=1/6: kept after round k = round(6 (1/6)^(k/5)) = 4 3 2 1 1.
     * Round 1 removes 2 (S 1) and 0 (S 1.5). Round 2: a1 = (1, 2), S = W0: 3 (1), 4 (3);
     * W1: 3 (6), 4 (7); removes 1 (tie with 6 at 3: by index). Round 3: a1 = (0, 2):
     * S(6) = 0, S(3) = 4, S(7) = 4: removes 6 (its flow died with unit 0's
     * inputs; one-shot kept it to the end). Round 4: 3 and 7 tie at 4: removes 3.
     * Survivor 7. */
    static const size_t sf_iter[6] = {2, 0, 1, 6, 3, 7};
    st = rank(&sf, &host, MEAN, mask, np, m->spec, "rounds=5,keep=0.16666666666666666", order, score);
    ok(st == 0 && same_order(order, sf_iter, 6), "synflow 5 rounds: order 2 0 1 6 3 7 (iterating moves 6 before 3)");
    st = rank(&sf, &host, MEAN, mask, np, m->spec, "", order, score);
    ok(st == 0 && same_order(order, sf_iter, 6), "synflow defaults (100 rounds, keep 0.01): the same order here");
    /* the mean is not read: another mean, the same ranking */
    double other[NP];
    for (size_t j = 0; j < NP; j++) other[j] = -3 * MEAN[j] + 1;
    size_t order2[NP];
    double score2[NP];
    st = rank(&sf, &host, other, mask, np, m->spec, "", order2, score2);
    ok(st == 0 && !memcmp(order, order2, 6 * sizeof *order), "synflow reads the initial weights only (not the mean)");
    st = rank(&sf, &host, MEAN, mask_all, np_all, m->spec, "rounds=1,keep=0.1111111111111111", order, score);
    /* biases 0: S = 0, removed first by index (4 5 8), then as above */
    static const size_t sf_all[9] = {4, 5, 8, 2, 0, 1, 3, 6, 7};
    ok(st == 0 && same_order(order, sf_all, 9), "synflow with biases: zero biases have S = 0 and go first");

    /* ---- dense layers, activations, tensors ---- */
    pb_layer L[3];
    size_t nl = 0;
    st = host.dense_layers(host.ctx, L, 3, &nl);
    ok(st == 0 && nl == 2 && L[0].in == 2 && L[0].out == 2 && L[0].weight == 0 && L[0].bias == 4 && L[0].unit == 0 &&
           L[1].in == 2 && L[1].out == 1 && L[1].weight == 6 && L[1].bias == 8 && L[1].unit == 2 &&
           !strcmp(L[0].activation, "identity") && !strcmp(L[1].activation, "identity"),
       "dense_layers of 2-2-1: offsets, widths, unit columns");
    double act[2 * 3];
    static const double X2[4] = {1, 1, 2, 0};
    st = host.activations(host.ctx, INIT, X2, 2, 0, act);
    /* x = (1, 1): h = (-1, 3.5), z = -5.5; x = (2, 0): h = (2, 1), z = 4 - 1 = 3 */
    static const double ACT[6] = {-1, 3.5, -5.5, 2, 1, 3};
    ok(st == 0 && close_all(act, ACT, NULL, 6, 1e-15), "activations of two inputs by hand: (-1, 3.5 | -5.5), (2, 1 | 3)");
    st = host.activations(host.ctx, INIT, NULL, 2, 5, act);
    ok(st == 0 && close_all(act, ACT, NULL, 3, 1e-15) && act[3] == 0 && act[4] == 0 && act[5] == 0,
       "activations of the training minibatch (1 sample; the row past it is 0)");
    size_t tensor[NP], nt = 0;
    static const size_t TENSOR[NP] = {0, 0, 0, 0, 1, 1, 2, 2, 3};
    st = host.param_tensors(host.ctx, tensor, &nt);
    ok(st == 0 && nt == 4 && !memcmp(tensor, TENSOR, sizeof TENSOR), "param_tensors: W0 W0 W0 W0 b0 b0 W1 W1 b1");
    pb_host_release(&ctx);

    /* tanh layers: activations apply tanh to the hidden units only */
    pb_model *mt;
    TAP_REQUIRE(pb_model_parse("mlp:2-2-1:tanh:mse", &mt) == 0);
    pb_data two;
    TAP_REQUIRE(pb_data_alloc(&two, "two", 5, 2, 1, 0) == 0);
    for (size_t i = 0; i < 10; i++) two.X[i] = 0.25 * (double)i - 1;
    for (size_t i = 0; i < 5; i++) two.y[i] = 0.5 * (double)i;
    pb_host th;
    pb_host_ctx tctx;
    TAP_REQUIRE(pb_host_init_model(&th, &tctx, mt, &two, 3) == 0);
    st = th.activations(th.ctx, INIT, X2, 1, 0, act);
    double z = 2 * tanh(-1.0) - tanh(3.5);
    ok(st == 0 && act[0] == tanh(-1.0) && act[1] == tanh(3.5) && fabs(act[2] - z) < 1e-15,
       "activations through tanh: (tanh -1, tanh 3.5 | 2 tanh(-1) - tanh 3.5)");
    /* a minibatch of 2 of the 5 samples, by the documented partial Fisher-Yates */
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    pb_rng_seed(r, 42);
    size_t idx[5] = {0, 1, 2, 3, 4};
    for (size_t i = 0; i < 2; i++) {
        size_t j = i + (size_t)gsl_rng_uniform_int(r, 5 - i), t = idx[i];
        idx[i] = idx[j], idx[j] = t;
    }
    gsl_rng_free(r);
    double Xs[4], ys[2], want_loss, want_g[NP];
    for (size_t i = 0; i < 2; i++) {
        memcpy(Xs + 2 * i, two.X + 2 * idx[i], 2 * sizeof *Xs);
        ys[i] = two.y[idx[i]];
    }
    pb_model_ws *ws = pb_model_ws_alloc(mt, 5);
    TAP_REQUIRE(ws != NULL);
    TAP_REQUIRE(pb_model_loss_grad(mt, ws, INIT, Xs, ys, 2, NULL, NULL, &want_loss, want_g) == 0);
    double g2[NP], l2, g3[NP], l3;
    st = th.minibatch_loss_grad(th.ctx, INIT, 2, 42, &loss, g);
    int st2 = th.minibatch_loss_grad(th.ctx, INIT, 2, 42, &l2, g2);
    int st3 = th.minibatch_loss_grad(th.ctx, INIT, 2, 43, &l3, g3);
    ok(!st && !st2 && loss == want_loss && !memcmp(g, want_g, sizeof g) && l2 == loss && !memcmp(g2, g, sizeof g),
       "minibatch of 2 from 5 (seed 42): samples %zu %zu, as documented; the same seed, the same values", idx[0], idx[1]);
    ok(!st3 && l3 != loss, "another seed, another minibatch (loss %g vs %g)", l3, loss);
    /* Hessian-vector products on the minibatch = the model's on the same samples */
    double v[NP], hv[NP], want_hv[NP];
    for (size_t j = 0; j < NP; j++) v[j] = sin((double)j + 1);
    TAP_REQUIRE(pb_model_hessian_vec(mt, ws, INIT, Xs, ys, 2, v, 1, want_hv) == 0);
    st = th.minibatch_hessian_vec(th.ctx, INIT, v, PB_HESSIAN_EXACT, 2, 42, hv);
    ok(st == 0 && !memcmp(hv, want_hv, sizeof hv), "minibatch_hessian_vec: the exact H v of the same 2 samples");
    pb_model_ws_free(ws);
    pb_host_release(&tctx);

    /* ---- refusals before any hook ---- */
    pb_model *lstm;
    TAP_REQUIRE(pb_model_parse("lstm:2x2-3-2", &lstm) == 0);
    snprintf(fit.family, sizeof fit.family, "gauss-diag");
    st = pb_plugin_check_fit(&sf, lstm, &fit, "l.fit");
    ok(st != 0 && has(pb_last_error(), "synflow") && has(pb_last_error(), "dense layers") &&
           has(pb_last_error(), "lstm:2x2-3-2"),
       "synflow on an LSTM: refused (%s)", pb_last_error());
    ok(pb_plugin_check_fit(&snip, lstm, &fit, "l.fit") == 0, "snip on an LSTM fit with initial weights: accepted");
    char dir[] = "/tmp/pb-init-XXXXXX", path[600];
    TAP_REQUIRE(mkdtemp(dir) != NULL);
    snprintf(path, sizeof path, "%s/old.fit", dir);
    snprintf(fit.model, sizeof fit.model, "%s", m->spec);
    snprintf(fit.dataset, sizeof fit.dataset, "one");
    fit.test_fraction = 0.2, fit.prior_sd = 1, fit.noise_precision = 1;
    free(fit.init);
    fit.init = NULL;
    TAP_REQUIRE(pb_fit_save(&fit, path) == 0);
    st = pb_plugin_check_fit_file(&snip, path);
    ok(st != 0 && has(pb_last_error(), "method snip needs the fit's initial weights") && has(pb_last_error(), path) &&
           !strchr(pb_last_error(), '\n'),
       "snip on a fit file without initial weights: one line (%s)", pb_last_error());
    st = pb_plugin_check_fit_file(&sf, path);
    ok(st != 0 && has(pb_last_error(), "synflow"), "synflow on it: refused too");
    unlink(path);
    rmdir(dir);

    pb_plugin_close(&snip);
    pb_plugin_close(&sf);
    pb_fit_free(&fit);
    pb_data_free(&one), pb_data_free(&two);
    pb_model_free(m), pb_model_free(mt), pb_model_free(lstm);
    return done_testing();
}
