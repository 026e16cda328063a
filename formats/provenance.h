/* provenance.h -- what built a result: the prunebench version, the compiler,
 * GSL and the BLAS core in use. Above the base layer because it asks the
 * linked BLAS for its configuration. */
#ifndef PB_PROVENANCE_H
#define PB_PROVENANCE_H

#include <stdio.h>

/* Provenance lines ("# key: value") for result headers: version, compiler, BLAS. */
void pb_write_provenance(FILE *f);

/* The build's version (scripts/version.sh at build time: git describe
 * --always --dirty, and a hash of the uncommitted changes when dirty). */
const char *pb_version(void);

#endif
