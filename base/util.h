/* util.h -- status codes, error messages, allocation, seed derivation and
 * atomic file output shared by every part of the harness.
 *
 * Errors: a function that fails returns a pb_status and records one line of
 * explanation with pb_error(); the caller (ultimately main) prints it with
 * pb_last_error(). Messages never end with a newline.
 */
#ifndef PB_UTIL_H
#define PB_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

typedef enum pb_status {
    PB_OK = 0,
    PB_ERR_NOMEM,
    PB_ERR_IO,
    PB_ERR_FORMAT,
    PB_ERR_ARG,
    PB_ERR_PLUGIN,
    PB_ERR_NUMERIC,
    PB_PAUSED          /* training stopped early on request, its state saved (checkpoint.h) */
} pb_status;

const char *pb_strerror(int status);

/* Record the explanation of the current failure (printf format). Returns status. */
int pb_error(int status, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
const char *pb_last_error(void);

/* calloc that records an error on failure (returns NULL). */
void *pb_calloc(size_t count, size_t size);

/* 64-bit FNV-1a of a byte string, continuing from h (start with PB_FNV_OFFSET). */
#define PB_FNV_OFFSET 0xcbf29ce484222325ULL
uint64_t pb_fnv1a(uint64_t h, const void *data, size_t len);
/* One SplitMix64 step on x: add the golden-ratio increment, then the
 * finalizer; a bijection of the 64 bits. */
uint64_t pb_mix64(uint64_t x);

/* Seed of a random stream, derived from what the cell is:
 * hash(experiment, dataset, model, method, repeat, purpose). Fields are
 * joined with a unit separator so ("ab","c") != ("a","bc"). */
uint64_t pb_seed(const char *experiment, const char *dataset, const char *model,
                 const char *method, unsigned repeat, const char *purpose);

/* Seed a GSL generator from a 64-bit seed. GSL's mt19937 takes 32 bits, so
 * the seed is folded (low ^ high) first; streams of different cells collide
 * only if their folded seeds are equal (probability 2^-32 per pair). */
void pb_rng_seed(void *gsl_rng_ptr, uint64_t seed);

/* Atomic output: write to "<path>.tmp.<pid>", then rename onto path.
 * pb_out_open first removes the temp files of earlier writes to the same
 * path whose process is gone ("<path>.tmp.<pid>" with no process <pid>:
 * left by a kill), so a killed write leaves nothing behind once its target
 * is written again. */
typedef struct pb_outfile {
    FILE *f;
    char *path, *tmp;
} pb_outfile;
int pb_out_open(pb_outfile *o, const char *path);
/* Whether path can be written, checked before any work: its directory
 * exists, is a directory and is writable, and path is not a directory (a
 * writable device such as /dev/null is accepted as it is). PB_ERR_IO with
 * "cannot write PATH: ..." otherwise. Nothing is created. */
int pb_out_check(const char *path);
/* Remove "<path>.tmp.<pid>" files whose process <pid> is gone; the count. */
size_t pb_out_remove_stale(const char *path);
int pb_out_commit(pb_outfile *o);   /* flush, fsync, close, rename */
void pb_out_abort(pb_outfile *o);   /* close and remove the temp file */

/* Macro-safe CamelCase of a name in [a-z0-9_] for LaTeX command names:
 * the first letter and every letter after a separator is upper-cased,
 * digits are spelled out ("Zero" ... "Nine"), other characters dropped
 * ("boston_2" -> "BostonTwo"). out is always terminated (len >= 1). */
void pb_tex_camel(const char *s, char *out, size_t len);
/* s as LaTeX text (method names may contain '_'): _ & % $ # { } escaped
 * with a backslash; \ ~ ^ | < > spelled out; truncated to fit len
 * (len >= 1). */
void pb_tex_escape(const char *s, char *out, size_t len);

/* fopen(path, mode) for reading that never blocks and reads only regular
 * files: the file is opened with O_NONBLOCK (a FIFO with no writer, or a
 * device, does not hang the open), checked with fstat, and anything but a
 * regular file is refused with errno EINVAL; pb_open_strerror(errno) then
 * says "not a regular file". mode is "r" or "rb". */
FILE *pb_fopen_read(const char *path, const char *mode);
/* strerror(e), except EINVAL from pb_fopen_read: "not a regular file (a
 * directory, FIFO, socket or device)". */
const char *pb_open_strerror(int e);

/* Bytes of memory available for new allocations (MemAvailable of
 * /proc/meminfo; else physical memory; 0 if unknown). */
uint64_t pb_mem_available(void);

/* Seconds on the monotonic clock (for elapsed times only). */
double pb_seconds(void);
/* Sort v[0 .. n) ascending and drop repeated values; the count kept. */
size_t pb_sort_unique(double *v, size_t n);

#endif
