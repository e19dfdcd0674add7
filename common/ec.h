/*
 * common/ec.h: the Reed-Solomon codec of erasure coding (issue 21): a chunk cut into K data
 * fragments plus M parity fragments, any K of which give the chunk back. Pure: no I/O, no
 * configuration, no logging; every GF(2^8) operation goes through ISA-L (isa-l/erasure_code.h,
 * polynomial 0x11d). The stored form of a fragment (its header and CRC32C) is ec_frag.h; the
 * reasons and the layout are in docs/STORAGE_FORMAT.md, "Erasure-coded fragments (issue 21):
 * the format".
 *
 * Geometry: 1 <= K, 1 <= M, K + M <= CN_EC_MAX_FRAGS. A chunk of L bytes (0 <= L <=
 * CN_EC_CHUNK_MAX) gives K + M fragments of F = cn_ec_frag_len(L) = ceil(L / K) bytes each (0
 * for L == 0; no other padding: ISA-L takes any length). Data fragment i holds the chunk's
 * bytes [i * F, (i + 1) * F) and zeros past L: the last data fragment that holds chunk bytes
 * is zero-padded to F, and the data fragments after it (when L < (K - 1) * F, e.g. L = 1 for
 * K = 4) are all zeros. Fragment K + j is parity row j. The zeros are never sent back: the
 * original length L travels in every fragment's header (ec_frag.h), so any K fragments give
 * both the bytes and where they end.
 *
 * The code is systematic with a Cauchy parity block (ISA-L's gf_gen_cauchy1_matrix): the
 * (K + M) x K encode matrix is the identity on top of C, C[j][c] = 1 / ((K + j) xor c) for
 * parity row j and column c. Any K of its rows are invertible, for every K + M <= 256: after
 * the identity rows of the data fragments present are eliminated, what is left is a square
 * submatrix of C, and every square submatrix of a Cauchy matrix 1 / (x_i + y_c) with distinct
 * x_i, distinct y_c and x_i != y_c is nonsingular (here x = K..K+M-1, y = 0..K-1, + is xor).
 * ISA-L's other generator, gf_gen_rs_matrix (Vandermonde), does not promise that for every
 * (K, M) (its header lists the safe pairs): with Cauchy, decoding never meets a singular
 * pattern, so any M lost fragments can always be rebuilt. CN_EC_MAX_FRAGS (16) is the ring's
 * bound on distinct owners for a chunk, not the code's.
 *
 * A codec (cn_ec_t) holds the encode matrix and ISA-L's encode tables, computed once by
 * cn_ec_create; it is never written after, so every function taking a const cn_ec_t * is safe
 * from any number of threads at once. Decoding inverts the K x K matrix of the fragments it
 * reads on each call (0.3 us for 4+2, 1.7 us for 8+3, against about 100 us of ISA-L work for
 * a 1 MiB chunk: bench/ec-speed) rather than caching tables per erasure pattern, which would
 * need a lock or per-thread state. Nothing allocates but cn_ec_create.
 *
 * Bounds: K and M out of range and lengths above CN_EC_CHUNK_MAX are CN_EINVAL; fewer than K
 * fragments present is CN_EINVAL. A fragment's bytes are trusted here: check them with
 * ec_frag.h (CRC32C) first, as a corrupt fragment decodes into wrong bytes, silently.
 */
#ifndef CAIRN_COMMON_EC_H
#define CAIRN_COMMON_EC_H

#include <stddef.h>
#include <stdint.h>

#define CN_EC_MAX_FRAGS 16            /* K + M at most: the ring's owners per chunk */
#define CN_EC_CHUNK_MAX 0x7fffffffu   /* bytes per chunk: ISA-L takes lengths as int (INT_MAX);
                                       * [gateway] chunk_size stops at 1 GiB */

typedef struct cn_ec cn_ec_t;

/** A codec for K data and M parity fragments: computes the Cauchy encode matrix and ISA-L's
 *  tables. 0, or CN_EINVAL unless 1 <= K, 1 <= M and K + M <= CN_EC_MAX_FRAGS. Free it with
 *  cn_ec_destroy once no thread uses it. */
int cn_ec_create(unsigned k, unsigned m, cn_ec_t **out /* OUT */);
/** Frees ec (NULL is fine). */
void cn_ec_destroy(cn_ec_t *ec);
unsigned cn_ec_k(const cn_ec_t *ec);
unsigned cn_ec_m(const cn_ec_t *ec);

/** The fragment length of a chunk of chunk_len bytes with k data fragments: ceil(chunk_len /
 *  k), k >= 1. For callers that hold no codec (the fragment header's check). */
static inline uint64_t cn_ec_frag_len_k(unsigned k, uint64_t chunk_len)
{
    return chunk_len / k + (chunk_len % k != 0);
}
/** The same for ec's K; chunk_len <= CN_EC_CHUNK_MAX (asserted: callers check first). */
size_t cn_ec_frag_len(const cn_ec_t *ec, size_t chunk_len);

/** Encodes chunk[0, len) into frags[0, K + M), each a buffer of cn_ec_frag_len(ec, len)
 *  bytes: copies the chunk into the K data fragments (zero-padded, see above) and computes
 *  the M parity fragments, 128 KiB of each fragment at a time so that the parity reads the
 *  copy from cache. 0, or CN_EINVAL when len > CN_EC_CHUNK_MAX. */
int cn_ec_encode(const cn_ec_t *ec, const void *chunk, size_t len, uint8_t *const *frags);
/** Computes the M parity fragments parity[0, M) of the K data fragments data[0, K), all
 *  frag_len bytes: for a caller that sends data fragments straight from the chunk's buffer
 *  and pads only the last ones itself. That saves the copy's memory, not CPU: it is no faster
 *  than cn_ec_encode (docs/PERFORMANCE.md). 0, or CN_EINVAL when frag_len > CN_EC_CHUNK_MAX. */
int cn_ec_encode_parity(const cn_ec_t *ec, const uint8_t *const *data, size_t frag_len,
                        uint8_t *const *parity);

/** Rebuilds lost fragments. frags[i] for i in [0, K + M) is fragment i when present[i] is
 *  non-zero (read only, frag_len bytes); otherwise a buffer of frag_len bytes that receives
 *  fragment i, or NULL when fragment i is not wanted (repair rebuilds one fragment from K
 *  others without building the rest). Data or parity alike; reads the first K present
 *  fragments. 0; CN_EINVAL when fewer than K are present (nothing is written) or frag_len >
 *  CN_EC_CHUNK_MAX. */
int cn_ec_decode(const cn_ec_t *ec, uint8_t *const *frags, const uint8_t *present,
                 size_t frag_len);

/** The original chunk: writes its chunk_len bytes, and none past them, to chunk from the
 *  fragments present (frags[i] read when present[i] is non-zero; the others are not touched
 *  and may be NULL), copying data fragments and rebuilding only the lost data fragments that
 *  hold chunk bytes, in place. 0; CN_EINVAL, with nothing written, when fewer than K are
 *  present, chunk_len > CN_EC_CHUNK_MAX or frag_len != cn_ec_frag_len(ec, chunk_len). */
int cn_ec_reconstruct_chunk(const cn_ec_t *ec, const uint8_t *const *frags,
                            const uint8_t *present, size_t frag_len, void *chunk,
                            size_t chunk_len);

#endif
