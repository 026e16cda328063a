/* p1.c -- see p1.h. */
#include "protocols/p1.h"
#include "base/util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

int pb_grid_parse(const char *spec, const char *what, double hi, double **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    size_t cap = 16, k = 0;
    double *v = pb_calloc(cap, sizeof *v);
    if (!v) return PB_ERR_NOMEM;
    const char *p = spec;
    while (*p) {
        double a, step = 0, b;
        char *end;
        a = strtod(p, &end);
        if (end == p) goto bad;
        b = a;
        if (*end == ':') {
            step = strtod(end + 1, &end);
            if (*end != ':') goto bad;
            b = strtod(end + 1, &end);
            if (!(step > 0)) goto bad;
        }
        if (!(a >= 0 && b <= hi && a <= b)) goto bad;
        if (step > 0 && !((b - a) / step <= 1e6)) goto bad; /* the count below must fit a size_t */
        size_t count = step > 0 ? (size_t)floor((b - a) / step + 1e-9) + 1 : 1;
        for (size_t i = 0; i < count; i++) {
            if (k == cap) {
                double *nv = realloc(v, 2 * cap * sizeof *nv);
                if (!nv) { free(v); return pb_error(PB_ERR_NOMEM, "out of memory"); }
                v = nv, cap *= 2;
            }
            /* a + i*step, rounded to 1e-12 so 0.15 prints as 0.15 */
            v[k++] = round((a + (double)i * step) * 1e12) / 1e12;
        }
        p = end;
        if (*p == ',') p++;
        else if (*p) goto bad;
    }
    if (k == 0) goto bad;
    *out = v;
    *n = pb_sort_unique(v, k);
    return PB_OK;
bad:
    free(v);
    return pb_error(PB_ERR_ARG, "%s '%s': expected values or ranges a:step:b in [0,%g], comma separated", what, spec, hi);
}

int pb_fractions_parse(const char *spec, double **out, size_t *n) { return pb_grid_parse(spec, "fractions", 1, out, n); }

const char *pb_quality_metric(const pb_cell *c) { return c->test.n_classes ? "accuracy" : "rmse"; }

void pb_score_outputs(const pb_cell *c, const double *out, double *quality, double *aux)
{
    const pb_data *t = &c->test;
    size_t C = c->net->out_dim;
    double q = 0, a = 0;
    for (size_t i = 0; i < t->n; i++) {
        const double *o = out + i * C;
        if (t->n_classes) {
            size_t best = 0, y = (size_t)t->y[i];
            for (size_t k = 1; k < C; k++) if (o[k] > o[best]) best = k;
            q += best == y;
            a += -log(o[y] > 1e-300 ? o[y] : 1e-300);
        } else {
            for (size_t k = 0; k < C; k++) {
                double r = (o[k] - t->y[i * C + k]) * c->scaling.y_sd[k];
                a += r * r;
            }
        }
    }
    if (t->n_classes) {
        *quality = q / (double)t->n;
        *aux = a / (double)t->n;
    } else {
        *aux = a / (double)(t->n * C);
        *quality = sqrt(*aux);
    }
}

int pb_evaluate(const pb_cell *c, const double *w, double *quality, double *aux)
{
    const pb_model *m = c->net;
    const pb_data *t = &c->test;
    size_t C = m->out_dim;
    double *out = pb_calloc(t->n * C, sizeof *out);
    pb_model_ws *ws = pb_model_ws_alloc(m, t->n < 512 ? t->n : 512);
    if (!out || !ws) { free(out); pb_model_ws_free(ws); return PB_ERR_NOMEM; }
    int st = pb_model_predict(m, ws, w, t->X, t->n, out);
    if (!st) pb_score_outputs(c, out, quality, aux);
    free(out);
    pb_model_ws_free(ws);
    return st;
}

int pb_p1_curve(const pb_cell *c, pb_pruner *pr, const double *fractions, size_t nf, FILE *out)
{
    size_t n_order = pr->n_order;
    int st = PB_OK;
    fprintf(out, "requested_fraction\tachieved_fraction\tn_removed\tquality\t%s\n",
            c->test.n_classes ? "test_nll" : "test_mse");
    for (size_t i = 0; i < nf && !st; i++) {
        size_t k = (size_t)llround(fractions[i] * (double)n_order);
        if (k > n_order) k = n_order;
        double q, aux;
        if ((st = pb_pruner_advance(pr, k))) break;
        st = pb_evaluate(c, pr->w, &q, &aux);
        if (!st && !isfinite(q))
            st = pb_error(PB_ERR_NUMERIC, "quality is %g at fraction %g", q, fractions[i]);
        if (!st)
            fprintf(out, "%.6g\t%.6g\t%zu\t%.10g\t%.10g\n", fractions[i],
                    n_order ? (double)k / (double)n_order : 0.0, k, q, aux);
    }
    return st;
}
