/* main.c -- the prunebench command line: one subcommand per pipeline step.
 *
 *   train         fit a model to a dataset (one cell)          -> .fit
 *   rank          score a fit with a pruning-method plugin     -> order .tsv
 *   curve         protocol P1 for one order                    -> curve .tsv
 *   summarize     P1 summary, gnuplot data and LaTeX tables for one dataset
 *   plugins       list the plugins found
 *   check-plugin  conformance test for a plugin author
 *   provenance    LaTeX macros describing this build (report appendix)
 *
 * Exit-on-error lives only here; every library function returns a status.
 */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <gsl/gsl_version.h>

#include "base/blas.h"
#include "cli/cli.h"
#include "host/cell.h"
#include "formats/fit.h"
#include "host/host.h"
#include "datasets/idx.h"
#include "formats/order.h"
#include "protocols/p1.h"
#include "posterior/posterior.h"
#include "protocols/prune.h"
#include "protocols/summary.h"
#include "train/train.h"
#include "base/util.h"
#include "formats/provenance.h"

#ifndef PB_DEFAULT_PLUGIN_DIR
#define PB_DEFAULT_PLUGIN_DIR "build/plugins"
#endif
#ifndef PB_DEFAULT_DATA_DIR
#define PB_DEFAULT_DATA_DIR "datasets"
#endif

/* One entry per command: a line "  NAME ..." and its continuation lines. */
static const char usage_commands[] =
            "  train --data NAME --model SPEC [--repeat R] [--family gauss-diag|point] [--epochs E]\n"
            "        [--batch B] [--lr LR] [--init-sd S] [--prior-mean eb|zero] [--noise eb|fixed] [--test-fraction F]\n"
            "        [--init default|seed004-synthetic] [--lr-decay none|linear] [--method NAME [--options STR] [--plugin-dir DIR]]\n"
            "        [--weight-decay WD] [--dropout P] [--train-limit N] [--experiment NAME] [--data-dir DIR] [--progress]\n"
            "        [--checkpoint-minutes M | --no-checkpoint] [--pause-after-steps S] [--snapshot-every E] -o FIT\n"
            "        (state in FIT.ckpt every M minutes (10) and on SIGINT/SIGTERM; the same command resumes; exit 75 = paused;\n"
            "        --snapshot-every E: the fit after every E-th epoch too, as FIT with .e<epoch> before .fit)\n"
            "  rank --fit FIT --method NAME|PATH.so [--options STR] [--prunable weights|all]\n"
            "        [--plugin-dir DIR] [--data-dir DIR] -o ORDER.tsv\n"
            "  curve --fit FIT --order ORDER.tsv [--fractions LIST] [--compensate none|conditional]\n"
            "        [--estimator laplace|laplace-exact|samples] [--data-dir DIR] -o CURVE.tsv\n"
            "  summarize --dataset NAME [--title T] [--tol X] [--mean F] [--gp F] [--tsv F] [--tex F]\n"
            "        [--macros F] [--reference F] [--variant NAME] CURVE.tsv...\n"
            "  noise --fit FIT --order ORDER.tsv [--fractions LIST] [--levels LIST] [--draws K]\n"
            "        [--compensate none|conditional] [--estimator laplace|laplace-exact|samples] [--data-dir DIR] -o NOISE.tsv\n"
            "  noise-summary --dataset NAME [--tex F] [--title T] --surface-prefix PREFIX --slices OUT.tsv --macros OUT.tex\n"
            "        [--at-fraction F] [--at-level S] NOISE.tsv...\n"
            "  export --fit FIT --order ORDER.tsv (--fraction F | --score-below X | --operating-point) [--data-dir DIR]\n"
            "        [--plugin-dir DIR] [--tex F --name NAME] -o NET.csr\n"
            "  structure --fit FIT --order ORDER.tsv (--operating-point | --score-below X) [--gates G.tsv]\n"
            "        [--repeats R] [--plugin-dir DIR] [--data-dir DIR] [--tex F --name NAME] -o OUT.tsv   protocol P4\n"
            "  sparse-eval --net NET.csr --fit FIT [--data-dir DIR]\n"
            "  plugins [--plugin-dir DIR] [--trainers]\n"
            "  check-plugin PATH.so\n"
            "  evaluate --fit FIT [--data-dir DIR] [--tex F --name NAME] -o OUT.tsv   test quality, nothing removed\n"
            "  provenance\n"
            "  bench [--plugin-dir DIR] [--only SUBSTR] [--repeat K]   throughput of training steps, compressed LSTM\n"
            "        inference and the Belsley order\n"
            "  help [COMMAND]   this text, or one command's (as COMMAND --help)\n";

