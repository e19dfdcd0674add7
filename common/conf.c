/*
 * common/conf.c: the table-driven INI configuration (see conf.h).
 * Parsing goes through libinih's ini_parse_stream() with our own fgets-style reader: Debian's
 * libinih is built without INI_HANDLER_LINENO, so the reader counts lines itself and the
 * handler reads the current line number from the context. The reader also refuses lines
 * longer than inih's fixed line buffer instead of letting inih split them silently.
 * The first error wins and is reported as "path:line: section.key: reason".
 * String fields (STR, PATH) are owned by the config struct; cn_conf_defaults() overwrites the
 * pointers without freeing (the struct may be uninitialized then), later sets free the old
 * value, cn_conf_dispose() frees them all.
 */
#include "common/conf.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <ini.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/err.h"
#include "common/log.h"
#include "common/mem.h"

#define REASON_MAX 256
#define SAMPLE_WRAP 76

struct load_ctx {
    const cn_conf_key_t *tbl;
    size_t n;
    void *dst;
    FILE *fp;
    const char *path;
    int lineno;         /* line of the last chunk handed to inih */
    int at_line_start;  /* the next chunk starts a new line */
    int failed;         /* err holds the first error */
    char *err;
    size_t errlen;
};

static void set_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;

    if (err == NULL || errlen == 0)
        return;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

static const char *skip_space(const char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    return s;
}

/* Parses an unsigned decimal prefix; *end points past it. 0 or CN_EINVAL (none, overflow). */
static int parse_u64_prefix(const char *s, uint64_t *out, const char **end)
{
    uint64_t v = 0;
    const char *p = s;

    if (!isdigit((unsigned char)*p))
        return CN_EINVAL;
    for (; isdigit((unsigned char)*p); p++) {
        unsigned d = (unsigned)(*p - '0');
        if (v > (UINT64_MAX - d) / 10)
            return CN_EINVAL;
        v = v * 10 + d;
    }
    *out = v;
    *end = p;
    return 0;
}

static int mul_checked(uint64_t v, uint64_t m, uint64_t *out)
{
    if (m != 0 && v > UINT64_MAX / m)
        return CN_EINVAL;
    *out = v * m;
    return 0;
}

int cn_parse_size(const char *s, uint64_t *out)
{
    const char *p;
    uint64_t v, mult = 1;

    if (s == NULL || parse_u64_prefix(skip_space(s), &v, &p) != 0)
        return CN_EINVAL;
    p = skip_space(p);
    switch (tolower((unsigned char)*p)) {
    case 'k': mult = 1ull << 10; p++; break;
    case 'm': mult = 1ull << 20; p++; break;
    case 'g': mult = 1ull << 30; p++; break;
    case 't': mult = 1ull << 40; p++; break;
    default: break;
    }
    if (mult != 1 && tolower((unsigned char)p[0]) == 'i' && tolower((unsigned char)p[1]) == 'b')
        p += 2;
    else if (tolower((unsigned char)*p) == 'b')
        p++;
    if (*skip_space(p) != '\0')
        return CN_EINVAL;
    return mul_checked(v, mult, out);
}

int cn_parse_ms(const char *s, uint64_t *out)
{
    const char *p;
    uint64_t v, mult;

    if (s == NULL || parse_u64_prefix(skip_space(s), &v, &p) != 0)
        return CN_EINVAL;
    p = skip_space(p);
    if (*p == '\0' || strcmp(p, "ms") == 0)
        mult = 1;
    else if (strcmp(p, "s") == 0)
        mult = 1000;
    else if (strcmp(p, "m") == 0 || strcmp(p, "min") == 0)
        mult = 60 * 1000;
    else if (strcmp(p, "h") == 0)
        mult = 3600 * 1000;
    else
        return CN_EINVAL;
    return mul_checked(v, mult, out);
}

