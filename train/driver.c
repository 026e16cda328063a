/* driver.c -- the training driver: see driver.h (the contract) and train.h
 * (the objectives). */
#include "train/driver.h"
#include "formats/checkpoint.h"
#include "base/util.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_randist.h>

void pb_train_opts_default(pb_train_opts *o)
{
    memset(o, 0, sizeof *o);
    o->family = PB_FAMILY_GAUSS_DIAG;
    o->epochs = 300;
    o->batch = 32;
    o->lr = 1e-2;
    o->init_sd = 0.5;
    o->kl_weight = 1;
    o->label = "train";
}

/* ---- helpers for the families ---- */

enum { ALIGN = 64, PER_LINE = ALIGN / sizeof(double) };

static size_t padded(size_t len) { return (len + PER_LINE - 1) / PER_LINE * PER_LINE; }

double *pb_drv_block(size_t k, const size_t *lens, double **const *views)
{
    size_t total = 0;
    for (size_t i = 0; i < k; i++) total += padded(lens[i]);
    double *block = aligned_alloc(ALIGN, (total ? total : PER_LINE) * sizeof(double));
    if (!block) return NULL;
    memset(block, 0, (total ? total : PER_LINE) * sizeof(double));
    for (size_t i = 0, at = 0; i < k; i++) {
        *views[i] = lens[i] ? block + at : NULL;
        at += padded(lens[i]);
    }
    return block;
}

void pb_drv_settings(const pb_driver *d, pb_fit *fit, const char *family, const char *middle)
{
    const pb_train_opts *o = d->o;
    snprintf(fit->family, sizeof fit->family, "%s", family);
    snprintf(fit->settings, sizeof fit->settings,
             "family=%s precision=%s epochs=%zu batch=%zu optimizer=%s lr=%g lr_decay=%s %s noise=%s", fit->family,
             pb_precision_name(o->precision), o->epochs, d->B, o->optimizer == PB_OPT_SGD ? "sgd" : "adam", o->lr, o->lr_decay ? "linear-second-half" : "none", middle,
             d->m->head != PB_HEAD_MSE ? "none" : d->learn_beta ? "empirical-bayes" : "fixed1");
}

/* ---- the schedule and the epoch's end ---- */

/* Step size at global step t of T (linear decay over the second half). */
static double step_size(const pb_train_opts *o, size_t t, size_t T)
{
    if (!o->lr_decay || 2 * t <= T) return o->lr;
    return o->lr * 2.0 * (double)(T - t) / (double)T;
}

/* The pace of this sitting of a run, for progress lines: when it (re)started,
 * how many epochs were done then, when the last line was printed. */
typedef struct pace { double t0, done0, last; } pace;

static pace pace_start(size_t epoch0, size_t first, size_t N)
{
    double t = pb_seconds();
    return (pace){t, (double)(epoch0 - 1) + (double)first / (double)N, t};
}

/* "1h05m" / "4m10s" / "12s" */
static void fmt_duration(double sec, char *out, size_t cap)
{
    long s = (long)(sec + 0.5);
    if (s >= 3600) snprintf(out, cap, "%ldh%02ldm", s / 3600, s / 60 % 60);
    else if (s >= 60) snprintf(out, cap, "%ldm%02lds", s / 60, s % 60);
    else snprintf(out, cap, "%lds", s);
}

/* End of an epoch: the objective per sample, (epoch_loss + kl - [learned
 * mse noise] (N/2) log beta) / N; then the empirical-Bayes noise precision
 * beta <- N / sum r^2 (epoch_loss = beta sum 0.5 r^2); a non-finite
 * objective is an error naming the epoch; a progress line every tenth of
 * training and at least every 5 minutes, with the time taken and the time
 * left. */
