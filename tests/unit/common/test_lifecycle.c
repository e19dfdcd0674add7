/*
 * tests/unit/common/test_lifecycle.c: common/lifecycle.c as tables: which stored forms read,
 * what the rules decide about an entry (S3's rounding of days to midnight UTC, filters,
 * noncurrent versions, delete markers), uploads aborted, and x-amz-expiration's date.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "common/err.h"
#include "common/lifecycle.h"

#define DAY 86400000ull
#define T0 (1700000000000ull - 1700000000000ull % DAY) /* a midnight UTC */

static cn_lc_rules_t *rules(const char *json)
{
    cn_lc_rules_t *r = NULL;

    cr_assert_eq(cn_lc_parse(json, strlen(json), &r), 0, "does not read: %s", json);
    return r;
}

/* ---- the stored form ---------------------------------------------------------------------- */

static const struct parse_row {
    const char *json;
    int ok;
} parse_rows[] = {
    {"{\"Rules\":[{\"ID\":\"a\",\"Status\":\"Enabled\",\"Expiration\":{\"Days\":1}}]}", 1},
    {"{\"Rules\":[{\"ID\":\"a\",\"Status\":\"Disabled\",\"Prefix\":\"x/\","
     "\"Expiration\":{\"Date\":1700006400000}}]}", 1},
    {"{\"Rules\":[{\"ID\":\"a\",\"Status\":\"Enabled\",\"Filter\":{\"Prefix\":\"p\",\"Tags\":"
     "[{\"Key\":\"k\",\"Value\":\"v\"}],\"ObjectSizeGreaterThan\":0,\"ObjectSizeLessThan\":9},"
     "\"NoncurrentVersionExpiration\":{\"NoncurrentDays\":3,\"NewerNoncurrentVersions\":2},"
     "\"AbortIncompleteMultipartUpload\":{\"DaysAfterInitiation\":7}}]}", 1},
    {"{\"Rules\":[{\"ID\":\"a\",\"Status\":\"Enabled\",\"Filter\":{},"
     "\"Expiration\":{\"ExpiredObjectDeleteMarker\":false}}]}", 1},
    {"", 0},
    {"[]", 0},
    {"{\"Rules\":[]}", 0},
    {"{\"Rules\":[{\"Status\":\"Enabled\",\"Expiration\":{\"Days\":1}}]}", 0},      /* no ID */
    {"{\"Rules\":[{\"ID\":\"a\",\"Expiration\":{\"Days\":1}}]}", 0},                /* no Status */
    {"{\"Rules\":[{\"ID\":\"a\",\"Status\":\"On\",\"Expiration\":{\"Days\":1}}]}", 0},
    {"{\"Rules\":[{\"ID\":\"a\",\"Status\":\"Enabled\"}]}", 0},                     /* no action */
    {"{\"Rules\":[{\"ID\":\"a\",\"Status\":\"Enabled\",\"Expiration\":{\"Days\":0}}]}", 0},
    {"{\"Rules\":[{\"ID\":\"a\",\"Status\":\"Enabled\",\"Expiration\":{\"Days\":\"1\"}}]}", 0},
    {"{\"Rules\":[{\"ID\":\"a\",\"Status\":\"Enabled\",\"Expiration\":{}}]}", 0},
    {"{\"Rules\":[{\"ID\":\"a\",\"Status\":\"Enabled\",\"Expiration\":{\"Days\":1,"
     "\"Date\":0}}]}", 0},
    {"{\"Rules\":[{\"ID\":\"a\",\"Status\":\"Enabled\",\"Prefix\":\"\",\"Filter\":{},"
     "\"Expiration\":{\"Days\":1}}]}", 0},
    {"{\"Rules\":[{\"ID\":\"a\",\"Status\":\"Enabled\",\"Filter\":{\"Tags\":[{\"Key\":1}]},"
     "\"Expiration\":{\"Days\":1}}]}", 0},
    {"{\"Rules\":[{\"ID\":\"a\",\"Status\":\"Enabled\","
     "\"NoncurrentVersionExpiration\":{\"NewerNoncurrentVersions\":2}}]}", 0},
    {"{\"Rules\":[{\"ID\":\"a\",\"Status\":\"Enabled\","
     "\"AbortIncompleteMultipartUpload\":{\"DaysAfterInitiation\":-1}}]}", 0},
};

