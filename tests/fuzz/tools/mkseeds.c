/*
 * tests/fuzz/tools/mkseeds.c: writes the binary seed files of tests/fuzz/corpus/ with the
 * project's own encoders, and splits captured RPC streams into their parts.
 *
 *   mkseeds gen CORPUS_DIR             records, manifests (plain, encrypted, erasure-coded),
 *                                      metadata, listings, storage-op frames, container files
 *                                      written by the real engine, the manager's command entries,
 *                                      encryption records (with FUZZ_SSE_KEY), erasure-coded
 *                                      fragments, one of each kind (corpus/<target>/gen-*)
 *   mkseeds split STREAM CORPUS_DIR    the rings inside get_ring responses of a captured
 *                                      manager connection (corpus/ring_decode/cap-*)
 *
 * Built in fuzz trees (--enable-fuzzers) only; run by hand when a format changes.
 */
#include <fcntl.h>
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/ec.h"
#include "common/ec_frag.h"
#include "common/err.h"
#include "common/mem.h"
#include "common/proto.h"
#include "common/ring.h"
#include "common/rpc.h"
#include "gateway/s3/manifest.h"
#include "gateway/s3/sse_obj.h"
#include "manager/cmd.h"
#include "storage/engine/container.h"
#include "storage/engine/engine.h"
#include "storage/engine/record.h"
#include "tests/fuzz/fuzz.h"
#include "tests/unit/manager/cmd_samples.h"

static const char *dir;

static void put_file(const char *target, const char *name, const void *p, size_t n)
{
    char path[4096];
    FILE *f;

    snprintf(path, sizeof(path), "%s/%s/%s", dir, target, name);
    if ((f = fopen(path, "wb")) == NULL || fwrite(p, 1, n, f) != n || fclose(f) != 0) {
        perror(path);
        exit(1);
    }
}

static void gen_records(void)
{
    cn_buf_t b;
    stor_rec_hdr_t h = {.clock = 1732330000000000000ull, .mtime_ms = 1732330000000ull};

    cn_buf_init(&b);
    snprintf(h.etag, sizeof(h.etag), "5d41402abc4b2a76b9719d911017c592");
    stor_rec_encode(&b, &h, CN_SLICE("seed-bucket/hello.txt"), CN_SLICE("\x81\xacontent-type\xaatext/plain"),
                    CN_SLICE("hello"));
    put_file("record", "gen-one", b.data, b.len);
    h.flags = CN_OBJ_TOMBSTONE;
    h.clock++;
    h.etag[0] = '\0';
    stor_rec_encode(&b, &h, CN_SLICE("seed-bucket/hello.txt"), CN_SLICE(""), CN_SLICE(""));
    h.flags = CN_OBJ_MANIFEST;
    h.clock++;
    snprintf(h.etag, sizeof(h.etag), "0123456789abcdef0123456789abcdef-2");
    stor_rec_encode(&b, &h, CN_SLICE("seed-bucket/big"), CN_SLICE(""), CN_SLICE("manifest-body"));
    put_file("record", "gen-three", b.data, b.len);
    put_file("record", "gen-torn-tail", b.data, b.len - 7);
    /* odd last byte: the target recomputes the checksums of a flipped copy */
    b.data[130] ^= 0x40;
    cn_buf_append(&b, "\x01", 1);
    put_file("record", "gen-flipped-fixcrc", b.data, b.len);
    cn_buf_dispose(&b);
}

static const uint8_t sse_key[CN_SSE_KEY_LEN] = FUZZ_SSE_KEY;

/* A new encryption record of mode (bucket key asked or not) for "b/k" under sse_key, its
 * bytes in b (reset first). */
