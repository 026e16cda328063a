/* cmd_hyper.c -- seed 003 (protocol P5): `prunebench hyper-train` trains a
 * hypernetwork that generates the variational parameters of a model from
 * the complexity weight lambda (train/hyper.h, train/family_hyper.c) ->
 * .hyp; `prunebench hyper-gen` generates the model at one lambda as an
 * ordinary gauss-diag fit (mean, sd, prior N(0, 1)) that every other
 * command takes as it is -> .fit. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_rng.h>

#include "cli/cli.h"
#include "formats/fit.h"
#include "formats/hypernet.h"
#include "formats/provenance.h"
#include "host/cell.h"
#include "protocols/p1.h"
#include "datasets/registry.h"
#include "train/train.h"
#include "train/hyper.h"
#include "base/util.h"

int cmd_hyper_train(int argc, char **argv)
{
    opt o[] = {O("data"), O("model"), O("hyper"), O("repeat"), O("epochs"), O("batch"), O("lr"), O("optimizer"),
               O("hidden"), O("lambda-draws"), O("clip"), O("init-sd"), O("test-fraction"), O("experiment"), O("data-dir"),
               O("train-limit"), F("progress"), O("checkpoint-minutes"), F("no-checkpoint"), O("pause-after-steps"),
               O("o"), END};
    parse_or_die(argc, argv, o, "hyper-train");
    int st;
    const char *data = need(o, "data"), *spec = need(o, "model"), *path = need(o, "o");
    dataset_or_die(data);
    pb_hyper_kind kind;
    if ((st = pb_hyper_kind_parse(need(o, "hyper"), &kind))) die(st);
    const char *experiment = get(o, "experiment", "p5"), *dir = data_dir(o);
    unsigned repeat = (unsigned)get_count(o, "repeat", 0, 0, 1000000);
    pb_train_opts to;
    pb_train_opts_default(&to);
    to.family = PB_FAMILY_HYPER;
    to.epochs = get_count(o, "epochs", 25, 1, 10000000);
    to.batch = get_count(o, "batch", 128, 0, 1000000000);
    const char *optimizer = get(o, "optimizer", "sgd");
    if (!strcmp(optimizer, "adam")) to.optimizer = PB_OPT_ADAM;
    else if (!strcmp(optimizer, "sgd")) to.optimizer = PB_OPT_SGD;
    else die(pb_error(PB_ERR_ARG, "--optimizer %s: expected sgd or adam", optimizer));
    to.lr = get_num(o, "lr", to.optimizer == PB_OPT_SGD ? PB_HYPER_SGD_LR : 1e-3, 1e-9, 100);
    to.init_sd = get_num(o, "init-sd", 0.05, 1e-6, 100);
    size_t hidden = get_count(o, "hidden", PB_HYPER_HIDDEN, 1, 100000);
    to.lambda_draws = get_count(o, "lambda-draws", kind == PB_HYPER_LINEAR ? 5 : 1, 1, 1000);
    to.grad_clip = get_num(o, "clip", kind == PB_HYPER_LINEAR ? PB_HYPER_CLIP_LINEAR : PB_HYPER_CLIP_LOWRANK, 0, 1e12);
    to.p5_record = 1, to.evidence_samples = 0;
    to.progress = get(o, "progress", NULL) != NULL;
    double test_fraction = get_num(o, "test-fraction", 0.2, 0.01, 0.99);

    pb_model *m;
    if ((st = pb_model_parse(spec, &m))) die(st);
    char method_id[32];
    snprintf(method_id, sizeof method_id, "hyper-%s", pb_hyper_kind_name(kind));
    uint64_t data_seed = pb_seed("split", data, "", "", repeat, "split");
    uint64_t init_seed = pb_seed(experiment, data, spec, method_id, repeat, "init");
    pb_data train, test;
    pb_scaling sc;
    if ((st = pb_dataset_open(data, dir, data_seed, test_fraction, 1, &train, &test, &sc))) die(st);
    size_t limit = get_count(o, "train-limit", 0, 0, (size_t)-1);
    if (limit && limit < train.n) train.n = limit;
    else limit = 0;
    if ((st = pb_model_check_data(m, train.d, train.n_classes > 0 ? (size_t)train.n_classes : 0, train.vocab))) die(st);
    /* the hypernetwork: the means' constant part from the model's own
     * initialization (the driver draws it again, the same, from the run's
     * stream), the rest from a stream of its own */
    pb_hyper h;
    if ((st = pb_hyper_alloc(&h, m, kind, hidden))) die(st);
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    double *mean0 = pb_calloc(m->n_params, sizeof *mean0);
    if (!rng || !mean0) die(PB_ERR_NOMEM);
    pb_rng_seed(rng, pb_seed(experiment, data, spec, method_id, repeat, "hyper-init"));
    pb_hyper_init(&h, mean0, to.init_sd, rng);  /* u[0 .. n) is replaced by the driver's initialization */
    to.hyper = &h;
    to.seed = init_seed;
    char label[512];
    snprintf(label, sizeof label, "hyper-train %s %s %s repeat %u", pb_hyper_kind_name(kind), data, spec, repeat);
    to.label = label;
    char ckpt[4096], ckey[128];
    if (!get(o, "no-checkpoint", NULL)) {
        if (snprintf(ckpt, sizeof ckpt, "%s.ckpt", path) >= (int)sizeof ckpt) die(pb_error(PB_ERR_ARG, "-o %s: path too long", path));
        to.checkpoint = ckpt;
        to.checkpoint_seconds = 60 * get_num(o, "checkpoint-minutes", 10, 0, 1e6);
        snprintf(ckey, sizeof ckey, "version=%s", pb_version());
        to.checkpoint_key = ckey;
        to.stop_after_steps = get_count(o, "pause-after-steps", 0, 1, (size_t)-1);
        to.interrupt = catch_interrupts();
    } else if (get(o, "pause-after-steps", NULL) || get(o, "checkpoint-minutes", NULL)) {
        die(pb_error(PB_ERR_ARG, "--pause-after-steps and --checkpoint-minutes need checkpoints (drop --no-checkpoint)"));
    }
    pb_fit fit;
    if ((st = pb_fit_alloc(&fit, m->n_params))) die(st);
    double t0 = pb_seconds();
    st = pb_train_model(m, &train, &to, &fit);
    double secs = pb_seconds() - t0;
    release_interrupts();
    if (st) {
        if (st != PB_PAUSED) die(st);
        fprintf(stderr, "prunebench: %s\n", pb_last_error());
        exit(PB_EXIT_PAUSED);
    }
    pb_hypernet out;
    memset(&out, 0, sizeof out);
    snprintf(out.model, sizeof out.model, "%s", spec);
    snprintf(out.dataset, sizeof out.dataset, "%s", data);
    snprintf(out.kind, sizeof out.kind, "%s", pb_hyper_kind_name(kind));
    out.repeat = repeat, out.data_seed = data_seed, out.init_seed = init_seed;
    out.test_fraction = test_fraction, out.standardize_y = 1;
    out.n = h.n, out.hidden = h.hidden, out.n_u = h.n_u, out.u = h.u;
    out.updates = pb_setting_num(fit.settings, "updates", 0);
    out.final_objective = fit.final_objective;
    /* the driver's settings less its lambda= (that of the fit it hands back) and updates= */
    snprintf(out.settings, sizeof out.settings, "%s", fit.settings);
    char *cut = strstr(out.settings, " lambda=");
    if (cut) {
        char *rest = strchr(cut + 1, ' ');
        memmove(cut, rest ? rest : cut + strlen(cut), strlen(rest ? rest : cut + strlen(cut)) + 1);
    }
    if ((cut = strstr(out.settings, " updates="))) *cut = '\0';
    size_t len = strlen(out.settings);
    if (limit) snprintf(out.settings + len, sizeof out.settings - len, " train_limit=%zu", limit);
    if ((st = pb_hypernet_save(&out, path))) die(st);
    if (to.checkpoint && remove(to.checkpoint) != 0 && errno != ENOENT)
        fprintf(stderr, "prunebench: note: could not remove %s: %s\n", to.checkpoint, strerror(errno));
    printf("hyper-train: %s %s %s repeat %u: %zu hypernetwork values, %.0f updates, final objective %.6g per sample, "
           "%.1f s (%.2f s per epoch) -> %s\n", out.kind, data, spec, repeat, out.n_u, out.updates, out.final_objective,
           secs, secs / (double)to.epochs, path);
    pb_fit_free(&fit);
    pb_hyper_free(&h);
    free(mean0);
    gsl_rng_free(rng);
    pb_data_free(&train);
    pb_data_free(&test);
    pb_scaling_free(&sc);
    pb_model_free(m);
    return 0;
}

