/*
 * gateway/s3/lock_doc.c: S3 Object Lock's documents and headers (see lock_doc.h). The XML is
 * read by s3_xmlin.c into fixed paths; here is what S3 accepts of them. Dates are S3's ISO
 * 8601 ("2030-01-01T00:00:00[.fff]Z", s3_xml.h), kept to the millisecond. Pure.
 */
#include "gateway/s3/lock_doc.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "common/err.h"
#include "gateway/s3/s3_xml.h"
#include "gateway/s3/s3_xmlin.h"

static const char future_msg[] = "The retain until date must be in the future!";

/* A positive period of text s (decimal digits only): 0 when none, UINT32_MAX past it. */
static uint32_t period(const char *s, int *digits_only)
{
    uint64_t v = 0;
    size_t i = 0;

    *digits_only = s[0] != '\0';
    if (s[0] == '-' && s[1]) /* a negative period is S3's InvalidArgument, not MalformedXML */
        i = 1;
    for (; s[i]; i++) {
        if (s[i] < '0' || s[i] > '9') {
            *digits_only = 0;
            return 0;
        }
        if (v < UINT32_MAX)
            v = v * 10 + (uint64_t)(s[i] - '0');
    }
    if (s[0] == '-')
        return 0;
    return v > UINT32_MAX ? UINT32_MAX : (uint32_t)v;
}

gw_s3_err_t gw_lock_conf_parse(const char *xml, size_t n, gw_lock_conf_t *out,
                               const char **msg)
{
    gw_xml_lock_t x;
    unsigned have_days, have_years;
    uint32_t v;
    int ok;

    *msg = NULL;
    memset(out, 0, sizeof(*out));
    if (gw_xml_parse_object_lock(xml, n, &x) != 0 || !(x.seen & (1u << GW_XL_ENABLED)) ||
        strcmp(x.val[GW_XL_ENABLED], "Enabled") != 0)
        return GW_S3_MALFORMED_XML;
    if (!(x.seen & (1u << GW_XL_RULE)))
        return GW_S3_OK; /* no default retention */
    have_days = x.seen & (1u << GW_XL_DAYS);
    have_years = x.seen & (1u << GW_XL_YEARS);
    if (!(x.seen & (1u << GW_XL_DEFAULT)) || !(x.seen & (1u << GW_XL_MODE)) ||
        !have_days == !have_years)
        return GW_S3_MALFORMED_XML;
    out->mode = cn_lock_mode_parse(x.val[GW_XL_MODE], strlen(x.val[GW_XL_MODE]), &ok);
    v = period(x.val[have_days ? GW_XL_DAYS : GW_XL_YEARS], &ok);
    if (out->mode == CN_LOCK_NONE || !ok) {
        out->mode = CN_LOCK_NONE;
        return GW_S3_MALFORMED_XML;
    }
    if (v == 0 || v > (have_days ? GW_LOCK_MAX_DAYS : GW_LOCK_MAX_YEARS)) {
        *msg = v == 0 ? "Default retention period must be a positive integer value."
                      : "Default retention period is too large.";
        out->mode = CN_LOCK_NONE;
        return GW_S3_INVALID_ARGUMENT;
    }
    *(have_days ? &out->days : &out->years) = v;
    return GW_S3_OK;
}

void gw_lock_conf_encode(const gw_lock_conf_t *c, cn_buf_t *out)
{
    cn_buf_append_str(out, "{\"ObjectLockEnabled\":\"Enabled\"");
    if (c->mode != CN_LOCK_NONE)
        cn_buf_appendf(out, ",\"Rule\":{\"DefaultRetention\":{\"Mode\":\"%s\",\"%s\":%" PRIu32
                            "}}",
                       cn_lock_mode_name(c->mode), c->days ? "Days" : "Years",
                       c->days ? c->days : c->years);
    cn_buf_append_str(out, "}");
}