static void sse_record(gw_sse_mode_t mode, const char *name, const char *context,
                       int bucket_key, cn_slice_t object, cn_buf_t *b)
{
    gw_sse_obj_t o;
    uint8_t dk[CN_SSE_KEY_LEN];
    int rc;

    if (mode == GW_SSE_C)
        rc = gw_sse_obj_new_c(&o, sse_key, dk);
    else
        rc = gw_sse_obj_new_wrapped(&o, mode, name, 7, sse_key, object, context, dk);
    if (rc != 0) {
        fprintf(stderr, "mkseeds: encryption record: %s\n", cn_strerror(rc));
        exit(1);
    }
    o.bucket_key = bucket_key;
    cn_buf_reset(b);
    gw_sse_obj_encode(&o, b);
    gw_sse_obj_dispose(&o);
}

static void gen_sse_obj(void)
{
    static const char kms[] = "arn:aws:kms:us-east-1:111122223333:key/k1";
    cn_buf_t b;

    cn_buf_init(&b);
    sse_record(GW_SSE_C, NULL, NULL, 0, CN_SLICE("b/k"), &b);
    put_file("sse_obj", "gen-c", b.data, b.len);
    sse_record(GW_SSE_C, NULL, NULL, 1, CN_SLICE("b/k"), &b);
    put_file("sse_obj", "gen-c-bucket-key", b.data, b.len);
    sse_record(GW_SSE_S3, GW_SSE_S3_KEY, NULL, 0, CN_SLICE("b/k"), &b);
    put_file("sse_obj", "gen-s3", b.data, b.len);
    sse_record(GW_SSE_S3, GW_SSE_S3_KEY, NULL, 0, CN_SLICE("b/k2"), &b);
    put_file("sse_obj", "gen-s3-other-object", b.data, b.len);
    sse_record(GW_SSE_KMS, kms, NULL, 0, CN_SLICE("b/k"), &b);
    put_file("sse_obj", "gen-kms", b.data, b.len);
    sse_record(GW_SSE_KMS, "k1", "{\"dept\":\"a|b\",\"team\":\"x\"}", 1, CN_SLICE("b/k"), &b);
    put_file("sse_obj", "gen-kms-context-bucket-key", b.data, b.len);
    cn_buf_dispose(&b);
}

/* Fragment index of a k+m chunk of len bytes (chunk key "\x01c/b/k/..."), stored as name;
 * with bad_index, its index is K + M and its last byte odd, so the target recomputes both CRCs
 * and reaches the index check. */
static void put_fragment(unsigned k, unsigned m, unsigned index, size_t len, int bad_index,
                         const char *name)
{
    static const char key[] = "\x01" "c/b/k/0000000000000001/000000";
    cn_frag_hdr_t h = {.k = (uint8_t)k, .m = (uint8_t)m, .index = (uint8_t)index,
                       .clock = 1732330000000000000ull, .chunk_len = len};
    uint8_t *chunk = cn_malloc(len + 1), *frags[CN_EC_MAX_FRAGS], *out;
    size_t f;
    cn_ec_t *ec;

    if (cn_ec_create(k, m, &ec) != 0)
        abort();
    f = cn_ec_frag_len(ec, len);
    for (size_t i = 0; i < len; i++)
        chunk[i] = (uint8_t)(i * 131 + 7);
    for (unsigned i = 0; i < k + m; i++)
        frags[i] = cn_malloc(f + 1);
    if (cn_ec_encode(ec, chunk, len, frags) != 0)
        abort();
    cn_frag_chunk_id(key, sizeof(key) - 1, h.chunk_id);
    out = cn_malloc(CN_FRAG_HDR_LEN + f);
    cn_frag_encode(&h, frags[index], out);
    memcpy(out + CN_FRAG_HDR_LEN, frags[index], f);
    if (bad_index) {
        out[7] = (uint8_t)(k + m);
        out[CN_FRAG_HDR_LEN + f - 1] |= 1;
    }
    put_file("ec_frag", name, out, CN_FRAG_HDR_LEN + f);
    for (unsigned i = 0; i < k + m; i++)
        cn_free(frags[i]);
    cn_free(out);
    cn_free(chunk);
    cn_ec_destroy(ec);
}

