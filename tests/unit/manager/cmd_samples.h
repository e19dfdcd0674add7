/*
 * tests/unit/manager/cmd_samples.h: one filled entry of every command kind (manager/cmd.h),
 * for the codec tests (test_cmd.c) and the fuzz seeds (tests/fuzz/tools/mkseeds.c). Every
 * field a kind has is set, optional ones included, so that a round trip covers them all.
 * The values are shapes only: applying them in this order is not meant to succeed.
 */
#ifndef CAIRN_TESTS_UNIT_MANAGER_CMD_SAMPLES_H
#define CAIRN_TESTS_UNIT_MANAGER_CMD_SAMPLES_H

#include <stdio.h>

#include "common/proto.h"
#include "common/ring.h"
#include "manager/cmd.h"

#define T_USER_ID "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"

static inline void t_cmd_sample(enum mgr_cmd_kind kind, mgr_cmd_t *c)
{
    cn_ring_t *r;

    mgr_cmd_init(c, kind);
    snprintf(c->user.name, sizeof(c->user.name), "alice");
    snprintf(c->user.id, sizeof(c->user.id), "%s", T_USER_ID);
    snprintf(c->user.access_key, sizeof(c->user.access_key), "AKIAIOSFODNN7EXAMPLE");
    snprintf(c->user.secret, sizeof(c->user.secret), "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY");
    snprintf(c->user.role, sizeof(c->user.role), "admin");
    c->user.created_ms = 1732330000123ull;
    snprintf(c->user.pw_hash, sizeof(c->user.pw_hash),
             "pbkdf2-sha256$100000$00112233445566778899aabbccddeeff$"
             "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824");
    snprintf(c->bucket.name, sizeof(c->bucket.name), "photos");
    snprintf(c->bucket.owner, sizeof(c->bucket.owner), "%s", T_USER_ID);
    snprintf(c->bucket.acl, sizeof(c->bucket.acl), "public-read");
    snprintf(c->bucket.grants, sizeof(c->bucket.grants), "%s/FULL_CONTROL,AllUsers/READ",
             T_USER_ID);
    snprintf(c->user.email, sizeof(c->user.email), "alice@example.com");
    c->bucket.created_ms = 1732330000456ull;
    c->bucket.quota_bytes = 1ull << 40;
    snprintf(c->if_owner, sizeof(c->if_owner), "%s", T_USER_ID);
    snprintf(c->endpoint, sizeof(c->endpoint), "s3.example.com");
    c->created_ms = 1732330000789ull;
    snprintf(c->member.name, sizeof(c->member.name), "storage0");
    snprintf(c->member.type, sizeof(c->member.type), "%s", CN_NODE_STORAGE);
    snprintf(c->member.host, sizeof(c->member.host), "127.0.0.1");
    c->member.port = 10100;
    c->member.vnodes = 128;
    snprintf(c->member.state, sizeof(c->member.state), "running");
    c->member.ring_cur = 0xfedcba9876543210ull;
    c->member.ring_prev = 0x0123456789abcdefull;
    c->member.updated_ms = 1732330001000ull;
    snprintf(c->from, sizeof(c->from), "restarted");
    c->expect_cur = 0x1111222233334444ull;
    c->expect_prev = 0x5555666677778888ull;
    c->levels = (mgr_levels_t){3, 2, 2, 2};
    r = cn_ring_create();
    cn_ring_add(r, "storage0", "127.0.0.1", 10100, 128);
    cn_ring_add(r, "storage1", "127.0.0.1", 10101, 128);
    cn_ring_build(r);
    mgr_cmd_set_ring(c, r);
    cn_ring_destroy(r);
    mgr_cmd_add_rec(c, "u/alice", "{\"user\":\"alice\"}", 16);
    mgr_cmd_add_rec(c, "v/users", "\0\0\0\0\0\0\0\7", 8);
    mgr_cmd_add_rec(c, "e/empty.example", "", 0);
    c->applied = 42;
    c->peer.id = 4; /* group_*: raft_addr and voter are not in an entry */
    snprintf(c->peer.host, sizeof(c->peer.host), "10.0.0.4");
    c->peer.raft_port = 10012;
    c->peer.rpc_port = 10010;
    c->peer.admin_port = 10011;
    mgr_cmd_set_text(c, "{\"Version\":\"2012-10-17\",\"Statement\":[]}", 39);
    snprintf(c->config, sizeof(c->config), "public_access_block");
    snprintf(c->key_status, sizeof(c->key_status), "Inactive");
    snprintf(c->kms.name, sizeof(c->kms.name), "aws/s3");
    c->kms.epoch = 2;
    snprintf(c->kms.master, sizeof(c->kms.master), "0123456789abcdef");
    for (size_t i = 0; i < sizeof(c->kms.wrapped); i++)
        c->kms.wrapped[i] = (uint8_t)(i * 7 + 1);
    mgr_cmd_add_wrap(c, &c->kms);
    c->kms.epoch = 3;
    mgr_cmd_add_wrap(c, &c->kms);
    snprintf(c->kms.origin, sizeof(c->kms.origin), "aaaaaaaaaaaaaaaa"); /* a remote store's */
    c->kms.epoch = 1;
    mgr_cmd_add_wrap(c, &c->kms);
    c->kms.origin[0] = '\0';
    c->kms.epoch = 3;
    snprintf(c->cluster_id, sizeof(c->cluster_id), "3f1c0a9e5b7d2c44");
    c->xclock = 1732330002000000000ull; /* a stamp's clock, xdc_tombstone_purge's before */
    snprintf(c->link.id, sizeof(c->link.id), "0123456789abcdef");
    snprintf(c->link.managers, sizeof(c->link.managers), "10.1.0.1:10010,10.1.0.2:10010");
    snprintf(c->link.state, sizeof(c->link.state), "removing");
    snprintf(c->link.master, sizeof(c->link.master), "fedcba9876543210");
    for (size_t i = 0; i < sizeof(c->link.wrapped); i++)
        c->link.wrapped[i] = (uint8_t)(i * 5 + 3);
}

#endif
