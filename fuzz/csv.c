/* csv.c -- fuzz pb_csv_load (datasets/csv.h), as a regression and as a
 * classification file; then standardization of what it accepts. */
#include "fuzz.h"
#include "datasets/csv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = fuzz_file(data, size, ".csv");
    for (int classification = 0; classification < 2; classification++) {
        pb_data d;
        if (pb_csv_load(path, classification, "fuzz", &d)) continue;
        if (d.n >= 2) {
            pb_data tr, te;
            pb_scaling sc;
            if (!pb_split(&d, 0.5, 1, &tr, &te)) {
                if (!pb_standardize(&tr, &te, 1, &sc)) pb_scaling_free(&sc);
                pb_data_free(&tr);
                pb_data_free(&te);
            }
        }
        pb_data_free(&d);
    }
    return 0;
}
