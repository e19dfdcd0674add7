/* tests/unit/common/test_ec.c: tests common/ec.c and common/ec_frag.c: round trips for every
 * geometry we expect and the lengths around K, every erasure pattern of up to M lost fragments
 * for 4+2 and 8+3, more than M lost refused with nothing written, a fragment altered on disk
 * caught by its CRC and rebuilt from the others, the fragment header refusing every truncation,
 * every single-byte corruption and every bad field behind a good CRC, one codec shared by
 * threads. The known answers come from tests/unit/common/ec_vectors.py (GF(2^8) and the Cauchy
 * code from their definitions, CRC32C bit by bit), never from common/ec.c or ISA-L; one test
 * also checks the parity against ISA-L's portable reference, ec_encode_data_base. */
#include <criterion/criterion.h>
#include <isa-l/erasure_code.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/ec.h"
#include "common/ec_frag.h"
#include "common/err.h"
#include "common/hash.h"

#define MAXF CN_EC_MAX_FRAGS

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

/* One encoded chunk: the codec, the chunk and its K + M fragments. */
typedef struct set {
    cn_ec_t *ec;
    unsigned k, m, n; /* n = K + M */
    size_t len, f;
    uint8_t *chunk;
    uint8_t *frags[MAXF];
} set_t;

static void set_make(set_t *s, unsigned k, unsigned m, size_t len, uint8_t seed)
{
    memset(s, 0, sizeof(*s));
    cr_assert_eq(cn_ec_create(k, m, &s->ec), 0, "%u+%u", k, m);
    s->k = k;
    s->m = m;
    s->n = k + m;
    s->len = len;
    s->f = cn_ec_frag_len(s->ec, len);
    s->chunk = malloc(len + 1);
    fill(s->chunk, len, seed);
    for (unsigned i = 0; i < s->n; i++) {
        s->frags[i] = malloc(s->f + 1);
        memset(s->frags[i], 0xee, s->f); /* encode must write every byte */
    }
    cr_assert_eq(cn_ec_encode(s->ec, s->chunk, len, s->frags), 0);
}

static void set_free(set_t *s)
{
    for (unsigned i = 0; i < s->n; i++)
        free(s->frags[i]);
    free(s->chunk);
    cn_ec_destroy(s->ec);
}

/* Data fragment i is the chunk's bytes [i * F, (i + 1) * F), zeros past the end. */
static void check_data_layout(const set_t *s)
{
    for (unsigned i = 0; i < s->k; i++) {
        for (size_t x = 0; x < s->f; x++) {
            size_t at = i * s->f + x;
            uint8_t want = at < s->len ? s->chunk[at] : 0;
            cr_assert_eq(s->frags[i][x], want, "%u+%u len %zu: data %u byte %zu", s->k, s->m,
                         s->len, i, x);
        }
    }
}

/* Loses the fragments in mask (bit i: fragment i), then rebuilds them with cn_ec_decode and
 * the chunk with cn_ec_reconstruct_chunk, and compares both with the originals. */
static void lose_and_rebuild(const set_t *s, uint32_t mask)
{
    uint8_t *frags[MAXF], present[MAXF];
    uint8_t *out = malloc(s->len + 1);

    for (unsigned i = 0; i < s->n; i++) {
        present[i] = !(mask >> i & 1);
        frags[i] = present[i] ? s->frags[i] : NULL;
    }
    memset(out, 0xaa, s->len + 1);
    cr_assert_eq(cn_ec_reconstruct_chunk(s->ec, (const uint8_t *const *)frags, present, s->f,
                                         out, s->len),
                 0, "%u+%u len %zu mask %#x", s->k, s->m, s->len, mask);
    cr_assert(s->len == 0 || memcmp(out, s->chunk, s->len) == 0, "%u+%u len %zu mask %#x: chunk",
              s->k, s->m, s->len, mask);
    cr_assert_eq(out[s->len], 0xaa, "wrote past the chunk");
    for (unsigned i = 0; i < s->n; i++) {
        if (!present[i]) {
            frags[i] = malloc(s->f + 1);
            memset(frags[i], 0xaa, s->f);
        }
    }
    cr_assert_eq(cn_ec_decode(s->ec, frags, present, s->f), 0);
    for (unsigned i = 0; i < s->n; i++) {
        cr_assert(s->f == 0 || memcmp(frags[i], s->frags[i], s->f) == 0,
                  "%u+%u len %zu mask %#x: fragment %u", s->k, s->m, s->len, mask, i);
        if (!present[i])
            free(frags[i]);
    }
    free(out);
}

static const unsigned geometries[][2] = {{1, 1}, {2, 1}, {4, 2}, {8, 3}, {12, 4}, {14, 2}};

