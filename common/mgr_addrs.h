/*
 * common/mgr_addrs.h: the list of manager addresses a client holds and which one it calls
 * next (docs/PROTOCOL.md, "Finding the managers"). Pure: no I/O, no clock, no allocation, so
 * that the choice is the same in every client and testable alone. Used by the storage node's
 * and the gateway's links (through common/mgr_client.h, with RPC addresses) and by cairn-adm
 * (with admin HTTP addresses).
 *
 * The list holds the configured addresses first (nconf of them, in the configured order),
 * then the ones learned during the session: a leader named by a "not the leader" answer, or
 * the "managers" field of a register/heartbeat reply. Entries are only ever added (up to
 * CN_MGR_ADDRS_MAX), so an index names the same address for the life of the list.
 *
 * The choice: every call goes to cur. Each outcome of a call is reported with the index the
 * call went to; an outcome of a call to an index that is no longer cur is stale and changes
 * nothing (another call already moved cur on).
 *   - an answer (any rc but CN_ENOTLEADER): stay; the counts of failures and redirects
 *     restart (cn_mgr_addrs_answered);
 *   - no answer (connect refused, timeout, reset): move to the next address, round robin;
 *     CN_MGR_NOW while the round since the last answer is not complete, else CN_MGR_LATER
 *     (every address failed in a row: wait the caller's usual retry period) (cn_mgr_addrs_failed);
 *   - "not the leader" naming a leader L: move to L (added when new) and call it at once
 *     (CN_MGR_NOW); after more redirects in a row than there are addresses + 1 (managers that
 *     name each other with stale views) CN_MGR_SOON instead. Naming no leader (an election),
 *     itself, or an address that does not parse: move to the next address, CN_MGR_SOON
 *     (cn_mgr_addrs_not_leader).
 * Not thread-safe: one owner (a loop, or the CLI's one thread).
 */
#ifndef CAIRN_COMMON_MGR_ADDRS_H
#define CAIRN_COMMON_MGR_ADDRS_H

#include <stddef.h>

#define CN_MGR_ADDRS_MAX 16           /* addresses a list holds, configured and learned */
#define CN_MGR_HOST_MAX 256           /* a host name or address literal, with its NUL */
#define CN_MGR_ADDR_MAX (CN_MGR_HOST_MAX + 8) /* "[host]:65535" and NUL */
#define CN_MGR_RPC_DEFAULT "127.0.0.1:10010"  /* [manager] addresses when not set */
#define CN_MGR_ELECTION_WAIT_MS 500   /* CN_MGR_SOON: the pause before the next call */

typedef struct cn_mgr_addr {
    char host[CN_MGR_HOST_MAX];       /* without brackets */
    int port;                         /* 1..65535 */
    char str[CN_MGR_ADDR_MAX];        /* canonical "host:port", "[v6]:port": what is compared */
} cn_mgr_addr_t;

typedef struct cn_mgr_addrs {
    cn_mgr_addr_t a[CN_MGR_ADDRS_MAX];
    size_t n;                         /* addresses held */
    size_t nconf;                     /* a[0..nconf) came from the configuration */
    size_t cur;                       /* the address calls go to */
    size_t failed;                    /* addresses that failed in a row since the last answer */
    size_t redirects;                 /* "not the leader" answers in a row */
} cn_mgr_addrs_t;

/** What the caller does after reporting an outcome. */
enum cn_mgr_step {
    CN_MGR_STAY,  /* cur did not change (an answer, or a stale outcome) */
    CN_MGR_NOW,   /* cur changed: call it at once */
    CN_MGR_SOON,  /* call cur (which may have changed) after CN_MGR_ELECTION_WAIT_MS */
    CN_MGR_LATER, /* every address failed in a row: call cur after the caller's retry period */
};

/** Parses a comma-separated list "host:port, host:port" (spaces around items allowed; an
 *  empty host means 127.0.0.1; IPv6 in brackets) into a (cleared first; every address is
 *  configured, cur = 0). A duplicate is kept once. 0, or CN_EINVAL with err = the reason and
 *  the item ("'x:y': not host:port"): an empty list, an empty item, a bad item, port 0, or
 *  more than CN_MGR_ADDRS_MAX addresses. */
int cn_mgr_addrs_parse(cn_mgr_addrs_t *a, const char *list, char *err, size_t errlen);
/** Parses one "host:port" into *out (port 1..65535). 0 or CN_EINVAL. */
int cn_mgr_addr_parse(const char *s, cn_mgr_addr_t *out);
/** The address calls go to now. Borrowed: valid as long as a. */
const cn_mgr_addr_t *cn_mgr_addrs_cur(const cn_mgr_addrs_t *a);
/** Index of the address s names (parsed and compared canonically), or -1. */
int cn_mgr_addrs_find(const cn_mgr_addrs_t *a, const char *s);
/** Adds s as a learned address unless held already. Returns its index, CN_EINVAL when s does
 *  not parse, CN_E2BIG when the list is full. */
int cn_mgr_addrs_add(cn_mgr_addrs_t *a, const char *s);
/** Adds every address of a comma-separated list (a reply's "managers" field) that is new and
 *  parses; bad items are skipped (the list comes from the wire). Returns how many were added. */
size_t cn_mgr_addrs_learn(cn_mgr_addrs_t *a, const char *list);

/** Outcomes of a call to index idx (see the file comment). */
enum cn_mgr_step cn_mgr_addrs_answered(cn_mgr_addrs_t *a, size_t idx);
enum cn_mgr_step cn_mgr_addrs_failed(cn_mgr_addrs_t *a, size_t idx);
/** leader: the answer's "leader" field, "" or NULL when it had none. */
enum cn_mgr_step cn_mgr_addrs_not_leader(cn_mgr_addrs_t *a, size_t idx, const char *leader);

/** Writes the addresses as "a, b, c" into out (cut short when it does not fit). */
void cn_mgr_addrs_join(const cn_mgr_addrs_t *a, char *out, size_t outlen);

#endif
