/* cmd_check_plugin.c -- `prunebench check-plugin [--plugin-timeout S]
 * PATH.so`: the plugin conformance checks (host/conformance.h) as TAP on
 * stdout; exit 0 if the plugin conforms. Each check that calls the plugin
 * runs in a child process (host/isolate.h): a plugin that crashes, exits
 * or hangs fails that check with the reason and never passes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/commands.h"
#include "host/conformance.h"
#include "host/isolate.h"

/* One TAP line per check, as it is made. */
static void print_check(const pb_check *c, size_t number, void *ctx)
{
    (void)ctx;
    printf("%s %zu - %s\n", c->ok ? "ok" : "not ok", number, c->what);
    fflush(stdout);
}

int cmd_check_plugin(int argc, char **argv)
{
    opt o[] = {O("plugin-timeout"), END};
    int nfiles;
    char **files = parse_files_or_die(argc, argv, o, &nfiles);
    if (nfiles != 1) {
        print_usage(stderr);
        return 2;
    }
    int st;
    if (get(o, "plugin-timeout", NULL) && (st = pb_plugin_set_timeout(get_num(o, "plugin-timeout", 0, 0, 1e9))))
        die(st);
    pb_conformance r = {.progress = print_check};
    st = pb_plugin_conformance(files[0], &r);
    printf("1..%zu\n", r.n);
    if (st) die(st);
    const char *name = r.name[0] ? r.name : files[0];
    if (r.failed || !r.complete) printf("%s: FAILED conformance\n", name);
    else printf("%s: conforms to ABI %u.%u\n", name, r.abi_major, r.abi_minor);
    free(files);
    return r.failed || !r.complete;
}
