/* variational.c -- the variational plugin (build/plugins/variational.so):
 * relevance |m_j| / s_j, checked through pb_plugin_rank against the ratio
 * and a sort written here; a point fit (sd NULL) and a zero sd are refused
 * with a message. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "host/cell.h"
#include "host/host.h"
#include "models/mlp.h"
#include "datasets/data.h"
#include "base/util.h"

/* mlp:2-2-2:tanh: W0 = 0..3, b0 = 4..5, W1 = 6..9, b1 = 10..11 */
#define NP 12
static const double MEAN[NP] = {0.5, -0.1, 0.0, 0.3, 0.7, -0.7, -0.4, 0.2, -0.5, -1.5, 0.9, 0.0};
static const double SD[NP] = {0.1, 0.2, 0.3, 0.05, 0.5, 0.1, 0.2, 0.1, 0.1, 2.0, 0.3, 0.4};

static int has(const char *s, const char *part) { return s && strstr(s, part) != NULL; }

/* Prunable indices by ascending ratio, ties by index (insertion sort). */
static size_t expected_order(const double *score, const unsigned char *mask, size_t *out)
{
    size_t k = 0;
    for (size_t j = 0; j < NP; j++) {
        if (!mask[j]) continue;
        size_t i = k++;
        while (i > 0 && (score[out[i - 1]] > score[j] || (score[out[i - 1]] == score[j] && out[i - 1] > j)))
            out[i] = out[i - 1], i--;
        out[i] = j;
    }
    return k;
}

int main(void)
{
    plan(6);
    const char *bdir = getenv("PB_BUILD") ? getenv("PB_BUILD") : "build";
    char path[1024];
    snprintf(path, sizeof path, "%s/plugins/variational.so", bdir);
    pb_plugin p;
    int st = pb_plugin_open(path, &p);
    if (st) diag("%s", pb_last_error());
    TAP_REQUIRE(st == 0);

    pb_mlp *m;
    TAP_REQUIRE(pb_mlp_parse("mlp:2-2-2:tanh", &m) == 0 && m->n_params == NP);
    pb_data data;
    TAP_REQUIRE(pb_data_alloc(&data, "tiny", 4, 2, 1, 2) == 0);
    for (size_t i = 0; i < 8; i++) data.X[i] = 0.3 * (double)i - 1;
    for (size_t i = 0; i < 4; i++) data.y[i] = (double)(i % 2);
    pb_host host;
    pb_host_ctx ctx;
    TAP_REQUIRE(pb_host_init(&host, &ctx, m, &data, 1) == 0);
    unsigned char mask[NP], mask_all[NP];
    size_t np = pb_prunable_mask(m, 0, mask), np_all = pb_prunable_mask(m, 1, mask_all);
    size_t order[NP], want[NP];
    double score[NP], ratio[NP];
    char settings[128];
    for (size_t j = 0; j < NP; j++) ratio[j] = fabs(MEAN[j]) / SD[j];

    pb_fit_view v = {NP, MEAN, SD, mask, np, 0.0, 1.0, m->spec, 0, NULL, NULL, NULL, NULL, NULL};
    st = pb_plugin_rank(&p, &host, &v, "", order, score, settings, sizeof settings);
    if (st) diag("%s", pb_last_error());
    int same = st == 0;
    for (size_t j = 0; j < NP && same; j++) same = score[j] == ratio[j];
    ok(same, "scores are |m_j| / s_j for every parameter");
    size_t k = expected_order(ratio, mask, want);
    ok(st == 0 && k == np && !memcmp(order, want, np * sizeof *order),
       "order over the weights = ascending |m|/s, ties by index (first %zu, last %zu)", order[0], order[np - 1]);
    /* by hand: weights 0..3, 6..9 have ratios 5, .5, 0, 6, 2, 2, 5, .75 (exact ties 6/7 and 0/8) */
    static const size_t hand[8] = {2, 1, 9, 6, 7, 0, 8, 3};
    ok(st == 0 && !memcmp(order, hand, sizeof hand), "order by hand: 2 1 9 6 7 0 8 3 (ties 6/7 and 0/8 by index)");

    pb_fit_view va = {NP, MEAN, SD, mask_all, np_all, 0.0, 1.0, m->spec, 0, NULL, NULL, NULL, NULL, NULL};
    st = pb_plugin_rank(&p, &host, &va, "", order, score, settings, sizeof settings);
    k = expected_order(ratio, mask_all, want);
    ok(st == 0 && k == NP && !memcmp(order, want, NP * sizeof *order), "order over weights and biases");

    pb_fit_view vp = {NP, MEAN, NULL, mask, np, 0.0, 0.0, m->spec, 0, NULL, NULL, NULL, NULL, NULL};
    st = pb_plugin_rank(&p, &host, &vp, "", order, score, settings, sizeof settings);
    const char *msg = pb_last_error();
    ok(st == PB_ERR_PLUGIN && has(msg, "plugin variational") && has(msg, "point estimate") && !strchr(msg, '\n'),
       "point fit (sd NULL) refused with a message: %s", msg);
    double sd0[NP];
    memcpy(sd0, SD, sizeof sd0);
    sd0[7] = 0;
    pb_fit_view vz = {NP, MEAN, sd0, mask, np, 0.0, 1.0, m->spec, 0, NULL, NULL, NULL, NULL, NULL};
    st = pb_plugin_rank(&p, &host, &vz, "", order, score, settings, sizeof settings);
    msg = pb_last_error();
    ok(st == PB_ERR_PLUGIN && has(msg, "parameter 7"), "sd 0 refused, naming the parameter: %s", msg);

    pb_host_release(&ctx);
    pb_data_free(&data);
    pb_mlp_free(m);
    pb_plugin_close(&p);
    return done_testing();
}
