/* checkpoint.c -- paused and resumed training (checkpoint.h, train.h):
 *   1. for each training family (train/driver.h) and path: a method's
 *      family with local reparameterization, a method's family with one
 *      weight sample per minibatch (a KL written here), group variables on
 *      an LSTM, the Gaussian base fit, point training with dropout: a run
 *      paused in the middle of an epoch and again at an epoch's end, then
 *      resumed, ends bitwise equal to the uninterrupted run;
 *   2. a checkpoint left by a finished run resumes into the same fit;
 *   3. a checkpoint of another run (other seed) is not used: the run starts
 *      over and equals its own uninterrupted run;
 *   4. a damaged checkpoint is an error naming the file;
 *   5. the interrupt flag pauses after the first minibatch;
 *   6. the command line: exit status 75 when paused, FIT.ckpt kept, no
 *      FIT; the same command finishes, removes FIT.ckpt, and the fit file is
 *      byte-identical to an uninterrupted run's;
 *   7. snapshots: taking them leaves the final fit bitwise unchanged; a
 *      point run's snapshot after epoch 3 of 6 holds the parameters of a
 *      3-epoch run (nothing else depends on the length without lr decay);
 *      a groupvd snapshot carries its group variables; on the command line
 *      they land in FIT.e<epoch>.fit. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "blobs.h"
#include "formats/fit.h"
#include "host/host.h"
#include "tap.h"
#include "testutil.h"
#include "train/train.h"
#include "base/util.h"

static char dir[] = "/tmp/pb-checkpoint-XXXXXX";

typedef struct tcase {
    const char *name, *spec, *plugin;  /* plugin NULL: family below */
    pb_family family;
    double dropout;
    size_t n_noise, batch, epochs, mid, boundary;  /* pause steps: inside an epoch, at an epoch's end */
    const pb_training *own;            /* a method's family written here (no plugin) */
} tcase;

/* A method's family without local reparameterization: KL of N(theta,
 * sigma^2) against N(0, 1) per weight, warmed up over the first 30%. */
static double gauss_kl(void *state, size_t n, const double *theta, const double *log_sigma2, double *dtheta,
                       double *dlog_sigma2)
{
    (void)state;
    double kl = 0;
    for (size_t j = 0; j < n; j++) {
        kl += 0.5 * (theta[j] * theta[j] + exp(log_sigma2[j]) - log_sigma2[j] - 1);
        dtheta[j] = theta[j];
        dlog_sigma2[j] = 0.5 * (exp(log_sigma2[j]) - 1);
    }
    return kl;
}
static double warm_up(void *state, double t) { (void)state; return t < 0.3 ? t / 0.3 : 1; }
static const pb_training one_sample = {
    .struct_size = sizeof(pb_training), .family = "test-gauss", .init_log_sigma2 = -6, .kl = gauss_kl,
    .kl_weight = warm_up, .relevance_threshold = NAN,
};

/* N = 180 samples in batches of 50: 4 minibatches per epoch, the last of 30. */
static const tcase cases[] = {
    {"svd, MLP (local reparameterization)", "mlp:4-8-3:tanh", "svd", PB_FAMILY_METHOD, 0, 2, 50, 6, 6, 12, NULL},
    {"groupvd, LSTM (group variables)", "lstm:2x3-4-3", "groupvd", PB_FAMILY_METHOD, 0, 4, 50, 5, 3, 16, NULL},
    {"Gaussian base fit, MLP", "mlp:4-6-3:tanh", NULL, PB_FAMILY_GAUSS_DIAG, 0, 2, 50, 6, 7, 20, NULL},
    {"point, LSTM with dropout", "lstm:2x3-4-3", NULL, PB_FAMILY_POINT, 0.3, 4, 50, 5, 2, 8, NULL},
    {"method, MLP (one weight sample per minibatch)", "mlp:4-8-3:tanh", NULL, PB_FAMILY_METHOD, 0, 2, 50, 5, 5, 8,
     &one_sample},
};

static int same_fit(const pb_fit *a, const pb_fit *b, size_t n)
{
    return !memcmp(a->mean, b->mean, n * sizeof *a->mean) && !memcmp(a->sd, b->sd, n * sizeof *a->sd) &&
           a->n_groups == b->n_groups &&
           (!a->n_groups || (!memcmp(a->group_mean, b->group_mean, a->n_groups * sizeof(double)) &&
                             !memcmp(a->group_sd, b->group_sd, a->n_groups * sizeof(double)))) &&
           !memcmp(&a->final_objective, &b->final_objective, sizeof(double)) &&
           !memcmp(&a->noise_precision, &b->noise_precision, sizeof(double)) && !strcmp(a->settings, b->settings);
}

