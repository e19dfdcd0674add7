/*
 * manager/users.c: S3 users. Credentials come from cn_random_bytes: the access key id is 20
 * characters of [A-Z0-9] (rejection sampling, so no modulo bias), the secret 40 of
 * [A-Za-z0-9/+] (6 bits per byte) and the canonical id 32 random bytes in hex. They, the
 * creation time and the password's PBKDF2 hash (with its random salt) are chosen here, by the
 * proposer, and travel in the entry; mgr__users_apply only checks an entry against the state
 * and writes a user record and its indexes (access key, id) with the version bump into the
 * batch that fsm.c commits.
 */
#include "manager/users.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "common/clock.h"
#include "common/acl.h"
#include "common/err.h"
#include "common/hash.h"
#include "common/log.h"
#include "common/mem.h"
#include "manager/buckets.h"
#include "manager/cmd.h"
#include "manager/fsm.h"

#define PBKDF2_ITER 100000
#define PBKDF2_SALT 16

static const char key_alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
static const char secret_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789/+";

int mgr_user_name_valid(const char *name)
{
    size_t n = name ? strlen(name) : 0;

    if (n < 1 || n > MGR_USER_NAME_MAX)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = name[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-'))
            return 0;
    }
    return 1;
}

static int random_access_key(char out[MGR_ACCESS_KEY_LEN + 1])
{
    size_t n = 0;
    uint8_t b[64];
    int rc;

    while (n < MGR_ACCESS_KEY_LEN) {
        if ((rc = cn_random_bytes(b, sizeof(b))) != 0)
            return rc;
        for (size_t i = 0; i < sizeof(b) && n < MGR_ACCESS_KEY_LEN; i++)
            if (b[i] < 252) /* 252 = 7 * 36: keeps every character equally likely */
                out[n++] = key_alphabet[b[i] % 36];
    }
    out[n] = '\0';
    return 0;
}

static int random_secret(char out[MGR_SECRET_LEN + 1])
{
    uint8_t b[MGR_SECRET_LEN];
    int rc;

    if ((rc = cn_random_bytes(b, sizeof(b))) != 0)
        return rc;
    for (size_t i = 0; i < MGR_SECRET_LEN; i++)
        out[i] = secret_alphabet[b[i] & 63];
    out[MGR_SECRET_LEN] = '\0';
    return 0;
}

static int random_id(char out[MGR_USER_ID_LEN + 1])
{
    uint8_t b[MGR_USER_ID_LEN / 2];
    int rc;

    if ((rc = cn_random_bytes(b, sizeof(b))) != 0)
        return rc;
    cn_hex(b, sizeof(b), out);
    return 0;
}

int mgr_user_id_valid(const char *s)
{
    /* the ids ACL grants name (common/acl.h) are these ids */
    return s != NULL && cn_acl_id_valid(s, strlen(s));
}

void mgr_user_legacy_id(const char *name, char out[MGR_USER_ID_LEN + 1])
{
    char in[16 + MGR_USER_NAME_MAX + 1];
    uint8_t d[CN_SHA256_LEN];
    int n = snprintf(in, sizeof(in), "cairn-user-id:%s", name);

    cn_sha256(in, (size_t)n, d);
    cn_hex(d, sizeof(d), out);
}

static void copy_str(char *dst, size_t len, const char *src)
{
    snprintf(dst, len, "%s", src ? src : "");
}

/* One key of a "keys" array into k. */
static int key_from_json(const json_t *j, mgr_access_key_t *k)
{
    if (!json_is_object(j))
        return CN_ECORRUPT;
    copy_str(k->id, sizeof(k->id), json_string_value(json_object_get(j, "access_key")));
    copy_str(k->secret, sizeof(k->secret), json_string_value(json_object_get(j, "secret")));
    copy_str(k->status, sizeof(k->status), json_string_value(json_object_get(j, "status")));
    k->created_ms = (uint64_t)json_integer_value(json_object_get(j, "created_ms"));
    return k->id[0] && (strcmp(k->status, MGR_KEY_ACTIVE) == 0 ||
                        strcmp(k->status, MGR_KEY_INACTIVE) == 0)
               ? 0
               : CN_ECORRUPT;
}