static int end_epoch(pb_driver *d, double kl, const char *note, pace *p)
{
    const pb_train_opts *o = d->o;
    size_t epoch = d->epoch, N = d->N;
    double *beta = &d->c.noise_precision, *obj = &d->c.objective;
    *obj = (d->c.epoch_loss + kl - (d->learn_beta ? 0.5 * (double)N * log(*beta) : 0)) / (double)N;
    if (d->learn_beta) {
        double ss = 2 * d->c.epoch_loss / *beta;
        if (ss > 0) *beta = (double)N / ss;
    }
    if (!isfinite(*obj))
        return pb_error(PB_ERR_NUMERIC, "%s: training diverged at epoch %zu (objective %g)", o->label, epoch, *obj);
    double now = pb_seconds();
    if (o->progress &&
        (epoch == o->epochs || epoch % (o->epochs / 10 ? o->epochs / 10 : 1) == 0 || now - p->last >= 300)) {
        double per_epoch = (now - p->t0) / ((double)epoch - p->done0);
        char took[32], left[32];
        fmt_duration(now - p->t0, took, sizeof took);
        fmt_duration(per_epoch * (double)(o->epochs - epoch), left, sizeof left);
        fprintf(stderr, "%s: epoch %zu/%zu objective/N %.5f%s [%s, %s left]\n", o->label, epoch, o->epochs, *obj, note,
                took, left);
        p->last = now;
    }
    return PB_OK;
}

/* ---- checkpoints ---- */

/* The run's checkpoint (checkpoint.h) and the time of its last save. */
typedef struct resume {
    pb_ckpt ck;
    double last_save;
} resume;

/* Set up r for the run (key, named scalars and vectors, sample order,
 * generator) and load its checkpoint if there is one (*found). The
 * optimizer holds the initial values, which enter the key. */
static int resume_begin(resume *r, pb_driver *d, const pb_family_ops *F, void *f, size_t *perm, int *found)
{
    const pb_train_opts *o = d->o;
    const pb_data *train = d->data;
    memset(r, 0, sizeof *r);
    pb_ckpt *c = &r->ck;
    int len = snprintf(c->key, sizeof c->key,
                       "model=%s data=%s N=%zu d=%zu X=%016llx y=%016llx init=%016llx seed=%llu family=%s epochs=%zu "
                       "batch=%zu lr=%.17g lr_decay=%d noise=%d precision=%s",
                       d->m->spec, train->name, train->n, train->d,
                       (unsigned long long)pb_ckpt_hash(train->X, train->n * train->d),
                       (unsigned long long)pb_ckpt_hash(train->y, train->n * train->ydim),
                       (unsigned long long)pb_ckpt_hash(d->opt.x, d->opt.n), (unsigned long long)o->seed, F->name,
                       o->epochs, d->B, o->lr, o->lr_decay, o->fixed_noise, pb_precision_name(o->precision));
    size_t at = len > 0 && (size_t)len < sizeof c->key ? (size_t)len : sizeof c->key - 1;
    F->key(f, d, c->key + at, sizeof c->key - at);
    at = strlen(c->key);
    if (o->optimizer == PB_OPT_SGD && at < sizeof c->key) {  /* absent for Adam: existing keys unchanged */
        snprintf(c->key + at, sizeof c->key - at, " optimizer=sgd");
        at = strlen(c->key);
    }
    snprintf(c->key + at, sizeof c->key - at, " run=%s", o->checkpoint_key ? o->checkpoint_key : "");
    const pb_ckpt_scalar mine[] = {{"noise_precision", &d->c.noise_precision},
                                   {"epoch_loss", &d->c.epoch_loss},
                                   {"objective", &d->c.objective},
                                   {"updates", &d->c.updates}};
    size_t nm = sizeof mine / sizeof *mine;
    if (nm + F->n_carried > PB_CKPT_MAX_SCALARS)
        return pb_error(PB_ERR_ARG, "%s: family %s carries too many values for a checkpoint", o->label, F->name);
    memcpy(c->scalar, mine, sizeof mine);
    for (size_t i = 0; i < F->n_carried; i++)
        c->scalar[nm + i] = (pb_ckpt_scalar){F->carried[i].name, (double *)((char *)f + F->carried[i].offset)};
    c->n_scalars = nm + F->n_carried;
    c->n_vectors = 3;
    c->vector[0] = (pb_ckpt_vector){"values", d->opt.x, d->opt.n};
    c->vector[1] = (pb_ckpt_vector){"adam_m1", d->opt.m1, d->opt.n};
    c->vector[2] = (pb_ckpt_vector){"adam_m2", d->opt.m2, d->opt.n};
    c->perm = perm, c->n_perm = train->n;
    c->rng = d->rng;
    c->last_epoch = o->epochs;
    r->last_save = pb_seconds();
    int st = pb_ckpt_load(o->checkpoint, c, found);
    if (!st && *found)
        fprintf(stderr, "%s: resuming from %s at epoch %llu/%zu (%llu of %zu samples of it done)\n", o->label,
                o->checkpoint, (unsigned long long)c->epoch, o->epochs, (unsigned long long)c->next, train->n);
    return st;
}

