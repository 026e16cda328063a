/* cmd_noise_summary.c -- `prunebench noise-summary`: the P2 summary of one
 * dataset over methods and repeats (protocols/p2_summary.h). */
#include <stdlib.h>

#include "cli/cli.h"
#include "protocols/p2_summary.h"
#include "base/util.h"

int cmd_noise_summary(int argc, char **argv)
{
    opt o[] = {O("dataset"), O("title"), O("surface-prefix"), O("slices"), O("macros"), O("tex"), O("at-fraction"),
               O("at-level"), END};
    int nfiles;
    char **files = parse_files_or_die(argc, argv, o, &nfiles);
    const char *dataset = need(o, "dataset"), *prefix = need(o, "surface-prefix"), *slices = need(o, "slices"),
               *macros = need(o, "macros"), *title = get(o, "title", dataset), *tex = get(o, "tex", NULL);
    double at_f = get_num(o, "at-fraction", 0.5, 0, 1), at_l = get_num(o, "at-level", 0.5, 0, 1000);
    pb_p2_summary_opts so = {dataset, title, prefix, slices, macros, tex, at_f, at_l};
    int st = pb_p2_summarize(&so, files, (size_t)nfiles);
    if (st) die(st);
    free(files);
    return 0;
}
