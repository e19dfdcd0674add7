/*
 * common/ec.c: Reed-Solomon over ISA-L (the code and its reasons in ec.h).
 * cn_ec_create builds the (K + M) x K systematic Cauchy matrix with gf_gen_cauchy1_matrix and
 * expands its M parity rows into ISA-L's multiplication tables (ec_init_tables: 32 bytes per
 * coefficient); encoding is ec_encode_data over the K data fragments. Decoding picks the
 * first K fragments present (data first, by index), inverts their K rows (gf_invert_matrix)
 * into D, so that data = D x chosen; a lost data fragment i is row i of D, a lost parity
 * fragment K + j is (parity row j) x D (gf_mul), and ec_encode_data computes every wanted
 * fragment from the chosen ones in one pass. Matrices and tables of a decode live on the
 * stack: K x K and (fragments wanted) x K coefficients, and K * M <= 64 when K + M <= 16.
 * The two operations that pass over the bytes twice, encode (copy, then parity) and
 * reconstruct (copy the data present, then decode the rest), go STRIPE bytes of each fragment
 * at a time, so that the second pass reads from cache what the first touched: bench/ec-speed
 * measured encode of 8 MiB chunks at 8.2 to 9.4 GiB/s of CPU in one pass each, 11.4 to 12.6
 * in stripes of 128 KiB (16 to 64 KiB did no better). Reconstruct writes only chunk bytes:
 * over the padding of the lost fragment that holds the chunk's end, it runs the other rows.
 * Invariants: a codec is written only by cn_ec_create (then read-only, shared by threads);
 * matrix holds (K + M) x K coefficients, row-major, rows 0..K-1 the identity; enc_tbls holds
 * ec_init_tables of rows K..K+M-1. ISA-L takes non-const pointers it only reads (sources,
 * tables): the casts below drop const for its signature, never to write.
 */
#include "common/ec.h"

#include <assert.h>
#include <isa-l/erasure_code.h>
#include <string.h>

#include "common/err.h"
#include "common/log.h"
#include "common/mem.h"

#define EC_MAGIC 0x45434f44u /* "ECOD" */
#define TBL 32               /* ISA-L table bytes per coefficient */
#define MAX_KM 64            /* max K * M (and K * wanted) when K + M <= CN_EC_MAX_FRAGS */
#define STRIPE (128u * 1024) /* bytes of each fragment per pass of a two-pass operation */

static_assert(CN_EC_MAX_FRAGS == 16, "MAX_KM is (16 / 2)^2");
static_assert(CN_EC_MAX_FRAGS <= 256, "Cauchy rows and columns are distinct GF(2^8) elements");
static_assert(CN_EC_CHUNK_MAX <= 0x7fffffffu, "ISA-L lengths are int");

struct cn_ec {
    uint32_t magic;
    unsigned k, m;
    uint8_t matrix[CN_EC_MAX_FRAGS * CN_EC_MAX_FRAGS];
    uint8_t enc_tbls[TBL * MAX_KM];
};

/* ISA-L reads through these and writes nothing (see the file comment). */
static unsigned char *unconst(const void *p)
{
    return (unsigned char *)(uintptr_t)p;
}

int cn_ec_create(unsigned k, unsigned m, cn_ec_t **out)
{
    cn_ec_t *ec;

    if (k < 1 || m < 1 || k + m > CN_EC_MAX_FRAGS)
        return CN_EINVAL;
    ec = cn_calloc(1, sizeof(*ec));
    ec->magic = EC_MAGIC;
    ec->k = k;
    ec->m = m;
    gf_gen_cauchy1_matrix(ec->matrix, (int)(k + m), (int)k);
    ec_init_tables((int)k, (int)m, ec->matrix + k * k, ec->enc_tbls);
    *out = ec;
    return 0;
}

void cn_ec_destroy(cn_ec_t *ec)
{
    if (ec == NULL)
        return;
    CN_CHECK_OBJ(ec, EC_MAGIC);
    ec->magic = 0;
    cn_free(ec);
}

unsigned cn_ec_k(const cn_ec_t *ec)
{
    CN_CHECK_OBJ(ec, EC_MAGIC);
    return ec->k;
}

unsigned cn_ec_m(const cn_ec_t *ec)
{
    CN_CHECK_OBJ(ec, EC_MAGIC);
    return ec->m;
}

