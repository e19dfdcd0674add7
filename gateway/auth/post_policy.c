/*
 * gateway/auth/post_policy.c: the policy document of a browser POST upload: parsed with
 * jansson into one allocation (header, condition array and a string arena; no JSON is kept),
 * then checked against a form. See post_policy.h for the grammar and the messages.
 * Invariants: a parsed policy holds 0..GW_POST_POLICY_CONDS_MAX conditions whose slices all
 * point into its own arena (at most the document's length: a decoded JSON string is never
 * longer than its text); it is never changed after parse, so it may be shared between threads.
 * gw_post_policy_check allocates nothing and writes at most msg_len bytes of msg.
 */
#include "gateway/auth/post_policy.h"

#include <ctype.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "common/log.h"
#include "common/mem.h"

#define PP_MAGIC 0x50504f4cu /* "PPOL" */
#define DIGITS_MAX 19        /* a string bound of up to 19 digits cannot overflow uint64_t */

enum op { OP_EQ, OP_STARTS, OP_RANGE };

struct cond {
    enum op op;
    int simple;        /* written {"field": "value"}: reported as ["eq", "$field", "value"] */
    int dollar;        /* the field was written with its '$'; without, it never holds (as S3) */
    cn_slice_t field;  /* the name as written, without the '$' */
    cn_slice_t value;  /* eq, starts-with */
    uint64_t min, max; /* content-length-range */
};

struct gw_post_policy {
    uint32_t magic;
    int64_t exp_ms;   /* ms since the epoch; the policy holds up to and including it */
    size_t n;
    struct cond *c;   /* [n], inside this allocation */
    char *arena;      /* inside this allocation, arena_cap bytes */
    size_t arena_len, arena_cap;
};

/* A bounded writer into the caller's msg: truncates, always NUL-terminates. */
struct out {
    char *p;
    size_t cap, len;
};

static void out_init(struct out *o, char *msg, size_t msg_len)
{
    o->p = msg;
    o->cap = msg != NULL ? msg_len : 0;
    o->len = 0;
    if (o->cap > 0)
        o->p[0] = '\0';
}

static void out_bytes(struct out *o, const char *s, size_t n)
{
    if (o->cap == 0 || o->len + 1 >= o->cap)
        return;
    if (n > o->cap - 1 - o->len)
        n = o->cap - 1 - o->len;
    memcpy(o->p + o->len, s, n);
    o->len += n;
    o->p[o->len] = '\0';
}

static void out_str(struct out *o, const char *s)
{
    out_bytes(o, s, strlen(s));
}

/* s as the inside of a JSON string: the condition is quoted back as the client wrote it. */
static void out_json(struct out *o, cn_slice_t s)
{
    char esc[8];

    for (size_t i = 0; i < s.len; i++) {
        unsigned char c = (unsigned char)s.ptr[i];
        if (c == '"' || c == '\\') {
            esc[0] = '\\';
            esc[1] = (char)c;
            out_bytes(o, esc, 2);
        } else if (c < 0x20) {
            snprintf(esc, sizeof(esc), "\\u%04x", c);
            out_bytes(o, esc, 6);
        } else {
            out_bytes(o, (const char *)&c, 1);
        }
    }
}

