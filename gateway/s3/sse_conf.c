/*
 * gateway/s3/sse_conf.c: a bucket's default encryption (see sse_conf.h). The XML is read by
 * s3_xmlin.c into fixed paths; here is what S3 accepts of them, and the stored JSON, checked
 * again when read back so that a bad stored value never reaches a write. Pure.
 */
#include "gateway/s3/sse_conf.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/mem.h"
#include "gateway/s3/s3_xml.h"
#include "gateway/s3/s3_xmlin.h"

static const char kms_key_msg[] = "a KMSMasterKeyID is not applicable if the default sse "
                                  "algorithm is not aws:kms or aws:kms:dsse";
static const char bad_key_id_msg[] = "KMSMasterKeyID is not a valid KMS key id.";

#define DSSE (-1) /* aws:kms:dsse: an algorithm S3 knows, not taken yet */

/* The algorithm alg names: GW_SSE_S3, GW_SSE_KMS, DSSE, or GW_SSE_NONE for another. */
static int algorithm(const char *alg)
{
    if (strcmp(alg, "AES256") == 0)
        return GW_SSE_S3;
    if (strcmp(alg, "aws:kms") == 0)
        return GW_SSE_KMS;
    return strcmp(alg, "aws:kms:dsse") == 0 ? DSSE : GW_SSE_NONE;
}

gw_s3_err_t gw_sse_conf_parse(const char *xml, size_t n, gw_sse_conf_t *out, const char **msg)
{
    gw_xml_sse_t *x = cn_malloc(sizeof(*x));
    gw_s3_err_t e = GW_S3_MALFORMED_XML;
    const char *bk, *key;
    int mode;

    *msg = NULL;
    memset(out, 0, sizeof(*out));
    if (gw_xml_parse_sse_conf(xml, n, x) != 0 || !(x->seen & (1u << GW_XSE_RULE)) ||
        !(x->seen & (1u << GW_XSE_ALG)))
        goto out;
    bk = x->val[GW_XSE_BUCKET_KEY];
    key = x->val[GW_XSE_KMS_KEY];
    if ((mode = algorithm(x->val[GW_XSE_ALG])) == GW_SSE_NONE)
        goto out;
    if ((x->seen & (1u << GW_XSE_BUCKET_KEY)) && strcmp(bk, "true") != 0 &&
        strcmp(bk, "false") != 0 && strcmp(bk, "1") != 0 && strcmp(bk, "0") != 0)
        goto out;
    if (x->seen & (1u << GW_XSE_KMS_KEY)) {
        if (key[0] == '\0')
            goto out;
        e = GW_S3_INVALID_ARGUMENT;
        if (mode == GW_SSE_S3) {
            *msg = kms_key_msg;
            goto out;
        }
        if (!gw_sse_kms_key_id_valid(key, strlen(key))) {
            *msg = bad_key_id_msg;
            goto out;
        }
    }
    if (mode == DSSE) {
        *msg = "Dual-layer server-side encryption (aws:kms:dsse) is not implemented.";
        e = GW_S3_NOT_IMPLEMENTED; /* TODO(sse): DSSE-KMS #20 */
        goto out;
    }
    out->mode = (gw_sse_mode_t)mode;
    strcpy(out->kms_key_id, key); /* both GW_SSE_KMS_KEY_ID_MAX + 1 bytes */
    out->bucket_key = strcmp(bk, "true") == 0 || strcmp(bk, "1") == 0;
    e = GW_S3_OK;
out:
    cn_free(x);
    return e;
}

void gw_sse_conf_encode(const gw_sse_conf_t *c, cn_buf_t *out)
{
    json_t *doc = json_object();
    char *txt;

    json_object_set_new(doc, "SSEAlgorithm", json_string(gw_sse_mode_header(c->mode)));
    if (c->mode == GW_SSE_KMS && c->kms_key_id[0])
        json_object_set_new(doc, "KMSMasterKeyID", json_string(c->kms_key_id));
    json_object_set_new(doc, "BucketKeyEnabled", json_boolean(c->bucket_key));
    txt = json_dumps(doc, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(doc);
    if (txt != NULL)
        cn_buf_append_str(out, txt);
    free(txt); /* jansson's */
}

int gw_sse_conf_decode(const char *s, size_t n, gw_sse_conf_t *out)
{
    json_t *doc = json_loadb(s, n, JSON_REJECT_DUPLICATES, NULL);
    const char *alg = json_string_value(json_object_get(doc, "SSEAlgorithm"));
    const json_t *key = json_object_get(doc, "KMSMasterKeyID");
    const json_t *bk = json_object_get(doc, "BucketKeyEnabled");
    int rc = CN_EINVAL, mode;

    memset(out, 0, sizeof(*out));
    if (alg == NULL || ((mode = algorithm(alg)) != GW_SSE_S3 && mode != GW_SSE_KMS) ||
        (bk != NULL && !json_is_boolean(bk)))
        goto out;
    out->mode = (gw_sse_mode_t)mode;
    if (key != NULL) {
        if (out->mode != GW_SSE_KMS || !json_is_string(key) ||
            !gw_sse_kms_key_id_valid(json_string_value(key), json_string_length(key)))
            goto out;
        strcpy(out->kms_key_id, json_string_value(key)); /* at most GW_SSE_KMS_KEY_ID_MAX */
    }
    out->bucket_key = json_is_true(bk);
    rc = 0;
out:
    if (rc != 0)
        memset(out, 0, sizeof(*out));
    json_decref(doc);
    return rc;
}

void gw_sse_conf_xml(const gw_sse_conf_t *c, cn_buf_t *x)
{
    gw_xml_decl(x);
    gw_xml_open_ns(x, "ServerSideEncryptionConfiguration", GW_S3_XMLNS);
    gw_xml_open(x, "Rule");
    gw_xml_open(x, "ApplyServerSideEncryptionByDefault");
    gw_xml_str_elem(x, "SSEAlgorithm", gw_sse_mode_header(c->mode));
    if (c->mode == GW_SSE_KMS && c->kms_key_id[0])
        gw_xml_str_elem(x, "KMSMasterKeyID", c->kms_key_id);
    gw_xml_close(x, "ApplyServerSideEncryptionByDefault");
    gw_xml_bool_elem(x, "BucketKeyEnabled", c->bucket_key);
    gw_xml_close(x, "Rule");
    gw_xml_close(x, "ServerSideEncryptionConfiguration");
}
