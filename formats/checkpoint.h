/* checkpoint.h -- the resumable state of a training run (train.c), saved to
 * a file so that an interrupted or paused run continues where it stopped and
 * ends bitwise equal to an uninterrupted one.
 *
 * The state is: where the run stands (the epoch in progress, the start of its
 * next minibatch, the Adam steps done), a few scalars the loop carries (noise
 * precision, the epoch's summed loss, the last KL, ...), the optimizer's
 * vectors (parameters and both Adam moments), the epoch's sample order and
 * the random stream's state. A key string names the run it belongs to (every
 * setting that changes the trajectory, and hashes of the data and of the
 * initial values): a checkpoint with another key is not used.
 *
 * File: the checksummed envelope of binfile.h, magic "PBCKPT", version 1,
 * native byte order. Written atomically (temp file, then rename). */
#ifndef PB_CHECKPOINT_H
#define PB_CHECKPOINT_H

#include <stddef.h>
#include <stdint.h>
#include <gsl/gsl_rng.h>

enum { PB_CKPT_MAX_SCALARS = 8, PB_CKPT_MAX_VECTORS = 4 };

typedef struct pb_ckpt {
    char key[2048];
    uint64_t epoch, next, step;           /* epoch in progress (from 1), next minibatch start, Adam steps done */
    size_t n_scalars;
    double scalar[PB_CKPT_MAX_SCALARS];
    size_t n_vectors;
    double *vector[PB_CKPT_MAX_VECTORS];  /* the caller's arrays: saved from, loaded into */
    size_t vector_len[PB_CKPT_MAX_VECTORS];
    size_t *perm, n_perm;                 /* the caller's sample order */
    gsl_rng *rng;                         /* the caller's generator (its state is saved and restored) */
} pb_ckpt;

/* Save c to path. */
int pb_ckpt_save(const char *path, const pb_ckpt *c);

/* Load path into c, whose key, counts, lengths and buffers the caller has set
 * up. *found = 1 when the run resumes from it; *found = 0 when there is no
 * file, or when its key or shapes differ (a one-line notice on stderr says
 * the checkpoint is for another run and will be replaced). A file that is
 * damaged is an error naming it. */
int pb_ckpt_load(const char *path, pb_ckpt *c, int *found);

/* The key's part that identifies data: FNV-1a of n doubles (0 for NULL). */
uint64_t pb_ckpt_hash(const double *x, size_t n);

#endif
