/*
 * gateway/s3/post_form.c: the multipart/form-data body of a browser POST upload (RFC 7578
 * over RFC 2046 framing), parsed in place up to the first byte of the part named "file".
 * A body is: a preamble, then "--" boundary (at the start, or after CRLF), transport padding
 * (blanks) and CRLF; each part is header lines ending in CRLF, a blank line, its content, and
 * CRLF "--" boundary again; "--" right after a boundary closes the body.
 * Invariants: every read stays below lim = min(len, GW_FORM_PRE_MAX), so a hostile body costs
 * at most 20 KiB of scanning, and a form whose file starts past lim is refused whatever its
 * length; at most GW_FORM_FIELDS_MAX fields are kept; nothing is allocated, and out->_esc
 * takes at most GW_FORM_ESC_MAX bytes of unescaped names. Pure, thread-safe.
 */
#include "gateway/s3/post_form.h"

#include <string.h>
#include <strings.h>

#include "common/err.h"

#define DELIM_PREFIX "\r\n--"
#define MSG_FRAMING "The body of your POST request is not well-formed multipart/form-data."
#define MSG_CRLF "The body of your POST request is not well-formed multipart/form-data: a " \
                 "header line does not end with CRLF."
#define MSG_NONAME "The body of your POST request is not well-formed multipart/form-data: a " \
                   "part has no Content-Disposition form-data name."
#define MSG_DUP "The body of your POST request is not well-formed multipart/form-data: a " \
                "field name is repeated."

/* A parse position: body[at, lim) may be read; len > lim means the body goes on past the
 * 20 KiB we look at. */
struct cur {
    const char *p;
    size_t at, lim, len;
    const char **msg;
};

/* The headers of one part that matter. */
struct part {
    int has_cd;
    cn_slice_t name;      /* ptr NULL: none */
    cn_slice_t filename;  /* ptr NULL: none */
    cn_slice_t type;      /* ptr NULL: none */
};

static int ieq(cn_slice_t a, const char *b)
{
    size_t n = strlen(b);

    return a.len == n && strncasecmp(a.ptr, b, n) == 0;
}

static int blank(char c)
{
    return c == ' ' || c == '\t';
}

static int ctl(unsigned char c)
{
    return c < 0x20 || c == 0x7f;
}

/* RFC 2045 token characters (header and parameter names, unquoted values). */
static int tchar(unsigned char c)
{
    return c > 0x20 && c < 0x7f && strchr("()<>@,;:\\\"/[]?=", c) == NULL;
}

/* RFC 2046 bcharsnospace, and space when not last. */
static int bchar(unsigned char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           strchr("'()+_,-./:=? ", c) != NULL;
}

static cn_slice_t trim(const char *p, size_t n)
{
    while (n > 0 && blank(p[0]))
        p++, n--;
    while (n > 0 && blank(p[n - 1]))
        n--;
    return cn_slice(p, n);
}

/* The error for running into lim: past 20 KiB the file cannot start in time; below, the body
 * simply ended mid-form. */
static gw_s3_err_t ran_out(const struct cur *c)
{
    if (c->len > c->lim)
        return GW_S3_MAX_POST_PRE_DATA;
    *c->msg = MSG_FRAMING;
    return GW_S3_MALFORMED_POST_REQUEST;
}

static gw_s3_err_t malformed(const struct cur *c, const char *msg)
{
    *c->msg = msg;
    return GW_S3_MALFORMED_POST_REQUEST;
}

int gw_form_find_delim(const char *p, size_t n, cn_slice_t boundary, size_t *at)
{
    char needle[sizeof(DELIM_PREFIX) - 1 + GW_FORM_BOUNDARY_MAX];
    const char *hit;

    if (boundary.len == 0 || boundary.len > GW_FORM_BOUNDARY_MAX)
        return 0;
    memcpy(needle, DELIM_PREFIX, sizeof(DELIM_PREFIX) - 1);
    memcpy(needle + sizeof(DELIM_PREFIX) - 1, boundary.ptr, boundary.len);
    hit = memmem(p, n, needle, sizeof(DELIM_PREFIX) - 1 + boundary.len);
    if (hit == NULL)
        return 0;
    *at = (size_t)(hit - p);
    return 1;
}

/* One "; name=value" parameter of a header value from v[*i]: the name, and the value
 * unquoted but with its escapes (*escaped set when it has any). 0, or -1 when malformed. */
