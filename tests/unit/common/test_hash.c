/* tests/unit/common/test_hash.c: tests common/hash.c (CRC32C, digests, HMAC, hex) and the
 * hybrid logical clock of common/clock.c. */
#include <criterion/criterion.h>
#include <openssl/sha.h>
#include <stdlib.h>
#include <string.h>

#include "common/clock.h"
#include "common/err.h"
#include "common/hash.h"

static void hex_of(const uint8_t *p, size_t n, char *out)
{
    cn_hex(p, n, out);
}

Test(hash, crc32c_check_value, .timeout = 5)
{
    cr_assert_eq(cn_crc32c(0, "123456789", 9), 0xE3069283u);
    cr_assert_eq(cn_crc32c(0, "", 0), 0u);
}

Test(hash, crc32c_chains, .timeout = 5)
{
    const char *s = "The quick brown fox jumps over the lazy dog";
    size_t n = strlen(s);
    uint32_t whole = cn_crc32c(0, s, n);

    for (size_t cut = 0; cut <= n; cut++)
        cr_assert_eq(cn_crc32c(cn_crc32c(0, s, cut), s + cut, n - cut), whole, "cut=%zu", cut);
    cr_assert_eq(cn_crc32c(cn_crc32c(0, "1234", 4), "56789", 5), 0xE3069283u);
}

Test(hash, md5_known_values, .timeout = 5)
{
    uint8_t d[CN_MD5_LEN];
    char hex[2 * CN_MD5_LEN + 1];

    cn_md5("abc", 3, d);
    hex_of(d, sizeof(d), hex);
    cr_assert_str_eq(hex, "900150983cd24fb0d6963f7d28e17f72");
    cn_md5("", 0, d);
    hex_of(d, sizeof(d), hex);
    cr_assert_str_eq(hex, "d41d8cd98f00b204e9800998ecf8427e");
}

