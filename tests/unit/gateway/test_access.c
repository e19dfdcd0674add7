/*
 * tests/unit/gateway/test_access.c: tests gateway/auth/access.c, the one access decision, as a
 * table: every bucket canned ACL x object canned ACL x requester (the owner of both, another
 * signed user, anonymous, and the bucket's owner on an object another user wrote) x
 * permission, against what S3's ACL documentation grants. The S3 operations' mapping to
 * permissions and the metadata's owner (format 1 and 2, gateway/s3/manifest.h) are checked too,
 * and who owns a new object under each of the bucket's ownership controls.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/acl.h"
#include "common/err.h"
#include "gateway/auth/access.h"
#include "gateway/s3/manifest.h"

#define ALICE "a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1"
#define BOB "b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0"

static const char *const acls[] = {"private", "public-read", "public-read-write",
                                   "authenticated-read", "bucket-owner-read",
                                   "bucket-owner-full-control"};
enum who { OWNER, OTHER, ANON, NWHO };
static const char *const requester[NWHO] = {ALICE, BOB, NULL};

/* What S3 answers, written out independently of access.c's table. */
static int s3_bucket_grants(const char *acl, enum who w, gw_perm_t p)
{
    int anyone = !strcmp(acl, "public-read") || !strcmp(acl, "public-read-write");
    int signed_read = !strcmp(acl, "authenticated-read") && w != ANON;

    if (w == OWNER)
        return 1;
    switch (p) {
    case GW_PERM_BUCKET_LIST: return anyone || signed_read;
    case GW_PERM_BUCKET_WRITE: return !strcmp(acl, "public-read-write");
    default: return 0; /* READ_ACP, WRITE_ACP and owner-only: no canned ACL gives them away */
    }
}

static int s3_object_grants(const char *acl, enum who w, int bucket_owner_is_w, gw_perm_t p)
{
    if (w == OWNER)
        return 1;
    if (bucket_owner_is_w && !strcmp(acl, "bucket-owner-full-control"))
        return 1;
    if (p != GW_PERM_OBJECT_READ)
        return 0;
    if (!strcmp(acl, "public-read") || !strcmp(acl, "public-read-write"))
        return 1;
    if (!strcmp(acl, "authenticated-read"))
        return w != ANON;
    return bucket_owner_is_w && !strcmp(acl, "bucket-owner-read");
}

Test(access, bucket_permissions_table, .timeout = 10)
{
    static const gw_perm_t perms[] = {GW_PERM_BUCKET_LIST, GW_PERM_BUCKET_WRITE,
                                      GW_PERM_BUCKET_READ_ACP, GW_PERM_BUCKET_WRITE_ACP,
                                      GW_PERM_BUCKET_OWNER};
    for (size_t a = 0; a < 4; a++)
        for (int w = 0; w < NWHO; w++)
            for (size_t p = 0; p < sizeof(perms) / sizeof(perms[0]); p++) {
                gw_acl_subject_t b = {ALICE, acls[a]};
                int want = s3_bucket_grants(acls[a], (enum who)w, perms[p]);
                cr_expect_eq(gw_access_allows(requester[w], &b, NULL, perms[p]), want,
                             "bucket acl %s, requester %d, perm %d: want %d", acls[a], w,
                             perms[p], want);
            }
}

Test(access, object_permissions_table, .timeout = 10)
{
    static const gw_perm_t perms[] = {GW_PERM_OBJECT_READ, GW_PERM_OBJECT_READ_ACP,
                                      GW_PERM_OBJECT_WRITE_ACP};
    /* the bucket's ACL never matters for an object's own permissions */
    for (size_t ba = 0; ba < 4; ba++)
        for (size_t oa = 0; oa < sizeof(acls) / sizeof(acls[0]); oa++)
            for (int w = 0; w < NWHO; w++)
                for (size_t p = 0; p < 3; p++) {
                    gw_acl_subject_t b = {ALICE, acls[ba]}, o = {ALICE, acls[oa]};
                    int want = s3_object_grants(acls[oa], (enum who)w, 0, perms[p]);
                    cr_expect_eq(gw_access_allows(requester[w], &b, &o, perms[p]), want,
                                 "bucket %s object %s requester %d perm %d: want %d",
                                 acls[ba], acls[oa], w, perms[p], want);
                }
}

