/* host.h -- the services the harness offers plugins (pb_host), backed by an
 * MLP, its training split and the cell's seeded random stream, and the
 * plugin loader that validates a descriptor before its first call.
 */
#ifndef PB_HOST_H
#define PB_HOST_H

#include <stddef.h>
#include <stdint.h>
#include "plugins/prunebench.h"
#include "formats/fit.h"
#include "host/options.h"
#include "models/mlp.h"
#include "models/model.h"
#include "datasets/data.h"

#include <gsl/gsl_rng.h>

typedef struct pb_host_ctx {
    const pb_model *net;        /* the model (services it lacks refuse: pb_model_has) */
    pb_model_ws *net_ws;
    pb_model *owned;            /* the model pb_host_init parsed from an MLP's spec, else NULL */
    const pb_data *train;
    gsl_rng *rng;
    const char *plugin_name;
    char fail_msg[512];
    /* The fit's initial weights (n_params; pb_fit.init) behind
     * host->initial_weights, or NULL: set by the caller after pb_host_init*
     * (pb_host_set_fit). */
    const double *init;
} pb_host_ctx;

/* Give the services the fit the plugin scores (its initial weights, if it
 * stores them). fit must outlive ctx's use. */
void pb_host_set_fit(pb_host_ctx *ctx, const pb_fit *fit);

/* Fill `host` with services over ctx (ctx must outlive host) for an MLP
 * (the model of its spec and noise precision). Returns status. */
int pb_host_init(pb_host *host, pb_host_ctx *ctx, const pb_mlp *model, const pb_data *train, uint64_t seed);
/* The same for any model: the Hessian and posterior services need its
 * curvature capability (model.h) and fail in one line without it. */
int pb_host_init_model(pb_host *host, pb_host_ctx *ctx, const pb_model *model, const pb_data *train, uint64_t seed);
void pb_host_release(pb_host_ctx *ctx);

/* A loaded, validated plugin. `method` is the descriptor copied into a full
 * pb_method; fields beyond the plugin's struct_size are NULL. */
typedef struct pb_plugin {
    void *handle;
    char name[64];
    char path[1024];
    pb_method method;
    pb_training training;   /* the plugin's training facet widened to this host's
                               pb_training (fields it predates are 0);
                               method.training points here when it has one */
    size_t n_options;       /* entries of method.options (ABI 1.5), 0 if none */
    int host_parses;        /* 1: the host parses options (ABI 1.5); 0: create gets the raw string */
    uint32_t requires;      /* method.requires, plus OWN_TRAINING when it has a training facet */
    uint64_t hash;          /* 64-bit FNV-1a of the .so file's bytes, as opened */
    char sha256[65];        /* SHA-256 of the same bytes, 64 hex digits (what `sha256sum` prints) */
} pb_plugin;

/* The smallest pb_training a plugin may declare: the facet of ABI 1.2. */
#define PB_TRAINING_MIN_SIZE ((uint32_t)offsetof(pb_training, group_variables))

/* The smallest struct_size a plugin may declare: the descriptor of ABI 1.0
 * (fields after it were appended in later minor versions). */
#define PB_METHOD_MIN_SIZE ((uint32_t)offsetof(pb_method, training))

int pb_plugin_open(const char *path, pb_plugin *p);
void pb_plugin_close(pb_plugin *p);

/* Parse the user's option string ("name=value,...", NULL or "") against the
 * plugin's declared options into out (every option, defaults filled in).
 * One line naming the plugin and the offending option on error. A plugin
 * that parses its own options (ABI <= 1.4) has none declared: out->n = 0. */
int pb_plugin_options(const pb_plugin *p, const char *options, pb_option_values *out);

/* Make the plugin's state: the host parses and checks `options` for a
 * plugin of ABI 1.5 and calls create_with (or create with the canonical
 * string); an older plugin's create gets the string as given. host must come
 * from pb_host_init / pb_host_init_model. *state is NULL for a plugin without
 * create. */
int pb_plugin_create(const pb_plugin *p, const pb_host *host, const char *options, void **state);

/* Refuse, in one line and before any work, a fit the plugin cannot score:
 * its `requires` against the model's capabilities (Hessian and posterior
 * matrix: curvature), the fit's family (posterior sd: not a point fit; own
 * training: the family of the method's training facet). fit_path names the
 * fit in the message. */