int cn_parse_bool(const char *s, int *out)
{
    static const char *const yes[] = {"true", "yes", "on", "1"};
    static const char *const no[] = {"false", "no", "off", "0"};

    if (s == NULL)
        return CN_EINVAL;
    for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
        if (strcasecmp(s, yes[i]) == 0) {
            *out = 1;
            return 0;
        }
        if (strcasecmp(s, no[i]) == 0) {
            *out = 0;
            return 0;
        }
    }
    return CN_EINVAL;
}

static int has_range(const cn_conf_key_t *k)
{
    return k->min != 0 || k->max != 0;
}

static int check_range_u(const cn_conf_key_t *k, uint64_t v, char *why, size_t whylen)
{
    if (!has_range(k))
        return 0;
    if ((k->min > 0 && v < (uint64_t)k->min) || (k->max >= 0 && v > (uint64_t)k->max)) {
        snprintf(why, whylen, "%" PRIu64 " is out of range (%" PRId64 "..%" PRId64 ")", v, k->min,
                 k->max);
        return CN_EINVAL;
    }
    return 0;
}

/* Parses value into the key's field. 0, or CN_EINVAL with why set. */
static int set_value(const cn_conf_key_t *k, const char *value, void *dst, char *why,
                     size_t whylen)
{
    char *field = (char *)dst + k->offset;
    const char *v = skip_space(value), *cend;
    char *end;
    uint64_t u;
    int64_t i;
    int b, lvl;

    switch (k->type) {
    case CN_CONF_STR:
    case CN_CONF_PATH:
        cn_free(*(char **)field);
        *(char **)field = cn_strdup(value);
        return 0;
    case CN_CONF_INT:
        errno = 0;
        i = strtoll(v, &end, 10);
        if (errno != 0 || end == v || *skip_space(end) != '\0') {
            snprintf(why, whylen, "'%s' is not an integer", value);
            return CN_EINVAL;
        }
        if (has_range(k) && (i < k->min || i > k->max)) {
            snprintf(why, whylen, "%" PRId64 " is out of range (%" PRId64 "..%" PRId64 ")", i,
                     k->min, k->max);
            return CN_EINVAL;
        }
        *(int64_t *)field = i;
        return 0;
    case CN_CONF_UINT:
        if (parse_u64_prefix(v, &u, &cend) != 0 || *skip_space(cend) != '\0') {
            snprintf(why, whylen, "'%s' is not an unsigned integer", value);
            return CN_EINVAL;
        }
        if (check_range_u(k, u, why, whylen) != 0)
            return CN_EINVAL;
        *(uint64_t *)field = u;
        return 0;
    case CN_CONF_BOOL:
        if (cn_parse_bool(v, &b) != 0) {
            snprintf(why, whylen, "'%s' is not a boolean (true/false, yes/no, on/off, 1/0)",
                     value);
            return CN_EINVAL;
        }
        *(int *)field = b;
        return 0;
    case CN_CONF_SIZE:
        if (cn_parse_size(v, &u) != 0) {
            snprintf(why, whylen, "'%s' is not a size (a number with k, m, g or t)", value);
            return CN_EINVAL;
        }
        if (check_range_u(k, u, why, whylen) != 0)
            return CN_EINVAL;
        *(uint64_t *)field = u;
        return 0;
    case CN_CONF_MS:
        if (cn_parse_ms(v, &u) != 0) {
            snprintf(why, whylen, "'%s' is not a duration (a number with ms, s, m or h)", value);
            return CN_EINVAL;
        }
        if (check_range_u(k, u, why, whylen) != 0)
            return CN_EINVAL;
        *(uint64_t *)field = u;
        return 0;
    case CN_CONF_LEVEL:
        if ((lvl = cn_log_level_parse(v)) < 0) {
            snprintf(why, whylen, "'%s' is not a log level (debug, info, warn, error)", value);
            return CN_EINVAL;
        }
        *(int *)field = lvl;
        return 0;
    case CN_CONF_ALIAS: /* resolved by assign(); an alias has no field */
        break;
    }
    snprintf(why, whylen, "unknown key type %d", (int)k->type);
    return CN_EINVAL;
}

