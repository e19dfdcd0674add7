/* tests/unit/gateway/test_route.c: tests gateway/s3/route.c (routing, query, bucket names, Range). */
#include <criterion/criterion.h>
#include <string.h>

#include "common/err.h"
#include "gateway/s3/route.h"

static gw_s3_err_t parse(const char *method, const char *path, const char *query,
                         const char *host, const char *domain, gw_route_t *out)
{
    return gw_route_parse(method, strlen(method), path, strlen(path), query,
                          query ? strlen(query) : 0, host, host ? strlen(host) : 0, domain, out);
}

Test(route, root_get_lists_buckets, .timeout = 5)
{
    gw_route_t r;
    cr_assert_eq(parse("GET", "/", NULL, "localhost", "", &r), GW_S3_OK);
    cr_assert_eq(r.op, GW_OP_LIST_BUCKETS);
    cr_assert_eq(parse("PUT", "/", NULL, "localhost", "", &r), GW_S3_METHOD_NOT_ALLOWED);
}

Test(route, path_style_bucket_ops, .timeout = 5)
{
    gw_route_t r;
    cr_assert_eq(parse("PUT", "/photos", NULL, NULL, NULL, &r), GW_S3_OK);
    cr_assert_eq(r.op, GW_OP_CREATE_BUCKET);
    cr_assert_str_eq(r.bucket, "photos");
    cr_assert_eq(parse("GET", "/photos/", "list-type=2&prefix=a", NULL, NULL, &r), GW_S3_OK);
    cr_assert_eq(r.op, GW_OP_LIST_OBJECTS_V2);
    cr_assert_eq(r.key_len, 0);
    cr_assert_eq(parse("GET", "/photos", "prefix=a", NULL, NULL, &r), GW_S3_OK);
    cr_assert_eq(r.op, GW_OP_LIST_OBJECTS);
    cr_assert_eq(parse("GET", "/photos", "location", NULL, NULL, &r), GW_S3_OK);
    cr_assert_eq(r.op, GW_OP_GET_BUCKET_LOCATION);
    cr_assert_eq(parse("DELETE", "/photos", NULL, NULL, NULL, &r), GW_S3_OK);
    cr_assert_eq(r.op, GW_OP_DELETE_BUCKET);
    cr_assert_eq(parse("HEAD", "/photos", NULL, NULL, NULL, &r), GW_S3_OK);
    cr_assert_eq(r.op, GW_OP_HEAD_BUCKET);
    cr_assert_eq(parse("GET", "/photos", "versioning", NULL, NULL, &r), GW_S3_OK);
    cr_assert_eq(r.op, GW_OP_GET_BUCKET_VERSIONING);
    cr_assert_eq(parse("PUT", "/photos", "versioning", NULL, NULL, &r), GW_S3_OK);
    cr_assert_eq(r.op, GW_OP_PUT_BUCKET_VERSIONING);
    cr_assert_eq(parse("DELETE", "/photos", "versioning", NULL, NULL, &r), GW_S3_OK);
    cr_assert_eq(r.op, GW_OP_UNSUPPORTED);
}

Test(route, path_style_key_is_decoded, .timeout = 5)
{
    gw_route_t r;
    cr_assert_eq(parse("PUT", "/b1/dir/a%20b+c%2Fd", NULL, NULL, NULL, &r), GW_S3_OK);
    cr_assert_eq(r.op, GW_OP_PUT_OBJECT);
    cr_assert_str_eq(r.bucket, "b1");
    cr_assert_str_eq(r.key, "dir/a b+c/d"); /* '+' stays a '+' in a path */
    cr_assert_eq(r.key_len, strlen("dir/a b+c/d"));
    cr_assert_eq(parse("GET", "/b1/%zz", NULL, NULL, NULL, &r), GW_S3_INVALID_ARGUMENT);
    cr_assert_eq(parse("GET", "/b1/a%00b", NULL, NULL, NULL, &r), GW_S3_INVALID_ARGUMENT);
}

Test(route, key_over_1024_bytes_is_too_long, .timeout = 5)
{
    char path[1100];
    gw_route_t r;
    memset(path, 'k', sizeof(path) - 1);
    path[sizeof(path) - 1] = '\0';
    memcpy(path, "/b1/", 4);
    path[4 + 1024] = '\0';
    cr_assert_eq(parse("GET", path, NULL, NULL, NULL, &r), GW_S3_OK);
    cr_assert_eq(r.key_len, 1024);
    path[4 + 1024] = 'k';
    path[4 + 1025] = '\0';
    cr_assert_eq(parse("GET", path, NULL, NULL, NULL, &r), GW_S3_KEY_TOO_LONG);
}