Test(ec, create_bounds, .timeout = 5)
{
    cn_ec_t *ec = NULL;
    static const unsigned bad[][2] = {{0, 1}, {1, 0}, {0, 0}, {16, 1}, {1, 16}, {9, 8}, {17, 0}};
    static const unsigned good[][2] = {{1, 1}, {15, 1}, {1, 15}, {8, 8}, {10, 6}};

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        cr_assert_eq(cn_ec_create(bad[i][0], bad[i][1], &ec), CN_EINVAL, "%u+%u", bad[i][0],
                     bad[i][1]);
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        cr_assert_eq(cn_ec_create(good[i][0], good[i][1], &ec), 0);
        cr_assert_eq(cn_ec_k(ec), good[i][0]);
        cr_assert_eq(cn_ec_m(ec), good[i][1]);
        cn_ec_destroy(ec);
    }
    cn_ec_destroy(NULL);
}

Test(ec, fragment_length_is_ceil_of_chunk_over_k, .timeout = 5)
{
    cn_ec_t *ec;

    cr_assert_eq(cn_ec_create(4, 2, &ec), 0);
    cr_assert_eq(cn_ec_frag_len(ec, 0), 0);
    cr_assert_eq(cn_ec_frag_len(ec, 1), 1);
    cr_assert_eq(cn_ec_frag_len(ec, 3), 1);
    cr_assert_eq(cn_ec_frag_len(ec, 4), 1);
    cr_assert_eq(cn_ec_frag_len(ec, 5), 2);
    cr_assert_eq(cn_ec_frag_len(ec, 8u << 20), 2u << 20);
    cr_assert_eq(cn_ec_frag_len(ec, CN_EC_CHUNK_MAX), 0x20000000u);
    cn_ec_destroy(ec);
    cr_assert_eq(cn_ec_frag_len_k(1, CN_EC_CHUNK_MAX), CN_EC_CHUNK_MAX);
    cr_assert_eq(cn_ec_frag_len_k(3, 10), 4);
    cr_assert_eq(cn_ec_frag_len_k(15, 15), 1);
    cr_assert_eq(cn_ec_frag_len_k(15, 16), 2);
}

Test(ec, round_trip_every_geometry_and_length, .timeout = 60)
{
    for (size_t g = 0; g < sizeof(geometries) / sizeof(geometries[0]); g++) {
        unsigned k = geometries[g][0], m = geometries[g][1];
        size_t lens[] = {0, 1, k - 1, k, k + 1, 64 * 1024, 5 * 1024 * 1024 + 7};
        for (size_t l = 0; l < sizeof(lens) / sizeof(lens[0]); l++) {
            set_t s;
            uint32_t tail = 0, first = 0, mixed = 0;
            set_make(&s, k, m, lens[l], (uint8_t)(g + l));
            check_data_layout(&s);
            lose_and_rebuild(&s, 0);
            /* the M last data fragments (the padded one among them), or all of them */
            for (unsigned i = 0; i < m && i < k; i++)
                tail |= 1u << (k - 1 - i);
            /* the M first fragments */
            for (unsigned i = 0; i < m; i++)
                first |= 1u << i;
            /* the first data fragment and the last parity ones */
            mixed = 1u;
            for (unsigned i = 0; i + 1 < m; i++)
                mixed |= 1u << (k + m - 1 - i);
            lose_and_rebuild(&s, tail);
            lose_and_rebuild(&s, first);
            lose_and_rebuild(&s, mixed);
            lose_and_rebuild(&s, ((1u << m) - 1) << k); /* every parity fragment */
            set_free(&s);
        }
    }
}

/* Where the chunk ends (the fragment that holds its end has fewer than K bytes of padding)
 * against the passes of 128 KiB that encode and reconstruct make over each fragment: every
 * length around fragments of 1 and 2 passes, with that fragment lost alone and with others. */
Test(ec, chunk_end_around_the_passes, .timeout = 60)
{
    for (unsigned k = 3; k <= 4; k++) {
        for (size_t base = 128u << 10; base <= 256u << 10; base *= 2) {
            for (size_t len = k * base - 2 * k; len <= k * base + 2 * k; len++) {
                set_t s;
                set_make(&s, k, 2, len, (uint8_t)len);
                check_data_layout(&s);
                lose_and_rebuild(&s, 1u << (k - 1));
                lose_and_rebuild(&s, 1u << (k - 1) | 1u << 0);
                lose_and_rebuild(&s, 1u << (k - 1) | 1u << (k + 1));
                lose_and_rebuild(&s, 1u << (k - 2) | 1u << k);
                set_free(&s);
            }
        }
    }
}