typedef struct env {
    const tcase *c;
    pb_model *m;
    pb_data d;
    pb_plugin p;
    int has_plugin;
} env;

static void env_open(env *e, const tcase *c)
{
    memset(e, 0, sizeof *e);
    e->c = c;
    TAP_REQUIRE(pb_model_parse(c->spec, &e->m) == 0);
    tu_blobs(&e->d, "blobs", 60, c->n_noise, 5);
    if (c->plugin) {
        const char *bdir = getenv("PB_BUILD") ? getenv("PB_BUILD") : "build";
        char path[1024];
        snprintf(path, sizeof path, "%s/plugins/%s.so", bdir, c->plugin);
        int st = pb_plugin_open(path, &e->p);
        if (st) diag("%s", pb_last_error());
        TAP_REQUIRE(st == 0 && e->p.method.training);
        e->has_plugin = 1;
    }
}

static void env_close(env *e)
{
    if (e->has_plugin) pb_plugin_close(&e->p);
    pb_data_free(&e->d);
    pb_model_free(e->m);
}

static void opts_for(const env *e, pb_train_opts *o, uint64_t seed, const char *ckpt, size_t stop)
{
    pb_train_opts_default(o);
    o->family = e->c->family;
    if (e->has_plugin) o->training = e->p.method.training;
    if (e->c->own) o->training = e->c->own;
    o->dropout = e->c->dropout;
    o->epochs = e->c->epochs, o->batch = e->c->batch, o->lr = 1e-2, o->seed = seed, o->label = e->c->name;
    o->checkpoint = ckpt, o->stop_after_steps = stop;
}

/* Train into f (allocated here); returns the status. */
static int train(const env *e, const pb_train_opts *o, pb_fit *f)
{
    TAP_REQUIRE(pb_fit_alloc(f, e->m->n_params) == 0);
    return pb_train_model(e->m, &e->d, o, f);
}

static void test_case(const tcase *c)
{
    env e;
    env_open(&e, c);
    char ckpt[512];
    snprintf(ckpt, sizeof ckpt, "%s/run.ckpt", dir);
    remove(ckpt);
    pb_train_opts o;
    pb_fit ref, f;
    opts_for(&e, &o, 23, NULL, 0);
    int st = train(&e, &o, &ref);
    if (st) diag("%s", pb_last_error());
    TAP_REQUIRE(st == 0);

    /* 1. pause inside an epoch; resume and pause again after one minibatch
     * (the step count says it resumed rather than started over); pause at
     * an epoch's end, then after the last minibatch (the last epoch's
     * objective then rests on the carried scalars alone); then finish */
    opts_for(&e, &o, 23, ckpt, c->mid);
    int st1 = train(&e, &o, &f);
    pb_fit_free(&f);
    struct stat sb;
    int saved = stat(ckpt, &sb) == 0;
    volatile sig_atomic_t flag = 1;
    opts_for(&e, &o, 23, ckpt, 0);
    o.interrupt = &flag;
    int sti = train(&e, &o, &f);
    char want[64];
    snprintf(want, sizeof want, " %zu steps in all", c->mid + 1);
    int resumed = sti == PB_PAUSED && strstr(pb_last_error(), want) != NULL;
    if (!resumed) diag("%s", pb_last_error());
    pb_fit_free(&f);
    opts_for(&e, &o, 23, ckpt, c->boundary);
    int st2 = train(&e, &o, &f);
    const char *msg = pb_last_error();
    int says = strstr(msg, "paused at epoch") && strstr(msg, ckpt);
    pb_fit_free(&f);
    opts_for(&e, &o, 23, ckpt, c->epochs * 4);
    int stl = train(&e, &o, &f);
    pb_fit_free(&f);
    opts_for(&e, &o, 23, ckpt, 0);
    int st3 = train(&e, &o, &f);
    ok(st1 == PB_PAUSED && saved && resumed && st2 == PB_PAUSED && says && stl == PB_PAUSED && st3 == 0 &&
           same_fit(&ref, &f, e.m->n_params),
       "%s: paused after steps %zu (inside epoch %zu), %zu, %zu (end of epoch %zu) and %zu (the last), resumed: "
       "bitwise the same fit", c->name, c->mid, c->mid / 4 + 1, c->mid + 1, c->boundary, c->boundary / 4,
       c->epochs * 4);
    pb_fit_free(&f);
    remove(ckpt);

    /* 2. a checkpoint left by a finished run (saved after every epoch) */
    opts_for(&e, &o, 23, ckpt, 0);
    o.checkpoint_seconds = 0;
    st1 = train(&e, &o, &f);
    pb_fit_free(&f);
    st2 = train(&e, &o, &f);
    ok(st1 == 0 && st2 == 0 && stat(ckpt, &sb) == 0 && same_fit(&ref, &f, e.m->n_params),
       "%s: a finished run's last checkpoint resumes into the same fit", c->name);
    pb_fit_free(&f);

    /* 3. another run's checkpoint is not used */
    pb_fit ref24;
    opts_for(&e, &o, 24, NULL, 0);
    TAP_REQUIRE(train(&e, &o, &ref24) == 0);
    opts_for(&e, &o, 24, ckpt, 0);
    st = train(&e, &o, &f);
    ok(st == 0 && same_fit(&ref24, &f, e.m->n_params) && !same_fit(&ref, &f, e.m->n_params),
       "%s: a checkpoint of another seed is not used; the run equals its own uninterrupted run", c->name);
    pb_fit_free(&f);
    pb_fit_free(&ref24);
    pb_fit_free(&ref);
    remove(ckpt);
    env_close(&e);
}

