/* host.c -- see host.h. */
#define _POSIX_C_SOURCE 200809L
#include "host/host.h"
#include "host/isolate.h"
#include "base/linalg.h"
#include "posterior/posterior.h"
#include "base/sha256.h"
#include "base/util.h"

#include <dlfcn.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

/* ---- services ---- */

static void svc_log(void *ctx, const char *fmt, ...)
{
    pb_host_ctx *c = ctx;
    va_list ap;
    fprintf(stderr, "%s: ", c->plugin_name ? c->plugin_name : "plugin");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

static void svc_fail(void *ctx, const char *fmt, ...)
{
    pb_host_ctx *c = ctx;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->fail_msg, sizeof c->fail_msg, fmt, ap);
    va_end(ap);
}

static double svc_uniform(void *ctx) { return gsl_rng_uniform(((pb_host_ctx *)ctx)->rng); }
static double svc_gaussian(void *ctx) { return gsl_ran_gaussian_ziggurat(((pb_host_ctx *)ctx)->rng, 1.0); }

static int svc_loss_grad(void *ctx, const double *w, double *loss, double *grad)
{
    pb_host_ctx *c = ctx;
    return pb_model_loss_grad(c->net, c->net_ws, w, c->train->X, c->train->y, c->train->n, NULL, NULL, loss, grad);
}

/* Hessian and posterior services need the model's curvature capability. */
static int need_curvature(pb_host_ctx *c, const char *service)
{
    if (pb_model_has(c->net, PB_CAP_CURVATURE)) return 0;
    pb_model_require(c->net, PB_CAP_CURVATURE, service);
    snprintf(c->fail_msg, sizeof c->fail_msg, "%s", pb_last_error());
    return 1;
}

static int svc_hessian_diag(void *ctx, const double *w, pb_hessian_kind kind, double *diag)
{
    pb_host_ctx *c = ctx;
    if (need_curvature(c, "hessian_diag")) return PB_ERR_ARG;
    return pb_model_hessian_diag(c->net, c->net_ws, w, c->train->X, c->train->y, c->train->n, kind == PB_HESSIAN_EXACT,
                                 diag);
}

static int svc_hessian_vec(void *ctx, const double *w, const double *v, pb_hessian_kind kind, double *out)
{
    pb_host_ctx *c = ctx;
    if (need_curvature(c, "hessian_vec")) return PB_ERR_ARG;
    return pb_model_hessian_vec(c->net, c->net_ws, w, c->train->X, c->train->y, c->train->n, v,
                                kind == PB_HESSIAN_EXACT, out);
}

static int svc_posterior_matrix(void *ctx, const pb_fit_view *fit, const char *estimator, pb_posterior_what what,
                                double *out, char *info, size_t info_len)
{
    pb_host_ctx *c = ctx;
    if (need_curvature(c, "posterior_matrix")) return PB_ERR_ARG;
    const pb_model *m = c->net;
    size_t n = m->n_params, np = fit->n_prunable;
    pb_estimator e;
    char line[256];
    double *S = NULL;
    int st = pb_estimator_parse(estimator ? estimator : "laplace", &e);
    if (!st && fit->n_params != n)
        st = pb_error(PB_ERR_ARG, "fit view has %zu parameters, the model %zu", fit->n_params, n);
    if (!st && !(S = pb_calloc(n * n, sizeof *S))) st = PB_ERR_NOMEM;
    if (!st) {
        uint64_t seed = gsl_rng_get(c->rng);
        st = pb_posterior_covariance(m, c->train, fit->mean, fit->prior_mean, fit->prior_sd, e, seed, S, line,
                                     sizeof line);
    }
    if (!st) {
        /* marginal of the prunable set: the sub-block of the covariance */
        size_t r = 0;
        for (size_t i = 0; i < n; i++) {
            if (!fit->prunable[i]) continue;
            size_t col = 0;
            for (size_t j = 0; j < n; j++)
                if (fit->prunable[j]) out[r * np + col++] = S[i * n + j];
            r++;
        }
        if (what == PB_POSTERIOR_PRECISION) st = pb_spd_inverse(np, out, np);
    }
    if (!st && info && info_len) snprintf(info, info_len, "%s", line);
    if (st) snprintf(c->fail_msg, sizeof c->fail_msg, "posterior_matrix: %s", pb_last_error());
    free(S);
    return st;
}

static int svc_eigen_sym(void *ctx, size_t m, double *A, size_t lda, size_t il, size_t iu, double *w, double *Z,
                         size_t ldz)
{
    pb_host_ctx *c = ctx;
    int st = pb_eigen_sym(m, A, lda, il, iu, w, Z, ldz);
    if (st) snprintf(c->fail_msg, sizeof c->fail_msg, "eigen_sym: %s", pb_last_error());
    return st;
}

/* ---- ABI 1.6: services for methods that score at or near initialization ---- */

static int svc_initial_weights(void *ctx, double *w)
{
    pb_host_ctx *c = ctx;
    if (!c->init) {
        snprintf(c->fail_msg, sizeof c->fail_msg, "initial_weights: this fit does not store its initial weights (a fit "
                 "written before fit format 4: train it again)");
        return PB_ERR_ARG;
    }
    memcpy(w, c->init, c->net->n_params * sizeof *w);
    return PB_OK;
}

/* The minibatch of `batch` training samples for `seed`: an mt19937 stream
 * seeded with seed (pb_rng_seed) picks them by a partial Fisher-Yates
 * shuffle of 0..N-1 (position i swaps with i + uniform_int(N - i), for
 * i < batch); batch >= N: all N in order. X and y (batch rows) are
 * allocated here; *B gets the size. */