size_t cn_ec_frag_len(const cn_ec_t *ec, size_t chunk_len)
{
    CN_CHECK_OBJ(ec, EC_MAGIC);
    CN_ASSERT(chunk_len <= CN_EC_CHUNK_MAX);
    return (size_t)cn_ec_frag_len_k(ec->k, chunk_len);
}

int cn_ec_encode_parity(const cn_ec_t *ec, const uint8_t *const *data, size_t frag_len,
                        uint8_t *const *parity)
{
    unsigned char *src[CN_EC_MAX_FRAGS], *dst[CN_EC_MAX_FRAGS];

    CN_CHECK_OBJ(ec, EC_MAGIC);
    if (frag_len > CN_EC_CHUNK_MAX)
        return CN_EINVAL;
    if (frag_len == 0)
        return 0;
    for (unsigned i = 0; i < ec->k; i++)
        src[i] = unconst(data[i]);
    for (unsigned j = 0; j < ec->m; j++)
        dst[j] = parity[j];
    ec_encode_data((int)frag_len, (int)ec->k, (int)ec->m, unconst(ec->enc_tbls), src, dst);
    return 0;
}

/* Copies the chunk's bytes [at, at + n) to dst, zeros for those past len. */
static void copy_clip(uint8_t *dst, const uint8_t *chunk, size_t len, size_t at, size_t n)
{
    size_t have = at < len ? (len - at < n ? len - at : n) : 0;

    if (have > 0)
        memcpy(dst, chunk + at, have);
    if (have < n)
        memset(dst + have, 0, n - have);
}

int cn_ec_encode(const cn_ec_t *ec, const void *chunk, size_t len, uint8_t *const *frags)
{
    unsigned char *src[CN_EC_MAX_FRAGS], *dst[CN_EC_MAX_FRAGS];
    size_t f;

    CN_CHECK_OBJ(ec, EC_MAGIC);
    if (len > CN_EC_CHUNK_MAX)
        return CN_EINVAL;
    f = cn_ec_frag_len(ec, len);
    for (size_t off = 0; off < f; off += STRIPE) {
        size_t s = f - off < STRIPE ? f - off : STRIPE;
        for (unsigned i = 0; i < ec->k; i++) {
            copy_clip(frags[i] + off, chunk, len, i * f + off, s);
            src[i] = frags[i] + off;
        }
        for (unsigned j = 0; j < ec->m; j++)
            dst[j] = frags[ec->k + j] + off;
        ec_encode_data((int)s, (int)ec->k, (int)ec->m, unconst(ec->enc_tbls), src, dst);
    }
    return 0;
}

/* A decode: the K fragments it reads (the first K present) and ISA-L's tables of the rows
 * that compute the wanted fragments from them, in the order of want. */
struct plan {
    unsigned src[CN_EC_MAX_FRAGS];
    uint8_t tbls[TBL * MAX_KM];
};

/* Plans the rebuild of fragments want[0, nwant) (none of them present). CN_EINVAL when fewer
 * than K fragments are present. */
static int plan_decode(const cn_ec_t *ec, const uint8_t *present, const unsigned *want,
                       unsigned nwant, struct plan *pl)
{
    uint8_t b[CN_EC_MAX_FRAGS * CN_EC_MAX_FRAGS], d[CN_EC_MAX_FRAGS * CN_EC_MAX_FRAGS];
    uint8_t rows[MAX_KM];
    unsigned k = ec->k, n = 0;
    int singular;

    for (unsigned i = 0; i < k + ec->m && n < k; i++) {
        if (!present[i])
            continue;
        memcpy(b + n * k, ec->matrix + i * k, k);
        pl->src[n++] = i;
    }
    if (n < k)
        return CN_EINVAL;
    if (nwant == 0)
        return 0;
    CN_ASSERT(nwant <= ec->m && k * nwant <= MAX_KM);
    /* never singular: any K rows of a systematic Cauchy matrix are independent (ec.h) */
    singular = gf_invert_matrix(b, d, (int)k);
    CN_ASSERT(singular == 0);
    for (unsigned w = 0; w < nwant; w++) {
        uint8_t *row = rows + w * k;
        if (want[w] < k) {
            memcpy(row, d + want[w] * k, k);
            continue;
        }
        const uint8_t *enc = ec->matrix + want[w] * k;
        for (unsigned c = 0; c < k; c++) {
            uint8_t s = 0;
            for (unsigned j = 0; j < k; j++)
                s ^= gf_mul(enc[j], d[j * k + c]);
            row[c] = s;
        }
    }
    ec_init_tables((int)k, (int)nwant, rows, pl->tbls);
    return 0;
}

