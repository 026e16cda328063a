/* styles.c -- the figure style of each method: see styles.h. */
#include "protocols/styles.h"

#include <stdint.h>
#include <string.h>

/* The one table of known methods. Colours: Okabe & Ito (2008), "Color
 * Universal Design"; synflow's yellow darkened (#F0E442 -> #B8A200) so a
 * line stays visible on white. Point types (gnuplot, cairo terminals):
 * 1 +, 3 *, 5 filled square, 7 filled circle, 9 filled triangle,
 * 11 filled triangle down, 13 filled diamond, 15 filled pentagon, 2 x. */
static const struct {
    const char *name, *color;
    int point;
} known[] = {
    {"random",      "#7F7F7F", 1},
    {"obd",         "#E69F00", 7},
    {"variational", "#56B4E9", 5},
    {"belsley",     "#009E73", 9},
    {"svd",         "#0072B2", 13},
    {"groupvd",     "#D55E00", 11},
    {"magnitude",   "#CC79A7", 15},
    {"snip",        "#000000", 3},
    {"synflow",     "#B8A200", 2},
};

/* For names not in the table: Paul Tol's "muted" palette (also colour-blind
 * safe) and open point types (4 square, 6 circle, 8 triangle, 10 triangle
 * down, 12 diamond, 14 pentagon), so an unknown method never looks like a
 * known one's filled marker. */
static const char *const fallback_color[] = {"#332288", "#88CCEE", "#44AA99", "#117733", "#999933",
                                             "#DDCC77", "#CC6677", "#882255", "#AA4499"};
static const int fallback_point[] = {4, 6, 8, 10, 12, 14};
#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

/* FNV-1a, 64 bit: h = (h ^ byte) * 1099511628211, from 14695981039346656037. */
static uint64_t fnv1a(const char *s)
{
    uint64_t h = UINT64_C(14695981039346656037);
    for (; *s; s++) h = (h ^ (unsigned char)*s) * UINT64_C(1099511628211);
    return h;
}

pb_style pb_style_of(const char *name)
{
    for (size_t k = 0; k < N_OF(known); k++)
        if (!strcmp(name, known[k].name)) return (pb_style){known[k].color, known[k].point, 1};
    uint64_t h = fnv1a(name);
    /* colour from the low part of the hash, point type from the rest */
    size_t c = (size_t)(h % N_OF(fallback_color)), p = (size_t)((h / N_OF(fallback_color)) % N_OF(fallback_point));
    return (pb_style){fallback_color[c], fallback_point[p], 0};
}

int pb_style_dashtype(int own_network) { return own_network ? 2 : 1; }

int pb_fit_settings_own_network(const char *settings)
{
    for (const char *p = settings; p && (p = strstr(p, "method=")); p++)
        if ((p == settings || p[-1] == ' ' || p[-1] == '\t' || p[-1] == ',') && p[7] && p[7] != ' ' && p[7] != '\t')
            return 1;
    return 0;
}

void pb_styles_write_gp(FILE *f, const char *const *names, const int *own, size_t n)
{
    static const char *const var[] = {"methods", "colors", "points", "dashes", "own"};
    for (size_t v = 0; v < N_OF(var); v++) {
        fprintf(f, "%s%*s= \"", var[v], (int)(8 - strlen(var[v])), "");
        for (size_t k = 0; k < n; k++) {
            pb_style s = pb_style_of(names[k]);
            int o = own && own[k];
            if (k) fputc(' ', f);
            switch (v) {
            case 0: fputs(names[k], f); break;
            case 1: fputs(s.color, f); break;
            case 2: fprintf(f, "%d", s.point); break;
            case 3: fprintf(f, "%d", pb_style_dashtype(o)); break;
            default: fprintf(f, "%d", o); break;
            }
        }
        fputs("\"\n", f);
    }
    fputs("method_title(i) = word(methods, i) . (word(own, i) eq \"1\" ? \" (own network)\" : \"\")\n", f);
}