static int resume_save(resume *r, const pb_train_opts *o, size_t epoch, size_t next, size_t t)
{
    r->ck.epoch = epoch, r->ck.next = next, r->ck.step = t;
    r->last_save = pb_seconds();
    return pb_ckpt_save(o->checkpoint, &r->ck);
}

/* After minibatch t (Adam steps in all): pause when asked to, saving the
 * state with the next minibatch at `next` of epoch `epoch`. */
static int maybe_pause(resume *r, const pb_train_opts *o, size_t epoch, size_t next, size_t t)
{
    if (!((o->stop_after_steps && t >= o->stop_after_steps) || (o->interrupt && *o->interrupt))) return PB_OK;
    if (!o->checkpoint)
        return pb_error(PB_PAUSED, "%s: stopped after %zu steps (no checkpoint)", o->label, t);
    int st = resume_save(r, o, epoch, next, t);
    if (st) return st;
    return pb_error(PB_PAUSED, "%s: paused at epoch %zu/%zu (%zu samples of it done, %zu steps in all); state saved to "
                    "%s: the same command resumes it", o->label, epoch, o->epochs, next, t, o->checkpoint);
}

/* After epoch `epoch` ended: save the state (at the start of the next epoch)
 * when it is due. */
static int maybe_save(resume *r, const pb_train_opts *o, size_t epoch, size_t t)
{
    if (!o->checkpoint || epoch >= o->epochs || pb_seconds() - r->last_save < o->checkpoint_seconds) return PB_OK;
    return resume_save(r, o, epoch + 1, 0, t);
}

/* ---- snapshots ---- */

/* After epoch `epoch`: hand the fit as it stands to o->snapshot when one is
 * due (every snapshot_every epochs, before the last). */
static int maybe_snapshot(pb_driver *d, const pb_family_ops *F, const void *f)
{
    const pb_train_opts *o = d->o;
    if (!o->snapshot || !o->snapshot_every || d->epoch >= o->epochs || d->epoch % o->snapshot_every) return PB_OK;
    pb_fit snap;
    int st = pb_fit_alloc(&snap, d->n);
    if (st) return st;
    st = F->to_fit(f, d, &snap);
    if (!st) st = o->snapshot(o->snapshot_ctx, &snap, d->epoch);
    pb_fit_free(&snap);
    return st;
}

/* ---- the loop ---- */

/* Copy the samples perm[start .. start+b) into the minibatch buffers. */
static void gather(const pb_data *d, const size_t *perm, size_t start, size_t b, double *Xb, double *yb)
{
    for (size_t i = 0; i < b; i++) {
        memcpy(Xb + i * d->d, d->X + perm[start + i] * d->d, d->d * sizeof *Xb);
        memcpy(yb + i * d->ydim, d->y + perm[start + i] * d->ydim, d->ydim * sizeof *yb);
    }
}