static int next_param(cn_slice_t v, size_t *i, cn_slice_t *name, cn_slice_t *val, int *escaped)
{
    size_t k = *i, n0;

    *escaped = 0;
    while (k < v.len && blank(v.ptr[k]))
        k++;
    if (k == v.len || v.ptr[k++] != ';')
        return -1;
    while (k < v.len && blank(v.ptr[k]))
        k++;
    for (n0 = k; k < v.len && tchar((unsigned char)v.ptr[k]);)
        k++;
    *name = cn_slice(v.ptr + n0, k - n0);
    while (k < v.len && blank(v.ptr[k]))
        k++;
    if (name->len == 0 || k == v.len || v.ptr[k++] != '=')
        return -1;
    while (k < v.len && blank(v.ptr[k]))
        k++;
    if (k < v.len && v.ptr[k] == '"') {
        size_t v0 = ++k;
        for (; k < v.len && v.ptr[k] != '"'; k++) {
            if (v.ptr[k] == '\\') {
                *escaped = 1;
                if (++k == v.len)
                    return -1;
            }
            if (ctl((unsigned char)v.ptr[k]) && v.ptr[k] != '\t')
                return -1;
        }
        if (k == v.len)
            return -1;
        *val = cn_slice(v.ptr + v0, k - v0);
        k++;
    } else {
        size_t v0 = k;
        while (k < v.len && tchar((unsigned char)v.ptr[k]))
            k++;
        if (k == v0)
            return -1;
        *val = cn_slice(v.ptr + v0, k - v0);
    }
    *i = k;
    return 0;
}

/* Whether v[i, len) holds only blanks: the end of a header value's parameters. */
static int at_end(cn_slice_t v, size_t i)
{
    while (i < v.len && blank(v.ptr[i]))
        i++;
    return i == v.len;
}

int gw_form_boundary(cn_slice_t ct, cn_slice_t *boundary)
{
    static const char type[] = "multipart/form-data";
    size_t i = sizeof(type) - 1;
    cn_slice_t name, val;
    int found = 0, escaped;

    if (ct.len < i || strncasecmp(ct.ptr, type, i) != 0)
        return CN_EINVAL;
    while (!at_end(ct, i)) {
        if (next_param(ct, &i, &name, &val, &escaped) != 0)
            return CN_EINVAL;
        if (!ieq(name, "boundary"))
            continue;
        /* RFC 2046: 1..70 bchars, not ending in a space; no '"' or '\\', so never escaped */
        if (found || escaped || val.len == 0 || val.len > GW_FORM_BOUNDARY_MAX ||
            val.ptr[val.len - 1] == ' ')
            return CN_EINVAL;
        for (size_t k = 0; k < val.len; k++)
            if (!bchar((unsigned char)val.ptr[k]))
                return CN_EINVAL;
        *boundary = val;
        found = 1;
    }
    return found ? 0 : CN_EINVAL;
}

/* A quoted value with escapes, unescaped into out->_esc. */
static int unescape(gw_form_t *out, cn_slice_t *v)
{
    char *dst = out->_esc + out->_esc_len;
    size_t n = 0;

    if (v->len > GW_FORM_ESC_MAX - out->_esc_len)
        return -1;
    for (size_t k = 0; k < v->len; k++) {
        if (v->ptr[k] == '\\')
            k++; /* next_param saw that a byte follows */
        dst[n++] = v->ptr[k];
    }
    out->_esc_len += n;
    *v = cn_slice(dst, n);
    return 0;
}

/* Content-Disposition: form-data; name="..."; filename="..." (other parameters ignored, a
 * repeated name or filename refused). */
static gw_s3_err_t parse_disposition(const struct cur *c, cn_slice_t v, struct part *pt,
                                     gw_form_t *out)
{
    static const char type[] = "form-data";
    size_t i = sizeof(type) - 1;
    cn_slice_t name, val;
    int escaped;

    if (pt->has_cd || v.len < i || strncasecmp(v.ptr, type, i) != 0)
        return malformed(c, MSG_NONAME);
    pt->has_cd = 1;
    while (!at_end(v, i)) {
        cn_slice_t *dst = NULL;
        if (next_param(v, &i, &name, &val, &escaped) != 0)
            return malformed(c, MSG_FRAMING);
        if (ieq(name, "name"))
            dst = &pt->name;
        else if (ieq(name, "filename"))
            dst = &pt->filename;
        if (dst == NULL)
            continue;
        if (dst->ptr != NULL || (escaped && unescape(out, &val) != 0))
            return malformed(c, MSG_FRAMING);
        *dst = val;
    }
    return GW_S3_OK;
}

/* The header lines of a part, up to and past its blank line. Each must end in CRLF (a bare
 * LF or CR is refused), and none may be folded (obsolete since RFC 7230). */