/* A user record: format 3 has "keys"; format 2 and 1 one "access_key" and "secret", which
 * read as the user's only key, Active (migrate.c rewrites them so). */
static int user_from_json(const json_t *j, mgr_user_t *out)
{
    const json_t *keys, *k;
    size_t i;

    if (!json_is_object(j))
        return CN_ECORRUPT;
    memset(out, 0, sizeof(*out));
    copy_str(out->name, sizeof(out->name), json_string_value(json_object_get(j, "user")));
    copy_str(out->id, sizeof(out->id), json_string_value(json_object_get(j, "id")));
    copy_str(out->role, sizeof(out->role), json_string_value(json_object_get(j, "role")));
    out->created_ms = (uint64_t)json_integer_value(json_object_get(j, "created_ms"));
    copy_str(out->pw_hash, sizeof(out->pw_hash),
             json_string_value(json_object_get(j, "password")));
    copy_str(out->email, sizeof(out->email), json_string_value(json_object_get(j, "email")));
    if (out->name[0] == '\0')
        return CN_ECORRUPT;
    if ((keys = json_object_get(j, "keys")) != NULL) {
        if (!json_is_array(keys) || json_array_size(keys) > MGR_USER_MAX_KEYS)
            return CN_ECORRUPT;
        json_array_foreach(keys, i, k) {
            if (key_from_json(k, &out->keys[out->nkeys++]) != 0)
                return CN_ECORRUPT;
        }
    } else {
        mgr_access_key_t *k0 = &out->keys[0];

        copy_str(k0->id, sizeof(k0->id), json_string_value(json_object_get(j, "access_key")));
        copy_str(k0->secret, sizeof(k0->secret),
                 json_string_value(json_object_get(j, "secret")));
        copy_str(k0->status, sizeof(k0->status), MGR_KEY_ACTIVE);
        k0->created_ms = out->created_ms;
        if (k0->id[0] == '\0')
            return CN_ECORRUPT;
        out->nkeys = 1;
    }
    if (out->nkeys > 0) {
        copy_str(out->access_key, sizeof(out->access_key), out->keys[0].id);
        copy_str(out->secret, sizeof(out->secret), out->keys[0].secret);
    }
    return 0;
}

/* The stored record (format 3): secrets and the password hash included. */
static json_t *user_to_json(const mgr_user_t *u)
{
    json_t *j = json_pack("{s:s, s:s, s:I}", "user", u->name, "role", u->role, "created_ms",
                          (json_int_t)u->created_ms);
    json_t *keys = json_array();

    if (u->id[0]) /* a record read before the migration has none */
        json_object_set_new(j, "id", json_string(u->id));
    if (u->pw_hash[0])
        json_object_set_new(j, "password", json_string(u->pw_hash));
    if (u->email[0])
        json_object_set_new(j, "email", json_string(u->email));
    for (unsigned i = 0; i < u->nkeys; i++)
        json_array_append_new(keys, json_pack("{s:s, s:s, s:s, s:I}", "access_key",
                                              u->keys[i].id, "secret", u->keys[i].secret,
                                              "status", u->keys[i].status, "created_ms",
                                              (json_int_t)u->keys[i].created_ms));
    json_object_set_new(j, "keys", keys);
    return j;
}

int mgr_users_get(mgr_state_t *st, const char *name, mgr_user_t *out)
{
    char key[8 + MGR_USER_NAME_MAX];
    json_t *j;
    int rc;

    if (!mgr_user_name_valid(name))
        return CN_ENOENT;
    snprintf(key, sizeof(key), "u/%s", name);
    if ((rc = mgr_state_get_json(st, key, &j)) != 0)
        return rc;
    rc = user_from_json(j, out);
    json_decref(j);
    return rc;
}

/* Follows the index key (k/<access key> or i/<id>) to the user it names. */
static int user_by_index(mgr_state_t *st, const char *key, mgr_user_t *out)
{
    char *name;
    int rc;

    if ((rc = mgr_state_get(st, key, &name, NULL)) != 0)
        return rc;
    rc = mgr_users_get(st, name, out);
    cn_free(name);
    return rc;
}