static void gen_ec_frag(void)
{
    put_fragment(4, 2, 1, 1001, 0, "gen-4-2-data");
    put_fragment(4, 2, 5, 1001, 0, "gen-4-2-parity");
    put_fragment(8, 3, 7, 37, 0, "gen-8-3-padded");
    put_fragment(1, 1, 1, 0, 0, "gen-1-1-empty");
    put_fragment(15, 1, 15, 300, 0, "gen-15-1-last");
    put_fragment(8, 3, 2, 37, 1, "gen-8-3-bad-index-fixcrc");
}

/* Writes m as the manifest seed name, then disposes it. */
static void put_manifest(cn_manifest_t *m, const char *name)
{
    cn_buf_t b;

    cn_buf_init(&b);
    cn_manifest_encode(m, &b);
    put_file("manifest", name, b.data, b.len);
    cn_buf_dispose(&b);
    cn_manifest_dispose(m);
}

/* Makes m format 2: a new record of mode for object, and the plaintext size. */
static void encrypt_manifest(cn_manifest_t *m, gw_sse_mode_t mode, const char *name,
                             const char *context, cn_slice_t object, uint64_t plain_size)
{
    cn_buf_t rec;

    cn_buf_init(&rec);
    sse_record(mode, name, context, mode == GW_SSE_KMS, object, &rec);
    cn_manifest_set_sse(m, rec.data, rec.len, plain_size);
    cn_buf_dispose(&rec);
}

static void gen_manifests(void)
{
    cn_manifest_t m;
    gw_meta_t meta = {0};
    cn_buf_t b;

    memset(&m, 0, sizeof(m));
    cn_buf_init(&b);
    m.size = 12u << 20;
    snprintf(m.etag, sizeof(m.etag), "9b2cf535f27731c974343645a3985328");
    cn_manifest_add_seg(&m, "\x01" "c/seed-bucket/big/00000000deadbeef/", 36, 12u << 20, 5u << 20);
    put_manifest(&m, "gen-one-seg");

    m.size = (5u << 20) + 1;
    snprintf(m.etag, sizeof(m.etag), "0123456789abcdef0123456789abcdef-2");
    cn_manifest_add_seg(&m, "\x01mp/seed-bucket/mp.bin/u1/1/", 27, 5u << 20, 5u << 20);
    cn_manifest_add_seg(&m, "\x01mp/seed-bucket/mp.bin/u1/2/", 27, 1, 5u << 20);
    put_manifest(&m, "gen-multipart");

    /* format 2: an SSE-C object of 1,000,000 bytes (16 blocks, a tag each), and a multipart
     * one under SSE-KMS with its parts recorded */
    m.size = 1000000 + 16 * CN_SSE_TAG_LEN;
    snprintf(m.etag, sizeof(m.etag), "9b2cf535f27731c974343645a3985328");
    cn_manifest_add_seg(&m, "\x01" "c/seed-bucket/enc/00000000deadbeef/", 36, m.size, 5u << 20);
    encrypt_manifest(&m, GW_SSE_C, NULL, NULL, CN_SLICE("b/k"), 1000000);
    put_manifest(&m, "gen-sse-c");

    m.size = (5u << 20) + 2;
    snprintf(m.etag, sizeof(m.etag), "0123456789abcdef0123456789abcdef-2");
    cn_manifest_add_seg(&m, "\x01mp/seed-bucket/enc.bin/u1/1/", 29, 5u << 20, 5u << 20);
    cn_manifest_add_seg(&m, "\x01mp/seed-bucket/enc.bin/u1/2/", 29, 2, 5u << 20);
    cn_manifest_add_part(&m, 1, 1, NULL);
    cn_manifest_add_part(&m, 2, 1, "x-amz-checksum-crc32=AAAAAA==");
    encrypt_manifest(&m, GW_SSE_KMS, "k1", "{\"dept\":\"a\"}", CN_SLICE("seed-bucket/enc.bin"),
                     (5u << 20) - 100);
    put_manifest(&m, "gen-sse-kms-multipart");

    /* format 3 (issue 21): a 12 MiB object coded 4+2 in 5 MiB chunks, and an SSE-C one with
     * a segment coded 8+3, a replicated one and its parts recorded */
    m.size = 12u << 20;
    snprintf(m.etag, sizeof(m.etag), "9b2cf535f27731c974343645a3985328");
    cn_manifest_add_seg(&m, "\x01" "c/seed-bucket/ec/00000000deadbeef/", 35, 12u << 20, 5u << 20);
    cn_manifest_seg_set_ec(&m, 0, 4, 2);
    put_manifest(&m, "gen-ec-4-2");

    m.size = (8u << 20) + (5u << 20) + 16 * CN_SSE_TAG_LEN;
    snprintf(m.etag, sizeof(m.etag), "0123456789abcdef0123456789abcdef-2");
    cn_manifest_add_seg(&m, "\x01" "c/seed-bucket/ecenc/00000000deadbeef/1/", 40,
                        (8u << 20) + 16 * CN_SSE_TAG_LEN, 5u << 20);
    cn_manifest_add_seg(&m, "\x01mp/seed-bucket/ecenc/u1/2/", 27, 5u << 20, 5u << 20);
    cn_manifest_seg_set_ec(&m, 0, 8, 3);
    cn_manifest_add_part(&m, 1, 1, NULL);
    cn_manifest_add_part(&m, 2, 1, "x-amz-checksum-crc32=AAAAAA==");
    encrypt_manifest(&m, GW_SSE_C, NULL, NULL, CN_SLICE("seed-bucket/ecenc"), 13u << 20);
    put_manifest(&m, "gen-ec-mixed-sse-c");

    cn_buf_reset(&b);
    gw_meta_add(&meta, "content-type", 12, "application/x-seed", 18);
    gw_meta_add(&meta, "x-amz-meta-color", 16, "blue", 4);
    gw_meta_add(&meta, GW_META_ACL, strlen(GW_META_ACL), "public-read", 11);
    gw_meta_encode(&meta, &b);
    put_file("manifest", "gen-meta", b.data, b.len);
    gw_meta_dispose(&meta);
    cn_buf_dispose(&b);
}

