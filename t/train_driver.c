/* train_driver.c -- the training driver (train/driver.h) with a family
 * written here, which shows a family is one table of hooks:
 *   1. the hooks run in the documented order, once per minibatch (sizes
 *      5, 5, 2 of 12 samples), epoch_kl once per epoch; the driver hands
 *      update the step's scale beta/b and Adam's lr_c and c2 of step t;
 *   2. a paused and resumed run gives the same values as an uninterrupted
 *      one, and the family's carried scalar comes back by name;
 *   3. a non-finite minibatch loss from the family stops training with an
 *      error naming the cell and the epoch;
 *   4. a family whose open fails: its error, and close still runs. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tap.h"
#include "blobs.h"
#include "base/util.h"
#include "train/driver.h"

/* The toy family: minimize (1/N) sum_i 0.5 |w - x_i~|^2 over the model's n
 * values (x_i~: sample i's inputs repeated to length n). */
typedef struct toy {
    struct { double calls; } carried;  /* loss calls over the whole run (resumed runs included) */
    double *g;
} toy;

/* What the test reads after a run (the driver frees the family's struct):
 * the hooks called ("L<b>" loss, "U<t>" update, "E" epoch_kl), whether
 * update saw the step's scale, lr_c and c2; and the test's switches. */
static char trace[512];
static int order_ok, fail_open, nan_at_epoch, closed;

static void note_call(const char *fmt, size_t x)
{
    size_t len = strlen(trace);
    snprintf(trace + len, sizeof trace - len, fmt, x);
}

static int toy_open(void *fp, const pb_driver *d, size_t *n_opt)
{
    toy *f = fp;
    trace[0] = '\0', order_ok = 1;
    if (fail_open) return pb_error(PB_ERR_ARG, "%s: toy family refuses", d->o->label);
    f->g = calloc(d->n, sizeof *f->g);
    *n_opt = d->n;
    return f->g ? PB_OK : PB_ERR_NOMEM;
}

static void toy_key(const void *fp, const pb_driver *d, char *out, size_t cap)
{
    (void)fp, (void)d;
    snprintf(out, cap, " toy=1");
}

static void toy_init(void *fp, pb_driver *d)
{
    (void)fp;
    for (size_t j = 0; j < d->n; j++) d->opt.x[j] = 0.5;
}

static int toy_loss(void *fp, pb_driver *d, double *loss)
{
    toy *f = fp;
    size_t n = d->n, dim = d->data->d;
    note_call("L%zu ", d->b);
    f->carried.calls += 1;
    double s = 0;
    for (size_t j = 0; j < n; j++) f->g[j] = 0;
    for (size_t i = 0; i < d->b; i++)
        for (size_t j = 0; j < n; j++) {
            double r = d->opt.x[j] - d->X[i * dim + j % dim];
            s += 0.5 * r * r;
            f->g[j] += r;
        }
    *loss = (int)d->epoch == nan_at_epoch && d->bi == 1 ? NAN : s;
    return PB_OK;
}

static int toy_update(void *fp, pb_driver *d)
{
    toy *f = fp;
    note_call("U%zu ", d->t);
    double t = (double)d->t;
    if (d->scale != d->c.noise_precision / (double)d->b || d->lr_c != d->o->lr / (1 - pow(0.9, t)) ||
        d->c2 != 1 - pow(0.999, t))
        order_ok = 0;
    pb_drv_adam_lin(d, 0, d->n, d->scale, f->g, NULL, 0, NULL);
    return PB_OK;
}

static double toy_epoch_kl(const void *fp, char *note, size_t cap)
{
    (void)fp;
    note_call("E ", 0);
    snprintf(note, cap, " (toy)");
    return 0;
}

static int toy_to_fit(const void *fp, const pb_driver *d, pb_fit *fit)
{
    const toy *f = fp;
    memcpy(fit->mean, d->opt.x, d->n * sizeof(double));
    fit->prior_mean = f->carried.calls;
    fit->final_objective = d->c.objective;
    fit->noise_precision = d->c.noise_precision;
    pb_drv_settings(d, fit, "toy", "toy=1");
    return PB_OK;
}

static void toy_close(void *fp)
{
    free(((toy *)fp)->g);
    closed++;
}

