/*
 * tests/unit/common/test_objlock.c: common/objlock.c as a table: which writes a lock lets
 * through (S3 Object Lock's rules, objlock.h), and the lock pairs read from metadata.
 */
#include <criterion/criterion.h>
#include <msgpack.h>
#include <string.h>

#include "common/err.h"
#include "common/objlock.h"

#define NOW 1000000ull
#define LATER (NOW + 5000)
#define EARLIER (NOW - 5000)

static const cn_lock_t none = {CN_LOCK_NONE, 0, 0};
static const cn_lock_t gov = {CN_LOCK_GOVERNANCE, LATER, 0};
static const cn_lock_t gov_longer = {CN_LOCK_GOVERNANCE, LATER + 1000, 0};
static const cn_lock_t gov_shorter = {CN_LOCK_GOVERNANCE, LATER - 1000, 0};
static const cn_lock_t comp = {CN_LOCK_COMPLIANCE, LATER, 0};
static const cn_lock_t comp_longer = {CN_LOCK_COMPLIANCE, LATER + 1000, 0};
static const cn_lock_t comp_shorter = {CN_LOCK_COMPLIANCE, LATER - 1000, 0};
static const cn_lock_t gov_expired = {CN_LOCK_GOVERNANCE, EARLIER, 0};
static const cn_lock_t comp_expired = {CN_LOCK_COMPLIANCE, EARLIER, 0};
static const cn_lock_t hold = {CN_LOCK_NONE, 0, 1};
static const cn_lock_t gov_hold = {CN_LOCK_GOVERNANCE, LATER, 1};
static const cn_lock_t comp_hold = {CN_LOCK_COMPLIANCE, LATER, 1};

#define DEL NULL
#define OK 0
#define NO CN_EPERM

static const struct row {
    const char *name;
    const cn_lock_t *cur, *next; /* next NULL: a delete */
    int same, bypass, want;
} rows[] = {
    {"no lock: delete", &none, DEL, 0, 0, OK},
    {"no lock: overwrite", &none, &none, 0, 0, OK},
    {"GOVERNANCE: delete", &gov, DEL, 0, 0, NO},
    {"GOVERNANCE: delete with bypass", &gov, DEL, 0, 1, OK},
    {"GOVERNANCE: overwrite", &gov, &gov, 0, 0, NO},
    {"GOVERNANCE: overwrite with bypass", &gov, &gov, 0, 1, OK},
    {"GOVERNANCE: rewrite keeping it (an ACL)", &gov, &gov, 1, 0, OK},
    {"GOVERNANCE: extended", &gov, &gov_longer, 1, 0, OK},
    {"GOVERNANCE: shortened", &gov, &gov_shorter, 1, 0, NO},
    {"GOVERNANCE: shortened with bypass", &gov, &gov_shorter, 1, 1, OK},
    {"GOVERNANCE: removed", &gov, &none, 1, 0, NO},
    {"GOVERNANCE: removed with bypass", &gov, &none, 1, 1, OK},
    {"GOVERNANCE: to COMPLIANCE", &gov, &comp, 1, 0, OK},
    {"COMPLIANCE: delete", &comp, DEL, 0, 0, NO},
    {"COMPLIANCE: delete with bypass", &comp, DEL, 0, 1, NO},
    {"COMPLIANCE: overwrite with bypass", &comp, &comp, 0, 1, NO},
    {"COMPLIANCE: rewrite keeping it", &comp, &comp, 1, 0, OK},
    {"COMPLIANCE: extended", &comp, &comp_longer, 1, 0, OK},
    {"COMPLIANCE: shortened with bypass", &comp, &comp_shorter, 1, 1, NO},
    {"COMPLIANCE: removed with bypass", &comp, &none, 1, 1, NO},
    {"COMPLIANCE: to GOVERNANCE with bypass", &comp, &gov_longer, 1, 1, NO},
    {"COMPLIANCE: a legal hold added", &comp, &comp_hold, 1, 0, OK},
    {"expired GOVERNANCE: delete", &gov_expired, DEL, 0, 0, OK},
    {"expired COMPLIANCE: delete", &comp_expired, DEL, 0, 0, OK},
    {"expired COMPLIANCE: retention removed", &comp_expired, &none, 1, 0, OK},
    {"legal hold: delete", &hold, DEL, 0, 0, NO},
    {"legal hold: delete with bypass", &hold, DEL, 0, 1, NO},
    {"legal hold: overwrite", &hold, &hold, 0, 1, NO},
    {"legal hold: removed (a rewrite)", &hold, &none, 1, 0, OK},
    {"GOVERNANCE + hold: delete with bypass", &gov_hold, DEL, 0, 1, NO},
    {"GOVERNANCE + hold: the hold removed", &gov_hold, &gov, 1, 0, OK},
    {"GOVERNANCE + hold: both removed", &gov_hold, &none, 1, 0, NO},
};