int gw_lock_conf_decode(const json_t *j, gw_lock_conf_t *out)
{
    const json_t *d = json_object_get(json_object_get(j, "Rule"), "DefaultRetention");
    const char *mode = json_string_value(json_object_get(d, "Mode"));
    json_int_t days = json_integer_value(json_object_get(d, "Days"));
    json_int_t years = json_integer_value(json_object_get(d, "Years"));
    int ok = 0;

    memset(out, 0, sizeof(*out));
    if (d == NULL)
        return json_is_object(j) ? 0 : CN_EINVAL;
    if (mode != NULL)
        out->mode = cn_lock_mode_parse(mode, strlen(mode), &ok);
    if (!ok || (days > 0) == (years > 0) || days > GW_LOCK_MAX_DAYS ||
        years > GW_LOCK_MAX_YEARS || days < 0 || years < 0) {
        memset(out, 0, sizeof(*out));
        return CN_EINVAL;
    }
    out->days = (uint32_t)days;
    out->years = (uint32_t)years;
    return 0;
}

void gw_lock_conf_xml(const gw_lock_conf_t *c, cn_buf_t *x)
{
    gw_xml_decl(x);
    gw_xml_open_ns(x, "ObjectLockConfiguration", GW_S3_XMLNS);
    gw_xml_str_elem(x, "ObjectLockEnabled", "Enabled");
    if (c->mode != CN_LOCK_NONE) {
        gw_xml_open(x, "Rule");
        gw_xml_open(x, "DefaultRetention");
        gw_xml_str_elem(x, "Mode", cn_lock_mode_name(c->mode));
        gw_xml_u64_elem(x, c->days ? "Days" : "Years", c->days ? c->days : c->years);
        gw_xml_close(x, "DefaultRetention");
        gw_xml_close(x, "Rule");
    }
    gw_xml_close(x, "ObjectLockConfiguration");
}

uint64_t gw_lock_conf_until(const gw_lock_conf_t *c, uint64_t now_ms)
{
    time_t t = (time_t)(now_ms / 1000);
    struct tm tm;

    if (c->mode == CN_LOCK_NONE)
        return 0;
    if (c->days)
        return now_ms + (uint64_t)c->days * 86400000u;
    gmtime_r(&t, &tm);
    tm.tm_year += (int)c->years; /* 29 February of a year that has none: 1 March */
    return (uint64_t)timegm(&tm) * 1000u + now_ms % 1000u;
}

gw_s3_err_t gw_lock_retention_parse(const char *xml, size_t n, uint64_t now_ms,
                                    cn_lock_mode_t *mode, uint64_t *until_ms, const char **msg)
{
    gw_xml_lock_t x;
    unsigned have_mode, have_until;
    int ok;

    *msg = NULL;
    *mode = CN_LOCK_NONE;
    *until_ms = 0;
    if (gw_xml_parse_retention(xml, n, &x) != 0)
        return GW_S3_MALFORMED_XML;
    have_mode = x.seen & (1u << GW_XR_MODE);
    have_until = x.seen & (1u << GW_XR_UNTIL);
    if (!have_mode && !have_until)
        return GW_S3_OK; /* an empty Retention: its removal */
    if (!have_mode || !have_until)
        return GW_S3_MALFORMED_XML;
    *mode = cn_lock_mode_parse(x.val[GW_XR_MODE], strlen(x.val[GW_XR_MODE]), &ok);
    if (!ok || gw_iso8601_parse(x.val[GW_XR_UNTIL], strlen(x.val[GW_XR_UNTIL]), until_ms) != 0) {
        *mode = CN_LOCK_NONE;
        *until_ms = 0;
        return GW_S3_MALFORMED_XML;
    }
    if (*until_ms <= now_ms) {
        *msg = future_msg;
        return GW_S3_INVALID_ARGUMENT;
    }
    return GW_S3_OK;
}

gw_s3_err_t gw_lock_hold_parse(const char *xml, size_t n, int *on)
{
    gw_xml_lock_t x;

    *on = 0;
    if (gw_xml_parse_legal_hold(xml, n, &x) != 0 || !(x.seen & (1u << GW_XH_STATUS)))
        return GW_S3_MALFORMED_XML;
    if (strcmp(x.val[GW_XH_STATUS], "ON") == 0)
        *on = 1;
    else if (strcmp(x.val[GW_XH_STATUS], "OFF") != 0)
        return GW_S3_MALFORMED_XML;
    return GW_S3_OK;
}