static const cn_conf_key_t *find_key(const cn_conf_key_t *tbl, size_t n, const char *section,
                                     const char *key, int *section_known)
{
    *section_known = 0;
    for (size_t i = 0; i < n; i++) {
        if (strcmp(tbl[i].section, section) != 0)
            continue;
        *section_known = 1;
        if (strcmp(tbl[i].key, key) == 0)
            return &tbl[i];
    }
    return NULL;
}

/* Looks up section.key and sets it; 0 or CN_EINVAL with why set. */
static int assign(const cn_conf_key_t *tbl, size_t n, void *dst, const char *section,
                  const char *key, const char *value, char *why, size_t whylen)
{
    int section_known;
    const cn_conf_key_t *k = find_key(tbl, n, section, key, &section_known);

    if (k == NULL) {
        if (section[0] == '\0')
            snprintf(why, whylen, "unknown key (outside any [section])");
        else if (!section_known)
            snprintf(why, whylen, "unknown key (unknown section [%s])", section);
        else
            snprintf(why, whylen, "unknown key");
        return CN_EINVAL;
    }
    if (k->type == CN_CONF_ALIAS) {
        const cn_conf_key_t *target = find_key(tbl, n, section, k->def, &section_known);

        if (target == NULL || target->type == CN_CONF_ALIAS) {
            snprintf(why, whylen, "an old name of '%s', which is not a key (a bug)", k->def);
            return CN_EINVAL;
        }
        k = target;
    }
    return set_value(k, value, dst, why, whylen);
}

int cn_conf_defaults(const cn_conf_key_t *tbl, size_t n, void *dst, char *err, size_t errlen)
{
    char why[REASON_MAX];

    for (size_t i = 0; i < n; i++) {
        if (tbl[i].type == CN_CONF_ALIAS)
            continue;
        if (tbl[i].type == CN_CONF_STR || tbl[i].type == CN_CONF_PATH)
            *(char **)((char *)dst + tbl[i].offset) = NULL; /* may be uninitialized */
        if (set_value(&tbl[i], tbl[i].def ? tbl[i].def : "", dst, why, sizeof(why)) != 0) {
            set_err(err, errlen, "default: %s.%s: %s", tbl[i].section, tbl[i].key, why);
            return CN_ECONFIG;
        }
    }
    return 0;
}

static char *line_reader(char *str, int num, void *stream)
{
    struct load_ctx *c = stream;
    size_t len;
    int c2;

    if (fgets(str, num, c->fp) == NULL)
        return NULL;
    if (c->at_line_start)
        c->lineno++;
    len = strlen(str);
    c->at_line_start = len > 0 && str[len - 1] == '\n';
    if (!c->at_line_start && !feof(c->fp)) {
        /* Longer than inih's buffer: drop the rest of the line, fail unless a comment. */
        const char *p = skip_space(str);
        while ((c2 = fgetc(c->fp)) != EOF && c2 != '\n')
            ;
        c->at_line_start = 1;
        if (*p != '#' && *p != ';' && !c->failed) {
            c->failed = 1;
            set_err(c->err, c->errlen, "%s:%d: line too long (over %d bytes)", c->path, c->lineno,
                    num - 3);
        }
        if (*p != '#' && *p != ';')
            str[0] = '\0'; /* hand inih an empty line */
    }
    return str;
}

static int ini_handler_cb(void *user, const char *section, const char *name, const char *value)
{
    struct load_ctx *c = user;
    char why[REASON_MAX];

    if (c->failed)
        return 0;
    if (assign(c->tbl, c->n, c->dst, section, name, value ? value : "", why, sizeof(why)) != 0) {
        c->failed = 1;
        set_err(c->err, c->errlen, "%s:%d: %s.%s: %s", c->path, c->lineno, section, name, why);
        return 0;
    }
    return 1;
}

