/* finetune.c -- see finetune.h. */
#include "protocols/finetune.h"
#include "protocols/p1.h"
#include "train/driver.h"
#include "base/util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_rng.h>

/* ---- the masked point family (train/driver.h contract) ---- */

/* What the caller hands the family through pb_train_opts.training_state. */
typedef struct masked_state {
    const unsigned char *keep;  /* n_params: 1 trained, 0 held at exactly 0 */
} masked_state;

typedef struct masked {
    const unsigned char *keep;
    double *block;   /* the two buffers below */
    double *gw;      /* n: gradient of the batch's summed loss */
    double *g;       /* n: gradient of F / N, 0 at removed entries */
} masked;

static int masked_open(void *fp, const pb_driver *d, size_t *n_opt)
{
    masked *f = fp;
    const masked_state *s = d->o->training_state;
    if (!s || !s->keep) return pb_error(PB_ERR_ARG, "%s: fine-tuning without a mask", d->o->label);
    f->keep = s->keep;
    f->block = pb_drv_block(2, (size_t[]){d->n, d->n}, (double **const[]){&f->gw, &f->g});
    if (!f->block) return pb_error(PB_ERR_NOMEM, "%s: out of memory", d->o->label);
    *n_opt = d->n;
    return PB_OK;
}

static void masked_key(const void *fp, const pb_driver *d, char *out, size_t cap)
{
    const masked *f = fp;
    size_t kept = 0;
    for (size_t j = 0; j < d->n; j++) kept += f->keep[j] != 0;
    snprintf(out, cap, " finetune_kept=%zu", kept);
}

/* The start (opts.init) already has w_j = 0 at removed j; made sure here. */
static void masked_init(void *fp, pb_driver *d)
{
    const masked *f = fp;
    for (size_t j = 0; j < d->n; j++)
        if (!f->keep[j]) d->opt.x[j] = 0;
}

static int masked_loss(void *fp, pb_driver *d, double *loss)
{
    masked *f = fp;
    return pb_model_loss_grad(d->m, d->ws, d->opt.x, d->X, d->y, d->b, NULL, NULL, loss, f->gw);
}

/* g_j = scale gw_j for kept j, 0 for removed j; one Adam step; then
 * w_j = 0 for removed j. (With g_j = 0 from the start both Adam moments of
 * a removed j stay 0 and its step is 0; the assignment makes the mask hold
 * whatever the optimizer does.) */
static int masked_update(void *fp, pb_driver *d)
{
    masked *f = fp;
    const unsigned char *keep = f->keep;
    for (size_t j = 0; j < d->n; j++) f->g[j] = keep[j] ? d->scale * f->gw[j] : 0.0;
    pb_drv_adam(d, 0, d->n, f->g);
    double *w = d->opt.x;
    for (size_t j = 0; j < d->n; j++)
        if (!keep[j]) w[j] = 0;
    return PB_OK;
}

static double masked_epoch_kl(const void *fp, char *note, size_t cap)
{
    (void)fp;
    snprintf(note, cap, " (fine-tuning)");
    return 0;
}

static int masked_to_fit(const void *fp, const pb_driver *d, pb_fit *fit)
{
    (void)fp;
    for (size_t j = 0; j < d->n; j++) fit->mean[j] = d->opt.x[j], fit->sd[j] = 0;
    fit->prior_mean = 0, fit->prior_sd = 0;
    fit->final_objective = d->c.objective;
    fit->noise_precision = d->c.noise_precision;
    pb_drv_settings(d, fit, "finetune", "mask=held");
    return PB_OK;
}

static void masked_close(void *fp) { free(((masked *)fp)->block); }

static const pb_family_ops masked_ops = {
    .name = "finetune",
    .size = sizeof(masked),
    .open = masked_open,
    .key = masked_key,
    .init = masked_init,
    .loss = masked_loss,
    .update = masked_update,
    .epoch_kl = masked_epoch_kl,
    .to_fit = masked_to_fit,
    .close = masked_close,
    .carried = NULL,
    .n_carried = 0,
};