Test(route, virtual_host_style, .timeout = 5)
{
    gw_route_t r;
    cr_assert_eq(parse("GET", "/a/b.txt", NULL, "Photos.s3.example.com:8080", "s3.example.com",
                       &r),
                 GW_S3_OK);
    cr_assert(r.vhost);
    cr_assert_str_eq(r.bucket, "photos");
    cr_assert_str_eq(r.key, "a/b.txt");
    cr_assert_eq(r.op, GW_OP_GET_OBJECT);
    /* the bare domain is path-style */
    cr_assert_eq(parse("GET", "/b2/k", NULL, "s3.example.com", "s3.example.com", &r), GW_S3_OK);
    cr_assert_not(r.vhost);
    cr_assert_str_eq(r.bucket, "b2");
    /* no domain configured: the Host is ignored */
    cr_assert_eq(parse("GET", "/b2/k", NULL, "x.s3.example.com", "", &r), GW_S3_OK);
    cr_assert_str_eq(r.bucket, "b2");
    /* vhost bucket listing */
    cr_assert_eq(parse("GET", "/", "list-type=2", "bk.s3.example.com", "s3.example.com", &r),
                 GW_S3_OK);
    cr_assert_eq(r.op, GW_OP_LIST_OBJECTS_V2);
}

Test(route, multipart_sub_resources, .timeout = 5)
{
    gw_route_t r;
    cr_assert_eq(parse("POST", "/b/k", "uploads", NULL, NULL, &r), GW_S3_OK);
    cr_assert_eq(r.op, GW_OP_CREATE_MULTIPART);
    cr_assert_eq(parse("PUT", "/b/k", "partNumber=2&uploadId=x", NULL, NULL, &r), GW_S3_OK);
    cr_assert_eq(r.op, GW_OP_UPLOAD_PART);
    cr_assert_eq(parse("POST", "/b/k", "uploadId=x", NULL, NULL, &r), GW_S3_OK);
    cr_assert_eq(r.op, GW_OP_COMPLETE_MULTIPART);
    cr_assert_eq(parse("DELETE", "/b/k", "uploadId=x", NULL, NULL, &r), GW_S3_OK);
    cr_assert_eq(r.op, GW_OP_ABORT_MULTIPART);
    cr_assert_eq(parse("GET", "/b/k", "uploadId=x", NULL, NULL, &r), GW_S3_OK);
    cr_assert_eq(r.op, GW_OP_LIST_PARTS);
}

Test(route, query_get_decodes_values, .timeout = 5)
{
    const char *q = "prefix=a%2Fb+c&delimiter=%2F&fetch-owner&max-keys=";
    cn_buf_t v;
    cn_buf_init(&v);
    cr_assert_eq(gw_query_get(q, strlen(q), "prefix", &v), 1);
    cr_assert_str_eq(v.data, "a/b c");
    cr_assert_eq(gw_query_get(q, strlen(q), "delimiter", &v), 1);
    cr_assert_str_eq(v.data, "/");
    cr_assert_eq(gw_query_get(q, strlen(q), "fetch-owner", &v), 1);
    cr_assert_str_eq(v.data, "");
    cr_assert_eq(gw_query_get(q, strlen(q), "max-keys", &v), 1);
    cr_assert_str_eq(v.data, "");
    cr_assert_eq(gw_query_get(q, strlen(q), "marker", &v), 0);
    cr_assert_eq(gw_query_get("a=%g", 4, "a", &v), CN_EINVAL);
    cr_assert(gw_query_has(q, strlen(q), "fetch-owner"));
    cr_assert_not(gw_query_has(q, strlen(q), "fetch"));
    cn_buf_dispose(&v);
}

