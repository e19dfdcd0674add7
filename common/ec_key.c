/*
 * common/ec_key.c: fragment keys (format and reasons in ec_key.h).
 */
#include "common/ec_key.h"

#include <string.h>

#include "common/ec.h"
#include "common/log.h"

#define CHUNK_KEY_PREFIX "\x01" "c/"

static const char hexd[] = "0123456789abcdef";

static int hexv(char c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

void cn_frag_key(const void *chunk, size_t len, unsigned k, unsigned m, unsigned index,
                 cn_buf_t *out)
{
    char sfx[CN_FRAG_KEY_SUFFIX] = {'\0', 'f', hexd[k & 15], hexd[m & 15], hexd[index & 15]};

    CN_ASSERT(k >= 1 && m >= 1 && k + m <= CN_EC_MAX_FRAGS && index < k + m);
    CN_ASSERT(len > 3 && memcmp(chunk, CHUNK_KEY_PREFIX, 3) == 0 && !memchr(chunk, '\0', len));
    cn_buf_reset(out);
    cn_buf_append(out, chunk, len);
    cn_buf_append(out, sfx, sizeof(sfx));
}

int cn_frag_key_parse(const void *key, size_t len, cn_frag_key_t *out)
{
    const char *p = key;
    int k, m, i;

    if (len <= 3 + CN_FRAG_KEY_SUFFIX || memcmp(p, CHUNK_KEY_PREFIX, 3) != 0)
        return 0;
    p += len - CN_FRAG_KEY_SUFFIX;
    if (p[0] != '\0' || p[1] != 'f')
        return 0;
    k = hexv(p[2]);
    m = hexv(p[3]);
    i = hexv(p[4]);
    if (k < 1 || m < 1 || k + m > CN_EC_MAX_FRAGS || i < 0 || i >= k + m)
        return 0;
    if (memchr(key, '\0', len - CN_FRAG_KEY_SUFFIX) != NULL) /* a chunk key holds no NUL */
        return 0;
    if (out != NULL) {
        out->chunk_len = len - CN_FRAG_KEY_SUFFIX;
        out->k = (uint8_t)k;
        out->m = (uint8_t)m;
        out->index = (uint8_t)i;
    }
    return 1;
}