static const pb_carried_field toy_fields[] = {{"calls", offsetof(toy, carried.calls)}};
static const pb_family_ops toy_ops = {"toy", sizeof(toy), toy_open, toy_key, toy_init, toy_loss, toy_update,
                                      toy_epoch_kl, toy_to_fit, toy_close, toy_fields, 1};

int main(void)
{
    plan(7);
    static char dir[] = "/tmp/pb-driver-XXXXXX";
    TAP_REQUIRE(mkdtemp(dir) != NULL);
    char ckpt[256], err[256];
    snprintf(ckpt, sizeof ckpt, "%s/toy.ckpt", dir);
    snprintf(err, sizeof err, "%s/stderr.txt", dir);
    TAP_REQUIRE(freopen(err, "w", stderr) != NULL);
    pb_model *m;
    TAP_REQUIRE(pb_model_parse("mlp:2-1:identity:mse", &m) == 0);
    pb_data d;
    tu_blobs(&d, "toy", 4, 0, 3);  /* 12 samples */
    pb_train_opts o;
    pb_train_opts_default(&o);
    o.epochs = 2, o.batch = 5, o.lr = 0.1, o.seed = 9, o.label = "toy-cell";
    pb_fit ref, f;
    TAP_REQUIRE(pb_fit_alloc(&ref, m->n_params) == 0 && pb_fit_alloc(&f, m->n_params) == 0);

    /* 1. */
    int st = pb_train_family(&toy_ops, m, &d, &o, &ref);
    ok(st == 0 && !strcmp(trace, "L5 U1 L5 U2 L2 U3 E L5 U4 L5 U5 L2 U6 E "),
       "hooks in order, minibatches 5, 5, 2, epoch_kl once per epoch: %s", trace);
    ok(order_ok, "update sees scale = beta / b, lr_c = lr / (1 - 0.9^t), c2 = 1 - 0.999^t");
    ok(ref.prior_mean == 6 && !strcmp(ref.family, "toy") && strstr(ref.settings, "family=toy precision=f64 epochs=2 batch=5") &&
           strstr(ref.settings, "toy=1 noise=empirical-bayes"),
       "to_fit sees the family's state; the settings frame: %s", ref.settings);

    /* 2. pause after 2 steps, resume */
    o.checkpoint = ckpt, o.stop_after_steps = 2;
    int st1 = pb_train_family(&toy_ops, m, &d, &o, &f);
    o.stop_after_steps = 0;
    int st2 = pb_train_family(&toy_ops, m, &d, &o, &f);
    ok(st1 == PB_PAUSED && st2 == 0 && !strcmp(trace, "L2 U3 E L5 U4 L5 U5 L2 U6 E ") &&
           !memcmp(ref.mean, f.mean, m->n_params * sizeof(double)) &&
           !memcmp(&ref.final_objective, &f.final_objective, sizeof(double)) &&
           !memcmp(&ref.noise_precision, &f.noise_precision, sizeof(double)),
       "paused after 2 steps and resumed at the third: the same values, bitwise (%s)", trace);
    ok(f.prior_mean == 6, "the carried scalar 'calls' came back from the checkpoint (%g loss calls in all)", f.prior_mean);
    o.checkpoint = NULL;
    remove(ckpt);

    /* 3. */
    nan_at_epoch = 2;
    st = pb_train_family(&toy_ops, m, &d, &o, &f);
    const char *msg = pb_last_error();
    ok(st == PB_ERR_NUMERIC && strstr(msg, "toy-cell") && strstr(msg, "diverged at epoch 2"),
       "a NaN minibatch loss names the cell and the epoch: %s", msg);
    nan_at_epoch = 0;

    /* 4. */
    fail_open = 1, closed = 0;
    st = pb_train_family(&toy_ops, m, &d, &o, &f);
    ok(st == PB_ERR_ARG && strstr(pb_last_error(), "toy family refuses") && closed == 1,
       "a family's open error is returned, and its close still runs");
    fail_open = 0;

    pb_fit_free(&ref), pb_fit_free(&f);
    pb_data_free(&d);
    pb_model_free(m);
    remove(err), rmdir(dir);
    return done_testing();
}
