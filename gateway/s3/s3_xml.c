/*
 * gateway/s3/s3_xml.c: the XML writer and the S3/HTTP time formats (see s3_xml.h).
 * Invariant: everything written through gw_xml_escape() is well-formed XML 1.0 character
 * data whatever the input bytes are (except that invalid UTF-8 is passed through). Dates use
 * the proleptic Gregorian calendar in UTC and never consult the process time zone.
 */
#include "gateway/s3/s3_xml.h"

#include <inttypes.h>
#include <string.h>

#include "common/err.h"
#include "gateway/auth/s3_uri.h"

void gw_xml_decl(cn_buf_t *b)
{
    cn_buf_append_str(b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
}

void gw_xml_open(cn_buf_t *b, const char *tag)
{
    cn_buf_append(b, "<", 1);
    cn_buf_append_str(b, tag);
    cn_buf_append(b, ">", 1);
}

void gw_xml_open_ns(cn_buf_t *b, const char *tag, const char *ns)
{
    cn_buf_append(b, "<", 1);
    cn_buf_append_str(b, tag);
    cn_buf_append_str(b, " xmlns=\"");
    gw_xml_escape(b, ns, strlen(ns));
    cn_buf_append(b, "\">", 2);
}

void gw_xml_close(cn_buf_t *b, const char *tag)
{
    cn_buf_append(b, "</", 2);
    cn_buf_append_str(b, tag);
    cn_buf_append(b, ">", 1);
}

void gw_xml_escape(cn_buf_t *b, const char *s, size_t n)
{
    size_t i, run = 0;   /* bytes s[i - run, i) still to copy verbatim */

    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        const char *rep;

        switch (c) {
        case '&': rep = "&amp;"; break;
        case '<': rep = "&lt;"; break;
        case '>': rep = "&gt;"; break;
        case '"': rep = "&quot;"; break;
        case '\'': rep = "&apos;"; break;
        case '\t': rep = "&#9;"; break;
        case '\n': rep = "&#10;"; break;
        case '\r': rep = "&#13;"; break;
        default:
            if (c < 0x20)
                rep = "\xEF\xBF\xBD";   /* U+FFFD: not representable in XML 1.0 */
            else {
                run++;
                continue;
            }
        }
        if (run)
            cn_buf_append(b, s + i - run, run);
        run = 0;
        cn_buf_append_str(b, rep);
    }
    if (run)
        cn_buf_append(b, s + n - run, run);
}

void gw_xml_text_elem(cn_buf_t *b, const char *tag, const char *value, size_t len)
{
    gw_xml_open(b, tag);
    if (value)
        gw_xml_escape(b, value, len);
    gw_xml_close(b, tag);
}

void gw_xml_str_elem(cn_buf_t *b, const char *tag, const char *value)
{
    gw_xml_text_elem(b, tag, value, value ? strlen(value) : 0);
}

void gw_xml_u64_elem(cn_buf_t *b, const char *tag, uint64_t value)
{
    gw_xml_open(b, tag);
    cn_buf_appendf(b, "%" PRIu64, value);
    gw_xml_close(b, tag);
}

void gw_xml_bool_elem(cn_buf_t *b, const char *tag, int value)
{
    gw_xml_str_elem(b, tag, value ? "true" : "false");
}

/* ---- dates ---- */

static const char wdays[7][4] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
static const char months[12][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                   "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

/* Days since 1970-01-01 of a civil date (H. Hinnant's algorithm); m is 1..12. */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

static void civil_from_days(int64_t z, int *y, unsigned *m, unsigned *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int)(yoe + era * 400 + (*m <= 2));
}

struct tparts {
    int year;
    unsigned mon, day, hour, min, sec, ms, wday;
};

static void split_ms(uint64_t ms, struct tparts *t)
{
    int64_t days = (int64_t)(ms / 86400000u);
    uint64_t rem = ms % 86400000u;

    civil_from_days(days, &t->year, &t->mon, &t->day);
    t->hour = (unsigned)(rem / 3600000u);
    t->min = (unsigned)(rem / 60000u % 60);
    t->sec = (unsigned)(rem / 1000u % 60);
    t->ms = (unsigned)(rem % 1000u);
    t->wday = (unsigned)((days + 4) % 7);   /* 1970-01-01 was a Thursday */
}

/* Writes v as exactly width decimal digits (zero-padded, high digits dropped). */
static char *put_num(char *p, unsigned v, int width)
{
    for (int i = width - 1; i >= 0; i--) {
        p[i] = (char)('0' + v % 10);
        v /= 10;
    }
    return p + width;
}

