/* groupvd.c -- group variables (PROTOCOLS.md groupvd, seed 001 §4.2) in the
 * MLP's local reparameterization step and in training, and the groupvd plugin:
 *  1. pb_lrt_loss_grad with per-sample multipliers Z whose rows all equal z
 *     gives the loss of the network with the groups folded into the weights
 *     (theta_ij z_j, sigma2_ij z_j^2), same noise stream;
 *  2. dL/dZ against central differences with the noise held fixed;
 *  3. relevance = min(own -log alpha, the groups' -log alpha) on a view made
 *     here (no training), through the loader;
 *  4. end to end: groupvd trains an MLP on three blobs plus two noise inputs;
 *     the fit stores one group variable per input neuron of every layer, the
 *     model at the stored (folded) means classifies the blobs, and the noise
 *     inputs' groups are less relevant than the informative ones. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "tap.h"
#include "blobs.h"
#include "formats/fit.h"
#include "host/host.h"
#include "models/mlp.h"
#include "models/mlp_lrt.h"
#include "datasets/data.h"
#include "train/train.h"
#include "base/util.h"

static double lrt(const pb_mlp *m, pb_lrt_ws *ws, const double *th, const double *s2, const double *X, const double *y,
                  size_t B, const double *Z, double *dZ, unsigned long seed, double *dth, double *ds2)
{
    gsl_rng *g = gsl_rng_alloc(gsl_rng_mt19937);
    TAP_REQUIRE(g != NULL);
    gsl_rng_set(g, seed);
    double loss;
    int st = pb_lrt_loss_grad(m, ws, th, s2, X, y, B, Z, dZ, g, &loss, dth, ds2);
    if (st) diag("%s", pb_last_error());
    TAP_REQUIRE(st == 0);
    gsl_rng_free(g);
    return loss;
}

static void test_lrt_groups(const char *spec)
{
    enum { B = 4 };
    pb_mlp *m;
    TAP_REQUIRE(pb_mlp_parse(spec, &m) == 0);
    size_t n = m->n_params, nz = 0, C = pb_mlp_out_dim(m), d0 = pb_mlp_in_dim(m);
    for (size_t l = 0; l < m->n_layers; l++) nz += m->dims[l];
    double *th = calloc(n, sizeof *th), *s2 = calloc(n, sizeof *s2), *th2 = calloc(n, sizeof *th2);
    double *s22 = calloc(n, sizeof *s22), *dth = calloc(n, sizeof *dth), *ds2 = calloc(n, sizeof *ds2);
    double *Z = calloc(B * nz, sizeof *Z), *dZ = calloc(B * nz, sizeof *dZ), *z = calloc(nz, sizeof *z);
    double *X = calloc(B * d0, sizeof *X), *y = calloc(B * C, sizeof *y);
    pb_lrt_ws *ws = pb_lrt_ws_alloc(m, B);
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    TAP_REQUIRE(th && s2 && th2 && s22 && dth && ds2 && Z && dZ && z && X && y && ws && r);
    gsl_rng_set(r, 7);
    for (size_t j = 0; j < n; j++) th[j] = gsl_ran_gaussian(r, 0.7), s2[j] = 0.01 + 0.05 * gsl_rng_uniform(r);
    for (size_t k = 0; k < nz; k++) z[k] = 0.3 + 1.2 * gsl_rng_uniform(r);
    for (size_t k = 0; k < B * d0; k++) X[k] = gsl_ran_gaussian(r, 1.0);
    for (size_t i = 0; i < B; i++) {
        if (m->head == PB_HEAD_MSE) for (size_t c = 0; c < C; c++) y[i * C + c] = gsl_ran_gaussian(r, 1.0);
        else y[i] = (double)(i % C);
    }
    /* 1. fold z into the weights: column j of W_l times z_l[j] (sigma^2 times z^2) */
    memcpy(th2, th, n * sizeof *th), memcpy(s22, s2, n * sizeof *s2);
    for (size_t l = 0, zo = 0; l < m->n_layers; zo += m->dims[l], l++)
        for (size_t o = 0; o < m->dims[l + 1]; o++)
            for (size_t j = 0; j < m->dims[l]; j++) {
                size_t q = m->w_off[l] + o * m->dims[l] + j;
                th2[q] *= z[zo + j], s22[q] *= z[zo + j] * z[zo + j];
            }
    for (size_t i = 0; i < B; i++) memcpy(Z + i * nz, z, nz * sizeof *z);
    double lz = lrt(m, ws, th, s2, X, y, B, Z, NULL, 11, dth, ds2);
    double lf = lrt(m, ws, th2, s22, X, y, B, NULL, NULL, 11, dth, ds2);
    ok(fabs(lz - lf) <= 1e-12 * (1 + fabs(lf)), "%s: loss with Z rows = z equals the loss with z folded into the weights "
       "(%.15g vs %.15g)", spec, lz, lf);
    /* 2. per-sample Z, dL/dZ against central differences, same noise */
    for (size_t k = 0; k < B * nz; k++) Z[k] = 0.5 + gsl_rng_uniform(r);
    lrt(m, ws, th, s2, X, y, B, Z, dZ, 12, dth, ds2);
    double worst = 0;
    for (size_t k = 0; k < B * nz; k++) {
        double h = 1e-6, keep = Z[k];
        Z[k] = keep + h;
        double lp = lrt(m, ws, th, s2, X, y, B, Z, NULL, 12, dth, ds2);
        Z[k] = keep - h;
        double lm = lrt(m, ws, th, s2, X, y, B, Z, NULL, 12, dth, ds2);
        Z[k] = keep;
        double fd = (lp - lm) / (2 * h);
        worst = fmax(worst, fabs(fd - dZ[k]) / (1e-6 + fabs(fd)));
    }
    ok(worst < 1e-5, "%s: dL/dZ (%zu entries) matches central differences with fixed noise (worst rel. error %.1e)", spec,
       B * nz, worst);
    free(th), free(s2), free(th2), free(s22), free(dth), free(ds2), free(Z), free(dZ), free(z), free(X), free(y);
    pb_lrt_ws_free(ws);
    gsl_rng_free(r);
    pb_mlp_free(m);
}

