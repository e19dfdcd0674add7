/*
 * gateway/s3/s3_version.c: S3 object versioning (issue 16; the scheme is in version.h):
 * PutBucketVersioning and GetBucketVersioning, which version a request names
 * (gw_ver_request_key), and the latest version of an object (gw_ver_find_latest).
 *
 * The latest version is found where the versions are: one `group` listing of the object's
 * own key and its versions on every node, merged like any listing (a newer tombstone on one
 * replica beats a lagging live copy on another), then the newest clock. The index holds an
 * object's versions newest first, right after its own key (the null version), so the first
 * live version of the merge and the null version are the only candidates; a page holding
 * only deleted versions goes on to the next one.
 *
 * The versioning state is a bucket configuration in the manager ("versioning", {"Status":
 * "Enabled"|"Suspended"}, never deleted: a bucket never returns to unversioned).
 */
#include "gateway/s3/s3_version.h"

#include <stdio.h>
#include <string.h>

#include "common/clock.h"
#include "common/err.h"
#include "common/log.h"
#include "common/mem.h"
#include "common/proto.h"
#include "gateway/gateway.h"
#include "gateway/link/mgr_link.h"
#include "gateway/link/stor_link.h"
#include "gateway/s3/manifest.h"
#include "gateway/s3/s3_bucket_conf.h"
#include "gateway/s3/s3_xml.h"
#include "gateway/s3/s3_xmlin.h"

#define LATEST_PAGE 64 /* versions asked per node per page while looking for the latest */

int gw_ver_bucket_state(const gw_req_t *r)
{
    const gw_bucket_t *b = gw_mgr_bucket_find(r->srv, r->route.bucket);

    return b != NULL ? b->versioning : GW_VER_OFF;
}

/* ---- PutBucketVersioning / GetBucketVersioning -------------------------------------------- */

void gw_s3_put_bucket_versioning(gw_req_t *r)
{
    int status = 0;
    unsigned mfa = 0;
    char json[48];

    if (!gw_bucket_conf_owner_only(r))
        return;
    if (gw_xml_parse_versioning(r->body.ptr ? r->body.ptr : "", r->body.len, &status, &mfa) != 0) {
        gw_req_error(r, GW_S3_MALFORMED_XML, NULL);
        return;
    }
    if (mfa == GW_XML_MFA_ENABLED) { /* needs x-amz-mfa and a device: never a silent no */
        gw_req_error(r, GW_S3_NOT_IMPLEMENTED, "MFA Delete is not supported");
        return;
    }
    if (status == 0) { /* nothing to change (S3 keeps the state as it is) */
        gw_req_send_empty(r, 200);
        return;
    }
    if (status != GW_XML_VER_ENABLED && gw_mgr_bucket_find(r->srv, r->route.bucket) != NULL &&
        gw_mgr_bucket_find(r->srv, r->route.bucket)->object_lock) {
        gw_req_error(r, GW_S3_INVALID_BUCKET_STATE,
                     "An Object Lock configuration is present on this bucket, so the "
                     "versioning state cannot be changed.");
        return;
    }
    snprintf(json, sizeof(json), "{\"Status\":\"%s\"}",
             status == GW_XML_VER_ENABLED ? "Enabled" : "Suspended");
    gw_bucket_conf_set(r, r->requester, "versioning", json, 200); /* S3: PutBucketVersioning answers 200 */
}

void gw_s3_get_bucket_versioning(gw_req_t *r)
{
    int st;
    cn_buf_t x;

    if (!gw_bucket_conf_owner_only(r))
        return;
    st = gw_ver_bucket_state(r);
    cn_buf_init(&x);
    gw_xml_decl(&x);
    gw_xml_open_ns(&x, "VersioningConfiguration", GW_S3_XMLNS);
    if (st != GW_VER_OFF) /* a bucket that never had versioning answers an empty element */
        gw_xml_str_elem(&x, "Status", st == GW_VER_ENABLED ? "Enabled" : "Suspended");
    gw_xml_close(&x, "VersioningConfiguration");
    gw_req_send_xml(r, 200, &x);
    cn_buf_dispose(&x);
}

/* ---- which version a request names ------------------------------------------------------- */

int gw_ver_request_key(gw_req_t *r, cn_buf_t *key, char vid[CN_VER_ID_LEN + 1])
{
    size_t qlen = 0;
    const char *q = gw_req_query(r, &qlen);
    size_t blen = cn_ver_base_len(cn_slice(key->data, key->len));
    cn_buf_t v, base;
    int found;

    cn_buf_init(&v);
    found = q ? gw_query_get(q, qlen, "versionId", &v) : 0;
    if (found == 1 && !cn_ver_id_valid(v.data ? v.data : "", v.len))
        found = -1;
    if (found == 1) {
        cn_buf_init(&base);
        cn_buf_append(&base, key->data, blen);
        cn_ver_key(key, base.data, base.len, v.data, v.len);
        snprintf(vid, CN_VER_ID_LEN + 1, "%s", v.data);
        cn_buf_dispose(&base);
    }
    cn_buf_dispose(&v);
    if (found < 0) {
        gw_req_error(r, GW_S3_INVALID_ARGUMENT, "Invalid version id specified");
        return -1;
    }
    return found == 1;
}

