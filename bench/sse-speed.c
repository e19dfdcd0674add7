/*
 * bench/sse-speed.c: what server-side encryption (issue 20) costs per byte on this machine,
 * against the MD5 the gateway already pays for ETags: AES-256-GCM in 64 KiB blocks through
 * common/sse.h (the encryptor and decryptor the gateway will use), AES-256-GCM as one stream
 * (what the per-block nonce, AAD and tag cost), AES-256-CTR plus HMAC-SHA256 per 64 KiB block
 * (the alternative the issue names), and EVP MD5 and SHA-256 of the same bytes. Each figure
 * is the best of 3 runs over the buffer, in wall time (MiB/s) and in this process's CPU time
 * (s per GiB); the last column is the CPU time against MD5's, measured in the same run.
 *
 * usage: bench/sse-speed [MIB]   (buffer size, default 256 MiB: larger than the caches, as a
 * request body is)
 */
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/buf.h"
#include "common/sse.h"
#include "bench/speed.h"

#define CTR_TAG 16 /* HMAC-SHA256 truncated to GCM's tag size: the same stored overhead */

static unsigned char *buf, *enc, *out;
static size_t len, enc_len;
static uint8_t key[CN_SSE_KEY_LEN], mac_key[CN_SSE_KEY_LEN];
static volatile uint64_t sink;

static void digest(const EVP_MD *md)
{
    unsigned char d[64];
    unsigned int n = 0;
    must(EVP_Digest(buf, len, d, &n, md, NULL), "EVP_Digest");
    sink += d[0];
}

static void b_md5(void) { digest(EVP_md5()); }
static void b_sha256(void) { digest(EVP_sha256()); }

static void b_gcm_enc(void)
{
    cn_sse_enc_t *e;
    size_t w, w2;

    must(cn_sse_enc_create(key, 1, len, &e) == 0, "cn_sse_enc_create");
    must(cn_sse_enc_update(e, buf, len, enc, cn_sse_enc_update_max(len), &w) == 0, "enc");
    must(cn_sse_enc_final(e, enc + w, CN_SSE_TAG_LEN, &w2) == 0, "enc final");
    cn_sse_enc_destroy(e);
    enc_len = w + w2;
    sink += enc[0];
}

static void b_gcm_dec(void)
{
    cn_sse_dec_t *d;
    size_t w;

    must(cn_sse_dec_create(key, 1, len, NULL, &d) == 0, "cn_sse_dec_create");
    must(cn_sse_dec_update(d, enc, enc_len, out, cn_sse_dec_update_max(enc_len), &w) == 0,
         "dec");
    must(cn_sse_dec_final(d) == 0 && w == len, "dec final");
    cn_sse_dec_destroy(d);
    sink += out[0];
}

static void b_gcm_stream(void)
{
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    uint8_t iv[12] = {0}, tag[16];
    int n = 0;

    must(EVP_EncryptInit_ex(c, EVP_aes_256_gcm(), NULL, key, iv), "GCM init");
    for (size_t off = 0; off < len; off += 1u << 20)
        must(EVP_EncryptUpdate(c, out + off, &n, buf + off,
                               (int)(len - off < (1u << 20) ? len - off : (1u << 20))),
             "GCM update");
    must(EVP_EncryptFinal_ex(c, tag, &n), "GCM final");
    must(EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_GET_TAG, 16, tag), "GCM tag");
    EVP_CIPHER_CTX_free(c);
    sink += tag[0];
}

/* AES-256-CTR + HMAC-SHA256 per block, encrypt-then-MAC: the MAC covers the same header the
 * GCM AAD does (version, part, index, final) and the ciphertext; stored as GCM's layout. */
static EVP_CIPHER_CTX *ctr;
static EVP_MAC_CTX *hmac;

static void ctr_setup(void)
{
    EVP_MAC *mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
    OSSL_PARAM params[2];
    static char sha256[] = "SHA256";

    must(mac != NULL, "EVP_MAC_fetch");
    hmac = EVP_MAC_CTX_new(mac);
    EVP_MAC_free(mac);
    params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, sha256, 0);
    params[1] = OSSL_PARAM_construct_end();
    must(hmac != NULL && EVP_MAC_init(hmac, mac_key, sizeof(mac_key), params), "HMAC init");
    ctr = EVP_CIPHER_CTX_new();
    must(EVP_EncryptInit_ex(ctr, EVP_aes_256_ctr(), NULL, key, NULL), "CTR init");
}

