/*
 * gateway/auth/s3_uri.c: URI percent-encoding as SigV4 defines it (RFC 3986 unreserved bytes kept,
 * everything else %XX in upper case) and percent-decoding (see s3_auth.h).
 */
#include "gateway/auth/s3_uri.h"

#include "common/err.h"
#include "common/hash.h"
#include "gateway/auth/s3_auth.h"

static int unreserved(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           c == '-' || c == '_' || c == '.' || c == '~';
}

void gw_uri_encode(cn_buf_t *out, const char *s, size_t n, int keep_slash)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t i, run = 0;

    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (unreserved(c) || (keep_slash && c == '/')) {
            run++;
            continue;
        }
        if (run)
            cn_buf_append(out, s + i - run, run);
        run = 0;
        char esc[3] = {'%', hex[c >> 4], hex[c & 15]};
        cn_buf_append(out, esc, 3);
    }
    if (run)
        cn_buf_append(out, s + n - run, run);
}

int gw_uri_decode(cn_buf_t *out, const char *s, size_t n, int plus_is_space)
{
    size_t i, start = out->len;

    cn_buf_reserve(out, n);
    for (i = 0; i < n; i++) {
        char c = s[i];
        if (c == '%') {
            uint8_t b;
            if (i + 2 >= n || cn_unhex(s + i + 1, 1, &b) != 0)
                goto bad;
            cn_buf_append(out, &b, 1);
            i += 2;
        } else if (c == '+' && plus_is_space) {
            cn_buf_append(out, " ", 1);
        } else {
            cn_buf_append(out, &c, 1);
        }
    }
    return 0;
bad:
    out->len = start;
    if (out->cap)
        out->data[start] = '\0';
    return CN_EINVAL;
}
