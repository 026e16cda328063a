/* conformance.c -- the plugin conformance checks: see conformance.h. */
#define _DEFAULT_SOURCE
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "host/conformance.h"
#include "host/cell.h"
#include "host/host.h"
#include "host/isolate.h"
#include "models/model.h"
#include "train/train.h"
#include "base/util.h"

/* Record one check (its description printf-style); returns ok. */
static int check(pb_conformance *r, int ok, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int check(pb_conformance *r, int ok, const char *fmt, ...)
{
    r->failed |= !ok;
    if (r->n == PB_CONFORMANCE_MAX) return ok;
    pb_check *c = &r->check[r->n];
    c->ok = ok;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->what, sizeof c->what, fmt, ap);
    va_end(ap);
    r->n++;  /* counted once complete: a child that dies leaves whole checks only */
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
    pb_isolate_hook("kl");
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
    pb_isolate_hook("kl_weight");
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
        pb_host_set_fit(&ctx, fit);
        int rs = pb_plugin_rank(p, &host, &view, "", o1, s1, set1, sizeof set1);
        check(r, !rs, "ranks %zu %s: scores finite, order a permutation of the prunable set%s%s", np, what,
              rs ? ": " : "", rs ? pb_last_error() : "");
        pb_host_release(&ctx);
        if (rs) { pb_fit_view_free(&view); continue; }
        if ((st = pb_host_init_model(&host, &ctx, m, train, 2024))) { pb_fit_view_free(&view); break; }
        pb_host_set_fit(&ctx, fit);
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
            if (pb_plugin_create(p, &oh, given, &ostate)) {
                snprintf(failed_with, sizeof failed_with, "'%.200s': %.300s", given, pb_last_error());
            } else if (p->method.destroy) {
                pb_isolate_hook("destroy");
                p->method.destroy(ostate);
            }
            pb_host_release(&octx);
            tried++;
            c += cl + (c[cl] != '\0');
        } while (*c && !failed_with[0]);
    }
    check(r, !failed_with[0], "makes its state from the defaults of its %zu declared option(s) and from every enum choice "
          "(%zu settings)%s%s", p->n_options, tried, failed_with[0] ? "; failed with " : "", failed_with);
    return PB_OK;
}

/* ---- the stages that call the plugin, each in one child (isolate.h) ----
 * The checks live in a MAP_SHARED copy of the result, so what a child
 * checked before it died is kept; the host then adds the failure. */

typedef struct stage_ctx {
    pb_conformance *r;          /* shared */
    const pb_plugin *p;
    pb_model *m;
    const pb_data *train;
    pb_train_opts *to;
    pb_fit *fit;                /* the child's copy, trained there */
} stage_ctx;

static int stage_options(void *arg, void *io)
{
    (void)io;
    stage_ctx *c = arg;
    return check_option_choices(c->r, c->p, c->m, c->train);
}

/* The trained fit comes back as its header, then mean and sd (n each),
 * then group mean and sd (n_variable_groups each). */
static size_t fit_io_size(const pb_model *m)
{
    return sizeof(pb_fit) + (2 * m->n_params + 2 * m->n_variable_groups) * sizeof(double);
}

static int stage_training(void *arg, void *io)
{
    stage_ctx *c = arg;
    const pb_plugin *p = c->p;
    const pb_training *tr = p->method.training;
    void *tstate = NULL;
    pb_host thost;
    pb_host_ctx tctx;
    int st;
    if ((st = pb_host_init_model(&thost, &tctx, c->m, c->train, 2025))) return st;
    if ((st = pb_plugin_create(p, &thost, "", &tstate))) {
        pb_host_release(&tctx);
        return st;
    }
    check_training(c->r, tr, tstate);
    c->to->family = PB_FAMILY_METHOD, c->to->training = tr, c->to->training_state = tstate;
    pb_isolate_hook("training");
    st = pb_train_model(c->m, c->train, c->to, c->fit);
    check(c->r, !st, "trains its own network (mlp:4-5-3:tanh, 40 epochs)%s%s", st ? ": " : "", st ? pb_last_error() : "");
    pb_isolate_hook("destroy");
    if (p->method.destroy) p->method.destroy(tstate);
    pb_host_release(&tctx);
    if (st) return st;
    const pb_fit *f = c->fit;
    if (f->n != c->m->n_params || f->n_groups > c->m->n_variable_groups)
        return pb_error(PB_ERR_PLUGIN, "trained fit has %zu parameters and %zu groups, the model %zu and %zu", f->n,
                        f->n_groups, c->m->n_params, c->m->n_variable_groups);
    unsigned char *out = io;
    memcpy(out, f, sizeof *f);
    double *d = (double *)(out + sizeof *f);
    memcpy(d, f->mean, f->n * sizeof *d);
    memcpy(d + f->n, f->sd, f->n * sizeof *d);
    if (f->n_groups) {
        memcpy(d + 2 * f->n, f->group_mean, f->n_groups * sizeof *d);
        memcpy(d + 2 * f->n + f->n_groups, f->group_sd, f->n_groups * sizeof *d);
    }
    return PB_OK;
}

