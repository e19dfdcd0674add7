/* tests/unit/gateway/test_post_form.c: tests gateway/s3/post_form.c (the multipart/form-data
 * body of a browser POST upload: the boundary of the Content-Type, the fields before the
 * file, where the file starts and ends), as tables. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "common/err.h"
#include "gateway/s3/post_form.h"

#define B "----WebKitFormBoundary7MA4YWxkTrZu0gW"
#define D "--" B "\r\n"
#define CD(name) "Content-Disposition: form-data; name=\"" name "\"\r\n"
#define FIELD(name, value) D CD(name) "\r\n" value "\r\n"
#define FILE_HDR D "Content-Disposition: form-data; name=\"file\"; filename=\"a.txt\"\r\n" \
                   "Content-Type: text/plain\r\n\r\n"
#define END "\r\n--" B "--\r\n"
#define NEAR "\x00\xff\r\n------WebKitFormBoundary7MA4YWxkTrZu0gX\r\n--\r\n" /* B but one byte */

static const struct form_case {
    const char *name;
    const char *body;
    size_t len; /* 0: strlen(body) */
    gw_s3_err_t e;
    const char *fields; /* "name=value;..." in order */
    const char *filename, *file_type, *content; /* NULL file_type: absent */
    size_t content_len;                         /* 0: strlen(content) */
} form_cases[] = {
    {"browser form", FIELD("key", "user/${filename}") FIELD("acl", "public-read")
     FILE_HDR "hello" END, 0, GW_S3_OK, "key=user/${filename};acl=public-read;", "a.txt",
     "text/plain", "hello"},
    {"file first", FILE_HDR "hello" "\r\n" FIELD("key", "k") "--" B "--", 0, GW_S3_OK, "",
     "a.txt", "text/plain", "hello"},
    {"fields after the file are ignored (even a broken one)",
     FIELD("key", "k") FILE_HDR "x" "\r\n" D "garbage\n\n", 0, GW_S3_OK, "key=k;", "a.txt",
     "text/plain", "x"},
    {"preamble and transport padding", "This is a preamble.\r\n--" B " \t\r\n" CD("key")
     "\r\nk\r\n--" B "\t\r\n" CD("file") "\r\nz" END, 0, GW_S3_OK, "key=k;", "", NULL, "z"},
    {"file without filename or type", FIELD("key", "k") D CD("File") "\r\n" "data" END, 0,
     GW_S3_OK, "key=k;", "", NULL, "data"},
    {"empty file", FIELD("key", "k") FILE_HDR END, 0, GW_S3_OK, "key=k;", "a.txt", "text/plain",
     ""},
    {"empty and multi-line values", FIELD("a", "") FIELD("b", "line1\r\nline2\r\n--notB")
     FILE_HDR "f" END, 0, GW_S3_OK, "a=;b=line1\r\nline2\r\n--notB;", "a.txt", "text/plain",
     "f"},
    {"header names and type case-insensitive, extra headers ignored",
     D "CONTENT-DISPOSITION: Form-Data; NAME=\"key\"\r\ncontent-type: text/x\r\nX-Other: 1\r\n"
     "\r\nk\r\n" D "content-disposition:form-data;name=file;filename=b.bin\r\n"
     "Content-Type:  application/octet-stream  \r\n\r\nzz" END, 0, GW_S3_OK, "key=k;", "b.bin",
     "application/octet-stream", "zz"},
    {"quoted names with escapes", D "Content-Disposition: form-data; name=\"x-amz-meta-\\\"q\\\\\"\r\n"
     "\r\nv\r\n" D "Content-Disposition: form-data; name=\"file\"; filename=\"a \\\"b\\\".txt\"\r\n"
     "\r\nf" END, 0, GW_S3_OK, "x-amz-meta-\"q\\=v;", "a \"b\".txt", NULL, "f"},
    {"other parameters ignored", D "Content-Disposition: form-data; foo=bar; name=\"key\"; "
     "filename*=UTF-8''x\r\n\r\nk\r\n" FILE_HDR "f" END, 0, GW_S3_OK, "key=k;", "a.txt",
     "text/plain", "f"},
    {"binary file with a near-boundary sequence", FIELD("key", "k") FILE_HDR NEAR END,
     sizeof(FIELD("key", "k") FILE_HDR NEAR END) - 1, GW_S3_OK, "key=k;", "a.txt", "text/plain",
     NEAR, sizeof(NEAR) - 1},
    /* refusals */
    {"no file part", FIELD("key", "k") "--" B "--\r\n", 0, GW_S3_INCORRECT_NUMBER_OF_FILES},
    {"no part at all", "--" B "--", 0, GW_S3_INCORRECT_NUMBER_OF_FILES},
    {"no boundary in the body", "hello", 0, GW_S3_MALFORMED_POST_REQUEST},
    {"empty body", "", 0, GW_S3_MALFORMED_POST_REQUEST},
    {"body ends inside a field", FIELD("key", "k") D CD("acl") "\r\npubl", 0,
     GW_S3_MALFORMED_POST_REQUEST},
    {"body ends inside headers", FIELD("key", "k") D CD("file"), 0,
     GW_S3_MALFORMED_POST_REQUEST},
    {"body ends after a boundary", FIELD("key", "k") "--" B, 0, GW_S3_MALFORMED_POST_REQUEST},
    {"duplicate field", FIELD("key", "a") FIELD("KEY", "b") FILE_HDR "f" END, 0,
     GW_S3_MALFORMED_POST_REQUEST},
    {"part without a name", D "Content-Disposition: form-data\r\n\r\nv\r\n" FILE_HDR "f" END, 0,
     GW_S3_MALFORMED_POST_REQUEST},
    {"part with an empty name", FIELD("", "v") FILE_HDR "f" END, 0,
     GW_S3_MALFORMED_POST_REQUEST},
    {"part without Content-Disposition", D "Content-Type: text/plain\r\n\r\nv\r\n" FILE_HDR
     "f" END, 0, GW_S3_MALFORMED_POST_REQUEST},
    {"part without headers", D "\r\nv\r\n" FILE_HDR "f" END, 0, GW_S3_MALFORMED_POST_REQUEST},
    {"disposition not form-data", D "Content-Disposition: attachment; name=\"k\"\r\n\r\nv\r\n"
     FILE_HDR "f" END, 0, GW_S3_MALFORMED_POST_REQUEST},
    {"repeated name parameter", D "Content-Disposition: form-data; name=\"a\"; name=\"b\"\r\n"
     "\r\nv\r\n" FILE_HDR "f" END, 0, GW_S3_MALFORMED_POST_REQUEST},
    {"repeated Content-Disposition", D CD("a") CD("b") "\r\nv\r\n" FILE_HDR "f" END, 0,
     GW_S3_MALFORMED_POST_REQUEST},
    {"unterminated quote", D "Content-Disposition: form-data; name=\"key\r\n\r\nv\r\n"
     FILE_HDR "f" END, 0, GW_S3_MALFORMED_POST_REQUEST},
    {"header line with LF only", "--" B "\r\nContent-Disposition: form-data; name=\"key\"\n"
     "\r\nk\r\n" FILE_HDR "f" END, 0, GW_S3_MALFORMED_POST_REQUEST},
    {"blank line with LF only", "--" B "\r\n" CD("key") "\nk\r\n" FILE_HDR "f" END, 0,
     GW_S3_MALFORMED_POST_REQUEST},
    {"boundary line with LF only", "--" B "\n" CD("key") "\r\nk\r\n" FILE_HDR "f" END, 0,
     GW_S3_MALFORMED_POST_REQUEST},
    {"folded header line", D "Content-Disposition: form-data;\r\n name=\"key\"\r\n\r\nk\r\n"
     FILE_HDR "f" END, 0, GW_S3_MALFORMED_POST_REQUEST},
    {"bare CR in a header", D "Content-Disposition: form-data; name=\"key\"\rX: y\r\n\r\nk\r\n"
     FILE_HDR "f" END, 0, GW_S3_MALFORMED_POST_REQUEST},
    {"header without colon", D CD("key") "Garbage\r\n\r\nk\r\n" FILE_HDR "f" END, 0,
     GW_S3_MALFORMED_POST_REQUEST},
    {"boundary followed by other bytes", FIELD("key", "k") "--" B "x\r\n" CD("file") "\r\nf"
     END, 0, GW_S3_MALFORMED_POST_REQUEST},
    {"NUL escaped in a quoted name", D "Content-Disposition: form-data; name=\"a\\\0\"\r\n\r\n"
     "v\r\n" FILE_HDR "f" END, sizeof(D "Content-Disposition: form-data; name=\"a\\\0\"\r\n\r\n"
     "v\r\n" FILE_HDR "f" END) - 1, GW_S3_MALFORMED_POST_REQUEST},
};

