/*
 * tests/fuzz/tools/mkseeds.c: writes the binary seed files of tests/fuzz/corpus/ with the
 * project's own encoders, and splits captured RPC streams into their parts.
 *
 *   mkseeds gen CORPUS_DIR             records, manifests, metadata, listings, storage-op
 *                                      frames, container files written by the real engine,
 *                                      the manager's command entries, one of each kind
 *                                      (corpus/<target>/gen-*)
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
#include "common/err.h"
#include "common/mem.h"
#include "common/proto.h"
#include "common/ring.h"
#include "common/rpc.h"
#include "gateway/s3/manifest.h"
#include "manager/cmd.h"
#include "storage/engine/container.h"
#include "storage/engine/engine.h"
#include "storage/engine/record.h"
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
    cn_manifest_encode(&m, &b);
    put_file("manifest", "gen-one-seg", b.data, b.len);
    cn_manifest_dispose(&m);

    cn_buf_reset(&b);
    m.size = (5u << 20) + 1;
    snprintf(m.etag, sizeof(m.etag), "0123456789abcdef0123456789abcdef-2");
    cn_manifest_add_seg(&m, "\x01mp/seed-bucket/mp.bin/u1/1/", 27, 5u << 20, 5u << 20);
    cn_manifest_add_seg(&m, "\x01mp/seed-bucket/mp.bin/u1/2/", 27, 1, 5u << 20);
    cn_manifest_encode(&m, &b);
    put_file("manifest", "gen-multipart", b.data, b.len);
    cn_manifest_dispose(&m);

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
        gen_listing();
        gen_recover();
        gen_cmds();
        return 0;
    }
    if (argc == 4 && strcmp(argv[1], "split") == 0) {
        dir = argv[3];
        return split(argv[2]);
    }
    fprintf(stderr, "usage: mkseeds gen CORPUS_DIR | mkseeds split STREAM CORPUS_DIR\n");
    return 2;
}