Test(objlock, table)
{
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
        cr_expect_eq(cn_lock_allows(rows[i].cur, rows[i].next, rows[i].same, rows[i].bypass, NOW),
                     rows[i].want, "%s", rows[i].name);
}

Test(objlock, active)
{
    cr_assert(!cn_lock_active(&none, NOW));
    cr_assert(cn_lock_active(&gov, NOW));
    cr_assert(!cn_lock_active(&gov_expired, NOW));
    cr_assert(cn_lock_active(&hold, NOW));
    cr_assert(!cn_lock_active(&(cn_lock_t){CN_LOCK_COMPLIANCE, NOW, 0}, NOW), "until == now");
}

/* A msgpack map of n string pairs. */
static size_t meta(char *out, size_t cap, const char *const *kv, size_t n)
{
    msgpack_sbuffer sb;
    msgpack_packer pk;
    size_t len;

    msgpack_sbuffer_init(&sb);
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, n);
    for (size_t i = 0; i < 2 * n; i++) {
        msgpack_pack_str(&pk, strlen(kv[i]));
        msgpack_pack_str_body(&pk, kv[i], strlen(kv[i]));
    }
    len = sb.size < cap ? sb.size : cap;
    memcpy(out, sb.data, len);
    msgpack_sbuffer_destroy(&sb);
    return len;
}

Test(objlock, from_meta)
{
    static const char *const full[] = {"content-type", "text/plain", CN_LOCK_META_MODE,
                                       "COMPLIANCE", CN_LOCK_META_UNTIL, "1767225600000",
                                       CN_LOCK_META_HOLD, "ON"};
    static const char *const off[] = {":owner", "abc", CN_LOCK_META_HOLD, "OFF"};
    static const char *const bad_mode[] = {CN_LOCK_META_MODE, "compliance", CN_LOCK_META_UNTIL,
                                           "1"};
    static const char *const half[] = {CN_LOCK_META_MODE, "GOVERNANCE"};
    static const char *const bad_date[] = {CN_LOCK_META_MODE, "GOVERNANCE", CN_LOCK_META_UNTIL,
                                           "12a"};
    char buf[512];
    cn_lock_t l;
    size_t n;

    n = meta(buf, sizeof(buf), full, 4);
    cr_assert_eq(cn_lock_from_meta(buf, n, &l), 0);
    cr_assert_eq(l.mode, CN_LOCK_COMPLIANCE);
    cr_assert_eq(l.until_ms, 1767225600000ull);
    cr_assert_eq(l.legal_hold, 1);
    n = meta(buf, sizeof(buf), off, 2);
    cr_assert_eq(cn_lock_from_meta(buf, n, &l), 0);
    cr_assert(!cn_lock_active(&l, NOW));
    cr_assert_eq(cn_lock_from_meta("", 0, &l), 0, "no metadata, no lock");
    cr_assert(!cn_lock_active(&l, NOW));
    /* what does not read locks the version for good */
    const char *const *bad[] = {bad_mode, half, bad_date};
    size_t nbad[] = {2, 1, 2};
    for (size_t i = 0; i < 3; i++) {
        n = meta(buf, sizeof(buf), bad[i], nbad[i]);
        cr_assert_eq(cn_lock_from_meta(buf, n, &l), CN_ECORRUPT, "bad %zu", i);
        cr_assert(cn_lock_active(&l, UINT64_MAX - 1));
        cr_assert_eq(cn_lock_allows(&l, NULL, 0, 1, NOW), CN_EPERM);
    }
    cr_assert_eq(cn_lock_from_meta("\xc1", 1, &l), CN_ECORRUPT);
    cr_assert_eq(cn_lock_from_meta("\x92\x01\x02", 3, &l), CN_ECORRUPT, "an array");
}

Test(objlock, mode_names)
{
    int ok;
    cr_assert_str_eq(cn_lock_mode_name(CN_LOCK_GOVERNANCE), "GOVERNANCE");
    cr_assert_eq(cn_lock_mode_parse("COMPLIANCE", 10, &ok), CN_LOCK_COMPLIANCE);
    cr_assert(ok);
    cr_assert_eq(cn_lock_mode_parse("Compliance", 10, &ok), CN_LOCK_NONE);
    cr_assert(!ok);
}
