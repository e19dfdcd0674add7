/*
 * gateway/s3/s3_xml.h: a tiny XML writer on cn_buf_t for S3 response bodies, and the S3 time
 * formats (ISO 8601 in XML bodies, RFC 1123 in HTTP headers) with their parsers. Pure
 * functions: no I/O, no allocation beyond growing the caller's buffer, thread-safe.
 */
#ifndef CAIRN_GATEWAY_S3_XML_H
#define CAIRN_GATEWAY_S3_XML_H

#include <stddef.h>
#include <stdint.h>
#include "common/buf.h"

#define GW_S3_XMLNS "http://s3.amazonaws.com/doc/2006-03-01/"

/** Appends <?xml version="1.0" encoding="UTF-8"?> and a newline. */
void gw_xml_decl(cn_buf_t *b);
/** Appends <tag>. tag is trusted (a literal), never escaped. */
void gw_xml_open(cn_buf_t *b, const char *tag);
/** Appends <tag xmlns="ns"> (ns escaped), for root elements such as ListBucketResult. */
void gw_xml_open_ns(cn_buf_t *b, const char *tag, const char *ns);
/** Appends </tag>. */
void gw_xml_close(cn_buf_t *b, const char *tag);
/** Appends <tag>escaped value</tag>; value need not be NUL-terminated. */
void gw_xml_text_elem(cn_buf_t *b, const char *tag, const char *value, size_t len);
/** gw_xml_text_elem with a C string (NULL is written as an empty element). */
void gw_xml_str_elem(cn_buf_t *b, const char *tag, const char *value);
/** Appends <tag>decimal</tag>. */
void gw_xml_u64_elem(cn_buf_t *b, const char *tag, uint64_t value);
/** Appends <tag>true|false</tag>. */
void gw_xml_bool_elem(cn_buf_t *b, const char *tag, int value);
/** A key or prefix of a listing: URL-encoded when url (encoding-type=url, '/' kept). */
void gw_xml_key_elem(cn_buf_t *b, int url, const char *tag, const char *s, size_t n);
/** Appends s XML-escaped: & < > " ' become entities; TAB, LF and CR become character
 *  references (&#9; &#10; &#13;) so that they survive attribute/line-end normalisation; the
 *  other C0 controls, which XML 1.0 cannot carry at all (0x00-0x08, 0x0B, 0x0C, 0x0E-0x1F),
 *  are replaced by U+FFFD. Clients that need such keys exactly must ask for
 *  encoding-type=url. Other bytes (UTF-8) are copied as they are. */
void gw_xml_escape(cn_buf_t *b, const char *s, size_t n);

/** Length of an S3 ISO 8601 time including its NUL: "2026-05-01T10:00:00.000Z". */
#define GW_S3_TIME_LEN 25
/** Length of an RFC 1123 date including its NUL: "Fri, 01 May 2026 10:00:00 GMT". */
#define GW_HTTP_DATE_LEN 30

/** Formats ms since the epoch as "2026-05-01T10:00:00.000Z" (UTC) into out. */
void gw_s3_time_fmt(uint64_t ms, char out[GW_S3_TIME_LEN]);
/** Formats ms since the epoch as "Fri, 01 May 2026 10:00:00 GMT" into out. */
void gw_http_date_fmt(uint64_t ms, char out[GW_HTTP_DATE_LEN]);
/** Parses an HTTP date (RFC 1123 "Tue, 27 Mar 2007 19:36:42 GMT" or with "+0000"/"-0700"
 *  zones, RFC 850 "Tuesday, 27-Mar-07 19:36:42 GMT" and asctime "Tue Mar 27 19:36:42 2007")
 *  into ms since the epoch. Returns 0 or CN_EINVAL. */
int gw_http_date_parse(const char *s, size_t n, uint64_t *ms);
/** Parses the SigV4 basic ISO 8601 form "20130524T000000Z" (exactly 16 bytes) or the S3
 *  extended form "2013-05-24T00:00:00[.fff]Z". Returns 0 or CN_EINVAL. */
int gw_iso8601_parse(const char *s, size_t n, uint64_t *ms);
/** Formats ms since the epoch as the SigV4 basic form "20130524T000000Z" (17 bytes). */
void gw_amz_date_fmt(uint64_t ms, char out[17]);

#endif
