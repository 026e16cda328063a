/* checkpoint_format.c -- the checkpoint file (formats/checkpoint.h) on its
 * own:
 *   1. saved and loaded back: position, named scalars, vectors, sample
 *      order and generator state all return, bitwise;
 *   2. scalars are matched by name, not position: a reader that lists them
 *      in another order gets each value under its own name;
 *   3. a checkpoint carrying a scalar this run does not (or another count,
 *      or a vector of another name or length) is another run's: not used,
 *      a notice, the caller's variables untouched;
 *   4. a checkpoint of format version 1 (positional scalars) is one error
 *      line naming the file and saying what to do. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <gsl/gsl_rng.h>

#include "tap.h"
#include "testutil.h"
#include "base/binfile.h"
#include "base/util.h"
#include "formats/checkpoint.h"

static char dir[] = "/tmp/pb-ckfmt-XXXXXX";

/* A run's state: three scalars, two vectors, an order of 5 samples. */
typedef struct state { double beta, kl, mu, v0[4], v1[4]; size_t perm[5]; gsl_rng *rng; } state;

static void setup(pb_ckpt *c, state *s, const char *key)
{
    memset(c, 0, sizeof *c);
    snprintf(c->key, sizeof c->key, "%s", key);
    c->n_scalars = 3;
    c->scalar[0] = (pb_ckpt_scalar){"noise_precision", &s->beta};
    c->scalar[1] = (pb_ckpt_scalar){"kl", &s->kl};
    c->scalar[2] = (pb_ckpt_scalar){"prior_mean", &s->mu};
    c->n_vectors = 2;
    c->vector[0] = (pb_ckpt_vector){"values", s->v0, 4};
    c->vector[1] = (pb_ckpt_vector){"adam_m1", s->v1, 4};
    c->perm = s->perm, c->n_perm = 5;
    c->rng = s->rng;
}

static void fill(state *s, double base)
{
    s->beta = base + 0.1, s->kl = base + 0.2, s->mu = base + 0.3;
    for (int i = 0; i < 4; i++) s->v0[i] = base + i, s->v1[i] = -base - i;
    for (size_t i = 0; i < 5; i++) s->perm[i] = (i * 3 + (size_t)base) % 5;
}

static int same_state(const state *a, const state *b)
{
    return a->beta == b->beta && a->kl == b->kl && a->mu == b->mu && !memcmp(a->v0, b->v0, sizeof a->v0) &&
           !memcmp(a->v1, b->v1, sizeof a->v1) && !memcmp(a->perm, b->perm, sizeof a->perm) &&
           gsl_rng_get(a->rng) == gsl_rng_get(b->rng);
}

int main(void)
{
    plan(7);
    TAP_REQUIRE(mkdtemp(dir) != NULL);
    char path[256], old[256], err[256];
    snprintf(path, sizeof path, "%s/run.ckpt", dir);
    snprintf(old, sizeof old, "%s/old.ckpt", dir);
    snprintf(err, sizeof err, "%s/stderr.txt", dir);
    TAP_REQUIRE(freopen(err, "w", stderr) != NULL);

    state a = {.rng = gsl_rng_alloc(gsl_rng_mt19937)}, b = {.rng = gsl_rng_alloc(gsl_rng_mt19937)};
    TAP_REQUIRE(a.rng && b.rng);
    gsl_rng_set(a.rng, 5);
    gsl_rng_get(a.rng);
    fill(&a, 1);
    pb_ckpt ca, cb;
    setup(&ca, &a, "run A");
    ca.epoch = 3, ca.next = 2, ca.step = 11;
    TAP_REQUIRE(pb_ckpt_save(path, &ca) == 0);

    /* 1. */
    fill(&b, 7);
    setup(&cb, &b, "run A");
    int found = 0, st = pb_ckpt_load(path, &cb, &found);
    ok(st == 0 && found && cb.epoch == 3 && cb.next == 2 && cb.step == 11 && same_state(&a, &b),
       "saved and loaded: position, named scalars, vectors, order and generator come back bitwise");

    /* 2. the same names listed in another order */
    fill(&b, 7);
    setup(&cb, &b, "run A");
    cb.scalar[0] = (pb_ckpt_scalar){"prior_mean", &b.mu};
    cb.scalar[2] = (pb_ckpt_scalar){"noise_precision", &b.beta};
    st = pb_ckpt_load(path, &cb, &found);
    ok(st == 0 && found && b.beta == a.beta && b.kl == a.kl && b.mu == a.mu,
       "scalars are matched by name: listed in another order, each gets its own value");

    /* 3. other names, counts, vectors: another run's, nothing written */
    fill(&b, 7);
    setup(&cb, &b, "run A");
    cb.scalar[1].name = "kl_weight";
    st = pb_ckpt_load(path, &cb, &found);
    ok(st == 0 && !found && b.kl == 7.2 && b.beta == 7.1, "a checkpoint carrying a scalar this run does not is not used");
    setup(&cb, &b, "run A");
    cb.n_scalars = 2;
    st = pb_ckpt_load(path, &cb, &found);
    int fewer = st == 0 && !found;
    setup(&cb, &b, "run A");
    cb.vector[1].name = "adam_m2";
    st = pb_ckpt_load(path, &cb, &found);
    int vname = st == 0 && !found;
    setup(&cb, &b, "run A");
    cb.vector[0].len = 3;
    st = pb_ckpt_load(path, &cb, &found);
    ok(fewer && vname && st == 0 && !found && b.v0[0] == 7,
       "another count of scalars, a vector of another name or length: not used, nothing written");
    setup(&cb, &b, "run B");
    st = pb_ckpt_load(path, &cb, &found);
    ok(st == 0 && !found, "another run's key: not used");

    /* 4. format version 1: the same envelope, positional scalars */
    pb_buf buf = {0};
    pb_buf_str(&buf, "run A");
    pb_buf_u64(&buf, 3), pb_buf_u64(&buf, 2), pb_buf_u64(&buf, 11);
    pb_buf_u32(&buf, 1), pb_buf_f64(&buf, 1.5), pb_buf_u32(&buf, 0), pb_buf_u64(&buf, 0);
    static const unsigned char MAGIC[8] = {'P', 'B', 'C', 'K', 'P', 'T', '\r', '\n'};
    TAP_REQUIRE(!buf.oom && pb_binfile_write(old, MAGIC, 1, "checkpoint", &buf) == 0);
    free(buf.p);
    setup(&cb, &b, "run A");
    st = pb_ckpt_load(old, &cb, &found);
    const char *msg = pb_last_error();
    ok(st == PB_ERR_FORMAT && !found && strstr(msg, old) && strstr(msg, "version 1") && strstr(msg, "remove it") &&
           !strchr(msg, '\n'),
       "a format-1 checkpoint is one error line: %s", msg);

    static char notes[8192];
    read_text(err, notes, sizeof notes);
    ok(strstr(notes, "carries a value 'kl' this run does not") && strstr(notes, "carries 3 values, this run 2") &&
           strstr(notes, "has vector 'adam_m1' where this run has 'adam_m2'") &&
           strstr(notes, "has 4 values, this run 3") && strstr(notes, "belongs to another run"),
       "each refusal says why on stderr");

    gsl_rng_free(a.rng), gsl_rng_free(b.rng);
    remove(path), remove(old), remove(err), rmdir(dir);
    return done_testing();
}