static int minibatch(pb_host_ctx *c, size_t batch, uint64_t seed, double **X, double **y, size_t *B)
{
    const pb_data *t = c->train;
    size_t N = t->n, b = batch < N ? batch : N;
    *X = *y = NULL;
    *B = b;
    if (!b) return pb_error(PB_ERR_ARG, "a minibatch of 0 samples");
    size_t *idx = pb_calloc(N, sizeof *idx);
    *X = pb_calloc(b * t->d, sizeof **X);
    *y = pb_calloc(b * t->ydim, sizeof **y);
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    int st = idx && *X && *y && r ? PB_OK : PB_ERR_NOMEM;
    if (!st) {
        for (size_t i = 0; i < N; i++) idx[i] = i;
        if (b < N) {
            pb_rng_seed(r, seed);
            for (size_t i = 0; i < b; i++) {
                size_t j = i + (size_t)gsl_rng_uniform_int(r, (unsigned long)(N - i));
                size_t tmp = idx[i];
                idx[i] = idx[j], idx[j] = tmp;
            }
        }
        for (size_t i = 0; i < b; i++) {
            memcpy(*X + i * t->d, t->X + idx[i] * t->d, t->d * sizeof **X);
            memcpy(*y + i * t->ydim, t->y + idx[i] * t->ydim, t->ydim * sizeof **y);
        }
    }
    gsl_rng_free(r);
    free(idx);
    if (st) {
        free(*X), free(*y);
        *X = *y = NULL;
    }
    return st;
}

static int svc_minibatch_loss_grad(void *ctx, const double *w, size_t batch, uint64_t seed, double *loss, double *grad)
{
    pb_host_ctx *c = ctx;
    double *X, *y;
    size_t B;
    int st = minibatch(c, batch, seed, &X, &y, &B);
    if (!st) st = pb_model_loss_grad(c->net, c->net_ws, w, X, y, B, NULL, NULL, loss, grad);
    if (st) snprintf(c->fail_msg, sizeof c->fail_msg, "minibatch_loss_grad: %s", pb_last_error());
    free(X), free(y);
    return st;
}

static int svc_minibatch_hessian_vec(void *ctx, const double *w, const double *v, pb_hessian_kind kind, size_t batch,
                                     uint64_t seed, double *out)
{
    pb_host_ctx *c = ctx;
    if (need_curvature(c, "minibatch_hessian_vec")) return PB_ERR_ARG;
    double *X, *y;
    size_t B;
    int st = minibatch(c, batch, seed, &X, &y, &B);
    if (!st) st = pb_model_hessian_vec(c->net, c->net_ws, w, X, y, B, v, kind == PB_HESSIAN_EXACT, out);
    if (st) snprintf(c->fail_msg, sizeof c->fail_msg, "minibatch_hessian_vec: %s", pb_last_error());
    free(X), free(y);
    return st;
}

/* The model's dense layers (PB_CAP_CSR), or NULL with the reason in fail_msg. */
static const pb_mlp *need_dense(pb_host_ctx *c, const char *service)
{
    const pb_mlp *d = pb_model_dense_layers(c->net);
    if (!d) snprintf(c->fail_msg, sizeof c->fail_msg, "%s: model %s is not a stack of dense layers", service,
                     c->net->spec);
    return d;
}

static const char *act_name(pb_act a) { return a == PB_ACT_TANH ? "tanh" : a == PB_ACT_RELU ? "relu" : "identity"; }

static int svc_dense_layers(void *ctx, pb_layer *layers, size_t max, size_t *n_layers)
{
    pb_host_ctx *c = ctx;
    const pb_mlp *d = need_dense(c, "dense_layers");
    if (!d) return PB_ERR_ARG;
    *n_layers = d->n_layers;
    for (size_t l = 0, unit = 0; l < d->n_layers && l < max && layers; l++) {
        layers[l] = (pb_layer){.in = d->dims[l], .out = d->dims[l + 1], .weight = d->w_off[l], .bias = d->b_off[l],
                               .unit = unit, .activation = l + 1 == d->n_layers ? "identity" : act_name(d->act)};
        unit += d->dims[l + 1];
    }
    return PB_OK;
}

/* units_l = act(W_l units_{l-1} + b_l) per sample, act the identity on the
 * last layer (its outputs before the head), units_0 the input row. */
static int svc_activations(void *ctx, const double *w, const double *X, size_t n, uint64_t seed, double *act)
{
    pb_host_ctx *c = ctx;
    const pb_mlp *d = need_dense(c, "activations");
    if (!d) return PB_ERR_ARG;
    double *Xb = NULL, *yb = NULL;
    size_t B = n;
    if (!X) {
        int st = minibatch(c, n, seed, &Xb, &yb, &B);
        if (st) {
            snprintf(c->fail_msg, sizeof c->fail_msg, "activations: %s", pb_last_error());
            return st;
        }
        X = Xb;
    }
    size_t U = 0;
    for (size_t l = 0; l < d->n_layers; l++) U += d->dims[l + 1];
    memset(act + B * U, 0, (n - B) * U * sizeof *act);  /* n > n_train with X NULL: the rows past the set are 0 */
    for (size_t i = 0; i < B; i++) {
        const double *in = X + i * d->dims[0];
        double *row = act + i * U;
        for (size_t l = 0, unit = 0; l < d->n_layers; l++) {
            size_t din = d->dims[l], dout = d->dims[l + 1];
            const double *W = w + d->w_off[l], *b = w + d->b_off[l];
            int last = l + 1 == d->n_layers;
            for (size_t o = 0; o < dout; o++) {
                double a = b[o];
                for (size_t k = 0; k < din; k++) a += W[o * din + k] * in[k];
                row[unit + o] = last || d->act == PB_ACT_IDENTITY ? a : d->act == PB_ACT_TANH ? tanh(a) : a > 0 ? a : 0;
            }
            in = row + unit;
            unit += dout;
        }
    }
    free(Xb), free(yb);
    return PB_OK;
}