int mgr_users_by_key(mgr_state_t *st, const char *access_key, mgr_user_t *out)
{
    char key[64];

    if (access_key == NULL || strlen(access_key) != MGR_ACCESS_KEY_LEN)
        return CN_ENOENT;
    snprintf(key, sizeof(key), "k/%s", access_key);
    return user_by_index(st, key, out);
}

int mgr_users_by_id(mgr_state_t *st, const char *id, mgr_user_t *out)
{
    char key[8 + MGR_USER_ID_LEN];

    if (!mgr_user_id_valid(id))
        return CN_ENOENT;
    snprintf(key, sizeof(key), "i/%s", id);
    return user_by_index(st, key, out);
}

int mgr_users_by_id_or_key(mgr_state_t *st, const char *who, mgr_user_t *out)
{
    return mgr_users_by_id(st, who, out) == 0 ? 0 : mgr_users_by_key(st, who, out);
}

const char *mgr_user_role_canon(const char *role)
{
    if (role == NULL || *role == '\0' || strcmp(role, "user") == 0 || strcmp(role, "normal") == 0)
        return "user";
    if (strcmp(role, "admin") == 0)
        return "admin";
    return NULL;
}

int mgr_user_password_valid(const char *password)
{
    size_t n = password ? strlen(password) : 0;

    return n >= MGR_PASSWORD_MIN && n <= MGR_PASSWORD_MAX;
}

/* "pbkdf2-sha256$ITER$SALTHEX$HASHHEX" of password with a fresh salt. */
static int hash_password(const char *password, char *out, size_t outlen)
{
    uint8_t salt[PBKDF2_SALT], dk[32];
    char salthex[2 * PBKDF2_SALT + 1], dkhex[65];
    int rc;

    if ((rc = cn_random_bytes(salt, sizeof(salt))) != 0)
        return rc;
    if (PKCS5_PBKDF2_HMAC(password, (int)strlen(password), salt, sizeof(salt), PBKDF2_ITER,
                          EVP_sha256(), sizeof(dk), dk) != 1)
        return CN_EIO;
    cn_hex(salt, sizeof(salt), salthex);
    cn_hex(dk, sizeof(dk), dkhex);
    snprintf(out, outlen, "pbkdf2-sha256$%d$%s$%s", PBKDF2_ITER, salthex, dkhex);
    return 0;
}

int mgr_users_check_password(const mgr_user_t *u, const char *password)
{
    char salthex[2 * PBKDF2_SALT + 1], dkhex[65];
    uint8_t salt[PBKDF2_SALT], want[32], got[32];
    int iter = 0;

    if (u->pw_hash[0] == '\0' || password == NULL ||
        sscanf(u->pw_hash, "pbkdf2-sha256$%d$%32[0-9a-f]$%64[0-9a-f]", &iter, salthex, dkhex) != 3 ||
        iter < 1 || cn_unhex(salthex, sizeof(salt), salt) != 0 ||
        cn_unhex(dkhex, sizeof(want), want) != 0)
        return 0;
    if (PKCS5_PBKDF2_HMAC(password, (int)strlen(password), salt, sizeof(salt), iter,
                          EVP_sha256(), sizeof(got), got) != 1)
        return 0;
    return CRYPTO_memcmp(want, got, sizeof(got)) == 0;
}

void mgr__users_put(mgr_batch_t *b, const mgr_user_t *u, unsigned what)
{
    char ukey[8 + MGR_USER_NAME_MAX], kkey[64], ikey[8 + MGR_USER_ID_LEN];
    json_t *j = user_to_json(u);

    snprintf(ukey, sizeof(ukey), "u/%s", u->name);
    mgr_batch_put_json(b, ukey, j);
    for (unsigned i = 0; (what & MGR_USER_PUT_KEY) && i < u->nkeys; i++) {
        snprintf(kkey, sizeof(kkey), "k/%s", u->keys[i].id);
        mgr_batch_put(b, kkey, u->name, strlen(u->name));
    }
    if (what & MGR_USER_PUT_ID) {
        snprintf(ikey, sizeof(ikey), "i/%s", u->id);
        mgr_batch_put(b, ikey, u->name, strlen(u->name));
    }
    json_decref(j);
}

int mgr_user_key_index(const mgr_user_t *u, const char *key)
{
    for (unsigned i = 0; i < u->nkeys; i++)
        if (strcmp(u->keys[i].id, key) == 0)
            return (int)i;
    return -1;
}

