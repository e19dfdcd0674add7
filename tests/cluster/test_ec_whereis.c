/* tests/cluster/test_ec_whereis.c: whereis and du of an erasure-coded object (issue 21) on a
 * real manager and six storage nodes, before the gateway writes such objects: the test
 * writes what the gateway will, through the storage RPC: a format-3 manifest (through its
 * coordinator) and each chunk's 4+2 fragments (cn_ec_encode, cn_frag_encode) on the owner
 * the ring gives each fragment key (replica = 1). One fragment is left out and one deleted,
 * and the manager's GET /v1/whereis must list every fragment on its owner with what that
 * owner holds, at most 1,000 chunks of a larger object, and say when a manifest does not
 * decode; GET /v1/nodes/NAME/du must count the fragments' raw and logical bytes. */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "common/buf.h"
#include "common/clock.h"
#include "common/ec.h"
#include "common/ec_frag.h"
#include "common/ec_key.h"
#include "common/err.h"
#include "common/manifest.h"
#include "common/mem.h"
#include "common/proto.h"
#include "tests/cluster/harness.h"

#define K 4
#define M 2
#define CHUNK 1000
#define SIZE 1500 /* two chunks: 1000 and 500 bytes */
#define PREFIX "\x01" "c/ecb/obj/00000000000000aa/"
#define MISSING_CHUNK 1 /* fragment 5 of chunk 1 is never written, fragment 4 is deleted */

static char answer[1 << 20];

/* A put of body as key on node i, as a replica (replica = 1) or through its coordinator. */
static int put_raw(tc_cluster_t *c, int i, cn_slice_t key, const void *body, size_t len,
                   uint64_t flags, uint64_t size, int replica, uint64_t clock)
{
    cn_msg_t *m = cn_msg_new(CN_OP_PUT), *resp;
    int rc;

    cn_msg_set_bytes(m, "key", key.ptr, key.len);
    cn_msg_set_u64(m, "clock", clock);
    cn_msg_set_str(m, "etag", "etag-test");
    cn_msg_set_u64(m, "flags", flags);
    cn_msg_set_u64(m, "size", size);
    if (replica)
        cn_msg_set_u64(m, "replica", 1);
    cn_msg_set_body_copy(m, body, len);
    if ((resp = tc_call(c, i, m)) == NULL)
        return CN_EUNAVAIL;
    rc = cn_msg_rc(resp);
    cn_msg_free(resp);
    return rc;
}

static int owner_of(tc_cluster_t *c, const void *key, size_t len)
{
    const cn_ring_node_t *o;

    cr_assert_eq(cn_ring_lookup(c->ring, key, len, 1, &o), 1);
    return tc_index(c, o->name);
}

/* The fragment's share of its chunk as du counts it: payload * K / (K + M), rounded down. */
static uint64_t share(uint64_t payload)
{
    return payload * K / (K + M);
}

