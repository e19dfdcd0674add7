/* tests/unit/common/test_conf.c: tests common/conf.c against real files in a temp dir. */
#include <criterion/criterion.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "common/conf.h"
#include "common/err.h"
#include "common/log.h"
#include "tests/harness/tmpdir.h"

struct tconf {
    char *name;
    char *dir;
    int64_t offset;
    uint64_t workers;
    int sync;
    uint64_t cache_size;
    uint64_t timeout_ms;
    int level;
};

static const cn_conf_key_t keys[] = {
    CN_CONF_KEY(CN_CONF_STR, "node", "name", struct tconf, name, "storage0", 0, 0, 0,
                "unique node name"),
    CN_CONF_KEY(CN_CONF_PATH, "node", "dir", struct tconf, dir, "./data", 0, 0, 0,
                "data directory"),
    CN_CONF_ALIAS_KEY("node", "directory", "dir", "the old name of dir"),
    CN_CONF_KEY(CN_CONF_INT, "tune", "offset", struct tconf, offset, "-5", -100, 100, 1,
                "a signed knob"),
    CN_CONF_KEY(CN_CONF_UINT, "tune", "workers", struct tconf, workers, "4", 1, 64, 0,
                "worker threads"),
    CN_CONF_KEY(CN_CONF_BOOL, "tune", "sync", struct tconf, sync, "true", 0, 0, 1,
                "fdatasync before acking"),
    CN_CONF_KEY(CN_CONF_SIZE, "cache", "size", struct tconf, cache_size, "64m", 0, 0, 1,
                "memory cache size"),
    CN_CONF_KEY(CN_CONF_MS, "cache", "timeout", struct tconf, timeout_ms, "5s", 100, 3600000, 1,
                "how long an entry lives"),
    CN_CONF_KEY(CN_CONF_LEVEL, "log", "level", struct tconf, level, "info", 0, 0, 1,
                "log level"),
};
#define NKEYS (sizeof(keys) / sizeof(keys[0]))

static char dir[PATH_MAX];
static char path[PATH_MAX + 32];
static struct tconf c;
static char err[512];

static void setup(void)
{
    t_tmpdir_make(dir, sizeof(dir));
    snprintf(path, sizeof(path), "%s/t.conf", dir);
    memset(&c, 0, sizeof(c));
    err[0] = '\0';
    cr_assert_eq(cn_conf_defaults(keys, NKEYS, &c, err, sizeof(err)), 0, "%s", err);
}

static void teardown(void)
{
    cn_conf_dispose(keys, NKEYS, &c);
    t_tmpdir_remove(dir);
}

TestSuite(conf, .init = setup, .fini = teardown);

static void write_conf(const char *text)
{
    FILE *f = fopen(path, "w");

    cr_assert_not_null(f);
    fputs(text, f);
    fclose(f);
}

/* Loads text and expects failure with err == "path:line: rest". */
static void expect_error(const char *text, int line, const char *rest)
{
    char want[PATH_MAX + 600];

    write_conf(text);
    cr_assert_eq(cn_conf_load(path, keys, NKEYS, &c, err, sizeof(err)), CN_ECONFIG);
    snprintf(want, sizeof(want), "%s:%d: %s", path, line, rest);
    cr_assert_str_eq(err, want);
}

Test(conf, defaults, .timeout = 5)
{
    cr_assert_str_eq(c.name, "storage0");
    cr_assert_str_eq(c.dir, "./data");
    cr_assert_eq(c.offset, -5);
    cr_assert_eq(c.workers, 4);
    cr_assert_eq(c.sync, 1);
    cr_assert_eq(c.cache_size, 64ull << 20);
    cr_assert_eq(c.timeout_ms, 5000);
    cr_assert_eq(c.level, CN_LOG_INFO);
}

Test(conf, good_file_every_type_and_unit, .timeout = 5)
{
    write_conf("; a comment\n"
               "# another comment\n"
               "[node]\n"
               "name = storage7\n"
               "dir = /var/lib/cairn data\n"
               "\n"
               "[tune]\n"
               "offset = -42\n"
               "workers = 64\n"
               "sync = off\n"
               "[cache]\n"
               "size = 2GiB\n"
               "timeout = 2m\n"
               "[log]\n"
               "level = warning\n");
    cr_assert_eq(cn_conf_load(path, keys, NKEYS, &c, err, sizeof(err)), 0, "%s", err);
    cr_assert_str_eq(c.name, "storage7");
    cr_assert_str_eq(c.dir, "/var/lib/cairn data");
    cr_assert_eq(c.offset, -42);
    cr_assert_eq(c.workers, 64);
    cr_assert_eq(c.sync, 0);
    cr_assert_eq(c.cache_size, 2ull << 30);
    cr_assert_eq(c.timeout_ms, 120000);
    cr_assert_eq(c.level, CN_LOG_WARN);
}