static int svc_param_tensors(void *ctx, size_t *tensor, size_t *n_tensors)
{
    pb_host_ctx *c = ctx;
    const pb_model *m = c->net;
    *n_tensors = m->n_tensors;
    if (!tensor) return PB_OK;
    for (size_t j = 0; j < m->n_params; j++) tensor[j] = (size_t)-1;
    for (size_t k = 0; k < m->n_tensors; k++)
        for (size_t q = 0; q < m->tensors[k].rows * m->tensors[k].cols; q++) tensor[m->tensors[k].offset + q] = k;
    for (size_t j = 0; j < m->n_params; j++)
        if (tensor[j] == (size_t)-1) {
            snprintf(c->fail_msg, sizeof c->fail_msg, "param_tensors: parameter %zu of %s is in no tensor", j, m->spec);
            return PB_ERR_ARG;
        }
    return PB_OK;
}

void pb_host_set_fit(pb_host_ctx *ctx, const pb_fit *fit)
{
    ctx->init = fit && fit->n == ctx->net->n_params ? fit->init : NULL;
}

static int host_setup(pb_host *host, pb_host_ctx *ctx, const pb_model *net, pb_model *owned, const pb_data *train,
                      uint64_t seed)
{
    memset(host, 0, sizeof *host);
    memset(ctx, 0, sizeof *ctx);
    ctx->net = net;
    ctx->owned = owned;
    ctx->train = train;
    size_t batch = train->n < 256 ? train->n : 256;
    ctx->net_ws = pb_model_ws_alloc(net, batch);
    ctx->rng = gsl_rng_alloc(gsl_rng_mt19937);
    if (!ctx->net_ws || !ctx->rng) {
        pb_host_release(ctx);
        return pb_error(PB_ERR_NOMEM, "out of memory setting up plugin services");
    }
    pb_rng_seed(ctx->rng, seed);
    host->abi_major = PB_ABI_MAJOR;
    host->abi_minor = PB_ABI_MINOR;
    host->struct_size = sizeof *host;
    host->ctx = ctx;
    host->log = svc_log;
    host->fail = svc_fail;
    host->rng_uniform = svc_uniform;
    host->rng_gaussian = svc_gaussian;
    host->n_train = train->n;
    host->loss_grad = svc_loss_grad;
    host->hessian_diag = svc_hessian_diag;
    host->hessian_vec = svc_hessian_vec;
    host->posterior_matrix = svc_posterior_matrix;
    host->eigen_sym = svc_eigen_sym;
    host->initial_weights = svc_initial_weights;
    host->minibatch_loss_grad = svc_minibatch_loss_grad;
    host->minibatch_hessian_vec = svc_minibatch_hessian_vec;
    host->dense_layers = svc_dense_layers;
    host->activations = svc_activations;
    host->param_tensors = svc_param_tensors;
    return PB_OK;
}

int pb_host_init(pb_host *host, pb_host_ctx *ctx, const pb_mlp *model, const pb_data *train, uint64_t seed)
{
    pb_model *net;
    int st = pb_model_parse(model->spec, &net);
    if (st) return st;
    pb_model_set_noise_precision(net, model->noise_precision);
    return host_setup(host, ctx, net, net, train, seed);  /* on failure, host_setup released net */
}

int pb_host_init_model(pb_host *host, pb_host_ctx *ctx, const pb_model *model, const pb_data *train, uint64_t seed)
{
    return host_setup(host, ctx, model, NULL, train, seed);
}

void pb_host_release(pb_host_ctx *ctx)
{
    pb_model_ws_free(ctx->net_ws);
    ctx->net_ws = NULL;
    pb_model_free(ctx->owned);
    ctx->owned = NULL;
    ctx->net = NULL;
    gsl_rng_free(ctx->rng);
    ctx->rng = NULL;
}

/* ---- loader ---- */

static int valid_name(const char *s)
{
    if (!s || !*s || strlen(s) >= 64) return 0;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_')) return 0;
    return 1;
}

/* 64-bit FNV-1a of the file's bytes into *h. */
static int hash_file(const char *path, uint64_t *h)
{
    FILE *f = fopen(path, "rb");
    if (!f) return pb_error(PB_ERR_PLUGIN, "plugin %s: cannot read: %s", path, strerror(errno));
    unsigned char buf[65536];
    size_t got;
    *h = PB_FNV_OFFSET;
    while ((got = fread(buf, 1, sizeof buf, f)) > 0) *h = pb_fnv1a(*h, buf, got);
    int bad = ferror(f);
    fclose(f);
    return bad ? pb_error(PB_ERR_PLUGIN, "plugin %s: read error", path) : PB_OK;
}