static const char usage_notes[] =
            "Datasets: wine, boston, synthetic (CSV files in --data-dir or generated), fashion-mnist (from\n"
            "$PB_FASHION_MNIST_DIR or " PB_FASHION_MNIST_DEFAULT_DIR "), mnist (from $PB_MNIST_DIR), seq-fashion-mnist\n"
            "and seq-mnist (rows as 28 steps), imdb (aclImdb directory: --data-dir or $PB_IMDB_DIR), movie-reviews\n"
            "(text<TAB>score file: --data-dir or $PB_MOVIE_REVIEWS_FILE).\n"
            "Model specs: mlp:13-13-3:tanh, mlp:13-39-1:tanh:mse, lstm:28x28-128-10, rnn:28x28-128-10,\n"
            "lstm:200xv20002e300-128-2 (tokens: vocabulary x embedding).\n"
            "Plugins: a method NAME is DIR/NAME.so, DIR from --plugin-dir, else $PB_PLUGIN_DIR, else " PB_DEFAULT_PLUGIN_DIR ".\n";

static void usage(FILE *f)
{
    fprintf(f, "usage: prunebench <command> [options]\ncommands:\n%s%s", usage_commands, usage_notes);
}

/* The entry of command `cmd` in usage_commands and the notes; 0 if there is
 * no such command. */
static int command_usage(FILE *f, const char *cmd)
{
    size_t n = strlen(cmd);
    for (const char *l = usage_commands; *l;) {
        const char *end = strchr(l, '\n') + 1;
        if (n && l[2] != ' ' && !strncmp(l + 2, cmd, n) && (l[2 + n] == ' ' || l[2 + n] == '\n')) {
            const char *e = end;  /* continuation lines start with more than two spaces */
            while (*e && e[2] == ' ') e = strchr(e, '\n') + 1;
            fprintf(f, "usage: prunebench %.*s%s", (int)(e - l - 2), l + 2, usage_notes);
            return 1;
        }
        l = end;
    }
    return 0;
}

static int is_help(const char *a) { return !strcmp(a, "--help") || !strcmp(a, "-h"); }

static int unknown_command(const char *cmd)
{
    fprintf(stderr, "prunebench: unknown command '%s' (see 'prunebench help')\n", cmd);
    return 2;
}

static void plugin_path(const char *method, const char *dir, char *out, size_t len)
{
    size_t l = strlen(method);
    if (strchr(method, '/') || (l > 3 && !strcmp(method + l - 3, ".so"))) snprintf(out, len, "%s", method);
    else snprintf(out, len, "%s/%s.so", dir, method);
}

/* Exit status of a paused run (sysexits' EX_TEMPFAIL: run it again). */
enum { PB_EXIT_PAUSED = 75 };
static volatile sig_atomic_t train_interrupted;
static void on_interrupt(int sig)
{
    (void)sig;
    train_interrupted = 1;
}

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

