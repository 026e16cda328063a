/* csr.c -- fuzz pb_csr_load (formats/csr.h), the bytes as they are and
 * with the envelope's length and checksum made right (fuzz.h); an accepted
 * network is also expanded to dense weights. */
#include "fuzz.h"
#include "formats/csr.h"

static void one(const uint8_t *data, size_t size)
{
    pb_csr_net net;
    if (pb_csr_load(fuzz_file(data, size, ".csr"), &net)) return;
    size_t n = 0;
    for (size_t l = 0; l < net.n_layers; l++) n += (size_t)net.layers[l].rows * net.layers[l].cols + net.layers[l].rows;
    double *w = n < ((size_t)1 << 24) ? calloc(n ? n : 1, sizeof *w) : NULL;
    if (w) pb_csr_to_dense(&net, w);
    free(w);
    pb_csr_free(&net);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    one(data, size);
    uint8_t *fixed = fuzz_envelope(data, size);
    if (fixed) one(fixed, size);
    free(fixed);
    return 0;
}