Test(conf, unit_parsers, .timeout = 5)
{
    uint64_t v;
    int b;

    cr_assert_eq(cn_parse_size("10", &v), 0);
    cr_assert_eq(v, 10);
    cr_assert_eq(cn_parse_size("10b", &v), 0);
    cr_assert_eq(v, 10);
    cr_assert_eq(cn_parse_size("4k", &v), 0);
    cr_assert_eq(v, 4096);
    cr_assert_eq(cn_parse_size("4KB", &v), 0);
    cr_assert_eq(v, 4096);
    cr_assert_eq(cn_parse_size("3 MiB", &v), 0);
    cr_assert_eq(v, 3ull << 20);
    cr_assert_eq(cn_parse_size("1t", &v), 0);
    cr_assert_eq(v, 1ull << 40);
    cr_assert_eq(cn_parse_size("5x", &v), CN_EINVAL);
    cr_assert_eq(cn_parse_size("k", &v), CN_EINVAL);
    cr_assert_eq(cn_parse_size("-1", &v), CN_EINVAL);
    cr_assert_eq(cn_parse_size("99999999999999t", &v), CN_EINVAL, "overflow");
    cr_assert_eq(cn_parse_ms("250", &v), 0);
    cr_assert_eq(v, 250);
    cr_assert_eq(cn_parse_ms("250ms", &v), 0);
    cr_assert_eq(v, 250);
    cr_assert_eq(cn_parse_ms("3s", &v), 0);
    cr_assert_eq(v, 3000);
    cr_assert_eq(cn_parse_ms("2h", &v), 0);
    cr_assert_eq(v, 7200000);
    cr_assert_eq(cn_parse_ms("2d", &v), CN_EINVAL);
    for (const char *const *s = (const char *const[]){"true", "YES", "on", "1", NULL}; *s; s++) {
        cr_assert_eq(cn_parse_bool(*s, &b), 0, "%s", *s);
        cr_assert_eq(b, 1);
    }
    for (const char *const *s = (const char *const[]){"false", "no", "OFF", "0", NULL}; *s; s++) {
        cr_assert_eq(cn_parse_bool(*s, &b), 0, "%s", *s);
        cr_assert_eq(b, 0);
    }
    cr_assert_eq(cn_parse_bool("maybe", &b), CN_EINVAL);
}

Test(conf, unknown_key, .timeout = 5)
{
    expect_error("[node]\nname = a\nnmae = b\n", 3, "node.nmae: unknown key");
}

Test(conf, unknown_section, .timeout = 5)
{
    expect_error("[node]\nname = a\n\n[nodes]\nname = b\n", 5,
                 "nodes.name: unknown key (unknown section [nodes])");
}

Test(conf, bad_int, .timeout = 5)
{
    expect_error("[tune]\noffset = 12abc\n", 2, "tune.offset: '12abc' is not an integer");
}

Test(conf, bad_uint, .timeout = 5)
{
    expect_error("[tune]\nworkers = -3\n", 2, "tune.workers: '-3' is not an unsigned integer");
}

Test(conf, out_of_range, .timeout = 5)
{
    expect_error("[tune]\nworkers = 65\n", 2, "tune.workers: 65 is out of range (1..64)");
    expect_error("[tune]\noffset = -101\n", 2, "tune.offset: -101 is out of range (-100..100)");
    expect_error("[cache]\ntimeout = 2h\n", 2,
                 "cache.timeout: 7200000 is out of range (100..3600000)");
}

Test(conf, bad_size_suffix, .timeout = 5)
{
    expect_error("[cache]\nsize = 12q\n", 2,
                 "cache.size: '12q' is not a size (a number with k, m, g or t)");
}

Test(conf, bad_bool, .timeout = 5)
{
    expect_error("[node]\nname = x\n[tune]\nsync = perhaps\n", 4,
                 "tune.sync: 'perhaps' is not a boolean (true/false, yes/no, on/off, 1/0)");
}

Test(conf, bad_level, .timeout = 5)
{
    expect_error("[log]\nlevel = loud\n", 2,
                 "log.level: 'loud' is not a log level (debug, info, warn, error)");
}