static int cmd_train(int argc, char **argv)
{
    opt o[] = {O("data"), O("model"), O("repeat"), O("family"), O("epochs"), O("batch"), O("lr"), O("init-sd"),
               O("prior-mean"), O("test-fraction"), O("init"), O("noise"), O("experiment"), O("data-dir"), O("weight-decay"), O("dropout"), O("train-limit"),
               F("progress"), O("method"), O("options"), O("plugin-dir"), O("lr-decay"), O("checkpoint-minutes"),
               F("no-checkpoint"), O("pause-after-steps"), O("snapshot-every"), O("o"), END};
    char *restv[64], **rest = restv;
    int nrest;
    if (argc > 64) die(pb_error(PB_ERR_ARG, "too many arguments"));
    int st = parse_opts(argc, argv, o, &rest, &nrest);
    if (st) die(st);
    if (nrest) die(pb_error(PB_ERR_ARG, "train: unexpected argument '%s'", rest[0]));
    const char *data = need(o, "data"), *spec = need(o, "model"), *path = need(o, "o");
    const char *experiment = get(o, "experiment", "p1"), *dir = get(o, "data-dir", PB_DEFAULT_DATA_DIR);
    unsigned repeat = (unsigned)get_count(o, "repeat", 0, 0, 1000000);
    pb_train_opts to;
    pb_train_opts_default(&to);
    const char *family = get(o, "family", "gauss-diag");
    if (!strcmp(family, "gauss-diag")) to.family = PB_FAMILY_GAUSS_DIAG;
    else if (!strcmp(family, "point")) to.family = PB_FAMILY_POINT;
    else die(pb_error(PB_ERR_ARG, "--family %s: expected gauss-diag or point", family));
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

    pb_model *m;
    if ((st = pb_model_parse(spec, &m))) die(st);
    uint64_t data_seed = pb_seed("split", data, "", "", repeat, "split");
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
    size_t limit = get_count(o, "train-limit", 0, 0, (size_t)-1);
    if (limit && limit < train.n) train.n = limit;
    else limit = 0;
    if (train.d != m->in_dim)
        die(pb_error(PB_ERR_ARG, "model %s takes %zu inputs per sample but %s has %zu", spec, m->in_dim, data, train.d));
    if (m->kind == PB_MODEL_RNN && !m->rnn->tokens != !train.vocab)
        die(pb_error(PB_ERR_ARG, "model %s takes %s but %s has %s", spec,
                     m->rnn->tokens ? "token ids" : "real-valued steps", data, train.vocab ? "token ids" : "real values"));
    if (m->kind == PB_MODEL_RNN && train.vocab && train.vocab != m->rnn->V)
        die(pb_error(PB_ERR_ARG, "model %s has a vocabulary of %zu but %s's is %zu (its most frequent training words, "
                                 "padding and unknown): use lstm:...xv%zue...", spec, m->rnn->V, data, train.vocab,
                     train.vocab));
    if (m->kind == PB_MODEL_MLP && train.vocab)
        die(pb_error(PB_ERR_ARG, "%s holds token ids: it needs a model with an embedding (lstm:<T>xv<V>e<E>-...)", data));
    if ((train.n_classes > 0) != (m->head == PB_HEAD_CE))
        die(pb_error(PB_ERR_ARG, "model %s has a %s head but %s is a %s task", spec, m->head == PB_HEAD_CE ? "ce" : "mse",
                     data, train.n_classes ? "classification" : "regression"));
    if (train.n_classes && (size_t)train.n_classes != m->out_dim)
        die(pb_error(PB_ERR_ARG, "model %s has %zu outputs but %s has %d classes", spec, m->out_dim, data, train.n_classes));
    pb_fit fit;
    if ((st = pb_fit_alloc(&fit, m->n_params))) die(st);
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
        if (!m->mlp || m->mlp->n_layers != 1 || m->out_dim != 1)
            die(pb_error(PB_ERR_ARG, "--init seed004-synthetic needs a one-layer network with one output, not %s", spec));
        if (!(init = pb_calloc(m->n_params, sizeof *init))) die(PB_ERR_NOMEM);
        if ((st = pb_synthetic_init(m->in_dim, pb_seed(experiment, data, spec, "base-fit", repeat, "init-synthetic"),
                                    init)))
            die(st);
        to.init = init;
    } else if (strcmp(init_name, "default")) {
        die(pb_error(PB_ERR_ARG, "--init %s: expected default or seed004-synthetic", init_name));
    }
    /* A method that trains its own network: its family, prior and warm-up. */
    pb_plugin plug;
    pb_host host;
    pb_host_ctx hctx;
    void *state = NULL;
    char msettings[512] = "";
    if (method) {
        char so[2048];
        plugin_path(method, get(o, "plugin-dir", getenv("PB_PLUGIN_DIR") ? getenv("PB_PLUGIN_DIR") : PB_DEFAULT_PLUGIN_DIR),
                    so, sizeof so);
        if ((st = pb_plugin_open(so, &plug))) die(st);
        if (!plug.method.training)
            die(pb_error(PB_ERR_ARG, "method %s scores the shared base fit and does not train a network; train without "
                                     "--method", plug.name));
        if ((st = pb_host_init_model(&host, &hctx, m, &train, pb_seed(experiment, data, spec, plug.name, repeat, "train"))))
            die(st);
        hctx.plugin_name = plug.name;
        const char *opts = get(o, "options", "");
        if (plug.method.create && plug.method.create(&host, opts, &state) != 0)
            die(pb_error(PB_ERR_PLUGIN, "plugin %s: create failed: %s", plug.name, hctx.fail_msg[0] ? hctx.fail_msg : "no reason given"));
        if (!plug.method.create && *opts) die(pb_error(PB_ERR_PLUGIN, "plugin %s takes no options, got '%s'", plug.name, opts));
        if (plug.method.settings) snprintf(msettings, sizeof msettings, "%s", plug.method.settings(state));
        to.family = PB_FAMILY_METHOD;
        to.training = plug.method.training;
        to.training_state = state;
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
    if (init && sl < sizeof snap.suffix) sl += (size_t)snprintf(snap.suffix + sl, sizeof snap.suffix - sl, " init=%s", init_name);
    if (limit && sl < sizeof snap.suffix) snprintf(snap.suffix + sl, sizeof snap.suffix - sl, " train_limit=%zu", limit);
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
        to.interrupt = &train_interrupted;
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = on_interrupt;
        sigemptyset(&sa.sa_mask);
        sigaction(SIGINT, &sa, NULL);
        sigaction(SIGTERM, &sa, NULL);
    } else if (get(o, "pause-after-steps", NULL) || get(o, "checkpoint-minutes", NULL)) {
        die(pb_error(PB_ERR_ARG, "--pause-after-steps and --checkpoint-minutes need checkpoints (drop --no-checkpoint)"));
    }
    st = pb_train_model(m, &train, &to, &fit);
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    if (st) {
        if (st != PB_PAUSED) die(st);
        fprintf(stderr, "prunebench: %s\n", pb_last_error());
        exit(PB_EXIT_PAUSED);
    }
    if (method) {
        if (plug.method.destroy) plug.method.destroy(state);
        pb_host_release(&hctx);
        pb_plugin_close(&plug);
    }
    size_t len = strlen(fit.settings);
    snprintf(fit.settings + len, sizeof fit.settings - len, "%s", snap.suffix);
    if ((st = pb_fit_save(&fit, path))) die(st);
    if (to.checkpoint && remove(to.checkpoint) != 0 && errno != ENOENT)
        fprintf(stderr, "prunebench: note: could not remove %s: %s\n", to.checkpoint, strerror(errno));
    free(init);
    pb_fit_free(&fit);
    pb_data_free(&train);
    pb_data_free(&test);
    pb_scaling_free(&sc);
    pb_model_free(m);
    return 0;
}


