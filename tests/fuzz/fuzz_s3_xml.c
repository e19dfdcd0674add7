/*
 * tests/fuzz/fuzz_s3_xml.c: libFuzzer target for the S3 XML request bodies
 * (gateway/s3/s3_xmlin.h): CompleteMultipartUpload, Delete (DeleteObjects), AccessControlPolicy
 * CreateBucketConfiguration and Tagging. Every parser gets every input (each checks its own
 * root). Checks: results stay inside the documented limits (part numbers 1..10000, at most
 * 10000 parts, 1..1000 non-empty keys of at most 1024 bytes, NUL-terminated strings, at most
 * GW_TAGS_HOLD tags kept), and S3's tag check and the stored form of parsed tags round-trip.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/log.h"
#include "common/mem.h"
#include "gateway/s3/s3_xmlin.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *p = (const char *)data;
    gw_xml_part_t *parts = NULL;
    gw_xml_delete_t del;
    size_t nparts = 0;
    char region[64];
    gw_xml_acl_t *acl;

    cn_log_set_level(CN_LOG_ERROR);
    if (gw_xml_parse_complete(p, size, &parts, &nparts) == 0) {
        if (nparts == 0 || nparts > GW_MPU_MAX_PARTS || parts == NULL)
            abort();
        for (size_t i = 0; i < nparts; i++)
            if (parts[i].number < 1 || parts[i].number > GW_MPU_MAX_PARTS ||
                memchr(parts[i].etag, '\0', sizeof(parts[i].etag)) == NULL)
                abort();
    }
    cn_free(parts);

    memset(&del, 0, sizeof(del));
    if (gw_xml_parse_delete(p, size, &del) == 0) {
        if (del.n == 0 || del.n > GW_DELETE_MAX_KEYS)
            abort();
        for (size_t i = 0; i < del.n; i++) {
            if (del.key_lens[i] == 0 || del.key_lens[i] > 1024 ||
                strlen(del.keys[i]) != del.key_lens[i])
                abort();
            /* a VersionId and the conditions: NUL-terminated, at most 71 bytes, never empty */
            if (del.vids[i] != NULL && (del.vids[i][0] == '\0' || strlen(del.vids[i]) > 71))
                abort();
            for (int c = 0; c < 3; c++)
                if (del.conds[i][c] != NULL &&
                    (del.conds[i][c][0] == '\0' || strlen(del.conds[i][c]) > 71))
                    abort();
        }
    }
    gw_xml_delete_dispose(&del);
    {   /* VersioningConfiguration: a known status, or 0 for none */
        int st = 7;
        unsigned mfa = 7;
        if (gw_xml_parse_versioning(p, size, &st, &mfa) == 0 &&
            ((st != 0 && st != GW_XML_VER_ENABLED && st != GW_XML_VER_SUSPENDED) ||
             (mfa != 0 && mfa != GW_XML_MFA_ENABLED)))
            abort();
    }

    acl = malloc(sizeof(*acl));
    if (acl == NULL)
        abort();
    memset(acl, 0x5a, sizeof(*acl));
    if (gw_xml_parse_acl(p, size, acl) == 0) {
        /* every grant is complete: a known type, a value and a permission, NUL-terminated */
        if (acl->n > GW_XML_ACL_MAX || memchr(acl->owner, '\0', sizeof(acl->owner)) == NULL)
            abort();
        for (size_t i = 0; i < acl->n; i++)
            if (acl->grants[i].type < GW_XML_GRANTEE_ID ||
                acl->grants[i].type > GW_XML_GRANTEE_GROUP || acl->grants[i].value[0] == '\0' ||
                memchr(acl->grants[i].value, '\0', sizeof(acl->grants[i].value)) == NULL ||
                memchr(acl->grants[i].perm, '\0', sizeof(acl->grants[i].perm)) == NULL)
                abort();
    }
    free(acl);
    memset(region, 0x5a, sizeof(region));
    if (gw_xml_parse_location(p, size, region, sizeof(region)) == 0 &&
        memchr(region, '\0', sizeof(region)) == NULL)
        abort();
    {
        gw_tags_t t = {0}, back = {0};
        cn_buf_t enc;

        cn_buf_init(&enc);
        if (gw_xml_parse_tagging(p, size, &t) == 0) {
            if (t.n > GW_TAGS_HOLD || t.n > t.seen)
                abort();
            (void)gw_tags_check(&t, GW_TAGS_OBJECT_MAX);
            gw_tags_encode(&t, &enc);
            /* the stored form reads back as the same tags */
            if (gw_tags_parse_query(enc.data ? enc.data : "", enc.len, &back) != 0 ||
                back.n != t.n)
                abort();
            for (size_t i = 0; i < t.n; i++)
                if (back.v[i].key_len != t.v[i].key_len ||
                    memcmp(back.v[i].key, t.v[i].key, t.v[i].key_len) != 0 ||
                    back.v[i].value_len != t.v[i].value_len ||
                    memcmp(back.v[i].value, t.v[i].value, t.v[i].value_len) != 0)
                    abort();
        }
        cn_buf_dispose(&enc);
        gw_tags_dispose(&t);
        gw_tags_dispose(&back);
    }
    return 0;
}
