/* blobs.h -- the tests' classification toy set (header-only): three Gaussian
 * blobs in the plane, centres on a circle of radius 3 (sd 0.5), optionally
 * followed by n_noise N(0, 1) input columns that carry no information.
 * Draws per sample, in order: x0, x1, the noise columns; labels i mod 3. */
#ifndef PB_BLOBS_H
#define PB_BLOBS_H

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include "datasets/data.h"
#include "tap.h"

static inline void tu_blobs(pb_data *d, const char *name, size_t per_class, size_t n_noise, unsigned long seed)
{
    size_t w = 2 + n_noise;
    TAP_REQUIRE(pb_data_alloc(d, name, 3 * per_class, w, 1, 3) == 0);
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    TAP_REQUIRE(r != NULL);
    gsl_rng_set(r, seed);
    const double cx[3] = {0, -2.598, 2.598}, cy[3] = {3, -1.5, -1.5};
    for (size_t i = 0; i < d->n; i++) {
        size_t c = i % 3;
        d->X[w * i] = cx[c] + gsl_ran_gaussian(r, 0.5);
        d->X[w * i + 1] = cy[c] + gsl_ran_gaussian(r, 0.5);
        for (size_t k = 0; k < n_noise; k++) d->X[w * i + 2 + k] = gsl_ran_gaussian(r, 1.0);
        d->y[i] = (double)c;
    }
    gsl_rng_free(r);
}

#endif