json_t *mgr_user_keys_json(const mgr_user_t *u)
{
    json_t *arr = json_array();
    char when[32];

    for (unsigned i = 0; i < u->nkeys; i++) {
        cn_fmt_iso8601_ms(u->keys[i].created_ms, when, sizeof(when));
        json_array_append_new(arr, json_pack("{s:s, s:s, s:s}", "access_key", u->keys[i].id,
                                             "status", u->keys[i].status, "created", when));
    }
    return arr;
}

int mgr__users_new_key(mgr_state_t *st, char key[MGR_ACCESS_KEY_LEN + 1],
                       char secret[MGR_SECRET_LEN + 1])
{
    mgr_user_t tmp;
    int rc;

    do { /* a collision is astronomically unlikely, but a duplicate key must never exist */
        if ((rc = random_access_key(key)) != 0)
            return rc;
        rc = mgr_users_by_key(st, key, &tmp);
    } while (rc == 0);
    return random_secret(secret);
}

/* A fresh random id that no user has. */
static int new_user_id(mgr_state_t *st, char id[MGR_USER_ID_LEN + 1])
{
    mgr_user_t tmp;
    int rc;

    do {
        if ((rc = random_id(id)) != 0)
            return rc;
    } while (mgr_users_by_id(st, id, &tmp) == 0);
    return 0;
}

static int chars_in(const char *s, size_t len, const char *alphabet)
{
    if (s == NULL || strlen(s) != len)
        return 0;
    for (size_t i = 0; i < len; i++)
        if (strchr(alphabet, s[i]) == NULL)
            return 0;
    return 1;
}

static const char ak_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

int mgr_user_keys_valid(const char *key, const char *secret)
{
    return chars_in(key, MGR_ACCESS_KEY_LEN, ak_alphabet) &&
           chars_in(secret, MGR_SECRET_LEN, secret_alphabet);
}

/* Proposes a user_create entry for u (every field chosen); *why says what was taken. */
static int propose_create(mgr_fsm_t *f, const mgr_user_t *u, int *why)
{
    mgr_cmd_t c;
    int rc;

    mgr_cmd_init(&c, MGR_CMD_USER_CREATE);
    c.user = *u;
    rc = mgr_fsm_propose_wait(f, &c, why);
    mgr_cmd_dispose(&c);
    return rc;
}

int mgr_users_create(mgr_fsm_t *f, const char *name, const char *role, const char *password,
                     mgr_user_t *out)
{
    mgr_state_t *st = mgr_fsm_state(f);
    mgr_user_t u, tmp;
    int rc;

    if (!mgr_user_name_valid(name) || (role = mgr_user_role_canon(role)) == NULL ||
        (password != NULL && !mgr_user_password_valid(password)))
        return CN_EINVAL;
    if ((rc = mgr_users_get(st, name, &tmp)) != CN_ENOENT)
        return rc == 0 ? CN_EEXIST : rc;
    memset(&u, 0, sizeof(u));
    copy_str(u.name, sizeof(u.name), name);
    copy_str(u.role, sizeof(u.role), role);
    u.created_ms = cn_now_ms();
    if ((rc = mgr__users_new_key(st, u.access_key, u.secret)) != 0 ||
        (rc = new_user_id(st, u.id)) != 0)
        return rc;
    if (password != NULL && (rc = hash_password(password, u.pw_hash, sizeof(u.pw_hash))) != 0)
        return rc;
    if ((rc = propose_create(f, &u, NULL)) != 0)
        return rc;
    if (out != NULL)
        *out = u;
    return 0;
}