static void test_damaged_and_interrupt(void)
{
    env e;
    env_open(&e, &cases[0]);
    char ckpt[512];
    snprintf(ckpt, sizeof ckpt, "%s/damaged.ckpt", dir);
    pb_train_opts o;
    pb_fit f;
    opts_for(&e, &o, 23, ckpt, 5);
    TAP_REQUIRE(train(&e, &o, &f) == PB_PAUSED);
    pb_fit_free(&f);
    FILE *fp = fopen(ckpt, "r+b");
    TAP_REQUIRE(fp != NULL);
    fseek(fp, 200, SEEK_SET);
    int ch = fgetc(fp);
    fseek(fp, 200, SEEK_SET);
    fputc(ch ^ 0x40, fp);
    fclose(fp);
    opts_for(&e, &o, 23, ckpt, 0);
    int st = train(&e, &o, &f);
    ok(st == PB_ERR_FORMAT && strstr(pb_last_error(), ckpt) && !strchr(pb_last_error(), '\n'),
       "a damaged checkpoint is one error line naming it: %s", pb_last_error());
    pb_fit_free(&f);
    remove(ckpt);

    volatile sig_atomic_t flag = 1;
    opts_for(&e, &o, 23, ckpt, 0);
    o.interrupt = &flag;
    st = train(&e, &o, &f);
    ok(st == PB_PAUSED && strstr(pb_last_error(), "1 steps in all"), "the interrupt flag pauses after one minibatch: %s",
       pb_last_error());
    pb_fit_free(&f);
    remove(ckpt);
    env_close(&e);
}

typedef struct snaps { size_t count, epoch[8], n; double *mean[8]; size_t n_groups[8]; } snaps;

static int keep_snapshot(void *ctx, const pb_fit *fit, size_t epoch)
{
    snaps *s = ctx;
    if (s->count == 8) return PB_ERR_ARG;
    s->epoch[s->count] = epoch, s->n_groups[s->count] = fit->n_groups;
    s->mean[s->count] = malloc(s->n * sizeof(double));
    if (!s->mean[s->count]) return PB_ERR_NOMEM;
    memcpy(s->mean[s->count], fit->mean, s->n * sizeof(double));
    s->count++;
    return PB_OK;
}

static void test_snapshots(void)
{
    for (int k = 0; k < 2; k++) {
        env e;
        env_open(&e, k ? &cases[1] : &cases[3]);  /* groupvd LSTM; point LSTM with dropout */
        pb_train_opts o;
        pb_fit ref, f, f3;
        opts_for(&e, &o, 23, NULL, 0);
        o.epochs = 6;
        TAP_REQUIRE(train(&e, &o, &ref) == 0);
        snaps s = {0};
        s.n = e.m->n_params;
        o.snapshot_every = 3, o.snapshot = keep_snapshot, o.snapshot_ctx = &s;
        int st = train(&e, &o, &f);
        int same = st == 0 && same_fit(&ref, &f, e.m->n_params) && s.count == 1 && s.epoch[0] == 3;
        if (k == 0) {
            opts_for(&e, &o, 23, NULL, 0);
            o.epochs = 3;
            TAP_REQUIRE(train(&e, &o, &f3) == 0);
            ok(same && !memcmp(s.mean[0], f3.mean, s.n * sizeof(double)),
               "point LSTM: with snapshots every 3 of 6 epochs the fit is the same, and the snapshot after epoch 3 "
               "holds a 3-epoch run's parameters");
            pb_fit_free(&f3);
        } else {
            int moved = s.count == 1 && memcmp(s.mean[0], f.mean, s.n * sizeof(double)) != 0;
            ok(same && moved && s.n_groups[0] == e.m->n_variable_groups,
               "groupvd LSTM: snapshots leave the fit unchanged; the snapshot after epoch 3 has its %zu group "
               "variables and differs from the final fit", s.n_groups[0]);
        }
        for (size_t i = 0; i < s.count; i++) free(s.mean[i]);
        pb_fit_free(&ref), pb_fit_free(&f);
        env_close(&e);
    }
}