Test(route, bucket_names, .timeout = 5)
{
    cr_assert(gw_bucket_name_valid("my-bucket.1"));
    cr_assert(gw_bucket_name_valid("abc"));
    cr_assert_not(gw_bucket_name_valid("ab"));
    cr_assert_not(gw_bucket_name_valid("Abc"));
    cr_assert_not(gw_bucket_name_valid("-abc"));
    cr_assert_not(gw_bucket_name_valid("abc-"));
    cr_assert_not(gw_bucket_name_valid("a..b"));
    cr_assert_not(gw_bucket_name_valid("a_b"));
    cr_assert_not(gw_bucket_name_valid("192.168.1.1"));
    cr_assert_not(gw_bucket_name_valid(
        "a234567890123456789012345678901234567890123456789012345678901234"));
}

static int range(const char *h, uint64_t total, uint64_t *off, uint64_t *len)
{
    return gw_range_parse(h, strlen(h), total, off, len);
}

Test(range, forms, .timeout = 5)
{
    uint64_t off, len;
    cr_assert_eq(range("bytes=0-9", 100, &off, &len), 0);
    cr_assert_eq(off, 0);
    cr_assert_eq(len, 10);
    cr_assert_eq(range("bytes=90-", 100, &off, &len), 0);
    cr_assert_eq(off, 90);
    cr_assert_eq(len, 10);
    cr_assert_eq(range("bytes=-5", 100, &off, &len), 0);
    cr_assert_eq(off, 95);
    cr_assert_eq(len, 5);
    cr_assert_eq(range("bytes=-500", 100, &off, &len), 0);
    cr_assert_eq(off, 0);
    cr_assert_eq(len, 100);
    cr_assert_eq(range("bytes=50-1000", 100, &off, &len), 0);
    cr_assert_eq(off, 50);
    cr_assert_eq(len, 50);
}

Test(range, unsatisfiable_and_ignored, .timeout = 5)
{
    uint64_t off, len;
    cr_assert_eq(range("bytes=100-", 100, &off, &len), CN_EINVAL);
    cr_assert_eq(range("bytes=-0", 100, &off, &len), CN_EINVAL);
    cr_assert_eq(range("bytes=0-0", 0, &off, &len), CN_EINVAL);
    cr_assert_eq(range("bytes=5-1", 100, &off, &len), 1);
    cr_assert_eq(range("bytes=0-1,5-6", 100, &off, &len), 1);
    cr_assert_eq(range("items=0-1", 100, &off, &len), 1);
    cr_assert_eq(range("bytes=x-1", 100, &off, &len), 1);
    cr_assert_eq(range("bytes=", 100, &off, &len), 1);
    cr_assert_eq(range("bytes=99999999999999999999999-", 100, &off, &len), 1);
}

Test(route, multipart_delete_and_acl_subresources, .timeout = 5)
{
    gw_route_t r;
    cr_assert_eq(parse("GET", "/b", "uploads", NULL, NULL, &r), GW_S3_OK);
    cr_assert_eq(r.op, GW_OP_LIST_MULTIPART_UPLOADS);
    cr_assert_eq(parse("GET", "/b", "uploads&prefix=a&key-marker=k", NULL, NULL, &r), GW_S3_OK);
    cr_assert_eq(r.op, GW_OP_LIST_MULTIPART_UPLOADS);
    cr_assert_eq(parse("POST", "/b", "delete", NULL, NULL, &r), GW_S3_OK);
    cr_assert_eq(r.op, GW_OP_DELETE_OBJECTS);
    cr_assert_eq(parse("GET", "/b", "acl", NULL, NULL, &r), GW_S3_OK);
    cr_assert_eq(r.op, GW_OP_GET_BUCKET_ACL);
    cr_assert_eq(parse("PUT", "/b", "acl", NULL, NULL, &r), GW_S3_OK);
    cr_assert_eq(r.op, GW_OP_PUT_BUCKET_ACL);
    cr_assert_eq(parse("DELETE", "/b", "acl", NULL, NULL, &r), GW_S3_METHOD_NOT_ALLOWED);
    cr_assert_eq(parse("GET", "/b/k", "acl", NULL, NULL, &r), GW_S3_OK);
    cr_assert_eq(r.op, GW_OP_GET_OBJECT_ACL);
    cr_assert_eq(parse("PUT", "/b/k", "acl", NULL, NULL, &r), GW_S3_OK);
    cr_assert_eq(r.op, GW_OP_PUT_OBJECT_ACL);
    cr_assert_eq(parse("PUT", "/b/k", "partNumber=1&uploadId=x", NULL, NULL, &r), GW_S3_OK);
    cr_assert_eq(r.op, GW_OP_UPLOAD_PART);
    cr_assert_eq(parse("GET", "/b/k", "uploadId=x", NULL, NULL, &r), GW_S3_OK);
    cr_assert_eq(r.op, GW_OP_LIST_PARTS);
    cr_assert_eq(parse("POST", "/b/k", "uploadId=x", NULL, NULL, &r), GW_S3_OK);
    cr_assert_eq(r.op, GW_OP_COMPLETE_MULTIPART);
    cr_assert_eq(parse("DELETE", "/b/k", "uploadId=x", NULL, NULL, &r), GW_S3_OK);
    cr_assert_eq(r.op, GW_OP_ABORT_MULTIPART);
}