/* Epochs from epoch0 on, the first from sample `first` of its order. */
static int run_epochs(pb_driver *d, const pb_family_ops *F, void *f, resume *rs, size_t *perm, double *Xb, double *yb,
                      size_t epoch0, size_t first)
{
    const pb_train_opts *o = d->o;
    size_t N = d->N, B = d->B;
    pace pc = pace_start(epoch0, first, N);
    int st;
    d->X = Xb, d->y = yb;
    for (size_t epoch = epoch0; epoch <= o->epochs; epoch++) {
        size_t start = epoch == epoch0 ? first : 0;  /* a resumed epoch continues where it stopped */
        d->epoch = epoch;
        if (!start) {
            gsl_ran_shuffle(d->rng, perm, N, sizeof *perm);
            d->c.epoch_loss = 0;
        }
        for (size_t bi = start / B; start < N; start += B, bi++) {
            size_t b = N - start < B ? N - start : B;
            gather(d->data, perm, start, b, Xb, yb);
            d->b = b, d->bi = bi;
            double loss = 0;
            if ((st = F->loss(f, d, &loss))) return st;
            loss *= d->c.noise_precision;
            if (!isfinite(loss))
                return pb_error(PB_ERR_NUMERIC, "%s: training diverged at epoch %zu (minibatch loss %g); try a smaller "
                                "--lr", o->label, epoch, loss);
            d->c.epoch_loss += loss;
            d->scale = d->c.noise_precision / (double)b;
            d->t++;
            d->lr_t = step_size(o, d->t, d->T);
            d->lr_c = d->lr_t / (1 - pow(0.9, (double)d->t));
            d->c2 = 1 - pow(0.999, (double)d->t);
            if ((st = F->update(f, d))) return st;
            if ((st = maybe_pause(rs, o, epoch, start + b, d->t))) return st;
        }
        char note[64] = "";
        double kl = F->epoch_kl(f, note, sizeof note);
        if ((st = end_epoch(d, kl, note, &pc))) return st;
        if (o->on_epoch && (st = o->on_epoch(o->on_epoch_ctx, epoch, d->c.objective, kl / (double)N))) return st;
        if ((st = maybe_save(rs, o, epoch, d->t))) return st;
        if ((st = maybe_snapshot(d, F, f))) return st;
    }
    return PB_OK;
}

static int check_dims(const pb_model *m, const pb_data *train, const pb_train_opts *o)
{
    if (train->d != m->in_dim)
        return pb_error(PB_ERR_ARG, "%s: model %s takes %zu inputs per sample, data %s has %zu", o->label, m->spec,
                        m->in_dim, train->name, train->d);
    return PB_OK;
}

/* The P5 record at the end of the fit's settings (train.h p5_record). */
static int p5_record(const pb_driver *d, pb_fit *fit)
{
    const pb_train_opts *o = d->o;
    size_t len = strlen(fit->settings);
    snprintf(fit->settings + len, sizeof fit->settings - len, " updates=%.0f", d->c.updates);
    if (!o->evidence_samples || o->family != PB_FAMILY_GAUSS_DIAG) return PB_OK;
    double lgen, elogl, kl;
    int st = pb_train_evidence(d->m, d->data, fit->mean, fit->sd, fit->prior_mean, fit->prior_sd, o->kl_weight,
                               o->evidence_samples, o->seed ^ UINT64_C(0x65766964656e6365), &lgen, &elogl, &kl);
    if (st) return st;
    len = strlen(fit->settings);
    int w = snprintf(fit->settings + len, sizeof fit->settings - len, " lgen=%.10g elogl=%.10g kl=%.10g lgen_samples=%zu",
                     lgen, elogl, kl, o->evidence_samples);
    if (w < 0 || (size_t)w >= sizeof fit->settings - len)
        return pb_error(PB_ERR_ARG, "%s: the fit's settings are too long for the P5 record", o->label);
    return PB_OK;
}

