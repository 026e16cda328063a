/* train.c -- see train.h. */
#include "train/train.h"
#include "formats/checkpoint.h"
#include "base/vmath.h"
#include "base/util.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

void pb_train_opts_default(pb_train_opts *o)
{
    memset(o, 0, sizeof *o);
    o->family = PB_FAMILY_GAUSS_DIAG;
    o->epochs = 300;
    o->batch = 32;
    o->lr = 1e-2;
    o->init_sd = 0.5;
    o->label = "train";
}

double pb_kl_gauss_diag(size_t n, const double *m, const double *s, double mu, double sp,
                        double *dm, double *dr)
{
    double kl = 0, sp2 = sp * sp;
    for (size_t j = 0; j < n; j++) {
        double dev = m[j] - mu, s2 = s[j] * s[j];
        kl += log(sp / s[j]) + (s2 + dev * dev) / (2 * sp2) - 0.5;
        if (dm) dm[j] = dev / sp2;
        if (dr) dr[j] = -1 + s2 / sp2;
    }
    return kl;
}

void pb_prior_update(size_t n, const double *m, const double *s, int fix_mean, double *mu, double *sp)
{
    double mean = 0, v = 0;
    if (!fix_mean) {
        for (size_t j = 0; j < n; j++) mean += m[j];
        mean /= (double)n;
    }
    for (size_t j = 0; j < n; j++) v += (mean - m[j]) * (mean - m[j]) + s[j] * s[j];
    *mu = mean;
    *sp = sqrt(v / (double)n);
}

/* One Adam step on x with gradient g; t counts steps from 1 (vmath.h). */
static void adam_step(size_t n, double *x, const double *g, double *m1, double *m2, size_t t, double lr)
{
    pb_adam_update(n, x, g, m1, m2, lr / (1 - pow(0.9, (double)t)), 1 - pow(0.999, (double)t));
}

/* The prunable entries widx[0..np) (increasing) as runs of consecutive
 * parameters, and the parameters between them: segment i covers parameters
 * [j0, j0 + len), prunable (k0: the run's first index in widx) or not
 * (k0 = SIZE_MAX). Returns the number of segments (at most 2 np + 1). */
typedef struct seg { size_t j0, len, k0; } seg;
static size_t segments(size_t n, const size_t *widx, size_t np, seg *out)
{
    size_t ns = 0;
    for (size_t j = 0, k = 0; j < n;) {
        size_t len = 0;
        if (k < np && widx[k] == j) {
            while (k + len < np && widx[k + len] == j + len) len++;
            out[ns++] = (seg){j, len, k};
            k += len;
        } else {
            len = (k < np ? widx[k] : n) - j;
            out[ns++] = (seg){j, len, SIZE_MAX};
        }
        j += len;
    }
    return ns;
}

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

/* End of an epoch, for every family: the objective per sample, (epoch_nll +
 * kl - [learned mse noise] (N/2) log beta) / N, with the epoch's summed
 * minibatch losses; then the empirical-Bayes noise precision
 * beta <- N / sum r^2 (epoch_nll = beta sum 0.5 r^2); a non-finite objective
 * is an error naming the epoch; a progress line every tenth of training and
 * at least every 5 minutes, with the time taken and the time left. */