Test(access, bucket_owner_on_another_users_object, .timeout = 10)
{
    /* bob wrote into alice's public-read-write bucket: alice owns the bucket, not the object */
    for (size_t oa = 0; oa < sizeof(acls) / sizeof(acls[0]); oa++) {
        gw_acl_subject_t b = {ALICE, "public-read-write"}, o = {BOB, acls[oa]};
        int anyone = !strcmp(acls[oa], "public-read") || !strcmp(acls[oa], "public-read-write");
        int full = !strcmp(acls[oa], "bucket-owner-full-control");
        int read = anyone || full || !strcmp(acls[oa], "bucket-owner-read") ||
                   !strcmp(acls[oa], "authenticated-read");

        cr_expect_eq(gw_access_allows(ALICE, &b, &o, GW_PERM_OBJECT_READ), read, "%s", acls[oa]);
        cr_expect_eq(gw_access_allows(ALICE, &b, &o, GW_PERM_OBJECT_READ_ACP), full, "%s",
                     acls[oa]);
        cr_expect_eq(gw_access_allows(BOB, &b, &o, GW_PERM_OBJECT_WRITE_ACP), 1);
        /* alice may still delete it: a bucket permission */
        cr_expect_eq(gw_access_allows(ALICE, &b, NULL, GW_PERM_BUCKET_WRITE), 1);
    }
}

Test(access, edge_cases, .timeout = 10)
{
    gw_acl_subject_t b = {ALICE, NULL}, o = {"", "private"}, none = {"", NULL};

    /* anonymous ("" or NULL) never owns, even an object whose owner is "" (anonymous write) */
    cr_expect_eq(gw_access_allows("", &b, &o, GW_PERM_OBJECT_READ), 0);
    cr_expect_eq(gw_access_allows(NULL, &none, NULL, GW_PERM_BUCKET_OWNER), 0);
    cr_expect_eq(gw_access_allows("", &none, NULL, GW_PERM_BUCKET_LIST), 0);
    /* an object permission without the object is denied */
    cr_expect_eq(gw_access_allows(ALICE, &b, NULL, GW_PERM_OBJECT_READ), 0);
    /* an unknown ACL grants nothing beyond the owner */
    b.acl = "public-read-writeX";
    cr_expect_eq(gw_access_allows(BOB, &b, NULL, GW_PERM_BUCKET_LIST), 0);
    cr_expect_eq(gw_access_allows(ALICE, &b, NULL, GW_PERM_BUCKET_LIST), 1);
    /* a NULL ACL is private */
    b.acl = NULL;
    cr_expect_eq(gw_access_allows(BOB, &b, NULL, GW_PERM_BUCKET_LIST), 0);
    /* bucket-owner-* on a bucket give nothing more */
    b.acl = "bucket-owner-full-control";
    cr_expect_eq(gw_access_allows(BOB, &b, NULL, GW_PERM_BUCKET_WRITE), 0);
    /* GW_PERM_NONE: any signed user */
    cr_expect_eq(gw_access_allows(BOB, &none, NULL, GW_PERM_NONE), 1);
    cr_expect_eq(gw_access_allows(NULL, &none, NULL, GW_PERM_NONE), 0);
    /* a prefix of the owner's id is not the owner */
    b = (gw_acl_subject_t){ALICE, "private"};
    cr_expect_eq(gw_access_allows("a1a1", &b, NULL, GW_PERM_BUCKET_OWNER), 0);
}