int pb_plugin_check_fit(const pb_plugin *p, const pb_model *model, const pb_fit *fit, const char *fit_path);
/* The same for the fit file at fit_path, read before anything else is
 * loaded (its data set is not opened). */
int pb_plugin_check_fit_file(const pb_plugin *p, const char *fit_path);

/* What a result file records about the plugin that made it. */
typedef struct pb_plugin_record {
    char abi[16];        /* "1.5": the ABI the plugin declares */
    char hash[32];       /* "fnv1a64:<16 hex digits>" of the .so file's bytes */
    char sha256[65];     /* SHA-256 of the .so file's bytes, 64 hex digits */
    char options[6200];  /* every declared option with its effective value, "name=value,..."
                            in declaration order ("none" if it declares none); for a plugin that
                            parses its own options, the string as given ("default" if empty) */
} pb_plugin_record;

/* Fill r for plugin p run with `options`; fails as pb_plugin_options does. */
int pb_plugin_record_of(const pb_plugin *p, const char *options, pb_plugin_record *r);

/* The plugin as words for a fit's settings line (a fit is binary: its
 * settings are its text provenance, copied into every curve made from it as
 * '# fit_settings:'): " plugin_sha256=HEX plugin_abi=MAJOR.MINOR plugin=PATH"
 * (the method's name is already there as method=NAME; the path last, as
 * the fit's settings line is bounded). Returns the length,
 * as snprintf does (buf holds a truncated line if len is too small). */
int pb_plugin_settings(const pb_plugin *p, char *buf, size_t len);

/* The requires bits as words, e.g. "hessian, posterior-sd" ("nothing" if none). */
void pb_requires_text(uint32_t requires, char *buf, size_t len);

/* One line per declared option for listings: "name=default  type  doc". */
void pb_plugin_option_line(const pb_option *o, char *buf, size_t len);

/* Run the plugin on a fit: create (pb_plugin_create), relevance or order, destroy.
 * Produces the removal order (n_prunable indices, least relevant first) and
 * scores (n_params; NaN where the method gave an order only). The settings
 * line the plugin reports is copied into settings (may be ""). Every check
 * of the ABI contract happens here: finite scores, a permutation of the
 * prunable set, a hook that fails. */
int pb_plugin_rank(const pb_plugin *p, const pb_host *host, const pb_fit_view *view, const char *options,
                   size_t *order, double *score, char *settings, size_t settings_len);

/* Before `train --method` trains with a plugin's hooks (at every
 * minibatch: docs/architecture.md), try each once in a fresh child (host/isolate.h): create with `options`, settings, kl on
 * n_trained weights, the KL weight across `epochs`, destroy. A crash, exit
 * or timeout there, a non-finite KL or a weight outside [0, 1] is one line.
 * PB_OK at once for a plugin without a training facet, or with isolation off. */
int pb_plugin_preflight_training(const pb_plugin *p, const pb_host *host, const char *options, size_t n_trained,
                                 double epochs);

/* The training hooks (kl, kl_weight, kl_weight_epochs) of `p` with `state`
 * (from pb_plugin_create) run in one child for the whole training
 * (pb_isolate_server, host/isolate.h): *tr and *tr_state are the facet and
 * state to hand the training (pb_train_opts.training, training_state);
 * their hooks copy the arguments into shared memory, have the child call
 * the plugin's hook on its copy of `state`, wait under the time limit per
 * hook and copy the results back -- the same numbers as in process. A
 * hook that crashes, exits or hangs at any minibatch then leaves the host
 * whole: that call and every later one return NaN (the training stops at
 * the non-finite KL or weight) and pb_training_isolated_status gives the
 * one line. n_max: the most weights one kl call gets. With isolation off
 * (or no training facet) *out = NULL and *tr, *tr_state are the plugin's
 * own. */
typedef struct pb_training_isolated pb_training_isolated;
int pb_plugin_training_isolate(const pb_plugin *p, void *state, size_t n_max, pb_training_isolated **out,
                               const pb_training **tr, void **tr_state);
/* PB_OK, or the child's failure with its line as pb_last_error(); t may be NULL. */
int pb_training_isolated_status(const pb_training_isolated *t);
void pb_training_isolated_close(pb_training_isolated *t);  /* ends the child; NULL: nothing */

#endif