int mgr_users_import(mgr_fsm_t *f, const char *name, const char *access_key,
                     const char *secret, const char *role, const char *password,
                     int *why_key)
{
    mgr_state_t *st = mgr_fsm_state(f);
    mgr_user_t u, tmp;
    int rc, why = MGR_WHY_NONE;

    *why_key = 0;
    if (!mgr_user_name_valid(name) || (role = mgr_user_role_canon(role)) == NULL ||
        !mgr_user_keys_valid(access_key, secret) || (password != NULL && !mgr_user_password_valid(password)))
        return CN_EINVAL;
    if ((rc = mgr_users_get(st, name, &tmp)) != CN_ENOENT)
        return rc == 0 ? CN_EEXIST : rc;
    if ((rc = mgr_users_by_key(st, access_key, &tmp)) != CN_ENOENT) {
        *why_key = 1;
        return rc == 0 ? CN_EEXIST : rc;
    }
    memset(&u, 0, sizeof(u));
    copy_str(u.name, sizeof(u.name), name);
    copy_str(u.role, sizeof(u.role), role);
    copy_str(u.access_key, sizeof(u.access_key), access_key);
    copy_str(u.secret, sizeof(u.secret), secret);
    u.created_ms = cn_now_ms();
    if (password != NULL && (rc = hash_password(password, u.pw_hash, sizeof(u.pw_hash))) != 0)
        return rc;
    if ((rc = new_user_id(st, u.id)) != 0)
        return rc;
    rc = propose_create(f, &u, &why);
    *why_key = rc == CN_EEXIST && why == MGR_WHY_KEY;
    return rc;
}

/* Proposes a change of one user: kind with the user's name and the given role or hash. */
static int propose_change(mgr_fsm_t *f, enum mgr_cmd_kind kind, const char *name,
                          const char *role, const char *pw_hash)
{
    mgr_cmd_t c;
    int rc;

    mgr_cmd_init(&c, kind);
    copy_str(c.user.name, sizeof(c.user.name), name);
    copy_str(c.user.role, sizeof(c.user.role), role);
    copy_str(c.user.pw_hash, sizeof(c.user.pw_hash), pw_hash);
    rc = mgr_fsm_propose_wait(f, &c, NULL);
    mgr_cmd_dispose(&c);
    return rc;
}

int mgr_users_set_password(mgr_fsm_t *f, const char *name, const char *password)
{
    char hash[sizeof(((mgr_user_t *)0)->pw_hash)] = "";
    mgr_user_t u;
    int rc;

    if (password != NULL && !mgr_user_password_valid(password))
        return CN_EINVAL;
    if ((rc = mgr_users_get(mgr_fsm_state(f), name, &u)) != 0)
        return rc;
    if (password != NULL && (rc = hash_password(password, hash, sizeof(hash))) != 0)
        return rc;
    return propose_change(f, MGR_CMD_USER_SET_PASSWORD, name, NULL, hash);
}

int mgr_user_email_valid(const char *email)
{
    size_t n = strlen(email);
    const char *at = strchr(email, '@');

    if (n < 3 || n > MGR_USER_EMAIL_MAX || at == NULL || at == email || at[1] == '\0' ||
        strchr(at + 1, '@') != NULL)
        return 0;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)email[i] <= ' ' || email[i] == 0x7f || email[i] == '"')
            return 0;
    return 1;
}

int mgr_users_set_email(mgr_fsm_t *f, const char *name, const char *email)
{
    mgr_cmd_t c;
    mgr_user_t u;
    int rc;

    if (email != NULL && email[0] != '\0' && !mgr_user_email_valid(email))
        return CN_EINVAL;
    if ((rc = mgr_users_get(mgr_fsm_state(f), name, &u)) != 0)
        return rc;
    mgr_cmd_init(&c, MGR_CMD_USER_SET_EMAIL);
    copy_str(c.user.name, sizeof(c.user.name), name);
    copy_str(c.user.email, sizeof(c.user.email), email);
    rc = mgr_fsm_propose_wait(f, &c, NULL);
    mgr_cmd_dispose(&c);
    return rc;
}

int mgr_users_set_role(mgr_fsm_t *f, const char *name, const char *role)
{
    mgr_user_t u;
    int rc;

    if ((role = mgr_user_role_canon(role)) == NULL)
        return CN_EINVAL;
    if ((rc = mgr_users_get(mgr_fsm_state(f), name, &u)) != 0)
        return rc;
    return propose_change(f, MGR_CMD_USER_SET_ROLE, name, role, NULL);
}