void gw_s3_time_fmt(uint64_t ms, char out[GW_S3_TIME_LEN])
{
    struct tparts t;
    char *p = out;

    split_ms(ms, &t);
    p = put_num(p, (unsigned)t.year, 4);
    *p++ = '-';
    p = put_num(p, t.mon, 2);
    *p++ = '-';
    p = put_num(p, t.day, 2);
    *p++ = 'T';
    p = put_num(p, t.hour, 2);
    *p++ = ':';
    p = put_num(p, t.min, 2);
    *p++ = ':';
    p = put_num(p, t.sec, 2);
    *p++ = '.';
    p = put_num(p, t.ms, 3);
    *p++ = 'Z';
    *p = '\0';
}

void gw_http_date_fmt(uint64_t ms, char out[GW_HTTP_DATE_LEN])
{
    struct tparts t;
    char *p = out;

    split_ms(ms, &t);
    memcpy(p, wdays[t.wday], 3);
    p += 3;
    *p++ = ',';
    *p++ = ' ';
    p = put_num(p, t.day, 2);
    *p++ = ' ';
    memcpy(p, months[t.mon - 1], 3);
    p += 3;
    *p++ = ' ';
    p = put_num(p, (unsigned)t.year, 4);
    *p++ = ' ';
    p = put_num(p, t.hour, 2);
    *p++ = ':';
    p = put_num(p, t.min, 2);
    *p++ = ':';
    p = put_num(p, t.sec, 2);
    memcpy(p, " GMT", 5);
}

void gw_amz_date_fmt(uint64_t ms, char out[17])
{
    struct tparts t;
    char *p = out;

    split_ms(ms, &t);
    p = put_num(p, (unsigned)t.year, 4);
    p = put_num(p, t.mon, 2);
    p = put_num(p, t.day, 2);
    *p++ = 'T';
    p = put_num(p, t.hour, 2);
    p = put_num(p, t.min, 2);
    p = put_num(p, t.sec, 2);
    *p++ = 'Z';
    *p = '\0';
}

/* A tiny cursor over a length-bounded string. */
struct cur {
    const char *p, *end;
};

static int cur_digits(struct cur *c, int n, unsigned *out)
{
    unsigned v = 0;
    for (int i = 0; i < n; i++) {
        if (c->p >= c->end || *c->p < '0' || *c->p > '9')
            return CN_EINVAL;
        v = v * 10 + (unsigned)(*c->p++ - '0');
    }
    *out = v;
    return 0;
}

/* Reads 1 or 2 digits. */
static int cur_digits12(struct cur *c, unsigned *out)
{
    if (cur_digits(c, 1, out) != 0)
        return CN_EINVAL;
    if (c->p < c->end && *c->p >= '0' && *c->p <= '9')
        *out = *out * 10 + (unsigned)(*c->p++ - '0');
    return 0;
}

static int cur_lit(struct cur *c, char ch)
{
    if (c->p >= c->end || *c->p != ch)
        return CN_EINVAL;
    c->p++;
    return 0;
}

static void cur_spaces(struct cur *c)
{
    while (c->p < c->end && *c->p == ' ')
        c->p++;
}

static int cur_month(struct cur *c, unsigned *mon)
{
    if (c->end - c->p < 3)
        return CN_EINVAL;
    for (unsigned i = 0; i < 12; i++) {
        if (strncasecmp(c->p, months[i], 3) == 0) {
            *mon = i + 1;
            c->p += 3;
            return 0;
        }
    }
    return CN_EINVAL;
}

static int cur_hms(struct cur *c, struct tparts *t)
{
    if (cur_digits(c, 2, &t->hour) || cur_lit(c, ':') || cur_digits(c, 2, &t->min) ||
        cur_lit(c, ':') || cur_digits(c, 2, &t->sec))
        return CN_EINVAL;
    return 0;
}

/* Zone after the time: GMT, UTC, UT, Z or +hhmm/-hhmm; returns the offset in seconds. */
static int cur_zone(struct cur *c, int64_t *off_s)
{
    size_t n = (size_t)(c->end - c->p);

    *off_s = 0;
    if ((n == 3 && (strncasecmp(c->p, "GMT", 3) == 0 || strncasecmp(c->p, "UTC", 3) == 0)) ||
        (n == 2 && strncasecmp(c->p, "UT", 2) == 0) || (n == 1 && (*c->p == 'Z' || *c->p == 'z'))) {
        c->p = c->end;
        return 0;
    }
    if (n == 5 && (*c->p == '+' || *c->p == '-')) {
        int neg = *c->p++ == '-';
        unsigned hh, mm;
        if (cur_digits(c, 2, &hh) || cur_digits(c, 2, &mm) || hh > 23 || mm > 59)
            return CN_EINVAL;
        *off_s = (int64_t)(hh * 3600 + mm * 60) * (neg ? -1 : 1);
        return 0;
    }
    return CN_EINVAL;
}

