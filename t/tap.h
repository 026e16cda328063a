/* tap.h -- a minimal TAP producer for the C tests (header-only).
 *
 *   plan(n); ok(cond, "name %d", x); is_int(got, want, "name");
 *   is_double(got, want, tol, "name"); diag("note"); skip(n, "why");
 *   return done_testing();   -- exit status non-zero if any test failed
 *                               or the count differs from the plan.
 * Run by `make check` (prove --exec '' on each build/t/NAME.t).
 */
#ifndef PB_TAP_H
#define PB_TAP_H

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

static int tap_planned = -1, tap_run = 0, tap_failed = 0;

static inline void plan(int n)
{
    tap_planned = n;
    printf("1..%d\n", n);
}

static inline void tap_vresult(int pass, const char *fmt, va_list ap)
{
    tap_run++;
    if (!pass) tap_failed++;
    printf("%s %d - ", pass ? "ok" : "not ok", tap_run);
    vprintf(fmt, ap);
    putchar('\n');
    fflush(stdout);
}

static inline int ok(int pass, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static inline int ok(int pass, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    tap_vresult(pass, fmt, ap);
    va_end(ap);
    return pass;
}

static inline void diag(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static inline void diag(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    printf("# ");
    vprintf(fmt, ap);
    putchar('\n');
    va_end(ap);
}

static inline int is_int(long long got, long long want, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static inline int is_int(long long got, long long want, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    tap_vresult(got == want, fmt, ap);
    va_end(ap);
    if (got != want) diag("got %lld, expected %lld", got, want);
    return got == want;
}

/* Passes when |got - want| <= tol (NaN never passes). */
static inline int is_double(double got, double want, double tol, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static inline int is_double(double got, double want, double tol, const char *fmt, ...)
{
    int pass = fabs(got - want) <= tol;
    va_list ap;
    va_start(ap, fmt);
    tap_vresult(pass, fmt, ap);
    va_end(ap);
    if (!pass) diag("got %.17g, expected %.17g (tolerance %g)", got, want, tol);
    return pass;
}

static inline void skip(int n, const char *why)
{
    for (int i = 0; i < n; i++) {
        tap_run++;
        printf("ok %d # skip %s\n", tap_run, why);
    }
}

static inline int done_testing(void)
{
    if (tap_planned < 0) printf("1..%d\n", tap_run);
    else if (tap_planned != tap_run) {
        diag("planned %d tests but ran %d", tap_planned, tap_run);
        return 1;
    }
    return tap_failed ? 1 : 0;
}

/* Exit-on-error helper for setup steps in tests. */
#define TAP_REQUIRE(expr) do { if (!(expr)) { printf("Bail out! %s failed at %s:%d\n", #expr, __FILE__, __LINE__); exit(1); } } while (0)

#endif