/* Load and validate; hash the file's bytes unless hash is 0 (a probe). */
static int open_direct(const char *path, pb_plugin *p, int hash)
{
    memset(p, 0, sizeof *p);
    snprintf(p->path, sizeof p->path, "%s", path);
    struct stat sb;
    if (stat(path, &sb) != 0)
        return pb_error(PB_ERR_PLUGIN, "plugin %s: cannot open: %s (a method's directory is --plugin-dir or $PB_PLUGIN_DIR)",
                        path, strerror(errno));
    /* A bare name would make dlopen search the library path: insist on a path. */
    char buf[1100];
    if (!strchr(path, '/')) snprintf(buf, sizeof buf, "./%s", path);
    else snprintf(buf, sizeof buf, "%s", path);
    dlerror();
    p->handle = dlopen(buf, RTLD_NOW | RTLD_LOCAL);
    if (!p->handle) {
        const char *e = dlerror();
        return pb_error(PB_ERR_PLUGIN, "plugin %s: cannot load (not a usable shared object): %s", path,
                        e ? e : "unknown dlopen error");
    }
    dlerror();
    const pb_method *d = dlsym(p->handle, PB_METHOD_SYMBOL);
    const char *e = dlerror();
    int st = PB_OK;
    if (e || !d) {
        st = pb_error(PB_ERR_PLUGIN, "plugin %s: no symbol '%s' (not a prunebench plugin?)", path, PB_METHOD_SYMBOL);
        goto fail;
    }
    if (d->abi_major != PB_ABI_MAJOR) {
        st = pb_error(PB_ERR_PLUGIN, "plugin %s: ABI major version %u, this host speaks %u", path, d->abi_major,
                      PB_ABI_MAJOR);
        goto fail;
    }
    if (d->abi_minor > PB_ABI_MINOR) {
        st = pb_error(PB_ERR_PLUGIN, "plugin %s: ABI %u.%u is newer than this host's %u.%u; rebuild the host",
                      path, d->abi_major, d->abi_minor, PB_ABI_MAJOR, PB_ABI_MINOR);
        goto fail;
    }
    if (d->struct_size < PB_METHOD_MIN_SIZE) {
        st = pb_error(PB_ERR_PLUGIN, "plugin %s: descriptor struct_size %u is smaller than the %u bytes of ABI %u.0",
                      path, d->struct_size, PB_METHOD_MIN_SIZE, PB_ABI_MAJOR);
        goto fail;
    }
    memcpy(&p->method, d, sizeof p->method < d->struct_size ? sizeof p->method : d->struct_size);
    if (!valid_name(p->method.name)) {
        st = pb_error(PB_ERR_PLUGIN, "plugin %s: name must be 1-63 characters of [a-z0-9_]", path);
        goto fail;
    }
    snprintf(p->name, sizeof p->name, "%s", p->method.name);
    /* The name is the method's id in every result file: it must be the file's name. */
    const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
    size_t blen = strlen(base);
    if (blen < 3 || strcmp(base + blen - 3, ".so") || blen - 3 != strlen(p->name) || strncmp(base, p->name, blen - 3)) {
        st = pb_error(PB_ERR_PLUGIN, "plugin %s: descriptor name '%s' does not match the file name (expected %s.so)",
                      path, p->name, p->name);
        goto fail;
    }
    if (!p->method.summary || !p->method.citation) {
        st = pb_error(PB_ERR_PLUGIN, "plugin %s (%s): summary and citation are required", path, p->name);
        goto fail;
    }
    if (!p->method.relevance && !p->method.order) {
        st = pb_error(PB_ERR_PLUGIN, "plugin %s (%s): neither the relevance nor the order hook is set", path, p->name);
        goto fail;
    }
    const pb_training *tr = p->method.training;
    if (tr && (tr->struct_size < PB_TRAINING_MIN_SIZE || !tr->family || !tr->kl)) {
        st = pb_error(PB_ERR_PLUGIN, "plugin %s (%s): training facet needs struct_size >= %u, a family name and a kl hook",
                      path, p->name, PB_TRAINING_MIN_SIZE);
        goto fail;
    }
    if (tr) {
        memset(&p->training, 0, sizeof p->training);
        memcpy(&p->training, tr, tr->struct_size < sizeof p->training ? tr->struct_size : sizeof p->training);
        p->method.training = &p->training;
    }
    if (p->method.create && p->method.create_with) {
        st = pb_error(PB_ERR_PLUGIN, "plugin %s (%s): set create or create_with, not both", path, p->name);
        goto fail;
    }
    if (!(p->method.create || p->method.create_with) != !p->method.destroy) {
        st = pb_error(PB_ERR_PLUGIN, "plugin %s (%s): create and destroy must be given together", path, p->name);
        goto fail;
    }
    /* ABI 1.5: declared options and requirements */
    if (p->method.abi_minor < 5 && (p->method.options || p->method.requires || p->method.create_with)) {
        st = pb_error(PB_ERR_PLUGIN, "plugin %s (%s): sets options, requires or create_with (ABI 1.5) but declares ABI "
                                     "%u.%u", path, p->name, p->method.abi_major, p->method.abi_minor);
        goto fail;
    }
    if (p->method.abi_minor < 6 && (p->method.requires & (PB_REQUIRES_INITIAL_WEIGHTS | PB_REQUIRES_DENSE_LAYERS))) {
        st = pb_error(PB_ERR_PLUGIN, "plugin %s (%s): requires initial weights or dense layers (ABI 1.6) but declares "
                                     "ABI %u.%u", path, p->name, p->method.abi_major, p->method.abi_minor);
        goto fail;
    }
    if (p->method.requires & ~PB_REQUIRES_ALL) {
        st = pb_error(PB_ERR_PLUGIN, "plugin %s (%s): requires unknown bits 0x%x", path, p->name,
                      (unsigned)(p->method.requires & ~PB_REQUIRES_ALL));
        goto fail;
    }
    if ((p->method.requires & PB_REQUIRES_OWN_TRAINING) && !p->method.training) {
        st = pb_error(PB_ERR_PLUGIN, "plugin %s (%s): requires OWN_TRAINING but has no training facet", path, p->name);
        goto fail;
    }
    char who[1200];
    snprintf(who, sizeof who, "plugin %s (%s)", path, p->name);
    if ((st = pb_options_check(p->method.options, who, &p->n_options))) goto fail;
    p->host_parses = p->method.abi_minor >= 5;
    p->requires = p->method.requires | (p->method.training ? PB_REQUIRES_OWN_TRAINING : 0u);
    if (hash && (st = hash_file(path, &p->hash))) goto fail;
    if (hash && (st = pb_sha256_file(path, p->sha256))) goto fail;
    return PB_OK;
fail:
    pb_plugin_close(p);
    return st;
}