/* Every pattern of 1..M lost fragments out of K + M. */
static void every_pattern(unsigned k, unsigned m, size_t len)
{
    set_t s;
    unsigned patterns = 0;

    set_make(&s, k, m, len, 3);
    for (uint32_t mask = 1; mask < 1u << (k + m); mask++) {
        if ((unsigned)__builtin_popcount(mask) > m)
            continue;
        lose_and_rebuild(&s, mask);
        patterns++;
    }
    set_free(&s);
    /* sum of C(K + M, i) for i in 1..M */
    if (k == 4 && m == 2)
        cr_assert_eq(patterns, 6 + 15);
    if (k == 8 && m == 3)
        cr_assert_eq(patterns, 11 + 55 + 165);
}

Test(ec, every_erasure_pattern_4_2, .timeout = 60)
{
    every_pattern(4, 2, (1u << 20) + 3);
}

Test(ec, every_erasure_pattern_8_3, .timeout = 60)
{
    every_pattern(8, 3, (256u << 10) + 5);
}

Test(ec, more_than_m_lost_is_einval_and_writes_nothing, .timeout = 30)
{
    set_t s;
    unsigned refused = 0;

    set_make(&s, 4, 2, 1000, 9);
    for (uint32_t mask = 1; mask < 1u << s.n; mask++) {
        uint8_t *frags[MAXF], present[MAXF], *out = malloc(s.len);
        if ((unsigned)__builtin_popcount(mask) <= s.m) {
            free(out);
            continue;
        }
        for (unsigned i = 0; i < s.n; i++) {
            present[i] = !(mask >> i & 1);
            frags[i] = malloc(s.f);
            if (present[i])
                memcpy(frags[i], s.frags[i], s.f);
            else
                memset(frags[i], 0xaa, s.f);
        }
        memset(out, 0xbb, s.len);
        cr_assert_eq(cn_ec_decode(s.ec, frags, present, s.f), CN_EINVAL, "mask %#x", mask);
        cr_assert_eq(cn_ec_reconstruct_chunk(s.ec, (const uint8_t *const *)frags, present, s.f,
                                             out, s.len),
                     CN_EINVAL, "mask %#x", mask);
        for (size_t x = 0; x < s.len; x++)
            cr_assert_eq(out[x], 0xbb, "mask %#x: the chunk was written", mask);
        for (unsigned i = 0; i < s.n; i++) {
            for (size_t x = 0; !present[i] && x < s.f; x++)
                cr_assert_eq(frags[i][x], 0xaa, "mask %#x: fragment %u was written", mask, i);
            free(frags[i]);
        }
        free(out);
        refused++;
    }
    cr_assert_eq(refused, 20 + 15 + 6 + 1); /* C(6, 3..6) */
    set_free(&s);
}

Test(ec, decode_rebuilds_only_the_wanted_fragments, .timeout = 5)
{
    set_t s;
    uint8_t *frags[MAXF], present[MAXF], *one = malloc(1000);

    set_make(&s, 8, 3, 8000, 5);
    /* repair of fragment 9 from exactly K fragments (1..8): the others are not wanted */
    for (unsigned i = 0; i < s.n; i++) {
        present[i] = i >= 1 && i <= 8;
        frags[i] = present[i] ? s.frags[i] : NULL;
    }
    frags[9] = one;
    memset(one, 0, 1000);
    cr_assert_eq(cn_ec_decode(s.ec, frags, present, s.f), 0);
    cr_assert_arr_eq(one, s.frags[9], s.f);
    /* nothing lost: nothing to do */
    for (unsigned i = 0; i < s.n; i++) {
        present[i] = 1;
        frags[i] = s.frags[i];
    }
    cr_assert_eq(cn_ec_decode(s.ec, frags, present, s.f), 0);
    free(one);
    set_free(&s);
}

Test(ec, lengths_past_the_bound_are_einval, .timeout = 5)
{
    set_t s;
    uint8_t present[MAXF] = {1, 1, 1, 1, 1, 1};

    set_make(&s, 4, 2, 100, 1);
    cr_assert_eq(cn_ec_encode(s.ec, s.chunk, (size_t)CN_EC_CHUNK_MAX + 1, s.frags), CN_EINVAL);
    cr_assert_eq(cn_ec_encode_parity(s.ec, (const uint8_t *const *)s.frags,
                                     (size_t)CN_EC_CHUNK_MAX + 1, s.frags + 4),
                 CN_EINVAL);
    cr_assert_eq(cn_ec_decode(s.ec, s.frags, present, (size_t)CN_EC_CHUNK_MAX + 1), CN_EINVAL);
    /* frag_len must be the chunk's */
    cr_assert_eq(cn_ec_reconstruct_chunk(s.ec, (const uint8_t *const *)s.frags, present, 26,
                                         s.chunk, 100),
                 CN_EINVAL);
    cr_assert_eq(cn_ec_reconstruct_chunk(s.ec, (const uint8_t *const *)s.frags, present, 25,
                                         s.chunk, (size_t)CN_EC_CHUNK_MAX + 1),
                 CN_EINVAL);
    set_free(&s);
}

/* ---- known answers (ec_vectors.py) --------------------------------------------------- */

