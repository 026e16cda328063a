/* memo.h -- a content-addressed cache of derived arrays between runs.
 *
 * Some data are expensive to derive and cheap to store: the LSA word
 * vectors of a pair set take seconds (an eigendecomposition of a 5000 x
 * 5000 Gram matrix) and every cell that opens the set needs them. With
 * $PB_CACHE_DIR set, such an array is written once to
 *   $PB_CACHE_DIR/<kind>-<first 16 hex digits of key>.bin
 * and later opens read it back. The key is a SHA-256 the caller computes
 * over everything the array depends on (its input data, its parameters
 * and the code that derives it), so a stale entry is never found: a
 * change of input or code gives another file. The values are stored as
 * the bytes of the doubles, so a read gives bit for bit what the
 * computation gave.
 *
 * The cache only saves time: without $PB_CACHE_DIR (or with it empty) the
 * array is computed every time; a file that is missing, damaged (checksum,
 * binfile.h), of another key or of another size counts as absent and is
 * rewritten; a failed write is ignored. Entries are small (the LSA vectors
 * of a 5000-word vocabulary: 2 MB) and are never removed by prunebench.
 */
#ifndef PB_MEMO_H
#define PB_MEMO_H

#include <stddef.h>

#define PB_CACHE_ENV "PB_CACHE_DIR"

/* Fill out[0..count) from the entry (kind, key): 1 if found and valid,
 * 0 otherwise (no cache directory, no entry, or an entry that does not
 * verify). Never records an error. */
int pb_memo_load(const char *kind, const unsigned char key[32], double *out, size_t count);

/* Store v[0..count) as the entry (kind, key), atomically; creates the
 * cache directory (one level) when missing. Best effort: does nothing
 * without a cache directory, and a failure leaves no file and no error. */
void pb_memo_store(const char *kind, const unsigned char key[32], const double *v, size_t count);

#endif
