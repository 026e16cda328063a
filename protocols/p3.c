/* p3.c -- see p3.h. */
#include "protocols/metrics.h"
#include "protocols/p3.h"
#include "protocols/p1.h"
#include "base/util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

static int push(double **v, size_t *k, size_t *cap, double x)
{
    if (*k == *cap) {
        double *nv = realloc(*v, 2 * *cap * sizeof *nv);
        if (!nv) return pb_error(PB_ERR_NOMEM, "out of memory");
        *v = nv, *cap *= 2;
    }
    (*v)[(*k)++] = x;
    return PB_OK;
}

int pb_lambda_grid_parse(const char *spec, double **out, size_t *n)
{
    *out = NULL, *n = 0;
    size_t cap = 32, k = 0;
    double *v = pb_calloc(cap, sizeof *v);
    if (!v) return PB_ERR_NOMEM;
    const char *p = spec;
    while (*p) {
        char *end;
        double a = strtod(p, &end);
        if (end == p || !(a >= 0) || !isfinite(a)) goto bad;
        if (!strncmp(end, "..", 2)) {
            double b = strtod(end + 2, &end);
            if (*end != '/') goto bad;
            char *e2;
            long per = strtol(end + 1, &e2, 10);
            end = e2;
            if (!(a > 0 && b >= a && isfinite(b)) || per < 1 || per > 1000) goto bad;
            double span = (double)per * log10(b / a);
            if (!(span <= 1e5)) goto bad;
            size_t count = (size_t)floor(span + 1e-9) + 1;
            for (size_t i = 0; i < count; i++) {
                /* rounded to 12 significant digits so 1e-3 * 10^(4/4) prints as 0.01 */
                double x = a * pow(10.0, (double)i / (double)per);
                char buf[32];
                snprintf(buf, sizeof buf, "%.12g", x);
                if (push(&v, &k, &cap, strtod(buf, NULL))) { free(v); return PB_ERR_NOMEM; }
            }
        } else if (push(&v, &k, &cap, a)) {
            free(v);
            return PB_ERR_NOMEM;
        }
        p = end;
        if (*p == ',') p++;
        else if (*p) goto bad;
    }
    if (k == 0) goto bad;
    *out = v, *n = pb_sort_unique(v, k);
    return PB_OK;
bad:
    free(v);
    return pb_error(PB_ERR_ARG, "lambdas '%s': expected values >= 0 and log ranges A..B/K (0 < A <= B, K points per "
                                "decade), comma separated", spec);
}

enum { CHUNK = 256 };

/* Summed -log p(y|x,w) over the training split at noise precision 1. */
static int train_loss(const pb_cell *c, pb_model_ws *ws, const double *w, double *loss)
{
    const pb_data *t = &c->train;
    double sum = 0;
    for (size_t i = 0; i < t->n; i += CHUNK) {
        size_t b = t->n - i < CHUNK ? t->n - i : CHUNK;
        double l = 0;
        int st = pb_model_loss_grad(c->net, ws, w, t->X + i * t->d, t->y + i * t->ydim, b, NULL, NULL, &l, NULL);
        if (st) return st;
        sum += l;
    }
    *loss = sum;
    return PB_OK;
}

/* (1/S) sum_k -log p(D | w_k), w_k on the kept set (p3.h), eps restarted
 * from the seed. */
static int expected_nll(const pb_cell *c, const pb_p3_opts *o, const unsigned char *kept, gsl_rng *rng,
                        pb_model_ws *ws, double *w, double *out)
{
    const pb_fit *f = &c->fit;
    int mse = c->net->head == PB_HEAD_MSE;
    double beta = mse && f->noise_precision > 0 ? f->noise_precision : 1.0, N = (double)c->train.n, sum = 0;
    pb_rng_seed(rng, o->seed);
    for (size_t k = 0; k < o->samples; k++) {
        for (size_t j = 0; j < f->n; j++) {
            double e = gsl_ran_gaussian_ziggurat(rng, 1.0);
            w[j] = kept[j] ? f->mean[j] + f->sd[j] * e : 0.0;
        }
        double loss;
        int st = train_loss(c, ws, w, &loss);
        if (st) return st;
        sum += mse ? beta * loss - 0.5 * N * log(beta) : loss;
    }
    *out = sum / (double)o->samples;
    return PB_OK;
}

/* Test quality at the pruned mean w, and the macro F1 (classification). */
static int test_quality(const pb_cell *c, pb_model_ws *ws, const double *w, double *out, pb_p3_row *r)
{
    const pb_data *t = &c->test;
    size_t C = c->net->out_dim;
    for (size_t i = 0; i < t->n; i += CHUNK) {
        size_t b = t->n - i < CHUNK ? t->n - i : CHUNK;
        int st = pb_model_predict(c->net, ws, w, t->X + i * t->d, b, out + i * C);
        if (st) return st;
    }
    pb_score_outputs(c, out, &r->quality, &r->aux);
    r->macro_f1 = NAN;
    if (!t->n_classes) return PB_OK;
    size_t *conf = pb_calloc(C * C, sizeof *conf);
    if (!conf) return PB_ERR_NOMEM;
    for (size_t i = 0; i < t->n; i++) {
        const double *oi = out + i * C;
        size_t best = 0, y = (size_t)t->y[i];
        for (size_t k = 1; k < C; k++) if (oi[k] > oi[best]) best = k;
        if (y < C) conf[y * C + best]++;
    }
    r->macro_f1 = pb_macro_f1_of(conf, (int)C);
    free(conf);
    return PB_OK;
}