int mgr_users_delete(mgr_fsm_t *f, const char *name)
{
    mgr_state_t *st = mgr_fsm_state(f);
    mgr_user_t u;
    int rc;

    if ((rc = mgr_users_get(st, name, &u)) != 0)
        return rc;
    if (mgr_buckets_count_owned(st, u.id) > 0)
        return CN_EBUSY;
    return propose_change(f, MGR_CMD_USER_DELETE, name, NULL, NULL);
}

/* ---- apply (fsm.c) --------------------------------------------------------------------- */

/* 1 for a role as stored (the admin's "normal" is canonicalized by the proposer). */
static int role_stored(const char *role)
{
    return strcmp(role, "user") == 0 || strcmp(role, "admin") == 0;
}

/* "" (no password) or the proposer's "pbkdf2-sha256$ITER$SALT$HASH". */
static int pw_hash_valid(const char *h)
{
    return h[0] == '\0' || strncmp(h, "pbkdf2-sha256$", 14) == 0;
}

/* user_create: the user with its first key, Active, made when the user was. */
static int apply_create(mgr_state_t *st, const mgr_user_t *u, mgr_batch_t *b, int *why)
{
    mgr_user_t tmp, nu;
    int rc;

    if (!mgr_user_name_valid(u->name) || !mgr_user_id_valid(u->id) ||
        !mgr_user_keys_valid(u->access_key, u->secret) || !role_stored(u->role) ||
        !pw_hash_valid(u->pw_hash))
        return CN_EINVAL;
    *why = MGR_WHY_NAME;
    if ((rc = mgr_users_get(st, u->name, &tmp)) != CN_ENOENT)
        return rc == 0 ? CN_EEXIST : rc;
    *why = MGR_WHY_KEY;
    if ((rc = mgr_users_by_key(st, u->access_key, &tmp)) != CN_ENOENT)
        return rc == 0 ? CN_EEXIST : rc;
    *why = MGR_WHY_ID;
    if ((rc = mgr_users_by_id(st, u->id, &tmp)) != CN_ENOENT)
        return rc == 0 ? CN_EEXIST : rc;
    *why = MGR_WHY_NONE;
    nu = *u;
    memset(nu.keys, 0, sizeof(nu.keys));
    nu.nkeys = 1;
    copy_str(nu.keys[0].id, sizeof(nu.keys[0].id), u->access_key);
    copy_str(nu.keys[0].secret, sizeof(nu.keys[0].secret), u->secret);
    copy_str(nu.keys[0].status, sizeof(nu.keys[0].status), MGR_KEY_ACTIVE);
    nu.keys[0].created_ms = u->created_ms;
    mgr__users_put(b, &nu, MGR_USER_PUT_KEY | MGR_USER_PUT_ID);
    return 0;
}

static void del_user(mgr_batch_t *b, const mgr_user_t *u)
{
    char ukey[8 + MGR_USER_NAME_MAX], kkey[64], ikey[8 + MGR_USER_ID_LEN];

    snprintf(ukey, sizeof(ukey), "u/%s", u->name);
    mgr_batch_del(b, ukey);
    for (unsigned i = 0; i < u->nkeys; i++) {
        snprintf(kkey, sizeof(kkey), "k/%s", u->keys[i].id);
        mgr_batch_del(b, kkey);
    }
    if (u->id[0]) {
        snprintf(ikey, sizeof(ikey), "i/%s", u->id);
        mgr_batch_del(b, ikey);
    }
}

struct email_ctx {
    const char *self, *email;
    int taken;
};

static int email_one(const char *key, size_t klen, const char *val, size_t vlen, void *arg)
{
    struct email_ctx *c = arg;
    json_t *j = json_loadb(val, vlen, 0, NULL);
    const char *e = json_string_value(json_object_get(j, "email"));
    const char *name = json_string_value(json_object_get(j, "user"));

    if (e != NULL && name != NULL && strcmp(name, c->self) != 0 && strcasecmp(e, c->email) == 0)
        c->taken = 1;
    json_decref(j);
    return c->taken; /* stop at the first */
}

/* 0 when u may have email ("" always): valid, and no other user's (S3 resolves a grant by
 * email to one account, so one address names one user). CN_EINVAL, CN_EEXIST, CN_EIO. */