static void check_parity_hex(unsigned k, unsigned m, size_t len, const char *const *hex)
{
    set_t s;
    uint8_t want[64];

    set_make(&s, k, m, len, 7);
    for (unsigned j = 0; j < m; j++) {
        unhex(hex[j], want, s.f);
        cr_assert_arr_eq(s.frags[k + j], want, s.f, "%u+%u parity %u", k, m, j);
    }
    set_free(&s);
}

Test(ec, known_answers_short, .timeout = 5)
{
    static const char *const p42[] = {"300ea07258e7bc830448", "043a5a336cd35ba44dd0"};
    static const char *const p83[] = {"62a732e0c0", "d85fb10d48", "79703b016f"};
    static const char *const p11[] = {"078a0d9013"}; /* 1+1: the parity is a copy */

    check_parity_hex(4, 2, 37, p42);
    check_parity_hex(8, 3, 37, p83);
    check_parity_hex(1, 1, 5, p11);
}

/* The parity of data fragments taken straight from a chunk's buffer (the last one padded by
 * the caller), against the same known answers. */
Test(ec, encode_parity_from_the_chunk_buffer, .timeout = 5)
{
    static const char *const p42[] = {"300ea07258e7bc830448", "043a5a336cd35ba44dd0"};
    uint8_t buf[40] = {0}, par0[10], par1[10], want[10];
    uint8_t *par[2] = {par0, par1};
    const uint8_t *data[4];
    cn_ec_t *ec;

    fill(buf, 37, 7); /* 37 bytes, 3 zeros of padding: 4 fragments of 10 */
    for (unsigned i = 0; i < 4; i++)
        data[i] = buf + i * 10;
    cr_assert_eq(cn_ec_create(4, 2, &ec), 0);
    cr_assert_eq(cn_ec_encode_parity(ec, data, 10, par), 0);
    for (unsigned j = 0; j < 2; j++) {
        unhex(p42[j], want, sizeof(want));
        cr_assert_arr_eq(par[j], want, sizeof(want), "parity %u", j);
    }
    cn_ec_destroy(ec);
}

Test(ec, known_answers_64k, .timeout = 10)
{
    static const uint32_t c42[] = {0xe4837b01, 0x7c7138b8};
    static const uint32_t c83[] = {0xedb4620d, 0xab3ac5b5, 0xd1713e30};
    static const uint32_t c124[] = {0x15a1e9b1, 0x2698ceb7, 0x153a03a1, 0xbbc295e9};
    static const struct {
        unsigned k, m;
        const uint32_t *crc;
    } v[] = {{4, 2, c42}, {8, 3, c83}, {12, 4, c124}};

    for (size_t i = 0; i < 3; i++) {
        set_t s;
        set_make(&s, v[i].k, v[i].m, 65536 + 3, 7);
        for (unsigned j = 0; j < v[i].m; j++)
            cr_assert_eq(cn_crc32c(0, s.frags[v[i].k + j], s.f), v[i].crc[j],
                         "%u+%u parity %u: crc32c %08x", v[i].k, v[i].m, j,
                         cn_crc32c(0, s.frags[v[i].k + j], s.f));
        set_free(&s);
    }
}

/* The parity against ISA-L's portable code with the Cauchy rows written out here: catches a
 * wrong matrix, row order or table set-up in ec.c for every geometry, not only the vectors'. */
Test(ec, parity_matches_isal_base_reference, .timeout = 30)
{
    for (unsigned k = 1; k < MAXF; k++) {
        for (unsigned m = 1; k + m <= MAXF; m++) {
            set_t s;
            uint8_t coef[MAXF * MAXF], *tbls = malloc(32 * MAXF * MAXF);
            unsigned char *src[MAXF], *dst[MAXF];
            set_make(&s, k, m, 1000 + k * 7 + m, (uint8_t)(k * 16 + m));
            for (unsigned j = 0; j < m; j++)
                for (unsigned c = 0; c < k; c++)
                    coef[j * k + c] = gf_inv((unsigned char)((k + j) ^ c));
            ec_init_tables((int)k, (int)m, coef, tbls);
            for (unsigned c = 0; c < k; c++)
                src[c] = s.frags[c];
            for (unsigned j = 0; j < m; j++)
                dst[j] = calloc(1, s.f);
            ec_encode_data_base((int)s.f, (int)k, (int)m, tbls, src, dst);
            for (unsigned j = 0; j < m; j++) {
                cr_assert_arr_eq(dst[j], s.frags[k + j], s.f, "%u+%u parity %u", k, m, j);
                free(dst[j]);
            }
            free(tbls);
            set_free(&s);
        }
    }
}

/* ---- one codec, many threads ----------------------------------------------------------- */

typedef struct job {
    const set_t *s;
    pthread_barrier_t *go;
    unsigned first; /* where in masks[] this thread starts */
    int ok;
} job_t;

