/* tests/unit/common/test_sse.c: tests common/sse.c: round trips, streaming in pieces of any
 * size, tampering of every kind answered with CN_ECORRUPT and no plaintext, range reads
 * against whole decryption, SSE-C keys, key wrapping, bounds. The known answers come from
 * tests/unit/common/sse_vectors.py (RFC 5869 by hand, Python's hmac, the `cryptography`
 * module's AES-GCM), never from common/sse.c. */
#include <criterion/criterion.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/hash.h"
#include "common/sse.h"

#define B CN_SSE_BLOCK
#define SB CN_SSE_STORED_BLOCK

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint64_t next_rand(void)
{
    rng ^= rng << 13; /* xorshift64: reproducible runs */
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static void fill(uint8_t *p, size_t n, uint8_t seed)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (uint8_t)(i * 131 + seed + (i >> 8));
}

static void unhex(const char *hex, uint8_t *out, size_t n)
{
    cr_assert_eq(strlen(hex), 2 * n);
    cr_assert_eq(cn_unhex(hex, n, out), 0);
}

static void key_of(uint8_t key[CN_SSE_KEY_LEN], uint8_t first)
{
    for (int i = 0; i < CN_SSE_KEY_LEN; i++)
        key[i] = (uint8_t)(first + i);
}

/* A random chunk size in [1, max], or the rest when chunked is 0. */
static size_t chunk(size_t rest, int chunked)
{
    size_t max = (next_rand() % 4 == 0) ? 3 * SB : 300;
    size_t n = chunked ? 1 + next_rand() % max : rest;
    return n < rest ? n : rest;
}

/* The stored stream of plain[0, n) (malloc'd; its length in *len), fed in chunks. */
static uint8_t *encrypt_all(const uint8_t *dk, uint32_t part, const uint8_t *plain, size_t n,
                            int chunked, size_t *len)
{
    size_t total = (size_t)cn_sse_stored_len(n), got = 0, w;
    uint8_t *out = malloc(total + cn_sse_enc_update_max(3 * SB) + CN_SSE_TAG_LEN);
    cn_sse_enc_t *e;

    cr_assert_eq(cn_sse_enc_create(dk, part, n, &e), 0);
    for (size_t off = 0; off < n;) {
        size_t c = chunk(n - off, chunked);
        cr_assert_eq(cn_sse_enc_update(e, plain + off, c, out + got, cn_sse_enc_update_max(c),
                                       &w),
                     0);
        off += c;
        got += w;
    }
    cr_assert_eq(cn_sse_enc_final(e, out + got, CN_SSE_TAG_LEN, &w), 0);
    got += w;
    cn_sse_enc_destroy(e);
    cr_assert_eq(got, total, "n=%zu: stored %zu, expected %zu", n, got, total);
    *len = got;
    return out;
}

/* Decrypts stored[0, n) (of range, or of the whole stream when range is NULL) into out, in
 * chunks; returns the first error of update or final, *len the bytes released. */
static int decrypt_all(const uint8_t *dk, uint32_t part, uint64_t plain_len,
                       const cn_sse_range_t *range, const uint8_t *stored, size_t n,
                       int chunked, uint8_t *out, size_t *len)
{
    cn_sse_dec_t *d;
    size_t got = 0, w;
    int rc = 0;

    cr_assert_eq(cn_sse_dec_create(dk, part, plain_len, range, &d), 0);
    for (size_t off = 0; off < n && rc == 0;) {
        size_t c = chunk(n - off, chunked);
        rc = cn_sse_dec_update(d, stored + off, c, out + got, cn_sse_dec_update_max(c), &w);
        off += c;
        got += w;
    }
    if (rc == 0)
        rc = cn_sse_dec_final(d);
    cn_sse_dec_destroy(d);
    *len = got;
    return rc;
}

static uint8_t *alloc_out(size_t n)
{
    return calloc(1, n + 4 * SB);
}

static const size_t sizes[] = {0, 1, B - 1, B, B + 1, (1u << 20) + 7};