Test(conf, syntax_error, .timeout = 5)
{
    expect_error("[node]\nname = a\nthis line has no equals sign\n", 3,
                 "syntax error (expected [section] or key = value)");
}

Test(conf, first_error_wins, .timeout = 5)
{
    expect_error("[tune]\nworkers = 0\nsync = nope\n", 2, "tune.workers: 0 is out of range (1..64)");
}

Test(conf, overlong_line, .timeout = 5)
{
    char text[1024];

    snprintf(text, sizeof(text), "[node]\n# %0300d\ndir = /%0300d\n", 0, 0);
    write_conf(text);
    cr_assert_eq(cn_conf_load(path, keys, NKEYS, &c, err, sizeof(err)), CN_ECONFIG);
    cr_assert(strstr(err, ":3: line too long") != NULL, "%s", err);
}

Test(conf, missing_file, .timeout = 5)
{
    char want[PATH_MAX + 64];

    snprintf(path, sizeof(path), "%s/nope.conf", dir);
    cr_assert_eq(cn_conf_load(path, keys, NKEYS, &c, err, sizeof(err)), CN_ENOENT);
    snprintf(want, sizeof(want), "%s: No such file", path);
    cr_assert_eq(strncmp(err, want, strlen(want)), 0, "%s", err);
}

Test(conf, set_overrides, .timeout = 5)
{
    cr_assert_eq(cn_conf_set("cache.size=1g", keys, NKEYS, &c, err, sizeof(err)), 0, "%s", err);
    cr_assert_eq(c.cache_size, 1ull << 30);
    cr_assert_eq(cn_conf_set(" node.name = storage9 ", keys, NKEYS, &c, err, sizeof(err)), 0);
    cr_assert_str_eq(c.name, "storage9");
    cr_assert_eq(cn_conf_set("node.dir=", keys, NKEYS, &c, err, sizeof(err)), 0);
    cr_assert_str_eq(c.dir, "");
    cr_assert_eq(cn_conf_set("tune.sync=nah", keys, NKEYS, &c, err, sizeof(err)), CN_ECONFIG);
    cr_assert_str_eq(err,
                     "--set: tune.sync: 'nah' is not a boolean (true/false, yes/no, on/off, 1/0)");
    cr_assert_eq(cn_conf_set("tune.nothing=1", keys, NKEYS, &c, err, sizeof(err)), CN_ECONFIG);
    cr_assert_str_eq(err, "--set: tune.nothing: unknown key");
    cr_assert_eq(cn_conf_set("novalue", keys, NKEYS, &c, err, sizeof(err)), CN_ECONFIG);
    cr_assert(strstr(err, "expected section.key=value") != NULL, "%s", err);
}

Test(conf, print_shows_effective_values, .timeout = 5)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);

    cr_assert_eq(cn_conf_set("cache.timeout=90s", keys, NKEYS, &c, err, sizeof(err)), 0);
    cn_conf_print(keys, NKEYS, &c, f);
    fclose(f);
    cr_assert(strstr(text, "[node]\nname = storage0\ndir = ./data\n") != NULL, "%s", text);
    cr_assert(strstr(text, "[cache]\nsize = 64m\ntimeout = 90s\n") != NULL, "%s", text);
    cr_assert(strstr(text, "sync = true\n") != NULL, "%s", text);
    cr_assert(strstr(text, "[log]\nlevel = info\n") != NULL, "%s", text);
    /* the printed config loads back to the same values */
    write_conf(text);
    free(text);
    cr_assert_eq(cn_conf_load(path, keys, NKEYS, &c, err, sizeof(err)), 0, "%s", err);
    cr_assert_eq(c.timeout_ms, 90000);
}

Test(conf, sample_parses_back_and_changes_nothing, .timeout = 5)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    struct tconf d;

    cn_conf_print_sample(keys, NKEYS, "test.conf: a test configuration", f);
    fclose(f);
    cr_assert(strstr(text, "# test.conf: a test configuration\n") == text, "%s", text);
    cr_assert(strstr(text, "[tune]\n\n# a signed knob\n# default: -5 (range -100..100), "
                           "reloadable\n#offset = -5\n") != NULL, "%s", text);
    cr_assert(strstr(text, "# unique node name\n# default: storage0\n#name = storage0\n") != NULL,
              "%s", text);
    write_conf(text);
    free(text);
    memset(&d, 0, sizeof(d));
    cr_assert_eq(cn_conf_defaults(keys, NKEYS, &d, err, sizeof(err)), 0);
    cr_assert_eq(cn_conf_load(path, keys, NKEYS, &d, err, sizeof(err)), 0, "%s", err);
    cr_assert_str_eq(d.name, c.name);
    cr_assert_eq(d.cache_size, c.cache_size);
    cr_assert_eq(d.timeout_ms, c.timeout_ms);
    cr_assert_eq(d.offset, c.offset);
    cn_conf_dispose(keys, NKEYS, &d);
}

