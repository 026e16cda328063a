/* conformance.c -- the plugin conformance checks: see conformance.h. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "host/conformance.h"
#include "host/cell.h"
#include "host/host.h"
#include "models/model.h"
#include "train/train.h"
#include "base/util.h"

/* Record one check (its description printf-style); returns ok. */
static int check(pb_conformance *r, int ok, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int check(pb_conformance *r, int ok, const char *fmt, ...)
{
    r->failed |= !ok;
    if (r->n == PB_CONFORMANCE_MAX) return ok;
    pb_check *c = &r->check[r->n++];
    c->ok = ok;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->what, sizeof c->what, fmt, ap);
    va_end(ap);
    if (r->progress) r->progress(c, r->n, r->progress_ctx);
    return ok;
}

/* The training facet of a method that trains its own network: KL and its
 * gradients against central differences, the KL weight's range. */
static void check_training(pb_conformance *r, const pb_training *tr, void *tstate)
{
    /* KL and its gradients at a few points (theta, log sigma^2) against central differences */
    enum { K = 6 };
    double th[K] = {-1.3, -0.2, 0.05, 0.4, 0.9, 2.0}, ls[K] = {-6, -3, -5, -1, -2.5, -4};
    double dth[K], dls[K], a[K], b[K], da[K], db[K];
    double kl = tr->kl(tstate, K, th, ls, dth, dls);
    int finite = isfinite(kl);
    for (int j = 0; j < K; j++) finite = finite && isfinite(dth[j]) && isfinite(dls[j]);
    check(r, finite, "training facet: KL and its gradients are finite (KL = %g at 6 test points)", kl);
    double worst = 0, h = 1e-6;
    for (int j = 0; j < K && finite; j++)
        for (int which = 0; which < 2; which++) {
            memcpy(a, th, sizeof a), memcpy(b, ls, sizeof b);
            double *x = which ? b : a, saved = x[j];
            x[j] = saved + h;
            double kp = tr->kl(tstate, K, a, b, da, db);
            x[j] = saved - h;
            double km = tr->kl(tstate, K, a, b, da, db);
            double fd = (kp - km) / (2 * h), an = which ? dls[j] : dth[j];
            double err = fabs(fd - an) / (1 + fabs(fd));
            if (err > worst) worst = err;
        }
    check(r, finite && worst < 1e-5, "training facet: KL gradients match central differences (worst relative error %.2g)",
          worst);
    int weights_ok = 1;
    for (int i = 0; i <= 20 && tr->kl_weight; i++) {
        double wgt = tr->kl_weight(tstate, i / 20.0 * 0.999);
        weights_ok = weights_ok && wgt >= 0 && wgt <= 1 && isfinite(wgt);
    }
    static const double lengths[] = {1, 25, 200, 1000};
    for (int k = 0; k < 4 && tr->kl_weight_epochs; k++)
        for (int i = 0; i <= 20; i++) {
            double wgt = tr->kl_weight_epochs(tstate, i / 20.0 * 0.999 * lengths[k], lengths[k]);
            weights_ok = weights_ok && wgt >= 0 && wgt <= 1 && isfinite(wgt);
        }
    check(r, weights_ok, "training facet: KL weight in [0, 1] over training");
}

/* Rank the prunable set (weights, then weights and biases unless the fit is
 * the method's own) twice with the same seed. */
static int check_ranking(pb_conformance *r, const pb_plugin *p, const pb_model *m, const pb_data *train,
                         const pb_fit *fit, int own_family)
{
    size_t n = m->n_params;
    unsigned char *mask = pb_calloc(n, 1);
    size_t *o1 = pb_calloc(n, sizeof *o1), *o2 = pb_calloc(n, sizeof *o2);
    double *s1 = pb_calloc(n, sizeof *s1), *s2 = pb_calloc(n, sizeof *s2);
    int st = !mask || !o1 || !o2 || !s1 || !s2 ? PB_ERR_NOMEM : PB_OK;
    /* a method's own family trains the weights only (biases are point estimates): weights only then */
    for (int biases = 0; !st && biases <= (own_family ? 0 : 1); biases++) {
        size_t np = pb_model_prunable(m, biases, mask);
        pb_fit_view view;
        if ((st = pb_fit_view_of(fit, m, mask, np, &view))) break;
        pb_host host;
        pb_host_ctx ctx;
        char set1[512], set2[512];
        const char *what = biases ? "weights and biases" : "weights";
        if ((st = pb_host_init_model(&host, &ctx, m, train, 2024))) { pb_fit_view_free(&view); break; }
        int rs = pb_plugin_rank(p, &host, &view, "", o1, s1, set1, sizeof set1);
        check(r, !rs, "ranks %zu %s: scores finite, order a permutation of the prunable set%s%s", np, what,
              rs ? ": " : "", rs ? pb_last_error() : "");
        pb_host_release(&ctx);
        if (rs) { pb_fit_view_free(&view); continue; }
        if ((st = pb_host_init_model(&host, &ctx, m, train, 2024))) { pb_fit_view_free(&view); break; }
        rs = pb_plugin_rank(p, &host, &view, "", o2, s2, set2, sizeof set2);
        pb_host_release(&ctx);
        int same = !rs && !memcmp(o1, o2, np * sizeof *o1) && !strcmp(set1, set2);
        for (size_t j = 0; same && j < n; j++)
            if (!(s1[j] == s2[j] || (isnan(s1[j]) && isnan(s2[j])))) same = 0;
        check(r, same, "two runs with the same seed give identical orders and scores (%s)", what);
        pb_fit_view_free(&view);
    }
    free(mask), free(o1), free(o2), free(s1), free(s2);
    return st;
}