Test(sse, lengths_and_their_inverse, .timeout = 5)
{
    uint64_t p;

    cr_assert_eq(cn_sse_blocks(0), 1);
    cr_assert_eq(cn_sse_stored_len(0), 16);
    cr_assert_eq(cn_sse_stored_len(1), 17);
    cr_assert_eq(cn_sse_stored_len(B), B + 16);
    cr_assert_eq(cn_sse_stored_len(B + 1), B + 33);
    cr_assert_eq(cn_sse_stored_len(CN_SSE_PLAIN_MAX),
                 CN_SSE_PLAIN_MAX + 16 * (CN_SSE_PLAIN_MAX / B));
    for (uint64_t n = 0; n < 3 * B + 50; n += (n < 100 || n % B > B - 40 || n % B < 40) ? 1 : 97) {
        cr_assert_eq(cn_sse_plain_len(cn_sse_stored_len(n), &p), 0, "n=%" PRIu64, n);
        cr_assert_eq(p, n);
    }
    cr_assert_eq(cn_sse_plain_len(cn_sse_stored_len(CN_SSE_PLAIN_MAX), &p), 0);
    cr_assert_eq(p, CN_SSE_PLAIN_MAX);
    /* torn or padded streams: no plaintext length gives them */
    const uint64_t bad[] = {0, 1, 15, SB + 1, SB + 15, SB + 16, 2 * SB + 16,
                            cn_sse_stored_len(CN_SSE_PLAIN_MAX) + 1, UINT64_MAX};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        cr_assert_eq(cn_sse_plain_len(bad[i], &p), CN_ECORRUPT, "stored=%" PRIu64, bad[i]);
}

Test(sse, round_trips_at_block_edges, .timeout = 30)
{
    uint8_t dk[CN_SSE_KEY_LEN];

    cr_assert_eq(cn_sse_random_key(dk), 0);
    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        size_t n = sizes[i], slen, got;
        uint8_t *plain = malloc(n + 1), *out = alloc_out(n), *stored;
        uint64_t p;

        fill(plain, n, (uint8_t)i);
        stored = encrypt_all(dk, (uint32_t)i, plain, n, 0, &slen);
        cr_assert_eq(cn_sse_plain_len(slen, &p), 0);
        cr_assert_eq(p, n);
        if (n >= 16) /* under a random key, 1 byte in 256 is its own ciphertext */
            cr_assert(memcmp(stored, plain, 16) != 0, "ciphertext is the plaintext");
        cr_assert_eq(decrypt_all(dk, (uint32_t)i, n, NULL, stored, slen, 0, out, &got), 0,
                     "n=%zu", n);
        cr_assert_eq(got, n);
        cr_assert_arr_eq(out, plain, n);
        free(plain);
        free(out);
        free(stored);
    }
}

Test(sse, streaming_in_random_pieces_equals_one_call, .timeout = 60)
{
    uint8_t dk[CN_SSE_KEY_LEN];

    key_of(dk, 9);
    for (int round = 0; round < 3; round++) {
        for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
            size_t n = sizes[i], len1, len2, got;
            uint8_t *plain = malloc(n + 1), *out = alloc_out(n);
            uint8_t *one, *pieces;

            fill(plain, n, (uint8_t)(round + i));
            one = encrypt_all(dk, 42, plain, n, 0, &len1);
            pieces = encrypt_all(dk, 42, plain, n, 1, &len2);
            cr_assert_eq(len1, len2);
            cr_assert_arr_eq(one, pieces, len1, "n=%zu round=%d", n, round);
            cr_assert_eq(decrypt_all(dk, 42, n, NULL, one, len1, 1, out, &got), 0);
            cr_assert_eq(got, n);
            cr_assert_arr_eq(out, plain, n);
            free(plain);
            free(out);
            free(one);
            free(pieces);
        }
    }
}

Test(sse, stream_blocks_are_the_one_shot_blocks, .timeout = 10)
{
    size_t n = 2 * B + 77, slen;
    uint8_t dk[CN_SSE_KEY_LEN], *plain = malloc(n), *stored, blk[SB], dec[B];

    key_of(dk, 3);
    fill(plain, n, 5);
    stored = encrypt_all(dk, 17, plain, n, 1, &slen);
    for (uint64_t i = 0; i < 3; i++) {
        size_t len = i < 2 ? B : 77;
        cr_assert_eq(cn_sse_block_encrypt(dk, 17, i, i == 2, plain + i * B, len, blk), 0);
        cr_assert_arr_eq(blk, stored + i * SB, len + CN_SSE_TAG_LEN, "block %" PRIu64, i);
        cr_assert_eq(cn_sse_block_decrypt(dk, 17, i, i == 2, blk, len + 16, dec), 0);
        cr_assert_arr_eq(dec, plain + i * B, len);
    }
    free(plain);
    free(stored);
}

/* Decrypts a tampered stored stream in one call: it must fail, and release exactly the
 * blocks before first_bad, with nothing of the failed block left in the output. */
