/*
 * tests/fuzz/fuzz_lifecycle.c: libFuzzer target for a bucket's lifecycle rules: the
 * LifecycleConfiguration reader (gw_xml_parse_lifecycle, gateway/s3/s3_xmlin.h), S3's checks,
 * the stored form and its XML (gateway/s3/lifecycle.h), and the stored form's reader and
 * decisions (common/lifecycle.h). The input is a PutBucketLifecycleConfiguration body; it is
 * also read as a stored form itself (the bytes a corrupt or hostile manager record holds).
 * Checks: the reader answers 0 or CN_EINVAL and leaves no rule on an error; the check answers
 * OK or one of S3's errors, with a message for InvalidRequest, InvalidArgument and
 * NotImplemented; a valid configuration has 1..1000 rules; its stored form reads back
 * (cn_lc_parse), its XML reads and checks again and gives the same stored form; decisions
 * about a few fixed entries are actions lifecycle.h names, an expiration names a rule; no
 * leak.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/lifecycle.h"
#include "common/log.h"
#include "gateway/s3/lifecycle.h"
#include "gateway/s3/s3_xmlin.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define DAY 86400000ull

static const cn_lc_object_t fixed[] = {
    {"logs/a", 6, 5, NULL, 0, 1700000000000ull, 1, 0, 0, 0, 0},
    {"", 0, 0, "k=v&a%20b=", 10, 0, 1, 0, 0, 0, 0},
    {"x", 1, 1u << 30, NULL, 0, 1700000000000ull, 0, 0, 1700000000001ull, 3, 0},
    {"docs/d", 6, 0, NULL, 0, 1600000000000ull, 1, 1, 0, 0, 1},
    {"k", 1, 0, "k", 1, UINT64_MAX, 0, 1, UINT64_MAX, 0, 0},
};

/* Decisions about the fixed entries at a few times: only actions lifecycle.h names. */
static void decide_all(const cn_lc_rules_t *r)
{
    static const uint64_t nows[] = {0, 1700000000000ull, 1900000000000ull, UINT64_MAX};
    static const uint64_t days[] = {DAY, 1000, 1, UINT64_MAX};

    for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
        for (size_t j = 0; j < 4; j++) {
            cn_lc_action_t a = cn_lc_decide(r, &fixed[i], nows[j], days[j]);
            uint64_t when = 0;
            const char *id = NULL;

            if (a != CN_LC_KEEP && a != CN_LC_EXPIRE_CURRENT && a != CN_LC_DELETE_VERSION &&
                a != CN_LC_DELETE_MARKER)
                abort();
            if (cn_lc_expiration(r, &fixed[i], days[j], &when, &id) == 0 && id == NULL)
                abort();
            (void)cn_lc_abort_upload(r, fixed[i].key, fixed[i].key_len, 0, nows[j], days[j]);
        }
}

/* A valid configuration c: its stored form reads, its XML gives the same stored form. */
static void round_trip(gw_lc_t *c)
{
    cn_lc_rules_t *r = NULL;
    gw_lc_t d = {0};
    cn_buf_t j1, j2, x;
    char msg_buf[300];
    const char *msg;

    cn_buf_init(&j1);
    cn_buf_init(&j2);
    cn_buf_init(&x);
    gw_lc_name_rules(c, 42);
    gw_lc_encode(c, &j1);
    if (cn_lc_parse(j1.data, j1.len, &r) != 0)
        abort();
    decide_all(r);
    cn_lc_free(r);
    if (gw_lc_xml(j1.data, j1.len, &x) != 0)
        abort();
    if (gw_xml_parse_lifecycle(x.data, x.len, &d) != 0 ||
        gw_lc_check(&d, msg_buf, sizeof(msg_buf), &msg) != GW_S3_OK)
        abort();
    gw_lc_encode(&d, &j2);
    if (j1.len != j2.len || memcmp(j1.data, j2.data, j1.len) != 0)
        abort();
    gw_lc_dispose(&d);
    cn_buf_dispose(&j1);
    cn_buf_dispose(&j2);
    cn_buf_dispose(&x);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *p = (const char *)data;
    cn_lc_rules_t *r = NULL;
    gw_lc_t c = {0};
    char msg_buf[300];
    const char *msg;
    gw_s3_err_t e;
    cn_buf_t x;
    int rc;

    cn_log_set_level(CN_LOG_ERROR);
    /* the bytes as a stored form */
    if (cn_lc_parse(p, size, &r) == 0) {
        decide_all(r);
        cn_lc_free(r);
        cn_buf_init(&x);
        if (gw_lc_xml(p, size, &x) != 0)
            abort();
        cn_buf_dispose(&x);
    }
    /* as a PutBucketLifecycleConfiguration body */
    rc = gw_xml_parse_lifecycle(p, size, &c);
    if (rc != 0) {
        if (rc != CN_EINVAL || c.n != 0 || c.rules != NULL)
            abort();
        return 0;
    }
    e = gw_lc_check(&c, msg_buf, sizeof(msg_buf), &msg);
    if (e != GW_S3_OK && e != GW_S3_MALFORMED_XML && e != GW_S3_INVALID_REQUEST &&
        e != GW_S3_INVALID_ARGUMENT && e != GW_S3_NOT_IMPLEMENTED)
        abort();
    if ((e == GW_S3_INVALID_REQUEST || e == GW_S3_INVALID_ARGUMENT ||
         e == GW_S3_NOT_IMPLEMENTED) && (msg == NULL || !*msg))
        abort();
    if (e == GW_S3_OK) {
        if (c.n == 0 || c.n > GW_LC_MAX_RULES)
            abort();
        round_trip(&c);
    }
    gw_lc_dispose(&c);
    return 0;
}
