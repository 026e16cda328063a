/* checkpoint.h -- the resumable state of a training run (train/driver.c),
 * saved to a file so that an interrupted or paused run continues where it
 * stopped and ends bitwise equal to an uninterrupted one.
 *
 * The state is: where the run stands (the epoch in progress, the start of its
 * next minibatch, the Adam steps done), the scalars the run carries between
 * minibatches, each under its name ("noise_precision", "kl", ...), the
 * optimizer's vectors, each under its name (values and both Adam moments),
 * the epoch's sample order and the random stream's state. A key string names
 * the run it belongs to (every setting that changes the trajectory, and
 * hashes of the data and of the initial values): a checkpoint with another
 * key is not used.
 *
 * Scalars and vectors point at the caller's variables: pb_ckpt_save reads
 * them, pb_ckpt_load writes them (only when the whole checkpoint fits this
 * run). Scalars are matched by name, in any order; vectors by name and
 * length, in order.
 *
 * File: the checksummed envelope of binfile.h, magic "PBCKPT", version 2,
 * native byte order. Payload: key, epoch, next, step; u32 count, then per
 * scalar its name and f64 value; u32 count, then per vector its name, u64
 * length and values; u64 length and the sample order (u64 each); the
 * generator's type name, u64 size and state bytes. Version 1 (positional
 * scalars) is refused in one line. Written atomically (temp file, rename). */
#ifndef PB_CHECKPOINT_H
#define PB_CHECKPOINT_H

#include <stddef.h>
#include <stdint.h>
#include <gsl/gsl_rng.h>

enum { PB_CKPT_MAX_SCALARS = 16, PB_CKPT_MAX_VECTORS = 4, PB_CKPT_NAME_MAX = 32 };

typedef struct pb_ckpt_scalar {
    const char *name;   /* at most PB_CKPT_NAME_MAX - 1 bytes, unique in the checkpoint */
    double *value;      /* the caller's variable */
} pb_ckpt_scalar;

typedef struct pb_ckpt_vector {
    const char *name;
    double *data;       /* the caller's array of len values */
    size_t len;
} pb_ckpt_vector;

typedef struct pb_ckpt {
    char key[2048];
    uint64_t epoch, next, step;           /* epoch in progress (from 1), next minibatch start, Adam steps done */
    uint64_t last_epoch;                  /* the run's last epoch: a checkpoint past it is refused (0: unchecked) */
    size_t n_scalars;
    pb_ckpt_scalar scalar[PB_CKPT_MAX_SCALARS];
    size_t n_vectors;
    pb_ckpt_vector vector[PB_CKPT_MAX_VECTORS];
    size_t *perm, n_perm;                 /* the caller's sample order */
    gsl_rng *rng;                         /* the caller's generator (its state is saved and restored) */
} pb_ckpt;

/* Save c to path. */
int pb_ckpt_save(const char *path, const pb_ckpt *c);

/* Load path into c, whose key, names, counts, lengths and buffers the caller
 * has set up. *found = 1 when the run resumes from it; *found = 0 when there
 * is no file, or when its key, names or shapes differ (a one-line notice on
 * stderr says the checkpoint is for another run and will be replaced). A
 * file that is damaged, of an older format version, or whose epoch is past
 * c->last_epoch (when set) is an error naming it. */
int pb_ckpt_load(const char *path, pb_ckpt *c, int *found);

/* The key's part that identifies data: FNV-1a of n doubles (0 for NULL). */
uint64_t pb_ckpt_hash(const double *x, size_t n);

#endif
