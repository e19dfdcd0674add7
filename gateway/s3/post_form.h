/*
 * gateway/s3/post_form.h: the multipart/form-data body of a browser POST upload (POST
 * Object), parsed in place: the fields before the `file` part, and where the file's bytes
 * begin. S3 reads fields up to `file` and ignores what comes after it; the file's end is the
 * next delimiter ("\r\n--" boundary), which the caller finds with gw_form_find_delim in
 * windows, so a 1 GiB body mapped from a temp file need not become resident at once
 * (gateway/http/body_pager.h). Pure: no I/O, no allocation; slices point into the body.
 */
#ifndef CAIRN_GATEWAY_POST_FORM_H
#define CAIRN_GATEWAY_POST_FORM_H

#include <stddef.h>

#include "common/buf.h"
#include "gateway/auth/post_policy.h"
#include "gateway/s3/s3_error.h"

#define GW_FORM_FIELDS_MAX 64          /* fields before the file */
#define GW_FORM_PRE_MAX (20u * 1024)   /* bytes before the file's content (S3: 20 KB) */
#define GW_FORM_BOUNDARY_MAX 70        /* RFC 2046 */
#define GW_FORM_ESC_MAX 1024           /* bytes of quoted names with backslash escapes */

/** The parse of a form. Slices point into the body, except a name= or filename= that was
 *  quoted with backslash escapes (RFC 2045 quoted-pair: `\"` is `"`), which is unescaped into
 *  _esc: such a struct must not be copied by value, and lives as long as the body does. */
typedef struct gw_form {
    gw_post_field_t fields[GW_FORM_FIELDS_MAX]; /* in order, names as sent, values raw */
    size_t nfields;
    cn_slice_t filename;   /* the file part's filename= ("" when it has none) */
    cn_slice_t file_type;  /* the file part's own Content-Type; ptr NULL when absent */
    size_t file_at;        /* offset of the file's first byte in the body */
    char _esc[GW_FORM_ESC_MAX]; /* unescaped quoted names; past it: MalformedPOSTRequest */
    size_t _esc_len;
} gw_form_t;

/** The boundary of a Content-Type "multipart/form-data; boundary=..." (type and parameter
 *  names case-insensitive, the value quoted or not, 1..GW_FORM_BOUNDARY_MAX bytes). 0 with
 *  *boundary pointing into content_type, or CN_EINVAL. */
int gw_form_boundary(cn_slice_t content_type, cn_slice_t *boundary);

/** Parses body[0, len) up to the file part's content. Each part has a Content-Disposition
 *  "form-data; name=\"...\"" (and filename= for the file), optional other headers, a blank
 *  line, then its value up to "\r\n--" boundary. Errors, with *msg a static text (NULL: the
 *  table's):
 *    MalformedPOSTRequest           not multipart framing, a part without a name, a header
 *                                   line without CRLF, a duplicate field name (names compare
 *                                   case-insensitively)
 *    MaxPostPreDataLengthExceededError  the file's content starts past GW_FORM_PRE_MAX, or
 *                                   more than GW_FORM_FIELDS_MAX fields
 *    IncorrectNumberOfFilesInPostRequest  the body ends with no part named "file"
 *  The file is the part named "file" (case-insensitive), filename= or not. A preamble before
 *  the first delimiter and blanks after a boundary (transport padding) are allowed; a folded
 *  or bare-LF header line, a header name with blanks, a repeated Content-Disposition, name=
 *  or filename= and an unterminated quote are MalformedPOSTRequest; a Content-Type on a field
 *  part and unknown headers or parameters are ignored. */
gw_s3_err_t gw_form_parse(const char *body, size_t len, cn_slice_t boundary, gw_form_t *out,
                          const char **msg);

/** Finds the first "\r\n--" boundary in p[0, n). 1 with *at its offset, 0 when none. The
 *  caller scanning a long body in windows overlaps them by boundary.len + 3 bytes. */
int gw_form_find_delim(const char *p, size_t n, cn_slice_t boundary, size_t *at);

/** The value of field name (case-insensitive) of f, or a slice with ptr NULL. */
cn_slice_t gw_form_get(const gw_form_t *f, const char *name);

#endif