Test(ec_whereis, lists_each_fragment_on_its_owner_and_du_counts_them, .timeout = 120)
{
    tc_cluster_t cl;
    cn_ec_t *ec;
    cn_manifest_t man = {0};
    cn_buf_t ck, fk, body;
    uint8_t data[SIZE], *frags[K + M];
    int where[2][K + M];
    uint64_t raw_want = 0, logical_frags = 0, clock = cn_now_ns();
    json_error_t jerr;
    json_t *j, *ec_j, *list;
    int o[3];

    for (size_t i = 0; i < SIZE; i++)
        data[i] = (uint8_t)(i * 131 + 7);
    tc_init(&cl, 2, 0);
    for (int i = 0; i < 6; i++)
        tc_node_start(&cl, i);
    tc_start_ring(&cl);
    cr_assert_eq(cn_ec_create(K, M, &ec), 0);
    cn_buf_init(&ck);
    cn_buf_init(&fk);
    cn_buf_init(&body);

    /* the manifest first (as the gateway will write it last), through its coordinator */
    man.size = SIZE;
    strcpy(man.etag, "0123456789abcdef0123456789abcdef");
    cn_manifest_add_seg(&man, PREFIX, sizeof(PREFIX) - 1, SIZE, CHUNK);
    cn_manifest_seg_set_ec(&man, 0, K, M);
    cn_manifest_encode(&man, &body);
    cr_assert_eq(tc_owners(&cl, "ecb/obj", 3, o), 3);
    cr_assert_eq(put_raw(&cl, o[0], CN_SLICE("ecb/obj"), body.data, body.len, CN_OBJ_MANIFEST,
                         SIZE, 0, 0), 0);
    /* and a replicated object of 11 bytes, for du's whole copies */
    cr_assert_eq(tc_owners(&cl, "ecb/plain", 3, o), 3);
    cr_assert_eq(tc_put(&cl, o[0], "ecb/plain", "hello world", 0, 0, NULL), 0);
    for (int k = 0; k < 3; k++)
        TC_WAIT(tc_whereis(&cl, o[k], "ecb/plain", NULL, NULL, NULL) == 0, 5000,
                "an owner never got its copy");
    cr_assert_eq(tc_owners(&cl, "ecb/obj", 3, o), 3);
    for (int k = 0; k < 3; k++)
        TC_WAIT(tc_whereis(&cl, o[k], "ecb/obj", NULL, NULL, NULL) == 0, 5000,
                "an owner never got its manifest copy");

    for (uint64_t c = 0; c < 2; c++) {
        size_t len = c == 0 ? CHUNK : SIZE - CHUNK, flen = cn_ec_frag_len(ec, len);

        for (int i = 0; i < K + M; i++)
            frags[i] = cn_malloc(flen);
        cr_assert_eq(cn_ec_encode(ec, data + c * CHUNK, len, frags), 0);
        cn_manifest_chunk_key(&man.segs[0], c, &ck);
        for (int i = 0; i < K + M; i++) {
            cn_frag_hdr_t h = {.k = K, .m = M, .index = (uint8_t)i, .clock = clock,
                               .chunk_len = len};
            uint8_t hdr[CN_FRAG_HDR_LEN];

            cn_frag_chunk_id(ck.data, ck.len, h.chunk_id);
            cn_frag_encode(&h, frags[i], hdr);
            cn_buf_reset(&body);
            cn_buf_append(&body, hdr, sizeof(hdr));
            cn_buf_append(&body, frags[i], flen);
            cn_frag_key(ck.data, ck.len, K, M, (unsigned)i, &fk);
            where[c][i] = owner_of(&cl, fk.data, fk.len);
            cr_assert_geq(where[c][i], 0);
            if (c == MISSING_CHUNK && i == K + M - 1)
                continue; /* never written: missing */
            cr_assert_eq(put_raw(&cl, where[c][i], cn_slice(fk.data, fk.len), body.data,
                                 body.len, 0, body.len, 1, clock),
                         0, "chunk %d fragment %d", (int)c, i);
            if (c == MISSING_CHUNK && i == K + M - 2) { /* deleted: a tombstone */
                cn_msg_t *d = cn_msg_new(CN_OP_DELETE), *resp;

                cn_msg_set_bytes(d, "key", fk.data, fk.len);
                cn_msg_set_u64(d, "clock", clock + 1);
                cn_msg_set_u64(d, "replica", 1);
                cr_assert_not_null(resp = tc_call(&cl, where[c][i], d));
                cr_assert_eq(cn_msg_rc(resp), 0);
                cn_msg_free(resp);
                continue;
            }
            raw_want += body.len;
            logical_frags += share(flen);
        }
        /* six distinct owners: the chunk's row, one fragment each */
        for (int i = 0; i < K + M; i++)
            for (int x = 0; x < i; x++)
                cr_assert_neq(where[c][i], where[c][x]);
        for (int i = 0; i < K + M; i++)
            cn_free(frags[i]);
    }

    /* whereis: the fragments of both chunks, each on its owner, with its state */
    cr_assert_eq(tc_admin_get(&cl, "/v1/whereis?key=ecb/obj", answer, sizeof(answer)), 200);
    cr_assert_not_null(j = json_loads(answer, 0, &jerr), "%s: %s", jerr.text, answer);
    cr_assert_null(json_object_get(j, "ec_error"), "%s", answer);
    cr_assert_not_null(ec_j = json_object_get(j, "ec"), "no ec in %s", answer);
    cr_assert_eq(json_integer_value(json_object_get(ec_j, "chunks")), 2);
    cr_assert_eq(json_integer_value(json_object_get(ec_j, "listed")), 2);
    cr_assert(json_is_false(json_object_get(ec_j, "truncated")));
    cr_assert_eq(json_integer_value(json_object_get(json_object_get(ec_j, "fragments"), "ok")),
                 10, "%s", answer);
    cr_assert_eq(
        json_integer_value(json_object_get(json_object_get(ec_j, "fragments"), "missing")), 1);
    cr_assert_eq(
        json_integer_value(json_object_get(json_object_get(ec_j, "fragments"), "deleted")), 1);
    cr_assert_eq(json_integer_value(json_object_get(json_object_get(ec_j, "fragments"), "error")),
                 0);
    list = json_object_get(ec_j, "list");
    cr_assert_eq(json_array_size(list), 2);
    for (size_t c = 0; c < 2; c++) {
        json_t *ch = json_array_get(list, c), *fr = json_object_get(ch, "fragments");
        char want_key[64];

        snprintf(want_key, sizeof(want_key), "\\x01c/ecb/obj/00000000000000aa/%06zu", c);
        cr_assert_str_eq(json_string_value(json_object_get(ch, "key")), want_key);
        cr_assert_eq(json_integer_value(json_object_get(ch, "chunk")), (json_int_t)c);
        cr_assert_eq(json_integer_value(json_object_get(ch, "k")), K);
        cr_assert_eq(json_integer_value(json_object_get(ch, "m")), M);
        cr_assert_eq(json_array_size(fr), K + M);
        for (int i = 0; i < K + M; i++) {
            json_t *f = json_array_get(fr, (size_t)i);
            const char *state = json_string_value(json_object_get(f, "state"));
            const char *want = c == MISSING_CHUNK && i == K + M - 1   ? "missing"
                               : c == MISSING_CHUNK && i == K + M - 2 ? "deleted"
                                                                      : "ok";

            cr_assert_eq(json_integer_value(json_object_get(f, "i")), i);
            cr_assert_str_eq(json_string_value(json_object_get(f, "node")),
                             cl.name[where[c][i]], "chunk %zu fragment %d", c, i);
            cr_assert_str_eq(state, want, "chunk %zu fragment %d", c, i);
            if (strcmp(want, "ok") == 0) {
                cr_assert_eq(json_integer_value(json_object_get(f, "clock")),
                             (json_int_t)clock);
                cr_assert_eq(json_integer_value(json_object_get(f, "size")),
                             CN_FRAG_HDR_LEN + (c == 0 ? 250 : 125));
            }
        }
    }
    json_decref(j);

    /* more than 1,000 coded chunks: the first 1,000 listed (6,000 keys asked, in batches),
     * none written: all missing */
    {
        cn_manifest_t huge = {0};

        huge.size = 1001;
        strcpy(huge.etag, "e");
        cn_manifest_add_seg(&huge, "\x01" "c/ecb/huge/00000000000000bb/", 29, 1001, 1);
        cn_manifest_seg_set_ec(&huge, 0, K, M);
        cn_buf_reset(&body);
        cn_manifest_encode(&huge, &body);
        cn_manifest_dispose(&huge);
        cr_assert_eq(tc_owners(&cl, "ecb/huge", 3, o), 3);
        cr_assert_eq(put_raw(&cl, o[0], CN_SLICE("ecb/huge"), body.data, body.len,
                             CN_OBJ_MANIFEST, 1001, 0, 0), 0);
        cr_assert_eq(tc_admin_get(&cl, "/v1/whereis?key=ecb/huge", answer, sizeof(answer)),
                     200);
        cr_assert_not_null(j = json_loads(answer, 0, &jerr), "%s", jerr.text);
        cr_assert_not_null(ec_j = json_object_get(j, "ec"), "%.2000s", answer);
        cr_assert_eq(json_integer_value(json_object_get(ec_j, "chunks")), 1001);
        cr_assert_eq(json_integer_value(json_object_get(ec_j, "listed")), 1000);
        cr_assert(json_is_true(json_object_get(ec_j, "truncated")));
        cr_assert_eq(json_array_size(json_object_get(ec_j, "list")), 1000);
        cr_assert_eq(
            json_integer_value(json_object_get(json_object_get(ec_j, "fragments"), "missing")),
            6000, "%.2000s", answer);
        json_decref(j);
    }

    /* a manifest copy that does not decode: ec_error, no ec */
    cr_assert_eq(tc_owners(&cl, "ecb/bad", 3, o), 3);
    cr_assert_eq(put_raw(&cl, o[0], CN_SLICE("ecb/bad"), "\x81\xa1v\x03", 4, CN_OBJ_MANIFEST,
                         10, 0, 0), 0);
    cr_assert_eq(tc_admin_get(&cl, "/v1/whereis?key=ecb/bad", answer, sizeof(answer)), 200);
    cr_assert_not_null(j = json_loads(answer, 0, &jerr), "%s", jerr.text);
    cr_assert_null(json_object_get(j, "ec"));
    cr_assert_not_null(strstr(json_string_value(json_object_get(j, "ec_error")),
                              "does not decode"), "%s", answer);
    json_decref(j);

    /* a replicated object has no "ec" */
    cr_assert_eq(tc_admin_get(&cl, "/v1/whereis?key=ecb/plain", answer, sizeof(answer)), 200);
    cr_assert_null(strstr(answer, "\"ec\""), "%s", answer);

    /* du: the fragments' raw bytes and logical shares, the copies' 1/3 each; the manifest's
     * body is not counted */
    {
        uint64_t raw = 0, logical = 0, nfrags = 0, fbytes = 0, logical_want = logical_frags;

        for (int i = 0; i < 6; i++) {
            char path[64];
            uint64_t copy = tc_whereis(&cl, i, "ecb/plain", NULL, NULL, NULL) == 0 ? 11 : 0;

            snprintf(path, sizeof(path), "/v1/nodes/%s/du", cl.name[i]);
            cr_assert_eq(tc_admin_get(&cl, path, answer, sizeof(answer)), 200);
            cr_assert_not_null(j = json_loads(answer, 0, &jerr), "%s", answer);
            cr_assert_eq(json_integer_value(json_object_get(j, "copies")), 3);
            raw += (uint64_t)json_integer_value(json_object_get(j, "raw_bytes"));
            logical += (uint64_t)json_integer_value(json_object_get(j, "logical_bytes"));
            nfrags += (uint64_t)json_integer_value(json_object_get(j, "fragments"));
            fbytes += (uint64_t)json_integer_value(json_object_get(j, "fragment_bytes"));
            logical_want += copy / 3;
            raw_want += copy;
            json_decref(j);
        }
        cr_assert_eq(nfrags, 10);
        cr_assert_eq(fbytes, 10 * CN_FRAG_HDR_LEN + 6 * 250 + 4 * 125);
        cr_assert_eq(raw, raw_want);
        cr_assert_eq(logical, logical_want);
        /* chunk 0 has all six: its shares add up to its 1000 bytes, less than K+M short */
        cr_assert(6 * share(250) <= 1000 && 6 * share(250) > 1000 - (K + M));
    }

    cn_buf_dispose(&ck);
    cn_buf_dispose(&fk);
    cn_buf_dispose(&body);
    cn_manifest_dispose(&man);
    cn_ec_destroy(ec);
    tc_finish(&cl);
}
