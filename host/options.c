/* options.c -- see options.h. */
#define _POSIX_C_SOURCE 200809L
#include "host/options.h"
#include "base/util.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int valid_option_name(const char *s)
{
    if (!s || !*s || strlen(s) >= 64) return 0;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_')) return 0;
    return 1;
}

/* 1 if o has a range (min != max). */
static int has_range(const pb_option *o) { return o->min != o->max; }

void pb_option_describe(const pb_option *o, char *buf, size_t len)
{
    const char *type = o->type == PB_OPTION_INT ? "int" : o->type == PB_OPTION_DOUBLE ? "double" : "string";
    if (o->type == PB_OPTION_ENUM) {
        snprintf(buf, len, "%s", o->choices ? o->choices : "");
    } else if (o->type == PB_OPTION_STRING || !has_range(o)) {
        snprintf(buf, len, "%s", type);
    } else if (isinf(o->max) && isinf(o->min)) {
        snprintf(buf, len, "%s", type);
    } else if (isinf(o->max)) {
        snprintf(buf, len, "%s >= %g", type, o->min);
    } else if (isinf(o->min)) {
        snprintf(buf, len, "%s <= %g", type, o->max);
    } else {
        snprintf(buf, len, "%s in [%g, %g]", type, o->min, o->max);
    }
}

/* The shortest %g text that reads back as x exactly. */
static void canonical_double(double x, char *buf, size_t len)
{
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(buf, len, "%.*g", prec, x);
        if (strtod(buf, NULL) == x) return;
    }
}

/* Parse text as a value of option o into v and its canonical text into
 * canon (v->s is left to the caller). On failure, why receives the reason. */
static int parse_value(const pb_option *o, const char *text, pb_value *v, char *canon, size_t canon_len, char *why,
                       size_t why_len)
{
    char what[160];
    pb_option_describe(o, what, sizeof what);
    memset(v, 0, sizeof *v);
    if (strlen(text) >= canon_len) {
        snprintf(why, why_len, "longer than %zu characters", canon_len - 1);
        return 1;
    }
    char *end;
    switch (o->type) {
    case PB_OPTION_INT: {
        errno = 0;
        long long x = (*text == ' ' || *text == '\t') ? 0 : strtoll(text, &end, 10);
        if (*text == ' ' || *text == '\t' || end == text || *end || errno) {
            snprintf(why, why_len, "expected an integer (%s)", what);
            return 1;
        }
        if (has_range(o) && ((double)x < o->min || (double)x > o->max)) {
            snprintf(why, why_len, "expected %s", what);
            return 1;
        }
        v->i = x;
        v->d = (double)x;
        snprintf(canon, canon_len, "%lld", x);
        return 0;
    }
    case PB_OPTION_DOUBLE: {
        double x = (*text == ' ' || *text == '\t') ? 0 : strtod(text, &end);
        if (*text == ' ' || *text == '\t' || end == text || *end || !isfinite(x)) {
            snprintf(why, why_len, "expected a finite number (%s)", what);
            return 1;
        }
        if (has_range(o) && (x < o->min || x > o->max)) {
            snprintf(why, why_len, "expected %s", what);
            return 1;
        }
        v->d = x;
        canonical_double(x, canon, canon_len);
        return 0;
    }
    case PB_OPTION_STRING:
        for (const char *c = text; *c; c++)
            if (*c == ',' || *c == '=' || (unsigned char)*c < 0x20 || *c == 0x7f) {
                snprintf(why, why_len, "a string may not contain ',', '=' or control characters");
                return 1;
            }
        snprintf(canon, canon_len, "%s", text);
        return 0;
    case PB_OPTION_ENUM: {
        size_t tl = strlen(text);
        int64_t k = 0;
        for (const char *c = o->choices; *c; k++) {
            size_t cl = strcspn(c, "|");
            if (cl == tl && !strncmp(c, text, tl)) {
                v->i = k;
                snprintf(canon, canon_len, "%s", text);
                return 0;
            }
            c += cl + (c[cl] == '|');
        }
        snprintf(why, why_len, "expected one of %s", what);
        return 1;
    }
    }
    snprintf(why, why_len, "unknown type %d", (int)o->type);
    return 1;
}

