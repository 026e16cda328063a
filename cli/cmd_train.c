/* cmd_train.c -- `prunebench train`: fit a model to a dataset (one cell),
 * with the base families (gauss-diag, point) or a method's own training
 * facet; checkpoints, pause and resume, snapshots. -> .fit */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <math.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "formats/fit.h"
#include "formats/provenance.h"
#include "host/cell.h"
#include "host/host.h"
#include "host/isolate.h"
#include "protocols/p1.h"
#include "datasets/registry.h"
#include "datasets/synthetic.h"
#include "train/train.h"
#include "base/util.h"

/* A snapshot of a training run (train.h) saved beside the final fit. */
typedef struct train_snapshot {
    const pb_fit *header;   /* model, dataset, seeds, split of the run */
    const char *path;       /* the final fit's path */
    char suffix[640];       /* appended to the settings */
} train_snapshot;

static int save_snapshot(void *ctx, const pb_fit *fit, size_t epoch)
{
    const train_snapshot *s = ctx;
    pb_fit out = *fit;  /* shares the arrays */
    memcpy(out.model, s->header->model, sizeof out.model);
    memcpy(out.dataset, s->header->dataset, sizeof out.dataset);
    out.repeat = s->header->repeat, out.data_seed = s->header->data_seed, out.init_seed = s->header->init_seed;
    out.test_fraction = s->header->test_fraction, out.standardize_y = s->header->standardize_y;
    size_t len = strlen(out.settings);
    snprintf(out.settings + len, sizeof out.settings - len, "%s snapshot_epoch=%zu", s->suffix, epoch);
    char p[4096];
    size_t pl = strlen(s->path);
    int has_ext = pl > 4 && !strcmp(s->path + pl - 4, ".fit");
    if (snprintf(p, sizeof p, "%.*s.e%zu%s", (int)(has_ext ? pl - 4 : pl), s->path, epoch, has_ext ? ".fit" : "") >=
        (int)sizeof p)
        return pb_error(PB_ERR_ARG, "-o %s: path too long for a snapshot", s->path);
    return pb_fit_save(&out, p);
}

/* --trace FILE: the objective per epoch, a row per epoch as it ends. */
static int write_trace(void *ctx, size_t epoch, double objective, double kl)
{
    FILE *f = ctx;
    fprintf(f, "%zu\t%.10g\t%.10g\n", epoch, objective, kl);
    if (fflush(f)) return pb_error(PB_ERR_IO, "--trace: write failed");
    return PB_OK;
}

