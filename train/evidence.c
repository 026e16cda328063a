/* evidence.c -- the generalized evidence of seed 003 eq. 3 (train.h
 * pb_train_evidence):
 *   Lgen(lambda) = E_q log p(D | w) - lambda KL(q || p),
 *   q = N(mean, diag sd^2), p = N(prior_mean 1, prior_sd^2 I),
 * with E_q by S Monte-Carlo draws w_s = mean + sd .* eps_s of all n
 * parameters (biases too), each evaluated on every sample of D:
 *   E_q log p(D | w) ~ -(1/S) sum_s sum_i l_i(w_s),
 * l_i the model's loss of sample i at noise precision 1 (the negative
 * log-likelihood of a softmax head). KL in closed form (pb_kl_gauss_diag). */
#include "train/train.h"
#include "base/util.h"

#include <math.h>
#include <stdlib.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

enum { CHUNK = 1000 };  /* samples per model call */

int pb_train_evidence(const pb_model *m, const pb_data *data, const double *mean, const double *sd, double prior_mean,
                      double prior_sd, double lambda, size_t S, uint64_t seed, double *lgen, double *elogl, double *kl)
{
    size_t n = m->n_params, N = data->n, C = N < CHUNK ? N : CHUNK;
    if (!S || !N) return pb_error(PB_ERR_ARG, "evidence: needs at least one sample and one datum");
    if (!(prior_sd > 0)) return pb_error(PB_ERR_ARG, "evidence: the fit has no Gaussian prior (prior sd %g)", prior_sd);
    for (size_t j = 0; j < n; j++)
        if (!(sd[j] > 0)) return pb_error(PB_ERR_ARG, "evidence: posterior sd %zu is %g (a Gaussian fit is needed)", j, sd[j]);
    double *w = pb_calloc(n, sizeof *w);
    pb_model_ws *ws = pb_model_ws_alloc(m, C);
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    int st = !w || !ws || !rng ? pb_error(PB_ERR_NOMEM, "evidence: out of memory") : PB_OK;
    double total = 0;
    if (!st) pb_rng_seed(rng, seed);
    for (size_t s = 0; !st && s < S; s++) {
        for (size_t j = 0; j < n; j++) w[j] = mean[j] + sd[j] * gsl_ran_gaussian_ziggurat(rng, 1.0);
        for (size_t i = 0; !st && i < N; i += C) {
            size_t b = N - i < C ? N - i : C;
            double loss = 0;
            st = pb_model_loss_grad(m, ws, w, data->X + i * data->d, data->y + i * data->ydim, b, NULL, NULL, &loss,
                                    NULL);
            total += loss;
        }
    }
    if (!st) {
        double e = -total / (double)S, k = pb_kl_gauss_diag(n, mean, sd, prior_mean, prior_sd, NULL, NULL);
        if (lgen) *lgen = e - lambda * k;
        if (elogl) *elogl = e;
        if (kl) *kl = k;
        if (!isfinite(e - lambda * k)) st = pb_error(PB_ERR_NUMERIC, "evidence: not finite (E log p %g, KL %g)", e, k);
    }
    free(w);
    pb_model_ws_free(ws);
    gsl_rng_free(rng);
    return st;
}
