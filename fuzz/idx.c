/* idx.c -- fuzz pb_idx_read (datasets/idx.h): plain and gzip-compressed IDX. */
#include "fuzz.h"
#include "datasets/idx.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    pb_idx x;
    if (!pb_idx_read(fuzz_file(data, size, "-idx1-ubyte.gz"), &x)) pb_idx_free(&x);
    return 0;
}