Test(access, operations_map_to_s3_permissions, .timeout = 10)
{
    cr_expect_eq(gw_op_perm(GW_OP_GET_OBJECT), GW_PERM_OBJECT_READ);
    cr_expect_eq(gw_op_perm(GW_OP_HEAD_OBJECT), GW_PERM_OBJECT_READ);
    cr_expect_eq(gw_op_perm(GW_OP_PUT_OBJECT), GW_PERM_BUCKET_WRITE);
    cr_expect_eq(gw_op_perm(GW_OP_DELETE_OBJECT), GW_PERM_BUCKET_WRITE);
    cr_expect_eq(gw_op_perm(GW_OP_DELETE_OBJECTS), GW_PERM_BUCKET_WRITE);
    cr_expect_eq(gw_op_perm(GW_OP_LIST_OBJECTS), GW_PERM_BUCKET_LIST);
    cr_expect_eq(gw_op_perm(GW_OP_LIST_OBJECTS_V2), GW_PERM_BUCKET_LIST);
    cr_expect_eq(gw_op_perm(GW_OP_HEAD_BUCKET), GW_PERM_BUCKET_LIST);
    cr_expect_eq(gw_op_perm(GW_OP_GET_OBJECT_ACL), GW_PERM_OBJECT_READ_ACP);
    cr_expect_eq(gw_op_perm(GW_OP_PUT_OBJECT_ACL), GW_PERM_OBJECT_WRITE_ACP);
    cr_expect_eq(gw_op_perm(GW_OP_GET_BUCKET_ACL), GW_PERM_BUCKET_READ_ACP);
    cr_expect_eq(gw_op_perm(GW_OP_PUT_BUCKET_ACL), GW_PERM_BUCKET_WRITE_ACP);
    /* tags (issue 16): an object's by its ACL's READ_ACP / WRITE_ACP, a bucket's by its owner */
    cr_expect_eq(gw_op_perm(GW_OP_GET_OBJECT_TAGGING), GW_PERM_OBJECT_READ_ACP);
    cr_expect_eq(gw_op_perm(GW_OP_PUT_OBJECT_TAGGING), GW_PERM_OBJECT_WRITE_ACP);
    cr_expect_eq(gw_op_perm(GW_OP_DELETE_OBJECT_TAGGING), GW_PERM_OBJECT_WRITE_ACP);
    cr_expect_eq(gw_op_perm(GW_OP_GET_BUCKET_TAGGING), GW_PERM_BUCKET_OWNER);
    cr_expect_eq(gw_op_perm(GW_OP_PUT_BUCKET_TAGGING), GW_PERM_BUCKET_OWNER);
    cr_expect_eq(gw_op_perm(GW_OP_DELETE_BUCKET_TAGGING), GW_PERM_BUCKET_OWNER);
    cr_expect_eq(gw_op_perm(GW_OP_DELETE_BUCKET), GW_PERM_BUCKET_OWNER);
    cr_expect_eq(gw_op_perm(GW_OP_GET_BUCKET_LOCATION), GW_PERM_BUCKET_OWNER);
    cr_expect_eq(gw_op_perm(GW_OP_LIST_BUCKETS), GW_PERM_NONE);
    /* an operation the table does not name is the bucket owner's alone */
    cr_expect_eq(gw_op_perm(GW_OP_UNSUPPORTED), GW_PERM_BUCKET_OWNER);
    cr_expect_eq(gw_op_perm((gw_op_t)9999), GW_PERM_BUCKET_OWNER);
    for (int op = GW_OP_LIST_BUCKETS; op < GW_OP_UNSUPPORTED; op++)
        cr_expect_neq(gw_op_perm((gw_op_t)op), GW_PERM_UNLISTED, "op %d is not in the table", op);
    cr_expect(gw_perm_is_object(GW_PERM_OBJECT_READ));
    cr_expect(!gw_perm_is_object(GW_PERM_BUCKET_WRITE));
}

Test(access, metadata_owner_by_format, .timeout = 10)
{
    gw_meta_t m = {0};
    cn_buf_t b;
    char owner[72], acl[32];

    /* format 1: no owner, the bucket's stands; no :acl is private */
    cn_buf_init(&b);
    gw_meta_add(&m, "content-type", 12, "text/plain", 10);
    gw_meta_encode(&m, &b);
    cr_assert_eq(gw_meta_access(b.data, b.len, ALICE, owner, acl, NULL, 0), 0);
    cr_expect_str_eq(owner, ALICE);
    cr_expect_str_eq(acl, "private");
    gw_meta_dispose(&m);
    cn_buf_reset(&b);
    /* format 1 with an ACL */
    gw_meta_add(&m, GW_META_ACL, strlen(GW_META_ACL), "public-read", 11);
    gw_meta_encode(&m, &b);
    cr_assert_eq(gw_meta_access(b.data, b.len, ALICE, owner, acl, NULL, 0), 0);
    cr_expect_str_eq(owner, ALICE);
    cr_expect_str_eq(acl, "public-read");
    gw_meta_dispose(&m);
    cn_buf_reset(&b);
    /* format 2: the writer, whatever the bucket's owner */
    gw_meta_add(&m, "content-type", 12, "text/plain", 10);
    gw_meta_add_access(&m, BOB, "authenticated-read", NULL);
    gw_meta_encode(&m, &b);
    cr_assert_eq(gw_meta_access(b.data, b.len, ALICE, owner, acl, NULL, 0), 0);
    cr_expect_str_eq(owner, BOB);
    cr_expect_str_eq(acl, "authenticated-read");
    {   /* a copy keeps the user pairs only */
        gw_meta_t in = {0}, out = {0};
        cr_assert_eq(gw_meta_decode(b.data, b.len, &in), 0);
        gw_meta_copy_user(&in, &out);
        cr_expect_eq(out.n, 1);
        cr_expect_str_eq(out.pairs[0].name, "content-type");
        gw_meta_dispose(&in);
        gw_meta_dispose(&out);
    }
    gw_meta_dispose(&m);
    cn_buf_reset(&b);
    /* anonymous writer: owner "" */
    gw_meta_add_access(&m, "", "", NULL);
    gw_meta_encode(&m, &b);
    cr_assert_eq(gw_meta_access(b.data, b.len, ALICE, owner, acl, NULL, 0), 0);
    cr_expect_str_eq(owner, "");
    cr_expect_str_eq(acl, "private");
    gw_meta_dispose(&m);
    /* garbage: the bucket's owner alone */
    cr_expect_neq(gw_meta_access("\xc1\xff", 2, ALICE, owner, acl, NULL, 0), 0);
    cr_expect_str_eq(owner, ALICE);
    cr_expect_str_eq(acl, "private");
    cn_buf_dispose(&b);
}