static gw_s3_err_t fail(char *msg, size_t msg_len, gw_s3_err_t e, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static gw_s3_err_t fail(char *msg, size_t msg_len, gw_s3_err_t e, const char *fmt, ...)
{
    va_list ap;

    if (msg != NULL && msg_len > 0) {
        va_start(ap, fmt);
        vsnprintf(msg, msg_len, fmt, ap);
        va_end(ap);
    }
    return e;
}

#define INVALID(...) fail(msg, msg_len, GW_S3_INVALID_POLICY_DOCUMENT, __VA_ARGS__)
#define MSG_JSON "Invalid Policy: Invalid JSON."
#define CLIP 200 /* bytes of a client's value quoted in a parse message */

static int ieq(cn_slice_t a, const char *b)
{
    size_t n = strlen(b);

    return a.len == n && strncasecmp(a.ptr, b, n) == 0;
}

/* Byte by byte: strncasecmp would stop at a NUL and call "a\0x" and "a\0y" equal. */
static int ieq_slice(cn_slice_t a, cn_slice_t b)
{
    if (a.len != b.len)
        return 0;
    for (size_t i = 0; i < a.len; i++)
        if (tolower((unsigned char)a.ptr[i]) != tolower((unsigned char)b.ptr[i]))
            return 0;
    return 1;
}

static int digits(const char *p, size_t n, unsigned *v)
{
    *v = 0;
    for (size_t i = 0; i < n; i++) {
        if (p[i] < '0' || p[i] > '9')
            return 0;
        *v = *v * 10 + (unsigned)(p[i] - '0');
    }
    return 1;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    int64_t era;
    unsigned yoe, doy, doe;

    y -= m <= 2;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = (unsigned)(y - era * 400);
    doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

/* "YYYY-MM-DDTHH:MM:SS[.f{1,9}]Z" (ISO 8601 in GMT, as the policies AWS documents), to ms.
 * Other zones and forms are refused rather than guessed at. */
static int parse_expiration(const char *s, size_t n, int64_t *ms)
{
    static const unsigned mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    unsigned y, mo, d, h, mi, sec, frac = 0;
    size_t i = 19;

    if (n < 20 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':')
        return 0;
    if (!digits(s, 4, &y) || !digits(s + 5, 2, &mo) || !digits(s + 8, 2, &d) ||
        !digits(s + 11, 2, &h) || !digits(s + 14, 2, &mi) || !digits(s + 17, 2, &sec))
        return 0;
    if (s[i] == '.') {
        size_t f0 = ++i;
        while (i < n && s[i] >= '0' && s[i] <= '9' && i - f0 < 9)
            i++;
        if (i == f0)
            return 0;
        for (size_t k = f0; k < f0 + 3; k++)
            frac = frac * 10 + (k < i ? (unsigned)(s[k] - '0') : 0);
    }
    if (i + 1 != n || s[i] != 'Z')
        return 0;
    if (mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] || h > 23 || mi > 59 || sec > 59)
        return 0;
    if (mo == 2 && d == 29 && !(y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)))
        return 0;
    *ms = ((days_from_civil(y, mo, d) * 86400) + h * 3600 + mi * 60 + sec) * 1000 + frac;
    return 1;
}

static cn_slice_t keep(gw_post_policy_t *p, const char *s, size_t n)
{
    char *at = p->arena + p->arena_len;

    CN_ASSERT(n <= p->arena_cap - p->arena_len);
    memcpy(at, s, n);
    p->arena_len += n;
    return cn_slice(at, n);
}

static cn_slice_t keep_json(gw_post_policy_t *p, const json_t *v)
{
    return keep(p, json_string_value(v), json_string_length(v));
}

static void set_field(gw_post_policy_t *p, struct cond *c, const json_t *v)
{
    const char *s = json_string_value(v);
    size_t n = json_string_length(v);

    c->dollar = n > 0 && s[0] == '$';
    c->field = keep(p, s + c->dollar, n - (size_t)c->dollar);
}

/* A content-length-range bound: an integer >= 0, or (as S3 also takes) a string of digits. */
static int parse_bound(const json_t *v, uint64_t *out)
{
    const char *s;
    size_t n;

    if (json_is_integer(v)) {
        if (json_integer_value(v) < 0)
            return 0;
        *out = (uint64_t)json_integer_value(v);
        return 1;
    }
    if (!json_is_string(v))
        return 0;
    s = json_string_value(v);
    n = json_string_length(v);
    if (n == 0 || n > DIGITS_MAX)
        return 0;
    *out = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return 0;
        *out = *out * 10 + (uint64_t)(s[i] - '0');
    }
    return 1;
}

static gw_s3_err_t parse_list(gw_post_policy_t *p, struct cond *c, const json_t *v, char *msg,
                              size_t msg_len)
{
    const json_t *op = json_array_get(v, 0);
    const char *name;

    if (json_array_size(v) == 0 || !json_is_string(op))
        return INVALID("Invalid Policy: Invalid Condition: missing operation identifier.");
    name = json_string_value(op);
    if (strcmp(name, "eq") == 0) {
        c->op = OP_EQ;
        name = "Eq";
    } else if (strcmp(name, "starts-with") == 0) {
        c->op = OP_STARTS;
    } else if (strcmp(name, "content-length-range") == 0) {
        c->op = OP_RANGE;
    } else {
        return INVALID("Invalid Policy: Invalid Condition: unknown operation '%.*s'.", CLIP, name);
    }
    if (json_array_size(v) != 3)
        return INVALID("Invalid Policy: Invalid %s: wrong number of arguments.", name);
    if (c->op == OP_RANGE) {
        if (!parse_bound(json_array_get(v, 1), &c->min) ||
            !parse_bound(json_array_get(v, 2), &c->max))
            return INVALID("Invalid Policy: Invalid content-length-range condition: the bounds "
                           "must be integers >= 0.");
        if (c->min > c->max)
            return INVALID("Invalid Policy: Invalid content-length-range condition: the minimum "
                           "is above the maximum.");
        return GW_S3_OK;
    }
    if (!json_is_string(json_array_get(v, 1)) || !json_is_string(json_array_get(v, 2)))
        return INVALID(MSG_JSON);
    set_field(p, c, json_array_get(v, 1));
    c->value = keep_json(p, json_array_get(v, 2));
    return GW_S3_OK;
}