int pb_train_family(const pb_family_ops *F, const pb_model *m, const pb_data *train, const pb_train_opts *o,
                    pb_fit *fit)
{
    size_t N = train->n, B = o->batch && o->batch < N ? o->batch : N;
    pb_driver d = {.m = m, .data = train, .o = o, .n = m->n_params, .N = N, .B = B};
    d.nb = (N + B - 1) / B, d.T = o->epochs * d.nb;
    d.learn_beta = m->head == PB_HEAD_MSE && !o->fixed_noise;
    d.c.noise_precision = 1.0;
    void *f = calloc(1, F->size);
    if (!f) return pb_error(PB_ERR_NOMEM, "%s: out of memory", o->label);
    size_t n_opt = 0;
    int st = F->open(f, &d, &n_opt);
    if (!st) st = check_dims(m, train, o);
    if (!st && o->precision == PB_PRECISION_F32) st = pb_model_require(m, PB_CAP_FLOAT32, "training in f32");
    if (st) {
        F->close(f);
        free(f);
        return st;
    }
    double *Xb = NULL, *yb = NULL, *opt = NULL, *start = NULL;
    size_t *perm = pb_calloc(N, sizeof *perm);
    d.rng = gsl_rng_alloc(gsl_rng_mt19937);
    d.ws = pb_model_ws_alloc_precision(m, B, o->precision);
    opt = pb_drv_block(3, (size_t[]){n_opt, n_opt, n_opt}, (double **const[]){&d.opt.x, &d.opt.m1, &d.opt.m2});
    double *batch = pb_drv_block(2, (size_t[]){B * train->d, B * train->ydim}, (double **const[]){&Xb, &yb});
    if (!perm || !d.rng || !d.ws || !opt || !batch) {
        st = pb_error(PB_ERR_NOMEM, "%s: out of memory", o->label);
        goto done;
    }
    d.opt.n = n_opt;
    pb_rng_seed(d.rng, o->seed);
    pb_model_init(m, d.opt.x, d.rng);  /* drawn even when replaced, so the later stream does not depend on init */
    if (o->init) memcpy(d.opt.x, o->init, d.n * sizeof *d.opt.x);
    /* the weights the run starts from, kept for the fit (fit.h: init) */
    if (!(start = pb_calloc(d.n ? d.n : 1, sizeof *start))) {
        st = pb_error(PB_ERR_NOMEM, "%s: out of memory", o->label);
        goto done;
    }
    memcpy(start, d.opt.x, d.n * sizeof *start);
    F->init(f, &d);
    for (size_t i = 0; i < N; i++) perm[i] = i;
    size_t epoch0 = 1, first = 0;
    resume rs;
    memset(&rs, 0, sizeof rs);
    int found = 0;
    if (o->checkpoint && (st = resume_begin(&rs, &d, F, f, perm, &found))) goto done;
    if (found) epoch0 = rs.ck.epoch, first = rs.ck.next, d.t = rs.ck.step;
    if ((st = run_epochs(&d, F, f, &rs, perm, Xb, yb, epoch0, first))) goto done;
    st = F->to_fit(f, &d, fit);
    if (!st && fit->n == d.n) {
        free(fit->init);
        fit->init = start;
        start = NULL;
    }
    if (!st && o->p5_record) st = p5_record(&d, fit);
done:
    free(start);
    F->close(f);
    free(f);
    free(opt);
    free(batch);
    free(perm);
    gsl_rng_free(d.rng);
    pb_model_ws_free(d.ws);
    return st;
}

/* The families, by pb_family. */
static const pb_family_ops *const FAMILIES[] = {
    [PB_FAMILY_POINT] = &pb_family_point_ops,
    [PB_FAMILY_GAUSS_DIAG] = &pb_family_gauss_ops,
    [PB_FAMILY_METHOD] = &pb_family_method_ops,
    [PB_FAMILY_GAUSS_SCALAR] = &pb_family_gauss_scalar_ops,
    [PB_FAMILY_HYPER] = &pb_family_hyper_ops,
};

int pb_train_model(const pb_model *m, const pb_data *train, const pb_train_opts *o, pb_fit *fit)
{
    if ((size_t)o->family >= sizeof FAMILIES / sizeof *FAMILIES || !FAMILIES[o->family])
        return pb_error(PB_ERR_ARG, "%s: unknown training family %d", o->label, (int)o->family);
    return pb_train_family(FAMILIES[o->family], m, train, o, fit);
}

int pb_train(const pb_mlp *mlp, const pb_data *train, const pb_train_opts *o, pb_fit *fit)
{
    pb_model *m;
    int st = pb_model_parse(mlp->spec, &m);
    if (st) return st;
    st = pb_train_model(m, train, o, fit);
    pb_model_free(m);
    return st;
}