static void expect_corrupt(const uint8_t *dk, uint32_t part, uint64_t plain_len,
                           const uint8_t *stored, size_t slen, const uint8_t *plain,
                           uint64_t first_bad, const char *what)
{
    uint8_t *out = alloc_out(plain_len);
    size_t got;
    int rc = decrypt_all(dk, part, plain_len, NULL, stored, slen, 0, out, &got);

    cr_assert_eq(rc, CN_ECORRUPT, "%s: rc=%d", what, rc);
    if (first_bad != UINT64_MAX) {
        cr_assert_eq(got, first_bad * B, "%s: released %zu bytes", what, got);
        cr_assert_arr_eq(out, plain, got);
        for (size_t i = got; i < plain_len + 4 * SB; i++)
            cr_assert_eq(out[i], 0, "%s: byte %zu of a failed block left in the output", what, i);
    }
    free(out);
}

Test(sse, any_flipped_bit_is_corrupt_small, .timeout = 30)
{
    size_t n = 100, slen;
    uint8_t dk[CN_SSE_KEY_LEN], plain[100], *stored;

    key_of(dk, 1);
    fill(plain, n, 1);
    stored = encrypt_all(dk, 0, plain, n, 0, &slen);
    for (size_t bit = 0; bit < 8 * slen; bit++) {
        stored[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        expect_corrupt(dk, 0, n, stored, slen, plain, 0, "flipped bit");
        stored[bit / 8] ^= (uint8_t)(1u << (bit % 8));
    }
    free(stored);
}

Test(sse, flipped_bits_in_every_block_and_tag_are_corrupt, .timeout = 60)
{
    size_t n = 3 * B + 100, slen;
    uint8_t dk[CN_SSE_KEY_LEN], *plain = malloc(n), *stored;

    key_of(dk, 2);
    fill(plain, n, 2);
    stored = encrypt_all(dk, 3, plain, n, 0, &slen);
    for (int i = 0; i < 300; i++) {
        /* every tag byte of every block, then random bits anywhere */
        size_t pos = i < 64 ? (size_t)(i / 16) * SB +
                                  (i / 16 == 3 ? 100 : B) + (size_t)(i % 16)
                            : (size_t)(next_rand() % slen);
        uint8_t mask = (uint8_t)(1u << (next_rand() % 8));

        stored[pos] ^= mask;
        expect_corrupt(dk, 3, n, stored, slen, plain, pos / SB, "flipped bit");
        stored[pos] ^= mask;
    }
    free(plain);
    free(stored);
}

Test(sse, swapped_blocks_are_corrupt, .timeout = 10)
{
    size_t n = 3 * B, slen;
    uint8_t dk[CN_SSE_KEY_LEN], *plain = malloc(n), *stored, *tmp = malloc(SB);

    key_of(dk, 4);
    fill(plain, n, 4);
    stored = encrypt_all(dk, 1, plain, n, 0, &slen);
    memcpy(tmp, stored, SB);
    memcpy(stored, stored + SB, SB);
    memcpy(stored + SB, tmp, SB);
    expect_corrupt(dk, 1, n, stored, slen, plain, 0, "blocks 0 and 1 swapped");
    memcpy(stored + SB, stored, SB);
    memcpy(stored, tmp, SB);
    uint8_t *out = alloc_out(n);
    cr_assert_eq(decrypt_all(dk, 1, n, NULL, stored, slen, 0, out, &(size_t){0}), 0);
    cr_assert_arr_eq(out, plain, n);
    free(out);
    free(plain);
    free(stored);
    free(tmp);
}

Test(sse, truncated_or_extended_streams_are_corrupt, .timeout = 10)
{
    size_t n = 2 * B + 10, slen, got;
    uint8_t dk[CN_SSE_KEY_LEN], *plain = malloc(n), *stored, *out = alloc_out(n);

    key_of(dk, 5);
    fill(plain, n, 5);
    stored = encrypt_all(dk, 0, plain, n, 0, &slen);
    /* the last block cut short, by one byte or down to its tag */
    cr_assert_eq(decrypt_all(dk, 0, n, NULL, stored, slen - 1, 1, out, &got), CN_ECORRUPT);
    cr_assert_eq(got, 2 * B);
    cr_assert_eq(decrypt_all(dk, 0, n, NULL, stored, 2 * SB + 15, 0, out, &got), CN_ECORRUPT);
    /* the last block dropped and the length lied about: block 1 is not a final block */
    expect_corrupt(dk, 0, 2 * B, stored, 2 * SB, plain, 1, "cut at a block boundary");
    expect_corrupt(dk, 0, B, stored, SB, plain, 0, "cut to one block");
    /* cut to nothing */
    cr_assert_eq(decrypt_all(dk, 0, n, NULL, stored, 0, 0, out, &got), CN_ECORRUPT);
    cr_assert_eq(got, 0);
    /* an empty object is one tag: without it, or against a non-empty block, it fails */
    uint8_t *empty;
    size_t elen;
    empty = encrypt_all(dk, 0, plain, 0, 0, &elen);
    cr_assert_eq(elen, CN_SSE_TAG_LEN);
    cr_assert_eq(decrypt_all(dk, 0, 0, NULL, empty, 0, 0, out, &got), CN_ECORRUPT);
    cr_assert_eq(decrypt_all(dk, 0, 0, NULL, empty, elen, 0, out, &got), 0);
    cr_assert_eq(got, 0);
    /* a stream with bytes after its end */
    uint8_t *longer = malloc(slen + 1);
    memcpy(longer, stored, slen);
    longer[slen] = 0;
    cr_assert_eq(decrypt_all(dk, 0, n, NULL, longer, slen + 1, 0, out, &got), CN_ECORRUPT);
    cr_assert_eq(decrypt_all(dk, 0, n, NULL, longer, slen + 1, 1, out, &got), CN_ECORRUPT);
    free(longer);
    free(empty);
    free(plain);
    free(stored);
    free(out);
}

Test(sse, blocks_of_another_part_or_key_are_corrupt, .timeout = 10)
{
    size_t n = 2 * B + 3, slen1, slen2;
    uint8_t dk[CN_SSE_KEY_LEN], dk2[CN_SSE_KEY_LEN], *plain = malloc(n), *p1, *p2;

    key_of(dk, 6);
    key_of(dk2, 7);
    fill(plain, n, 6);
    p1 = encrypt_all(dk, 1, plain, n, 0, &slen1);
    p2 = encrypt_all(dk, 2, plain, n, 0, &slen2);
    cr_assert_arr_neq(p1, p2, slen1, "two parts gave the same ciphertext");
    /* part 2's stream read as part 1's, and one block of it spliced into part 1 */
    expect_corrupt(dk, 1, n, p2, slen2, plain, 0, "another part's stream");
    memcpy(p1 + SB, p2 + SB, SB);
    expect_corrupt(dk, 1, n, p1, slen1, plain, 1, "a block from another part");
    /* the wrong key */
    expect_corrupt(dk2, 2, n, p2, slen2, plain, 0, "the wrong key");
    free(plain);
    free(p1);
    free(p2);
}

Test(sse, a_failed_decryptor_stays_failed, .timeout = 10)
{
    size_t n = 2 * B, slen, got;
    uint8_t dk[CN_SSE_KEY_LEN], *plain = malloc(n), *stored, *out = alloc_out(n);
    cn_sse_dec_t *d;

    key_of(dk, 8);
    fill(plain, n, 8);
    stored = encrypt_all(dk, 0, plain, n, 0, &slen);
    stored[3] ^= 1;
    cr_assert_eq(cn_sse_dec_create(dk, 0, n, NULL, &d), 0);
    cr_assert_eq(cn_sse_dec_update(d, stored, SB, out, cn_sse_dec_update_max(SB), &got),
                 CN_ECORRUPT);
    cr_assert_eq(got, 0);
    cr_assert_eq(cn_sse_dec_update(d, stored + SB, SB, out, cn_sse_dec_update_max(SB), &got),
                 CN_ECORRUPT);
    cr_assert_eq(got, 0);
    cr_assert_eq(cn_sse_dec_final(d), CN_ECORRUPT);
    cn_sse_dec_destroy(d);
    free(plain);
    free(stored);
    free(out);
}

static void check_range(const uint8_t *dk, const uint8_t *plain, uint64_t plain_len,
                        const uint8_t *stored, size_t slen, uint64_t off, uint64_t len)
{
    cn_sse_range_t r;
    uint8_t *out = alloc_out(len);
    size_t got;

    cr_assert_eq(cn_sse_range(plain_len, off, len, &r), 0);
    /* whole stored blocks, and only those that hold the range */
    cr_assert_eq(r.stored_off, r.first_block * SB);
    cr_assert_eq(r.first_block, off / B);
    cr_assert_eq(r.first_block + r.nblocks - 1, (off + len - 1) / B);
    cr_assert_eq(r.skip, off % B);
    cr_assert(r.stored_off + r.stored_len <= slen);
    cr_assert(r.stored_len == r.nblocks * SB || r.stored_off + r.stored_len == slen);
    cr_assert_eq(decrypt_all(dk, 9, plain_len, &r, stored + r.stored_off, r.stored_len,
                             next_rand() % 2, out, &got),
                 0, "off=%" PRIu64 " len=%" PRIu64, off, len);
    cr_assert_eq(got, len);
    cr_assert_arr_eq(out, plain + off, len, "off=%" PRIu64 " len=%" PRIu64, off, len);
    free(out);
}

Test(sse, ranges_decrypt_as_the_whole_object_does, .timeout = 60)
{
    const uint64_t lens[] = {1, 7, B - 1, B, B + 1, 3 * B + 5, (1u << 20) + 7};
    uint8_t dk[CN_SSE_KEY_LEN];

    key_of(dk, 10);
    for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
        uint64_t p = lens[i];
        size_t slen, got;
        uint8_t *plain = malloc(p), *stored, *whole = alloc_out(p);

        fill(plain, p, (uint8_t)i);
        stored = encrypt_all(dk, 9, plain, p, 0, &slen);
        cr_assert_eq(decrypt_all(dk, 9, p, NULL, stored, slen, 0, whole, &got), 0);
        cr_assert_arr_eq(whole, plain, p);
        /* edges: first and last bytes, block boundaries, the whole object */
        const uint64_t edges[] = {0, 1, B - 1, B, B + 1, 2 * B - 1, 2 * B, p - 1};
        for (size_t a = 0; a < sizeof(edges) / sizeof(edges[0]); a++)
            for (size_t b = 0; b < sizeof(edges) / sizeof(edges[0]); b++) {
                uint64_t off = edges[a], end = edges[b] + 1;
                if (off < p && end <= p && off < end)
                    check_range(dk, plain, p, stored, slen, off, end - off);
            }
        check_range(dk, plain, p, stored, slen, 0, p);
        for (int k = 0; k < 60; k++) {
            uint64_t off = next_rand() % p;
            uint64_t len = 1 + next_rand() % (k % 2 ? p - off : (p - off < 300 ? p - off : 300));
            check_range(dk, plain, p, stored, slen, off, len);
        }
        free(plain);
        free(stored);
        free(whole);
    }
}

