/* conformance.c -- the plugin conformance checks through the library
 * (host/conformance.h): a plugin that scores a shared base fit (random) and
 * one that trains its own network (svd) pass every check; a plugin with NaN
 * scores and one with a wrong KL gradient fail the check that says so; a
 * missing file and a file that is not a plugin stop after the first check;
 * the progress callback sees every check in order. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tap.h"
#include "host/conformance.h"
#include "plugins/prunebench.h"
#include "base/util.h"

static const char *bdir;

static const char *so(const char *rel)
{
    static char p[4][1024];
    static int k;
    k = (k + 1) % 4;
    snprintf(p[k], sizeof p[k], "%s/%s", bdir, rel);
    return p[k];
}

static int all_ok(const pb_conformance *r)
{
    for (size_t k = 0; k < r->n; k++)
        if (!r->check[k].ok) return 0;
    return 1;
}

/* The first failed check's text, or "". */
static const char *first_failure(const pb_conformance *r)
{
    for (size_t k = 0; k < r->n; k++)
        if (!r->check[k].ok) return r->check[k].what;
    return "";
}

typedef struct seen { size_t calls, last; int in_order; } seen;
static void count(const pb_check *c, size_t number, void *ctx)
{
    seen *s = ctx;
    (void)c;
    s->in_order &= number == s->last + 1;
    s->last = number, s->calls++;
}

int main(void)
{
    plan(17);
    bdir = getenv("PB_BUILD") ? getenv("PB_BUILD") : "build";

    pb_conformance r;
    seen s = {0, 0, 1};
    r.progress = count, r.progress_ctx = &s;
    int st = pb_plugin_conformance(so("plugins/random.so"), &r);
    ok(st == PB_OK && r.complete && !r.failed && all_ok(&r), "random conforms%s%s", st ? ": " : "",
       st ? pb_last_error() : first_failure(&r));
    ok(!strcmp(r.name, "random") && r.abi_major == PB_ABI_MAJOR, "name and ABI from its descriptor (%s %u.%u)", r.name,
       r.abi_major, r.abi_minor);
    is_int((long long)r.n, 5, "five checks: loads; ranks and repeats, on weights and on weights and biases");
    ok(strstr(r.check[1].what, "weights") && strstr(r.check[3].what, "weights and biases"), "in that order");
    ok(s.calls == r.n && s.in_order, "the progress callback saw each check, in order (%zu calls)", s.calls);

    r.progress = NULL;
    st = pb_plugin_conformance(so("plugins/svd.so"), &r);
    ok(st == PB_OK && r.complete && !r.failed, "svd (trains its own network) conforms%s%s", st ? ": " : "",
       st ? pb_last_error() : first_failure(&r));
    is_int((long long)r.n, 7, "seven checks: loads, three on the training facet, trains, ranks, repeats");
    ok(r.n == 7 && strstr(r.check[2].what, "central differences") && strstr(r.check[4].what, "trains its own network"),
       "the KL gradient check and the training run among them");

    st = pb_plugin_conformance(so("template/nan_plugin.so"), &r);
    ok(st == PB_OK && r.complete && r.failed, "a plugin with NaN scores runs every check and fails");
    ok(strstr(first_failure(&r), "must be finite") != NULL, "the failed check says why (%s)", first_failure(&r));
    ok(r.n == 3 && !r.check[1].ok && !r.check[2].ok, "both rankings fail, no repeat compared (%zu checks)", r.n);

    st = pb_plugin_conformance(so("template/badkl_plugin.so"), &r);
    ok(st == PB_OK && r.failed && r.n > 2 && r.check[1].ok && !r.check[2].ok,
       "a wrong KL gradient fails the central-difference check (%s)", first_failure(&r));

    st = pb_plugin_conformance(so("template/no-such-plugin.so"), &r);
    ok(st == PB_OK && !r.complete && r.failed && r.n == 1 && !r.check[0].ok,
       "a missing file: the loading check fails, nothing else runs");
    ok(r.name[0] == '\0' && strstr(r.check[0].what, "no-such-plugin.so") != NULL, "it names the file (%s)",
       r.check[0].what);
    char junk[] = "/tmp/pb-conformance-XXXXXX";
    int fd = mkstemp(junk);
    TAP_REQUIRE(fd >= 0 && write(fd, "junk\n", 5) == 5 && close(fd) == 0);
    st = pb_plugin_conformance(junk, &r);
    ok(st == PB_OK && !r.complete && r.failed && r.n == 1, "a file that is not a plugin: refused at loading");
    ok(strchr(r.check[0].what, '\n') == NULL, "in one line (%s)", r.check[0].what);
    unlink(junk);

    /* the same plugin twice: the same checks, word for word */
    pb_conformance a, b;
    a.progress = b.progress = NULL;
    TAP_REQUIRE(pb_plugin_conformance(so("plugins/random.so"), &a) == PB_OK);
    TAP_REQUIRE(pb_plugin_conformance(so("plugins/random.so"), &b) == PB_OK);
    int same = a.n == b.n;
    for (size_t k = 0; same && k < a.n; k++) same = a.check[k].ok == b.check[k].ok && !strcmp(a.check[k].what, b.check[k].what);
    ok(same, "two runs report the same checks");
    return done_testing();
}