/* In the child: open the plugin (its constructors run), validate it,
 * unload it (its destructors run). */
static int probe_load(void *arg, void *io)
{
    (void)io;
    pb_plugin p;
    int st = open_direct(arg, &p, 0);
    pb_isolate_hook("unload");
    if (!st) pb_plugin_close(&p);
    return st;
}

int pb_plugin_open(const char *path, pb_plugin *p)
{
    /* A crashing constructor or a descriptor that cannot be read kills a
     * child first: the host loads only a plugin that loaded there. */
    const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
    char name[256];
    snprintf(name, sizeof name, "%.*s", (int)(strlen(base) > 3 && !strcmp(base + strlen(base) - 3, ".so")
                                                  ? strlen(base) - 3 : strlen(base)), base);
    int st = pb_isolate_active() ? pb_isolate(name, "load", probe_load, (void *)path, NULL, 0) : PB_OK;
    if (st) {
        memset(p, 0, sizeof *p);
        return st;
    }
    return open_direct(path, p, 1);
}

void pb_plugin_close(pb_plugin *p)
{
    if (p->handle) dlclose(p->handle);
    p->handle = NULL;
}

int pb_plugin_options(const pb_plugin *p, const char *options, pb_option_values *out)
{
    char who[96];
    snprintf(who, sizeof who, "plugin %s", p->name);
    if (!p->host_parses) {
        memset(out, 0, sizeof *out);
        return PB_OK;
    }
    return pb_options_parse(p->method.options, p->n_options, options, who, out);
}

int pb_plugin_create(const pb_plugin *p, const pb_host *host, const char *options, void **state)
{
    pb_host_ctx *ctx = host->ctx;
    const pb_method *m = &p->method;
    int st;
    *state = NULL;
    ctx->plugin_name = p->name;
    ctx->fail_msg[0] = '\0';
    if (!options) options = "";
    if (!p->host_parses) {
        if (!m->create) {
            if (*options) return pb_error(PB_ERR_PLUGIN, "plugin %s takes no options, got '%s'", p->name, options);
            return PB_OK;
        }
        pb_isolate_hook("create");
        st = m->create(host, options, state);
    } else {
        pb_option_values v;
        if ((st = pb_plugin_options(p, options, &v))) return st;
        pb_isolate_hook("create");
        if (m->create_with) {
            st = m->create_with(host, v.n ? v.value : NULL, state);
        } else if (m->create) {
            char line[sizeof v.text + PB_OPTIONS_MAX * 66];
            pb_options_format(m->options, &v, line, sizeof line);
            st = m->create(host, line, state);
        } else {
            return PB_OK;
        }
    }
    if (st != 0)
        return pb_error(PB_ERR_PLUGIN, "plugin %s: create failed: %s", p->name,
                        ctx->fail_msg[0] ? ctx->fail_msg : "no reason given");
    return PB_OK;
}

int pb_plugin_check_fit(const pb_plugin *p, const pb_model *model, const pb_fit *fit, const char *fit_path)
{
    /* the services behind these requirements need the model's curvature */
    static const struct { uint32_t bit; const char *service; } curvature[] = {
        {PB_REQUIRES_HESSIAN, "the Hessian"},
        {PB_REQUIRES_POSTERIOR_MATRIX, "the posterior matrix"},
    };
    for (size_t k = 0; k < sizeof curvature / sizeof *curvature; k++) {
        if (!(p->requires & curvature[k].bit)) continue;
        char what[1200];
        snprintf(what, sizeof what, "method %s (%s) on fit %s", p->name, curvature[k].service, fit_path);
        int st = pb_model_require(model, PB_CAP_CURVATURE, what);
        if (st) return st;
    }
    if ((p->requires & PB_REQUIRES_DENSE_LAYERS) && !pb_model_dense_layers(model))
        return pb_error(PB_ERR_ARG, "method %s needs a stack of dense layers, which model '%s' of fit %s is not", p->name,
                        model->spec, fit_path);
    if ((p->requires & PB_REQUIRES_INITIAL_WEIGHTS) && !fit->init)
        return pb_error(PB_ERR_ARG, "method %s needs the fit's initial weights but %s does not store them (written "
                                    "before fit format 4): train it again", p->name, fit_path);
    const pb_training *tr = p->method.training;
    if ((p->requires & PB_REQUIRES_OWN_TRAINING) && tr && strcmp(fit->family, tr->family))
        return pb_error(PB_ERR_ARG, "method %s trains its own network (family %s) but %s is a %s fit: train it with "
                                    "'prunebench train --method %s'", p->name, tr->family, fit_path, fit->family,
                        p->name);
    if ((p->requires & PB_REQUIRES_POSTERIOR_SD) && !strcmp(fit->family, "point"))
        return pb_error(PB_ERR_ARG, "method %s needs posterior standard deviations but %s is a point fit (family "
                                    "point): train it with --family gauss-diag", p->name, fit_path);
    return PB_OK;
}

int pb_plugin_check_fit_file(const pb_plugin *p, const char *fit_path)
{
    pb_fit fit;
    pb_model *m = NULL;
    int st = pb_fit_load(fit_path, &fit);
    if (st) return st;
    if (!(st = pb_model_parse(fit.model, &m))) st = pb_plugin_check_fit(p, m, &fit, fit_path);
    pb_model_free(m);
    pb_fit_free(&fit);
    return st;
}