Test(sse, a_range_is_checked_like_a_whole_stream, .timeout = 10)
{
    uint64_t p = 3 * B + 5;
    size_t slen, got;
    uint8_t dk[CN_SSE_KEY_LEN], *plain = malloc(p), *stored, *out = alloc_out(p);
    cn_sse_range_t r;

    key_of(dk, 11);
    fill(plain, p, 11);
    stored = encrypt_all(dk, 9, plain, p, 0, &slen);
    cr_assert_eq(cn_sse_range(p, B + 10, B, &r), 0); /* blocks 1 and 2 */
    cr_assert_eq(r.nblocks, 2);
    /* its last block cut short, one stored byte too many, the wrong blocks */
    cr_assert_eq(decrypt_all(dk, 9, p, &r, stored + r.stored_off, r.stored_len - 1, 1, out, &got),
                 CN_ECORRUPT);
    cr_assert_eq(decrypt_all(dk, 9, p, &r, stored + r.stored_off, r.stored_len + 1, 0, out, &got),
                 CN_ECORRUPT);
    cr_assert_eq(decrypt_all(dk, 9, p, &r, stored, r.stored_len, 0, out, &got), CN_ECORRUPT);
    cr_assert_eq(got, 0);
    /* the last block dropped and the length lied about: block 2 is not a final block */
    cr_assert_eq(cn_sse_range(3 * B, 2 * B, B, &r), 0);
    cr_assert_eq(r.stored_len, SB);
    cr_assert_eq(decrypt_all(dk, 9, 3 * B, &r, stored + 2 * SB, SB, 0, out, &got), CN_ECORRUPT);
    cr_assert_eq(got, 0);
    free(plain);
    free(stored);
    free(out);
}

