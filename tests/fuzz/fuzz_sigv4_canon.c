/*
 * tests/fuzz/fuzz_sigv4_canon.c: libFuzzer target for the SigV4 canonical request and string
 * to sign on their own (gw_auth_v4_canonical_request, gw_auth_v4_string_to_sign in
 * gateway/auth/s3_auth.h), over a request shaped as an HTTP/1.1 head (see fuzz.h). The signed
 * header list is the client's (SignedHeaders= of an Authorization header, else
 * X-Amz-SignedHeaders= of the query, as gw_auth_verify takes it) or, when the request has
 * neither, every header name of the request lower-cased, sorted and unique (what SDKs sign).
 * The last input byte holds flags (a byte after the head's blank line, or the LF that ends
 * it, which sets none): 0x10 presigned, 0x20 the query as sent (curl 7.x retry).
 * Checks, besides ASan/UBSan: the result code (CN_EINVAL for a list the verifier refuses,
 * CN_E2BIG past 1024 query parameters, else 0); the exact structure
 * METHOD LF URI LF QUERY LF "name:value" LF per signed name LF SIGNED LF HASH; the URI keeps
 * every '/' of the path and is made of unreserved bytes, '/' and upper-case %XX; the query is
 * name=value pairs of that alphabet sorted by name then value; each header line equals the
 * one this file builds independently (lower-cased name, values trimmed, blank runs made one
 * space, repeats joined with ',' in arrival order); a list built here comes out lower-case,
 * sorted and unique; building twice gives the same bytes; a copy of the request with headers
 * and query parameters shuffled (headers of one name keep their order) gives the same bytes;
 * the canonical URI and query are fixed points; the string to sign is
 * "AWS4-HMAC-SHA256" LF date LF scope LF hex SHA-256 (by OpenSSL) of the canonical request.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "common/buf.h"
#include "common/err.h"
#include "gateway/auth/s3_auth.h"
#include "gateway/auth/s3_auth_v4_canon.h"
#include "tests/fuzz/fuzz_auth.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define EMPTY_SHA "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
#define SCOPE "20130524/us-east-1/s3/aws4_request"

#define CHECK(cond)                                                                         \
    do {                                                                                    \
        if (!(cond)) {                                                                      \
            fprintf(stderr, "fuzz_sigv4_canon: check failed at line %d: %s\n", __LINE__,    \
                    #cond);                                                                 \
            abort();                                                                        \
        }                                                                                   \
    } while (0)

static char lower(char c)
{
    return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

static int ieq(const char *a, size_t an, const char *b, size_t bn)
{
    if (an != bn)
        return 0;
    for (size_t i = 0; i < an; i++)
        if (lower(a[i]) != lower(b[i]))
            return 0;
    return 1;
}

static int bcmp_len(const char *a, size_t an, const char *b, size_t bn)
{
    int c = memcmp(a, b, an < bn ? an : bn);
    return c ? c : (an < bn ? -1 : an > bn);
}

static int is_hex_upper(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'F');
}

static int is_unreserved(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           c == '-' || c == '_' || c == '.' || c == '~';
}

/* 1 when [p, p+n) is unreserved bytes, upper-case %XX escapes and (when slash) '/'. */
static int encoded_ok(const char *p, size_t n, int slash)
{
    for (size_t i = 0; i < n; i++) {
        if (is_unreserved(p[i]) || (slash && p[i] == '/'))
            continue;
        if (p[i] != '%' || i + 2 >= n || !is_hex_upper(p[i + 1]) || !is_hex_upper(p[i + 2]))
            return 0;
        i += 2;
    }
    return 1;
}

/* A header name the verifier accepts in a signed list. */
static int token_ok(const char *p, size_t n)
{
    if (n == 0)
        return 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)p[i];
        if (c <= ' ' || c >= 0x7f || c == ':' || c == ',' || c == ';')
            return 0;
    }
    return 1;
}

static int list_ok(const char *p, size_t n)
{
    size_t start = 0;

    if (n == 0)
        return 0;
    for (size_t i = 0; i <= n; i++) {
        if (i < n && p[i] != ';')
            continue;
        if (!token_ok(p + start, i - start))
            return 0;
        start = i + 1;
    }
    return 1;
}

static int is_blank(char c)
{
    return c == ' ' || c == '\t';
}