Test(lifecycle, stored_forms_read_or_are_refused_whole, .timeout = 5)
{
    for (size_t i = 0; i < sizeof(parse_rows) / sizeof(parse_rows[0]); i++) {
        cn_lc_rules_t *r = NULL;
        int rc = cn_lc_parse(parse_rows[i].json, strlen(parse_rows[i].json), &r);

        cr_expect_eq(rc, parse_rows[i].ok ? 0 : CN_EINVAL, "row %zu: %s", i, parse_rows[i].json);
        cn_lc_free(r);
    }
}

/* ---- decisions ---------------------------------------------------------------------------- */

/* a current version without tags, and one with (tags a string literal) */
#define CUR(key, size, tags, mtime) {key, sizeof(key) - 1, size, NULL, 0, mtime, 1, 0, 0, 0, 0}
#define CURT(key, size, tags, mtime)                                                           \
    {key, sizeof(key) - 1, size, tags, sizeof(tags) - 1, mtime, 1, 0, 0, 0, 0}

static const char *const base_rules =
    "{\"Rules\":["
    "{\"ID\":\"logs\",\"Status\":\"Enabled\",\"Filter\":{\"Prefix\":\"logs/\"},"
    " \"Expiration\":{\"Days\":2}},"
    "{\"ID\":\"off\",\"Status\":\"Disabled\",\"Filter\":{\"Prefix\":\"off/\"},"
    " \"Expiration\":{\"Days\":1}},"
    "{\"ID\":\"tagged\",\"Status\":\"Enabled\",\"Filter\":{\"Prefix\":\"t/\",\"Tags\":"
    " [{\"Key\":\"a b\",\"Value\":\"1\"},{\"Key\":\"c\",\"Value\":\"\"}]},"
    " \"Expiration\":{\"Days\":1}},"
    "{\"ID\":\"sized\",\"Status\":\"Enabled\",\"Filter\":{\"Prefix\":\"s/\","
    " \"ObjectSizeGreaterThan\":10,\"ObjectSizeLessThan\":20},\"Expiration\":{\"Days\":1}},"
    "{\"ID\":\"dated\",\"Status\":\"Enabled\",\"Prefix\":\"d/\","
    " \"Expiration\":{\"Date\":1800000000000}},"
    "{\"ID\":\"old\",\"Status\":\"Enabled\",\"Filter\":{\"Prefix\":\"v/\"},"
    " \"NoncurrentVersionExpiration\":{\"NoncurrentDays\":3,\"NewerNoncurrentVersions\":2},"
    " \"Expiration\":{\"ExpiredObjectDeleteMarker\":true}}"
    "]}";