static int end_epoch(const pb_train_opts *o, size_t epoch, size_t N, double epoch_nll, double kl, int learn_beta,
                     double *beta, double *obj, const char *note, pace *p)
{
    *obj = (epoch_nll + kl - (learn_beta ? 0.5 * (double)N * log(*beta) : 0)) / (double)N;
    if (learn_beta) {
        double ss = 2 * epoch_nll / *beta;
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

/* Resuming (checkpoint.h): the run's key, its saved state and the time of
 * the last save. Both training loops keep the same things in it: the
 * optimizer vectors (theta, m1, m2), the sample order, the generator, and
 * their own scalars (the first two are always the noise precision and the
 * epoch's summed loss so far). */
typedef struct resume {
    pb_ckpt ck;
    double last_save;
} resume;

/* Set up r for the run and load its checkpoint if there is one (*found).
 * theta holds the initial values (nt of them), which enter the key. */
static int resume_begin(resume *r, const pb_model *m, const pb_data *train, const pb_train_opts *o, size_t B,
                        double *theta, double *m1, double *m2, size_t nt, size_t *perm, gsl_rng *rng,
                        size_t n_scalars, int *found)
{
    const pb_training *tr = o->family == PB_FAMILY_METHOD ? o->training : NULL;
    memset(r, 0, sizeof *r);
    snprintf(r->ck.key, sizeof r->ck.key,
             "model=%s data=%s N=%zu d=%zu X=%016llx y=%016llx init=%016llx seed=%llu family=%d/%s epochs=%zu "
             "batch=%zu lr=%.17g lr_decay=%d init_sd=%.17g prior_mean=%d noise=%d weight_decay=%.17g dropout=%.17g "
             "init_log_sigma2=%.17g group_variables=%d lrt=%d method=%s",
             m->spec, train->name, train->n, train->d,
             (unsigned long long)pb_ckpt_hash(train->X, train->n * train->d),
             (unsigned long long)pb_ckpt_hash(train->y, train->n * train->ydim),
             (unsigned long long)pb_ckpt_hash(theta, nt), (unsigned long long)o->seed, (int)o->family,
             tr ? tr->family : "", o->epochs, B, o->lr, o->lr_decay, o->init_sd, o->fix_prior_mean, o->fixed_noise,
             o->weight_decay, o->dropout, tr ? tr->init_log_sigma2 : 0.0, tr ? tr->group_variables : 0,
             tr ? tr->local_reparameterization : 0, o->checkpoint_key ? o->checkpoint_key : "");
    r->ck.n_scalars = n_scalars;
    r->ck.n_vectors = 3;
    r->ck.vector[0] = theta, r->ck.vector[1] = m1, r->ck.vector[2] = m2;
    r->ck.vector_len[0] = r->ck.vector_len[1] = r->ck.vector_len[2] = nt;
    r->ck.perm = perm, r->ck.n_perm = train->n;
    r->ck.rng = rng;
    r->last_save = pb_seconds();
    int st = pb_ckpt_load(o->checkpoint, &r->ck, found);
    if (!st && *found)
        fprintf(stderr, "%s: resuming from %s at epoch %llu/%zu (%llu of %zu samples of it done)\n", o->label,
                o->checkpoint, (unsigned long long)r->ck.epoch, o->epochs, (unsigned long long)r->ck.next, train->n);
    return st;
}

static int resume_save(resume *r, const pb_train_opts *o, size_t epoch, size_t next, size_t t, const double *scalars)
{
    r->ck.epoch = epoch, r->ck.next = next, r->ck.step = t;
    memcpy(r->ck.scalar, scalars, r->ck.n_scalars * sizeof *scalars);
    r->last_save = pb_seconds();
    return pb_ckpt_save(o->checkpoint, &r->ck);
}

/* After minibatch t (Adam steps in all): pause when asked to, saving the
 * state with the next minibatch at `next` of epoch `epoch`. */
static int maybe_pause(resume *r, const pb_train_opts *o, size_t epoch, size_t next, size_t t, const double *scalars)
{
    if (!o->checkpoint || !((o->stop_after_steps && t >= o->stop_after_steps) || (o->interrupt && *o->interrupt)))
        return PB_OK;
    int st = resume_save(r, o, epoch, next, t, scalars);
    if (st) return st;
    return pb_error(PB_PAUSED, "%s: paused at epoch %zu/%zu (%zu samples of it done, %zu steps in all); state saved to "
                    "%s: the same command resumes it", o->label, epoch, o->epochs, next, t, o->checkpoint);
}

/* After epoch `epoch` ended: save the state (at the start of the next epoch)
 * when it is due. */
static int maybe_save(resume *r, const pb_train_opts *o, size_t epoch, size_t t, const double *scalars)
{
    if (!o->checkpoint || epoch >= o->epochs || pb_seconds() - r->last_save < o->checkpoint_seconds) return PB_OK;
    return resume_save(r, o, epoch + 1, 0, t, scalars);
}

/* Per-sample group multipliers Z (b x nv): dropout masks of the input and
 * hidden groups (Bernoulli(1 - p) / (1 - p)), 1 for every other group. */
static void dropout_masks(const pb_model *m, double p, size_t b, gsl_rng *rng, double *Z)
{
    size_t nv = m->n_variable_groups;
    for (size_t i = 0; i < b; i++)
        for (size_t k = 0; k < nv; k++) {
            pb_group_kind kind = m->groups[m->variable_group[k]].kind;
            int drops = kind == PB_GROUP_INPUT_NEURON || kind == PB_GROUP_HIDDEN_NEURON;
            Z[i * nv + k] = !drops ? 1.0 : gsl_rng_uniform(rng) < p ? 0.0 : 1.0 / (1.0 - p);
        }
}

/* Copy the samples perm[start .. start+b) into the minibatch buffers. */
static void gather(const pb_data *d, const size_t *perm, size_t start, size_t b, double *Xb, double *yb)
{
    for (size_t i = 0; i < b; i++) {
        memcpy(Xb + i * d->d, d->X + perm[start + i] * d->d, d->d * sizeof *Xb);
        memcpy(yb + i * d->ydim, d->y + perm[start + i] * d->ydim, d->ydim * sizeof *yb);
    }
}

static int check_dims(const pb_model *m, const pb_data *train, const pb_train_opts *o)
{
    if (train->d != m->in_dim)
        return pb_error(PB_ERR_ARG, "%s: model %s takes %zu inputs per sample, data %s has %zu", o->label, m->spec,
                        m->in_dim, train->name, train->d);
    return PB_OK;
}

/* What a method-family fit records besides the optimized vector. */
typedef struct fit_shape { size_t B; int lrt, learn_beta; } fit_shape;

/* The fit of a method's family from its optimized vector theta = (n
 * parameters | np log sigma^2 | nv theta_z | nv log sigma_z^2): the
 * effective weights (each group member times its groups' theta_z, sd
 * likewise, so sd/|mean| is unchanged) and the group variables. fit is
 * allocated for n parameters and has no groups yet. */
static int method_fit(const pb_model *m, const pb_train_opts *o, const fit_shape *fs, const double *theta,
                      const size_t *widx, size_t np, size_t nv, double obj, double beta, pb_fit *fit)
{
    const pb_training *tr = o->training;
    size_t n = m->n_params;
    const double *lz = theta + n, *tz = theta + n + np, *lsz = tz + nv;
    memcpy(fit->mean, theta, n * sizeof *theta);
    memset(fit->sd, 0, n * sizeof *fit->sd);
    for (size_t k = 0; k < np; k++) fit->sd[widx[k]] = exp(0.5 * lz[k]);
    if (nv) {
        int st = pb_fit_alloc_groups(fit, nv);
        if (st) return st;
        for (size_t k = 0; k < nv; k++) {
            const pb_group *G = &m->groups[m->variable_group[k]];
            for (size_t q = 0; q < G->n_members; q++) {
                fit->mean[G->members[q]] *= tz[k];
                fit->sd[G->members[q]] *= fabs(tz[k]);
            }
            fit->group_mean[k] = tz[k];
            fit->group_sd[k] = exp(0.5 * lsz[k]);
        }
    }
    fit->prior_mean = 0;
    fit->prior_sd = 0;  /* not a Gaussian prior: the Laplace services refuse this fit */
    fit->final_objective = obj;
    fit->noise_precision = beta;
    snprintf(fit->family, sizeof fit->family, "%s", tr->family);
    snprintf(fit->settings, sizeof fit->settings,
             "family=%s epochs=%zu batch=%zu optimizer=adam lr=%g lr_decay=%s init_log_sigma2=%g local_reparam=%d "
             "group_variables=%zu noise=%s",
             tr->family, o->epochs, fs->B, o->lr, o->lr_decay ? "linear-second-half" : "none", tr->init_log_sigma2,
             fs->lrt, nv, m->head != PB_HEAD_MSE ? "none" : fs->learn_beta ? "empirical-bayes" : "fixed1");
    return PB_OK;
}

/* The base family's (point or Gaussian) fit from theta = (means | log sd). */
static void base_fit(const pb_model *m, const pb_train_opts *o, const fit_shape *fs, int var, const double *theta,
                     double mu, double sp, double obj, double beta, pb_fit *fit)
{
    size_t n = m->n_params;
    memcpy(fit->mean, theta, n * sizeof *theta);
    for (size_t j = 0; j < n; j++) fit->sd[j] = var ? exp(theta[n + j]) : 0;
    fit->prior_mean = var ? mu : 0;
    fit->prior_sd = var ? sp : 0;
    fit->final_objective = obj;
    fit->noise_precision = beta;
    snprintf(fit->family, sizeof fit->family, "%s", var ? "gauss-diag" : "point");
    snprintf(fit->settings, sizeof fit->settings,
             "family=%s epochs=%zu batch=%zu optimizer=adam lr=%g lr_decay=%s init_sd=%g prior_mean=%s weight_decay=%g "
             "dropout=%g noise=%s",
             fit->family, o->epochs, fs->B, o->lr, o->lr_decay ? "linear-second-half" : "none", var ? o->init_sd : 0.0,
             var ? (o->fix_prior_mean ? "fixed0" : "empirical-bayes") : "none", var ? 0.0 : o->weight_decay,
             o->dropout, m->head != PB_HEAD_MSE ? "none" : fs->learn_beta ? "empirical-bayes" : "fixed1");
}

/* After epoch `epoch`: is a snapshot of the fit due (every snapshot_every
 * epochs, before the last)? */
static int snapshot_due(const pb_train_opts *o, size_t epoch)
{
    return o->snapshot && o->snapshot_every && epoch < o->epochs && epoch % o->snapshot_every == 0;
}

/* Hand the snapshot to o->snapshot, then free it. */
static int snapshot_send(const pb_train_opts *o, size_t epoch, pb_fit *snap)
{
    int st = o->snapshot(o->snapshot_ctx, snap, epoch);
    pb_fit_free(snap);
    return st;
}

/* Training with a method's own variational family (see train.h). The
 * optimized vector is (all n parameters | log sigma^2 of the np weight
 * entries | theta_z of the nv group variables | their log sigma^2), Adam on
 * all of it. */
static int train_method(const pb_model *m, const pb_data *train, const pb_train_opts *o, pb_fit *fit)
{
    const pb_training *tr = o->training;
    size_t n = m->n_params, N = train->n, d = train->d, ys = train->ydim;
    size_t B = o->batch && o->batch < N ? o->batch : N;
    int learn_beta = m->head == PB_HEAD_MSE && !o->fixed_noise, lrt = tr->local_reparameterization;
    double beta = 1.0;  /* noise precision of an mse head */
    size_t nv = tr->group_variables ? m->n_variable_groups : 0;
    if (tr->group_variables && !nv)
        return pb_error(PB_ERR_ARG, "%s: the method trains group variables but model %s has no variable groups", o->label,
                        m->spec);
    int st = check_dims(m, train, o);
    if (st) return st;
    unsigned char *mask = pb_calloc(n, 1);
    if (!mask) return pb_error(PB_ERR_NOMEM, "%s: out of memory", o->label);
    size_t np = pb_model_prunable(m, 0, mask), nt = n + np + 2 * nv;
    size_t *widx = pb_calloc(np, sizeof *widx);
    seg *sg = pb_calloc(2 * np + 1, sizeof *sg);
    double *theta = pb_calloc(nt, sizeof(double)), *g = pb_calloc(nt, sizeof(double));
    double *m1 = pb_calloc(nt, sizeof(double)), *m2 = pb_calloc(nt, sizeof(double));
    double *sigma2 = pb_calloc(n, sizeof(double)), *w = pb_calloc(n, sizeof(double));
    double *gt = pb_calloc(n, sizeof(double)), *gs = pb_calloc(n, sizeof(double)), *eps = pb_calloc(n, sizeof(double));
    double *tw = pb_calloc(np, sizeof(double)), *dkt = pb_calloc(np + nv, sizeof(double)), *dkr = pb_calloc(np + nv, sizeof(double));
    double *Z = nv ? pb_calloc(B * nv, sizeof(double)) : NULL, *dZ = nv ? pb_calloc(B * nv, sizeof(double)) : NULL;
    double *ez = nv ? pb_calloc(B * nv, sizeof(double)) : NULL, *sz = nv ? pb_calloc(nv, sizeof(double)) : NULL;
    double *Xb = pb_calloc(B * d, sizeof(double)), *yb = pb_calloc(B * ys, sizeof(double));
    size_t *perm = pb_calloc(N, sizeof(size_t));
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    pb_model_ws *ws = pb_model_ws_alloc(m, B);
    if (!widx || !sg || !theta || !g || !m1 || !m2 || !sigma2 || !w || !gt || !gs || !eps || !tw || !dkt || !dkr || !Xb ||
        !yb || !perm || !rng || !ws || (nv && (!Z || !dZ || !ez || !sz))) {
        st = pb_error(PB_ERR_NOMEM, "%s: out of memory", o->label);
        goto done;
    }
    for (size_t j = 0, k = 0; j < n; j++)
        if (mask[j]) widx[k++] = j;
    size_t nseg = segments(n, widx, np, sg);
    double *lz = theta + n, *tz = theta + n + np, *lsz = tz + nv;  /* log sigma^2 of weights; group theta, log sigma^2 */
    pb_rng_seed(rng, o->seed);
    pb_model_init(m, theta, rng);
    if (o->init) memcpy(theta, o->init, n * sizeof *theta);
    for (size_t k = 0; k < np; k++) lz[k] = tr->init_log_sigma2;
    for (size_t k = 0; k < nv; k++) tz[k] = 1.0, lsz[k] = tr->init_log_sigma2;
    for (size_t i = 0; i < N; i++) perm[i] = i;
    size_t nb = (N + B - 1) / B, T = o->epochs * nb, t = 0, epoch0 = 1, first = 0;
    double obj = 0, kl = 0, beta_kl = 0, epoch_nll = 0;
    fit_shape fs = {B, lrt, learn_beta};
    resume rs;
    int found = 0;
    if (o->checkpoint && (st = resume_begin(&rs, m, train, o, B, theta, m1, m2, nt, perm, rng, 5, &found))) goto done;
    if (found) {
        epoch0 = rs.ck.epoch, first = rs.ck.next, t = rs.ck.step;
        beta = rs.ck.scalar[0], epoch_nll = rs.ck.scalar[1], obj = rs.ck.scalar[2], kl = rs.ck.scalar[3];
        beta_kl = rs.ck.scalar[4];
    }
    pace pc = pace_start(epoch0, first, N);
    for (size_t epoch = epoch0; epoch <= o->epochs; epoch++) {
        size_t start = epoch == epoch0 ? first : 0;  /* a resumed epoch continues where it stopped */
        if (!start) {
            gsl_ran_shuffle(rng, perm, N, sizeof *perm);
            epoch_nll = 0;
        }
        for (size_t bi = start / B; start < N; start += B, bi++) {
            size_t b = N - start < B ? N - start : B;
            gather(train, perm, start, b, Xb, yb);
            for (size_t i = 0; i < nseg; i++)  /* sigma^2 = exp(log sigma^2), run by run */
                if (sg[i].k0 != SIZE_MAX) pb_vexp(sg[i].len, lz + sg[i].k0, sigma2 + sg[i].j0);
            for (size_t k = 0; k < nv; k++) sz[k] = exp(0.5 * lsz[k]);
            for (size_t i = 0; i < b; i++)  /* z = theta_z + sigma_z eps, eps per sample */
                for (size_t k = 0; k < nv; k++) {
                    ez[i * nv + k] = gsl_ran_gaussian_ziggurat(rng, 1.0);
                    Z[i * nv + k] = tz[k] + sz[k] * ez[i * nv + k];
                }
            double loss = 0;
            if (lrt) {
                st = pb_model_lrt_loss_grad(m, ws, theta, sigma2, Xb, yb, b, Z, dZ, rng, &loss, gt, gs);
            } else {
                /* no local reparameterization: one sample of all weights, shared by the minibatch */
                memcpy(w, theta, n * sizeof *w);
                for (size_t k = 0; k < np; k++) {
                    size_t j = widx[k];
                    eps[j] = gsl_ran_gaussian_ziggurat(rng, 1.0);
                    w[j] += sqrt(sigma2[j]) * eps[j];
                }
                st = pb_model_loss_grad(m, ws, w, Xb, yb, b, Z, dZ, &loss, gt);
                /* d/dsigma^2 of w = theta + sigma eps is eps / (2 sigma) */
                for (size_t k = 0; k < np; k++) {
                    size_t j = widx[k];
                    gs[j] = gt[j] * eps[j] / (2 * sqrt(sigma2[j]));
                }
            }
            if (st) goto done;
            loss *= beta;
            if (!isfinite(loss)) {
                st = pb_error(PB_ERR_NUMERIC, "%s: training diverged at epoch %zu (minibatch loss %g); try a smaller --lr",
                              o->label, epoch, loss);
                goto done;
            }
            epoch_nll += loss;
            for (size_t i = 0; i < nseg; i++)
                if (sg[i].k0 != SIZE_MAX) memcpy(tw + sg[i].k0, theta + sg[i].j0, sg[i].len * sizeof *tw);
            kl = tr->kl(o->training_state, np, tw, lz, dkt, dkr);
            if (nv) kl += tr->kl(o->training_state, nv, tz, lsz, dkt + np, dkr + np);
            if (!isfinite(kl)) {
                st = pb_error(PB_ERR_NUMERIC, "%s: the method's KL term is %g at epoch %zu", o->label, kl, epoch);
                goto done;
            }
            double done = (double)(epoch - 1) + (double)bi / (double)nb, E = (double)o->epochs;
            beta_kl = tr->kl_weight_epochs ? tr->kl_weight_epochs(o->training_state, done, E)
                      : tr->kl_weight  ? tr->kl_weight(o->training_state, done / E)
                                       : 1.0;
            double scale = beta / (double)b, kscale = beta_kl / (double)N;
            for (size_t k = 0; k < nv; k++) {
                /* dz/dtheta_z = 1, dz/dlog sigma_z^2 = sigma_z eps / 2, summed over the samples */
                double a = 0, c = 0;
                for (size_t i = 0; i < b; i++) a += dZ[i * nv + k], c += dZ[i * nv + k] * ez[i * nv + k];
                g[n + np + k] = scale * a + kscale * dkt[np + k];
                g[n + np + nv + k] = scale * c * 0.5 * sz[k] + kscale * dkr[np + k];
            }
            t++;
            /* Adam, each gradient assembled in the same pass (vmath.h):
             *   other parameters: g = scale gt
             *   prunable:         g = scale gt + kscale dkt
             *   log sigma^2:      g = scale gs .* sigma^2 + kscale dkr   (d/dlog s2 = s2 d/ds2) */
            double lr_c = step_size(o, t, T) / (1 - pow(0.9, (double)t)), c2 = 1 - pow(0.999, (double)t);
            for (size_t i = 0; i < nseg; i++) {
                size_t j0 = sg[i].j0, len = sg[i].len, k0 = sg[i].k0;
                if (k0 == SIZE_MAX) {
                    pb_adam_update_lin(len, theta + j0, m1 + j0, m2 + j0, lr_c, c2, scale, gt + j0, NULL, 0, NULL);
                    continue;
                }
                pb_adam_update_lin(len, theta + j0, m1 + j0, m2 + j0, lr_c, c2, scale, gt + j0, NULL, kscale, dkt + k0);
                pb_adam_update_lin(len, lz + k0, m1 + n + k0, m2 + n + k0, lr_c, c2, scale, gs + j0, sigma2 + j0, kscale,
                                   dkr + k0);
            }
            if (nv) pb_adam_update(2 * nv, tz, g + n + np, m1 + n + np, m2 + n + np, lr_c, c2);
            double carried[5] = {beta, epoch_nll, obj, kl, beta_kl};
            if ((st = maybe_pause(&rs, o, epoch, start + b, t, carried))) goto done;
        }
        char note[64];
        snprintf(note, sizeof note, " (KL weight %.3f)", beta_kl);
        if ((st = end_epoch(o, epoch, N, epoch_nll, beta_kl * kl, learn_beta, &beta, &obj, note, &pc))) goto done;
        double carried[5] = {beta, 0, obj, kl, beta_kl};
        if ((st = maybe_save(&rs, o, epoch, t, carried))) goto done;
        if (snapshot_due(o, epoch)) {
            pb_fit snap;
            if ((st = pb_fit_alloc(&snap, n))) goto done;
            if ((st = method_fit(m, o, &fs, theta, widx, np, nv, obj, beta, &snap))) {
                pb_fit_free(&snap);
                goto done;
            }
            if ((st = snapshot_send(o, epoch, &snap))) goto done;
        }
    }
    st = method_fit(m, o, &fs, theta, widx, np, nv, obj, beta, fit);
done:
    free(mask); free(widx); free(sg); free(theta); free(g); free(m1); free(m2); free(sigma2); free(w); free(gt); free(gs);
    free(eps); free(tw); free(dkt); free(dkr); free(Z); free(dZ); free(ez); free(sz); free(Xb); free(yb); free(perm);
    gsl_rng_free(rng);
    pb_model_ws_free(ws);
    return st;
}

int pb_train_model(const pb_model *m, const pb_data *train, const pb_train_opts *o, pb_fit *fit)
{
    if (o->family == PB_FAMILY_METHOD) {
        if (!o->training || !o->training->kl)
            return pb_error(PB_ERR_ARG, "%s: method family without a KL term", o->label);
        return train_method(m, train, o, fit);
    }
    size_t n = m->n_params, N = train->n, d = train->d, ys = train->ydim;
    size_t B = o->batch && o->batch < N ? o->batch : N;
    int var = o->family == PB_FAMILY_GAUSS_DIAG;
    int learn_beta = m->head == PB_HEAD_MSE && !o->fixed_noise;
    double beta = 1.0;  /* noise precision of an mse head */
    size_t nv = o->dropout > 0 ? m->n_variable_groups : 0;
    if (o->dropout > 0 && (var || !pb_model_has(m, PB_CAP_GROUP_LOSS) || !(o->dropout < 1)))
        return pb_error(PB_ERR_ARG, "%s: dropout (%g) needs point training, p < 1 and a model with group multipliers in "
                                    "its point loss", o->label, o->dropout);
    int st = check_dims(m, train, o);
    if (st) return st;
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    pb_model_ws *ws = pb_model_ws_alloc(m, B);
    /* theta = (m, r): 2n for variational, n for point */
    size_t np = var ? 2 * n : n;
    double *theta = pb_calloc(np, sizeof(double)), *g = pb_calloc(np, sizeof(double));
    double *m1 = pb_calloc(np, sizeof(double)), *m2 = pb_calloc(np, sizeof(double));
    double *w = pb_calloc(n, sizeof(double)), *gw = pb_calloc(n, sizeof(double));
    double *eps = pb_calloc(n, sizeof(double)), *s = pb_calloc(n, sizeof(double));
    double *dkm = pb_calloc(n, sizeof(double)), *dkr = pb_calloc(n, sizeof(double));
    double *Xb = pb_calloc(B * d, sizeof(double)), *yb = pb_calloc(B * ys, sizeof(double));
    double *Z = nv ? pb_calloc(B * nv, sizeof(double)) : NULL;
    size_t *perm = pb_calloc(N, sizeof(size_t));
    if (!rng || !ws || !theta || !g || !m1 || !m2 || !w || !gw || !eps || !s || !dkm || !dkr || !Xb || !yb || !perm ||
        (nv && !Z)) {
        st = pb_error(PB_ERR_NOMEM, "%s: out of memory", o->label);
        goto done;
    }
    pb_rng_seed(rng, o->seed);
    pb_model_init(m, theta, rng);  /* drawn even when replaced, so the later stream does not depend on init */
    if (o->init) memcpy(theta, o->init, n * sizeof *theta);
    double mu = 0, sp = 1, r0 = log(o->init_sd > 0 ? o->init_sd : 0.5);
    if (var) {
        for (size_t j = 0; j < n; j++) theta[n + j] = r0, s[j] = exp(r0);
        pb_prior_update(n, theta, s, o->fix_prior_mean, &mu, &sp);
    }
    for (size_t i = 0; i < N; i++) perm[i] = i;
    size_t t = 0, epoch0 = 1, first = 0;
    double obj = 0, epoch_nll = 0, kl = 0;
    fit_shape fs = {B, 0, learn_beta};
    resume rs;
    int found = 0;
    if (o->checkpoint && (st = resume_begin(&rs, m, train, o, B, theta, m1, m2, np, perm, rng, 6, &found))) goto done;
    if (found) {
        epoch0 = rs.ck.epoch, first = rs.ck.next, t = rs.ck.step;
        beta = rs.ck.scalar[0], epoch_nll = rs.ck.scalar[1], obj = rs.ck.scalar[2], kl = rs.ck.scalar[3];
        mu = rs.ck.scalar[4], sp = rs.ck.scalar[5];
    }
    pace pc = pace_start(epoch0, first, N);
    for (size_t epoch = epoch0; epoch <= o->epochs; epoch++) {
        size_t start = epoch == epoch0 ? first : 0;  /* a resumed epoch continues where it stopped */
        if (!start) {
            gsl_ran_shuffle(rng, perm, N, sizeof *perm);
            epoch_nll = 0, kl = 0;
        }
        for (; start < N; start += B) {
            size_t b = N - start < B ? N - start : B;
            gather(train, perm, start, b, Xb, yb);
            double loss;
            if (var) {
                pb_vexp(n, theta + n, s);
                for (size_t j = 0; j < n; j++) {
                    eps[j] = gsl_ran_gaussian_ziggurat(rng, 1.0);
                    w[j] = theta[j] + s[j] * eps[j];
                }
            } else {
                memcpy(w, theta, n * sizeof *w);
            }
            if (nv) dropout_masks(m, o->dropout, b, rng, Z);
            if ((st = pb_model_loss_grad(m, ws, w, Xb, yb, b, Z, NULL, &loss, gw))) goto done;
            loss *= beta;
            if (!isfinite(loss)) {
                st = pb_error(PB_ERR_NUMERIC, "%s: training diverged at epoch %zu (minibatch loss %g); "
                              "try a smaller --lr", o->label, epoch, loss);
                goto done;
            }
            epoch_nll += loss;
            /* gradients of F / N */
            double scale = beta / (double)b;
            if (var) {
                kl = pb_kl_gauss_diag(n, theta, s, mu, sp, dkm, dkr);
                for (size_t j = 0; j < n; j++) {
                    g[j] = scale * gw[j] + dkm[j] / (double)N;
                    g[n + j] = scale * gw[j] * eps[j] * s[j] + dkr[j] / (double)N;
                }
            } else {
                for (size_t j = 0; j < n; j++) g[j] = scale * gw[j] + o->weight_decay * theta[j];
            }
            t++;
            adam_step(np, theta, g, m1, m2, t, step_size(o, t, o->epochs * ((N + B - 1) / B)));
            if (var) {
                pb_vexp(n, theta + n, s);
                pb_prior_update(n, theta, s, o->fix_prior_mean, &mu, &sp);
            }
            double carried[6] = {beta, epoch_nll, obj, kl, mu, sp};
            if ((st = maybe_pause(&rs, o, epoch, start + b, t, carried))) goto done;
        }
        if ((st = end_epoch(o, epoch, N, epoch_nll, kl, learn_beta, &beta, &obj, var ? "" : " (point)", &pc)))
            goto done;
        double carried[6] = {beta, 0, obj, kl, mu, sp};
        if ((st = maybe_save(&rs, o, epoch, t, carried))) goto done;
        if (snapshot_due(o, epoch)) {
            pb_fit snap;
            if ((st = pb_fit_alloc(&snap, n))) goto done;
            base_fit(m, o, &fs, var, theta, mu, sp, obj, beta, &snap);
            if ((st = snapshot_send(o, epoch, &snap))) goto done;
        }
    }
    base_fit(m, o, &fs, var, theta, mu, sp, obj, beta, fit);
done:
    gsl_rng_free(rng);
    pb_model_ws_free(ws);
    free(theta); free(g); free(m1); free(m2); free(w); free(gw); free(eps); free(s);
    free(dkm); free(dkr); free(Xb); free(yb); free(Z); free(perm);
    return st;
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