Test(hash, sha256_known_values, .timeout = 5)
{
    uint8_t d[CN_SHA256_LEN];
    char hex[2 * CN_SHA256_LEN + 1];

    cn_sha256("abc", 3, d);
    hex_of(d, sizeof(d), hex);
    cr_assert_str_eq(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    cn_sha256("", 0, d);
    hex_of(d, sizeof(d), hex);
    cr_assert_str_eq(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

Test(hash, incremental_digests_match_one_shot, .timeout = 5)
{
    uint8_t a[CN_SHA256_LEN], b[CN_SHA256_LEN], m[CN_MD5_LEN], m2[CN_MD5_LEN];
    cn_digest_t *d = cn_digest_sha256_new();

    cn_digest_update(d, "a", 1);
    cn_digest_update(d, "", 0);
    cn_digest_update(d, "bc", 2);
    cn_digest_final(d, a);
    cn_sha256("abc", 3, b);
    cr_assert_arr_eq(a, b, sizeof(a));

    d = cn_digest_md5_new();
    cn_digest_update(d, "ab", 2);
    cn_digest_update(d, "c", 1);
    cn_digest_final(d, m);
    cn_md5("abc", 3, m2);
    cr_assert_arr_eq(m, m2, sizeof(m));
}

Test(hash, crc32_and_crc64nvme_check_values_and_chain, .timeout = 5)
{
    cr_assert_eq(cn_crc32(0, "123456789", 9), 0xCBF43926u);
    cr_assert_eq(cn_crc32(cn_crc32(0, "1234", 4), "56789", 5), 0xCBF43926u);
    cr_assert_eq(cn_crc64nvme(0, "123456789", 9), 0xAE8B14860A799888ull);
    cr_assert_eq(cn_crc64nvme(cn_crc64nvme(0, "12", 2), "3456789", 7), 0xAE8B14860A799888ull);
}

/* CRC-64/NVME bit by bit from its polynomial, against the slice-by-8 tables at every start
 * alignment and length around the 8-byte steps. */
static uint64_t crc64nvme_bitwise(const uint8_t *p, size_t n)
{
    uint64_t c = ~0ull;

    for (size_t i = 0; i < n; i++) {
        c ^= p[i];
        for (int k = 0; k < 8; k++)
            c = c & 1 ? (c >> 1) ^ 0x9a6c9329ac4bc9b5ull : c >> 1;
    }
    return ~c;
}

Test(hash, crc64nvme_slice_by_8_matches_the_polynomial, .timeout = 10)
{
    uint8_t b[600];

    cr_assert_eq(cn_random_bytes(b, sizeof(b)), 0);
    for (size_t off = 0; off < 8; off++)
        for (size_t n = 0; n + off <= sizeof(b); n += n < 40 ? 1 : 37)
            cr_assert_eq(cn_crc64nvme(0, b + off, n), crc64nvme_bitwise(b + off, n),
                         "off=%zu n=%zu", off, n);
}

/* The one pass (cn_hashset) against each one-shot function, for random bodies around the
 * step size cut into random updates, with every subset of the digests. */
Test(hash, hashset_matches_one_shot_functions, .timeout = 60)
{
    static const size_t sizes[] = {0, 1, 63, 64, 65, 4096, CN_HASH_STEP - 1, CN_HASH_STEP,
                                   CN_HASH_STEP + 1, 3 * CN_HASH_STEP + 12345};
    const unsigned all = CN_HASH_MD5 | CN_HASH_SHA1 | CN_HASH_SHA256 | CN_HASH_CRC32 |
                         CN_HASH_CRC32C | CN_HASH_CRC64NVME;
    size_t max = sizes[sizeof(sizes) / sizeof(sizes[0]) - 1];
    uint8_t *body = malloc(max);

    srand(19);
    cr_assert_eq(cn_random_bytes(body, max), 0);
    for (size_t si = 0; si < sizeof(sizes) / sizeof(sizes[0]); si++) {
        size_t n = sizes[si];
        uint8_t md5[CN_MD5_LEN], sha1[CN_SHA1_LEN], sha256[CN_SHA256_LEN];
        uint32_t crc32 = cn_crc32(0, body, n), crc32c = cn_crc32c(0, body, n);
        uint64_t crc64 = cn_crc64nvme(0, body, n);

        cn_md5(body, n, md5);
        SHA1(body, n, sha1);
        cn_sha256(body, n, sha256);
        for (unsigned want = 0; want <= all; want += 1 + (n > 4096 ? 6 : 0)) {
            cn_hashset_t h;
            cn_hashes_t got;
            size_t off = 0;

            cn_hashset_init(&h, want);
            while (off < n) { /* random update sizes, some over the step */
                size_t step = (size_t)rand() % (2 * CN_HASH_STEP + 7) + 1;
                if (rand() % 3 == 0)
                    step %= 200;
                step = step == 0 ? 1 : step > n - off ? n - off : step;
                cn_hashset_update(&h, body + off, step);
                off += step;
            }
            cn_hashset_final(&h, &got);
            cr_assert_eq(got.have, want);
            if (want & CN_HASH_MD5)
                cr_assert_arr_eq(got.md5, md5, sizeof(md5), "n=%zu want=%u", n, want);
            if (want & CN_HASH_SHA1)
                cr_assert_arr_eq(got.sha1, sha1, sizeof(sha1), "n=%zu want=%u", n, want);
            if (want & CN_HASH_SHA256)
                cr_assert_arr_eq(got.sha256, sha256, sizeof(sha256), "n=%zu want=%u", n, want);
            if (want & CN_HASH_CRC32)
                cr_assert_eq(got.crc32, crc32, "n=%zu want=%u", n, want);
            if (want & CN_HASH_CRC32C)
                cr_assert_eq(got.crc32c, crc32c, "n=%zu want=%u", n, want);
            if (want & CN_HASH_CRC64NVME)
                cr_assert_eq(got.crc64nvme, crc64, "n=%zu want=%u", n, want);
            cn_hashes(want, body, n, &got); /* the whole body at once */
            if (want & CN_HASH_MD5)
                cr_assert_arr_eq(got.md5, md5, sizeof(md5));
            if (want & CN_HASH_SHA256)
                cr_assert_arr_eq(got.sha256, sha256, sizeof(sha256));
        }
    }
    free(body);
}

Test(hash, hmac_sha256_rfc4231_case2, .timeout = 5)
{
    const char *data = "what do ya want for nothing?";
    uint8_t d[CN_SHA256_LEN];
    char hex[2 * CN_SHA256_LEN + 1];

    cn_hmac_sha256("Jefe", 4, data, strlen(data), d);
    hex_of(d, sizeof(d), hex);
    cr_assert_str_eq(hex, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

Test(hash, hex_round_trip, .timeout = 5)
{
    uint8_t in[256], out[256];
    char hex[513];

    for (int i = 0; i < 256; i++)
        in[i] = (uint8_t)i;
    cn_hex(in, sizeof(in), hex);
    cr_assert_eq(strlen(hex), 512);
    cr_assert_eq(strncmp(hex, "000102", 6), 0);
    cr_assert_eq(cn_unhex(hex, sizeof(out), out), 0);
    cr_assert_arr_eq(in, out, sizeof(in));
    cr_assert_eq(cn_unhex("ABcd", 2, out), 0);
    cr_assert_eq(out[0], 0xab);
    cr_assert_eq(out[1], 0xcd);
    cr_assert_eq(cn_unhex("zz", 1, out), CN_EINVAL);
    cr_assert_eq(cn_unhex("ab", 2, out), CN_EINVAL, "short string must fail, not over-read");
}

/* RFC 4648's test vectors, and what is refused: no padding past two, a length that is not a
 * multiple of 4, an empty input, too little room */
Test(hash, base64_decode, .timeout = 5)
{
    static const struct {
        const char *in, *out;
    } good[] = {{"Zg==", "f"}, {"Zm8=", "fo"}, {"Zm9v", "foo"}, {"Zm9vYg==", "foob"},
                {"Zm9vYmE=", "fooba"}, {"Zm9vYmFy", "foobar"}};
    static const char *const bad[] = {"", "Zg=", "Zm9vY", "Zg=\x3d=", "A===", "!!!!"};
    char out[16];
    size_t len;

    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        cr_assert_eq(cn_base64_decode(good[i].in, strlen(good[i].in), out, sizeof(out), &len), 0,
                     "%s", good[i].in);
        cr_assert_eq(len, strlen(good[i].out), "%s", good[i].in);
        cr_assert(memcmp(out, good[i].out, len) == 0, "%s", good[i].in);
    }
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        cr_assert_eq(cn_base64_decode(bad[i], strlen(bad[i]), out, sizeof(out), &len), CN_EINVAL,
                     "%s", bad[i]);
    cr_assert_eq(cn_base64_decode("Zm9vYmFy", 8, out, 5, &len), CN_EINVAL, "no room");
}

Test(hash, random_bytes_differ, .timeout = 5)
{
    uint8_t a[32], b[32];

    cr_assert_eq(cn_random_bytes(a, sizeof(a)), 0);
    cr_assert_eq(cn_random_bytes(b, sizeof(b)), 0);
    cr_assert(memcmp(a, b, sizeof(a)) != 0);
}

Test(clock, hlc_strictly_increasing, .timeout = 5)
{
    uint64_t prev = cn_hlc_next(), now = cn_now_ns();

    cr_assert(prev > 0);
    cr_assert(prev <= now + 1000000000ull, "HLC should track the wall clock");
    for (int i = 0; i < 100000; i++) {
        uint64_t v = cn_hlc_next();
        cr_assert(v > prev, "hlc went from %lu to %lu", (unsigned long)prev, (unsigned long)v);
        prev = v;
    }
}

Test(clock, hlc_observe_moves_forward, .timeout = 5)
{
    uint64_t now = cn_hlc_next();
    uint64_t future = now + 3600ull * 1000000000ull; /* a peer one hour ahead */

    cn_hlc_observe(future);
    cr_assert(cn_hlc_next() > future);
    cn_hlc_observe(now); /* an old clock never moves it back */
    cr_assert(cn_hlc_next() > future + 1);
}

Test(clock, date_formats, .timeout = 5)
{
    char iso[32], http[32];
    uint64_t ms = 1777629600123ull; /* 2026-05-01T10:00:00.123Z */

    cn_fmt_iso8601_ms(ms, iso, sizeof(iso));
    cr_assert_str_eq(iso, "2026-05-01T10:00:00.123Z");
    cn_fmt_http_date(ms, http, sizeof(http));
    cr_assert_str_eq(http, "Fri, 01 May 2026 10:00:00 GMT");
    cr_assert(cn_mono_ms() > 0);
    cr_assert(cn_now_ms() > 1700000000000ull);
}

Test(err, strerror_names, .timeout = 5)
{
    cr_assert_str_eq(cn_strerror(CN_ENOENT), "ENOENT: no such entry");
    cr_assert(strncmp(cn_strerror(CN_ECORRUPT), "ECORRUPT", 8) == 0);
    cr_assert_str_eq(cn_strerror(-EISDIR), strerror(EISDIR));
}