/* ---- object ownership (S3 Object Ownership) ------------------------------------------- */

/* Who owns a new object, from S3's OwnershipControlsRule documentation: BucketOwnerEnforced,
 * the bucket's owner always; BucketOwnerPreferred, the bucket's owner when the object is
 * uploaded with the canned ACL bucket-owner-full-control, else the writer; ObjectWriter (or
 * none set), the writer. Alice owns the bucket; Bob, or an anonymous requester, writes. */
static const struct owner_case {
    gw_ownership_t own;
    const char *writer;
    const char *acl;
    const char *want;
} owner_cases[] = {
    {GW_OWN_OBJECT_WRITER, BOB, NULL, BOB},
    {GW_OWN_OBJECT_WRITER, BOB, "", BOB},
    {GW_OWN_OBJECT_WRITER, BOB, "bucket-owner-full-control", BOB},
    {GW_OWN_OBJECT_WRITER, BOB, "public-read", BOB},
    {GW_OWN_OBJECT_WRITER, "", "bucket-owner-full-control", ""},
    {GW_OWN_OBJECT_WRITER, ALICE, "private", ALICE},
    {GW_OWN_PREFERRED, BOB, NULL, BOB},
    {GW_OWN_PREFERRED, BOB, "", BOB},
    {GW_OWN_PREFERRED, BOB, "private", BOB},
    {GW_OWN_PREFERRED, BOB, "bucket-owner-read", BOB},
    {GW_OWN_PREFERRED, BOB, "public-read", BOB},
    {GW_OWN_PREFERRED, BOB, "bucket-owner-full-control", ALICE},
    {GW_OWN_PREFERRED, BOB, "BUCKET-OWNER-FULL-CONTROL", BOB}, /* canned names are exact */
    {GW_OWN_PREFERRED, "", "bucket-owner-full-control", ALICE},
    {GW_OWN_PREFERRED, "", NULL, ""},
    {GW_OWN_PREFERRED, ALICE, "bucket-owner-full-control", ALICE},
    {GW_OWN_PREFERRED, ALICE, NULL, ALICE},
    {GW_OWN_ENFORCED, BOB, NULL, ALICE},
    {GW_OWN_ENFORCED, BOB, "bucket-owner-full-control", ALICE},
    {GW_OWN_ENFORCED, "", NULL, ALICE},
    {GW_OWN_ENFORCED, ALICE, "private", ALICE},
};

Test(access, new_object_owner_table, .timeout = 5)
{
    for (size_t i = 0; i < sizeof(owner_cases) / sizeof(owner_cases[0]); i++) {
        const struct owner_case *c = &owner_cases[i];
        const char *got = gw_access_new_object_owner(c->own, ALICE, c->writer, c->acl);

        cr_expect_str_eq(got, c->want, "case %zu: ownership %d, acl %s", i, (int)c->own,
                         c->acl ? c->acl : "(none)");
    }
}

/* A stored object's owner: its metadata's (format 2 and 3), the bucket's for format 1, and
 * the bucket's for every object under BucketOwnerEnforced, older ones too. */
Test(access, stored_object_owner, .timeout = 5)
{
    cr_expect_str_eq(gw_access_stored_owner(GW_OWN_OBJECT_WRITER, ALICE, BOB), BOB);
    cr_expect_str_eq(gw_access_stored_owner(GW_OWN_PREFERRED, ALICE, BOB), BOB);
    cr_expect_str_eq(gw_access_stored_owner(GW_OWN_OBJECT_WRITER, ALICE, ""), "");
    cr_expect_str_eq(gw_access_stored_owner(GW_OWN_OBJECT_WRITER, ALICE, NULL), ALICE);
    cr_expect_str_eq(gw_access_stored_owner(GW_OWN_PREFERRED, ALICE, NULL), ALICE);
    cr_expect_str_eq(gw_access_stored_owner(GW_OWN_ENFORCED, ALICE, BOB), ALICE);
    cr_expect_str_eq(gw_access_stored_owner(GW_OWN_ENFORCED, ALICE, NULL), ALICE);
}