int pb_finetune(const pb_cell *c, const unsigned char *keep, double *w, size_t epochs, size_t batch, double lr,
                pb_precision prec, size_t train_limit, uint64_t seed, const char *label)
{
    const pb_model *m = c->net;
    size_t n = m->n_params;
    if (!epochs) return PB_OK;
    masked_state s = {keep};
    pb_train_opts o;
    pb_train_opts_default(&o);
    o.family = PB_FAMILY_POINT;  /* unused by pb_train_family; the ops below are the family */
    o.epochs = epochs, o.batch = batch, o.lr = lr, o.precision = prec;
    o.seed = seed, o.init = w;
    o.training_state = &s;
    o.label = label;
    pb_fit fit;
    int st = pb_fit_alloc(&fit, n);
    if (st) return st;
    pb_data train = c->train;  /* a view: the first train_limit samples */
    if (train_limit && train_limit < train.n) train.n = train_limit;
    st = pb_train_family(&masked_ops, m, &train, &o, &fit);
    if (!st) memcpy(w, fit.mean, n * sizeof *w);
    pb_fit_free(&fit);
    return st;
}

/* ---- settings, seeds, initial weights ---- */

int pb_finetune_settings(const pb_cell *c, const pb_finetune_opts *o, size_t *batch, double *lr, pb_precision *prec)
{
    const char *s = c->fit.settings;
    char v[64];
    *batch = o->batch, *lr = o->lr, *prec = o->precision;
    if (!*batch) {
        pb_setting(s, "batch", v, sizeof v);
        char *end;
        unsigned long long b = strtoull(v, &end, 10);
        if (!v[0] || *end || !b)
            return pb_error(PB_ERR_ARG, "fine-tuning: the fit's settings give no minibatch size (batch=); give --ft-batch");
        *batch = (size_t)b;
    }
    if (!(*lr > 0)) {
        pb_setting(s, "lr", v, sizeof v);
        char *end;
        *lr = strtod(v, &end);
        if (!v[0] || *end || !(*lr > 0) || !isfinite(*lr))
            return pb_error(PB_ERR_ARG, "fine-tuning: the fit's settings give no step size (lr=); give --ft-lr");
    }
    if (!o->precision_set) {
        pb_setting(s, "precision", v, sizeof v);
        *prec = PB_PRECISION_F64;  /* fits from before precisions were recorded trained in double */
        if (v[0] && pb_precision_parse(v, prec)) return pb_error(PB_ERR_ARG, "fine-tuning: the fit's precision '%s' is unknown", v);
    }
    return PB_OK;
}

uint64_t pb_finetune_seed(const pb_cell *c, const char *variant, const char *row)
{
    char purpose[160];
    snprintf(purpose, sizeof purpose, "%s %s", variant, row);
    return pb_seed("p1-finetune", c->fit.dataset, c->fit.model, "", c->fit.repeat, purpose);
}

int pb_fit_initial_weights(const pb_cell *c, double *w0)
{
    const pb_fit *f = &c->fit;
    if (strstr(f->settings, " init=") || strstr(f->settings, " init_fit=") || strstr(f->settings, "generator=") ||
        !strncmp(f->family, "hyper", 5))
        return pb_error(PB_ERR_ARG, "rewinding: the fit did not start from its seed's initialization (settings: %s)",
                        f->settings);
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    if (!r) return pb_error(PB_ERR_NOMEM, "out of memory");
    /* as pb_train_family: the stream seeded with the fit's init_seed, its first draws */
    pb_rng_seed(r, f->init_seed);
    pb_model_init(c->net, w0, r);
    gsl_rng_free(r);
    return PB_OK;
}

/* ---- the curves ---- */

static int measure_row(const pb_cell *c, const double *w, double req, size_t k, size_t n_order, size_t round,
                       FILE *out)
{
    double q, aux;
    int st = pb_evaluate(c, w, &q, &aux);
    if (!st && !isfinite(q)) st = pb_error(PB_ERR_NUMERIC, "quality is %g at fraction %g", q, req);
    if (!st)
        fprintf(out, "%.6g\t%.6g\t%zu\t%.10g\t%.10g\t%zu\n", req, n_order ? (double)k / (double)n_order : 0.0, k, q,
                aux, round);
    return st;
}

static void header_row(const pb_cell *c, FILE *out)
{
    fprintf(out, "requested_fraction\tachieved_fraction\tn_removed\tquality\t%s\tround\n",
            c->test.n_classes ? "test_nll" : "test_mse");
}

