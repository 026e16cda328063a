/* cmd_summarize.c -- `prunebench summarize`: the P1 summary of one dataset
 * over methods and repeats (protocols/p1_summary.h). */
#include <stdlib.h>

#include "cli/cli.h"
#include "protocols/p1_summary.h"
#include "base/util.h"

int cmd_summarize(int argc, char **argv)
{
    opt o[] = {O("dataset"), O("title"), O("tol"), O("mean"), O("gp"), O("tsv"), O("tex"), O("macros"), O("reference"),
               O("variant"), END};
    int nrest, st;
    char **rest = parse_files_or_die(argc, argv, o, &nrest);
    if (nrest == 0) die(pb_error(PB_ERR_ARG, "summarize: no curve files given"));
    if (!get(o, "mean", NULL) && !get(o, "gp", NULL) && !get(o, "tsv", NULL) && !get(o, "tex", NULL) &&
        !get(o, "macros", NULL))
        die(pb_error(PB_ERR_ARG, "summarize: no output asked for: give at least one of --mean, --gp, --tsv, --tex, "
                                 "--macros"));
    pb_summary_opts so = {need(o, "dataset"), get(o, "title", NULL), get_num(o, "tol", 0, 0, 1e6), get(o, "mean", NULL),
                          get(o, "gp", NULL), get(o, "tsv", NULL), get(o, "tex", NULL), get(o, "macros", NULL),
                          get(o, "reference", NULL), get(o, "variant", NULL)};
    if ((st = pb_summarize(&so, rest, (size_t)nrest))) die(st);
    free(rest);
    return 0;
}