/* gw_meta_set: an upload marker's initiator is added, and dropped again for the object */
Test(access, metadata_set_and_remove_a_pair, .timeout = 5)
{
    gw_meta_t m = {0}, got = {0};
    cn_buf_t b;

    cn_buf_init(&b);
    gw_meta_add(&m, "content-type", 12, "text/plain", 10);
    gw_meta_add_access(&m, ALICE, "private", NULL);
    gw_meta_encode(&m, &b);
    cr_assert_eq(gw_meta_set(&b, GW_META_INITIATOR, BOB), 0);
    cr_assert_eq(gw_meta_set(&b, GW_META_INITIATOR, BOB), 0); /* set twice: one pair */
    cr_assert_eq(gw_meta_decode(b.data, b.len, &got), 0);
    cr_assert_eq(got.n, m.n + 1);
    cr_expect_str_eq(got.pairs[got.n - 1].name, GW_META_INITIATOR);
    cr_expect_str_eq(got.pairs[got.n - 1].value, BOB);
    gw_meta_dispose(&got);
    cr_assert_eq(gw_meta_set(&b, GW_META_INITIATOR, NULL), 0);
    cr_assert_eq(gw_meta_decode(b.data, b.len, &got), 0);
    cr_assert_eq(got.n, m.n);
    for (size_t i = 0; i < m.n; i++) {
        cr_expect_str_eq(got.pairs[i].name, m.pairs[i].name);
        cr_expect_str_eq(got.pairs[i].value, m.pairs[i].value);
    }
    gw_meta_dispose(&got);
    cn_buf_reset(&b);
    cn_buf_append(&b, "\xc1", 1);
    cr_expect_eq(gw_meta_set(&b, GW_META_INITIATOR, NULL), CN_ECORRUPT);
    cr_expect_eq(b.len, 1, "left as it was");
    gw_meta_dispose(&m);
    cn_buf_dispose(&b);
}

/* ---- grant lists (issue 15) ------------------------------------------------------------ */

#define CAROL "c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0"

/* One case from S3's ACL documentation (acl-overview.html, "Permissions you can grant" and
 * "Canned ACL"): the bucket's and the object's ACL (a grant list, or a canned name when the
 * list is NULL), the requester, the permission, and what S3 answers. Alice owns the bucket,
 * Bob the object. */