int cmd_hyper_gen(int argc, char **argv)
{
    opt o[] = {O("lambda"), O("evidence"), O("data-dir"), O("o"), END};
    int nf;
    char **files = parse_files_or_die(argc, argv, o, &nf);
    if (nf != 1) die(pb_error(PB_ERR_ARG, "hyper-gen: expected one hypernetwork file, got %d", nf));
    const char *hpath = files[0], *path = need(o, "o"), *dir = data_dir(o);
    double lambda = get_num(o, "lambda", 1, 1e-12, 1e12);
    size_t S = get_count(o, "evidence", PB_EVIDENCE_SAMPLES, 0, 1000000);
    pb_hypernet hn;
    int st = pb_hypernet_load(hpath, &hn);
    if (st) die(st);
    pb_model *m;
    if ((st = pb_model_parse(hn.model, &m))) die(st);
    pb_hyper_kind kind;
    pb_hyper h;
    if ((st = pb_hyper_kind_parse(hn.kind, &kind)) || (st = pb_hyper_alloc(&h, m, kind, hn.hidden))) die(st);
    if (h.n != hn.n || h.n_u != hn.n_u)
        die(pb_error(PB_ERR_FORMAT, "%s: %zu values for %zu parameters do not fit a %s hypernetwork of %s (%zu for %zu)",
                     hpath, hn.n_u, hn.n, hn.kind, hn.model, h.n_u, h.n));
    size_t n = h.n;
    double *g = pb_calloc(2 * n, sizeof *g), *ws = pb_calloc(h.ws_len, sizeof *ws);
    if (!g || !ws) die(PB_ERR_NOMEM);
    pb_hyper_forward(&h, hn.u, lambda, ws, g);
    pb_fit fit;
    if ((st = pb_fit_alloc(&fit, n))) die(st);
    snprintf(fit.model, sizeof fit.model, "%s", hn.model);
    snprintf(fit.dataset, sizeof fit.dataset, "%s", hn.dataset);
    snprintf(fit.family, sizeof fit.family, "gauss-diag");
    fit.repeat = hn.repeat, fit.data_seed = hn.data_seed, fit.init_seed = hn.init_seed;
    fit.test_fraction = hn.test_fraction, fit.standardize_y = hn.standardize_y;
    for (size_t j = 0; j < n; j++) {
        fit.mean[j] = g[j], fit.sd[j] = exp(0.5 * g[n + j]);
        if (!isfinite(fit.mean[j]) || !(fit.sd[j] > 0) || !isfinite(fit.sd[j]))
            die(pb_error(PB_ERR_NUMERIC, "%s: the generated parameter %zu at lambda %g is not finite", hpath, j, lambda));
    }
    fit.prior_mean = 0, fit.prior_sd = 1, fit.noise_precision = 1;
    fit.final_objective = hn.final_objective;
    const char *base = strrchr(hpath, '/') ? strrchr(hpath, '/') + 1 : hpath;
    int len = snprintf(fit.settings, sizeof fit.settings,
                       "family=gauss-diag generator=hyper-%s hyper_file=%s lambda=%g prior=fixed-N(0,1) "
                       "hyper_epochs=%g hyper_batch=%g hyper_lr=%g hyper_lambda_draws=%g updates=%.0f",
                       hn.kind, base, lambda, pb_setting_num(hn.settings, "epochs", 0), pb_setting_num(hn.settings, "batch", 0),
                       pb_setting_num(hn.settings, "lr", 0), pb_setting_num(hn.settings, "lambda_draws", 1), hn.updates);
    if (len < 0 || (size_t)len >= sizeof fit.settings) die(pb_error(PB_ERR_ARG, "%s: settings too long", hpath));
    if (S) {  /* the generalized evidence on the hypernetwork's training data */
        pb_data train, test;
        pb_scaling sc;
        if ((st = pb_dataset_open(hn.dataset, dir, hn.data_seed, hn.test_fraction, hn.standardize_y, &train, &test,
                                  &sc)))
            die(st);
        size_t limit = (size_t)pb_setting_num(hn.settings, "train_limit", 0);
        if (limit && limit < train.n) train.n = limit;
        double lgen, elogl, kl;
        if ((st = pb_train_evidence(m, &train, fit.mean, fit.sd, 0, 1, lambda, S,
                                    hn.init_seed ^ UINT64_C(0x65766964656e6365), &lgen, &elogl, &kl)))
            die(st);
        snprintf(fit.settings + len, sizeof fit.settings - (size_t)len,
                 " lgen=%.10g elogl=%.10g kl=%.10g lgen_samples=%zu", lgen, elogl, kl, S);
        pb_data_free(&train), pb_data_free(&test), pb_scaling_free(&sc);
    }
    if ((st = pb_fit_save(&fit, path))) die(st);
    pb_fit_free(&fit);
    free(g), free(ws), free(files);
    pb_hyper_free(&h);
    pb_hypernet_free(&hn);
    pb_model_free(m);
    /* the last line: the test quality of the fit as written, as `evaluate` computes it */
    pb_cell c;
    double q, aux;
    if ((st = pb_cell_open(&c, path, dir)) || (st = pb_evaluate(&c, c.fit.mean, &q, &aux))) die(st);
    printf("hyper-gen: %s %s repeat %u lambda %g: test %s %.4g (%s %.4g) -> %s\n", c.fit.dataset, c.fit.model,
           c.fit.repeat, lambda, pb_quality_metric(&c), q, c.test.n_classes ? "nll" : "mse", aux, path);
    pb_cell_close(&c);
    return 0;
}
