/* fit.c -- fuzz pb_fit_load (formats/fit.h): the bytes as they are, and
 * with the envelope's length and checksum made right (fuzz.h). */
#include "fuzz.h"
#include "formats/fit.h"

static void one(const uint8_t *data, size_t size)
{
    pb_fit f;
    if (!pb_fit_load(fuzz_file(data, size, ".fit"), &f)) pb_fit_free(&f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    one(data, size);
    uint8_t *fixed = fuzz_envelope(data, size);
    if (fixed) one(fixed, size);
    free(fixed);
    return 0;
}
