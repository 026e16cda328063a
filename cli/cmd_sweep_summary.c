/* cmd_sweep_summary.c -- `prunebench sweep-summary`: P3 sweeps over repeats,
 * per posterior family (protocols/p3_summary.h). */
#include <stdlib.h>

#include "base/util.h"
#include "cli/cli.h"
#include "protocols/p3_summary.h"

int cmd_sweep_summary(int argc, char **argv)
{
    opt o[] = {O("name"), O("title"), O("mean"), O("gp"), O("tsv"), O("macros"), END};
    int nrest, st;
    char **rest = parse_files_or_die(argc, argv, o, &nrest);
    pb_p3_summary_opts so = {get(o, "name", NULL), get(o, "title", NULL), get(o, "mean", NULL), get(o, "gp", NULL),
                             get(o, "tsv", NULL), get(o, "macros", NULL)};
    if ((st = pb_p3_summarize(&so, rest, (size_t)nrest))) die(st);
    free(rest);
    return 0;
}
