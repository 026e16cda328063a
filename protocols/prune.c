/* prune.c -- see prune.h. */
#include "protocols/prune.h"
#include "base/linalg.h"
#include "base/util.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define PB_COMPENSATE_MAX_PARAMS 6000  /* the covariance is n x n */

int pb_pruner_init(pb_pruner *p, const pb_cell *c, const size_t *order, size_t n_order, int compensate,
                   pb_estimator est, uint64_t seed, char *info, size_t info_len)
{
    memset(p, 0, sizeof *p);
    size_t n = c->net->n_params;
    p->n = n, p->order = order, p->n_order = n_order, p->compensate = compensate;
    if (info_len) info[0] = '\0';
    if (!(p->w = pb_calloc(n, sizeof *p->w))) return PB_ERR_NOMEM;
    memcpy(p->w, c->fit.mean, n * sizeof *p->w);
    if (!compensate) return PB_OK;
    int st = pb_model_require(c->net, PB_CAP_CURVATURE, "compensation (a Laplace posterior)");
    if (st) {
        pb_pruner_free(p);
        return st;
    }
    if (n > PB_COMPENSATE_MAX_PARAMS) {
        pb_pruner_free(p);
        return pb_error(PB_ERR_ARG, "compensation needs the %zu x %zu posterior covariance; limited to %d parameters",
                        n, n, PB_COMPENSATE_MAX_PARAMS);
    }
    p->S = pb_calloc(n * n, sizeof *p->S);
    p->mu = pb_calloc(n, sizeof *p->mu);
    p->pos = pb_calloc(n, sizeof *p->pos);
    p->param = pb_calloc(n, sizeof *p->param);
    if (!p->S || !p->mu || !p->pos || !p->param) { pb_pruner_free(p); return PB_ERR_NOMEM; }
    st = pb_posterior_covariance(c->net, &c->train, c->fit.mean, c->fit.prior_mean, c->fit.prior_sd, est, seed,
                                     p->S, info, info_len);
    if (st) { pb_pruner_free(p); return st; }
    memcpy(p->mu, c->fit.mean, n * sizeof *p->mu);
    for (size_t j = 0; j < n; j++) p->pos[j] = p->param[j] = j;
    p->m = n;
    return PB_OK;
}

int pb_pruner_advance(pb_pruner *p, size_t k)
{
    if (k > p->n_order) k = p->n_order;
    for (; p->k < k; p->k++) {
        size_t j = p->order[p->k];
        if (!p->compensate) { p->w[j] = 0; continue; }
        size_t z = p->pos[j];
        int st = pb_gauss_condition_zero(p->m, p->S, p->n, p->mu, z);
        if (st) return st;
        /* compact the maps like the matrix */
        memmove(p->param + z, p->param + z + 1, (p->m - z - 1) * sizeof *p->param);
        p->m--;
        p->pos[j] = SIZE_MAX;
        for (size_t i = z; i < p->m; i++) p->pos[p->param[i]] = i;
        p->w[j] = 0;
        for (size_t i = 0; i < p->m; i++) p->w[p->param[i]] = p->mu[i];
    }
    return PB_OK;
}

void pb_pruner_free(pb_pruner *p)
{
    free(p->w); free(p->S); free(p->mu); free(p->pos); free(p->param);
    memset(p, 0, sizeof *p);
}