static void gen_listing(void)
{
    cn_list_entry_t e[3];
    cn_buf_t b;

    memset(e, 0, sizeof(e));
    e[0].key = CN_SLICE("seed-bucket/dir/sub/small file+1.txt");
    e[0].size = 12;
    snprintf(e[0].etag, sizeof(e[0].etag), "d8e8fca2dc0f896fd7cb4cb0031ba249");
    e[0].mtime_ms = 1732330000000ull;
    e[0].clock = 1732330000000000001ull;
    e[1].key = CN_SLICE("seed-bucket/dir/other/");
    e[1].flags = CN_LIST_PREFIX;
    e[2].key = CN_SLICE("seed-bucket/gone");
    e[2].flags = CN_OBJ_TOMBSTONE | CN_OBJ_MANIFEST;
    e[2].clock = 7;
    cn_buf_init(&b);
    cn_list_encode_begin(&b, 3);
    for (int i = 0; i < 3; i++)
        cn_list_encode_entry(&b, &e[i]);
    put_file("list_decode", "gen-three", b.data, b.len);
    cn_buf_reset(&b);
    cn_list_encode_begin(&b, 0);
    put_file("list_decode", "gen-empty", b.data, b.len);

    /* the same listing inside a response frame, and storage requests, for the RPC target */
    cn_buf_t f;
    cn_msg_t *m = cn_msg_new(CN_OP_LIST);
    cn_buf_init(&f);
    cn_buf_reset(&b);
    cn_list_encode_begin(&b, 3);
    for (int i = 0; i < 3; i++)
        cn_list_encode_entry(&b, &e[i]);
    cn_msg_set_rc(m, 0);
    cn_msg_set_body_copy(m, b.data, b.len);
    cn_msg_encode(m, CN_RPC_RESP, 42, &f);
    cn_msg_free(m);
    m = cn_msg_new(CN_OP_PUT);
    cn_msg_set_str(m, "key", "seed-bucket/hello.txt");
    cn_msg_set_u64(m, "clock", 1732330000000000000ull);
    cn_msg_set_str(m, "etag", "5d41402abc4b2a76b9719d911017c592");
    cn_msg_set_u64(m, "flags", 0);
    cn_msg_set_bytes(m, "meta", "\x81\xacontent-type\xaatext/plain", 25);
    cn_msg_set_body_copy(m, "hello", 5);
    cn_msg_encode(m, CN_RPC_REQ, 43, &f);
    cn_msg_free(m);
    m = cn_msg_new(CN_OP_GET);
    cn_msg_set_str(m, "key", "seed-bucket/hello.txt");
    cn_msg_set_u64(m, "off", 1);
    cn_msg_set_u64(m, "len", 3);
    cn_msg_encode(m, CN_RPC_REQ, 44, &f);
    cn_msg_free(m);
    m = cn_msg_new(CN_OP_GET);
    cn_msg_set_rc(m, CN_ENOENT);
    cn_msg_set_i64(m, "neg", -5);
    cn_msg_encode(m, CN_RPC_RESP, 44, &f);
    cn_msg_free(m);
    put_file("rpc_frame", "gen-storage-ops", f.data, f.len);
    cn_buf_dispose(&f);
    cn_buf_dispose(&b);
}

