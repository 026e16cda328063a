/* binfile.h -- the checksummed envelope of the suite's binary files (fit
 * files, sparse networks) and the byte buffers that fill and read them.
 *
 * Layout (native byte order, detected by the order mark):
 *   8 bytes magic, u32 version, u32 order mark 0x01020304, u64 payload length,
 *   payload, u64 FNV-1a-64 of every byte before it.
 * A file with another magic, version or order mark, a length that does not
 * match, or a wrong checksum is rejected with one line naming the file, its
 * kind ("fit file", ...) and the cause. */
#ifndef PB_BINFILE_H
#define PB_BINFILE_H

#include <stddef.h>
#include <stdint.h>

/* Growable output buffer; an allocation failure sets oom and stops writing. */
typedef struct pb_buf { unsigned char *p; size_t len, cap; int oom; } pb_buf;
void pb_buf_put(pb_buf *b, const void *data, size_t len);
void pb_buf_u32(pb_buf *b, uint32_t v);
void pb_buf_u64(pb_buf *b, uint64_t v);
void pb_buf_f64(pb_buf *b, double v);
void pb_buf_str(pb_buf *b, const char *s);  /* u32 length, then the bytes */

/* Reader over a byte range; reading past the end marks it bad (and zeroes). */
typedef struct pb_reader { const unsigned char *p; size_t len, pos; int bad; } pb_reader;
void pb_reader_get(pb_reader *r, void *out, size_t len);
uint32_t pb_reader_u32(pb_reader *r);
uint64_t pb_reader_u64(pb_reader *r);
double pb_reader_f64(pb_reader *r);
void pb_reader_str(pb_reader *r, char *out, size_t cap);  /* marks bad if it does not fit */

/* Write magic, version, the payload and the checksum to path (atomically).
 * kind names the file in messages. The payload buffer is not freed. */
int pb_binfile_write(const char *path, const unsigned char magic[8], uint32_t version, const char *kind,
                     const pb_buf *payload);

/* Read and verify path; on success *data owns the whole file (free it) and
 * payload reads exactly the payload bytes. */
int pb_binfile_read(const char *path, const unsigned char magic[8], uint32_t version, const char *kind,
                    unsigned char **data, pb_reader *payload);
/* The same accepting any version in [vmin, vmax], which goes to *version. */
int pb_binfile_read_versions(const char *path, const unsigned char magic[8], uint32_t vmin, uint32_t vmax,
                             const char *kind, unsigned char **data, pb_reader *payload, uint32_t *version);

#endif
