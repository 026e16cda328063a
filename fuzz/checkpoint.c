/* checkpoint.c -- fuzz pb_ckpt_load (formats/checkpoint.h) into the run
 * fuzz/mkseeds.c saves: key "fuzz", scalars a and b, vectors values (5) and
 * m1 (5), 6 samples, mt19937, last epoch 3. */
#include "fuzz.h"
#include "formats/checkpoint.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static gsl_rng *rng;
    if (!rng && !(rng = gsl_rng_alloc(gsl_rng_mt19937))) abort();
    /* pb_ckpt_load's notices (another run's checkpoint) to /dev/null through
     * the FILE stderr only: fd 2, where the sanitizers report, stays open */
    static FILE *null;
    if (!null && (null = fopen("/dev/null", "w"))) stderr = null;
    double a = 0, b = 0, v[5], m1[5];
    size_t perm[6];
    pb_ckpt c = {.key = "fuzz", .n_scalars = 2, .n_vectors = 2, .perm = perm, .n_perm = 6, .rng = rng, .last_epoch = 3};
    c.scalar[0] = (pb_ckpt_scalar){"a", &a};
    c.scalar[1] = (pb_ckpt_scalar){"b", &b};
    c.vector[0] = (pb_ckpt_vector){"values", v, 5};
    c.vector[1] = (pb_ckpt_vector){"m1", m1, 5};
    int found;
    pb_ckpt_load(fuzz_file(data, size, ".ckpt"), &c, &found);
    uint8_t *fixed = fuzz_envelope(data, size);   /* length and checksum made right (fuzz.h) */
    if (fixed) pb_ckpt_load(fuzz_file(fixed, size, ".ckpt"), &c, &found);
    free(fixed);
    return 0;
}