int pb_test_macro_f1(const pb_cell *c, const double *w, double *f1)
{
    *f1 = NAN;
    if (!c->test.n_classes) return PB_OK;
    pb_model_ws *ws = pb_model_ws_alloc(c->net, CHUNK);
    double *out = pb_calloc(c->test.n * c->net->out_dim, sizeof *out);
    pb_p3_row r;
    int st = ws && out ? test_quality(c, ws, w, out, &r) : PB_ERR_NOMEM;
    if (!st) *f1 = r.macro_f1;
    free(out);
    pb_model_ws_free(ws);
    return st;
}

int pb_p3_sweep(const pb_cell *c, const pb_p3_opts *o, const double *lambdas, size_t nl, pb_p3_row *rows)
{
    const pb_fit *f = &c->fit;
    size_t n = f->n, n_prunable = 0;
    if (!o->samples) return pb_error(PB_ERR_ARG, "P3: at least one Monte Carlo sample");
    if (!(f->prior_sd > 0))
        return pb_error(PB_ERR_ARG, "P3 needs the Gaussian prior of a gauss-diag or gauss-scalar fit; %s fit has prior "
                                    "sd %g", f->family, f->prior_sd);
    for (size_t j = 0; j < n; j++) {
        if (o->mask && !o->mask[j]) continue;
        n_prunable++;
        if (!(f->sd[j] > 0))
            return pb_error(PB_ERR_ARG, "P3 needs positive posterior sds (a gauss-diag or gauss-scalar fit); the %s fit "
                                        "has sd %g at parameter %zu", f->family, f->sd[j], j);
    }
    for (size_t j = 0; j < n; j++)
        if (!(f->sd[j] > 0))
            return pb_error(PB_ERR_ARG, "P3: the KL term needs positive posterior sds; parameter %zu has sd %g", j, f->sd[j]);
    unsigned char *kept = pb_calloc(n, 1);
    double *w = pb_calloc(n, sizeof *w), *out = pb_calloc(c->test.n * c->net->out_dim + 1, sizeof *out);
    double *ratio = pb_calloc(n, sizeof *ratio);
    pb_model_ws *ws = pb_model_ws_alloc(c->net, CHUNK);
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    int st = PB_OK;
    if (!kept || !w || !out || !ratio || !ws || !rng) {
        st = pb_error(PB_ERR_NOMEM, "P3: out of memory");
        goto done;
    }
    /* the loss at noise precision 1; beta enters in expected_nll */
    pb_model_set_noise_precision(c->net, 1.0);
    for (size_t j = 0; j < n; j++) ratio[j] = fabs(f->mean[j] / f->sd[j]);
    double mu = f->prior_mean, sp = f->prior_sd, sp2 = sp * sp;
    size_t prev_kept = (size_t)-1;
    double prev_enll = NAN;
    for (size_t i = 0; i < nl && !st; i++) {
        pb_p3_row *r = &rows[i];
        memset(r, 0, sizeof *r);
        r->lambda = lambdas[i];
        r->n_prunable = n_prunable;
        double kl = 0;
        size_t nk = 0;
        for (size_t j = 0; j < n; j++) {
            int prunable = !o->mask || o->mask[j];
            kept[j] = !(prunable && ratio[j] < lambdas[i]);
            nk += prunable && kept[j];
            w[j] = kept[j] ? f->mean[j] : 0.0;
            if (kept[j]) {
                double dev = f->mean[j] - mu, s2 = f->sd[j] * f->sd[j];
                kl += log(sp / f->sd[j]) + (s2 + dev * dev) / (2 * sp2) - 0.5;
            }
        }
        r->n_kept = nk;
        r->kept_fraction = n_prunable ? (double)nk / (double)n_prunable : 1.0;
        r->kl = kl;
        if ((st = test_quality(c, ws, w, out, r))) break;
        if (nk == prev_kept) r->expected_nll = prev_enll;  /* nested sets: the same set */
        else if ((st = expected_nll(c, o, kept, rng, ws, w, &r->expected_nll))) break;
        prev_kept = nk, prev_enll = r->expected_nll;
        r->bound = r->expected_nll + r->kl;
        if (!isfinite(r->bound) || !isfinite(r->quality))
            st = pb_error(PB_ERR_NUMERIC, "P3: non-finite bound %g or quality %g at lambda %g", r->bound, r->quality,
                          r->lambda);
    }
done:
    if (c->net) pb_model_set_noise_precision(c->net, f->noise_precision > 0 ? f->noise_precision : 1.0);
    free(kept), free(w), free(out), free(ratio);
    pb_model_ws_free(ws);
    if (rng) gsl_rng_free(rng);
    return st;
}

void pb_p3_write(FILE *f, const pb_p3_row *rows, size_t nl)
{
    fprintf(f, "lambda\tn_kept\tn_prunable\tkept_fraction\tquality\ttest_aux\tmacro_f1\tbound\texpected_nll\tkl\n");
    for (size_t i = 0; i < nl; i++) {
        const pb_p3_row *r = &rows[i];
        fprintf(f, "%.12g\t%zu\t%zu\t%.10g\t%.10g\t%.10g\t%.10g\t%.10g\t%.10g\t%.10g\n", r->lambda, r->n_kept,
                r->n_prunable, r->kept_fraction, r->quality, r->aux, r->macro_f1, r->bound, r->expected_nll, r->kl);
    }
}
