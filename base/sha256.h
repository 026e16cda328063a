/* sha256.h -- SHA-256 (FIPS 180-4) of a byte string or a file, for
 * provenance: the hash of a plugin's .so recorded beside the results it
 * made, comparable with `sha256sum FILE`.
 *
 *   pb_sha256 s; pb_sha256_init(&s); pb_sha256_update(&s, p, n)...;
 *   pb_sha256_final(&s, digest);          digest: 32 bytes
 */
#ifndef PB_SHA256_H
#define PB_SHA256_H

#include <stddef.h>
#include <stdint.h>

typedef struct pb_sha256 {
    uint32_t h[8];          /* chaining state */
    uint64_t bytes;         /* message length so far */
    unsigned char block[64];
    size_t fill;            /* bytes in block */
} pb_sha256;

void pb_sha256_init(pb_sha256 *s);
void pb_sha256_update(pb_sha256 *s, const void *data, size_t len);
void pb_sha256_final(pb_sha256 *s, unsigned char digest[32]);

/* The digest as 64 lower-case hex digits (hex needs 65 bytes). */
void pb_sha256_hex(const unsigned char digest[32], char hex[65]);

/* SHA-256 of the file at path as 64 hex digits; PB_ERR_IO with the path
 * and the reason on failure. */
int pb_sha256_file(const char *path, char hex[65]);

#endif