int pb_plugin_record_of(const pb_plugin *p, const char *options, pb_plugin_record *r)
{
    snprintf(r->abi, sizeof r->abi, "%u.%u", p->method.abi_major, p->method.abi_minor);
    snprintf(r->hash, sizeof r->hash, "fnv1a64:%016" PRIx64, p->hash);
    snprintf(r->sha256, sizeof r->sha256, "%s", p->sha256);
    if (!options) options = "";
    if (!p->host_parses) {
        snprintf(r->options, sizeof r->options, "%s", *options ? options : "default");
        return PB_OK;
    }
    pb_option_values v;
    int st = pb_plugin_options(p, options, &v);
    if (st) return st;
    if (!v.n) snprintf(r->options, sizeof r->options, "none");
    else pb_options_format(p->method.options, &v, r->options, sizeof r->options);
    return PB_OK;
}

int pb_plugin_settings(const pb_plugin *p, char *buf, size_t len)
{
    return snprintf(buf, len, " plugin_sha256=%s plugin_abi=%u.%u plugin=%s", p->sha256, p->method.abi_major,
                    p->method.abi_minor, p->path);
}

void pb_requires_text(uint32_t requires, char *buf, size_t len)
{
    static const char *const names[] = {"hessian",      "posterior-matrix", "posterior-sd",
                                        "own-training", "initial-weights",  "dense-layers"};
    size_t l = 0;
    if (len) buf[0] = '\0';
    for (unsigned b = 0; b < sizeof names / sizeof *names && l < len; b++)
        if (requires & (1u << b)) l += (size_t)snprintf(buf + l, len - l, "%s%s", l ? ", " : "", names[b]);
    if (!l && len) snprintf(buf, len, "nothing");
}

void pb_plugin_option_line(const pb_option *o, char *buf, size_t len)
{
    char what[160], def[PB_OPTION_TEXT + 72];
    pb_option_describe(o, what, sizeof what);
    snprintf(def, sizeof def, "%s=%s", o->name, o->default_value);
    snprintf(buf, len, "%-24s %-30s %s", def, what, o->doc);
}

typedef struct ranked { double score; size_t index; } ranked;

/* Ascending score, ties by ascending index: a total, deterministic order. */
static int cmp_ranked(const void *a, const void *b)
{
    const ranked *x = a, *y = b;
    if (x->score < y->score) return -1;
    if (x->score > y->score) return 1;
    return (x->index > y->index) - (x->index < y->index);
}

/* The order hook's result: n_prunable distinct prunable indices. */
static int check_order(const pb_plugin *p, const pb_fit_view *view, const size_t *order)
{
    size_t n = view->n_params, np = view->n_prunable;
    unsigned char *seen = pb_calloc(n, 1);
    if (!seen) return PB_ERR_NOMEM;
    int st = PB_OK;
    for (size_t k = 0; k < np && !st; k++) {
        size_t j = order[k];
        if (j == (size_t)-1)
            st = pb_error(PB_ERR_PLUGIN, "plugin %s: order entry %zu was not filled in (need %zu entries)", p->name, k, np);
        else if (j >= n || !view->prunable[j])
            st = pb_error(PB_ERR_PLUGIN, "plugin %s: order entry %zu is %zu, not a prunable parameter", p->name, k, j);
        else if (seen[j]++)
            st = pb_error(PB_ERR_PLUGIN, "plugin %s: order lists parameter %zu twice (not a permutation)", p->name, j);
    }
    free(seen);
    return st;
}

/* The relevance hook's result: finite at every prunable parameter. */
static int check_scores(const pb_plugin *p, const pb_fit_view *view, const double *score)
{
    for (size_t j = 0; j < view->n_params; j++)
        if (view->prunable[j] && !isfinite(score[j]))
            return pb_error(PB_ERR_PLUGIN, "plugin %s: relevance of parameter %zu is %g (must be finite)", p->name, j,
                            score[j]);
    return PB_OK;
}

/* create, relevance or order, settings, destroy: in the calling process. */
static int rank_direct(const pb_plugin *p, const pb_host *host, const pb_fit_view *view, const char *options,
                       size_t *order, double *score, char *settings, size_t settings_len)
{
    pb_host_ctx *ctx = host->ctx;
    const pb_method *m = &p->method;
    void *state = NULL;
    int st = PB_OK;
    size_t n = view->n_params, np = view->n_prunable;
    if (settings_len) settings[0] = '\0';
    if ((st = pb_plugin_create(p, host, options, &state))) return st;
    for (size_t j = 0; j < n; j++) score[j] = NAN;
    if (m->order) {
        /* entries the hook leaves unwritten must not pass as stale indices */
        for (size_t k = 0; k < np; k++) order[k] = (size_t)-1;
        pb_isolate_hook("order");
        if (m->order(host, view, order, state) != 0) {
            st = pb_error(PB_ERR_PLUGIN, "plugin %s: order hook failed: %s", p->name,
                          ctx->fail_msg[0] ? ctx->fail_msg : "no reason given");
            goto done;
        }
        st = check_order(p, view, order);
        goto done;
    }
    pb_isolate_hook("relevance");
    if (m->relevance(host, view, score, state) != 0) {
        st = pb_error(PB_ERR_PLUGIN, "plugin %s: relevance hook failed: %s", p->name,
                      ctx->fail_msg[0] ? ctx->fail_msg : "no reason given");
        goto done;
    }
    if ((st = check_scores(p, view, score))) goto done;
    ranked *r = pb_calloc(np, sizeof *r);
    if (!r) { st = PB_ERR_NOMEM; goto done; }
    size_t k = 0;
    for (size_t j = 0; j < n; j++) {
        if (!view->prunable[j]) continue;
        r[k].score = score[j];
        r[k++].index = j;
    }
    qsort(r, np, sizeof *r, cmp_ranked);
    for (k = 0; k < np; k++) order[k] = r[k].index;
    free(r);
done:
    if (!st && m->settings && settings_len) {
        pb_isolate_hook("settings");
        const char *s = m->settings(state);
        snprintf(settings, settings_len, "%s", s ? s : "");
    }
    pb_isolate_hook("destroy");
    if (m->destroy) m->destroy(state);
    return st;
}