static int run(const char *args)
{
    const char *b = getenv("PB_BUILD") ? getenv("PB_BUILD") : "build";
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "%s/prunebench %s >%s/out.txt 2>%s/err.txt", b, args, dir, dir);
    int rc = system(cmd);
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

static int exists(const char *name)
{
    char p[512];
    struct stat s;
    snprintf(p, sizeof p, "%s/%s", dir, name);
    return stat(p, &s) == 0;
}

static int same_file(const char *a, const char *b)
{
    char pa[512], pb[512];
    snprintf(pa, sizeof pa, "%s/%s", dir, a);
    snprintf(pb, sizeof pb, "%s/%s", dir, b);
    FILE *fa = fopen(pa, "rb"), *fb = fopen(pb, "rb");
    int same = fa && fb;
    while (same) {
        int ca = fgetc(fa), cb = fgetc(fb);
        if (ca != cb) same = 0;
        if (ca == EOF || cb == EOF) break;
    }
    if (fa) fclose(fa);
    if (fb) fclose(fb);
    return same;
}

static void test_cli(void)
{
    char common[1024], args[2048];
    snprintf(common, sizeof common, "train --data wine --model mlp:13-4-3:tanh --family point --epochs 6 --batch 20");
    snprintf(args, sizeof args, "%s -o %s/ref.fit", common, dir);
    TAP_REQUIRE(run(args) == 0);
    snprintf(args, sizeof args, "%s --pause-after-steps 9 -o %s/cli.fit", common, dir);
    int rc1 = run(args);
    int kept = exists("cli.fit.ckpt") && !exists("cli.fit");
    snprintf(args, sizeof args, "%s -o %s/cli.fit", common, dir);
    int rc2 = run(args);
    ok(rc1 == 75 && kept && rc2 == 0 && exists("cli.fit") && !exists("cli.fit.ckpt") && same_file("ref.fit", "cli.fit"),
       "CLI: paused run exits 75 keeping FIT.ckpt (%d, %d); the same command finishes (%d), removes it, and the fit "
       "file is byte-identical",
       rc1, kept, rc2);
    snprintf(args, sizeof args, "%s --no-checkpoint --pause-after-steps 9 -o %s/x.fit", common, dir);
    ok(run(args) == 1 && !exists("x.fit"), "CLI: --pause-after-steps without checkpoints is refused");
    snprintf(args, sizeof args, "%s --snapshot-every 2 -o %s/snap.fit", common, dir);
    ok(run(args) == 0 && exists("snap.e2.fit") && exists("snap.e4.fit") && !exists("snap.e6.fit") &&
           same_file("ref.fit", "snap.fit"),
       "CLI: --snapshot-every 2 of 6 epochs writes snap.e2.fit and snap.e4.fit; snap.fit is unchanged");
}

int main(void)
{
    plan(3 * 5 + 2 + 2 + 1 + 3);
    TAP_REQUIRE(mkdtemp(dir) != NULL);
    /* the notices go to stderr: capture them */
    char errpath[512];
    snprintf(errpath, sizeof errpath, "%s/stderr.txt", dir);
    TAP_REQUIRE(freopen(errpath, "w", stderr) != NULL);
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) test_case(&cases[i]);
    test_damaged_and_interrupt();
    test_snapshots();
    static char notes[65536];
    read_text(errpath, notes, sizeof notes);
    ok(strstr(notes, "resuming from") && strstr(notes, "at epoch 2/6 (100 of 180 samples of it done)") &&
           strstr(notes, "belongs to another run (other settings or data): starting over"),
       "stderr says where a run resumes and when a checkpoint belongs to another run");
    test_cli();
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0) diag("could not remove %s", dir);
    return done_testing();
}