static int cmd_rank(int argc, char **argv)
{
    opt o[] = {O("fit"), O("method"), O("options"), O("prunable"), O("plugin-dir"), O("data-dir"), O("experiment"), O("o"), END};
    char *restv[64], **rest = restv;
    int nrest;
    if (argc > 64) die(pb_error(PB_ERR_ARG, "too many arguments"));
    int st = parse_opts(argc, argv, o, &rest, &nrest);
    if (st) die(st);
    if (nrest) die(pb_error(PB_ERR_ARG, "rank: unexpected argument '%s'", rest[0]));
    const char *fit_path = need(o, "fit"), *method = need(o, "method"), *path = need(o, "o");
    const char *prunable = get(o, "prunable", "weights");
    if (strcmp(prunable, "weights") && strcmp(prunable, "all"))
        die(pb_error(PB_ERR_ARG, "--prunable %s: expected weights or all", prunable));
    char so[2048];
    plugin_path(method, get(o, "plugin-dir", getenv("PB_PLUGIN_DIR") ? getenv("PB_PLUGIN_DIR") : PB_DEFAULT_PLUGIN_DIR),
                so, sizeof so);
    pb_plugin p;
    if ((st = pb_plugin_open(so, &p))) die(st);
    pb_cell c;
    if ((st = pb_cell_open(&c, fit_path, get(o, "data-dir", PB_DEFAULT_DATA_DIR)))) die(st);
    if (p.method.training && strcmp(c.fit.family, p.method.training->family))
        die(pb_error(PB_ERR_ARG, "method %s trains its own network (family %s) but %s is a %s fit: train it with "
                                 "'prunebench train --method %s'", p.name, p.method.training->family, fit_path,
                     c.fit.family, p.name));
    size_t n = c.net->n_params;
    unsigned char *mask = pb_calloc(n, 1);
    size_t *order = pb_calloc(n, sizeof *order);
    double *score = pb_calloc(n, sizeof *score);
    if (!mask || !order || !score) die(PB_ERR_NOMEM);
    size_t np = pb_model_prunable(c.net, !strcmp(prunable, "all"), mask);
    uint64_t seed = pb_seed(get(o, "experiment", "p1"), c.fit.dataset, c.fit.model, p.name, c.fit.repeat, "rank");
    pb_host host;
    pb_host_ctx ctx;
    if ((st = pb_host_init_model(&host, &ctx, c.net, &c.train, seed))) die(st);
    pb_fit_view view;
    if ((st = pb_fit_view_of(&c.fit, c.net, mask, np, &view))) die(st);
    char settings[512];
    if ((st = pb_plugin_rank(&p, &host, &view, get(o, "options", ""), order, score, settings, sizeof settings))) die(st);
    pb_order_meta meta = {p.name, settings, fit_path, prunable, seed, c.fit.repeat};
    if ((st = pb_order_write(path, &meta, c.net, order, score, np))) die(st);
    pb_fit_view_free(&view);
    pb_host_release(&ctx);
    pb_plugin_close(&p);
    free(mask);
    free(order);
    free(score);
    pb_cell_close(&c);
    return 0;
}