static void ctr_block(uint64_t idx, int final, const uint8_t *in, size_t n, uint8_t *o,
                      uint8_t *tag, int verify)
{
    uint8_t iv[16] = {0}, hdr[14], mac[32];
    size_t maclen = 0;
    int w = 0;

    cn_put_u32be(iv, 1);
    cn_put_u64be(iv + 4, idx); /* last 4 bytes: the block counter, from 0 */
    hdr[0] = 1;
    cn_put_u32be(hdr + 1, 1);
    cn_put_u64be(hdr + 5, idx);
    hdr[13] = (uint8_t)final;
    must(EVP_MAC_init(hmac, NULL, 0, NULL), "HMAC reinit");
    must(EVP_MAC_update(hmac, hdr, sizeof(hdr)), "HMAC update");
    if (verify) { /* MAC the ciphertext first, then decrypt */
        must(EVP_MAC_update(hmac, in, n) && EVP_MAC_final(hmac, mac, &maclen, sizeof(mac)),
             "HMAC");
        must(memcmp(mac, tag, CTR_TAG) == 0, "CTR+HMAC tag");
    }
    must(EVP_EncryptInit_ex(ctr, NULL, NULL, NULL, iv), "CTR iv");
    must(EVP_EncryptUpdate(ctr, o, &w, in, (int)n), "CTR update");
    if (!verify) {
        must(EVP_MAC_update(hmac, o, n) && EVP_MAC_final(hmac, mac, &maclen, sizeof(mac)),
             "HMAC");
        memcpy(tag, mac, CTR_TAG);
    }
}

static void b_ctr_enc(void)
{
    size_t nb = (len + CN_SSE_BLOCK - 1) / CN_SSE_BLOCK;

    for (size_t i = 0; i < nb; i++) {
        size_t n = len - i * CN_SSE_BLOCK < CN_SSE_BLOCK ? len - i * CN_SSE_BLOCK : CN_SSE_BLOCK;
        uint8_t *o = enc + i * (CN_SSE_BLOCK + CTR_TAG);
        ctr_block(i, i + 1 == nb, buf + i * CN_SSE_BLOCK, n, o, o + n, 0);
    }
    sink += enc[0];
}

static void b_ctr_dec(void)
{
    size_t nb = (len + CN_SSE_BLOCK - 1) / CN_SSE_BLOCK;

    for (size_t i = 0; i < nb; i++) {
        size_t n = len - i * CN_SSE_BLOCK < CN_SSE_BLOCK ? len - i * CN_SSE_BLOCK : CN_SSE_BLOCK;
        uint8_t *in = enc + i * (CN_SSE_BLOCK + CTR_TAG);
        ctr_block(i, i + 1 == nb, in, n, out + i * CN_SSE_BLOCK, in + n, 1);
    }
    must(memcmp(out, buf, len) == 0, "CTR round trip");
    sink += out[0];
}

static double md5_cpu;

static void run(const char *name, void (*fn)(void), int is_md5)
{
    double best_wall, best_cpu, gib = (double)len / (double)(1u << 30);

    best_of(3, fn, &best_wall, &best_cpu);
    if (is_md5)
        md5_cpu = best_cpu;
    printf("%-42s %8.0f MiB/s  %7.3f CPU s/GiB  %5.2f x MD5\n", name,
           (double)len / best_wall / (double)(1u << 20), best_cpu / gib, best_cpu / md5_cpu);
}

int main(int argc, char **argv)
{
    size_t mib = argc > 1 ? strtoul(argv[1], NULL, 10) : 256;

    len = mib << 20;
    buf = malloc(len);
    out = malloc(cn_sse_dec_update_max(cn_sse_stored_len(len)));
    enc = malloc(cn_sse_enc_update_max(len) + CN_SSE_TAG_LEN);
    if (buf == NULL || out == NULL || enc == NULL || len == 0)
        return 1;
    for (size_t i = 0; i < len; i++)
        buf[i] = (unsigned char)(i * 2654435761u >> 13);
    memset(enc, 0, cn_sse_enc_update_max(len) + CN_SSE_TAG_LEN); /* fault the pages in */
    memset(out, 0, cn_sse_dec_update_max(cn_sse_stored_len(len)));
    must(cn_sse_random_key(key) == 0 && cn_sse_random_key(mac_key) == 0, "keys");
    ctr_setup();
    printf("buffer %zu MiB (best of 3; CPU = this process's CPU time)\n", mib);
    run("EVP MD5 (the ETag's digest)", b_md5, 1);
    run("EVP SHA-256", b_sha256, 0);
    run("AES-256-GCM 64 KiB blocks, encrypt (cn_sse)", b_gcm_enc, 0);
    run("AES-256-GCM 64 KiB blocks, decrypt (cn_sse)", b_gcm_dec, 0);
    run("AES-256-GCM one stream, encrypt (reference)", b_gcm_stream, 0);
    run("AES-256-CTR + HMAC-SHA256 / 64 KiB, encrypt", b_ctr_enc, 0);
    run("AES-256-CTR + HMAC-SHA256 / 64 KiB, decrypt", b_ctr_dec, 0);
    EVP_MAC_CTX_free(hmac);
    EVP_CIPHER_CTX_free(ctr);
    free(buf);
    free(out);
    free(enc);
    return (int)(sink & 0);
}