int cmd_train(int argc, char **argv)
{
    opt o[] = {O("data"), O("model"), O("repeat"), O("family"), O("epochs"), O("batch"), O("lr"), O("init-sd"),
               O("prior-mean"), O("test-fraction"), O("init"), O("noise"), O("experiment"), O("data-dir"), O("weight-decay"), O("dropout"), O("train-limit"),
               F("progress"), O("method"), O("options"), O("plugin-dir"), O("lr-decay"), O("checkpoint-minutes"),
               F("no-checkpoint"), O("pause-after-steps"), O("snapshot-every"), O("precision"), O("estimate"), O("trace"), O("weight-sample"), O("o"),
               O("kl-weight"), O("prior"), O("optimizer"), F("lrt"), O("init-fit"), O("evidence"), O("plugin-timeout"), END};
    parse_or_die(argc, argv, o, "train");
    int st;
    if (get(o, "plugin-timeout", NULL)) {
        if (!get(o, "method", NULL)) die(pb_error(PB_ERR_ARG, "--plugin-timeout needs --method"));
        if ((st = pb_plugin_set_timeout(get_num(o, "plugin-timeout", 0, 0, 1e9)))) die(st);
    }
    const char *data = need(o, "data"), *spec = need(o, "model"), *path = need(o, "o");
    dataset_or_die(data);
    const char *experiment = get(o, "experiment", "p1"), *dir = data_dir(o);
    unsigned repeat = (unsigned)get_count(o, "repeat", 0, 0, 1000000);
    pb_train_opts to;
    pb_train_opts_default(&to);
    const char *family = get(o, "family", "gauss-diag");
    if (!strcmp(family, "gauss-diag")) to.family = PB_FAMILY_GAUSS_DIAG;
    else if (!strcmp(family, "gauss-scalar")) to.family = PB_FAMILY_GAUSS_SCALAR;
    else if (!strcmp(family, "point")) to.family = PB_FAMILY_POINT;
    else die(pb_error(PB_ERR_ARG, "--family %s: expected gauss-diag, gauss-scalar or point", family));
    const char *wsample = get(o, "weight-sample", "minibatch");
    if (!strcmp(wsample, "object")) to.sample_per_object = 1;
    else if (strcmp(wsample, "minibatch")) die(pb_error(PB_ERR_ARG, "--weight-sample %s: expected minibatch or object", wsample));
    if (to.sample_per_object && to.family != PB_FAMILY_GAUSS_SCALAR && to.family != PB_FAMILY_GAUSS_DIAG)
        die(pb_error(PB_ERR_ARG, "--weight-sample object: only --family gauss-scalar and gauss-diag draw a weight "
                                 "sample per object"));
    const char *precision = get(o, "precision", "f64");
    if (pb_precision_parse(precision, &to.precision))
        die(pb_error(PB_ERR_ARG, "--precision %s: expected f64 or f32", precision));
    to.epochs = get_count(o, "epochs", to.epochs, 1, 10000000);
    to.batch = get_count(o, "batch", to.batch, 0, 1000000000);
    to.lr = get_num(o, "lr", to.lr, 1e-9, 10);
    to.init_sd = get_num(o, "init-sd", to.init_sd, 1e-6, 100);
    to.weight_decay = get_num(o, "weight-decay", 0, 0, 1e6);
    to.dropout = get_num(o, "dropout", 0, 0, 0.99);
    const char *pm = get(o, "prior-mean", "eb");
    if (!strcmp(pm, "zero")) to.fix_prior_mean = 1;
    else if (strcmp(pm, "eb")) die(pb_error(PB_ERR_ARG, "--prior-mean %s: expected eb or zero", pm));
    to.progress = get(o, "progress", NULL) != NULL;
    const char *noise = get(o, "noise", "eb");
    if (!strcmp(noise, "fixed")) to.fixed_noise = 1;
    else if (strcmp(noise, "eb")) die(pb_error(PB_ERR_ARG, "--noise %s: expected eb or fixed", noise));
    double test_fraction = get_num(o, "test-fraction", 0.2, 0.01, 0.99);
    const char *decay = get(o, "lr-decay", "none");
    if (!strcmp(decay, "linear")) to.lr_decay = 1;
    else if (strcmp(decay, "none")) die(pb_error(PB_ERR_ARG, "--lr-decay %s: expected none or linear", decay));
    const char *method = get(o, "method", NULL);
    /* seed 003 (protocol P5): lambda, the fixed N(0, 1) prior, SGD, local
     * reparameterization; any of them (or --init-fit, --evidence) asks for
     * the P5 record (train.h) */
    to.kl_weight = get_num(o, "kl-weight", 1, 0, 1e12);
    const char *prior = get(o, "prior", "eb");
    if (!strcmp(prior, "fixed")) to.prior_fixed = 1;
    else if (strcmp(prior, "eb")) die(pb_error(PB_ERR_ARG, "--prior %s: expected eb or fixed", prior));
    const char *optimizer = get(o, "optimizer", "adam");
    if (!strcmp(optimizer, "sgd")) to.optimizer = PB_OPT_SGD;
    else if (strcmp(optimizer, "adam")) die(pb_error(PB_ERR_ARG, "--optimizer %s: expected adam or sgd", optimizer));
    to.lrt = get(o, "lrt", NULL) != NULL;
    to.evidence_samples = get_count(o, "evidence", PB_EVIDENCE_SAMPLES, 0, 1000000);
    const char *init_fit = get(o, "init-fit", NULL);
    to.p5_record = get(o, "kl-weight", NULL) || get(o, "prior", NULL) || get(o, "optimizer", NULL) || to.lrt ||
                   init_fit || get(o, "evidence", NULL);
    if ((to.kl_weight != 1 || to.prior_fixed || to.lrt || init_fit) && to.family != PB_FAMILY_GAUSS_DIAG)
        die(pb_error(PB_ERR_ARG, "--kl-weight, --prior, --lrt and --init-fit need --family gauss-diag"));

    pb_model *m;
    if ((st = pb_model_parse(spec, &m))) die(st);
    uint64_t data_seed = pb_seed("split", pb_dataset_split_name(data), "", "", repeat, "split");
    /* the stream is named by the method's name (the plugin file's base name), however the plugin was given */
    char method_id[256] = "base-fit";
    if (method) {
        const char *base = strrchr(method, '/') ? strrchr(method, '/') + 1 : method;
        size_t bl = strlen(base);
        snprintf(method_id, sizeof method_id, "%.*s", (int)(bl > 3 && !strcmp(base + bl - 3, ".so") ? bl - 3 : bl), base);
    }
    uint64_t init_seed = pb_seed(experiment, data, spec, method_id, repeat, "init");
    pb_data train, test;
    pb_scaling sc;
    if ((st = pb_dataset_open(data, dir, data_seed, test_fraction, 1, &train, &test, &sc))) die(st);
    /* --train-limit N: train on the first N training samples only (short runs; recorded in the fit) */
    size_t limit = get_count(o, "train-limit", 0, 0, (size_t)-1), full_n = train.n;
    if (limit && limit < train.n) train.n = limit;
    else limit = 0;
    if ((st = pb_model_check_data(m, train.d, train.n_classes > 0 ? (size_t)train.n_classes : 0, train.vocab))) {
        char why[512];
        snprintf(why, sizeof why, "%s", pb_last_error());
        die(pb_error(st, "data %s: %s", data, why));
    }
    pb_fit fit;
    if ((st = pb_fit_check_size(m->n_params, spec)) || (st = pb_fit_alloc(&fit, m->n_params))) die(st);
    snprintf(fit.model, sizeof fit.model, "%s", spec);
    snprintf(fit.dataset, sizeof fit.dataset, "%s", data);
    fit.repeat = repeat;
    fit.data_seed = data_seed;
    fit.init_seed = init_seed;
    fit.test_fraction = test_fraction;
    fit.standardize_y = 1;
    to.seed = init_seed;
    double *init = NULL;
    const char *init_name = get(o, "init", "default");
    if (!strcmp(init_name, "seed004-synthetic")) {
        /* 100-1 network: weights from seed 004 eq. 5.1, bias 0 */
        const pb_mlp *dense = pb_model_dense_layers(m);
        if (!dense || dense->n_layers != 1 || m->out_dim != 1)
            die(pb_error(PB_ERR_ARG, "--init seed004-synthetic needs a one-layer network with one output, not %s", spec));
        if (!(init = pb_calloc(m->n_params, sizeof *init))) die(PB_ERR_NOMEM);
        if ((st = pb_synthetic_init(m->in_dim, pb_seed(experiment, data, spec, "base-fit", repeat, "init-synthetic"),
                                    init)))
            die(st);
        to.init = init;
    } else if (strcmp(init_name, "default")) {
        die(pb_error(PB_ERR_ARG, "--init %s: expected default or seed004-synthetic", init_name));
    }
    /* --init-fit F: start from F's means and sds (fine-tuning); F's own
     * updates are carried into updates_total= */
    pb_fit from;
    memset(&from, 0, sizeof from);
    double from_updates = 0;
    if (init_fit) {
        if (init) die(pb_error(PB_ERR_ARG, "--init-fit and --init %s exclude each other", init_name));
        if (method) die(pb_error(PB_ERR_ARG, "--init-fit needs the gauss-diag family, not --method"));
        if ((st = pb_fit_load(init_fit, &from))) die(st);
        if (strcmp(from.model, spec) || from.n != m->n_params)
            die(pb_error(PB_ERR_ARG, "--init-fit %s: a fit of %s, not of %s", init_fit, from.model, spec));
        for (size_t j = 0; j < from.n; j++)
            if (!(from.sd[j] > 0) || !isfinite(from.mean[j]))
                die(pb_error(PB_ERR_ARG, "--init-fit %s: parameter %zu has sd %g (a Gaussian fit is needed)", init_fit, j,
                             from.sd[j]));
        from_updates = pb_setting_num(from.settings, "updates", 0);
        to.init = from.mean;
        to.init_sd_vec = from.sd;
    }
    /* A method that trains its own network: its family, prior and warm-up. */
    pb_plugin plug;
    pb_host host;
    pb_host_ctx hctx;
    void *state = NULL;
    pb_training_isolated *hooks = NULL;  /* the training hooks' child (host.h) */
    char msettings[512] = "";
    if (method) {
        char so[2048];
        method_plugin_or_die(method, plugin_dir(o), so, sizeof so);
        if ((st = pb_plugin_open(so, &plug))) die(st);
        if (!plug.method.training)
            die(pb_error(PB_ERR_ARG, "method %s scores the shared base fit and does not train a network; train without "
                                     "--method", plug.name));
        if ((st = pb_host_init_model(&host, &hctx, m, &train, pb_seed(experiment, data, spec, plug.name, repeat, "train"))))
            die(st);
        /* its hooks once in a child first (a hook that fails at once: one line before any training) */
        if ((st = pb_plugin_preflight_training(&plug, &host, get(o, "options", ""), m->n_params, (double)to.epochs)))
            die(st);
        if ((st = pb_plugin_create(&plug, &host, get(o, "options", ""), &state))) die(st);
        if (plug.method.settings) snprintf(msettings, sizeof msettings, "%s", plug.method.settings(state));
        to.family = PB_FAMILY_METHOD;
        if (to.sample_per_object)
            die(pb_error(PB_ERR_ARG, "--weight-sample object: only --family gauss-scalar draws a weight sample per object, "
                                     "not method %s", plug.name));
        /* the hooks at every minibatch run in one child for the whole training */
        if ((st = pb_plugin_training_isolate(&plug, state, m->n_params + m->n_variable_groups, &hooks, &to.training,
                                             &to.training_state)))
            die(st);
    } else if (get(o, "options", NULL)) {
        die(pb_error(PB_ERR_ARG, "--options needs --method"));
    }
    char label[512];
    snprintf(label, sizeof label, "train %s %s%s%s repeat %u", data, spec, method ? " method " : "", method ? method : "",
             repeat);
    to.label = label;
    /* what the fit's settings gain beyond the training loop's: method, init, limit */
    train_snapshot snap = {&fit, path, ""};
    size_t sl = 0;
    if (method)
        sl += (size_t)snprintf(snap.suffix + sl, sizeof snap.suffix - sl, " method=%s%s%s", plug.name,
                               msettings[0] ? " " : "", msettings);
    if (method && sl < sizeof snap.suffix) sl += (size_t)pb_plugin_settings(&plug, snap.suffix + sl, sizeof snap.suffix - sl);
    if (init && sl < sizeof snap.suffix) sl += (size_t)snprintf(snap.suffix + sl, sizeof snap.suffix - sl, " init=%s", init_name);
    if (limit && sl < sizeof snap.suffix) sl += (size_t)snprintf(snap.suffix + sl, sizeof snap.suffix - sl, " train_limit=%zu", limit);
    if (init_fit && sl < sizeof snap.suffix) {
        const char *base = strrchr(init_fit, '/') ? strrchr(init_fit, '/') + 1 : init_fit;
        snprintf(snap.suffix + sl, sizeof snap.suffix - sl, " init_fit=%s", base);
    }
    /* --snapshot-every E: the fit after every E-th epoch, as FIT with .e<epoch> before its extension */
    to.snapshot_every = get_count(o, "snapshot-every", 0, 1, 10000000);
    to.snapshot = save_snapshot;
    to.snapshot_ctx = &snap;
    /* Checkpoints: <FIT>.ckpt every --checkpoint-minutes (at an epoch's end),
     * and on SIGINT / SIGTERM or --pause-after-steps (after a minibatch). */
    char ckpt[4096], ckey[640];
    if (!get(o, "no-checkpoint", NULL)) {
        if (snprintf(ckpt, sizeof ckpt, "%s.ckpt", path) >= (int)sizeof ckpt) die(pb_error(PB_ERR_ARG, "-o %s: path too long", path));
        to.checkpoint = ckpt;
        to.checkpoint_seconds = 60 * get_num(o, "checkpoint-minutes", 10, 0, 1e6);
        /* the version too: a run resumes only with the code that started it */
        snprintf(ckey, sizeof ckey, "version=%s %s", pb_version(), msettings);
        to.checkpoint_key = ckey;
        to.stop_after_steps = get_count(o, "pause-after-steps", 0, 1, (size_t)-1);
        to.interrupt = catch_interrupts();
    } else if (get(o, "pause-after-steps", NULL) || get(o, "checkpoint-minutes", NULL)) {
        die(pb_error(PB_ERR_ARG, "--pause-after-steps and --checkpoint-minutes need checkpoints (drop --no-checkpoint)"));
    }
    /* --estimate S: the time per step from a run of S steps and one of 2S
     * (their difference leaves out the setup; S grows until the difference
     * is at least 0.2 s or S is a quarter of the run), and what the whole
     * run would take; nothing is written */
    size_t estimate = get_count(o, "estimate", 0, 1, 1000000);
    if (estimate) {
        size_t B = to.batch && to.batch < train.n ? to.batch : train.n;
        size_t steps = to.epochs * ((train.n + B - 1) / B), S = estimate;
        to.checkpoint = NULL, to.snapshot_every = 0, to.progress = 0;
        double per_step = 0;
        for (;;) {
            if (2 * S > steps) S = steps / 2 ? steps / 2 : 1;
            double t[3] = {pb_seconds(), 0, 0};
            for (int k = 1; k <= 2; k++) {
                to.stop_after_steps = (size_t)k * S;
                st = pb_train_model(m, &train, &to, &fit);
                if (pb_training_isolated_status(hooks)) die(PB_ERR_PLUGIN);
                if (st && st != PB_PAUSED) die(st);
                t[k] = pb_seconds();
            }
            double diff = (t[2] - t[1]) - (t[1] - t[0]);
            /* a loaded machine can make the difference <= 0: then the
             * 2S run's own time per step (setup included) */
            per_step = diff > 0 ? diff / (double)S : (t[2] - t[1]) / (double)(2 * S);
            if (diff >= 0.2 || 4 * S > steps / 2) break;
            S *= 4;
        }
        printf("estimate\t%s\t%s\t%s\t%s\t%zu\t%.6g\t%.6g\n", data, spec, method ? plug.name : family,
               pb_precision_name(to.precision), steps, per_step, per_step * (double)steps);
        if (method) {
            pb_training_isolated_close(hooks);
            if (plug.method.destroy) plug.method.destroy(state);
            pb_host_release(&hctx);
            pb_plugin_close(&plug);
        }
        free(init);
        pb_fit_free(&fit);
        pb_data_free(&train);
        pb_data_free(&test);
        pb_scaling_free(&sc);
        pb_model_free(m);
        return 0;
    }
    /* --trace FILE: a header, then a row per epoch; a resumed run appends
     * (the epochs since the last save appear again; the later row counts) */
    const char *trace = get(o, "trace", NULL);
    FILE *tf = NULL;
    if (trace) {
        FILE *probe = to.checkpoint ? fopen(to.checkpoint, "rb") : NULL;
        if (probe) fclose(probe);
        if (!(tf = fopen(trace, probe ? "a" : "w"))) die(pb_error(PB_ERR_IO, "--trace %s: %s", trace, strerror(errno)));
        if (!probe) fprintf(tf, "# objective per epoch: F/N = negative ELBO per sample (data term summed over the "
                                "epoch's minibatches) and its KL term / N\nepoch\tobjective\tkl\n");
        to.on_epoch = write_trace, to.on_epoch_ctx = tf;
    }
    st = pb_train_model(m, &train, &to, &fit);
    /* a training hook that failed in its child: its line, not the NaN it left (no fit is written) */
    if (pb_training_isolated_status(hooks)) die(PB_ERR_PLUGIN);
    if (tf && fclose(tf) && !st) die(pb_error(PB_ERR_IO, "--trace %s: %s", trace, strerror(errno)));
    release_interrupts();
    if (st) {
        if (st != PB_PAUSED) die(st);
        fprintf(stderr, "prunebench: %s\n", pb_last_error());
        pb_training_isolated_close(hooks);  /* the hooks' child ends before the host does */
        exit(PB_EXIT_PAUSED);
    }
    if (method) {
        pb_training_isolated_close(hooks);
        if (plug.method.destroy) plug.method.destroy(state);
        pb_host_release(&hctx);
        pb_plugin_close(&plug);
    }
    size_t len = strlen(fit.settings);
    snprintf(fit.settings + len, sizeof fit.settings - len, "%s", snap.suffix);
    if (to.p5_record) {  /* this run's updates and those of the fit it started from */
        double own = pb_setting_num(fit.settings, "updates", 0);
        len = strlen(fit.settings);
        snprintf(fit.settings + len, sizeof fit.settings - len, " updates_total=%.0f", own + from_updates);
    }
    if (to.p5_record && strlen(fit.settings) + 1 >= sizeof fit.settings)
        die(pb_error(PB_ERR_ARG, "-o %s: the fit's settings are too long (%zu characters at most)", path,
                     sizeof fit.settings - 1));
    if ((st = pb_fit_save(&fit, path))) die(st);
    if (to.checkpoint && remove(to.checkpoint) != 0 && errno != ENOENT)
        fprintf(stderr, "prunebench: note: could not remove %s: %s\n", to.checkpoint, strerror(errno));
    free(init);
    int standardize_y = fit.standardize_y;
    pb_fit_free(&from);
    pb_fit_free(&fit);
    pb_model_free(m);
    /* the last line: the final objective, and the test quality of the fit
     * as written, computed as `evaluate` does (the fit re-read; its data are
     * the ones opened above, whole again) */
    train.n = full_n;
    pb_cell c;
    double q, aux;
    st = standardize_y == 1 ? pb_cell_open_data(&c, path, &train, &test, &sc) : pb_cell_open(&c, path, dir);
    pb_data_free(&train);
    pb_data_free(&test);
    pb_scaling_free(&sc);
    if (st || (st = pb_evaluate(&c, c.fit.mean, &q, &aux))) die(st);
    printf("train: %s %s repeat %u: final objective %.6g per sample, test %s %.4g (%s %.4g) -> %s\n", c.fit.dataset,
           c.fit.model, c.fit.repeat, c.fit.final_objective, pb_quality_metric(&c), q,
           c.test.n_classes ? "nll" : "mse", aux, path);
    pb_cell_close(&c);
    return 0;
}