static gw_s3_err_t parse_cond(gw_post_policy_t *p, struct cond *c, const json_t *v, char *msg,
                              size_t msg_len)
{
    const char *key;
    json_t *val;

    if (json_is_array(v))
        return parse_list(p, c, v, msg, msg_len);
    if (!json_is_object(v))
        return INVALID("Invalid Policy: Invalid condition test: must be a List or Object.");
    if (json_object_size(v) != 1)
        return INVALID("Invalid Policy: Invalid Simple-Condition: Simple-Conditions must have "
                       "exactly one property specified.");
    json_object_foreach((json_t *)v, key, val) {
        if (!json_is_string(val))
            return INVALID("Invalid Policy: Invalid Simple-Condition: value must be a string.");
        c->op = OP_EQ;
        c->simple = 1;
        c->dollar = 1;
        c->field = keep(p, key, strlen(key));
        c->value = keep_json(p, val);
    }
    return GW_S3_OK;
}

/* The top level: exactly "expiration" and "conditions" (names case-sensitive, as S3). */
static gw_s3_err_t parse_top(const json_t *root, int64_t *exp_ms, const json_t **conds,
                             char *msg, size_t msg_len)
{
    const char *key;
    json_t *val, *exp;
    char shown[CLIP + 1];

    if (!json_is_object(root))
        return INVALID(MSG_JSON);
    json_object_foreach((json_t *)root, key, val) {
        if (strcmp(key, "expiration") != 0 && strcmp(key, "conditions") != 0)
            return INVALID("Invalid Policy: Unexpected: \"%.*s\"", CLIP, key);
    }
    exp = json_object_get(root, "expiration");
    if (exp == NULL || json_is_null(exp))
        return INVALID("Invalid Policy: Policy missing expiration.");
    if (!json_is_string(exp) ||
        !parse_expiration(json_string_value(exp), json_string_length(exp), exp_ms)) {
        size_t k = json_is_string(exp)
                       ? (size_t)snprintf(shown, sizeof(shown), "%s", json_string_value(exp))
                       : json_dumpb(exp, shown, CLIP, JSON_ENCODE_ANY | JSON_COMPACT);
        shown[k < CLIP ? k : CLIP] = '\0';
        return INVALID("Invalid Policy: Invalid 'expiration' value: '%s'", shown);
    }
    *conds = json_object_get(root, "conditions");
    if (*conds == NULL || json_is_null(*conds))
        return INVALID("Invalid Policy: Policy missing conditions.");
    if (!json_is_array(*conds))
        return INVALID("Invalid Policy: Invalid 'conditions' value: must be a List.");
    if (json_array_size(*conds) > GW_POST_POLICY_CONDS_MAX)
        return INVALID("Invalid Policy: more than %u conditions.", GW_POST_POLICY_CONDS_MAX);
    return GW_S3_OK;
}

gw_s3_err_t gw_post_policy_parse(const char *json, size_t len, gw_post_policy_t **out,
                                 char *msg, size_t msg_len)
{
    const json_t *conds = NULL;
    gw_post_policy_t *p;
    json_error_t jerr;
    json_t *root;
    int64_t exp_ms = 0;
    size_t n, head;
    gw_s3_err_t e;

    *out = NULL;
    if (msg != NULL && msg_len > 0)
        msg[0] = '\0';
    if (len > GW_POST_POLICY_MAX)
        return INVALID("Invalid Policy: the policy document is over %u bytes.", GW_POST_POLICY_MAX);
    root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &jerr);
    if (root == NULL)
        return INVALID(MSG_JSON);
    if ((e = parse_top(root, &exp_ms, &conds, msg, msg_len)) != GW_S3_OK)
        goto out_root;
    n = json_array_size(conds);
    head = sizeof(*p) + n * sizeof(struct cond);
    p = cn_calloc(1, head + len + 1);
    p->magic = PP_MAGIC;
    p->exp_ms = exp_ms;
    p->n = n;
    p->c = (struct cond *)(p + 1);
    p->arena = (char *)p + head;
    p->arena_cap = len + 1;
    for (size_t i = 0; i < n; i++) {
        if ((e = parse_cond(p, &p->c[i], json_array_get(conds, i), msg, msg_len)) != GW_S3_OK) {
            gw_post_policy_free(p);
            goto out_root;
        }
    }
    *out = p;
    e = GW_S3_OK;
out_root:
    json_decref(root);
    return e;
}

void gw_post_policy_free(gw_post_policy_t *p)
{
    if (p == NULL)
        return;
    CN_CHECK_OBJ(p, PP_MAGIC);
    p->magic = 0;
    cn_free(p);
}