/* Every pattern of 1..M lost fragments of 8+3 (231), so threads decode different ones. */
static uint32_t masks[1u << 11];
static unsigned nmasks;

static void *worker(void *arg)
{
    job_t *j = arg;
    const set_t *s = j->s;
    uint8_t *frags[MAXF], present[MAXF], *par[MAXF];
    uint8_t *out = malloc(s->len);

    j->ok = 1;
    for (unsigned i = 0; i < s->m; i++)
        par[i] = malloc(s->f);
    pthread_barrier_wait(j->go);
    for (unsigned round = 0; round < 300 && j->ok; round++) {
        uint32_t mask = masks[(j->first + round * 7) % nmasks];
        for (unsigned i = 0; i < s->n; i++) {
            present[i] = !(mask >> i & 1);
            frags[i] = present[i] ? s->frags[i] : NULL;
        }
        if (cn_ec_reconstruct_chunk(s->ec, (const uint8_t *const *)frags, present, s->f, out,
                                    s->len) != 0 ||
            memcmp(out, s->chunk, s->len) != 0)
            j->ok = 0;
        if (round % 8 == 0) {
            if (cn_ec_encode_parity(s->ec, (const uint8_t *const *)s->frags, s->f, par) != 0)
                j->ok = 0;
            for (unsigned i = 0; i < s->m; i++)
                if (memcmp(par[i], s->frags[s->k + i], s->f) != 0)
                    j->ok = 0;
        }
    }
    for (unsigned i = 0; i < s->m; i++)
        free(par[i]);
    free(out);
    return NULL;
}

Test(ec, one_codec_shared_by_threads, .timeout = 60)
{
    set_t s;
    pthread_t t[4];
    pthread_barrier_t go;
    job_t jobs[4];

    set_make(&s, 8, 3, (1u << 20) + 1, 4);
    for (uint32_t mask = 1; mask < 1u << s.n; mask++)
        if ((unsigned)__builtin_popcount(mask) <= s.m)
            masks[nmasks++] = mask;
    cr_assert_eq(pthread_barrier_init(&go, NULL, 4), 0);
    for (unsigned i = 0; i < 4; i++) {
        jobs[i] = (job_t){.s = &s, .go = &go, .first = i * 61};
        cr_assert_eq(pthread_create(&t[i], NULL, worker, &jobs[i]), 0);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(t[i], NULL);
        cr_assert(jobs[i].ok, "thread %d got wrong bytes", i);
    }
    pthread_barrier_destroy(&go);
    set_free(&s);
}

/* ---- the fragment format ------------------------------------------------------------- */

#define CHUNK_KEY "\x01" "c/bkt/key/0000000000000001/000000"
#define CLOCK 1732330000000000001ull

/* The stored form (header, then payload) of fragment index of s; malloc'd, *len its size. */
static uint8_t *stored(const set_t *s, unsigned index, size_t *len)
{
    cn_frag_hdr_t h = {.k = (uint8_t)s->k, .m = (uint8_t)s->m, .index = (uint8_t)index,
                       .clock = CLOCK, .chunk_len = s->len};
    uint8_t *p = malloc(CN_FRAG_HDR_LEN + s->f + 1);

    cn_frag_chunk_id(CHUNK_KEY, sizeof(CHUNK_KEY) - 1, h.chunk_id);
    cn_frag_encode(&h, s->frags[index], p);
    cr_assert_eq(h.payload_len, s->f);
    memcpy(p + CN_FRAG_HDR_LEN, s->frags[index], s->f);
    *len = CN_FRAG_HDR_LEN + s->f;
    return p;
}

static int is_zero(const cn_frag_hdr_t *h)
{
    static const cn_frag_hdr_t zero;
    return memcmp(h, &zero, sizeof(zero)) == 0;
}

Test(frag, known_answer_header, .timeout = 5)
{
    set_t s;
    uint8_t want[CN_FRAG_HDR_LEN], id[CN_FRAG_ID_LEN], want_id[CN_FRAG_ID_LEN];
    size_t len;
    uint8_t *p;

    cn_frag_chunk_id(CHUNK_KEY, sizeof(CHUNK_KEY) - 1, id);
    unhex("80af8bcccdd27a3d30f025ed0ed57373", want_id, sizeof(want_id));
    cr_assert_arr_eq(id, want_id, sizeof(id));
    set_make(&s, 4, 2, 37, 7);
    p = stored(&s, 5, &len);
    unhex("434e45460104020580af8bcccdd27a3d30f025ed0ed5737301a0c0ebf4780a18250000000000"
          "00000a00000005147e5400000000000000000000000028bcd023",
          want, sizeof(want));
    cr_assert_arr_eq(p, want, CN_FRAG_HDR_LEN);
    free(p);
    set_free(&s);
}