static gw_s3_err_t parse_headers(struct cur *c, struct part *pt, gw_form_t *out)
{
    for (;;) {
        const char *nl = memchr(c->p + c->at, '\n', c->lim - c->at);
        const char *colon;
        cn_slice_t line, hname, hval;
        gw_s3_err_t e;

        if (nl == NULL)
            return ran_out(c);
        line = cn_slice(c->p + c->at, (size_t)(nl - c->p) - c->at);
        if (line.len == 0 || line.ptr[line.len - 1] != '\r')
            return malformed(c, MSG_CRLF);
        line.len--;
        c->at = (size_t)(nl - c->p) + 1;
        if (line.len == 0)
            return GW_S3_OK;
        if (memchr(line.ptr, '\r', line.len) != NULL)
            return malformed(c, MSG_CRLF);
        colon = memchr(line.ptr, ':', line.len);
        if (colon == NULL || colon == line.ptr)
            return malformed(c, MSG_FRAMING);
        hname = cn_slice(line.ptr, (size_t)(colon - line.ptr));
        for (size_t k = 0; k < hname.len; k++)
            if (!tchar((unsigned char)hname.ptr[k]))
                return malformed(c, MSG_FRAMING); /* also a folded line's leading blank */
        hval = trim(colon + 1, line.len - hname.len - 1);
        if (ieq(hname, "content-disposition")) {
            if ((e = parse_disposition(c, hval, pt, out)) != GW_S3_OK)
                return e;
        } else if (ieq(hname, "content-type")) {
            if (pt->type.ptr != NULL)
                return malformed(c, MSG_FRAMING);
            pt->type = hval;
        }
    }
}

/* After a boundary: "--" closes the body (*closed), else blanks then CRLF start a part. */
static gw_s3_err_t after_delim(struct cur *c, int *closed)
{
    *closed = 0;
    if (c->lim - c->at >= 2 && c->p[c->at] == '-' && c->p[c->at + 1] == '-') {
        *closed = 1;
        return GW_S3_OK;
    }
    while (c->at < c->lim && blank(c->p[c->at]))
        c->at++;
    if (c->lim - c->at < 2)
        return ran_out(c);
    if (c->p[c->at] != '\r' || c->p[c->at + 1] != '\n')
        return malformed(c, MSG_FRAMING);
    c->at += 2;
    return GW_S3_OK;
}

/* Moves past the first boundary: at the very start, or after the preamble and CRLF. */
static gw_s3_err_t first_delim(struct cur *c, cn_slice_t b)
{
    size_t at;

    if (c->lim >= 2 + b.len && c->p[0] == '-' && c->p[1] == '-' &&
        memcmp(c->p + 2, b.ptr, b.len) == 0) {
        c->at = 2 + b.len;
        return GW_S3_OK;
    }
    if (!gw_form_find_delim(c->p, c->lim, b, &at))
        return ran_out(c);
    c->at = at + sizeof(DELIM_PREFIX) - 1 + b.len;
    return GW_S3_OK;
}

/* Names never hold a NUL (refused as a control byte), so strncasecmp sees them whole. */
static int is_dup(const gw_form_t *out, cn_slice_t name)
{
    for (size_t i = 0; i < out->nfields; i++)
        if (out->fields[i].name.len == name.len &&
            strncasecmp(out->fields[i].name.ptr, name.ptr, name.len) == 0)
            return 1;
    return 0;
}

gw_s3_err_t gw_form_parse(const char *body, size_t len, cn_slice_t boundary, gw_form_t *out,
                          const char **msg)
{
    struct cur c = {body, 0, len < GW_FORM_PRE_MAX ? len : GW_FORM_PRE_MAX, len, msg};
    gw_s3_err_t e;
    int closed;

    memset(out, 0, sizeof(*out));
    *msg = NULL;
    if (boundary.len == 0 || boundary.len > GW_FORM_BOUNDARY_MAX)
        return malformed(&c, MSG_FRAMING);
    if ((e = first_delim(&c, boundary)) != GW_S3_OK)
        return e;
    for (;;) {
        struct part pt = {0};
        size_t at;

        if ((e = after_delim(&c, &closed)) != GW_S3_OK)
            return e;
        if (closed)
            return GW_S3_INCORRECT_NUMBER_OF_FILES;
        if ((e = parse_headers(&c, &pt, out)) != GW_S3_OK)
            return e;
        if (pt.name.ptr == NULL || pt.name.len == 0)
            return malformed(&c, MSG_NONAME);
        if (ieq(pt.name, "file")) {
            out->filename = pt.filename.ptr != NULL ? pt.filename : CN_SLICE("");
            out->file_type = pt.type;
            out->file_at = c.at;
            return GW_S3_OK;
        }
        if (out->nfields == GW_FORM_FIELDS_MAX)
            return GW_S3_MAX_POST_PRE_DATA;
        if (is_dup(out, pt.name))
            return malformed(&c, MSG_DUP);
        if (!gw_form_find_delim(body + c.at, c.lim - c.at, boundary, &at))
            return ran_out(&c);
        out->fields[out->nfields].name = pt.name;
        out->fields[out->nfields++].value = cn_slice(body + c.at, at);
        c.at += at + sizeof(DELIM_PREFIX) - 1 + boundary.len;
    }
}

cn_slice_t gw_form_get(const gw_form_t *f, const char *name)
{
    for (size_t i = 0; i < f->nfields; i++)
        if (ieq(f->fields[i].name, name))
            return f->fields[i].value;
    return cn_slice(NULL, 0);
}