static const struct decide_row {
    const char *name;
    cn_lc_object_t o;
    uint64_t now;
    cn_lc_action_t want;
} decide_rows[] = {
    /* Days: written at 10:00 on day 0, due at t + 2 days rounded up: midnight of day 3 */
    {"days: before the rounded time", CUR("logs/a", 1, NULL, T0 + DAY / 2 - 1), T0 + 3 * DAY - 1,
     CN_LC_KEEP},
    {"days: at the rounded time", CUR("logs/a", 1, NULL, T0 + DAY / 2 - 1), T0 + 3 * DAY,
     CN_LC_EXPIRE_CURRENT},
    {"days: written at midnight is due at midnight", CUR("logs/a", 1, NULL, T0), T0 + 2 * DAY,
     CN_LC_EXPIRE_CURRENT},
    {"days: another prefix", CUR("log/a", 1, NULL, T0), T0 + 10 * DAY, CN_LC_KEEP},
    {"a disabled rule does nothing", CUR("off/a", 1, NULL, T0), T0 + 10 * DAY, CN_LC_KEEP},
    {"tags: all present", CURT("t/a", 1, "x=y&a%20b=1&c=", T0), T0 + DAY, CN_LC_EXPIRE_CURRENT},
    {"tags: '+' is a space, no '=' an empty value", CURT("t/a", 1, "a+b=1&c", T0), T0 + DAY,
     CN_LC_EXPIRE_CURRENT},
    {"tags: one missing", CURT("t/a", 1, "a%20b=1", T0), T0 + DAY, CN_LC_KEEP},
    {"tags: a value differs", CURT("t/a", 1, "a%20b=2&c=", T0), T0 + DAY, CN_LC_KEEP},
    {"tags: none", CUR("t/a", 1, NULL, T0), T0 + DAY, CN_LC_KEEP},
    {"size: within", CUR("s/a", 15, NULL, T0), T0 + DAY, CN_LC_EXPIRE_CURRENT},
    {"size: greater-than is strict", CUR("s/a", 10, NULL, T0), T0 + DAY, CN_LC_KEEP},
    {"size: less-than is strict", CUR("s/a", 20, NULL, T0), T0 + DAY, CN_LC_KEEP},
    {"date: before", CUR("d/a", 1, NULL, T0), 1800000000000ull - 1, CN_LC_KEEP},
    {"date: at it", CUR("d/a", 1, NULL, T0), 1800000000000ull, CN_LC_EXPIRE_CURRENT},
    {"noncurrent: too recent", {"v/a", 3, 1, NULL, 0, T0, 0, 0, T0 + DAY / 2, 5, 0},
     T0 + 4 * DAY - 1, CN_LC_KEEP},
    {"noncurrent: days after it became noncurrent", {"v/a", 3, 1, NULL, 0, T0, 0, 0,
     T0 + DAY / 2, 2, 0}, T0 + 4 * DAY, CN_LC_DELETE_VERSION},
    {"noncurrent: one of the 2 newer kept", {"v/a", 3, 1, NULL, 0, T0, 0, 0, T0, 1, 0},
     T0 + 10 * DAY, CN_LC_KEEP},
    {"noncurrent: a noncurrent delete marker goes too", {"v/a", 3, 0, NULL, 0, T0, 0, 1, T0, 2,
     0}, T0 + 10 * DAY, CN_LC_DELETE_VERSION},
    {"noncurrent: the current version stays", CUR("v/a", 1, NULL, T0), T0 + 100 * DAY,
     CN_LC_KEEP},
    {"marker: the only version goes", {"v/a", 3, 0, NULL, 0, T0, 1, 1, 0, 0, 1}, T0,
     CN_LC_DELETE_MARKER},
    {"marker: not while versions remain", {"v/a", 3, 0, NULL, 0, T0, 1, 1, 0, 0, 0},
     T0 + 100 * DAY, CN_LC_KEEP},
    {"marker: by Days once old enough", {"logs/a", 6, 0, NULL, 0, T0, 1, 1, 0, 0, 1},
     T0 + 2 * DAY, CN_LC_DELETE_MARKER},
    {"marker: by Days, not before", {"logs/a", 6, 0, NULL, 0, T0, 1, 1, 0, 0, 1},
     T0 + 2 * DAY - 1, CN_LC_KEEP},
};

Test(lifecycle, decisions, .timeout = 5)
{
    cn_lc_rules_t *r = rules(base_rules);

    for (size_t i = 0; i < sizeof(decide_rows) / sizeof(decide_rows[0]); i++)
        cr_expect_eq(cn_lc_decide(r, &decide_rows[i].o, decide_rows[i].now, DAY),
                     decide_rows[i].want, "%s", decide_rows[i].name);
    cn_lc_free(r);
}

Test(lifecycle, the_first_due_action_in_rule_order, .timeout = 5)
{
    cn_lc_rules_t *r = rules("{\"Rules\":["
                             "{\"ID\":\"a\",\"Status\":\"Enabled\",\"Expiration\":{\"Days\":5}},"
                             "{\"ID\":\"b\",\"Status\":\"Enabled\",\"Expiration\":{\"Days\":1}}"
                             "]}");
    cn_lc_object_t o = CUR("k", 1, NULL, T0);

    cr_expect_eq(cn_lc_decide(r, &o, T0 + DAY, DAY), CN_LC_EXPIRE_CURRENT); /* b's */
    cr_expect_eq(cn_lc_decide(r, &o, T0 + DAY - 1, DAY), CN_LC_KEEP);
    cr_expect_eq(cn_lc_decide(NULL, &o, T0 + DAY, DAY), CN_LC_KEEP);
    cn_lc_free(r);
}

Test(lifecycle, a_short_day_for_tests, .timeout = 5)
{
    cn_lc_rules_t *r = rules(base_rules);
    cn_lc_object_t o = CUR("logs/x", 1, NULL, 12345);

    /* day 10 s: written at 12.345 s, due at 12.345 + 20 = 32.345 s, rounded up to 40 s */
    cr_expect_eq(cn_lc_decide(r, &o, 39999, 10000), CN_LC_KEEP);
    cr_expect_eq(cn_lc_decide(r, &o, 40000, 10000), CN_LC_EXPIRE_CURRENT);
    cn_lc_free(r);
}