void gw_ver_for_write(const gw_req_t *r, cn_buf_t *key, char vid[CN_VER_ID_LEN + 1],
                      uint64_t *clock)
{
    size_t blen = cn_ver_base_len(cn_slice(key->data, key->len));

    *clock = 0;
    vid[0] = '\0';
    switch (gw_ver_bucket_state(r)) {
    case GW_VER_ENABLED:
        *clock = cn_hlc_next();
        cn_ver_id_make(*clock, vid);
        key->len = blen;
        cn_buf_append(key, "", 1);
        cn_buf_append(key, vid, CN_VER_ID_LEN);
        break;
    case GW_VER_SUSPENDED:
        snprintf(vid, CN_VER_ID_LEN + 1, "%s", CN_VER_NULL);
        break;
    default:
        break;
    }
}

/* ---- the latest version ------------------------------------------------------------------ */

struct latest {
    gw_req_t *r;
    gw_ver_found_fn cb;
    cn_buf_t base;             /* "bucket/key" */
    cn_buf_t after;            /* where the next page starts */
    gw_ver_pick_t null_ver;    /* the object's own key, when live */
};

static void pick_init(gw_ver_pick_t *p)
{
    memset(p, 0, sizeof(*p));
    cn_buf_init(&p->key);
    cn_buf_init(&p->meta);
}

static void pick_dispose(gw_ver_pick_t *p)
{
    cn_buf_dispose(&p->key);
    cn_buf_dispose(&p->meta);
}

static void latest_free(struct latest *l)
{
    cn_buf_dispose(&l->base);
    cn_buf_dispose(&l->after);
    pick_dispose(&l->null_ver);
    cn_free(l);
}

static void latest_end(struct latest *l, int status, const gw_ver_pick_t *pick)
{
    gw_req_t *r = l->r;
    gw_ver_found_fn cb = l->cb;

    latest_free(l);
    cb(r, status, pick);
}

static void pick_from(gw_ver_pick_t *p, const cn_list_entry_t *e)
{
    cn_buf_reset(&p->key);
    cn_buf_append(&p->key, e->key.ptr, e->key.len);
    cn_buf_reset(&p->meta);
    if (e->meta.len)
        cn_buf_append(&p->meta, e->meta.ptr, e->meta.len);
    p->e = *e;
    p->e.key = cn_slice(p->key.data, p->key.len);
    p->e.meta = cn_slice(p->meta.data, p->meta.len);
    p->clock = e->clock;
    p->flags = e->flags;
    p->found = 1;
}

static int latest_page(struct latest *l);

static void on_latest_page(int status, gw_list_out_t *out, void *arg)
{
    struct latest *l = arg;
    const cn_list_entry_t *ver = NULL;
    gw_ver_pick_t pick;
    int more = 0;

    if (gw_req_rpc_done(l->r)) {
        gw_list_out_free(out);
        latest_free(l);
        return;
    }
    if (status != 0) {
        gw_list_out_free(out);
        latest_end(l, status, NULL);
        return;
    }
    for (size_t i = 0; i < out->n && ver == NULL; i++) {
        const cn_list_entry_t *e = out->ents[i];
        if (e->key.len == l->base.len)
            pick_from(&l->null_ver, e);
        else
            ver = e; /* the newest live version: the index holds them newest first */
    }
    if (ver == NULL && out->truncated && out->resume) {
        cn_buf_reset(&l->after);
        cn_buf_append(&l->after, out->resume->key.ptr, out->resume->key.len);
        more = 1;
    }
    pick_init(&pick);
    if (ver != NULL && (!l->null_ver.found || ver->clock > l->null_ver.clock))
        pick_from(&pick, ver);
    else if (l->null_ver.found && !more)
        pick_from(&pick, &l->null_ver.e);
    gw_list_out_free(out);
    if (more && latest_page(l) == 0) {
        pick_dispose(&pick);
        return;
    }
    latest_end(l, more ? CN_EUNAVAIL : 0, &pick);
    pick_dispose(&pick);
}

static int latest_page(struct latest *l)
{
    l->r->http.pending++;
    /* with each version's owner: a listing may show the latest (s3_bucket.c, a page's open
     * tail) */
    if (gw_stor_list_versions(l->r->srv, l->base.data, l->base.len, l->after.data, l->after.len,
                              LATEST_PAGE, GW_META_OWNER, on_latest_page, l) != 0) {
        l->r->http.pending--;
        return CN_EUNAVAIL;
    }
    return 0;
}

void gw_ver_find_latest(gw_req_t *r, const char *key, size_t key_len, gw_ver_found_fn cb)
{
    struct latest *l = cn_calloc(1, sizeof(*l));

    l->r = r;
    l->cb = cb;
    cn_buf_init(&l->base);
    cn_buf_init(&l->after);
    pick_init(&l->null_ver);
    cn_buf_append(&l->base, key, cn_ver_base_len(cn_slice(key, key_len)));
    if (latest_page(l) != 0)
        latest_end(l, CN_EUNAVAIL, NULL);
}

void gw_ver_add_headers(gw_req_t *r, const char *vid, int delete_marker)
{
    if (vid != NULL && vid[0])
        gw_req_add_header(r, "x-amz-version-id", vid, strlen(vid));
    if (delete_marker)
        gw_req_add_header(r, "x-amz-delete-marker", "true", 4);
}
