/* hypernet.h -- a trained hypernetwork (train/hyper.h) and how it was made,
 * stored as a versioned binary file (`prunebench hyper-train`).
 *
 * File layout (native byte order, base/binfile.h):
 *   8 bytes magic "PBHYP\r\n\032", u32 version (PB_HYPERNET_VERSION), u32
 *   order mark, u64 payload length, payload, u64 FNV-1a checksum; written
 *   atomically (a temporary file renamed).
 * Payload: strings as u32 length + bytes, numbers as u64 / f64:
 *   model, dataset, kind ("lowrank" | "linear"), repeat, data_seed,
 *   init_seed, test_fraction, standardize_y, n (model parameters), hidden,
 *   n_u, updates, final_objective, settings, then u[n_u].
 * A file with another magic, version, order mark, length or checksum, an
 * unknown kind, or n_u values that are not the payload's rest is rejected
 * with a message that says which. Whether n_u matches the model's layout
 * is checked by whoever builds the generator (pb_hyper_alloc). */
#ifndef PB_HYPERNET_H
#define PB_HYPERNET_H

#include <stddef.h>
#include <stdint.h>

/* 2: the low-rank term is divided by H (train/hyper.h); a version-1 file
 * (the unscaled term) is refused rather than read with another meaning. */
#define PB_HYPERNET_VERSION 2u

typedef struct pb_hypernet {
    char model[128];        /* model spec of the generated networks */
    char dataset[32];
    char kind[16];          /* "lowrank" or "linear" */
    uint32_t repeat;
    uint64_t data_seed, init_seed;
    double test_fraction;
    int standardize_y;
    size_t n;               /* model parameters (the generator gives 2n: means, log-variances) */
    size_t hidden;          /* width of the low-rank generator's f (0 for linear) */
    size_t n_u;
    double updates;         /* parameter updates of its training (counted by the trainer) */
    double final_objective; /* training objective per sample at the end */
    char settings[512];     /* training settings, one line */
    double *u;              /* n_u values (owned) */
} pb_hypernet;

void pb_hypernet_free(pb_hypernet *h);
int pb_hypernet_save(const pb_hypernet *h, const char *path);
int pb_hypernet_load(const char *path, pb_hypernet *h);

#endif