/* A rank call carried into the child: its arguments, and where in the
 * shared results its outputs go. */
typedef struct rank_call {
    const pb_plugin *p;
    const pb_host *host;
    const pb_fit_view *view;
    const char *options;
    size_t settings_len;
} rank_call;

/* The shared results: order (n_prunable), score (n_params), settings. */
static size_t rank_io_size(const pb_fit_view *view, size_t settings_len)
{
    return view->n_prunable * sizeof(size_t) + view->n_params * sizeof(double) + settings_len;
}

/* In the child: rank into buffers of the child's own heap (a hook that
 * writes past them damages the child only), then copy the results out. */
static int rank_child(void *arg, void *io)
{
    const rank_call *c = arg;
    size_t n = c->view->n_params, np = c->view->n_prunable;
    size_t *order = pb_calloc(np ? np : 1, sizeof *order);
    double *score = pb_calloc(n ? n : 1, sizeof *score);
    char *settings = pb_calloc(c->settings_len ? c->settings_len : 1, 1);
    if (!order || !score || !settings) return PB_ERR_NOMEM;
    int st = rank_direct(c->p, c->host, c->view, c->options, order, score, settings, c->settings_len);
    if (!st) {
        unsigned char *out = io;
        memcpy(out, order, np * sizeof *order);
        memcpy(out + np * sizeof *order, score, n * sizeof *score);
        memcpy(out + np * sizeof *order + n * sizeof *score, settings, c->settings_len);
    }
    return st;  /* the child's heap goes with the child */
}

int pb_plugin_rank(const pb_plugin *p, const pb_host *host, const pb_fit_view *view, const char *options,
                   size_t *order, double *score, char *settings, size_t settings_len)
{
    if (!pb_isolate_active()) return rank_direct(p, host, view, options, order, score, settings, settings_len);
    size_t n = view->n_params, np = view->n_prunable, size = rank_io_size(view, settings_len);
    unsigned char *io = pb_calloc(size ? size : 1, 1);
    if (!io) return PB_ERR_NOMEM;
    rank_call c = {p, host, view, options, settings_len};
    int st = pb_isolate(p->name, "create", rank_child, &c, io, size);
    if (!st) {
        memcpy(order, io, np * sizeof *order);
        memcpy(score, io + np * sizeof *order, n * sizeof *score);
        if (settings_len) {
            memcpy(settings, io + np * sizeof *order + n * sizeof *score, settings_len);
            settings[settings_len - 1] = '\0';
        }
        /* the host's own check of what came back */
        st = check_order(p, view, order);
        if (!st && !p->method.order) {
            st = check_scores(p, view, score);
            for (size_t k = 1; k < np && !st; k++)
                if (cmp_ranked(&(ranked){score[order[k - 1]], order[k - 1]}, &(ranked){score[order[k]], order[k]}) > 0)
                    st = pb_error(PB_ERR_PLUGIN, "plugin %s: the order is not the ascending order of its scores", p->name);
        }
    }
    free(io);
    return st;
}

/* ---- the training hooks, tried once in a child ---- */

typedef struct preflight_call {
    const pb_plugin *p;
    const pb_host *host;
    const char *options;
    size_t n;
    double epochs;
} preflight_call;

/* In the child: create, settings, kl at n weights (theta_j a spread of
 * small values, log sigma^2 at the facet's initial value), the KL weight
 * over training, destroy. */
static int preflight_child(void *arg, void *io)
{
    (void)io;
    const preflight_call *c = arg;
    const pb_plugin *p = c->p;
    const pb_training *tr = p->method.training;
    void *state = NULL;
    int st = pb_plugin_create(p, c->host, c->options, &state);
    if (st) return st;
    if (p->method.settings) {
        pb_isolate_hook("settings");
        (void)p->method.settings(state);
    }
    size_t n = c->n ? c->n : 1;
    double *buf = pb_calloc(4 * n, sizeof *buf);
    if (!buf) return PB_ERR_NOMEM;
    double *theta = buf, *ls = buf + n, *dth = buf + 2 * n, *dls = buf + 3 * n;
    for (size_t j = 0; j < n; j++) theta[j] = 0.1 * sin((double)j + 1), ls[j] = tr->init_log_sigma2;
    pb_isolate_hook("kl");
    double kl = tr->kl(state, n, theta, ls, dth, dls);
    int finite = isfinite(kl);
    for (size_t j = 0; j < n && finite; j++) finite = isfinite(dth[j]) && isfinite(dls[j]);
    if (!finite) st = pb_error(PB_ERR_PLUGIN, "plugin %s: kl: the KL or its gradient is not finite at the initial point "
                                              "(KL = %g)", p->name, kl);
    pb_isolate_hook("kl_weight");
    for (int i = 0; i <= 20 && !st; i++) {
        double t = i / 20.0 * 0.999;
        double w = tr->kl_weight_epochs ? tr->kl_weight_epochs(state, t * c->epochs, c->epochs)
                   : tr->kl_weight      ? tr->kl_weight(state, t)
                                        : 1.0;
        if (!(w >= 0 && w <= 1))
            st = pb_error(PB_ERR_PLUGIN, "plugin %s: kl_weight: %g at %.3g of training (must be in [0, 1])", p->name, w, t);
    }
    free(buf);
    pb_isolate_hook("destroy");
    if (p->method.destroy) p->method.destroy(state);
    return st;
}

