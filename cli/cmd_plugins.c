/* cmd_plugins.c -- `prunebench plugins`: the plugins in the plugin
 * directory, with ABI version, summary and citation; exit 1 if one fails to
 * load. */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "host/host.h"
#include "base/util.h"

int cmd_plugins(int argc, char **argv)
{
    opt o[] = {O("plugin-dir"), END};
    parse_or_die(argc, argv, o, "plugins");
    const char *dir = plugin_dir(o);
    DIR *d = opendir(dir);
    if (!d) die(pb_error(PB_ERR_IO, "cannot open plugin directory %s", dir));
    struct dirent *e;
    char **names = NULL;
    size_t n = 0;
    while ((e = readdir(d))) {
        size_t l = strlen(e->d_name);
        if (l > 3 && !strcmp(e->d_name + l - 3, ".so")) {
            char **nn = realloc(names, (n + 1) * sizeof *nn);
            if (!nn || !(nn[n] = strdup(e->d_name))) die(pb_error(PB_ERR_NOMEM, "out of memory"));
            names = nn, n++;
        }
    }
    closedir(d);
    for (size_t i = 0; i + 1 < n; i++)  /* sort names for a stable listing */
        for (size_t j = i + 1; j < n; j++)
            if (strcmp(names[i], names[j]) > 0) { char *t = names[i]; names[i] = names[j]; names[j] = t; }
    int bad = 0;
    printf("%-12s %-5s %s\n", "name", "abi", "summary / citation");
    for (size_t i = 0; i < n; i++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        pb_plugin p;
        if (pb_plugin_open(path, &p)) {
            printf("%-12s %-5s error: %s\n", names[i], "-", pb_last_error());
            bad = 1;
        } else {
            printf("%-12s %u.%-3u %s\n%-18s %s\n", p.name, p.method.abi_major, p.method.abi_minor, p.method.summary, "",
                   p.method.citation);
            if (p.method.training)
                printf("%-18s trains its own network: family %s\n", "", p.method.training->family);
            pb_plugin_close(&p);
        }
        free(names[i]);
    }
    free(names);
    if (n == 0) printf("(no plugins in %s)\n", dir);
    return bad;
}