static int cmd_curve(int argc, char **argv)
{
    opt o[] = {O("fit"), O("order"), O("fractions"), O("compensate"), O("estimator"), O("data-dir"), O("o"), END};
    char *restv[64], **rest = restv;
    int nrest;
    if (argc > 64) die(pb_error(PB_ERR_ARG, "too many arguments"));
    int st = parse_opts(argc, argv, o, &rest, &nrest);
    if (st) die(st);
    if (nrest) die(pb_error(PB_ERR_ARG, "curve: unexpected argument '%s'", rest[0]));
    const char *fit_path = need(o, "fit"), *order_path = need(o, "order"), *path = need(o, "o");
    const char *fspec = get(o, "fractions", PB_DEFAULT_FRACTIONS);
    double *fr;
    size_t nf;
    if ((st = pb_fractions_parse(fspec, &fr, &nf))) die(st);
    pb_cell c;
    size_t *order, n_order;
    char method[64], info[256];
    pb_pruner pr;
    open_pruning(o, fit_path, order_path, &c, &order, &n_order, method, sizeof method, &pr, info, sizeof info);
    pb_outfile out;
    if ((st = pb_out_open(&out, path))) die(st);
    FILE *f = out.f;
    fprintf(f, "# prunebench protocol P1: sparsity vs quality\n");
    fprintf(f, "# method: %s\n# repeat: %u\n# dataset: %s\n# model: %s\n", method, c.fit.repeat, c.fit.dataset, c.fit.model);
    fprintf(f, "# fit: %s\n# fit_settings: %s\n# order: %s\n", fit_path, c.fit.settings, order_path);
    fprintf(f, "# quality_metric: %s\n# higher_is_better: %d\n", pb_quality_metric(&c), c.test.n_classes ? 1 : 0);
    fprintf(f, "# test_samples: %zu\n# fractions: %s\n", c.test.n, fspec);
    if (pr.compensate)
        fprintf(f, "# removal: first k of the order set to 0, others moved to the Gaussian conditional mean "
                   "given the removed are 0 (compensate=conditional; %s), no retraining\n# compensate: conditional\n", info);
    else
        fprintf(f, "# removal: first k of the order set to 0, others at the posterior mean, no retraining\n"
                   "# compensate: none\n");
    pb_write_provenance(f);
    if ((st = pb_p1_curve(&c, &pr, fr, nf, f))) {
        pb_out_abort(&out);
        die(st);
    }
    if ((st = pb_out_commit(&out))) die(st);
    pb_pruner_free(&pr);
    free(fr);
    free(order);
    pb_cell_close(&c);
    return 0;
}

static int cmd_summarize(int argc, char **argv)
{
    opt o[] = {O("dataset"), O("title"), O("tol"), O("mean"), O("gp"), O("tsv"), O("tex"), O("macros"), O("reference"),
               O("variant"), END};
    char **rest = calloc((size_t)argc + 1, sizeof *rest);
    int nrest;
    if (!rest) die(PB_ERR_NOMEM);
    int st = parse_opts(argc, argv, o, &rest, &nrest);
    if (st) die(st);
    if (nrest == 0) die(pb_error(PB_ERR_ARG, "summarize: no curve files given"));
    pb_summary_opts so = {need(o, "dataset"), get(o, "title", NULL), get_num(o, "tol", 0, 0, 1e6), get(o, "mean", NULL),
                          get(o, "gp", NULL), get(o, "tsv", NULL), get(o, "tex", NULL), get(o, "macros", NULL),
                          get(o, "reference", NULL), get(o, "variant", NULL)};
    if ((st = pb_summarize(&so, rest, (size_t)nrest))) die(st);
    free(rest);
    return 0;
}