static const struct grant_case {
    const char *bucket_grants, *bucket_acl;
    const char *obj_grants, *obj_acl;
    unsigned flags;               /* GW_ACL_IGNORE_PUBLIC on both */
    const char *requester;
    gw_perm_t perm;
    int want;
    const char *why;
} grant_cases[] = {
    /* bucket READ lists, WRITE writes, READ_ACP / WRITE_ACP the ACL, FULL_CONTROL all four */
    {CAROL "/READ", NULL, NULL, NULL, 0, CAROL, GW_PERM_BUCKET_LIST, 1, "READ lists"},
    {CAROL "/READ", NULL, NULL, NULL, 0, CAROL, GW_PERM_BUCKET_WRITE, 0, "READ does not write"},
    {CAROL "/READ", NULL, NULL, NULL, 0, CAROL, GW_PERM_BUCKET_READ_ACP, 0, "nor read the ACL"},
    {CAROL "/WRITE", NULL, NULL, NULL, 0, CAROL, GW_PERM_BUCKET_WRITE, 1, "WRITE writes"},
    {CAROL "/WRITE", NULL, NULL, NULL, 0, CAROL, GW_PERM_BUCKET_LIST, 0, "WRITE does not list"},
    {CAROL "/READ_ACP", NULL, NULL, NULL, 0, CAROL, GW_PERM_BUCKET_READ_ACP, 1, "READ_ACP"},
    {CAROL "/READ_ACP", NULL, NULL, NULL, 0, CAROL, GW_PERM_BUCKET_WRITE_ACP, 0, "not WRITE_ACP"},
    {CAROL "/WRITE_ACP", NULL, NULL, NULL, 0, CAROL, GW_PERM_BUCKET_WRITE_ACP, 1, "WRITE_ACP"},
    {CAROL "/WRITE_ACP", NULL, NULL, NULL, 0, CAROL, GW_PERM_BUCKET_READ_ACP, 0, "not READ_ACP"},
    {CAROL "/FULL_CONTROL", NULL, NULL, NULL, 0, CAROL, GW_PERM_BUCKET_LIST, 1, "FULL lists"},
    {CAROL "/FULL_CONTROL", NULL, NULL, NULL, 0, CAROL, GW_PERM_BUCKET_WRITE, 1, "FULL writes"},
    {CAROL "/FULL_CONTROL", NULL, NULL, NULL, 0, CAROL, GW_PERM_BUCKET_WRITE_ACP, 1, "FULL ACP"},
    {CAROL "/FULL_CONTROL", NULL, NULL, NULL, 0, CAROL, GW_PERM_BUCKET_OWNER, 0,
     "FULL_CONTROL is not ownership (DeleteBucket)"},
    {CAROL "/FULL_CONTROL", NULL, NULL, NULL, 0, BOB, GW_PERM_BUCKET_LIST, 0, "another user"},
    {CAROL "/FULL_CONTROL", NULL, NULL, NULL, 0, NULL, GW_PERM_BUCKET_LIST, 0, "anonymous"},
    /* groups */
    {"AllUsers/READ", NULL, NULL, NULL, 0, NULL, GW_PERM_BUCKET_LIST, 1, "AllUsers: anyone"},
    {"AllUsers/WRITE", NULL, NULL, NULL, 0, NULL, GW_PERM_BUCKET_WRITE, 1, "AllUsers WRITE"},
    {"AuthenticatedUsers/READ", NULL, NULL, NULL, 0, BOB, GW_PERM_BUCKET_LIST, 1, "signed"},
    {"AuthenticatedUsers/READ", NULL, NULL, NULL, 0, NULL, GW_PERM_BUCKET_LIST, 0, "not anon"},
    {"LogDelivery/WRITE", NULL, NULL, NULL, 0, BOB, GW_PERM_BUCKET_WRITE, 0, "LogDelivery: none"},
    {"LogDelivery/WRITE", NULL, NULL, NULL, 0, NULL, GW_PERM_BUCKET_WRITE, 0, "not anon either"},
    /* the owner keeps control whatever the list says */
    {CAROL "/READ", NULL, NULL, NULL, 0, ALICE, GW_PERM_BUCKET_WRITE_ACP, 1, "owner"},
    {CAROL "/READ", NULL, NULL, NULL, 0, ALICE, GW_PERM_BUCKET_OWNER, 1, "owner only"},
    /* several grants: any one that gives the permission */
    {CAROL "/READ," BOB "/WRITE", NULL, NULL, NULL, 0, BOB, GW_PERM_BUCKET_WRITE, 1, "second"},
    {CAROL "/READ," BOB "/WRITE", NULL, NULL, NULL, 0, BOB, GW_PERM_BUCKET_LIST, 0, "not READ"},
    /* a list replaces the canned ACL beside it */
    {CAROL "/READ", "public-read", NULL, NULL, 0, NULL, GW_PERM_BUCKET_LIST, 0, "list wins"},
    /* canned shorthands as lists: log-delivery-write gives LogDelivery WRITE and READ_ACP */
    {NULL, "log-delivery-write", NULL, NULL, 0, NULL, GW_PERM_BUCKET_WRITE, 0, "ldw: no anon"},
    {NULL, "log-delivery-write", NULL, NULL, 0, BOB, GW_PERM_BUCKET_READ_ACP, 0, "ldw: no user"},
    {NULL, "aws-exec-read", NULL, NULL, 0, BOB, GW_PERM_BUCKET_LIST, 0, "EC2 is nobody here"},
    /* object READ, READ_ACP, WRITE_ACP, FULL_CONTROL; WRITE is "not applicable" */
    {NULL, NULL, CAROL "/READ", NULL, 0, CAROL, GW_PERM_OBJECT_READ, 1, "object READ"},
    {NULL, NULL, CAROL "/READ", NULL, 0, CAROL, GW_PERM_OBJECT_READ_ACP, 0, "not its ACL"},
    {NULL, NULL, CAROL "/READ_ACP", NULL, 0, CAROL, GW_PERM_OBJECT_READ_ACP, 1, "READ_ACP"},
    {NULL, NULL, CAROL "/READ_ACP", NULL, 0, CAROL, GW_PERM_OBJECT_READ, 0, "not the data"},
    {NULL, NULL, CAROL "/WRITE_ACP", NULL, 0, CAROL, GW_PERM_OBJECT_WRITE_ACP, 1, "WRITE_ACP"},
    {NULL, NULL, CAROL "/WRITE", NULL, 0, CAROL, GW_PERM_OBJECT_READ, 0, "object WRITE: none"},
    {NULL, NULL, CAROL "/WRITE", NULL, 0, CAROL, GW_PERM_OBJECT_WRITE_ACP, 0, "nor the ACL"},
    {NULL, NULL, CAROL "/FULL_CONTROL", NULL, 0, CAROL, GW_PERM_OBJECT_WRITE_ACP, 1, "FULL"},
    {NULL, NULL, "AllUsers/READ", NULL, 0, NULL, GW_PERM_OBJECT_READ, 1, "public object"},
    {NULL, NULL, "AuthenticatedUsers/READ", NULL, 0, CAROL, GW_PERM_OBJECT_READ, 1, "signed"},
    /* the bucket's owner is no object owner: only a grant gives it the object */
    {NULL, NULL, CAROL "/READ", NULL, 0, ALICE, GW_PERM_OBJECT_READ, 0, "bucket owner"},
    {NULL, NULL, ALICE "/READ", NULL, 0, ALICE, GW_PERM_OBJECT_READ, 1, "granted to it"},
    {NULL, NULL, NULL, "bucket-owner-read", 0, ALICE, GW_PERM_OBJECT_READ, 1, "b-o-read"},
    {NULL, NULL, NULL, "bucket-owner-read", 0, ALICE, GW_PERM_OBJECT_READ_ACP, 0, "READ only"},
    {NULL, NULL, NULL, "bucket-owner-full-control", 0, ALICE, GW_PERM_OBJECT_WRITE_ACP, 1,
     "b-o-full-control"},
    {NULL, NULL, NULL, NULL, 0, BOB, GW_PERM_OBJECT_READ, 1, "the object's owner"},
    /* a bucket's grants give nothing on its objects */
    {"AllUsers/FULL_CONTROL", NULL, NULL, NULL, 0, NULL, GW_PERM_OBJECT_READ, 0, "bucket only"},
    /* IgnorePublicAcls: grants to AllUsers and AuthenticatedUsers count for nothing, the
     * others still do */
    {"AllUsers/READ", NULL, NULL, NULL, GW_ACL_IGNORE_PUBLIC, NULL, GW_PERM_BUCKET_LIST, 0,
     "ignored AllUsers"},
    {"AllUsers/READ," CAROL "/READ", NULL, NULL, NULL, GW_ACL_IGNORE_PUBLIC, CAROL,
     GW_PERM_BUCKET_LIST, 1, "a user grant stays"},
    {NULL, NULL, "AuthenticatedUsers/READ", NULL, GW_ACL_IGNORE_PUBLIC, CAROL,
     GW_PERM_OBJECT_READ, 0, "ignored AuthenticatedUsers"},
    {NULL, "public-read", NULL, NULL, GW_ACL_IGNORE_PUBLIC, NULL, GW_PERM_BUCKET_LIST, 0,
     "ignored canned public-read"},
    /* a malformed list grants what comes before the defect, nothing after */
    {CAROL "/READ,nobody/READ,AllUsers/READ", NULL, NULL, NULL, 0, NULL, GW_PERM_BUCKET_LIST,
     0, "fail closed"},
    {CAROL "/READ,nobody/READ", NULL, NULL, NULL, 0, CAROL, GW_PERM_BUCKET_LIST, 1, "before"},
};