/* The reference "name:value" line of one signed name. */
static void ref_header_line(cn_buf_t *out, const gw_auth_header_t *h, size_t nh,
                            const char *name, size_t nlen)
{
    int first = 1;

    for (size_t i = 0; i < nlen; i++) {
        char c = lower(name[i]);
        cn_buf_append(out, &c, 1);
    }
    cn_buf_append(out, ":", 1);
    for (size_t k = 0; k < nh; k++) {
        const char *v = h[k].value, *e = h[k].value + h[k].value_len;
        if (!ieq(h[k].name, h[k].name_len, name, nlen))
            continue;
        if (!first)
            cn_buf_append(out, ",", 1);
        first = 0;
        while (v < e && is_blank(*v))
            v++;
        while (e > v && is_blank(e[-1]))
            e--;
        for (; v < e; v++) {
            if (is_blank(*v)) {
                if (!is_blank(v[-1]))
                    cn_buf_append(out, " ", 1);
                continue;
            }
            cn_buf_append(out, v, 1);
        }
    }
}

/* The signed header list the client gave: SignedHeaders= of the first Authorization header,
 * else X-Amz-SignedHeaders= of the query (raw; the verifier decodes it, we leave that to
 * fuzz_s3_auth). found = 0 when there is none. */
static cn_slice_t client_list(const fuzz_req_t *fr, int *found)
{
    static const char k1[] = "SignedHeaders=", k2[] = "X-Amz-SignedHeaders=";

    *found = 0;
    for (size_t i = 0; i < fr->nh; i++) {
        const fuzz_hdr_t *h = &fr->h[i];
        if (!fuzz_ieq(h->name, h->name_len, "authorization"))
            continue;
        for (size_t j = 0; j + sizeof(k1) - 1 <= h->value_len; j++) {
            if (memcmp(h->value + j, k1, sizeof(k1) - 1) != 0)
                continue;
            const char *s = h->value + j + sizeof(k1) - 1, *e = h->value + h->value_len;
            const char *comma = memchr(s, ',', (size_t)(e - s));
            *found = 1;
            return cn_slice(s, (size_t)((comma ? comma : e) - s));
        }
        break;
    }
    for (size_t j = 0; fr->has_query && j + sizeof(k2) - 1 <= fr->query_len; j++) {
        if ((j == 0 || fr->query[j - 1] == '&') &&
            memcmp(fr->query + j, k2, sizeof(k2) - 1) == 0) {
            const char *s = fr->query + j + sizeof(k2) - 1, *e = fr->query + fr->query_len;
            const char *amp = memchr(s, '&', (size_t)(e - s));
            *found = 1;
            return cn_slice(s, (size_t)((amp ? amp : e) - s));
        }
    }
    return cn_slice("", 0);
}

/* Every valid header name, lower-cased, sorted, unique, ';'-separated ("host" when none). */
static void sdk_list(cn_buf_t *out, const gw_auth_header_t *h, size_t nh)
{
    size_t idx[FUZZ_MAX_HEADERS], n = 0;

    for (size_t i = 0; i < nh; i++) {
        if (!token_ok(h[i].name, h[i].name_len))
            continue;
        size_t j = n++;
        /* insertion sort on the lower-cased name */
        while (j > 0) {
            const gw_auth_header_t *o = &h[idx[j - 1]];
            size_t m = o->name_len < h[i].name_len ? o->name_len : h[i].name_len, k;
            int c = 0;
            for (k = 0; k < m && c == 0; k++)
                c = (unsigned char)lower(o->name[k]) - (unsigned char)lower(h[i].name[k]);
            if (c < 0 || (c == 0 && o->name_len <= h[i].name_len))
                break;
            idx[j] = idx[j - 1];
            j--;
        }
        idx[j] = i;
    }
    for (size_t i = 0; i < n; i++) {
        const gw_auth_header_t *x = &h[idx[i]];
        if (i > 0 && ieq(h[idx[i - 1]].name, h[idx[i - 1]].name_len, x->name, x->name_len))
            continue;
        if (out->len)
            cn_buf_append(out, ";", 1);
        for (size_t k = 0; k < x->name_len; k++) {
            char c = lower(x->name[k]);
            cn_buf_append(out, &c, 1);
        }
    }
    if (out->len == 0)
        cn_buf_append(out, "host", 4);
}

