/* fit.h -- a trained network and how it was made, stored as a versioned
 * binary file.
 *
 * File layout (native byte order, detected by the order mark):
 *   8 bytes magic "PBFIT\r\n\032", u32 version (PB_FIT_VERSION), u32 order mark 0x01020304,
 *   u64 payload length, payload, u64 FNV-1a checksum of everything before it.
 * Payload: strings as u32 length + bytes; numbers as u64 / f64; then the
 * arrays mean[n] and sd[n], then u64 n_groups and group_mean[n_groups],
 * group_sd[n_groups] (version 3); version 4 adds u64 n_init (0 or n) after
 * n_groups and, after the group arrays, init[n_init]: the weights training
 * started from. A fit without initial weights is written as version 3, byte
 * for byte as before; versions 2 (no group variables) and 3 are still read. A file with another magic, version, order mark,
 * length or checksum is rejected with a message that says which; so is,
 * by pb_fit_load, a well-formed file whose values cannot be a fit: a
 * test fraction outside (0,1), a mean that is not finite, an sd that is
 * negative or not finite (means, sds, group means and sds, prior and
 * noise), naming the first such value. (The dataset name is checked where
 * the set is opened, pb_cell_open: a known set, one the model reads.)
 */
#ifndef PB_FIT_H
#define PB_FIT_H

#include <stddef.h>
#include <stdint.h>

#define PB_FIT_VERSION 4u      /* the newest version read and written */
#define PB_FIT_VERSION_NO_INIT 3u  /* what a fit without initial weights is written as */

typedef struct pb_fit {
    char model[128];        /* model spec */
    char dataset[32];
    char family[32];        /* "gauss-diag" or "point" */
    uint32_t repeat;
    uint64_t data_seed;     /* split seed: the evaluation re-derives the same split */
    uint64_t init_seed;     /* initialization and training noise */
    double test_fraction;
    int standardize_y;
    size_t n;
    double *mean, *sd;      /* n each; sd all zero for point fits */
    double prior_mean, prior_sd;
    double noise_precision; /* beta of a Gaussian likelihood (mse head); 1 for ce */
    double final_objective; /* training objective at the end (per sample) */
    char settings[512];     /* training settings, one line */
    /* Group variables (a family with pb_training.group_variables): one
     * z_k ~ N(group_mean[k], group_sd[k]^2) per variable group of the model,
     * in the model's group-table order; mean and sd are then the effective
     * weights (see pb_fit_view in prunebench.h). 0 and NULL otherwise. */
    size_t n_groups;
    double *group_mean, *group_sd;
    /* The parameters training started from (n; drawn by the model's
     * initialization or given by train --init / --init-fit), before any
     * update; NULL for a fit that does not store them (fits written before
     * version 4). The services of plugins that score at initialization
     * (pb_host.initial_weights) read them. */
    double *init;
} pb_fit;

/* The most parameters a fit holds (pb_fit_alloc and pb_fit_load refuse more). */
#define PB_FIT_MAX_PARAMS ((size_t)1 << 31)
/* Bytes per parameter that training a fit takes at least: the fit's mean
 * and sd, the optimizer's values, two Adam moments and the gradient of
 * each (12 doubles). */
#define PB_FIT_TRAIN_BYTES_PER_PARAM (12 * sizeof(double))

/* Whether a model of n_params parameters (spec names it in the message)
 * can be trained here, checked before any allocation: at most
 * PB_FIT_MAX_PARAMS, and n_params * PB_FIT_TRAIN_BYTES_PER_PARAM within the
 * memory available (pb_mem_available). One line with the sizes otherwise. */
int pb_fit_check_size(size_t n_params, const char *spec);

/* Allocate the group arrays of a fit (zeroed). */
int pb_fit_alloc_groups(pb_fit *fit, size_t n_groups);

/* Allocate fit->init (n, zeroed; replaces any). */
int pb_fit_alloc_init(pb_fit *fit);

int pb_fit_alloc(pb_fit *fit, size_t n);
void pb_fit_free(pb_fit *fit);

/* The value of key in a settings line ("k=v k=v ...", the first word
 * included) into out (cap bytes): 1 if the key is there, else 0 and out "". */
int pb_setting(const char *settings, const char *key, char *out, size_t cap);
/* The same read as a number: dflt when the key is absent or its value is
 * not a number. */
double pb_setting_num(const char *settings, const char *key, double dflt);
int pb_fit_save(const pb_fit *fit, const char *path);
int pb_fit_load(const char *path, pb_fit *fit);

#endif