Test(sse, range_arguments_are_bounded, .timeout = 5)
{
    cn_sse_range_t r, forged;
    cn_sse_dec_t *d;
    uint8_t dk[CN_SSE_KEY_LEN] = {0};

    cr_assert_eq(cn_sse_range(10, 0, 0, &r), CN_EINVAL);
    cr_assert_eq(cn_sse_range(10, 10, 1, &r), CN_EINVAL);
    cr_assert_eq(cn_sse_range(10, 5, 6, &r), CN_EINVAL);
    cr_assert_eq(cn_sse_range(10, UINT64_MAX, 2, &r), CN_EINVAL);
    cr_assert_eq(cn_sse_range(10, 2, UINT64_MAX, &r), CN_EINVAL);
    cr_assert_eq(cn_sse_range(0, 0, 1, &r), CN_EINVAL);
    cr_assert_eq(cn_sse_range(CN_SSE_PLAIN_MAX + 1, 0, 1, &r), CN_EINVAL);
    cr_assert_eq(cn_sse_range(CN_SSE_PLAIN_MAX, CN_SSE_PLAIN_MAX - 1, 1, &r), 0);
    cr_assert_eq(r.first_block, CN_SSE_PLAIN_MAX / B - 1);
    cr_assert_eq(r.stored_off + r.stored_len, cn_sse_stored_len(CN_SSE_PLAIN_MAX));
    /* a decryptor takes only ranges cn_sse_range gives */
    cr_assert_eq(cn_sse_range(5 * B, B + 3, 10, &r), 0);
    forged = r;
    forged.nblocks = 3;
    cr_assert_eq(cn_sse_dec_create(dk, 0, 5 * B, &forged, &d), CN_EINVAL);
    forged = r;
    forged.skip = B + 3;
    cr_assert_eq(cn_sse_dec_create(dk, 0, 5 * B, &forged, &d), CN_EINVAL);
    forged = r;
    forged.first_block = UINT64_MAX / B;
    cr_assert_eq(cn_sse_dec_create(dk, 0, 5 * B, &forged, &d), CN_EINVAL);
    cr_assert_eq(cn_sse_dec_create(dk, 0, 4 * B, &r, &d), CN_EINVAL);
    cr_assert_eq(cn_sse_dec_create(dk, 0, 5 * B, &r, &d), 0);
    cn_sse_dec_destroy(d);
}

