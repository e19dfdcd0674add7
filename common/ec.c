/*
 * common/ec.c: Reed-Solomon over ISA-L (the code and its reasons in ec.h).
 * cn_ec_create builds the (K + M) x K systematic Cauchy matrix with gf_gen_cauchy1_matrix and
 * expands its M parity rows into ISA-L's multiplication tables (ec_init_tables: 32 bytes per
 * coefficient); encoding is one ec_encode_data over the K data fragments. Decoding picks the
 * first K fragments present (data first, by index), inverts their K rows (gf_invert_matrix)
 * into D, so that data = D x chosen; a lost data fragment i is row i of D, a lost parity
 * fragment K + j is (parity row j) x D (gf_mul), and one ec_encode_data computes every wanted
 * fragment from the chosen ones. Matrices and tables of a decode live on the stack: K x K and
 * (fragments wanted) x K coefficients, and K * M <= 64 when K + M <= 16.
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

int cn_ec_encode(const cn_ec_t *ec, const void *chunk, size_t len, uint8_t *const *frags)
{
    const uint8_t *p = chunk;
    size_t f;

    CN_CHECK_OBJ(ec, EC_MAGIC);
    if (len > CN_EC_CHUNK_MAX)
        return CN_EINVAL;
    f = cn_ec_frag_len(ec, len);
    for (unsigned i = 0; i < ec->k; i++) {
        size_t off = i * f, n = off < len ? (len - off < f ? len - off : f) : 0;
        if (n > 0)
            memcpy(frags[i], p + off, n);
        if (n < f)
            memset(frags[i] + n, 0, f - n);
    }
    return cn_ec_encode_parity(ec, (const uint8_t *const *)frags, f, frags + ec->k);
}

/* Rebuilds fragments want[0, nwant) (indexes, none of them present) into dst[0, nwant) from
 * the first K present fragments of frags. CN_EINVAL when fewer than K are present. */
static int rebuild(const cn_ec_t *ec, const uint8_t *const *frags, const uint8_t *present,
                   const unsigned *want, unsigned nwant, size_t frag_len, uint8_t *const *dst)
{
    uint8_t b[CN_EC_MAX_FRAGS * CN_EC_MAX_FRAGS], d[CN_EC_MAX_FRAGS * CN_EC_MAX_FRAGS];
    uint8_t rows[MAX_KM], tbls[TBL * MAX_KM];
    unsigned char *src[CN_EC_MAX_FRAGS], *out[CN_EC_MAX_FRAGS];
    unsigned k = ec->k, n = 0;
    int singular;

    for (unsigned i = 0; i < k + ec->m && n < k; i++) {
        if (!present[i])
            continue;
        CN_ASSERT(frags[i] != NULL);
        memcpy(b + n * k, ec->matrix + i * k, k);
        src[n++] = unconst(frags[i]);
    }
    if (n < k)
        return CN_EINVAL;
    if (nwant == 0 || frag_len == 0)
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
    for (unsigned w = 0; w < nwant; w++)
        out[w] = dst[w];
    ec_init_tables((int)k, (int)nwant, rows, tbls);
    ec_encode_data((int)frag_len, (int)k, (int)nwant, tbls, src, out);
    return 0;
}

int cn_ec_decode(const cn_ec_t *ec, uint8_t *const *frags, const uint8_t *present,
                 size_t frag_len)
{
    unsigned want[CN_EC_MAX_FRAGS] = {0}, nwant = 0;
    uint8_t *dst[CN_EC_MAX_FRAGS] = {0};

    CN_CHECK_OBJ(ec, EC_MAGIC);
    if (frag_len > CN_EC_CHUNK_MAX)
        return CN_EINVAL;
    for (unsigned i = 0; i < ec->k + ec->m; i++) {
        if (!present[i] && frags[i] != NULL) {
            want[nwant] = i;
            dst[nwant++] = frags[i];
        }
    }
    return rebuild(ec, (const uint8_t *const *)frags, present, want, nwant, frag_len, dst);
}

int cn_ec_reconstruct_chunk(const cn_ec_t *ec, const uint8_t *const *frags,
                            const uint8_t *present, size_t frag_len, void *chunk,
                            size_t chunk_len)
{
    unsigned want[CN_EC_MAX_FRAGS] = {0}, nwant = 0, have = 0;
    uint8_t *dst[CN_EC_MAX_FRAGS] = {0}, *out = chunk, *scratch = NULL;
    size_t tail_off = 0, tail_len = 0;
    int rc;

    CN_CHECK_OBJ(ec, EC_MAGIC);
    if (chunk_len > CN_EC_CHUNK_MAX || frag_len != cn_ec_frag_len(ec, chunk_len))
        return CN_EINVAL;
    for (unsigned i = 0; i < ec->k + ec->m; i++)
        have += present[i] != 0;
    if (have < ec->k)
        return CN_EINVAL;
    for (unsigned i = 0; i < ec->k; i++) {
        size_t off = i * frag_len, n;
        if (off >= chunk_len)
            break; /* this one and the next hold only padding */
        n = chunk_len - off < frag_len ? chunk_len - off : frag_len;
        if (present[i]) {
            memcpy(out + off, frags[i], n);
            continue;
        }
        want[nwant] = i;
        if (n < frag_len) { /* the chunk's end: rebuild the whole fragment aside */
            if ((scratch = cn_try_malloc(frag_len)) == NULL)
                return CN_ENOMEM;
            tail_off = off;
            tail_len = n;
            dst[nwant++] = scratch;
        } else {
            dst[nwant++] = out + off;
        }
    }
    rc = rebuild(ec, frags, present, want, nwant, frag_len, dst);
    if (rc == 0 && scratch != NULL)
        memcpy(out + tail_off, scratch, tail_len);
    cn_free(scratch);
    return rc;
}
