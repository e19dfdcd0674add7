/*
 * manager/admin_login.h: who calls the admin API (admin_login.c). Three ways in:
 *   - Authorization: Bearer TOKEN, the [admin] token, for automation;
 *   - Authorization: Basic USER:PASSWORD of a user with a password (cairn-adm --user and
 *     --password, the browser's login prompt for the dashboard): a user whose role is
 *     "admin" may do anything the API offers; any other role is refused (403);
 *   - neither, from a loopback peer, unless [admin] require_token_on_loopback.
 * Credentials that are given are always checked, from loopback too: a wrong password is 401
 * even where no credentials would have been served.
 * A password is checked with PBKDF2 (100,000 rounds: tens of milliseconds), so a login is
 * remembered for MGR_LOGIN_TTL_MS by a digest of user and password (never the password),
 * and no longer matches once the user's record changes (its role, password or existence).
 */
#ifndef CAIRN_MANAGER_ADMIN_LOGIN_H
#define CAIRN_MANAGER_ADMIN_LOGIN_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#define MGR_LOGIN_CACHE 16
#define MGR_LOGIN_TTL_MS 60000

struct mgr_server;

enum mgr_caller {
    MGR_CALLER_NONE = 0,   /* no credentials */
    MGR_CALLER_TOKEN,      /* the admin token */
    MGR_CALLER_ADMIN,      /* a user with the admin role and her password */
    MGR_CALLER_USER,       /* a user of another role, with her password: no admin rights */
    MGR_CALLER_BAD,        /* credentials that do not check: a wrong token, user or password,
                            * or an Authorization header of another kind */
};

/* Logins remembered; owned by the admin server. [lock: its own] */
struct mgr_login_cache {
    pthread_mutex_t lock;
    struct {
        uint8_t digest[32];        /* sha256(user, password, pw_hash, role) */
        uint64_t until_ms;         /* monotonic */
        int admin;
    } e[MGR_LOGIN_CACHE];
    size_t next;
};

void mgr_login_cache_init(struct mgr_login_cache *c);
void mgr_login_cache_dispose(struct mgr_login_cache *c);

/** Who sent authz (the Authorization header; NULL: none). user (userlen bytes) gets the
 *  user name of a Basic login. Takes s->lock itself to read the user: not with it held. */
enum mgr_caller mgr_login_identify(struct mgr_server *s, struct mgr_login_cache *c,
                                   const char *authz, char *user, size_t userlen);

#endif