int pb_options_check(const pb_option *table, const char *who, size_t *n)
{
    *n = 0;
    if (!table) return PB_OK;
    size_t k = 0;
    for (; table[k].name; k++) {
        const pb_option *o = &table[k];
        if (k == PB_OPTIONS_MAX)
            return pb_error(PB_ERR_PLUGIN, "%s: declares more than %d options", who, PB_OPTIONS_MAX);
        if (!valid_option_name(o->name))
            return pb_error(PB_ERR_PLUGIN, "%s: option %zu: name must be 1-63 characters of [a-z0-9_]", who, k);
        for (size_t j = 0; j < k; j++)
            if (!strcmp(table[j].name, o->name))
                return pb_error(PB_ERR_PLUGIN, "%s: option '%s' is declared twice", who, o->name);
        if (o->type < PB_OPTION_INT || o->type > PB_OPTION_ENUM)
            return pb_error(PB_ERR_PLUGIN, "%s: option '%s' has unknown type %d", who, o->name, (int)o->type);
        if (!o->doc || !o->default_value)
            return pb_error(PB_ERR_PLUGIN, "%s: option '%s' needs a default and a doc line", who, o->name);
        if (strchr(o->doc, '\n'))
            return pb_error(PB_ERR_PLUGIN, "%s: option '%s': the doc must be one line", who, o->name);
        if (o->type == PB_OPTION_ENUM) {
            const char *c = o->choices;
            int bad = !c || !*c || c[strlen(c) - 1] == '|' || strstr(c, "||") || *c == '|';
            for (; c && *c && !bad; c++) bad = *c == ',' || *c == '=' || (unsigned char)*c <= ' ';
            if (bad)
                return pb_error(PB_ERR_PLUGIN, "%s: option '%s': an enum needs choices like \"a|b\" (no empty choice, "
                                               "no ',', '=' or spaces)", who, o->name);
        }
        if (isnan(o->min) || isnan(o->max) || (has_range(o) && o->min > o->max))
            return pb_error(PB_ERR_PLUGIN, "%s: option '%s': range [%g, %g] is empty", who, o->name, o->min, o->max);
        pb_value v;
        char canon[PB_OPTION_TEXT], why[256];
        if (parse_value(o, o->default_value, &v, canon, sizeof canon, why, sizeof why))
            return pb_error(PB_ERR_PLUGIN, "%s: option '%s': default '%s' is not valid: %s", who, o->name,
                            o->default_value, why);
    }
    *n = k;
    return PB_OK;
}

int pb_options_parse(const pb_option *table, size_t n, const char *given, const char *who, pb_option_values *out)
{
    memset(out, 0, sizeof *out);
    out->n = n;
    char why[256];
    for (size_t k = 0; k < n; k++) {
        if (parse_value(&table[k], table[k].default_value, &out->value[k], out->text[k], PB_OPTION_TEXT, why,
                        sizeof why))
            return pb_error(PB_ERR_PLUGIN, "%s: option '%s': default '%s' is not valid: %s", who, table[k].name,
                            table[k].default_value, why);
        out->value[k].s = out->text[k];
    }
    if (!given || !*given) return PB_OK;
    unsigned char seen[PB_OPTIONS_MAX] = {0};
    for (const char *tok = given;;) {
        size_t tl = strcspn(tok, ",");
        const char *eq = memchr(tok, '=', tl);
        if (!tl)
            return pb_error(PB_ERR_ARG, "%s: empty option in '%s' (write name=value,name=value)", who, given);
        if (!eq)
            return pb_error(PB_ERR_ARG, "%s: option '%.*s' is not name=value", who, (int)tl, tok);
        size_t nl = (size_t)(eq - tok), k = 0;
        while (k < n && !(strlen(table[k].name) == nl && !strncmp(table[k].name, tok, nl))) k++;
        if (k == n) {
            if (!n) return pb_error(PB_ERR_ARG, "%s: option '%.*s' is unknown (the method takes no options)", who,
                                    (int)tl, tok);
            char known[PB_OPTIONS_MAX * 66] = "";
            size_t kl = 0;
            for (size_t j = 0; j < n && kl < sizeof known; j++)
                kl += (size_t)snprintf(known + kl, sizeof known - kl, "%s%s", j ? ", " : "", table[j].name);
            return pb_error(PB_ERR_ARG, "%s: option '%.*s' is unknown (options: %s)", who, (int)tl, tok, known);
        }
        if (seen[k]++) return pb_error(PB_ERR_ARG, "%s: option '%s' is given twice in '%s'", who, table[k].name, given);
        char text[PB_OPTION_TEXT + 1];
        size_t vl = tl - nl - 1;
        if (vl >= sizeof text)
            return pb_error(PB_ERR_ARG, "%s: option '%s': value longer than %d characters", who, table[k].name,
                            PB_OPTION_TEXT - 1);
        memcpy(text, eq + 1, vl);
        text[vl] = '\0';
        if (parse_value(&table[k], text, &out->value[k], out->text[k], PB_OPTION_TEXT, why, sizeof why))
            return pb_error(PB_ERR_ARG, "%s: option '%.*s': %s", who, (int)tl, tok, why);
        out->value[k].s = out->text[k];
        if (!tok[tl]) break;
        tok += tl + 1;
    }
    return PB_OK;
}

void pb_options_format(const pb_option *table, const pb_option_values *v, char *buf, size_t len)
{
    size_t l = 0;
    if (len) buf[0] = '\0';
    for (size_t k = 0; k < v->n && l < len; k++)
        l += (size_t)snprintf(buf + l, len - l, "%s%s=%s", k ? "," : "", table[k].name, v->text[k]);
}
