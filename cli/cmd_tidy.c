/* cmd_tidy.c -- `prunebench tidy`: every P1 curve and P2 noise file given
 * as one CSV with a header row (protocols/tidy.h). */
#include <stdlib.h>

#include "cli/cli.h"
#include "protocols/tidy.h"
#include "base/util.h"

int cmd_tidy(int argc, char **argv)
{
    opt o[] = {O("o"), END};
    int nrest, st;
    char **rest = parse_files_or_die(argc, argv, o, &nrest);
    const char *out = need(o, "o");
    if (nrest == 0) die(pb_error(PB_ERR_ARG, "tidy: no result files given (curve/, curvec/ and noise/ files)"));
    if ((st = pb_tidy(out, rest, (size_t)nrest))) die(st);
    free(rest);
    return 0;
}
