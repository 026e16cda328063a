/* host.h -- the services the harness offers plugins (pb_host), backed by an
 * MLP, its training split and the cell's seeded random stream, and the
 * plugin loader that validates a descriptor before its first call.
 */
#ifndef PB_HOST_H
#define PB_HOST_H

#include <stddef.h>
#include <stdint.h>
#include "plugins/prunebench.h"
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
} pb_host_ctx;

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
} pb_plugin;

/* The smallest pb_training a plugin may declare: the facet of ABI 1.2. */
#define PB_TRAINING_MIN_SIZE ((uint32_t)offsetof(pb_training, group_variables))

/* The smallest struct_size a plugin may declare: the descriptor of ABI 1.0
 * (fields after it were appended in later minor versions). */
#define PB_METHOD_MIN_SIZE ((uint32_t)offsetof(pb_method, training))

int pb_plugin_open(const char *path, pb_plugin *p);
void pb_plugin_close(pb_plugin *p);

/* Run the plugin on a fit: create(options), relevance or order, destroy.
 * Produces the removal order (n_prunable indices, least relevant first) and
 * scores (n_params; NaN where the method gave an order only). The settings
 * line the plugin reports is copied into settings (may be ""). Every check
 * of the ABI contract happens here: finite scores, a permutation of the
 * prunable set, a hook that fails. */
int pb_plugin_rank(const pb_plugin *p, const pb_host *host, const pb_fit_view *view, const char *options,
                   size_t *order, double *score, char *settings, size_t settings_len);

#endif