int cn_ec_decode(const cn_ec_t *ec, uint8_t *const *frags, const uint8_t *present,
                 size_t frag_len)
{
    unsigned want[CN_EC_MAX_FRAGS] = {0}, nwant = 0;
    unsigned char *src[CN_EC_MAX_FRAGS], *dst[CN_EC_MAX_FRAGS] = {0};
    struct plan pl;
    int rc;

    CN_CHECK_OBJ(ec, EC_MAGIC);
    if (frag_len > CN_EC_CHUNK_MAX)
        return CN_EINVAL;
    for (unsigned i = 0; i < ec->k + ec->m; i++) {
        if (!present[i] && frags[i] != NULL) {
            want[nwant] = i;
            dst[nwant++] = frags[i];
        }
    }
    if ((rc = plan_decode(ec, present, want, nwant, &pl)) != 0 || nwant == 0 || frag_len == 0)
        return rc;
    for (unsigned c = 0; c < ec->k; c++) {
        CN_ASSERT(frags[pl.src[c]] != NULL);
        src[c] = frags[pl.src[c]];
    }
    ec_encode_data((int)frag_len, (int)ec->k, (int)nwant, pl.tbls, src, dst);
    return 0;
}

/* Computes the first rows wanted fragments of pl over the bytes [off, off + n) of each:
 * wanted fragment w goes to out + want[w] * frag_len (the chunk's buffer). */
static void decode_into_chunk(const cn_ec_t *ec, const struct plan *pl, const uint8_t *const *frags,
                              const unsigned *want, unsigned rows, size_t frag_len, uint8_t *out,
                              size_t off, size_t n)
{
    unsigned char *src[CN_EC_MAX_FRAGS], *dst[CN_EC_MAX_FRAGS];

    if (rows == 0 || n == 0)
        return;
    for (unsigned c = 0; c < ec->k; c++)
        src[c] = unconst(frags[pl->src[c]] + off);
    for (unsigned w = 0; w < rows; w++)
        dst[w] = out + want[w] * frag_len + off;
    ec_encode_data((int)n, (int)ec->k, (int)rows, unconst(pl->tbls), src, dst);
}

int cn_ec_reconstruct_chunk(const cn_ec_t *ec, const uint8_t *const *frags,
                            const uint8_t *present, size_t frag_len, void *chunk,
                            size_t chunk_len)
{
    unsigned want[CN_EC_MAX_FRAGS] = {0}, nwant = 0;
    uint8_t *out = chunk;
    size_t tail = frag_len; /* chunk bytes in the last lost data fragment */
    struct plan pl;
    int rc;

    CN_CHECK_OBJ(ec, EC_MAGIC);
    if (chunk_len > CN_EC_CHUNK_MAX || frag_len != cn_ec_frag_len(ec, chunk_len))
        return CN_EINVAL;
    /* the lost data fragments that hold chunk bytes, in order: only the last may end early */
    for (unsigned i = 0; i < ec->k && i * frag_len < chunk_len; i++) {
        if (!present[i]) {
            want[nwant++] = i;
            tail = chunk_len - i * frag_len < frag_len ? chunk_len - i * frag_len : frag_len;
        }
    }
    if ((rc = plan_decode(ec, present, want, nwant, &pl)) != 0)
        return rc;
    for (size_t off = 0; off < frag_len; off += STRIPE) {
        size_t s = frag_len - off < STRIPE ? frag_len - off : STRIPE;
        size_t cut = off + s < tail ? off + s : (tail > off ? tail : off);
        for (unsigned i = 0; i < ec->k && i * frag_len < chunk_len; i++) {
            size_t n = chunk_len - i * frag_len < frag_len ? chunk_len - i * frag_len : frag_len;
            if (present[i] && off < n)
                memcpy(out + i * frag_len + off, frags[i] + off, n - off < s ? n - off : s);
        }
        /* every wanted row up to where the chunk ends, then all but the last one (the
         * fragment that holds the end: ISA-L's tables are row after row, so a prefix of the
         * rows is a valid table) over its padding, which the chunk has no room for */
        decode_into_chunk(ec, &pl, frags, want, nwant, frag_len, out, off, cut - off);
        if (nwant > 0)
            decode_into_chunk(ec, &pl, frags, want, nwant - 1, frag_len, out, cut, off + s - cut);
    }
    return 0;
}
