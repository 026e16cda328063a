/* main.c -- the prunebench command line: one command per pipeline step,
 * looked up in the command table (commands.c; `prunebench help` lists it).
 * Exit-on-error lives only in cli/; every library function returns a status.
 *
 *   prunebench COMMAND [options]      run it
 *   prunebench help [COMMAND]         every command's usage, or one's
 *   prunebench COMMAND ... --help     that command's usage (also -h)
 *   prunebench --version              the version (as `prunebench version`)
 */
#include <string.h>
#include <gsl/gsl_errno.h>

#include "base/blas.h"
#include "cli/commands.h"

static int is_help(const char *a) { return !strcmp(a, "--help") || !strcmp(a, "-h"); }

int main(int argc, char **argv)
{
    gsl_set_error_handler_off();
    pb_blas_single_thread();
    if (argc < 2) {
        print_usage(stderr);
        return 2;
    }
    const char *name = argv[1];
    argc -= 2, argv += 2;
    if (is_help(name)) return cmd_help(argc, argv);
    if (!strcmp(name, "--version")) return cmd_version(argc, argv);
    const command *c = find_command(name);
    if (!c) return unknown_command(name);
    /* help's arguments are command names ('help train --help' is train's
     * usage): only a first --help is its own */
    int scan = c->run == cmd_help && argc > 1 ? 1 : argc;
    for (int i = 0; i < scan; i++)
        if (is_help(argv[i])) {
            print_command_usage(stdout, c);
            return 0;
        }
    return c->run(argc, argv);
}