static void open_groupvd(pb_plugin *p)
{
    const char *bdir = getenv("PB_BUILD") ? getenv("PB_BUILD") : "build";
    char path[1024];
    snprintf(path, sizeof path, "%s/plugins/groupvd.so", bdir);
    int st = pb_plugin_open(path, p);
    if (st) diag("%s", pb_last_error());
    TAP_REQUIRE(st == 0 && p->method.training && p->method.training->group_variables == 1);
}

/* 3. parameters 0..3 prunable, 4 not; groups {0,1} and {1,2,4} */
static void test_relevance_min(const pb_plugin *p)
{
    pb_mlp *m;
    TAP_REQUIRE(pb_mlp_parse("mlp:2-2-1:tanh:mse", &m) == 0);
    pb_data d;
    TAP_REQUIRE(pb_data_alloc(&d, "none", 2, 2, 1, 0) == 0);
    pb_host host;
    pb_host_ctx ctx;
    TAP_REQUIRE(pb_host_init(&host, &ctx, m, &d, 1) == 0);
    double mean[9] = {1, -2, 0.5, 3, 1, 0, 0, 0, 0}, sd[9] = {0.1, 0.2, 0.5, 0.3, 1, 1, 1, 1, 1};
    unsigned char mask[9] = {1, 1, 1, 1, 0, 0, 0, 0, 0};
    double gm[2] = {0.9, 2.0}, gs[2] = {0.9 * exp(1.0), 0.2};  /* -log alpha about -2 and log 100 */
    size_t start[3] = {0, 2, 5}, members[5] = {0, 1, 1, 2, 4};
    const char *kind[2] = {"input", "hidden"};
    pb_fit_view v = {9, mean, sd, mask, 4, 0, 0, m->spec, 2, gm, gs, start, members, kind};
    double score[9];
    size_t order[9];
    char settings[128];
    int st = pb_plugin_rank(p, &host, &v, "", order, score, settings, sizeof settings);
    if (st) diag("%s", pb_last_error());
    double own[4];
    for (size_t j = 0; j < 4; j++) own[j] = log(mean[j] * mean[j] + 1e-8) - 2 * log(sd[j]);
    double g0 = log(gm[0] * gm[0] + 1e-8) - 2 * log(gs[0]), g1 = log(gm[1] * gm[1] + 1e-8) - 2 * log(gs[1]);
    double want[4] = {fmin(own[0], g0), fmin(own[1], fmin(g0, g1)), fmin(own[2], g1), own[3]};
    double e = 0;
    for (size_t j = 0; j < 4; j++) e = fmax(e, fabs(score[j] - want[j]));
    ok(st == 0 && e < 1e-9, "relevance = min(own -log alpha, groups' -log alpha) (max error %.1e)", e);
    ok(st == 0 && order[0] == 0 && order[1] == 1 && order[2] == 2 && order[3] == 3,
       "order: the weak group's two members first, the weight with the weakest own alpha next, the ungrouped last");
    v.n_groups = 0;
    st = pb_plugin_rank(p, &host, &v, "", order, score, settings, sizeof settings);
    ok(st != 0 && strstr(pb_last_error(), "--method groupvd"), "a fit without group variables is refused (%s)",
       pb_last_error());
    pb_host_release(&ctx);
    pb_data_free(&d);
    pb_mlp_free(m);
}

