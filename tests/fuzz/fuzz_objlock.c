/*
 * tests/fuzz/fuzz_objlock.c: libFuzzer target for S3 Object Lock's bodies (issue 18): the
 * ObjectLockConfiguration, Retention and LegalHold readers (gw_xml_parse_object_lock,
 * gw_xml_parse_retention, gw_xml_parse_legal_hold) and what S3 accepts of them
 * (gateway/s3/lock_doc.h). Every input is tried as each of the three documents.
 * Checks: a reader answers 0 or CN_EINVAL and leaves NUL-terminated leaves; a configuration
 * is OK with no rule, or a mode and exactly one period within S3's limits, MalformedXML, or
 * InvalidArgument with a message; its stored form reads back the same and its default
 * retention ends after now; a Retention is OK (empty, or a mode and a date in the future),
 * MalformedXML or InvalidArgument; a LegalHold OK or MalformedXML; no leak.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/log.h"
#include "gateway/s3/lock_doc.h"
#include "gateway/s3/s3_xmlin.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NOW_MS UINT64_C(1780000000000) /* 2026 */

static void check_leaves(const gw_xml_lock_t *x)
{
    for (size_t i = 0; i < GW_XML_LOCK_PATHS; i++)
        if (memchr(x->val[i], '\0', GW_XML_LOCK_VAL) == NULL)
            abort();
}

static void check_conf(const char *p, size_t n)
{
    gw_lock_conf_t c, d;
    const char *msg;
    gw_s3_err_t e = gw_lock_conf_parse(p, n, &c, &msg);
    json_t *j;
    cn_buf_t b;

    if (e == GW_S3_INVALID_ARGUMENT && (msg == NULL || !*msg))
        abort();
    if (e != GW_S3_OK) {
        if ((e != GW_S3_MALFORMED_XML && e != GW_S3_INVALID_ARGUMENT) || c.mode != CN_LOCK_NONE)
            abort();
        return;
    }
    if (c.mode != CN_LOCK_NONE &&
        (!c.days == !c.years || c.days > GW_LOCK_MAX_DAYS || c.years > GW_LOCK_MAX_YEARS ||
         gw_lock_conf_until(&c, NOW_MS) <= NOW_MS))
        abort();
    cn_buf_init(&b);
    gw_lock_conf_encode(&c, &b);
    j = json_loadb(b.data, b.len, 0, NULL);
    if (j == NULL || gw_lock_conf_decode(j, &d) != 0 || d.mode != c.mode || d.days != c.days ||
        d.years != c.years)
        abort();
    json_decref(j);
    cn_buf_reset(&b);
    gw_lock_conf_xml(&c, &b);
    cn_buf_dispose(&b);
}

static void check_retention(const char *p, size_t n)
{
    cn_lock_mode_t mode;
    uint64_t until;
    const char *msg;
    gw_s3_err_t e = gw_lock_retention_parse(p, n, NOW_MS, &mode, &until, &msg);

    if (e == GW_S3_OK && (mode == CN_LOCK_NONE) != (until == 0))
        abort();
    if (e == GW_S3_OK && mode != CN_LOCK_NONE && until <= NOW_MS)
        abort();
    if (e != GW_S3_OK && e != GW_S3_MALFORMED_XML && e != GW_S3_INVALID_ARGUMENT)
        abort();
    if (e == GW_S3_OK && mode != CN_LOCK_NONE) {
        cn_lock_t l = {mode, until, 0};
        cn_buf_t b;

        cn_buf_init(&b);
        gw_lock_retention_xml(&l, &b);
        cn_buf_dispose(&b);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *p = (const char *)data;
    gw_xml_lock_t x;
    int rc, on;

    cn_log_set_level(CN_LOG_ERROR);
    if ((rc = gw_xml_parse_object_lock(p, size, &x)) != 0 && rc != CN_EINVAL)
        abort();
    check_leaves(&x);
    if ((rc = gw_xml_parse_retention(p, size, &x)) != 0 && rc != CN_EINVAL)
        abort();
    check_leaves(&x);
    if ((rc = gw_xml_parse_legal_hold(p, size, &x)) != 0 && rc != CN_EINVAL)
        abort();
    check_leaves(&x);
    check_conf(p, size);
    check_retention(p, size);
    if (gw_lock_hold_parse(p, size, &on) == GW_S3_OK && on != 0 && on != 1)
        abort();
    return 0;
}
