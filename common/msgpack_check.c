/*
 * common/msgpack_check.c: a bounds check to run on bytes from a disk or a peer before handing
 * them to msgpack_unpack_next(), which allocates a container's items before reading them
 * (a 5-byte "array of 2^32 items" asks for 64 GiB). It walks the value without allocating.
 */
#include "common/msgpack_check.h"

#include <stdint.h>
#include <string.h>
#include <msgpack.h>

#include "common/buf.h"
#include "common/err.h"

int cn_msgpack_check(const void *buf, size_t len, size_t *used)
{
    const uint8_t *p = buf;
    static const uint8_t fixed[32] = {
        /* 0xc0..0xdf: extra bytes after the type byte; 0xff = special */
        0, 0xff, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 4, 8, 1, 2, 4, 8,
        1, 2, 4, 8, 2, 3, 5, 9, 17, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    };
    uint64_t pending = 1;
    size_t off = 0;

    while (pending > 0) {
        uint8_t t;
        uint64_t n = 0, items = 0, skip = 0;
        if (off >= len)
            return CN_ECORRUPT;
        t = p[off++];
        pending--;
        if (t <= 0x7f || t >= 0xe0)
            continue;
        if (t <= 0x8f)
            items = 2u * (t & 0x0f);
        else if (t <= 0x9f)
            items = t & 0x0f;
        else if (t <= 0xbf)
            skip = t & 0x1f;
        else if (fixed[t - 0xc0] != 0xff)
            skip = fixed[t - 0xc0];
        else {
            /* bin/ext/str with a length field, array/map with a count, or 0xc1 */
            size_t w;
            switch (t) {
            case 0xc4: case 0xc7: case 0xd9: w = 1; break;
            case 0xc5: case 0xc8: case 0xda: case 0xdc: case 0xde: w = 2; break;
            case 0xc6: case 0xc9: case 0xdb: case 0xdd: case 0xdf: w = 4; break;
            default: return CN_ECORRUPT; /* 0xc1 is never used */
            }
            if (len - off < w)
                return CN_ECORRUPT;
            for (size_t i = 0; i < w; i++)
                n = n << 8 | p[off + i];
            off += w;
            if (t == 0xdc || t == 0xdd)
                items = n;
            else if (t == 0xde || t == 0xdf)
                items = 2 * n;
            else
                skip = n + (t >= 0xc7 && t <= 0xc9); /* ext has a type byte */
        }
        if (skip > len - off || items > len - off)
            return CN_ECORRUPT;
        off += skip;
        pending += items;
    }
    *used = off;
    return 0;
}

int cn_msgpack_copy_str(const struct msgpack_object *o, char *out, size_t max)
{
    if (o->type != MSGPACK_OBJECT_STR || o->via.str.size == 0 || o->via.str.size >= max ||
        memchr(o->via.str.ptr, '\0', o->via.str.size) != NULL)
        return CN_ECORRUPT;
    memcpy(out, o->via.str.ptr, o->via.str.size);
    out[o->via.str.size] = '\0';
    return 0;
}

int cn_msgpack_buf_write(void *data, const char *p, size_t n)
{
    cn_buf_append(data, p, n);
    return 0;
}

void cn_msgpack_pack_str(msgpack_packer *pk, const char *s, size_t n)
{
    msgpack_pack_str(pk, n);
    msgpack_pack_str_body(pk, s, n);
}