int cn_conf_load(const char *path, const cn_conf_key_t *tbl, size_t n, void *dst, char *err,
                 size_t errlen)
{
    struct load_ctx c = {tbl, n, dst, NULL, path, 0, 1, 0, err, errlen};
    int rc;

    if ((c.fp = fopen(path, "r")) == NULL) {
        rc = -errno;
        set_err(err, errlen, "%s: %s", path, strerror(errno));
        return rc;
    }
    rc = ini_parse_stream(line_reader, &c, ini_handler_cb, &c);
    fclose(c.fp);
    if (c.failed)
        return CN_ECONFIG;
    if (rc > 0) {
        set_err(err, errlen, "%s:%d: syntax error (expected [section] or key = value)", path, rc);
        return CN_ECONFIG;
    }
    if (rc < 0) {
        set_err(err, errlen, "%s: cannot parse (inih error %d)", path, rc);
        return CN_ECONFIG;
    }
    return 0;
}

static void trim_into(const char *s, size_t len, char *out, size_t outlen)
{
    while (len > 0 && isspace((unsigned char)*s)) {
        s++;
        len--;
    }
    while (len > 0 && isspace((unsigned char)s[len - 1]))
        len--;
    if (len >= outlen)
        len = outlen - 1;
    memcpy(out, s, len);
    out[len] = '\0';
}

int cn_conf_set(const char *assignment, const cn_conf_key_t *tbl, size_t n, void *dst, char *err,
                size_t errlen)
{
    char section[128], key[128], why[REASON_MAX], *value;
    const char *eq = strchr(assignment, '='), *dot;
    int rc = CN_ECONFIG;

    dot = eq ? memchr(assignment, '.', (size_t)(eq - assignment)) : NULL;
    if (eq == NULL || dot == NULL) {
        set_err(err, errlen, "--set: '%s': expected section.key=value", assignment);
        return CN_ECONFIG;
    }
    trim_into(assignment, (size_t)(dot - assignment), section, sizeof(section));
    trim_into(dot + 1, (size_t)(eq - dot - 1), key, sizeof(key));
    value = cn_malloc(strlen(eq + 1) + 1);
    trim_into(eq + 1, strlen(eq + 1), value, strlen(eq + 1) + 1);
    if (assign(tbl, n, dst, section, key, value, why, sizeof(why)) != 0)
        set_err(err, errlen, "--set: %s.%s: %s", section, key, why);
    else
        rc = 0;
    cn_free(value);
    return rc;
}

void cn_conf_dispose(const cn_conf_key_t *tbl, size_t n, void *dst)
{
    for (size_t i = 0; i < n; i++) {
        if (tbl[i].type == CN_CONF_STR || tbl[i].type == CN_CONF_PATH) {
            char **f = (char **)((char *)dst + tbl[i].offset);
            cn_free(*f);
            *f = NULL;
        }
    }
}

/* Writes v with the largest unit that divides it exactly ("64m", "5s"). */
static void fmt_units(uint64_t v, int is_ms, char *out, size_t outlen)
{
    static const struct { uint64_t mult; const char *suffix; } size_units[] = {
        {1ull << 40, "t"}, {1ull << 30, "g"}, {1ull << 20, "m"}, {1ull << 10, "k"}},
      ms_units[] = {{3600000, "h"}, {60000, "m"}, {1000, "s"}};
    const size_t nunits = is_ms ? 3 : 4;

    for (size_t i = 0; v != 0 && i < nunits; i++) {
        uint64_t m = is_ms ? ms_units[i].mult : size_units[i].mult;
        if (v % m == 0) {
            snprintf(out, outlen, "%" PRIu64 "%s", v / m,
                     is_ms ? ms_units[i].suffix : size_units[i].suffix);
            return;
        }
    }
    snprintf(out, outlen, "%" PRIu64 "%s", v, is_ms ? "ms" : "");
}

static void fmt_value(const cn_conf_key_t *k, const void *src, char *out, size_t outlen)
{
    const char *field = (const char *)src + k->offset;

    switch (k->type) {
    case CN_CONF_STR:
    case CN_CONF_PATH: {
        const char *s = *(char *const *)field;
        snprintf(out, outlen, "%s", s ? s : "");
        break;
    }
    case CN_CONF_INT:
        snprintf(out, outlen, "%" PRId64, *(const int64_t *)field);
        break;
    case CN_CONF_UINT:
        snprintf(out, outlen, "%" PRIu64, *(const uint64_t *)field);
        break;
    case CN_CONF_BOOL:
        snprintf(out, outlen, "%s", *(const int *)field ? "true" : "false");
        break;
    case CN_CONF_SIZE:
        fmt_units(*(const uint64_t *)field, 0, out, outlen);
        break;
    case CN_CONF_MS:
        fmt_units(*(const uint64_t *)field, 1, out, outlen);
        break;
    case CN_CONF_LEVEL:
        snprintf(out, outlen, "%s", cn_log_level_name(*(const int *)field));
        break;
    default:
        snprintf(out, outlen, "?");
        break;
    }
}