void gw_lock_retention_xml(const cn_lock_t *l, cn_buf_t *x)
{
    char t[GW_S3_TIME_LEN];

    gw_xml_decl(x);
    gw_xml_open_ns(x, "Retention", GW_S3_XMLNS);
    gw_xml_str_elem(x, "Mode", cn_lock_mode_name(l->mode));
    gw_s3_time_fmt(l->until_ms, t);
    gw_xml_str_elem(x, "RetainUntilDate", t);
    gw_xml_close(x, "Retention");
}

void gw_lock_hold_xml(int on, cn_buf_t *x)
{
    gw_xml_decl(x);
    gw_xml_open_ns(x, "LegalHold", GW_S3_XMLNS);
    gw_xml_str_elem(x, "Status", on ? "ON" : "OFF");
    gw_xml_close(x, "LegalHold");
}

static int slice_is(cn_slice_t s, const char *want)
{
    return s.len == strlen(want) && memcmp(s.ptr, want, s.len) == 0;
}

gw_s3_err_t gw_lock_headers_parse(cn_slice_t mode, cn_slice_t until, cn_slice_t hold,
                                  uint64_t now_ms, gw_lock_req_t *out, const char **msg)
{
    int ok;

    *msg = NULL;
    memset(out, 0, sizeof(*out));
    if ((mode.ptr == NULL) != (until.ptr == NULL)) {
        *msg = "x-amz-object-lock-retain-until-date and x-amz-object-lock-mode must both be "
               "supplied";
        return GW_S3_INVALID_ARGUMENT;
    }
    if (mode.ptr != NULL) {
        out->lock.mode = cn_lock_mode_parse(mode.ptr, mode.len, &ok);
        if (!ok) {
            *msg = "Unknown wormMode directive.";
            return GW_S3_INVALID_ARGUMENT;
        }
        if (gw_iso8601_parse(until.ptr, until.len, &out->lock.until_ms) != 0) {
            *msg = "The retain until date must be provided in ISO 8601 format";
            return GW_S3_INVALID_ARGUMENT;
        }
        if (out->lock.until_ms <= now_ms) {
            *msg = future_msg;
            return GW_S3_INVALID_ARGUMENT;
        }
        out->retention = 1;
    }
    if (hold.ptr != NULL) {
        if (!slice_is(hold, "ON") && !slice_is(hold, "OFF")) {
            *msg = "Legal Hold must be either of 'ON' or 'OFF'";
            return GW_S3_INVALID_ARGUMENT;
        }
        out->lock.legal_hold = slice_is(hold, "ON");
        out->hold = 1;
    }
    return GW_S3_OK;
}

void gw_lock_meta_add(gw_meta_t *m, const cn_lock_t *l, int hold_given)
{
    char v[24];

    if (l->mode != CN_LOCK_NONE) {
        const char *name = cn_lock_mode_name(l->mode);

        snprintf(v, sizeof(v), "%" PRIu64, l->until_ms);
        gw_meta_add(m, CN_LOCK_META_MODE, strlen(CN_LOCK_META_MODE), name, strlen(name));
        gw_meta_add(m, CN_LOCK_META_UNTIL, strlen(CN_LOCK_META_UNTIL), v, strlen(v));
    }
    if (l->legal_hold || hold_given)
        gw_meta_add(m, CN_LOCK_META_HOLD, strlen(CN_LOCK_META_HOLD), l->legal_hold ? "ON" : "OFF",
                    l->legal_hold ? 2 : 3);
}

int gw_lock_meta_set_retention(cn_buf_t *enc, cn_lock_mode_t mode, uint64_t until_ms)
{
    char v[24];
    int on = mode != CN_LOCK_NONE;

    snprintf(v, sizeof(v), "%" PRIu64, until_ms);
    if (gw_meta_set(enc, CN_LOCK_META_MODE, on ? cn_lock_mode_name(mode) : NULL) != 0)
        return CN_ECORRUPT;
    gw_meta_set(enc, CN_LOCK_META_UNTIL, on ? v : NULL); /* decoded just above */
    return 0;
}
