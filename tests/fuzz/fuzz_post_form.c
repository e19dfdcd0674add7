/*
 * tests/fuzz/fuzz_post_form.c: libFuzzer target for the multipart/form-data parser of browser
 * POST uploads (gateway/s3/post_form.h: gw_form_boundary, gw_form_parse, gw_form_find_delim,
 * gw_form_get). Byte 0 picks the boundary: 0..2 one of three fixed ones (a browser's, curl's,
 * a one-byte one) and the body is the rest; 3 and above: the input's first line is a
 * Content-Type whose boundary (gw_form_boundary) frames the body after it, or the browser's
 * boundary when it has none. Checks: the result is OK, MalformedPOSTRequest (with a message),
 * MaxPostPreDataLengthExceededError or IncorrectNumberOfFilesInPostRequest; parsing twice gives
 * the same; on OK at most GW_FORM_FIELDS_MAX fields with non-empty names, pairwise distinct
 * (case-insensitively), each slice inside the body (names possibly in the form's scratch),
 * gw_form_get finds each value, and the file starts at most GW_FORM_PRE_MAX bytes in; a
 * boundary is 1..70 bytes inside the Content-Type; gw_form_find_delim over windows that
 * overlap by boundary + 3 bytes finds what one scan of the whole body finds.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/err.h"
#include "gateway/s3/post_form.h"
#include "tests/fuzz/fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const fixed[] = {"----WebKitFormBoundary7MA4YWxkTrZu0gW",
                                    "------------------------d74496d66958873e", "x"};

static int inside(cn_slice_t s, const void *base, size_t len)
{
    const char *b = base;

    return s.ptr != NULL && s.ptr >= b && s.len <= len && s.ptr - b <= (ptrdiff_t)(len - s.len);
}

/* The first delimiter of p[0, n) found the way a caller pages a long body: windows of w
 * bytes overlapping by boundary + 3 bytes. */
static int find_windowed(const char *p, size_t n, cn_slice_t b, size_t *at)
{
    size_t w = 2 * (b.len + 4), pos = 0, x;

    for (;;) {
        size_t len = n - pos < w ? n - pos : w;
        if (gw_form_find_delim(p + pos, len, b, &x)) {
            *at = pos + x;
            return 1;
        }
        if (pos + len == n)
            return 0;
        pos += len - (b.len + 3);
    }
}

static void check_delim(const char *p, size_t n, cn_slice_t b)
{
    size_t at = 0, at2 = 0;
    int found = gw_form_find_delim(p, n, b, &at);

    FUZZ_CHECK(found == find_windowed(p, n, b, &at2));
    if (found) {
        FUZZ_CHECK(at == at2);
        FUZZ_CHECK(at + 4 + b.len <= n);
        FUZZ_CHECK(memcmp(p + at, "\r\n--", 4) == 0 && memcmp(p + at + 4, b.ptr, b.len) == 0);
    }
}

static void check_form(const gw_form_t *f, const char *body, size_t len)
{
    FUZZ_CHECK(f->nfields <= GW_FORM_FIELDS_MAX);
    FUZZ_CHECK(f->file_at <= len && f->file_at <= GW_FORM_PRE_MAX);
    FUZZ_CHECK(f->_esc_len <= GW_FORM_ESC_MAX);
    FUZZ_CHECK(inside(f->filename, body, len) || inside(f->filename, f->_esc, f->_esc_len) ||
          (f->filename.ptr != NULL && f->filename.len == 0));
    FUZZ_CHECK(f->file_type.ptr == NULL || inside(f->file_type, body, len));
    for (size_t i = 0; i < f->nfields; i++) {
        const gw_post_field_t *x = &f->fields[i];
        char name[GW_FORM_PRE_MAX + 1];
        cn_slice_t v;
        FUZZ_CHECK(x->name.len > 0);
        FUZZ_CHECK(inside(x->name, body, len) || inside(x->name, f->_esc, f->_esc_len));
        FUZZ_CHECK(inside(x->value, body, len) || x->value.len == 0);
        FUZZ_CHECK(x->value.ptr + x->value.len <= body + f->file_at);
        for (size_t j = 0; j < i; j++)
            FUZZ_CHECK(f->fields[j].name.len != x->name.len ||
                  strncasecmp(f->fields[j].name.ptr, x->name.ptr, x->name.len) != 0);
        if (memchr(x->name.ptr, '\0', x->name.len) != NULL)
            continue; /* gw_form_get takes a C string */
        memcpy(name, x->name.ptr, x->name.len);
        name[x->name.len] = '\0';
        v = gw_form_get(f, name);
        FUZZ_CHECK(v.ptr == x->value.ptr && v.len == x->value.len);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static gw_form_t f1, f2;
    const char *body, *msg1, *msg2;
    cn_slice_t b;
    size_t len;
    gw_s3_err_t e1, e2;

    if (size < 1)
        return 0;
    body = (const char *)data + 1;
    len = size - 1;
    b = cn_slice_str(fixed[0]);
    if (data[0] < 3) {
        b = cn_slice_str(fixed[data[0]]);
    } else {
        const char *nl = memchr(body, '\n', len);
        size_t ct_len = nl != NULL ? (size_t)(nl - body) : len;
        cn_slice_t got;
        if (gw_form_boundary(cn_slice(body, ct_len), &got) == 0) {
            FUZZ_CHECK(got.len >= 1 && got.len <= GW_FORM_BOUNDARY_MAX);
            FUZZ_CHECK(inside(got, body, ct_len));
            b = got;
        }
        if (nl != NULL) {
            len -= ct_len + 1;
            body = nl + 1;
        }
    }
    check_delim(body, len, b);
    e1 = gw_form_parse(body, len, b, &f1, &msg1);
    e2 = gw_form_parse(body, len, b, &f2, &msg2);
    FUZZ_CHECK(e1 == e2 && msg1 == msg2);
    switch (e1) {
    case GW_S3_OK:
        FUZZ_CHECK(msg1 == NULL);
        FUZZ_CHECK(f1.nfields == f2.nfields && f1.file_at == f2.file_at);
        check_form(&f1, body, len);
        break;
    case GW_S3_MALFORMED_POST_REQUEST:
        FUZZ_CHECK(msg1 != NULL && msg1[0] != '\0');
        break;
    case GW_S3_MAX_POST_PRE_DATA:
    case GW_S3_INCORRECT_NUMBER_OF_FILES:
        break;
    default:
        FUZZ_CHECK(!"unexpected result");
    }
    return 0;
}