/* The fields of f as "name=value;...". */
static void fields_str(const gw_form_t *f, char *out, size_t n)
{
    size_t at = 0;

    out[0] = '\0';
    for (size_t i = 0; i < f->nfields; i++)
        at += (size_t)snprintf(out + at, n - at, "%.*s=%.*s;", (int)f->fields[i].name.len,
                               f->fields[i].name.ptr, (int)f->fields[i].value.len,
                               f->fields[i].value.ptr);
}

Test(post_form, parse_table)
{
    static gw_form_t f;
    const cn_slice_t b = CN_SLICE(B);

    for (size_t i = 0; i < sizeof(form_cases) / sizeof(form_cases[0]); i++) {
        const struct form_case *c = &form_cases[i];
        size_t len = c->len ? c->len : strlen(c->body), end, clen;
        const char *msg = "unset";
        char got[1024];
        gw_s3_err_t e = gw_form_parse(c->body, len, b, &f, &msg);

        cr_assert_eq(e, c->e, "%s: got %d (%s)", c->name, e, msg ? msg : "-");
        if (e != GW_S3_OK) {
            if (e == GW_S3_MALFORMED_POST_REQUEST)
                cr_assert_not_null(msg, "%s", c->name);
            continue;
        }
        cr_assert_null(msg, "%s", c->name);
        fields_str(&f, got, sizeof(got));
        cr_assert_str_eq(got, c->fields, "%s", c->name);
        cr_assert_eq(f.filename.len, strlen(c->filename), "%s", c->name);
        cr_assert_arr_eq(f.filename.ptr, c->filename, f.filename.len, "%s", c->name);
        if (c->file_type == NULL) {
            cr_assert_null(f.file_type.ptr, "%s", c->name);
        } else {
            cr_assert_eq(f.file_type.len, strlen(c->file_type), "%s", c->name);
            cr_assert_arr_eq(f.file_type.ptr, c->file_type, f.file_type.len, "%s", c->name);
        }
        /* the file runs from file_at to the next delimiter */
        cr_assert_leq(f.file_at, len, "%s", c->name);
        cr_assert(gw_form_find_delim(c->body + f.file_at, len - f.file_at, b, &end), "%s",
                  c->name);
        clen = c->content_len ? c->content_len : strlen(c->content);
        cr_assert_eq(end, clen, "%s: file %zu bytes", c->name, end);
        cr_assert_arr_eq(c->body + f.file_at, c->content, clen, "%s", c->name);
    }
}

