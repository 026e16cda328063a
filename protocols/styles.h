/* styles.h -- how a method is drawn in every figure: its colour and point
 * type, fixed by its name alone, so adding or removing a plugin never
 * recolours the others.
 *
 * The known methods have one row each in one table (styles.c), with the
 * colours of the Okabe-Ito palette (distinguishable under the common colour
 * blindnesses); random, the baseline, is grey. A name not in the table gets
 * a colour and a point type from a second palette and a set of open point
 * types, picked by a hash of the name (FNV-1a 64): the same name always gets
 * the same style, whichever other plugins are loaded (two unknown names may
 * share one).
 *
 * A method that trains its own network (its fit's settings name it) is
 * drawn dashed and marked "(own network)" in the legend; one that scores the
 * shared base fit, solid. The summaries write this with the style into the
 * gnuplot include the figure scripts load (pb_styles_write_gp).
 */
#ifndef PB_STYLES_H
#define PB_STYLES_H

#include <stddef.h>
#include <stdio.h>

typedef struct pb_style {
    const char *color;  /* "#rrggbb" */
    int point;          /* gnuplot pointtype */
    int known;          /* 1: from the table; 0: from the hash of the name */
} pb_style;

/* The style of the method called name. */
pb_style pb_style_of(const char *name);

/* gnuplot dashtype of a method's lines: 2 (dashed) if it trained its own
 * network, 1 (solid) if it scored the shared base fit. */
int pb_style_dashtype(int own_network);

/* 1 if a result file's '# fit_settings:' value names a method (a token
 * "method=NAME"): the fit was trained by that method, not shared. */
int pb_fit_settings_own_network(const char *settings);

/* Write the gnuplot variables of n methods, in the order given, each a
 * string of space-separated words, word i for method i:
 *   methods = "random obd svd"           the names
 *   colors  = "#808080 #E69F00 #0072B2"  linecolor rgb word(colors, i)
 *   points  = "1 7 13"                   pointtype int(word(points, i))
 *   dashes  = "1 1 2"                    dashtype int(word(dashes, i))
 *   own     = "0 0 1"                    1: trained its own network
 * and the legend title of method i as a function:
 *   method_title(i) = word(methods, i) . (word(own, i) eq "1" ? " (own network)" : "")
 * own may be NULL (none trained its own network). */
void pb_styles_write_gp(FILE *f, const char *const *names, const int *own, size_t n);

#endif
