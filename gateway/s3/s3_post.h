/*
 * gateway/s3/s3_post.h: POST Object, the upload of a browser's HTML form (s3_post.c).
 *
 * A form POST carries no signed headers: who sent it is decided by its fields (the policy and
 * its signature), so it takes its own two steps where other requests authenticate (http.c):
 *   gw_post_authenticate  reads the form, checks its signature and that it meets its policy,
 *                         and makes its key the request's (so access and the bucket policy
 *                         see the object being written, as for a PUT);
 *   gw_post_apply         after the usual header steps: the form's acl, tagging, refusals
 *                         and the file as the request's body.
 * Then access is decided as for PUT (bucket WRITE, s3:PutObject) and gw_s3_post_object stores
 * the file through PutObject's path (small record, or chunks streamed from h2o's temp file),
 * answering as success_action_redirect / success_action_status say.
 */
#ifndef CAIRN_GATEWAY_S3_POST_H
#define CAIRN_GATEWAY_S3_POST_H

#include "gateway/s3/s3_req.h"

typedef struct gw_post gw_post_t;

/** Parses r's form, authenticates its signature (r->auth, r->requester, r->anonymous as
 *  gw_req_authenticate sets them; r->key_unknown for a key the gateway does not know yet),
 *  checks the policy, and sets r->route.key. GW_S3_OK or the error, *msg its message (NULL:
 *  the table's). Called again after a key was learnt: starts over. */
gw_s3_err_t gw_post_authenticate(gw_req_t *r, const char **msg);
/** The form's acl, tagging and file into r (r->acl, r->tags, r->body), and what we cannot
 *  honour refused as a PUT with those headers would be. GW_S3_OK or the error with *msg. */
gw_s3_err_t gw_post_apply(gw_req_t *r, const char **msg);
/** POST Object: stores the form's file. */
void gw_s3_post_object(gw_req_t *r);
/** The answer once the object is stored (s3_object.c gw_obj_put_reply): a 303 to
 *  success_action_redirect, else success_action_status 200, 201 (PostResponse XML) or 204. */
void gw_post_reply(gw_req_t *r);
/** Frees r->post (s3_req.c). */
void gw_post_free(gw_post_t *p);

#endif