Test(post_form, get_is_case_insensitive)
{
    static const char body[] = FIELD("Key", "k1") FIELD("x-amz-meta-A", "v") FILE_HDR "f" END;
    static gw_form_t f;
    const char *msg;
    cn_slice_t v;

    cr_assert_eq(gw_form_parse(body, sizeof(body) - 1, CN_SLICE(B), &f, &msg), GW_S3_OK);
    v = gw_form_get(&f, "key");
    cr_assert_eq(v.len, 2);
    cr_assert_arr_eq(v.ptr, "k1", 2);
    v = gw_form_get(&f, "X-AMZ-META-a");
    cr_assert_eq(v.len, 1);
    cr_assert_null(gw_form_get(&f, "acl").ptr);
    cr_assert_null(gw_form_get(&f, "file").ptr);
}

/* A form whose fields fill up to `pad` bytes before the file part. */
static size_t padded_form(char *out, size_t cap, size_t pad)
{
    size_t n = (size_t)snprintf(out, cap, D CD("x-ignore-pad") "\r\n");
    size_t tail = sizeof("\r\n" FILE_HDR) - 1;

    cr_assert_geq(pad, n + tail);
    memset(out + n, 'p', pad - n - tail);
    n = pad - tail;
    n += (size_t)snprintf(out + n, cap - n, "\r\n" FILE_HDR "file-bytes" END);
    return n;
}

Test(post_form, pre_data_limit)
{
    static char body[GW_FORM_PRE_MAX + 4096];
    static gw_form_t f;
    const char *msg;
    size_t n;

    /* the file's content starts exactly at GW_FORM_PRE_MAX: accepted */
    n = padded_form(body, sizeof(body), GW_FORM_PRE_MAX);
    cr_assert_eq(gw_form_parse(body, n, CN_SLICE(B), &f, &msg), GW_S3_OK);
    cr_assert_eq(f.file_at, GW_FORM_PRE_MAX);
    /* one byte later: refused, however long the body is */
    n = padded_form(body, sizeof(body), GW_FORM_PRE_MAX + 1);
    cr_assert_eq(gw_form_parse(body, n, CN_SLICE(B), &f, &msg), GW_S3_MAX_POST_PRE_DATA);
    /* a preamble alone past the limit */
    memset(body, 'x', sizeof(body));
    cr_assert_eq(gw_form_parse(body, sizeof(body), CN_SLICE(B), &f, &msg),
                 GW_S3_MAX_POST_PRE_DATA);
    /* an over-long field value truncated by the end of the body is framing, not size */
    n = padded_form(body, sizeof(body), GW_FORM_PRE_MAX - 100);
    cr_assert_eq(gw_form_parse(body, 200, CN_SLICE(B), &f, &msg), GW_S3_MALFORMED_POST_REQUEST);
}