Test(access, grant_lists_table, .timeout = 10)
{
    for (size_t i = 0; i < sizeof(grant_cases) / sizeof(grant_cases[0]); i++) {
        const struct grant_case *c = &grant_cases[i];
        gw_acl_subject_t b = {ALICE, c->bucket_acl, c->bucket_grants, c->flags};
        gw_acl_subject_t o = {BOB, c->obj_acl, c->obj_grants, c->flags};

        cr_expect_eq(gw_access_allows(c->requester, &b, &o, c->perm), c->want,
                     "case %zu (%s): got %d", i, c->why, !c->want);
    }
}

Test(access, grant_text_form, .timeout = 5)
{
    cn_acl_grant_t g[CN_ACL_CANNED_MAX];
    cn_buf_t b;
    size_t n, pos = 0;

    cr_expect_eq(cn_acl_text_valid(""), 0);
    cr_expect_eq(cn_acl_text_valid(ALICE "/FULL_CONTROL,AllUsers/READ,LogDelivery/WRITE"), 0);
    cr_expect_neq(cn_acl_text_valid(ALICE "/FULL_CONTROL,"), 0);
    cr_expect_neq(cn_acl_text_valid("AllUsers/ALL"), 0);
    cr_expect_neq(cn_acl_text_valid("Everyone/READ"), 0);
    cr_expect_neq(cn_acl_text_valid("A1A1A1A1A1A1A1A1A1A1A1A1A1A1A1A1"
                                    "A1A1A1A1A1A1A1A1A1A1A1A1A1A1A1A1/READ"), 0); /* upper */
    /* the canned ACLs as S3 lists them, the owner's FULL_CONTROL first */
    cr_assert_eq(cn_acl_canned("log-delivery-write", ALICE, NULL, g, &n), 0);
    cr_assert_eq(n, 3);
    cr_expect_eq(g[1].type, CN_ACL_LOG_DELIVERY);
    cr_expect_eq(g[1].perm, CN_ACL_WRITE);
    cr_expect_eq(g[2].perm, CN_ACL_READ_ACP);
    cr_assert_eq(cn_acl_canned("bucket-owner-full-control", BOB, ALICE, g, &n), 0);
    cr_assert_eq(n, 2);
    cr_expect_str_eq(g[1].id, ALICE);
    cr_assert_eq(cn_acl_canned("bucket-owner-read", ALICE, NULL, g, &n), 0);
    cr_expect_eq(n, 1, "a bucket's own bucket-owner-read adds nothing");
    cr_expect_neq(cn_acl_canned("everyone", ALICE, NULL, g, &n), 0);
    cr_expect(cn_acl_is_public("public-read", NULL));
    cr_expect(cn_acl_is_public("private", CAROL "/READ,AuthenticatedUsers/READ"));
    cr_expect(!cn_acl_is_public("public-read", CAROL "/READ"));
    cr_expect(!cn_acl_is_public("log-delivery-write", NULL));
    /* append, then read back */
    cn_buf_init(&b);
    cr_assert_eq(cn_acl_canned("public-read-write", ALICE, NULL, g, &n), 0);
    for (size_t i = 0; i < n; i++)
        cn_acl_append(&b, &g[i]);
    cr_expect_str_eq(b.data, ALICE "/FULL_CONTROL,AllUsers/READ,AllUsers/WRITE");
    cr_expect_eq(cn_acl_next(b.data, &pos, &g[0]), 1);
    cr_expect_str_eq(g[0].id, ALICE);
    cr_expect_eq(cn_acl_next(b.data, &pos, &g[0]), 1);
    cr_expect_eq(g[0].type, CN_ACL_ALL_USERS);
    cn_buf_dispose(&b);
}