int gw_post_field_exempt(cn_slice_t name)
{
    static const char *const exempt[] = {"x-amz-signature", "signature", "awsaccesskeyid",
                                         "policy", "file"};

    for (size_t i = 0; i < sizeof(exempt) / sizeof(exempt[0]); i++)
        if (ieq(name, exempt[i]))
            return 1;
    return name.len >= 9 && strncasecmp(name.ptr, "x-ignore-", 9) == 0;
}

/* The value a condition compares: the bucket for "bucket", else the form's first field of
 * that name, else "". */
static cn_slice_t value_of(cn_slice_t name, const gw_post_field_t *f, size_t n, const char *bucket)
{
    if (ieq(name, "bucket"))
        return cn_slice_str(bucket != NULL ? bucket : "");
    for (size_t i = 0; i < n; i++)
        if (ieq_slice(f[i].name, name))
            return f[i].value;
    return CN_SLICE("");
}

static int has_prefix(cn_slice_t s, cn_slice_t prefix)
{
    return s.len >= prefix.len && (prefix.len == 0 || memcmp(s.ptr, prefix.ptr, prefix.len) == 0);
}

/* starts-with; a Content-Type is a comma-separated list whose every entry (blanks around it
 * trimmed) must start with the prefix (AWS: "Matching Content-Types in a Comma-Separated
 * List"). */
static int starts_with(cn_slice_t name, cn_slice_t v, cn_slice_t prefix)
{
    size_t at = 0;

    if (!ieq(name, "content-type"))
        return has_prefix(v, prefix);
    do {
        const char *comma = memchr(v.ptr + at, ',', v.len - at);
        size_t end = comma != NULL ? (size_t)(comma - v.ptr) : v.len, b = at;
        while (b < end && (v.ptr[b] == ' ' || v.ptr[b] == '\t'))
            b++;
        if (!has_prefix(cn_slice(v.ptr + b, end - b), prefix))
            return 0;
        at = end + 1;
    } while (at <= v.len);
    return 1;
}

static int holds(const struct cond *c, const gw_post_field_t *f, size_t n, const char *bucket)
{
    cn_slice_t v;

    if (!c->dollar)
        return 0;
    v = value_of(c->field, f, n, bucket);
    return c->op == OP_EQ ? cn_slice_eq(v, c->value) : starts_with(c->field, v, c->value);
}

static gw_s3_err_t condition_failed(const struct cond *c, char *msg, size_t msg_len)
{
    struct out o;

    out_init(&o, msg, msg_len);
    out_str(&o, "Invalid according to Policy: Policy Condition failed: [\"");
    out_str(&o, c->op == OP_EQ ? "eq" : "starts-with");
    out_str(&o, c->dollar ? "\", \"$" : "\", \"");
    out_json(&o, c->field);
    out_str(&o, "\", \"");
    out_json(&o, c->value);
    out_str(&o, "\"]");
    return GW_S3_ACCESS_DENIED;
}

static int named(const gw_post_policy_t *p, cn_slice_t name)
{
    for (size_t i = 0; i < p->n; i++)
        if (p->c[i].op != OP_RANGE && ieq_slice(p->c[i].field, name))
            return 1;
    return 0;
}

gw_s3_err_t gw_post_policy_check(const gw_post_policy_t *p, uint64_t now_ms,
                                 const gw_post_field_t *f, size_t n, const char *bucket,
                                 uint64_t file_size, char *msg, size_t msg_len)
{
    struct out o;
    int extra = 0;

    CN_CHECK_OBJ(p, PP_MAGIC);
    out_init(&o, msg, msg_len);
    if (now_ms > (uint64_t)INT64_MAX || (int64_t)now_ms > p->exp_ms) {
        out_str(&o, "Invalid according to Policy: Policy expired.");
        return GW_S3_ACCESS_DENIED;
    }
    for (size_t i = 0; i < p->n; i++) {
        const struct cond *c = &p->c[i];
        if (c->op == OP_RANGE) {
            if (file_size < c->min) {
                out_str(&o, "Your proposed upload is smaller than the minimum allowed size");
                return GW_S3_ENTITY_TOO_SMALL;
            }
            if (file_size > c->max) {
                out_str(&o, "Your proposed upload exceeds the maximum allowed size");
                return GW_S3_ENTITY_TOO_LARGE;
            }
        } else if (!holds(c, f, n, bucket)) {
            return condition_failed(c, msg, msg_len);
        }
    }
    for (size_t i = 0; i < n; i++) {
        if (gw_post_field_exempt(f[i].name) || named(p, f[i].name))
            continue;
        out_str(&o, extra++ ? ", " : "Invalid according to Policy: Extra input fields: ");
        out_bytes(&o, f[i].name.ptr, f[i].name.len);
    }
    return extra ? GW_S3_ACCESS_DENIED : GW_S3_OK;
}
