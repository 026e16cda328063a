/* fit.c -- fuzz pb_fit_load (formats/fit.h). */
#include "fuzz.h"
#include "formats/fit.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    pb_fit f;
    if (!pb_fit_load(fuzz_file(data, size, ".fit"), &f)) pb_fit_free(&f);
    return 0;
}