/* The fit a child trained, into the host's fit (allocated for n parameters). */
static int fit_from_io(const unsigned char *io, pb_fit *fit)
{
    pb_fit head;
    memcpy(&head, io, sizeof head);
    const double *d = (const double *)(io + sizeof head);
    double *mean = fit->mean, *sd = fit->sd;
    size_t n = fit->n;
    pb_fit_alloc_groups(fit, 0);
    free(fit->init);  /* in process the training's own; isolated NULL here (the child's stayed in the child) */
    *fit = head;
    fit->mean = mean, fit->sd = sd, fit->n = n;
    fit->group_mean = fit->group_sd = NULL, fit->n_groups = 0;
    fit->init = NULL;  /* the child's pointer: a method's own fit is scored without its initial weights */
    fit->model[sizeof fit->model - 1] = fit->dataset[sizeof fit->dataset - 1] = '\0';
    fit->family[sizeof fit->family - 1] = fit->settings[sizeof fit->settings - 1] = '\0';
    memcpy(fit->mean, d, n * sizeof *d);
    memcpy(fit->sd, d + n, n * sizeof *d);
    if (head.n_groups) {
        int st = pb_fit_alloc_groups(fit, head.n_groups);
        if (st) return st;
        memcpy(fit->group_mean, d + 2 * n, head.n_groups * sizeof *d);
        memcpy(fit->group_sd, d + 2 * n + head.n_groups, head.n_groups * sizeof *d);
    }
    return PB_OK;
}

/* Keep the shared result sane whatever a dead child left in it. */
static void settle(pb_conformance *r)
{
    if (r->n > PB_CONFORMANCE_MAX) r->n = PB_CONFORMANCE_MAX;
    for (size_t k = 0; k < r->n; k++) {
        r->check[k].what[sizeof r->check[k].what - 1] = '\0';
        if (!r->check[k].ok) r->failed = 1;
    }
}

static int conformance(const char *path, pb_conformance *r);

int pb_plugin_conformance(const char *path, pb_conformance *r)
{
    void (*progress)(const pb_check *, size_t, void *) = r->progress;
    void *progress_ctx = r->progress_ctx;
    pb_conformance *shared = mmap(NULL, sizeof *shared, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (shared == MAP_FAILED) return pb_error(PB_ERR_NOMEM, "check-plugin: cannot map the results");
    memset(shared, 0, sizeof *shared);
    shared->progress = progress, shared->progress_ctx = progress_ctx;
    int st = conformance(path, shared);
    settle(shared);
    *r = *shared;
    munmap(shared, sizeof *shared);
    return st;
}

static int conformance(const char *path, pb_conformance *r)
{
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
    unsigned char *io = NULL;
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
    pb_train_opts to;
    pb_train_opts_default(&to);
    to.epochs = 40, to.seed = 99, to.label = "check-plugin fit";
    stage_ctx sx = {r, &p, m, &train, &to, &fit};
    if (p.n_options && pb_isolate(p.name, "create", stage_options, &sx, NULL, 0)) {
        settle(r);
        check(r, 0, "makes its state from the defaults of its %zu declared option(s) and from every enum choice: %s",
              p.n_options, pb_last_error());
        goto done;  /* a plugin that did not return: no later check can pass it */
    }
    if ((st = pb_fit_alloc(&fit, m->n_params))) goto done;
    const pb_training *tr = p.method.training;
    if (tr) {
        /* a method that trains its own network: check its family, then train with it */
        size_t size = fit_io_size(m);
        if (!(io = pb_calloc(size, 1))) { st = PB_ERR_NOMEM; goto done; }
        int ts = pb_isolate(p.name, "create", stage_training, &sx, io, size);
        settle(r);
        if (ts) {
            /* the child recorded a training that failed; a child that died recorded nothing */
            if (!r->n || strncmp(r->check[r->n - 1].what, "trains its own network", 22))
                check(r, 0, "training facet checks and training (mlp:4-5-3:tanh, 40 epochs): %s", pb_last_error());
            goto done;
        }
        if ((st = fit_from_io(io, &fit))) goto done;
    } else {
        st = pb_train_model(m, &train, &to, &fit);
    }
    if (!st) st = check_ranking(r, &p, m, &train, &fit, tr != NULL);
    if (!st) r->complete = 1;
done:
    free(io);
    pb_fit_free(&fit);
    pb_model_free(m);
    pb_data_free(&all), pb_data_free(&train), pb_data_free(&test);
    pb_scaling_free(&sc);
    pb_plugin_close(&p);
    return st;
}