/* Declared options (ABI 1.5): the plugin makes its state from the defaults
 * ("") and from every choice of every enum option. Returns a host failure's
 * status; a plugin that refuses a setting fails the check, not the call. */
static int check_option_choices(pb_conformance *r, const pb_plugin *p, const pb_model *m, const pb_data *train)
{
    size_t tried = 0;
    char failed_with[512] = "";
    for (size_t k = 0; k <= p->n_options && !failed_with[0]; k++) {
        const pb_option *decl = k ? &p->method.options[k - 1] : NULL;
        if (decl && decl->type != PB_OPTION_ENUM) continue;
        const char *c = decl ? decl->choices : "";
        do {
            size_t cl = strcspn(c, "|");
            char given[256] = "";
            if (decl) snprintf(given, sizeof given, "%s=%.*s", decl->name, (int)cl, c);
            pb_host oh;
            pb_host_ctx octx;
            void *ostate = NULL;
            int st = pb_host_init_model(&oh, &octx, m, train, 2023);
            if (st) return st;
            if (pb_plugin_create(p, &oh, given, &ostate))
                snprintf(failed_with, sizeof failed_with, "'%.200s': %.300s", given, pb_last_error());
            else if (p->method.destroy)
                p->method.destroy(ostate);
            pb_host_release(&octx);
            tried++;
            c += cl + (c[cl] != '\0');
        } while (*c && !failed_with[0]);
    }
    check(r, !failed_with[0], "makes its state from the defaults of its %zu declared option(s) and from every enum choice "
          "(%zu settings)%s%s", p->n_options, tried, failed_with[0] ? "; failed with " : "", failed_with);
    return PB_OK;
}

int pb_plugin_conformance(const char *path, pb_conformance *r)
{
    void (*progress)(const pb_check *, size_t, void *) = r->progress;
    void *progress_ctx = r->progress_ctx;
    memset(r, 0, sizeof *r);
    r->progress = progress, r->progress_ctx = progress_ctx;
    pb_plugin p;
    int st = pb_plugin_open(path, &p);
    check(r, !st, "loads and passes descriptor validation%s%s", st ? ": " : "", st ? pb_last_error() : "");
    if (st) return PB_OK;
    snprintf(r->name, sizeof r->name, "%s", p.name);
    r->abi_major = p.method.abi_major, r->abi_minor = p.method.abi_minor;
    pb_data all = {0}, train = {0}, test = {0};
    pb_scaling sc = {0};
    pb_model *m = NULL;
    pb_fit fit = {0};
    /* data: three Gaussian blobs in 4-D */
    if ((st = pb_data_alloc(&all, "check", 90, 4, 1, 3))) goto done;
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    if (!rng) { st = PB_ERR_NOMEM; goto done; }
    gsl_rng_set(rng, 12345);
    for (size_t i = 0; i < all.n; i++) {
        int c = (int)(i % 3);
        all.y[i] = c;
        for (size_t j = 0; j < 4; j++) all.X[i * 4 + j] = (j == (size_t)c ? 2.0 : 0.0) + gsl_ran_gaussian(rng, 1.0);
    }
    gsl_rng_free(rng);
    if ((st = pb_cell_prepare_data(&all, 0.2, 7, 1, &train, &test, &sc))) goto done;
    if ((st = pb_model_parse("mlp:4-5-3:tanh", &m))) goto done;
    if (p.n_options && (st = check_option_choices(r, &p, m, &train))) goto done;
    if ((st = pb_fit_alloc(&fit, m->n_params))) goto done;
    pb_train_opts to;
    pb_train_opts_default(&to);
    to.epochs = 40, to.seed = 99, to.label = "check-plugin fit";
    const pb_training *tr = p.method.training;
    if (tr) {
        /* a method that trains its own network: check its family, then train with it */
        void *tstate = NULL;
        pb_host thost;
        pb_host_ctx tctx;
        if ((st = pb_host_init_model(&thost, &tctx, m, &train, 2025))) goto done;
        if ((st = pb_plugin_create(&p, &thost, "", &tstate))) {
            pb_host_release(&tctx);
            goto done;
        }
        check_training(r, tr, tstate);
        to.family = PB_FAMILY_METHOD, to.training = tr, to.training_state = tstate;
        st = pb_train_model(m, &train, &to, &fit);
        check(r, !st, "trains its own network (mlp:4-5-3:tanh, 40 epochs)%s%s", st ? ": " : "", st ? pb_last_error() : "");
        if (p.method.destroy) p.method.destroy(tstate);
        pb_host_release(&tctx);
    } else {
        st = pb_train_model(m, &train, &to, &fit);
    }
    if (!st) st = check_ranking(r, &p, m, &train, &fit, tr != NULL);
    if (!st) r->complete = 1;
done:
    pb_fit_free(&fit);
    pb_model_free(m);
    pb_data_free(&all), pb_data_free(&train), pb_data_free(&test);
    pb_scaling_free(&sc);
    pb_plugin_close(&p);
    return st;
}