Test(sse, stream_arguments_are_bounded, .timeout = 5)
{
    uint8_t dk[CN_SSE_KEY_LEN] = {0}, in[100] = {0}, out[400];
    cn_sse_enc_t *e;
    cn_sse_dec_t *d;
    size_t w;

    cr_assert_eq(cn_sse_enc_create(dk, CN_SSE_PART_MAX + 1, 10, &e), CN_EINVAL);
    cr_assert_eq(cn_sse_enc_create(dk, 0, CN_SSE_PLAIN_MAX + 1, &e), CN_EINVAL);
    cr_assert_eq(cn_sse_dec_create(dk, CN_SSE_PART_MAX + 1, 10, NULL, &d), CN_EINVAL);
    cr_assert_eq(cn_sse_dec_create(dk, 0, CN_SSE_PLAIN_MAX + 1, NULL, &d), CN_EINVAL);
    cr_assert_eq(cn_sse_enc_create(dk, CN_SSE_PART_MAX, 10, &e), 0);
    /* past the length, or too little room: refused, and nothing taken */
    cr_assert_eq(cn_sse_enc_update(e, in, 11, out, sizeof(out), &w), CN_EINVAL);
    cr_assert_eq(cn_sse_enc_update(e, in, 4, out, cn_sse_enc_update_max(4) - 1, &w), CN_EINVAL);
    cr_assert_eq(cn_sse_enc_update(e, in, 4, out, sizeof(out), &w), 0);
    cr_assert_eq(w, 4);
    /* fewer bytes than announced: the final refuses, and the encryptor is done for */
    cr_assert_eq(cn_sse_enc_final(e, out, sizeof(out), &w), CN_EINVAL);
    cr_assert_eq(cn_sse_enc_update(e, in, 6, out, sizeof(out), &w), CN_EINVAL);
    cn_sse_enc_destroy(e);
    cr_assert_eq(cn_sse_enc_create(dk, 0, 10, &e), 0);
    cr_assert_eq(cn_sse_enc_update(e, in, 10, out, sizeof(out), &w), 0);
    cr_assert_eq(w, 26);
    cr_assert_eq(cn_sse_enc_final(e, out + 26, 0, &w), 0);
    cr_assert_eq(w, 0);
    cr_assert_eq(cn_sse_enc_update(e, in, 0, out, sizeof(out), &w), CN_EINVAL);
    cr_assert_eq(cn_sse_enc_final(e, out, sizeof(out), &w), CN_EINVAL);
    cn_sse_enc_destroy(e);
    cr_assert_eq(cn_sse_dec_create(dk, 0, 10, NULL, &d), 0);
    cr_assert_eq(cn_sse_dec_update(d, out, 26, out + 100, cn_sse_dec_update_max(26) - 1, &w),
                 CN_EINVAL);
    cn_sse_dec_destroy(d);
    cn_sse_enc_destroy(NULL);
    cn_sse_dec_destroy(NULL);
    /* one-shot blocks: a short block must be final, none is longer than a block */
    uint8_t *big = calloc(1, 2 * SB);
    cr_assert_eq(cn_sse_block_encrypt(dk, 0, 0, 0, big, B - 1, big + SB), CN_EINVAL);
    cr_assert_eq(cn_sse_block_encrypt(dk, 0, 0, 1, big, B + 1, big + SB), CN_EINVAL);
    cr_assert_eq(cn_sse_block_encrypt(dk, CN_SSE_PART_MAX + 1, 0, 1, big, 1, big + SB),
                 CN_EINVAL);
    cr_assert_eq(cn_sse_block_decrypt(dk, 0, 0, 1, big, 15, big + SB), CN_EINVAL);
    cr_assert_eq(cn_sse_block_decrypt(dk, 0, 0, 0, big, 17, big + SB), CN_EINVAL);
    cr_assert_eq(cn_sse_block_decrypt(dk, 0, 0, 1, big, SB + 1, big + SB), CN_EINVAL);
    free(big);
}