static int cmd_plugins(int argc, char **argv)
{
    opt o[] = {O("plugin-dir"), F("trainers"), END};
    char *restv[8], **rest = restv;
    int nrest;
    if (argc > 8) die(pb_error(PB_ERR_ARG, "too many arguments"));
    int st = parse_opts(argc, argv, o, &rest, &nrest);
    if (st) die(st);
    const char *dir = get(o, "plugin-dir", getenv("PB_PLUGIN_DIR") ? getenv("PB_PLUGIN_DIR") : PB_DEFAULT_PLUGIN_DIR);
    DIR *d = opendir(dir);
    if (!d) die(pb_error(PB_ERR_IO, "cannot open plugin directory %s", dir));
    struct dirent *e;
    char **names = NULL;
    size_t n = 0;
    while ((e = readdir(d))) {
        size_t l = strlen(e->d_name);
        if (l > 3 && !strcmp(e->d_name + l - 3, ".so")) {
            char **nn = realloc(names, (n + 1) * sizeof *nn);
            if (!nn || !(nn[n] = strdup(e->d_name))) die(pb_error(PB_ERR_NOMEM, "out of memory"));
            names = nn, n++;
        }
    }
    closedir(d);
    for (size_t i = 0; i + 1 < n; i++)  /* sort names for a stable listing */
        for (size_t j = i + 1; j < n; j++)
            if (strcmp(names[i], names[j]) > 0) { char *t = names[i]; names[i] = names[j]; names[j] = t; }
    int bad = 0, trainers = get(o, "trainers", NULL) != NULL;
    if (!trainers) printf("%-12s %-5s %s\n", "name", "abi", "summary / citation");
    for (size_t i = 0; i < n; i++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        pb_plugin p;
        if (pb_plugin_open(path, &p)) {
            if (trainers) fprintf(stderr, "prunebench: %s: %s\n", names[i], pb_last_error());
            else printf("%-12s %-5s error: %s\n", names[i], "-", pb_last_error());
            bad = 1;
        } else if (trainers) {  /* --trainers: names of the plugins that train their own network */
            if (p.method.training) printf("%s\n", p.name);
            pb_plugin_close(&p);
        } else {
            printf("%-12s %u.%-3u %s\n%-18s %s\n", p.name, p.method.abi_major, p.method.abi_minor, p.method.summary, "",
                   p.method.citation);
            if (p.method.training)
                printf("%-18s trains its own network: family %s\n", "", p.method.training->family);
            pb_plugin_close(&p);
        }
        free(names[i]);
    }
    free(names);
    if (n == 0 && !trainers) printf("(no plugins in %s)\n", dir);
    return bad;
}

/* Conformance test: a small 3-class problem, a short variational fit, and
 * the plugin run twice with the same seed. Prints TAP-style lines. */
