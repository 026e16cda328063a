/* csr.c -- fuzz pb_csr_load (formats/csr.h); an accepted network is also
 * expanded to dense weights. */
#include "fuzz.h"
#include "formats/csr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    pb_csr_net net;
    if (pb_csr_load(fuzz_file(data, size, ".csr"), &net)) return 0;
    size_t n = 0;
    for (size_t l = 0; l < net.n_layers; l++) n += (size_t)net.layers[l].rows * net.layers[l].cols + net.layers[l].rows;
    double *w = n < ((size_t)1 << 24) ? calloc(n ? n : 1, sizeof *w) : NULL;
    if (w) pb_csr_to_dense(&net, w);
    free(w);
    pb_csr_free(&net);
    return 0;
}
