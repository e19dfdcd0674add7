/*
 * common/conf.h: INI configuration ([section] + key = value, through libinih), declared
 * once per daemon as a table of keys (Redis standardConfig, Varnish tbl/params.h):
 *
 *   static const cn_conf_key_t keys[] = {
 *       CN_CONF_KEY(CN_CONF_PATH, "storage", "data_dir", struct stor_conf, data_dir,
 *                   "./data", 0, 0, "where containers and the index live"),
 *       ...
 *   };
 *
 * The same table fills the defaults, parses the file, validates ranges and units, prints the
 * effective values (--print-config) and writes the commented sample (conf/<daemon>.conf.sample).
 * Errors read "FILE:LINE: section.key: reason" (h2o style) and are returned, never fatal.
 */
#ifndef CAIRN_COMMON_CONF_H
#define CAIRN_COMMON_CONF_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

typedef enum cn_conf_type {
    CN_CONF_STR,   /* char *, owned by the struct, freed by cn_conf_dispose() */
    CN_CONF_PATH,  /* char *, same as STR (kept apart for docs and future checks) */
    CN_CONF_INT,   /* int64_t, decimal, checked against [min, max] */
    CN_CONF_UINT,  /* uint64_t, decimal, checked against [min, max] */
    CN_CONF_BOOL,  /* int: true/false/yes/no/on/off/1/0 */
    CN_CONF_SIZE,  /* uint64_t bytes; suffixes k, m, g, t (powers of 1024), b optional */
    CN_CONF_MS,    /* uint64_t milliseconds; suffixes ms, s, m, h; bare number = ms */
    CN_CONF_LEVEL, /* int log level: debug, info, warn, error */
    CN_CONF_ALIAS, /* an old name of the key of the same section that def names: setting it
                    * sets that key; it has no field, no default and is not printed */
} cn_conf_type_t;

typedef struct cn_conf_key {
    cn_conf_type_t type;
    const char *section;
    const char *key;
    size_t offset;      /* offsetof(struct, field) */
    const char *def;    /* default, as it would be written in the file */
    int64_t min, max;   /* for INT/UINT/SIZE/MS; min == max == 0 means no range */
    int reloadable;     /* may change at run time (update-property) */
    const char *help;   /* one line, shown in the sample and --help-config */
} cn_conf_key_t;

#define CN_CONF_KEY(type, sect, key, st, field, def, min, max, reload, help)                \
    { (type), (sect), (key), offsetof(st, field), (def), (min), (max), (reload), (help) }

/** An old name (key) of the key target of the same section, kept so that old configs still
 *  load: "key = v" sets target. The sample shows it as deprecated, --print-config omits it. */
#define CN_CONF_ALIAS_KEY(sect, key, target, help)                                            \
    { CN_CONF_ALIAS, (sect), (key), 0, (target), 0, 0, 0, (help) }

/** Fills every field of dst from the defaults. Returns 0, or CN_ECONFIG with err set when a
 *  default itself is bad (a bug in the table). */
int cn_conf_defaults(const cn_conf_key_t *tbl, size_t n, void *dst, char *err, size_t errlen);
/** Parses path into dst (on top of what is already there: call cn_conf_defaults first).
 *  Unknown sections or keys, bad values, out-of-range numbers and a missing file are errors:
 *  returns CN_ECONFIG (or CN_ENOENT for a missing file) with err = "path:line: sect.key: why". */
int cn_conf_load(const char *path, const cn_conf_key_t *tbl, size_t n, void *dst, char *err,
                 size_t errlen);
/** Sets one key from "section.key=value" (command-line overrides, update-property).
 *  Same errors as cn_conf_load, with "--set" in place of path:line. */
int cn_conf_set(const char *assignment, const cn_conf_key_t *tbl, size_t n, void *dst, char *err,
                size_t errlen);
/** Frees the strings held by dst. */
void cn_conf_dispose(const cn_conf_key_t *tbl, size_t n, void *dst);
/** Prints "[section]\nkey = value" for every key with its current value. */
void cn_conf_print(const cn_conf_key_t *tbl, size_t n, const void *src, FILE *out);
/** Prints the commented sample: each key with its help, its default and its range. */
void cn_conf_print_sample(const cn_conf_key_t *tbl, size_t n, const char *title, FILE *out);

/** Unit parsers shared with the CLI; return 0 or CN_EINVAL. */
int cn_parse_size(const char *s, uint64_t *out);
int cn_parse_ms(const char *s, uint64_t *out);
int cn_parse_bool(const char *s, int *out);

#endif