/* ---- known answers (tests/unit/common/sse_vectors.py) ---------------------------------- */

Test(sse, one_block_known_answer, .timeout = 5)
{
    static const char pt[] = "cairn sse known answer block";
    uint8_t dk[CN_SSE_KEY_LEN], want[sizeof(pt) - 1 + 16], got[sizeof(want)], dec[sizeof(pt)];

    key_of(dk, 0x40);
    unhex("77741ac11b838c7874530a7cddf4b39a69d954a33e506b03c9f8283db569b47223aa2d749b442fd33c"
          "48848c",
          want, sizeof(want));
    cr_assert_eq(cn_sse_block_encrypt(dk, 7, 3, 1, pt, sizeof(pt) - 1, got), 0);
    cr_assert_arr_eq(got, want, sizeof(want));
    cr_assert_eq(cn_sse_block_decrypt(dk, 7, 3, 1, want, sizeof(want), dec), 0);
    cr_assert_arr_eq(dec, pt, sizeof(pt) - 1);
    /* the same bytes as another block, part or flag */
    cr_assert_eq(cn_sse_block_decrypt(dk, 7, 3, 0, want, sizeof(want), dec), CN_EINVAL);
    cr_assert_eq(cn_sse_block_decrypt(dk, 7, 4, 1, want, sizeof(want), dec), CN_ECORRUPT);
    cr_assert_eq(cn_sse_block_decrypt(dk, 6, 3, 1, want, sizeof(want), dec), CN_ECORRUPT);
}

Test(sse, stream_known_answers, .timeout = 10)
{
    size_t n = B + 3, slen;
    uint8_t dk[CN_SSE_KEY_LEN], *plain = malloc(n), *stored, d[CN_SHA256_LEN],
                                want[CN_SHA256_LEN], tag[16];
    char hex[2 * CN_SHA256_LEN + 1];

    key_of(dk, 0x40);
    for (size_t i = 0; i < n; i++)
        plain[i] = (uint8_t)(i * 7 + 3);
    stored = encrypt_all(dk, 2, plain, n, 1, &slen);
    cr_assert_eq(slen, 65571);
    cn_sha256(stored, slen, d);
    cn_hex(d, sizeof(d), hex);
    unhex("411d4a2e1778341e83ca499b5489e9311edd8694f4afba15719e7c96e6a446cd", want, sizeof(want));
    cr_assert_arr_eq(d, want, sizeof(d), "stored stream's SHA-256 %s", hex);
    free(stored);
    stored = encrypt_all(dk, 0, plain, 0, 0, &slen);
    cr_assert_eq(slen, 16);
    unhex("d5dc5ea89627fa4b31055c9df0edd890", tag, sizeof(tag));
    cr_assert_arr_eq(stored, tag, 16);
    free(stored);
    free(plain);
}

Test(sse, sse_c_derive_and_check_known_answers, .timeout = 5)
{
    uint8_t ckey[CN_SSE_KEY_LEN], salt[CN_SSE_SALT_LEN], dk[CN_SSE_KEY_LEN], want[32],
        check[CN_SSE_CHECK_LEN], other[CN_SSE_KEY_LEN];

    key_of(ckey, 0);
    for (int i = 0; i < CN_SSE_SALT_LEN; i++)
        salt[i] = (uint8_t)(0xa0 + i);
    cr_assert_eq(cn_sse_c_derive(ckey, salt, dk), 0);
    unhex("72fe04778baea31b7816d13373a20235b7322a7720e31df6447911d96e69049e", want, 32);
    cr_assert_arr_eq(dk, want, 32);
    cn_sse_c_check(ckey, salt, check);
    unhex("f477feeadd5da4b11768c39ead9d34cae30c54b2e1945c7ce7fe05718e5a3bed", want, 32);
    cr_assert_arr_eq(check, want, 32);
    cr_assert_eq(cn_sse_c_verify(ckey, salt, check), 0);
    /* another key, another salt, another check */
    memcpy(other, ckey, sizeof(other));
    other[31] ^= 0x80;
    cr_assert_eq(cn_sse_c_verify(other, salt, check), CN_EACCES);
    salt[0] ^= 1;
    cr_assert_eq(cn_sse_c_verify(ckey, salt, check), CN_EACCES);
    cr_assert_eq(cn_sse_c_derive(ckey, salt, other), 0);
    cr_assert_arr_neq(other, dk, 32, "another salt gave the same data key");
    check[5] ^= 1;
    salt[0] ^= 1;
    cr_assert_eq(cn_sse_c_verify(ckey, salt, check), CN_EACCES);
}