Test(frag, round_trip_then_rebuild_from_decoded_payloads, .timeout = 5)
{
    set_t s;
    cn_frag_hdr_t h[MAXF];
    const uint8_t *payload[MAXF];
    uint8_t *st[MAXF], present[MAXF], *out;
    size_t len[MAXF];

    set_make(&s, 4, 2, 1001, 11);
    out = malloc(s.len);
    for (unsigned i = 0; i < s.n; i++) {
        st[i] = stored(&s, i, &len[i]);
        cr_assert_eq(cn_frag_decode(st[i], len[i], &h[i], &payload[i]), 0);
        cr_assert_eq(h[i].k, 4);
        cr_assert_eq(h[i].m, 2);
        cr_assert_eq(h[i].index, i);
        cr_assert_eq(h[i].clock, CLOCK);
        cr_assert_eq(h[i].chunk_len, 1001);
        cr_assert_eq(h[i].payload_len, 251);
        cr_assert_eq(h[i].payload_crc, cn_crc32c(0, s.frags[i], s.f));
        cr_assert_eq(payload[i], st[i] + CN_FRAG_HDR_LEN);
        cr_assert(cn_frag_same_chunk(&h[0], &h[i]));
        /* what the header decoder alone reads, and the payload checked apart */
        cn_frag_hdr_t only;
        cr_assert_eq(cn_frag_hdr_decode(st[i], CN_FRAG_HDR_LEN, &only), 0);
        cr_assert_eq(memcmp(&only, &h[i], sizeof(only)), 0);
        cr_assert_eq(cn_frag_check_payload(&only, payload[i], s.f), 0);
        cr_assert_eq(cn_frag_check_payload(&only, payload[i], s.f - 1), CN_ECORRUPT);
        /* re-encoding a decoded header gives the same bytes */
        uint8_t again[CN_FRAG_HDR_LEN];
        cn_frag_hdr_encode(&h[i], again);
        cr_assert_arr_eq(again, st[i], CN_FRAG_HDR_LEN);
    }
    /* the two first data fragments lost: the chunk from what decoded */
    for (unsigned i = 0; i < s.n; i++)
        present[i] = i >= 2;
    cr_assert_eq(cn_ec_reconstruct_chunk(s.ec, payload, present, h[2].payload_len, out,
                                         h[2].chunk_len),
                 0);
    cr_assert_arr_eq(out, s.chunk, s.len);
    for (unsigned i = 0; i < s.n; i++)
        free(st[i]);
    free(out);
    set_free(&s);
}

/* Four bytes that, appended to bytes whose CRC32C is crc, leave it unchanged: CRC32C is linear
 * in its register, so they are the register run backwards 32 steps (reflected polynomial
 * 0x82f63b78) xor the register itself. Checked with cn_crc32c by the caller. */
static void crc_keeping_tail(uint32_t crc, uint8_t out[4])
{
    uint32_t r = ~crc, x = r;

    for (int i = 0; i < 32; i++)
        x = (x & 0x80000000u) ? ((x ^ 0x82f63b78u) << 1) | 1 : x << 1;
    cn_put_u32le(out, x ^ r);
}

Test(frag, every_truncation_refused, .timeout = 10)
{
    set_t s;
    cn_frag_hdr_t h;
    const uint8_t *payload;
    size_t len;
    uint8_t *p;

    set_make(&s, 8, 3, 300, 1);
    p = stored(&s, 9, &len);
    for (size_t n = 0; n < len; n++) {
        memset(&h, 0xff, sizeof(h));
        payload = p;
        cr_assert_eq(cn_frag_decode(p, n, &h, &payload), CN_ECORRUPT, "cut at %zu", n);
        cr_assert(is_zero(&h) && payload == NULL, "cut at %zu: output left set", n);
        if (n < CN_FRAG_HDR_LEN) {
            memset(&h, 0xff, sizeof(h));
            cr_assert_eq(cn_frag_hdr_decode(p, n, &h), CN_ECORRUPT, "header cut at %zu", n);
            cr_assert(is_zero(&h));
        }
    }
    cr_assert_eq(cn_frag_decode(p, len, &h, &payload), 0);
    /* a byte after the payload: not a fragment this header describes */
    p[len] = 0;
    cr_assert_eq(cn_frag_decode(p, len + 1, &h, &payload), CN_ECORRUPT);
    cr_assert(is_zero(&h) && payload == NULL);
    /* four bytes after it that keep the payload's CRC: the length alone refuses them */
    p = realloc(p, len + 4);
    crc_keeping_tail(cn_crc32c(0, p + CN_FRAG_HDR_LEN, len - CN_FRAG_HDR_LEN), p + len);
    cr_assert_eq(cn_crc32c(0, p + CN_FRAG_HDR_LEN, len + 4 - CN_FRAG_HDR_LEN),
                 cn_crc32c(0, p + CN_FRAG_HDR_LEN, len - CN_FRAG_HDR_LEN));
    cr_assert_eq(cn_frag_decode(p, len + 4, &h, &payload), CN_ECORRUPT);
    cr_assert(is_zero(&h) && payload == NULL);
    free(p);
    set_free(&s);
}