static int split(const char *stream)
{
    FILE *fp = fopen(stream, "rb");
    cn_frame_reader_t r;
    char buf[65536], name[64];
    size_t n;
    cn_msg_t *m;
    int rc, found = 0;

    if (fp == NULL) {
        perror(stream);
        return 1;
    }
    n = fread(buf, 1, sizeof(buf), fp);
    fclose(fp);
    cn_frame_reader_init(&r, 1u << 20);
    cn_frame_reader_feed(&r, buf, n);
    while ((rc = cn_frame_reader_next(&r, &m)) == 1) {
        cn_slice_t s;
        if (cn_msg_kind(m) == CN_RPC_RESP && strcmp(cn_msg_op(m), CN_OP_GET_RING) == 0) {
            if (cn_msg_get_bytes(m, "cur", &s) == 0 && s.len > 0) {
                snprintf(name, sizeof(name), "cap-ring-%d", found++);
                put_file("ring_decode", name, s.ptr, s.len);
            }
        }
        cn_msg_free(m);
    }
    cn_frame_reader_dispose(&r);
    printf("%s: %d ring(s)\n", stream, found);
    return 0;
}

static int rm_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
    (void)st;
    (void)type;
    (void)ftw;
    return remove(path);
}

/* One seed of fuzz_recover: flags byte, then container 0 of the store in tmp after its
 * superblock, cut to keep bytes (0: all) and with byte flip (if < size) XORed. */
static void put_container(const char *tmp, const char *name, uint8_t flags, size_t keep,
                          size_t flip)
{
    char path[4096];
    cn_buf_t b;
    char chunk[4096];
    ssize_t n;
    int fd;

    snprintf(path, sizeof(path), "%s/containers/c0000.dat", tmp);
    if ((fd = open(path, O_RDONLY)) < 0) {
        perror(path);
        exit(1);
    }
    cn_buf_init(&b);
    cn_buf_append(&b, &flags, 1);
    if (lseek(fd, STOR_SB_SIZE, SEEK_SET) != STOR_SB_SIZE)
        exit(1);
    while ((n = read(fd, chunk, sizeof(chunk))) > 0)
        cn_buf_append(&b, chunk, (size_t)n);
    close(fd);
    if (keep && keep < b.len)
        b.len = keep;
    if (flip < b.len)
        b.data[flip] ^= 0x20;
    put_file("recover", name, b.data, b.len);
    cn_buf_dispose(&b);
}

/* Container files written by the real engine (one container): two objects, an overwrite, a
 * tombstone and a manifest; then copies with a torn tail and a flipped byte. */
