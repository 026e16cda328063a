/* p2.c -- see p2.h. */
#include "protocols/p2.h"
#include "protocols/p1.h"
#include "base/util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

uint64_t pb_p2_seed(const char *dataset, unsigned repeat)
{
    return pb_seed("p2", dataset, "", "", repeat, "input-noise");
}

int pb_levels_parse(const char *spec, double **out, size_t *n) { return pb_grid_parse(spec, "levels", 1000, out, n); }

void pb_p2_result_free(pb_p2_result *res)
{
    free(res->fraction); free(res->achieved); free(res->n_removed); free(res->level);
    free(res->output_noise); free(res->quality_mean); free(res->quality_sd);
    memset(res, 0, sizeof *res);
}

/* Quality of outputs o on the test set: accuracy, or RMSE in target units. */
static double quality(const pb_cell *c, const double *o)
{
    double q, aux;
    pb_score_outputs(c, o, &q, &aux);
    return q;
}

int pb_p2_run(const pb_cell *c, pb_pruner *pr, const double *fractions, size_t nf, const double *levels, size_t nl,
              size_t draws, uint64_t noise_seed, pb_p2_result *res)
{
    memset(res, 0, sizeof *res);
    const pb_model *m = c->net;
    const pb_data *t = &c->test;
    size_t n = t->n, d = t->d, C = m->out_dim, np = m->n_params, n_order = pr->n_order;
    if (d != m->in_dim)
        return pb_error(PB_ERR_ARG, "P2: model %s takes %zu inputs, the test set has %zu features", m->spec,
                        m->in_dim, d);
    if (t->vocab)
        return pb_error(PB_ERR_ARG, "P2: dataset %s holds token ids; input noise is defined on real-valued inputs only",
                        c->fit.dataset);
    if (n == 0 || nf == 0 || nl == 0) return pb_error(PB_ERR_ARG, "P2: no test points, fractions or levels");
    if (draws < 2) return pb_error(PB_ERR_ARG, "P2: %zu draws; the sample variance needs at least 2", draws);
    for (size_t li = 0; li < nl; li++)
        if (!(levels[li] >= 0 && isfinite(levels[li]))) return pb_error(PB_ERR_ARG, "P2: noise level %g", levels[li]);
    for (size_t fi = 0; fi < nf; fi++)
        if (!(fractions[fi] >= 0 && fractions[fi] <= 1) || (fi && fractions[fi] < fractions[fi - 1]))
            return pb_error(PB_ERR_ARG, "P2: fractions must be non-decreasing in [0,1] (%g)", fractions[fi]);
    if (!t->n_classes && (!c->scaling.y_sd || c->scaling.ydim != C))
        return pb_error(PB_ERR_ARG, "P2: regression cell without target scaling for %zu outputs", C);

    int st = PB_OK;
    size_t cells = nf * nl, acc_n = cells * n * C;
    res->nf = nf, res->nl = nl;
    res->fraction = pb_calloc(nf, sizeof *res->fraction);
    res->achieved = pb_calloc(nf, sizeof *res->achieved);
    res->n_removed = pb_calloc(nf, sizeof *res->n_removed);
    res->level = pb_calloc(nl, sizeof *res->level);
    res->output_noise = pb_calloc(cells, sizeof *res->output_noise);
    res->quality_mean = pb_calloc(cells, sizeof *res->quality_mean);
    res->quality_sd = pb_calloc(cells, sizeof *res->quality_sd);
    double *W = pb_calloc(nf * np, sizeof *W);          /* weights per fraction */
    double *mean = pb_calloc(acc_n, sizeof *mean);      /* Welford per (f, s, i, c) */
    double *m2 = pb_calloc(acc_n, sizeof *m2);
    double *qm2 = pb_calloc(cells, sizeof *qm2);        /* Welford of q_k per (f, s); mean in quality_mean */
    double *eps = pb_calloc(n * d, sizeof *eps), *xn = pb_calloc(n * d, sizeof *xn);
    double *out = pb_calloc(n * C, sizeof *out);
    pb_model_ws *ws = pb_model_ws_alloc(m, n < 512 ? n : 512);  /* the batch pb_evaluate uses */
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    if (!res->fraction || !res->achieved || !res->n_removed || !res->level || !res->output_noise ||
        !res->quality_mean || !res->quality_sd || !W || !mean || !m2 || !qm2 || !eps || !xn || !out || !ws || !rng) {
        st = pb_error(PB_ERR_NOMEM, "P2: out of memory (%zu accumulators)", 2 * acc_n);
        goto done;
    }
    memcpy(res->level, levels, nl * sizeof *levels);

    /* the pruned weights of every fraction, walking the order once */
    for (size_t fi = 0; fi < nf; fi++) {
        size_t k = (size_t)llround(fractions[fi] * (double)n_order);
        if (k > n_order) k = n_order;
        if (k < pr->k) {
            st = pb_error(PB_ERR_ARG, "P2: the pruner has already removed %zu > %zu parameters", pr->k, k);
            goto done;
        }
        if ((st = pb_pruner_advance(pr, k))) goto done;
        memcpy(W + fi * np, pr->w, np * sizeof *W);
        res->fraction[fi] = fractions[fi];
        res->n_removed[fi] = k;
        res->achieved[fi] = n_order ? (double)k / (double)n_order : 0.0;
    }

    pb_rng_seed(rng, noise_seed);
    for (size_t k = 0; k < draws; k++) {
        for (size_t e = 0; e < n * d; e++) eps[e] = gsl_ran_gaussian_ziggurat(rng, 1.0);
        double kk = (double)(k + 1);
        for (size_t li = 0; li < nl; li++) {
            double s = levels[li];
            for (size_t e = 0; e < n * d; e++) xn[e] = t->X[e] + s * eps[e];
            for (size_t fi = 0; fi < nf; fi++) {
                size_t cell = fi * nl + li;
                if ((st = pb_model_predict(m, ws, W + fi * np, xn, n, out))) goto done;
                double *mu = mean + cell * n * C, *sq = m2 + cell * n * C;
                for (size_t i = 0; i < n; i++)
                    for (size_t o = 0; o < C; o++) {
                        double v = out[i * C + o];
                        if (!t->n_classes) v *= c->scaling.y_sd[o];
                        double dv = v - mu[i * C + o];
                        mu[i * C + o] += dv / kk;
                        sq[i * C + o] += dv * (v - mu[i * C + o]);
                    }
                double q = quality(c, out);
                if (!isfinite(q)) {
                    st = pb_error(PB_ERR_NUMERIC, "P2: quality is %g at fraction %g, noise level %g, draw %zu", q,
                                  fractions[fi], s, k);
                    goto done;
                }
                double dq = q - res->quality_mean[cell];
                res->quality_mean[cell] += dq / kk;
                qm2[cell] += dq * (q - res->quality_mean[cell]);
            }
        }
    }
    for (size_t cell = 0; cell < cells; cell++) {
        const double *sq = m2 + cell * n * C;
        double v = 0;
        for (size_t e = 0; e < n * C; e++) v += sq[e];
        res->output_noise[cell] = sqrt(v / (double)(draws - 1) / (double)(n * C));
        res->quality_sd[cell] = sqrt(qm2[cell] / (double)(draws - 1));
        if (!isfinite(res->output_noise[cell])) {
            st = pb_error(PB_ERR_NUMERIC, "P2: output noise is %g at fraction %g, noise level %g",
                          res->output_noise[cell], fractions[cell / nl], levels[cell % nl]);
            goto done;
        }
    }
done:
    free(W); free(mean); free(m2); free(qm2); free(eps); free(xn); free(out);
    pb_model_ws_free(ws);
    if (rng) gsl_rng_free(rng);
    if (st) pb_p2_result_free(res);
    return st;
}

int pb_p2_noise(const pb_cell *c, pb_pruner *pr, const double *fractions, size_t nf, const double *levels, size_t nl,
                size_t draws, uint64_t noise_seed, FILE *out)
{
    pb_p2_result r;
    int st = pb_p2_run(c, pr, fractions, nf, levels, nl, draws, noise_seed, &r);
    if (st) return st;
    fprintf(out, "requested_fraction\tachieved_fraction\tnoise_level\toutput_noise\tquality_mean\tquality_sd\n");
    for (size_t fi = 0; fi < nf; fi++)
        for (size_t li = 0; li < nl; li++) {
            size_t cell = fi * nl + li;
            fprintf(out, "%.6g\t%.6g\t%.6g\t%.10g\t%.10g\t%.10g\n", r.fraction[fi], r.achieved[fi], r.level[li],
                    r.output_noise[cell], r.quality_mean[cell], r.quality_sd[cell]);
        }
    pb_p2_result_free(&r);
    return ferror(out) ? pb_error(PB_ERR_IO, "P2: write error") : PB_OK;
}