/* Calls fn for every key, grouped by section in the order sections first appear. */
static int first_of_section(const cn_conf_key_t *tbl, size_t i)
{
    for (size_t j = 0; j < i; j++)
        if (strcmp(tbl[j].section, tbl[i].section) == 0)
            return 0;
    return 1;
}

void cn_conf_print(const cn_conf_key_t *tbl, size_t n, const void *src, FILE *out)
{
    char val[1024];
    int first = 1;

    for (size_t i = 0; i < n; i++) {
        if (!first_of_section(tbl, i))
            continue;
        fprintf(out, "%s[%s]\n", first ? "" : "\n", tbl[i].section);
        first = 0;
        for (size_t j = i; j < n; j++) {
            if (strcmp(tbl[j].section, tbl[i].section) != 0 || tbl[j].type == CN_CONF_ALIAS)
                continue;
            fmt_value(&tbl[j], src, val, sizeof(val));
            fprintf(out, "%s = %s\n", tbl[j].key, val);
        }
    }
}

/* Prints text as "# " comment lines wrapped at SAMPLE_WRAP columns. */
static void print_wrapped_comment(const char *text, FILE *out)
{
    const char *p = text;

    while (*p) {
        size_t len = strlen(p), cut = len;
        if (len > SAMPLE_WRAP) {
            cut = SAMPLE_WRAP;
            while (cut > 0 && p[cut] != ' ')
                cut--;
            if (cut == 0)
                cut = SAMPLE_WRAP;
        }
        fprintf(out, "# %.*s\n", (int)cut, p);
        p += cut;
        while (*p == ' ')
            p++;
    }
}

void cn_conf_print_sample(const cn_conf_key_t *tbl, size_t n, const char *title, FILE *out)
{
    char line[512];

    snprintf(line, sizeof(line), "%s", title ? title : "cairn configuration");
    print_wrapped_comment(line, out);
    fprintf(out, "#\n");
    print_wrapped_comment("Generated by --help-config from the key table. Every key is shown "
                          "commented out with its default, so this file as it stands changes "
                          "nothing. Sizes take k, m, g, t (powers of 1024); durations take ms, "
                          "s, m, h (a bare number is ms).", out);
    for (size_t i = 0; i < n; i++) {
        if (!first_of_section(tbl, i))
            continue;
        fprintf(out, "\n[%s]\n", tbl[i].section);
        for (size_t j = i; j < n; j++) {
            const cn_conf_key_t *k = &tbl[j];
            const char *def = k->def ? k->def : "";
            if (strcmp(k->section, tbl[i].section) != 0)
                continue;
            fprintf(out, "\n");
            if (k->help && k->help[0])
                print_wrapped_comment(k->help, out);
            if (k->type == CN_CONF_ALIAS) {
                snprintf(line, sizeof(line), "deprecated: %s = VALUE reads as %s = VALUE",
                         k->key, def);
                print_wrapped_comment(line, out);
                continue;
            }
            if (has_range(k))
                snprintf(line, sizeof(line), "default: %s (range %" PRId64 "..%" PRId64 ")%s",
                         def[0] ? def : "(empty)", k->min, k->max,
                         k->reloadable ? ", reloadable" : "");
            else
                snprintf(line, sizeof(line), "default: %s%s", def[0] ? def : "(empty)",
                         k->reloadable ? " (reloadable)" : "");
            print_wrapped_comment(line, out);
            fprintf(out, "#%s = %s\n", k->key, def);
        }
    }
}