Test(post_form, field_count_limit)
{
    static char body[GW_FORM_PRE_MAX];
    static gw_form_t f;
    const char *msg;

    for (int extra = 0; extra < 2; extra++) {
        size_t n = 0;
        for (int i = 0; i < GW_FORM_FIELDS_MAX + extra; i++)
            n += (size_t)snprintf(body + n, sizeof(body) - n, D CD("x-amz-meta-%d") "\r\nv\r\n",
                                  i);
        n += (size_t)snprintf(body + n, sizeof(body) - n, FILE_HDR "f" END);
        cr_assert_eq(gw_form_parse(body, n, CN_SLICE(B), &f, &msg),
                     extra ? GW_S3_MAX_POST_PRE_DATA : GW_S3_OK);
        if (!extra)
            cr_assert_eq(f.nfields, GW_FORM_FIELDS_MAX);
    }
}

Test(post_form, escape_scratch_limit)
{
    static char body[8192];
    static gw_form_t f;
    const char *msg;
    size_t n = (size_t)snprintf(body, sizeof(body), "--" B "\r\n"
                                "Content-Disposition: form-data; name=\"\\a");

    memset(body + n, 'a', GW_FORM_ESC_MAX);
    n += GW_FORM_ESC_MAX;
    n += (size_t)snprintf(body + n, sizeof(body) - n, "\"\r\n\r\nv\r\n" FILE_HDR "f" END);
    cr_assert_eq(gw_form_parse(body, n, CN_SLICE(B), &f, &msg), GW_S3_MALFORMED_POST_REQUEST);
}

Test(post_form, find_delim)
{
    static const char p[] = "abc\r\n--" B "\r\n";
    size_t at = 99;

    cr_assert(gw_form_find_delim(p, sizeof(p) - 1, CN_SLICE(B), &at));
    cr_assert_eq(at, 3);
    cr_assert_not(gw_form_find_delim(p, 3 + 4 + sizeof(B) - 2, CN_SLICE(B), &at));
    cr_assert_not(gw_form_find_delim(p, sizeof(p) - 1, CN_SLICE(""), &at));
    cr_assert_not(gw_form_find_delim("\r\n--", 4, CN_SLICE(B), &at));
}

static const struct boundary_case {
    const char *ct;
    const char *boundary; /* NULL: CN_EINVAL */
} boundary_cases[] = {
    {"multipart/form-data; boundary=" B, B},
    {"multipart/form-data; boundary=\"" B "\"", B},
    {"Multipart/Form-Data;BOUNDARY=abc", "abc"},
    {"multipart/form-data; charset=utf-8; boundary=x", "x"},
    {"multipart/form-data ; boundary = x ; charset=utf-8 ", "x"},
    {"multipart/form-data; boundary=\"with space\"", "with space"},
    {"multipart/form-data; boundary=\"a:b=c?\"", "a:b=c?"},
    {"multipart/form-data; boundary=\"a;b\"", NULL},
    {"multipart/form-data; boundary=\"" B B B "\"", NULL}, /* 111 bytes */
    {"multipart/form-data; boundary=\"1234567890123456789012345678901234567890123456789012345"
     "678901234567890\"", "1234567890123456789012345678901234567890123456789012345678901234567890"},
    {"multipart/form-data; boundary=\"1234567890123456789012345678901234567890123456789012345"
     "6789012345678901\"", NULL},
    {"multipart/form-data; boundary=\"trailing \"", NULL},
    {"multipart/form-data; boundary=\"\"", NULL},
    {"multipart/form-data; boundary=", NULL},
    {"multipart/form-data; boundary=\"a\\\"b\"", NULL},
    {"multipart/form-data; boundary=\"unterminated", NULL},
    {"multipart/form-data; boundary=a; boundary=b", NULL},
    {"multipart/form-data", NULL},
    {"multipart/form-dataX; boundary=a", NULL},
    {"multipart/mixed; boundary=a", NULL},
    {"application/x-www-form-urlencoded", NULL},
    {"multipart/form-data; boundary=a b", NULL},
    {"multipart/form-data; boundary=\"a\xff\"", NULL},
    {"", NULL},
};

Test(post_form, boundary_table)
{
    for (size_t i = 0; i < sizeof(boundary_cases) / sizeof(boundary_cases[0]); i++) {
        const struct boundary_case *c = &boundary_cases[i];
        cn_slice_t b = {NULL, 0};
        int rc = gw_form_boundary(cn_slice_str(c->ct), &b);

        if (c->boundary == NULL) {
            cr_assert_eq(rc, CN_EINVAL, "%s", c->ct);
            continue;
        }
        cr_assert_eq(rc, 0, "%s", c->ct);
        cr_assert_eq(b.len, strlen(c->boundary), "%s", c->ct);
        cr_assert_arr_eq(b.ptr, c->boundary, b.len, "%s", c->ct);
        cr_assert(b.ptr >= c->ct && b.ptr + b.len <= c->ct + strlen(c->ct), "%s", c->ct);
    }
}