static int parts_to_ms(const struct tparts *t, int64_t off_s, uint64_t *ms)
{
    static const unsigned mdays[12] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int64_t secs;

    if (t->year < 1970 || t->year > 9999 || t->mon < 1 || t->mon > 12 || t->day < 1 ||
        t->day > mdays[t->mon - 1] || t->hour > 23 || t->min > 59 || t->sec > 60)
        return CN_EINVAL;
    secs = days_from_civil(t->year, t->mon, t->day) * 86400 + t->hour * 3600 + t->min * 60 +
           t->sec - off_s;
    if (secs < 0 || secs > 253402300799) /* past 9999-12-31 23:59:59 (a leap second or a
                                               zone): no 4-digit year to format it with */
        return CN_EINVAL;
    *ms = (uint64_t)secs * 1000 + t->ms;
    return 0;
}

int gw_http_date_parse(const char *s, size_t n, uint64_t *ms)
{
    struct cur c = {s, s + n};
    struct tparts t = {0};
    const char *comma;
    int64_t off = 0;
    unsigned y;

    while (c.end > c.p && (c.end[-1] == ' ' || c.end[-1] == '\t'))
        c.end--;
    cur_spaces(&c);
    comma = memchr(c.p, ',', (size_t)(c.end - c.p));
    if (comma) {
        /* RFC 1123 "Tue, 27 Mar 2007 19:36:42 GMT" or RFC 850 "Tuesday, 27-Mar-07 ..." */
        c.p = comma + 1;
        cur_spaces(&c);
        if (cur_digits12(&c, &t.day))
            return CN_EINVAL;
        if (c.p < c.end && *c.p == '-') {
            c.p++;
            if (cur_month(&c, &t.mon) || cur_lit(&c, '-') || cur_digits(&c, 2, &y))
                return CN_EINVAL;
            t.year = (int)(y < 70 ? 2000 + y : 1900 + y);
        } else {
            cur_spaces(&c);
            if (cur_month(&c, &t.mon))
                return CN_EINVAL;
            cur_spaces(&c);
            if (cur_digits(&c, 4, &y))
                return CN_EINVAL;
            t.year = (int)y;
        }
        cur_spaces(&c);
        if (cur_hms(&c, &t))
            return CN_EINVAL;
        cur_spaces(&c);
        if (cur_zone(&c, &off))
            return CN_EINVAL;
    } else {
        /* asctime "Tue Mar 27 19:36:42 2007" */
        if (c.end - c.p < 4)
            return CN_EINVAL;
        c.p += 3;
        cur_spaces(&c);
        if (cur_month(&c, &t.mon))
            return CN_EINVAL;
        cur_spaces(&c);
        if (cur_digits12(&c, &t.day))
            return CN_EINVAL;
        cur_spaces(&c);
        if (cur_hms(&c, &t))
            return CN_EINVAL;
        cur_spaces(&c);
        if (cur_digits(&c, 4, &y) || c.p != c.end)
            return CN_EINVAL;
        t.year = (int)y;
    }
    return parts_to_ms(&t, off, ms);
}

int gw_iso8601_parse(const char *s, size_t n, uint64_t *ms)
{
    struct cur c = {s, s + n};
    struct tparts t = {0};
    unsigned y;

    if (n == 16) {   /* 20130524T000000Z */
        if (cur_digits(&c, 4, &y) || cur_digits(&c, 2, &t.mon) || cur_digits(&c, 2, &t.day) ||
            cur_lit(&c, 'T') || cur_digits(&c, 2, &t.hour) || cur_digits(&c, 2, &t.min) ||
            cur_digits(&c, 2, &t.sec) || cur_lit(&c, 'Z'))
            return CN_EINVAL;
        t.year = (int)y;
        return parts_to_ms(&t, 0, ms);
    }
    if (cur_digits(&c, 4, &y) || cur_lit(&c, '-') || cur_digits(&c, 2, &t.mon) ||
        cur_lit(&c, '-') || cur_digits(&c, 2, &t.day) || cur_lit(&c, 'T') || cur_hms(&c, &t))
        return CN_EINVAL;
    t.year = (int)y;
    if (c.p < c.end && *c.p == '.') {
        unsigned frac = 0, digits = 0;
        c.p++;
        while (c.p < c.end && *c.p >= '0' && *c.p <= '9') {
            if (digits < 3) {
                frac = frac * 10 + (unsigned)(*c.p - '0');
                digits++;
            }
            c.p++;
        }
        if (digits == 0)
            return CN_EINVAL;
        while (digits++ < 3)
            frac *= 10;
        t.ms = frac;
    }
    if (cur_lit(&c, 'Z') || c.p != c.end)
        return CN_EINVAL;
    return parts_to_ms(&t, 0, ms);
}

void gw_xml_key_elem(cn_buf_t *b, int url, const char *tag, const char *s, size_t n)
{
    cn_buf_t e;

    if (!url) {
        gw_xml_text_elem(b, tag, s, n);
        return;
    }
    cn_buf_init(&e);
    gw_uri_encode(&e, s, n, 1);
    gw_xml_text_elem(b, tag, e.data ? e.data : "", e.len);
    cn_buf_dispose(&e);
}
