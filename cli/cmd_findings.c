/* cmd_findings.c -- `prunebench findings`: the report's Findings section
 * (each seed claim, our measurement, a verdict) and the cross-dataset table
 * of every method, from one scale's results (protocols/findings.h). */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "protocols/findings.h"
#include "base/util.h"

int cmd_findings(int argc, char **argv)
{
    opt o[] = {O("claims"), O("results"), O("scale"), O("datasets"), O("tex"), O("tsv"), O("methods"), O("experiments"), END};
    parse_or_die(argc, argv, o, "findings");
    pb_findings_opts fo = {need(o, "claims"), need(o, "results"), get(o, "scale", NULL), get(o, "datasets", NULL),
                           get(o, "tex", NULL), get(o, "tsv", NULL), get(o, "methods", NULL), get(o, "experiments", NULL)};
    if (!fo.tex_out && !fo.tsv_out) die(pb_error(PB_ERR_ARG, "findings: nothing to write (give --tex, --tsv or both)"));
    /* the scale: --scale, else the last component of the results directory (results/quick) */
    char scale[64];
    if (!fo.scale) {
        size_t n = strlen(fo.results_dir);
        while (n > 1 && fo.results_dir[n - 1] == '/') n--;
        size_t b = n;
        while (b > 0 && fo.results_dir[b - 1] != '/') b--;
        snprintf(scale, sizeof scale, "%.*s", (int)(n - b), fo.results_dir + b);
        fo.scale = scale;
    }
    int st = pb_findings(&fo);
    if (st) die(st);
    return 0;
}
