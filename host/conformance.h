/* conformance.h -- the conformance checks a plugin author runs (`prunebench
 * check-plugin`): on a small 3-class problem (three Gaussian blobs in 4-D,
 * an mlp:4-5-3:tanh fit of 40 epochs), the plugin
 *   - loads and passes descriptor validation;
 *   - if it trains its own network: its KL and KL gradients are finite and
 *     match central differences at 6 points, its KL weight stays in [0, 1]
 *     over training, and it trains the network;
 *   - ranks the weights (and, for a shared base fit, the weights and
 *     biases): finite scores, the order a permutation of the prunable set;
 *   - gives identical orders and scores in two runs with the same seed.
 * Every step that calls the plugin runs in a child process with the time
 * limit of host/isolate.h (the load; the option settings; the training
 * facet's checks with the training; each ranking): a plugin that crashes,
 * exits or hangs fails that step with the one line saying so, and a plugin
 * that did not return never passes. The checks are kept in a shared
 * mapping, so those a dying child made are kept.
 */
#ifndef PB_CONFORMANCE_H
#define PB_CONFORMANCE_H

#include <stddef.h>

typedef struct pb_check {
    int ok;
    char what[512];     /* one line: what was checked, and why it failed */
} pb_check;

#define PB_CONFORMANCE_MAX 16

typedef struct pb_conformance {
    char name[64];                      /* the plugin's name ("" if it did not load) */
    unsigned abi_major, abi_minor;      /* the ABI it declares */
    size_t n;                           /* checks run, in order */
    pb_check check[PB_CONFORMANCE_MAX];
    int failed;                         /* 1 if any check failed */
    int complete;                       /* 1 if every check ran (0: the plugin did not load) */
    /* called with each check as it is made (number from 1), if not NULL:
     * a plugin that crashes the process has its earlier checks shown */
    void (*progress)(const pb_check *c, size_t number, void *ctx);
    void *progress_ctx;
} pb_conformance;

/* Run the checks on the plugin at path, filling *r (its progress and
 * progress_ctx set by the caller, the rest cleared here). Returns PB_OK when the
 * checks ran (r->failed says whether the plugin passed, r->complete whether
 * it loaded), else the status of what stopped them (the harness failed, or
 * the plugin's training failed or its create hook refused): r then holds
 * the checks run so far. */
int pb_plugin_conformance(const char *path, pb_conformance *r);

#endif