static void gen_recover(void)
{
    char tmp[] = "/tmp/mkseeds.XXXXXX";
    stor_engine_opts_t o = {.containers = 1, .no_sync = 1};
    stor_engine_t *e;
    stor_obj_meta_t m = {.clock = 1732330000000000000ull, .mtime_ms = 1732330000000ull};
    uint64_t len1;
    struct stat st;
    char path[4096];

    if (mkdtemp(tmp) == NULL || stor_engine_open(tmp, &o, &e) != 0) {
        fprintf(stderr, "mkseeds: cannot open an engine in %s\n", tmp);
        exit(1);
    }
    snprintf(m.etag, sizeof(m.etag), "5d41402abc4b2a76b9719d911017c592");
    m.size = 5;
    m.meta = CN_SLICE("\x81\xacontent-type\xaatext/plain");
    if (stor_engine_put(e, CN_SLICE("seed-bucket/hello.txt"), &m, CN_SLICE("hello")) != 0)
        exit(1);
    stor_engine_close(e);
    snprintf(path, sizeof(path), "%s/containers/c0000.dat", tmp);
    if (stat(path, &st) != 0)
        exit(1);
    len1 = (uint64_t)st.st_size - STOR_SB_SIZE;
    put_container(tmp, "gen-one", 0x06, 0, SIZE_MAX);
    if (stor_engine_open(tmp, &o, &e) != 0)
        exit(1);
    m.clock++;
    m.meta = CN_SLICE("");
    snprintf(m.etag, sizeof(m.etag), "7d793037a0760186574b0282f2f435e7");
    if (stor_engine_put(e, CN_SLICE("seed-bucket/b"), &m, CN_SLICE("world")) != 0)
        exit(1);
    m.clock++;
    snprintf(m.etag, sizeof(m.etag), "0b1f2b3c");
    if (stor_engine_put(e, CN_SLICE("seed-bucket/b"), &m, CN_SLICE("again")) != 0)
        exit(1);
    if (stor_engine_delete(e, CN_SLICE("seed-bucket/hello.txt"), ++m.clock) != 0)
        exit(1);
    m.clock++;
    m.flags = CN_OBJ_MANIFEST;
    m.size = 10u << 20;
    snprintf(m.etag, sizeof(m.etag), "0123456789abcdef0123456789abcdef-2");
    if (stor_engine_put(e, CN_SLICE("seed-bucket/big"), &m, CN_SLICE("manifest-body")) != 0)
        exit(1);
    stor_engine_close(e);
    put_container(tmp, "gen-five", 0x06, 0, SIZE_MAX);
    put_container(tmp, "gen-torn-tail", 0x02, 1 + len1 * 3 + 50, SIZE_MAX);
    put_container(tmp, "gen-flipped-middle", 0x02, 0, 1 + len1 + 140);
    put_container(tmp, "gen-flipped-fixcrc", 0x03, 0, 1 + len1 + 140);
    (void)nftw(tmp, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* One command entry of every kind (tests/unit/manager/cmd_samples.h). */
static void gen_cmds(void)
{
    char path[4096];

    snprintf(path, sizeof(path), "%s/cmd_decode", dir);
    mkdir(path, 0755);
    for (int k = MGR_CMD_NONE + 1; k < MGR_CMD_NKINDS; k++) {
        char name[64];
        mgr_cmd_t c;
        cn_buf_t b;

        t_cmd_sample((enum mgr_cmd_kind)k, &c);
        cn_buf_init(&b);
        mgr_cmd_encode(&c, &b);
        snprintf(name, sizeof(name), "gen-%s", mgr_cmd_kind_name((enum mgr_cmd_kind)k));
        put_file("cmd_decode", name, b.data, b.len);
        cn_buf_dispose(&b);
        mgr_cmd_dispose(&c);
    }
}

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "gen") == 0) {
        dir = argv[2];
        gen_records();
        gen_manifests();
        gen_sse_obj();
        gen_listing();
        gen_recover();
        gen_cmds();
        gen_ec_frag();
        return 0;
    }
    if (argc == 4 && strcmp(argv[1], "split") == 0) {
        dir = argv[3];
        return split(argv[2]);
    }
    fprintf(stderr, "usage: mkseeds gen CORPUS_DIR | mkseeds split STREAM CORPUS_DIR\n");
    return 2;
}