Test(lifecycle, huge_days_never_wrap, .timeout = 5)
{
    cn_lc_rules_t *r = rules("{\"Rules\":[{\"ID\":\"a\",\"Status\":\"Enabled\","
                             "\"Expiration\":{\"Days\":2147483647}}]}");
    cn_lc_object_t o = CUR("k", 1, NULL, UINT64_MAX - 5);

    cr_expect_eq(cn_lc_decide(r, &o, UINT64_MAX - 1, DAY), CN_LC_KEEP);
    cr_expect_eq(cn_lc_decide(r, &o, UINT64_MAX - 1, UINT64_MAX / 2), CN_LC_KEEP);
    cn_lc_free(r);
}

/* ---- uploads ------------------------------------------------------------------------------ */

Test(lifecycle, abort_incomplete_uploads, .timeout = 5)
{
    cn_lc_rules_t *r = rules("{\"Rules\":["
                             "{\"ID\":\"a\",\"Status\":\"Enabled\",\"Filter\":{\"Prefix\":\"up/\"},"
                             " \"AbortIncompleteMultipartUpload\":{\"DaysAfterInitiation\":1}},"
                             "{\"ID\":\"b\",\"Status\":\"Disabled\",\"Filter\":{},"
                             " \"AbortIncompleteMultipartUpload\":{\"DaysAfterInitiation\":1}},"
                             "{\"ID\":\"c\",\"Status\":\"Enabled\",\"Prefix\":\"old/\","
                             " \"AbortIncompleteMultipartUpload\":{\"DaysAfterInitiation\":3}}"
                             "]}");

    cr_expect_eq(cn_lc_abort_upload(r, "up/k", 4, T0 + 1, T0 + 2 * DAY - 1, DAY), 0);
    cr_expect_eq(cn_lc_abort_upload(r, "up/k", 4, T0 + 1, T0 + 2 * DAY, DAY), 1);
    cr_expect_eq(cn_lc_abort_upload(r, "u", 1, T0, T0 + 100 * DAY, DAY), 0);
    cr_expect_eq(cn_lc_abort_upload(r, "other", 5, T0, T0 + 100 * DAY, DAY), 0); /* b: off */
    cr_expect_eq(cn_lc_abort_upload(r, "old/k", 5, T0, T0 + 3 * DAY, DAY), 1);
    cn_lc_free(r);
}

/* ---- x-amz-expiration --------------------------------------------------------------------- */

Test(lifecycle, expiration_is_the_earliest_rule, .timeout = 5)
{
    cn_lc_rules_t *r = rules("{\"Rules\":["
                             "{\"ID\":\"ten\",\"Status\":\"Enabled\",\"Expiration\":{\"Days\":10}},"
                             "{\"ID\":\"two\",\"Status\":\"Enabled\",\"Filter\":{\"Prefix\":\"a\"},"
                             " \"Expiration\":{\"Days\":2}},"
                             "{\"ID\":\"two again\",\"Status\":\"Enabled\","
                             " \"Expiration\":{\"Days\":2}},"
                             "{\"ID\":\"nc\",\"Status\":\"Enabled\","
                             " \"NoncurrentVersionExpiration\":{\"NoncurrentDays\":1}}"
                             "]}");
    cn_lc_object_t a = CUR("abc", 1, NULL, T0 + 5), b = CUR("bcd", 1, NULL, T0 + 5);
    cn_lc_object_t marker = {"abc", 3, 0, NULL, 0, T0, 1, 1, 0, 0, 1};
    uint64_t when = 0;
    const char *id = NULL;

    cr_assert_eq(cn_lc_expiration(r, &a, DAY, &when, &id), 0);
    cr_expect_eq(when, T0 + 3 * DAY);
    cr_expect_str_eq(id, "two");
    cr_assert_eq(cn_lc_expiration(r, &b, DAY, &when, &id), 0);
    cr_expect_str_eq(id, "two again");
    cr_expect_eq(cn_lc_expiration(r, &marker, DAY, &when, &id), -1);
    cn_lc_free(r);

    r = rules("{\"Rules\":[{\"ID\":\"nc\",\"Status\":\"Enabled\","
              " \"NoncurrentVersionExpiration\":{\"NoncurrentDays\":1}},"
              "{\"ID\":\"off\",\"Status\":\"Disabled\",\"Expiration\":{\"Days\":1}}]}");
    cr_expect_eq(cn_lc_expiration(r, &a, DAY, &when, &id), -1);
    cn_lc_free(r);
}