static int cmd_check_plugin(int argc, char **argv)
{
    if (argc != 1) { usage(stderr); return 2; }
    const char *path = argv[0];
    int failed = 0, ntest = 0;
#define CHECK(cond, ...) do { ntest++; int ok_ = (cond); failed |= !ok_; printf("%s %d - ", ok_ ? "ok" : "not ok", ntest); \
        printf(__VA_ARGS__); putchar('\n'); } while (0)
    pb_plugin p;
    int st = pb_plugin_open(path, &p);
    CHECK(!st, "loads and passes descriptor validation%s%s", st ? ": " : "", st ? pb_last_error() : "");
    if (st) return 1;
    /* data: three Gaussian blobs in 4-D */
    pb_data all, train, test;
    pb_scaling sc;
    if ((st = pb_data_alloc(&all, "check", 90, 4, 1, 3))) die(st);
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 12345);
    for (size_t i = 0; i < all.n; i++) {
        int c = (int)(i % 3);
        all.y[i] = c;
        for (size_t j = 0; j < 4; j++) all.X[i * 4 + j] = (j == (size_t)c ? 2.0 : 0.0) + gsl_ran_gaussian(r, 1.0);
    }
    gsl_rng_free(r);
    if ((st = pb_cell_prepare_data(&all, 0.2, 7, 1, &train, &test, &sc))) die(st);
    pb_model *m;
    if ((st = pb_model_parse("mlp:4-5-3:tanh", &m))) die(st);
    pb_fit fit;
    if ((st = pb_fit_alloc(&fit, m->n_params))) die(st);
    pb_train_opts to;
    pb_train_opts_default(&to);
    to.epochs = 40, to.seed = 99, to.label = "check-plugin fit";
    const pb_training *tr = p.method.training;
    void *tstate = NULL;
    pb_host thost;
    pb_host_ctx tctx;
    if (tr) {
        /* a method that trains its own network: check its family, then train with it */
        if ((st = pb_host_init_model(&thost, &tctx, m, &train, 2025))) die(st);
        tctx.plugin_name = p.name;
        if (p.method.create && p.method.create(&thost, "", &tstate) != 0)
            die(pb_error(PB_ERR_PLUGIN, "plugin %s: create failed: %s", p.name, tctx.fail_msg));
        /* KL and its gradients at a few points (theta, log sigma^2) against central differences */
        enum { K = 6 };
        double th[K] = {-1.3, -0.2, 0.05, 0.4, 0.9, 2.0}, ls[K] = {-6, -3, -5, -1, -2.5, -4};
        double dth[K], dls[K], a[K], b[K], da[K], db[K];
        double kl = tr->kl(tstate, K, th, ls, dth, dls);
        int finite = isfinite(kl);
        for (int j = 0; j < K; j++) finite = finite && isfinite(dth[j]) && isfinite(dls[j]);
        CHECK(finite, "training facet: KL and its gradients are finite (KL = %g at 6 test points)", kl);
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
        CHECK(finite && worst < 1e-5, "training facet: KL gradients match central differences (worst relative error %.2g)",
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
        CHECK(weights_ok, "training facet: KL weight in [0, 1] over training");
        to.family = PB_FAMILY_METHOD, to.training = tr, to.training_state = tstate;
    }
    st = pb_train_model(m, &train, &to, &fit);
    if (tr) {
        CHECK(!st, "trains its own network (mlp:4-5-3:tanh, 40 epochs)%s%s", st ? ": " : "", st ? pb_last_error() : "");
        if (p.method.destroy) p.method.destroy(tstate);
        pb_host_release(&tctx);
    }
    if (st) die(st);
    size_t n = m->n_params;
    unsigned char *mask = pb_calloc(n, 1);
    size_t *o1 = pb_calloc(n, sizeof *o1), *o2 = pb_calloc(n, sizeof *o2);
    double *s1 = pb_calloc(n, sizeof *s1), *s2 = pb_calloc(n, sizeof *s2);
    if (!mask || !o1 || !o2 || !s1 || !s2) die(PB_ERR_NOMEM);
    /* a method's own family trains the weights only (biases are point estimates): weights only then */
    for (int biases = 0; biases <= (tr ? 0 : 1); biases++) {
        size_t np = pb_model_prunable(m, biases, mask);
        pb_fit_view view;
        if ((st = pb_fit_view_of(&fit, m, mask, np, &view))) die(st);
        pb_host host;
        pb_host_ctx ctx;
        char set1[512], set2[512];
        const char *what = biases ? "weights and biases" : "weights";
        if ((st = pb_host_init_model(&host, &ctx, m, &train, 2024))) die(st);
        st = pb_plugin_rank(&p, &host, &view, "", o1, s1, set1, sizeof set1);
        CHECK(!st, "ranks %zu %s: scores finite, order a permutation of the prunable set%s%s", np, what,
              st ? ": " : "", st ? pb_last_error() : "");
        pb_host_release(&ctx);
        if (st) { pb_fit_view_free(&view); continue; }
        if ((st = pb_host_init_model(&host, &ctx, m, &train, 2024))) die(st);
        st = pb_plugin_rank(&p, &host, &view, "", o2, s2, set2, sizeof set2);
        pb_host_release(&ctx);
        int same = !st && !memcmp(o1, o2, np * sizeof *o1) && !strcmp(set1, set2);
        for (size_t j = 0; same && j < n; j++)
            if (!(s1[j] == s2[j] || (isnan(s1[j]) && isnan(s2[j])))) same = 0;
        CHECK(same, "two runs with the same seed give identical orders and scores (%s)", what);
        pb_fit_view_free(&view);
    }
    printf("1..%d\n", ntest);
    if (failed) printf("%s: FAILED conformance\n", p.name);
    else printf("%s: conforms to ABI %u.%u\n", p.name, p.method.abi_major, p.method.abi_minor);
    free(mask); free(o1); free(o2); free(s1); free(s2);
    pb_fit_free(&fit);
    pb_model_free(m);
    pb_data_free(&all); pb_data_free(&train); pb_data_free(&test);
    pb_scaling_free(&sc);
    pb_plugin_close(&p);
    return failed;
#undef CHECK
}