static int email_free(mgr_state_t *st, const mgr_user_t *u, const char *email)
{
    struct email_ctx c = {u->name, email, 0};
    int rc;

    if (email[0] == '\0')
        return 0;
    if (!mgr_user_email_valid(email))
        return CN_EINVAL;
    if ((rc = mgr_state_scan(st, "u/", email_one, &c)) != 0 && !c.taken)
        return rc;
    return c.taken ? CN_EEXIST : 0;
}

int mgr__users_apply(mgr_state_t *st, const mgr_cmd_t *c, mgr_batch_t *b, int *why)
{
    mgr_user_t u;
    int rc;

    if (c->kind == MGR_CMD_USER_CREATE)
        rc = apply_create(st, &c->user, b, why);
    else
        rc = mgr_users_get(st, c->user.name, &u);
    if (rc != 0)
        return rc;
    switch (c->kind) {
    case MGR_CMD_USER_DELETE:
        if (mgr_buckets_count_owned(st, u.id) > 0)
            return CN_EBUSY;
        del_user(b, &u);
        break;
    case MGR_CMD_USER_SET_ROLE:
        if (!role_stored(c->user.role))
            return CN_EINVAL;
        copy_str(u.role, sizeof(u.role), c->user.role);
        mgr__users_put(b, &u, 0);
        break;
    case MGR_CMD_USER_SET_PASSWORD:
        if (!pw_hash_valid(c->user.pw_hash))
            return CN_EINVAL;
        copy_str(u.pw_hash, sizeof(u.pw_hash), c->user.pw_hash);
        mgr__users_put(b, &u, 0);
        break;
    case MGR_CMD_USER_SET_EMAIL:
        if ((rc = email_free(st, &u, c->user.email)) != 0)
            return rc;
        copy_str(u.email, sizeof(u.email), c->user.email);
        mgr__users_put(b, &u, 0);
        break;
    default: /* user_create: apply_create filled b */
        break;
    }
    mgr_batch_bump(b, st, MGR_VER_USERS);
    return 0;
}

/* One user as mgr_users_json lists it (see users.h). */
static json_t *user_listed(const mgr_user_t *u, int with_secrets)
{
    json_t *o = json_pack("{s:s, s:s}", "user", u->name, "id", u->id);
    json_t *keys = with_secrets ? json_array() : mgr_user_keys_json(u);
    char when[32];

    for (unsigned i = 0; with_secrets && i < u->nkeys; i++) {
        if (strcmp(u->keys[i].status, MGR_KEY_ACTIVE) != 0)
            continue; /* an Inactive key never reaches a gateway */
        if (json_array_size(keys) == 0) {
            json_object_set_new(o, "access_key", json_string(u->keys[i].id));
            json_object_set_new(o, "secret", json_string(u->keys[i].secret));
        }
        json_array_append_new(keys, json_pack("{s:s, s:s}", "access_key", u->keys[i].id,
                                              "secret", u->keys[i].secret));
    }
    if (!with_secrets) {
        json_object_set_new(o, "access_key", json_string(u->access_key));
        json_object_set_new(o, "password", json_boolean(u->pw_hash[0] != '\0'));
    }
    json_object_set_new(o, "keys", keys);
    json_object_set_new(o, "role", json_string(u->role));
    if (u->email[0])
        json_object_set_new(o, "email", json_string(u->email));
    cn_fmt_iso8601_ms(u->created_ms, when, sizeof(when));
    json_object_set_new(o, "created", json_string(when));
    return o;
}

struct list_ctx {
    json_t *arr;
    int with_secrets;
};

static int add_user(const char *key, size_t klen, const char *val, size_t vlen, void *arg)
{
    struct list_ctx *c = arg;
    json_t *j = json_loadb(val, vlen, 0, NULL);
    mgr_user_t u;
    int rc = j != NULL ? user_from_json(j, &u) : CN_ECORRUPT;

    json_decref(j);
    if (rc != 0) {
        CN_LOG(CN_LOG_WARN, "key=%.*s: unreadable user record skipped", (int)klen, key);
        return 0;
    }
    json_array_append_new(c->arr, user_listed(&u, c->with_secrets));
    return 0;
}

json_t *mgr_users_json(mgr_state_t *st, int with_secrets)
{
    struct list_ctx c = {json_array(), with_secrets};

    mgr_state_scan(st, "u/", add_user, &c);
    return c.arr;
}