Test(frag, every_single_byte_corruption_refused, .timeout = 30)
{
    set_t s;
    cn_frag_hdr_t h;
    const uint8_t *payload;
    size_t len;
    uint8_t *p;

    set_make(&s, 4, 2, 150, 2);
    p = stored(&s, 1, &len);
    for (size_t at = 0; at < len; at++) {
        for (unsigned v = 1; v < 256; v++) {
            p[at] ^= (uint8_t)v;
            cr_assert_eq(cn_frag_decode(p, len, &h, &payload), CN_ECORRUPT, "byte %zu ^ %#x",
                         at, v);
            cr_assert(is_zero(&h) && payload == NULL);
            if (at < CN_FRAG_HDR_LEN)
                cr_assert_eq(cn_frag_hdr_decode(p, len, &h), CN_ECORRUPT, "byte %zu ^ %#x", at,
                             v);
            p[at] ^= (uint8_t)v;
        }
    }
    cr_assert_eq(cn_frag_decode(p, len, &h, &payload), 0);
    free(p);
    set_free(&s);
}

/* A header with one field set to v (size bytes, little-endian, at off) and a good CRC: the
 * field checks behind the CRC must refuse it on their own. */
static void put_le(uint8_t *b, size_t off, size_t size, uint64_t v)
{
    for (size_t i = 0; i < size; i++)
        b[off + i] = (uint8_t)(v >> (8 * i));
}

static int decode_with(const uint8_t *good, size_t off, size_t size, uint64_t v)
{
    uint8_t b[CN_FRAG_HDR_LEN];
    cn_frag_hdr_t h;
    int rc;

    memcpy(b, good, sizeof(b));
    put_le(b, off, size, v);
    cn_put_u32le(b + 60, cn_crc32c(0, b, 60));
    memset(&h, 0xff, sizeof(h));
    rc = cn_frag_hdr_decode(b, sizeof(b), &h);
    cr_assert(rc == 0 || is_zero(&h), "off %zu = %#llx: refused but output left set", off,
              (unsigned long long)v);
    return rc;
}

Test(frag, every_field_checked_behind_a_good_crc, .timeout = 5)
{
    set_t s;
    size_t len;
    uint8_t *p;

    set_make(&s, 4, 2, 1000, 3);
    p = stored(&s, 0, &len);
    /* the control: rewriting a field with its own value passes, so the CRC is recomputed right */
    cr_assert_eq(decode_with(p, 5, 1, 4), 0);
    cr_assert_eq(decode_with(p, 0, 4, 0x46454e44), CN_ECORRUPT);    /* magic */
    cr_assert_eq(decode_with(p, 0, 4, 0x434e4546), CN_ECORRUPT);    /* magic, big-endian */
    cr_assert_eq(decode_with(p, 4, 1, 0), CN_ECORRUPT);             /* version */
    cr_assert_eq(decode_with(p, 4, 1, 2), CN_ECORRUPT);
    cr_assert_eq(decode_with(p, 5, 1, 0), CN_ECORRUPT);             /* K = 0 */
    cr_assert_eq(decode_with(p, 6, 1, 0), CN_ECORRUPT);             /* M = 0 */
    cr_assert_eq(decode_with(p, 6, 1, 13), CN_ECORRUPT);            /* K + M = 17 */
    cr_assert_eq(decode_with(p, 6, 1, 12), 0);                      /* K + M = 16 */
    cr_assert_eq(decode_with(p, 7, 1, 6), CN_ECORRUPT);             /* index = K + M */
    cr_assert_eq(decode_with(p, 7, 1, 255), CN_ECORRUPT);
    cr_assert_eq(decode_with(p, 7, 1, 5), 0);
    cr_assert_eq(decode_with(p, 40, 4, 251), CN_ECORRUPT);          /* payload length + 1 */
    cr_assert_eq(decode_with(p, 40, 4, 249), CN_ECORRUPT);          /* - 1 */
    cr_assert_eq(decode_with(p, 32, 8, 1001), CN_ECORRUPT);         /* L without its length */
    cr_assert_eq(decode_with(p, 32, 8, 997), 0);                    /* ceil(997 / 4) = 250 */
    cr_assert_eq(decode_with(p, 32, 8, 1ull << 63), CN_ECORRUPT);
    for (size_t at = 48; at < 60; at++)                             /* reserved */
        cr_assert_eq(decode_with(p, at, 1, 1), CN_ECORRUPT, "reserved byte %zu", at);
    free(p);

    /* the largest chunk: L = CN_EC_CHUNK_MAX passes, one more does not */
    uint8_t b[CN_FRAG_HDR_LEN];
    cn_frag_hdr_t h = {.k = 1, .m = 15, .index = 15, .chunk_len = CN_EC_CHUNK_MAX,
                       .payload_len = CN_EC_CHUNK_MAX};
    cn_frag_hdr_encode(&h, b);
    cr_assert_eq(decode_with(b, 0, 0, 0), 0);
    cr_assert_eq(decode_with(b, 32, 8, (uint64_t)CN_EC_CHUNK_MAX + 1), CN_ECORRUPT);
    cr_assert_eq(decode_with(b, 40, 4, (uint64_t)CN_EC_CHUNK_MAX + 1), CN_ECORRUPT);
    /* both lengths one past the bound and consistent (K = 1): only the bound refuses it */
    put_le(b, 32, 8, (uint64_t)CN_EC_CHUNK_MAX + 1);
    cr_assert_eq(decode_with(b, 40, 4, (uint64_t)CN_EC_CHUNK_MAX + 1), CN_ECORRUPT);
    set_free(&s);
}

