/* cmd_check_plugin.c -- `prunebench check-plugin PATH.so`: the plugin
 * conformance checks (host/conformance.h) as TAP on stdout; exit 0 if the
 * plugin conforms. */
#include <stdio.h>

#include "cli/cli.h"
#include "cli/commands.h"
#include "host/conformance.h"

/* One TAP line per check, as it is made. */
static void print_check(const pb_check *c, size_t number, void *ctx)
{
    (void)ctx;
    printf("%s %zu - %s\n", c->ok ? "ok" : "not ok", number, c->what);
    fflush(stdout);
}

int cmd_check_plugin(int argc, char **argv)
{
    if (argc != 1) {
        print_usage(stderr);
        return 2;
    }
    pb_conformance r = {.progress = print_check};
    int st = pb_plugin_conformance(argv[0], &r);
    if (st) die(st);
    if (!r.complete) return 1;
    printf("1..%zu\n", r.n);
    if (r.failed) printf("%s: FAILED conformance\n", r.name);
    else printf("%s: conforms to ABI %u.%u\n", r.name, r.abi_major, r.abi_minor);
    return r.failed;
}
