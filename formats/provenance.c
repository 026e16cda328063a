/* provenance.c -- see provenance.h. */
#include "formats/provenance.h"

#include <gsl/gsl_version.h>
#include "base/blas.h"

#ifndef PB_VERSION
#define PB_VERSION "unknown"
#endif

const char *pb_version(void) { return PB_VERSION; }

void pb_write_provenance(FILE *f)
{
    fprintf(f, "# prunebench: %s\n", PB_VERSION);
#if defined(__clang__)
    fprintf(f, "# compiler: clang %s\n", __clang_version__);
#elif defined(__GNUC__)
    fprintf(f, "# compiler: gcc %s\n", __VERSION__);
#endif
    fprintf(f, "# gsl: %s\n", GSL_VERSION);
    fprintf(f, "# blas: %s core=%s threads=%d\n", pb_blas_config(), pb_blas_corename(),
            pb_blas_threads());
}