static void tex_escape(FILE *f, const char *s)
{
    for (; *s; s++) {
        if (strchr("&%$#_{}", *s)) fprintf(f, "\\%c", *s);
        else if (*s == '\\') fputs("\\textbackslash{}", f);
        else if (*s == '~' || *s == '^') fprintf(f, "\\string%c", *s);
        else fputc(*s, f);
    }
}

static int cmd_provenance(void)
{
    printf("%% generated by prunebench provenance -- do not edit\n\\newcommand{\\pbVersion}{");
    tex_escape(stdout, pb_version());
    printf("}\n\\newcommand{\\pbCompiler}{");
#if defined(__clang__)
    tex_escape(stdout, "clang " __clang_version__);
#else
    tex_escape(stdout, "gcc " __VERSION__);
#endif
    printf("}\n\\newcommand{\\pbBlas}{OpenBLAS, core ");
    tex_escape(stdout, pb_blas_corename());
    printf(", %d thread(s) per cell; ", pb_blas_threads());
    tex_escape(stdout, pb_blas_config());
    printf("}\n\\newcommand{\\pbGsl}{GSL %s}\n", GSL_VERSION);
    /* the image data actually read: directory, file sizes and hashes */
    pb_mnist_info info;
    char line[8192];
    printf("\\newcommand{\\pbFashionMnistData}{");
    if (pb_mnist_identify(pb_dataset_mnist_dir("fashion-mnist"), &info) == PB_OK) {
        pb_mnist_describe(&info, line, sizeof line);
        tex_escape(stdout, line);
    } else {
        printf("not available: ");
        tex_escape(stdout, pb_last_error());
    }
    printf("}\n");
    return 0;
}

int main(int argc, char **argv)
{
    gsl_set_error_handler_off();
    pb_blas_single_thread();
    if (argc < 2) { usage(stderr); return 2; }
    const char *cmd = argv[1];
    argc -= 2, argv += 2;
    if (!strcmp(cmd, "help") || is_help(cmd)) {
        if (argc == 0) { usage(stdout); return 0; }
        return command_usage(stdout, argv[0]) ? 0 : unknown_command(argv[0]);
    }
    for (int i = 0; i < argc; i++)
        if (is_help(argv[i]) && command_usage(stdout, cmd)) return 0;
    if (!strcmp(cmd, "train")) return cmd_train(argc, argv);
    if (!strcmp(cmd, "rank")) return cmd_rank(argc, argv);
    if (!strcmp(cmd, "curve")) return cmd_curve(argc, argv);
    if (!strcmp(cmd, "summarize")) return cmd_summarize(argc, argv);
    if (!strcmp(cmd, "noise")) return cmd_noise(argc, argv);
    if (!strcmp(cmd, "noise-summary")) return cmd_noise_summary(argc, argv);
    if (!strcmp(cmd, "bench")) return cmd_bench(argc, argv);
    if (!strcmp(cmd, "evaluate")) return cmd_evaluate(argc, argv);
    if (!strcmp(cmd, "export")) return cmd_export(argc, argv);
    if (!strcmp(cmd, "sparse-eval")) return cmd_sparse_eval(argc, argv);
    if (!strcmp(cmd, "structure")) return cmd_structure(argc, argv);
    if (!strcmp(cmd, "plugins")) return cmd_plugins(argc, argv);
    if (!strcmp(cmd, "check-plugin")) return cmd_check_plugin(argc, argv);
    if (!strcmp(cmd, "provenance")) return cmd_provenance();
    return unknown_command(cmd);
}