Test(access, metadata_format_3_carries_grants, .timeout = 5)
{
    char owner[72], acl[32], grants[CN_ACL_TEXT_MAX];
    gw_meta_t m = {0};
    cn_buf_t b;

    cn_buf_init(&b);
    gw_meta_add_access(&m, BOB, "public-read", CAROL "/READ");
    gw_meta_encode(&m, &b);
    cr_assert_eq(gw_meta_access(b.data, b.len, ALICE, owner, acl, grants, sizeof(grants)), 0);
    cr_expect_str_eq(owner, BOB);
    cr_expect_str_eq(grants, CAROL "/READ");
    cr_expect_str_eq(acl, "private", "a list is stored in place of a canned name");
    {
        gw_meta_t in = {0};
        int fmt = 0;

        cr_assert_eq(gw_meta_decode(b.data, b.len, &in), 0);
        for (size_t i = 0; i < in.n; i++)
            if (strcmp(in.pairs[i].name, GW_META_FMT) == 0)
                fmt = atoi(in.pairs[i].value);
        cr_expect_eq(fmt, 3);
        gw_meta_dispose(&in);
    }
    gw_meta_dispose(&m);
    cn_buf_reset(&b);
    /* a malformed list: the owner's alone */
    gw_meta_add(&m, GW_META_FMT, 4, "3", 1);
    gw_meta_add(&m, GW_META_OWNER, 6, BOB, strlen(BOB));
    gw_meta_add(&m, GW_META_GRANTS, 7, "AllUsers/EVERYTHING", 19);
    gw_meta_encode(&m, &b);
    cr_expect_neq(gw_meta_access(b.data, b.len, ALICE, owner, acl, grants, sizeof(grants)), 0);
    cr_expect_str_eq(owner, BOB);
    cr_expect_str_eq(grants, "");
    cr_expect_str_eq(acl, "private");
    gw_meta_dispose(&m);
    cn_buf_dispose(&b);
}

/* issue 16: an object's tags are the pair ":tags" of format 3; a metadata copy (COPY
 * directive, an older gateway's PutObjectAcl) keeps it, and gw_meta_find reads it */
Test(access, metadata_tags_pair, .timeout = 5)
{
    gw_meta_t m = {0}, in = {0}, out = {0};
    cn_buf_t b, v;

    cn_buf_init(&b);
    cn_buf_init(&v);
    gw_meta_add(&m, "content-type", 12, "text/plain", 10);
    gw_meta_add_access(&m, BOB, "private", NULL);
    gw_meta_add(&m, GW_META_TAGS, strlen(GW_META_TAGS), "a=1&b=2", 7);
    gw_meta_encode(&m, &b);
    cr_expect_eq(gw_meta_find(b.data, b.len, GW_META_TAGS, &v), 1);
    cr_expect_str_eq(v.data, "a=1&b=2");
    cr_expect_eq(gw_meta_find(b.data, b.len, "x-amz-meta-none", &v), 0);
    cr_expect_eq(gw_meta_find("\xc1", 1, GW_META_TAGS, &v), CN_ECORRUPT);
    cr_assert_eq(gw_meta_decode(b.data, b.len, &in), 0);
    gw_meta_copy_user(&in, &out);
    cr_expect_eq(out.n, 2, "content-type and the tags, not the access pairs");
    cr_expect_str_eq(out.pairs[1].name, GW_META_TAGS);
    gw_meta_dispose(&m);
    gw_meta_dispose(&in);
    gw_meta_dispose(&out);
    cn_buf_dispose(&b);
    cn_buf_dispose(&v);
}