static void test_end_to_end(const pb_plugin *p)
{
    pb_model *m;
    TAP_REQUIRE(pb_model_parse("mlp:4-8-3:tanh", &m) == 0);
    pb_data d;
    tu_blobs(&d, "blobs", 60, 2, 5);
    pb_train_opts o;
    pb_train_opts_default(&o);
    o.family = PB_FAMILY_METHOD;
    o.training = p->method.training;
    o.epochs = 300, o.batch = 30, o.lr = 1e-2, o.seed = 23, o.label = "groupvd-test";
    pb_fit f;
    TAP_REQUIRE(pb_fit_alloc(&f, m->n_params) == 0);
    int st = pb_train_model(m, &d, &o, &f);
    if (st) diag("%s", pb_last_error());
    TAP_REQUIRE(st == 0);
    ok(f.n_groups == 4 + 8 && m->n_variable_groups == 12, "the fit stores %zu group variables (4 inputs + 8 hidden)",
       f.n_groups);
    int fin = 1;
    for (size_t k = 0; k < f.n_groups; k++) fin &= isfinite(f.group_mean[k]) && f.group_sd[k] > 0;
    ok(fin && strstr(f.settings, "group_variables=12"), "group means finite, sds positive, settings say so");
    /* accuracy of the stored effective weights */
    pb_model_ws *ws = pb_model_ws_alloc(m, d.n);
    double *out = calloc(d.n * 3, sizeof *out);
    TAP_REQUIRE(ws && out && pb_model_predict(m, ws, f.mean, d.X, d.n, out) == 0);
    size_t right = 0;
    for (size_t i = 0; i < d.n; i++) {
        size_t best = 0;
        for (size_t c = 1; c < 3; c++) if (out[i * 3 + c] > out[i * 3 + best]) best = c;
        right += (double)best == d.y[i];
    }
    ok((double)right / (double)d.n > 0.9, "training accuracy at the stored means %.3f > 0.9", (double)right / (double)d.n);
    /* the noise inputs' group variables are less relevant than the blob inputs' */
    double rel[4];
    for (size_t k = 0; k < 4; k++) rel[k] = log(f.group_mean[k] * f.group_mean[k] + 1e-8) - 2 * log(f.group_sd[k]);
    ok(fmax(rel[2], rel[3]) < fmin(rel[0], rel[1]), "input groups' -log alpha: x0 %.2f, x1 %.2f > noise %.2f, %.2f",
       rel[0], rel[1], rel[2], rel[3]);
    pb_model_ws_free(ws);
    free(out);
    pb_fit_free(&f);
    pb_data_free(&d);
    pb_model_free(m);
}

int main(void)
{
    plan(4 + 3 + 4);
    test_lrt_groups("mlp:3-4-2:tanh");
    test_lrt_groups("mlp:3-5-4-2:tanh:mse");
    pb_plugin p;
    open_groupvd(&p);
    test_relevance_min(&p);
    test_end_to_end(&p);
    pb_plugin_close(&p);
    return 0;
}