Test(frag, altered_payload_is_caught_and_rebuilt_from_the_others, .timeout = 5)
{
    set_t s;
    cn_frag_hdr_t h;
    const uint8_t *payload[MAXF];
    uint8_t *st[MAXF], present[MAXF], *out;
    size_t len[MAXF];

    set_make(&s, 4, 2, 4000, 6);
    out = malloc(s.len);
    for (unsigned i = 0; i < s.n; i++)
        st[i] = stored(&s, i, &len[i]);
    st[1][CN_FRAG_HDR_LEN + 500] ^= 0x01; /* a data fragment */
    st[4][len[4] - 1] ^= 0x80;            /* a parity fragment */
    for (unsigned i = 0; i < s.n; i++) {
        int rc = cn_frag_decode(st[i], len[i], &h, &payload[i]);
        cr_assert_eq(rc, i == 1 || i == 4 ? CN_ECORRUPT : 0, "fragment %u", i);
        present[i] = rc == 0;
    }
    cr_assert_eq(cn_ec_reconstruct_chunk(s.ec, payload, present, s.f, out, s.len), 0);
    cr_assert_arr_eq(out, s.chunk, s.len);
    for (unsigned i = 0; i < s.n; i++)
        free(st[i]);
    free(out);
    set_free(&s);
}

Test(frag, same_chunk_compares_id_clock_and_geometry, .timeout = 5)
{
    cn_frag_hdr_t a = {.k = 4, .m = 2, .index = 0, .clock = 5, .chunk_len = 100}, b;

    cn_frag_chunk_id("x", 1, a.chunk_id);
    b = a;
    b.index = 3;
    b.payload_crc = 7;
    cr_assert(cn_frag_same_chunk(&a, &b));
    b = a;
    b.chunk_id[15] ^= 1;
    cr_assert_not(cn_frag_same_chunk(&a, &b));
    b = a;
    b.clock++;
    cr_assert_not(cn_frag_same_chunk(&a, &b));
    b = a;
    b.k = 3;
    cr_assert_not(cn_frag_same_chunk(&a, &b));
    b = a;
    b.m = 3;
    cr_assert_not(cn_frag_same_chunk(&a, &b));
    b = a;
    b.chunk_len = 99;
    cr_assert_not(cn_frag_same_chunk(&a, &b));
}

/* cn_frag_pick_write: the newest write with k distinct good indexes; an index twice counts
 * once; bad fragments do not count. */
Test(frag, pick_write_takes_the_newest_write_with_k, .timeout = 5)
{
    cn_frag_hdr_t h[6];
    uint8_t ok[6] = {1, 1, 1, 1, 1, 1};

    for (int i = 0; i < 6; i++)
        h[i] = (cn_frag_hdr_t){.k = 2, .m = 1, .chunk_len = 10, .payload_len = 5};
    /* write 100: indexes 0 and 1; write 200: index 0 twice (cur and prev owner) and 2 */
    h[0].clock = 100, h[0].index = 0;
    h[1].clock = 100, h[1].index = 1;
    h[2].clock = 200, h[2].index = 0;
    h[3].clock = 200, h[3].index = 0;
    h[4].clock = 300, h[4].index = 1; /* alone */
    h[5].clock = 200, h[5].index = 2;
    cr_assert_eq(cn_frag_pick_write(h, ok, 6, 2), 2, "200 has indexes 0 and 2");
    ok[5] = 0; /* 200's index 2 bad: its index 0 twice is one */
    cr_assert_eq(cn_frag_pick_write(h, ok, 6, 2), 0, "then 100, the only one with 2");
    ok[1] = 0;
    cr_assert_eq(cn_frag_pick_write(h, ok, 6, 2), -1, "none has 2");
    cr_assert_eq(cn_frag_pick_write(h, ok, 6, 1), 4, "with k = 1 the newest alone");
}