static uint64_t rng_next(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* A shuffled copy of h into out where headers of one name keep their relative order. */
static void shuffle_headers(gw_auth_header_t *out, const gw_auth_header_t *h, size_t nh,
                            uint64_t *seed)
{
    size_t perm[FUZZ_MAX_HEADERS];
    int used[FUZZ_MAX_HEADERS] = {0};

    for (size_t i = 0; i < nh; i++)
        perm[i] = i;
    for (size_t i = nh; i > 1; i--) {
        size_t j = (size_t)(rng_next(seed) % i), t = perm[i - 1];
        perm[i - 1] = perm[j];
        perm[j] = t;
    }
    for (size_t j = 0; j < nh; j++) {
        const gw_auth_header_t *g = &h[perm[j]];
        for (size_t i = 0; i < nh; i++) {
            if (!used[i] && ieq(h[i].name, h[i].name_len, g->name, g->name_len)) {
                used[i] = 1;
                out[j] = h[i];
                break;
            }
        }
    }
}

/* The '&'-separated pieces of q shuffled (the same count of '&'), into out. */
static void shuffle_query(cn_buf_t *out, const char *q, size_t n, uint64_t *seed)
{
    cn_slice_t *piece;
    size_t np = 1, k = 0, start = 0;

    for (size_t i = 0; i < n; i++)
        np += q[i] == '&';
    piece = malloc(np * sizeof(*piece));
    CHECK(piece != NULL);
    for (size_t i = 0; i <= n; i++) {
        if (i < n && q[i] != '&')
            continue;
        piece[k++] = cn_slice(q + start, i - start);
        start = i + 1;
    }
    for (size_t i = np; i > 1; i--) {
        size_t j = (size_t)(rng_next(seed) % i);
        cn_slice_t t = piece[i - 1];
        piece[i - 1] = piece[j];
        piece[j] = t;
    }
    for (size_t i = 0; i < np; i++) {
        if (i)
            cn_buf_append(out, "&", 1);
        cn_buf_append(out, piece[i].ptr, piece[i].len);
    }
    free(piece);
}

/* The lines of a canonical request; at most max, the count in *n (past max: max + 1). */
static void split_lines(const cn_buf_t *b, cn_slice_t *line, size_t max, size_t *n)
{
    size_t start = 0;

    *n = 0;
    for (size_t i = 0; i <= b->len; i++) {
        if (i < b->len && b->data[i] != '\n')
            continue;
        if (*n < max)
            line[*n] = cn_slice(b->data + start, i - start);
        (*n)++;
        start = i + 1;
    }
    if (*n > max)
        *n = max + 1;
}

static void check_query_line(cn_slice_t q, const fuzz_req_t *fr, int presigned)
{
    size_t raw_pieces = 0, pairs = 0, start = 0;
    cn_slice_t pk = cn_slice("", 0), pv = cn_slice("", 0);

    for (size_t i = 0, s = 0; fr->has_query && i <= fr->query_len; i++) {
        if (i < fr->query_len && fr->query[i] != '&')
            continue;
        raw_pieces += i > s;
        s = i + 1;
    }
    if (q.len == 0) {
        CHECK(presigned || raw_pieces == 0);
        return;
    }
    for (size_t i = 0; i <= q.len; i++) {
        if (i < q.len && q.ptr[i] != '&')
            continue;
        const char *p = q.ptr + start, *eq = memchr(p, '=', i - start);
        CHECK(eq != NULL);
        cn_slice_t k = cn_slice(p, (size_t)(eq - p));
        cn_slice_t v = cn_slice(eq + 1, (size_t)(q.ptr + i - eq - 1));
        CHECK(encoded_ok(k.ptr, k.len, 0) && encoded_ok(v.ptr, v.len, 0));
        if (presigned)
            CHECK(!(k.len == 15 && memcmp(k.ptr, "X-Amz-Signature", 15) == 0));
        if (pairs > 0) {
            int c = bcmp_len(pk.ptr, pk.len, k.ptr, k.len);
            CHECK(c < 0 || (c == 0 && bcmp_len(pv.ptr, pv.len, v.ptr, v.len) <= 0));
        }
        pk = k;
        pv = v;
        pairs++;
        start = i + 1;
    }
    CHECK(presigned ? pairs <= raw_pieces : pairs == raw_pieces);
}

static void check_string_to_sign(const cn_buf_t *creq, const char *date)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    char want[256];
    cn_buf_t sts;
    int n;

    CHECK(EVP_Digest(creq->data, creq->len, md, &mdlen, EVP_sha256(), NULL) == 1);
    CHECK(mdlen == 32);
    n = snprintf(want, sizeof(want), "AWS4-HMAC-SHA256\n%s\n%s\n", date, SCOPE);
    for (size_t i = 0; i < 32; i++)
        n += snprintf(want + n, sizeof(want) - (size_t)n, "%02x", md[i]);
    cn_buf_init(&sts);
    gw_auth_v4_string_to_sign(&sts, date, SCOPE, creq->data, creq->len);
    CHECK(sts.len == (size_t)n && memcmp(sts.data, want, sts.len) == 0);
    cn_buf_dispose(&sts);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static fuzz_req_t fr;
    static gw_auth_header_t h[FUZZ_MAX_HEADERS], h2[FUZZ_MAX_HEADERS];
    gw_auth_req_t req, req2;
    cn_buf_t a, b, own_list, q2;
    cn_slice_t sh, ph, *line = NULL;
    size_t nlines, ns = 1, amps = 0;
    uint64_t seed = 0xcbf29ce484222325ull;
    int flags, presigned, raw, found, rc, want_rc;
    char date[17] = "20130524T000000Z";

    if (size == 0)
        return 0;
    flags = ((data[size - 1] & 0x10) ? GW_AUTH_CANON_PRESIGNED : 0) |
            ((data[size - 1] & 0x20) ? GW_AUTH_CANON_RAW_QUERY : 0);
    presigned = (flags & GW_AUTH_CANON_PRESIGNED) != 0;
    raw = (flags & GW_AUTH_CANON_RAW_QUERY) != 0;
    for (size_t i = 0; i < size; i++)
        seed = (seed ^ data[i]) * 0x100000001b3ull;
    fuzz_req_parse(data, size, &fr);
    fuzz_auth_req(&fr, h, &req);
    for (size_t i = 0; i < fr.nh; i++) {
        /* the value from right after the colon: fuzz.h drops the blanks in front, which
         * the builder must trim itself (h2o drops them too, a client might not) */
        h[i].value = fr.h[i].name + fr.h[i].name_len + 1;
        h[i].value_len = (size_t)(fr.h[i].value + fr.h[i].value_len - h[i].value);
    }

    cn_buf_init(&own_list);
    sh = client_list(&fr, &found);
    if (!found) {
        sdk_list(&own_list, h, fr.nh);
        sh = cn_slice(own_list.data, own_list.len);
    }
    ph = cn_slice(presigned ? "UNSIGNED-PAYLOAD" : EMPTY_SHA, presigned ? 16 : 64);
    for (size_t i = 0; i < fr.nh; i++) {
        if (fuzz_ieq(h[i].name, h[i].name_len, "x-amz-content-sha256")) {
            const char *v = h[i].value, *e = v + h[i].value_len;
            while (v < e && is_blank(*v))
                v++;
            while (e > v && is_blank(e[-1]))
                e--;
            ph = cn_slice(v, (size_t)(e - v));
            break;
        }
    }
    for (size_t i = 0; i < fr.nh; i++) {
        if (fuzz_ieq(h[i].name, h[i].name_len, "x-amz-date") && fr.h[i].value_len == 16 &&
            memchr(fr.h[i].value, '\0', 16) == NULL) {
            memcpy(date, fr.h[i].value, 16);
            break;
        }
    }

    for (size_t i = 0; i < sh.len; i++)
        ns += sh.ptr[i] == ';';
    for (size_t i = 0; fr.has_query && i < fr.query_len; i++)
        amps += fr.query[i] == '&';
    want_rc = !list_ok(sh.ptr, sh.len) ? CN_EINVAL
              : (fr.has_query && fr.query_len > 0 && amps + 1 > 1024) ? CN_E2BIG
                                                                       : 0;
    cn_buf_init(&a);
    rc = gw_auth_v4_canonical_request(&a, &req, sh.ptr, sh.len, ph.ptr, ph.len, flags);
    if (getenv("CAIRN_FUZZ_DEBUG"))
        fprintf(stderr, "fuzz_sigv4_canon: rc %d flags %d list %s\n%.*s\n--\n", rc, flags,
                found ? "client" : "own", (int)a.len, a.data ? a.data : "");
    CHECK(rc == want_rc);
    if (rc != 0) {
        CHECK(a.len == 0);
        goto out;
    }

    /* the structure, line by line */
    line = malloc((ns + 6) * sizeof(*line));
    CHECK(line != NULL);
    split_lines(&a, line, ns + 6, &nlines);
    CHECK(nlines == ns + 6);
    CHECK(cn_slice_eq(line[0], cn_slice(req.method, req.method_len)));
    if (req.path_len == 0) {
        CHECK(cn_slice_eq(line[1], cn_slice("/", 1)));
    } else {
        size_t s1 = 0, s2 = 0;
        for (size_t i = 0; i < req.path_len; i++)
            s1 += req.path[i] == '/';
        for (size_t i = 0; i < line[1].len; i++)
            s2 += line[1].ptr[i] == '/';
        CHECK(s1 == s2);   /* no '/' added or removed: no normalisation */
    }
    CHECK(encoded_ok(line[1].ptr, line[1].len, 1));
    if (raw)
        CHECK(cn_slice_eq(line[2], cn_slice(req.query ? req.query : "", req.query_len)));
    else
        check_query_line(line[2], &fr, presigned);
    {
        cn_buf_t ref;
        size_t start = 0, k = 3;
        cn_buf_init(&ref);
        for (size_t i = 0; i <= sh.len; i++) {
            if (i < sh.len && sh.ptr[i] != ';')
                continue;
            cn_buf_reset(&ref);
            ref_header_line(&ref, h, fr.nh, sh.ptr + start, i - start);
            CHECK(cn_slice_eq(line[k], cn_slice(ref.data, ref.len)));
            if (!found && k > 3) {
                /* our own list: lower-case names, strictly increasing */
                const char *c0 = memchr(line[k - 1].ptr, ':', line[k - 1].len);
                const char *c1 = memchr(line[k].ptr, ':', line[k].len);
                CHECK(c0 && c1);
                CHECK(bcmp_len(line[k - 1].ptr, (size_t)(c0 - line[k - 1].ptr), line[k].ptr,
                               (size_t)(c1 - line[k].ptr)) < 0);
            }
            k++;
            start = i + 1;
        }
        cn_buf_dispose(&ref);
    }
    CHECK(line[ns + 3].len == 0);
    CHECK(cn_slice_eq(line[ns + 4], sh));
    if (!found)
        for (size_t i = 0; i < sh.len; i++)
            CHECK(sh.ptr[i] == ';' || sh.ptr[i] == lower(sh.ptr[i]));
    CHECK(cn_slice_eq(line[ns + 5], ph));

    /* the same bytes again */
    cn_buf_init(&b);
    CHECK(gw_auth_v4_canonical_request(&b, &req, sh.ptr, sh.len, ph.ptr, ph.len, flags) == 0);
    CHECK(cn_slice_eq(cn_slice(a.data, a.len), cn_slice(b.data, b.len)));

    /* the same bytes with headers and query parameters shuffled */
    req2 = req;
    shuffle_headers(h2, h, fr.nh, &seed);
    req2.headers = h2;
    cn_buf_init(&q2);
    if (!raw && req.query) {
        shuffle_query(&q2, req.query, req.query_len, &seed);
        req2.query = q2.data ? q2.data : "";
        req2.query_len = q2.len;
    }
    cn_buf_reset(&b);
    if (!found) {
        cn_buf_t l2;
        cn_buf_init(&l2);
        sdk_list(&l2, h2, fr.nh);
        CHECK(cn_slice_eq(cn_slice(l2.data, l2.len), sh));
        cn_buf_dispose(&l2);
    }
    CHECK(gw_auth_v4_canonical_request(&b, &req2, sh.ptr, sh.len, ph.ptr, ph.len, flags) == 0);
    CHECK(cn_slice_eq(cn_slice(a.data, a.len), cn_slice(b.data, b.len)));

    /* canonical URI and query are fixed points */
    if (!raw) {
        req2 = req;
        req2.path = line[1].ptr;
        req2.path_len = line[1].len;
        req2.query = line[2].ptr;
        req2.query_len = line[2].len;
        cn_buf_reset(&b);
        CHECK(gw_auth_v4_canonical_request(&b, &req2, sh.ptr, sh.len, ph.ptr, ph.len, flags) ==
              0);
        CHECK(cn_slice_eq(cn_slice(a.data, a.len), cn_slice(b.data, b.len)));
    }

    check_string_to_sign(&a, date);
    cn_buf_dispose(&q2);
    cn_buf_dispose(&b);
out:
    free(line);
    cn_buf_dispose(&a);
    cn_buf_dispose(&own_list);
    return 0;
}