Test(sse, wrap_round_trip_and_refusals, .timeout = 5)
{
    static const char ctx[] = "cairn sse wrap v1|k1|3|b/k";
    uint8_t kek[CN_SSE_KEY_LEN], kek2[CN_SSE_KEY_LEN], dk[CN_SSE_KEY_LEN], got[CN_SSE_KEY_LEN],
        w[CN_SSE_WRAPPED_LEN], w2[CN_SSE_WRAPPED_LEN], zero[CN_SSE_KEY_LEN] = {0};
    static uint8_t big[CN_SSE_AAD_MAX + 1];

    cr_assert_eq(cn_sse_random_key(kek), 0);
    cr_assert_eq(cn_sse_random_key(dk), 0);
    memcpy(kek2, kek, sizeof(kek2));
    kek2[0] ^= 1;
    cr_assert_eq(cn_sse_wrap(kek, dk, ctx, sizeof(ctx) - 1, w), 0);
    cr_assert_eq(cn_sse_wrap(kek, dk, ctx, sizeof(ctx) - 1, w2), 0);
    cr_assert_arr_neq(w, w2, sizeof(w), "two wraps with the same nonce");
    cr_assert_eq(cn_sse_unwrap(kek, w, ctx, sizeof(ctx) - 1, got), 0);
    cr_assert_arr_eq(got, dk, sizeof(dk));
    cr_assert_eq(cn_sse_unwrap(kek, w2, ctx, sizeof(ctx) - 1, got), 0);
    cr_assert_arr_eq(got, dk, sizeof(dk));
    /* another object's context, another KEK, a flipped byte: refused, and dk wiped */
    cr_assert_eq(cn_sse_unwrap(kek, w, "cairn sse wrap v1|k1|3|b/j", sizeof(ctx) - 1, got),
                 CN_ECORRUPT);
    cr_assert_arr_eq(got, zero, sizeof(zero));
    cr_assert_eq(cn_sse_unwrap(kek2, w, ctx, sizeof(ctx) - 1, got), CN_ECORRUPT);
    cr_assert_eq(cn_sse_unwrap(kek, w, ctx, sizeof(ctx) - 2, got), CN_ECORRUPT);
    cr_assert_eq(cn_sse_unwrap(kek, w, NULL, 0, got), CN_ECORRUPT);
    for (size_t i = 0; i < sizeof(w); i++) {
        w[i] ^= 0x10;
        cr_assert_eq(cn_sse_unwrap(kek, w, ctx, sizeof(ctx) - 1, got), CN_ECORRUPT, "byte %zu", i);
        w[i] ^= 0x10;
    }
    cr_assert_eq(cn_sse_wrap(kek, dk, big, sizeof(big), w), CN_EINVAL);
    cr_assert_eq(cn_sse_unwrap(kek, w, big, sizeof(big), got), CN_EINVAL);
    cr_assert_eq(cn_sse_wrap(kek, dk, big, sizeof(big) - 1, w), 0);
    cr_assert_eq(cn_sse_unwrap(kek, w, big, sizeof(big) - 1, got), 0);
    cr_assert_arr_eq(got, dk, sizeof(dk));
}

Test(sse, unwrap_known_answer, .timeout = 5)
{
    static const char ctx[] = "cairn sse wrap v1|k1|3|b/k";
    uint8_t kek[CN_SSE_KEY_LEN], dk[CN_SSE_KEY_LEN], want[CN_SSE_KEY_LEN], w[CN_SSE_WRAPPED_LEN];

    key_of(kek, 0x80);
    key_of(want, 0x20);
    unhex("000102030405060708090a0bd3615d0a31035c8cee5d7347047bd38ec4b694fa4092e189f965f9818441"
          "4a0debb1c37c3472161d76e2f7fbde1a9639",
          w, sizeof(w));
    cr_assert_eq(cn_sse_unwrap(kek, w, ctx, sizeof(ctx) - 1, dk), 0);
    cr_assert_arr_eq(dk, want, sizeof(dk));
}