/* issue 13: POST object and OPTIONS are operations of their own (POST refused by s3_refuse.c
 * with NotImplemented, OPTIONS answered by s3_cors.c), not MethodNotAllowed; a POST on a key
 * stays MethodNotAllowed */
Test(route, post_object_and_options, .timeout = 5)
{
    gw_route_t r;
    cr_assert_eq(parse("POST", "/b", NULL, NULL, NULL, &r), GW_S3_OK);
    cr_assert_eq(r.op, GW_OP_POST_OBJECT);
    cr_assert_eq(parse("POST", "/", NULL, "b.s3.example.com", "s3.example.com", &r), GW_S3_OK);
    cr_assert_eq(r.op, GW_OP_POST_OBJECT);
    cr_assert_eq(parse("POST", "/b/k", NULL, NULL, NULL, &r), GW_S3_METHOD_NOT_ALLOWED);
    cr_assert_eq(parse("POST", "/b", "uploads", NULL, NULL, &r), GW_S3_METHOD_NOT_ALLOWED);
    cr_assert_eq(parse("OPTIONS", "/b/k", NULL, NULL, NULL, &r), GW_S3_OK);
    cr_assert_eq(r.op, GW_OP_OPTIONS);
    cr_assert_eq(parse("OPTIONS", "/b", NULL, NULL, NULL, &r), GW_S3_OK);
    cr_assert_eq(r.op, GW_OP_OPTIONS);
    cr_assert_eq(parse("OPTIONS", "/", NULL, NULL, NULL, &r), GW_S3_OK);
    cr_assert_eq(r.op, GW_OP_OPTIONS);
    /* GetObjectAttributes (issue 16); another method on ?attributes is 405 */
    cr_assert_eq(parse("GET", "/b/k", "attributes", NULL, NULL, &r), GW_S3_OK);
    cr_assert_eq(r.op, GW_OP_GET_OBJECT_ATTRIBUTES);
    cr_assert_eq(parse("PUT", "/b/k", "attributes", NULL, NULL, &r), GW_S3_METHOD_NOT_ALLOWED);
}

/* issue 16: tagging of objects and buckets */
Test(route, tagging_subresources, .timeout = 5)
{
    static const struct {
        const char *method, *path;
        gw_op_t op;
    } rows[] = {
        {"GET", "/b/k", GW_OP_GET_OBJECT_TAGGING},
        {"PUT", "/b/k", GW_OP_PUT_OBJECT_TAGGING},
        {"DELETE", "/b/k", GW_OP_DELETE_OBJECT_TAGGING},
        {"GET", "/b", GW_OP_GET_BUCKET_TAGGING},
        {"PUT", "/b", GW_OP_PUT_BUCKET_TAGGING},
        {"DELETE", "/b", GW_OP_DELETE_BUCKET_TAGGING},
    };
    gw_route_t r;

    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        cr_assert_eq(parse(rows[i].method, rows[i].path, "tagging", NULL, NULL, &r), GW_S3_OK);
        cr_assert_eq(r.op, rows[i].op, "%s %s", rows[i].method, rows[i].path);
    }
    cr_assert_eq(parse("PUT", "/b/k", "tagging&versionId=null", NULL, NULL, &r), GW_S3_OK);
    cr_assert_eq(r.op, GW_OP_PUT_OBJECT_TAGGING);
    cr_assert_eq(parse("POST", "/b/k", "tagging", NULL, NULL, &r), GW_S3_METHOD_NOT_ALLOWED);
    cr_assert_eq(parse("HEAD", "/b", "tagging", NULL, NULL, &r), GW_S3_METHOD_NOT_ALLOWED);
}