int pb_p1_finetune_curve(const pb_cell *c, pb_pruner *pr, const double *fractions, size_t nf,
                         const pb_finetune_opts *o, FILE *out)
{
    size_t n = c->net->n_params, n_order = pr->n_order, batch;
    double lr;
    pb_precision prec;
    int st = pb_finetune_settings(c, o, &batch, &lr, &prec);
    if (st) return st;
    double *w = pb_calloc(n, sizeof *w);
    unsigned char *keep = pb_calloc(n, 1);
    if (!w || !keep) { free(w); free(keep); return PB_ERR_NOMEM; }
    memset(keep, 1, n);
    header_row(c, out);
    for (size_t i = 0; i < nf && !st; i++) {
        size_t k = (size_t)llround(fractions[i] * (double)n_order);
        if (k > n_order) k = n_order;
        if ((st = pb_pruner_advance(pr, k))) break;
        for (size_t r = 0; r < k; r++) keep[pr->order[r]] = 0;
        memcpy(w, pr->w, n * sizeof *w);
        char row[64], label[256];
        snprintf(row, sizeof row, "%.17g", fractions[i]);
        snprintf(label, sizeof label, "fine-tuning %s repeat %u at fraction %g", c->fit.dataset, c->fit.repeat,
                 fractions[i]);
        st = pb_finetune(c, keep, w, o->epochs, batch, lr, prec, o->train_limit, pb_finetune_seed(c, "oneshot", row), label);
        if (!st) st = measure_row(c, w, fractions[i], k, n_order, 0, out);
    }
    free(w);
    free(keep);
    return st;
}

int pb_p1_iterative_curve(const pb_cell *c, pb_pruner *pr, const pb_finetune_opts *o, FILE *out)
{
    size_t n = c->net->n_params, n_order = pr->n_order, batch;
    double lr, p = o->prune_rate;
    pb_precision prec;
    if (pr->compensate) return pb_error(PB_ERR_ARG, "iterative pruning: no compensation (each round fine-tunes instead)");
    if (!(p > 0 && p < 1) || !o->rounds) return pb_error(PB_ERR_ARG, "iterative pruning: need 0 < p < 1 and rounds >= 1");
    int st = pb_finetune_settings(c, o, &batch, &lr, &prec);
    if (st) return st;
    double *w = pb_calloc(n, sizeof *w), *w0 = o->rewind ? pb_calloc(n, sizeof *w0) : NULL;
    unsigned char *keep = pb_calloc(n, 1);
    if (!w || !keep || (o->rewind && !w0)) { free(w); free(w0); free(keep); return PB_ERR_NOMEM; }
    if (o->rewind) st = pb_fit_initial_weights(c, w0);
    memset(keep, 1, n);
    memcpy(w, c->fit.mean, n * sizeof *w);
    char variant[96];
    snprintf(variant, sizeof variant, "iterative p=%.17g rewind=%d", p, o->rewind ? 1 : 0);
    if (!st) header_row(c, out);
    if (!st) st = measure_row(c, w, 0, 0, n_order, 0, out);
    size_t k = 0;
    for (size_t r = 1; r <= o->rounds && !st; r++) {
        /* k_r = round((1 - (1 - p)^r) n_order): p of what remains, each round */
        double req = 1 - pow(1 - p, (double)r);
        size_t kr = (size_t)llround(req * (double)n_order);
        if (kr > n_order) kr = n_order;
        for (; k < kr; k++) keep[pr->order[k]] = 0;
        for (size_t j = 0; j < n; j++)
            w[j] = !keep[j] ? 0 : o->rewind ? w0[j] : w[j];
        char row[32], label[256];
        snprintf(row, sizeof row, "round=%zu", r);
        snprintf(label, sizeof label, "iterative pruning %s repeat %u round %zu", c->fit.dataset, c->fit.repeat, r);
        st = pb_finetune(c, keep, w, o->epochs, batch, lr, prec, o->train_limit, pb_finetune_seed(c, variant, row), label);
        if (!st) st = measure_row(c, w, round(req * 1e6) / 1e6, k, n_order, r, out);
    }
    free(w);
    free(w0);
    free(keep);
    return st;
}
