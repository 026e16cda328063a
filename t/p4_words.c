/* p4_words.c -- how protocol P4 words its ratios (protocols/p4.h): two
 * decimals below 2, one below 10, none above; a ratio that shows as 1.00 is
 * "unchanged"; below 1 it is turned round ("1.02x slower", never "0.981x
 * faster"); nothing left is said so. */
#include <stdio.h>
#include <string.h>
#include <math.h>

#include "tap.h"
#include "protocols/p4.h"

static int words_are(double r, const char *want)
{
    char got[64];
    pb_p4_ratio_words(got, sizeof got, r, "faster", "slower", "x");
    if (strcmp(got, want)) diag("%g: '%s', expected '%s'", r, got, want);
    return !strcmp(got, want);
}

static int str_is(double r, const char *want)
{
    char got[32];
    pb_p4_ratio_str(got, sizeof got, r);
    if (strcmp(got, want)) diag("%g: '%s', expected '%s'", r, got, want);
    return !strcmp(got, want);
}

int main(void)
{
    plan(7);
    ok(str_is(1.0213, "1.02") && str_is(1.32445, "1.32") && str_is(1.996, "2.0") && str_is(3.24, "3.2"),
       "below 10: two decimals under 2, one from 2 on");
    ok(str_is(9.96, "10") && str_is(49.3, "49") && str_is(140.4, "140") && str_is(HUGE_VAL, "inf"),
       "from 10 on: no decimals; infinite: inf");
    ok(words_are(1, "unchanged") && words_are(1.004, "unchanged") && words_are(0.996, "unchanged"),
       "a ratio that shows as 1.00: unchanged");
    ok(words_are(0.981, "1.02x slower") && words_are(0.5, "2.0x slower"), "below 1: turned round, 'slower'");
    ok(words_are(1.13, "1.13x faster") && words_are(5.3, "5.3x faster") && words_are(12.4, "12x faster"),
       "above 1: 'faster' with the precision of pb_p4_ratio_str");
    ok(words_are(HUGE_VAL, "none left"), "nothing after: none left");
    char tex[64];
    pb_p4_ratio_words(tex, sizeof tex, 8.4, "fewer", "more", "$\\times$");
    ok(!strcmp(tex, "8.4$\\times$ fewer"), "LaTeX: %s", tex);
    return done_testing();
}
