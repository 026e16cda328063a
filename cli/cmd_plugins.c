/* cmd_plugins.c -- `prunebench plugins`: the plugins in the plugin
 * directory, with ABI version, summary, citation, requirements and declared
 * options; a plugin that fails to load (a crashing constructor, another ABI,
 * a bad descriptor: each is first loaded in a child process, host/isolate.h)
 * is listed with the reason, the others still listed; exit 1 if one fails.
 * --trainers and --defaults NAME give the pipeline what it needs to know of
 * the built plugins (--trainers skips, on stderr, a plugin that fails to
 * load: its own cells then fail, the others' still run). */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "host/host.h"
#include "host/isolate.h"
#include "base/util.h"

/* The .so files in dir, sorted by name (malloc'd; *n receives the count). */
static char **plugin_files(const char *dir, size_t *n)
{
    DIR *d = opendir(dir);
    if (!d) die(pb_error(PB_ERR_IO, "cannot open plugin directory %s", dir));
    struct dirent *e;
    char **names = NULL;
    *n = 0;
    while ((e = readdir(d))) {
        size_t l = strlen(e->d_name);
        if (l > 3 && !strcmp(e->d_name + l - 3, ".so")) {
            char **nn = realloc(names, (*n + 1) * sizeof *nn);
            if (!nn || !(nn[*n] = strdup(e->d_name))) die(pb_error(PB_ERR_NOMEM, "out of memory"));
            names = nn, (*n)++;
        }
    }
    closedir(d);
    for (size_t i = 0; i + 1 < *n; i++)  /* sort names for a stable listing */
        for (size_t j = i + 1; j < *n; j++)
            if (strcmp(names[i], names[j]) > 0) { char *t = names[i]; names[i] = names[j]; names[j] = t; }
    return names;
}

/* plugins [--plugin-dir DIR] [--trainers | --defaults NAME]: the listing, or
 * for the Makefile the names of the methods that train their own network
 * (one per line) or one method's declared options as name=default lines. */
int cmd_plugins(int argc, char **argv)
{
    opt o[] = {O("plugin-dir"), F("trainers"), O("defaults"), O("plugin-timeout"), END};
    parse_or_die(argc, argv, o, "plugins");
    int st;
    if (get(o, "plugin-timeout", NULL) && (st = pb_plugin_set_timeout(get_num(o, "plugin-timeout", 0, 0, 1e9))))
        die(st);
    const char *dir = plugin_dir(o);
    int trainers = get(o, "trainers", NULL) != NULL;
    const char *defaults = get(o, "defaults", NULL);
    if (trainers && defaults) die(pb_error(PB_ERR_ARG, "plugins: --trainers and --defaults are alternatives"));
    pb_plugin p;
    if (defaults) {
        char so[2048];
        plugin_path(defaults, dir, so, sizeof so);
        if ((st = pb_plugin_open(so, &p))) die(st);
        for (size_t k = 0; k < p.n_options; k++) printf("%s=%s\n", p.method.options[k].name, p.method.options[k].default_value);
        pb_plugin_close(&p);
        return 0;
    }
    size_t n;
    char **names = plugin_files(dir, &n);
    int bad = 0;
    if (!trainers) printf("%-12s %-5s %s\n", "name", "abi", "summary / citation");
    for (size_t i = 0; i < n; i++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        if (pb_plugin_open(path, &p)) {
            if (trainers) {
                fprintf(stderr, "prunebench: plugins --trainers: skipped: %s\n", pb_last_error());
                free(names[i]);
                continue;
            }
            printf("%-12s %-5s error: %s\n", names[i], "-", pb_last_error());
            bad = 1;
        } else if (trainers) {
            if (p.method.training) printf("%s\n", p.name);
            pb_plugin_close(&p);
        } else {
            char line[1024];
            printf("%-12s %u.%-3u %s\n%-18s %s\n", p.name, p.method.abi_major, p.method.abi_minor, p.method.summary, "",
                   p.method.citation);
            if (p.method.training)
                printf("%-18s trains its own network: family %s\n", "", p.method.training->family);
            pb_requires_text(p.requires, line, sizeof line);
            printf("%-18s requires: %s\n", "", line);
            if (p.host_parses && !p.n_options) printf("%-18s options: none\n", "");
            if (!p.host_parses && p.method.create) printf("%-18s options: parsed by the plugin (ABI %u.%u)\n", "",
                                                          p.method.abi_major, p.method.abi_minor);
            for (size_t k = 0; k < p.n_options; k++) {
                pb_plugin_option_line(&p.method.options[k], line, sizeof line);
                printf("%-18s option %s\n", "", line);
            }
            pb_plugin_close(&p);
        }
        free(names[i]);
    }
    free(names);
    if (n == 0 && !trainers) printf("(no plugins in %s)\n", dir);
    return bad;
}