Test(conf, sample_with_defaults_uncommented_gives_defaults, .timeout = 5)
{
    char *text = NULL, *p;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    struct tconf d;

    cn_conf_print_sample(keys, NKEYS, "t", f);
    fclose(f);
    /* "#key = default" lines become "key = default" */
    for (p = text; (p = strstr(p, "\n#")) != NULL; p++)
        if (p[2] != ' ' && p[2] != '\n' && p[2] != '\0')
            memmove(p + 1, p + 2, strlen(p + 2) + 1);
    cr_assert(strstr(text, "\nname = storage0\n") != NULL, "%s", text);
    write_conf(text);
    free(text);
    memset(&d, 0, sizeof(d));
    cr_assert_eq(cn_conf_defaults(keys, NKEYS, &d, err, sizeof(err)), 0);
    d.workers = 9;
    cr_assert_eq(cn_conf_load(path, keys, NKEYS, &d, err, sizeof(err)), 0, "%s", err);
    cr_assert_eq(d.workers, 4);
    cr_assert_str_eq(d.dir, "./data");
    cr_assert_eq(d.timeout_ms, 5000);
    cr_assert_eq(d.level, CN_LOG_INFO);
    cn_conf_dispose(keys, NKEYS, &d);
}

Test(conf, alias_sets_its_key_and_the_later_line_wins, .timeout = 5)
{
    write_conf("[node]\ndirectory = /old\n");
    cr_assert_eq(cn_conf_load(path, keys, NKEYS, &c, err, sizeof(err)), 0, "%s", err);
    cr_assert_str_eq(c.dir, "/old");
    write_conf("[node]\ndirectory = /old\ndir = /new\n");
    cr_assert_eq(cn_conf_load(path, keys, NKEYS, &c, err, sizeof(err)), 0, "%s", err);
    cr_assert_str_eq(c.dir, "/new");
    cr_assert_eq(cn_conf_set("node.directory=/set", keys, NKEYS, &c, err, sizeof(err)), 0);
    cr_assert_str_eq(c.dir, "/set");
    /* in another section the name is unknown */
    cr_assert_eq(cn_conf_set("tune.directory=/x", keys, NKEYS, &c, err, sizeof(err)),
                 CN_ECONFIG);
}

Test(conf, alias_is_not_printed_and_the_sample_calls_it_deprecated, .timeout = 5)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);

    cn_conf_print(keys, NKEYS, &c, f);
    fclose(f);
    cr_assert(strstr(text, "directory") == NULL, "%s", text);
    free(text);
    f = open_memstream(&text, &len);
    cn_conf_print_sample(keys, NKEYS, "t", f);
    fclose(f);
    cr_assert(strstr(text, "\n# the old name of dir\n# deprecated: directory = VALUE reads as "
                           "dir = VALUE\n\n") != NULL, "%s", text);
    cr_assert(strstr(text, "#directory =") == NULL, "%s", text);
    free(text);
}

Test(conf, alias_of_a_missing_key_is_an_error_not_a_crash, .timeout = 5)
{
    static const cn_conf_key_t bad[] = {
        CN_CONF_ALIAS_KEY("x", "old", "new", "points nowhere"),
    };
    struct tconf d;

    cr_assert_eq(cn_conf_defaults(bad, 1, &d, err, sizeof(err)), 0);
    cr_assert_eq(cn_conf_set("x.old=1", bad, 1, &d, err, sizeof(err)), CN_ECONFIG);
    cr_assert(strstr(err, "not a key") != NULL, "%s", err);
    cn_conf_dispose(bad, 1, &d);
}

Test(conf, bad_default_is_reported, .timeout = 5)
{
    static const cn_conf_key_t bad[] = {
        CN_CONF_KEY(CN_CONF_SIZE, "x", "y", struct tconf, cache_size, "12zz", 0, 0, 0, "bad"),
    };
    struct tconf d;

    cr_assert_eq(cn_conf_defaults(bad, 1, &d, err, sizeof(err)), CN_ECONFIG);
    cr_assert(strstr(err, "default: x.y: '12zz'") == err, "%s", err);
}
