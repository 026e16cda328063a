/* idx.h -- IDX files (the MNIST format), MNIST-format directories, and the
 * MNIST-format sets by name (fashion-mnist, mnist and their sequence forms
 * seq-fashion-mnist, seq-mnist) as registry.h opens them.
 *
 * An IDX file is a header -- two zero bytes, a type code, the number of
 * dimensions k, then k big-endian 32-bit sizes -- followed by the data in
 * row-major order. Only type code 0x08 (unsigned byte) is read, with 1 to 4
 * dimensions. Files may be gzip-compressed or plain (zlib reads both).
 *
 * An MNIST-format directory holds train-images-idx3-ubyte, train-labels-idx1-
 * ubyte, t10k-images-idx3-ubyte and t10k-labels-idx1-ubyte, each plain or
 * with a .gz suffix (MNIST, Fashion-MNIST).
 *
 * Errors are one line naming the file and the cause (pb_error).
 */
#ifndef PB_IDX_H
#define PB_IDX_H

#include <stddef.h>
#include <stdint.h>

#include "datasets/data.h"

#define PB_IDX_MAX_DIMS 4

typedef struct pb_idx {
    int ndim;                        /* 1..PB_IDX_MAX_DIMS */
    uint32_t dims[PB_IDX_MAX_DIMS];  /* dims[0] is the number of items */
    size_t count;                    /* product of the dims: bytes in data */
    uint8_t *data;                   /* row-major, owned */
} pb_idx;

/* Read a plain or gzip-compressed IDX file of unsigned bytes. Checks the
 * magic, the type code, 1-4 dimensions (none zero) and that the data is
 * exactly as long as the dimensions say (shorter: "truncated"; longer:
 * trailing bytes). On failure out is left empty (safe to pb_idx_free). */
int pb_idx_read(const char *path, pb_idx *out);
void pb_idx_free(pb_idx *x);

/* Identification of the files of an MNIST-format directory, for provenance:
 * the path read, its size on disk and the 64-bit FNV-1a hash of its bytes on
 * disk (compressed bytes for a .gz file). Order: train images, train labels,
 * test images, test labels. */
typedef struct pb_idx_source {
    char path[4096];
    uint64_t bytes;
    uint64_t fnv1a;
} pb_idx_source;

typedef struct pb_mnist_info {
    char dir[4096];
    pb_idx_source file[4];
} pb_mnist_info;

/* Find the four files in dir (a plain file is preferred to its .gz twin
 * when both exist), and fill info with their sizes and hashes. */
int pb_mnist_identify(const char *dir, pb_mnist_info *info);

/* One line describing info: "DIR: NAME BYTES bytes fnv1a64 HEX; ..." */
void pb_mnist_describe(const pb_mnist_info *info, char *buf, size_t len);

/* Load an MNIST-format directory: train (60000 x 784 for MNIST) and test
 * (10000 x 784) with pixels byte/255 in [0,1], ydim 1, labels 0..9 as
 * doubles, n_classes 10; names "<name>/train" and "<name>/test". Images
 * must have 3 dimensions and labels 1, their counts must agree, every label
 * must be < 10, and train and test images must have the same size. info may
 * be NULL. On failure train and test are left empty. */
int pb_mnist_load(const char *dir, const char *name, pb_data *train, pb_data *test, pb_mnist_info *info);

/* ---- the sets by name ---- */

/* Where the MNIST-format sets are read from. */
#define PB_FASHION_MNIST_DEFAULT_DIR "/usr/share/datasets/fashion-mnist"  /* Debian dataset-fashion-mnist */
#define PB_FASHION_MNIST_ENV "PB_FASHION_MNIST_DIR"
#define PB_MNIST_ENV "PB_MNIST_DIR"

/* The directory an MNIST-format set is read from: for "fashion-mnist"
 * $PB_FASHION_MNIST_DIR, else PB_FASHION_MNIST_DEFAULT_DIR; for "mnist"
 * $PB_MNIST_DIR (an error saying how to set it when unset). NULL, with an
 * error recorded, for other names. */
const char *pb_dataset_mnist_dir(const char *name);

/* Open "fashion-mnist" or "mnist" (from the directory above), or
 * "seq-fashion-mnist" or "seq-mnist": the same data with seq_len = the
 * image height (28), each image row one step of (width) pixels, which is
 * the row-major layout already (the images must be square). The fixed
 * train and test files; pixels byte/255 in [0,1], not standardized. A
 * missing directory is named with the variable that sets it. On failure
 * train and test are left empty. */
int pb_mnist_open(const char *name, pb_data *train, pb_data *test);

/* Whether pb_mnist_open(name) would find its four files: 1 or 0 (the
 * reason recorded, naming the set and its directory). Presence only. */
int pb_mnist_available(const char *name);

#endif