int pb_plugin_preflight_training(const pb_plugin *p, const pb_host *host, const char *options, size_t n_trained,
                                 double epochs)
{
    if (!p->method.training) return PB_OK;
    if (!pb_isolate_active()) return PB_OK;  /* in process the training itself is the test */
    preflight_call c = {p, host, options, n_trained, epochs > 0 ? epochs : 1};
    return pb_isolate(p->name, "create", preflight_child, &c, NULL, 0);
}

/* ---- the training hooks in one child for the whole training ---- */

enum { OP_KL = 1, OP_KL_WEIGHT, OP_KL_WEIGHT_EPOCHS };

/* The shared io: the call's arguments and result, then theta, log sigma^2,
 * dtheta, dlog sigma^2 (cap each). */
typedef struct hook_io {
    size_t n;
    double a, b, result;
} hook_io;
#define HOOK_IO_HEAD ((sizeof(hook_io) + 63) / 64 * 64)

struct pb_training_isolated {
    pb_training tr;          /* the facet handed to the training: its hooks are the proxies below */
    const pb_training *real; /* the plugin's facet */
    void *state;             /* the plugin's state (the child's copy is the one in use) */
    const char *name;        /* the plugin's */
    size_t cap;              /* weights per kl call at most */
    pb_isolate_server *srv;
    int failed;              /* the child's failure, once it failed */
    char why[1024];          /* and its line */
};

/* In the child: one hook call on the shared io. */
static int serve_training(void *arg, int op, void *io)
{
    const pb_training_isolated *t = arg;
    const pb_training *tr = t->real;
    hook_io *h = io;
    double *v = (double *)((unsigned char *)io + HOOK_IO_HEAD);
    size_t cap = t->cap;
    if (op == OP_KL) h->result = tr->kl(t->state, h->n, v, v + cap, v + 2 * cap, v + 3 * cap);
    else if (op == OP_KL_WEIGHT) h->result = tr->kl_weight(t->state, h->a);
    else h->result = tr->kl_weight_epochs(t->state, h->a, h->b);
    return PB_OK;
}

static double proxy_failed(pb_training_isolated *t, int st)
{
    if (!t->failed) {
        t->failed = st;
        snprintf(t->why, sizeof t->why, "%s", pb_last_error());
    }
    return NAN;
}

/* kl in the child: theta and log sigma^2 in, the KL and both gradients
 * out (the contract: the hook writes all n of each) */
static double proxy_kl(void *state, size_t n, const double *theta, const double *ls, double *dth, double *dls)
{
    pb_training_isolated *t = state;
    if (t->failed) return NAN;
    if (n > t->cap)
        return proxy_failed(t, pb_error(PB_ERR_PLUGIN, "plugin %s: kl on %zu weights, more than the %zu planned",
                                        t->name, n, t->cap));
    hook_io *h = pb_isolate_server_io(t->srv);
    double *v = (double *)((unsigned char *)h + HOOK_IO_HEAD);
    size_t cap = t->cap;
    h->n = n;
    memcpy(v, theta, n * sizeof *v);
    memcpy(v + cap, ls, n * sizeof *v);
    int st = pb_isolate_server_call(t->srv, "kl", OP_KL);
    if (st) return proxy_failed(t, st);
    memcpy(dth, v + 2 * cap, n * sizeof *v);
    memcpy(dls, v + 3 * cap, n * sizeof *v);
    return h->result;
}

static double proxy_weight(pb_training_isolated *t, int op, const char *hook, double a, double b)
{
    if (t->failed) return NAN;
    hook_io *h = pb_isolate_server_io(t->srv);
    h->a = a, h->b = b;
    int st = pb_isolate_server_call(t->srv, hook, op);
    return st ? proxy_failed(t, st) : h->result;
}

static double proxy_kl_weight(void *state, double t) { return proxy_weight(state, OP_KL_WEIGHT, "kl_weight", t, 0); }

static double proxy_kl_weight_epochs(void *state, double epoch, double epochs)
{
    return proxy_weight(state, OP_KL_WEIGHT_EPOCHS, "kl_weight_epochs", epoch, epochs);
}

int pb_plugin_training_isolate(const pb_plugin *p, void *state, size_t n_max, pb_training_isolated **out,
                               const pb_training **tr, void **tr_state)
{
    *out = NULL, *tr = p->method.training, *tr_state = state;
    if (!p->method.training || !pb_isolate_active()) return PB_OK;
    pb_training_isolated *t = pb_calloc(1, sizeof *t);
    if (!t) return PB_ERR_NOMEM;
    t->real = p->method.training, t->state = state, t->name = p->name, t->cap = n_max ? n_max : 1;
    t->tr = *t->real;
    t->tr.kl = proxy_kl;
    if (t->real->kl_weight) t->tr.kl_weight = proxy_kl_weight;
    if (t->real->kl_weight_epochs) t->tr.kl_weight_epochs = proxy_kl_weight_epochs;
    if (t->cap > (SIZE_MAX - HOOK_IO_HEAD) / (4 * sizeof(double))) {
        free(t);
        return pb_error(PB_ERR_NOMEM, "plugin %s: %zu weights", p->name, n_max);
    }
    int st = pb_isolate_server_start(&t->srv, p->name, serve_training, t, HOOK_IO_HEAD + 4 * t->cap * sizeof(double));
    if (st || !t->srv) {
        free(t);
        return st;
    }
    *out = t, *tr = &t->tr, *tr_state = t;
    return PB_OK;
}

int pb_training_isolated_status(const pb_training_isolated *t)
{
    return t && t->failed ? pb_error(t->failed, "%s", t->why) : PB_OK;
}

void pb_training_isolated_close(pb_training_isolated *t)
{
    if (!t) return;
    pb_isolate_server_stop(t->srv);
    free(t);
}
