/*
 * common/mgr_addrs.c: the manager address list and the choice of the next address (see
 * mgr_addrs.h for the rules). Pure: it only reads and writes the struct it is given.
 * Invariants: n <= CN_MGR_ADDRS_MAX, nconf <= n, cur < n once a list is parsed; no two
 * entries have the same str.
 */
#include "common/mgr_addrs.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "common/err.h"
#include "common/proc.h"

int cn_mgr_addr_parse(const char *s, cn_mgr_addr_t *out)
{
    cn_mgr_addr_t t;

    if (s == NULL || cn_parse_hostport(s, t.host, sizeof(t.host), &t.port) != 0 ||
        t.port <= 0 || t.host[0] == '\0')
        return CN_EINVAL;
    snprintf(t.str, sizeof(t.str), strchr(t.host, ':') ? "[%s]:%d" : "%s:%d", t.host, t.port);
    *out = t;
    return 0;
}

static int find(const cn_mgr_addrs_t *a, const cn_mgr_addr_t *x)
{
    for (size_t i = 0; i < a->n; i++)
        if (strcmp(a->a[i].str, x->str) == 0)
            return (int)i;
    return -1;
}

int cn_mgr_addrs_find(const cn_mgr_addrs_t *a, const char *s)
{
    cn_mgr_addr_t x;

    return cn_mgr_addr_parse(s, &x) == 0 ? find(a, &x) : -1;
}

/* Adds x unless held. Its index, or CN_E2BIG when the list is full. */
static int add(cn_mgr_addrs_t *a, const cn_mgr_addr_t *x)
{
    int i = find(a, x);

    if (i >= 0)
        return i;
    if (a->n == CN_MGR_ADDRS_MAX)
        return CN_E2BIG;
    a->a[a->n] = *x;
    return (int)a->n++;
}

int cn_mgr_addrs_add(cn_mgr_addrs_t *a, const char *s)
{
    cn_mgr_addr_t x;

    if (cn_mgr_addr_parse(s, &x) != 0)
        return CN_EINVAL;
    return add(a, &x);
}

/* Copies the next item of a comma-separated list, without the spaces around it, into item
 * and returns where the rest starts (NULL at the end). */
static const char *next_item(const char *p, char *item, size_t itemlen, int *too_long)
{
    const char *comma = strchr(p, ','), *end = comma ? comma : p + strlen(p);

    while (p < end && isspace((unsigned char)*p))
        p++;
    while (end > p && isspace((unsigned char)end[-1]))
        end--;
    *too_long = (size_t)(end - p) >= itemlen;
    if (!*too_long) {
        memcpy(item, p, (size_t)(end - p));
        item[end - p] = '\0';
    }
    return comma ? comma + 1 : NULL;
}

int cn_mgr_addrs_parse(cn_mgr_addrs_t *a, const char *list, char *err, size_t errlen)
{
    char item[CN_MGR_ADDR_MAX + 1];
    const char *p = list ? list : "";
    cn_mgr_addr_t x;
    int too_long;

    memset(a, 0, sizeof(*a));
    do {
        p = next_item(p, item, sizeof(item), &too_long);
        if (too_long) {
            snprintf(err, errlen, "an address is longer than %d bytes", CN_MGR_ADDR_MAX - 1);
            return CN_EINVAL;
        }
        if (item[0] == '\0') {
            snprintf(err, errlen, "%s", a->n || p ? "an empty item in the list" :
                     "no address (host:port, ...)");
            return CN_EINVAL;
        }
        if (cn_mgr_addr_parse(item, &x) != 0) {
            snprintf(err, errlen, "'%s': not host:port (port 1..65535, IPv6 in brackets)",
                     item);
            return CN_EINVAL;
        }
        if (add(a, &x) < 0) {
            snprintf(err, errlen, "more than %d addresses", CN_MGR_ADDRS_MAX);
            return CN_EINVAL;
        }
    } while (p != NULL);
    a->nconf = a->n;
    return 0;
}

size_t cn_mgr_addrs_learn(cn_mgr_addrs_t *a, const char *list)
{
    char item[CN_MGR_ADDR_MAX + 1];
    const char *p = list ? list : "";
    cn_mgr_addr_t x;
    size_t before = a->n;
    int too_long;

    do {
        p = next_item(p, item, sizeof(item), &too_long);
        if (!too_long && cn_mgr_addr_parse(item, &x) == 0)
            (void)add(a, &x);
    } while (p != NULL);
    return a->n - before;
}

const cn_mgr_addr_t *cn_mgr_addrs_cur(const cn_mgr_addrs_t *a)
{
    return &a->a[a->cur];
}

enum cn_mgr_step cn_mgr_addrs_answered(cn_mgr_addrs_t *a, size_t idx)
{
    if (idx == a->cur) {
        a->failed = 0;
        a->redirects = 0;
    }
    return CN_MGR_STAY;
}

enum cn_mgr_step cn_mgr_addrs_failed(cn_mgr_addrs_t *a, size_t idx)
{
    if (idx != a->cur || a->n == 0)
        return CN_MGR_STAY;
    a->cur = (a->cur + 1) % a->n;
    if (++a->failed < a->n)
        return CN_MGR_NOW;
    a->failed = 0; /* the next call starts a new round */
    return CN_MGR_LATER;
}

enum cn_mgr_step cn_mgr_addrs_not_leader(cn_mgr_addrs_t *a, size_t idx, const char *leader)
{
    cn_mgr_addr_t x;
    int j = -1;

    if (leader != NULL && leader[0] != '\0' && cn_mgr_addr_parse(leader, &x) == 0)
        j = add(a, &x); /* learned even from a stale answer: a leader is worth knowing */
    if (idx != a->cur || a->n == 0)
        return CN_MGR_STAY;
    a->failed = 0;
    if (j < 0 || (size_t)j == idx) { /* no leader known (an election), or a confused answer */
        a->cur = (a->cur + 1) % a->n;
        return CN_MGR_SOON;
    }
    a->cur = (size_t)j;
    return ++a->redirects > a->n + 1 ? CN_MGR_SOON : CN_MGR_NOW;
}

void cn_mgr_addrs_join(const cn_mgr_addrs_t *a, char *out, size_t outlen)
{
    size_t len = 0;

    if (outlen == 0)
        return;
    out[0] = '\0';
    for (size_t i = 0; i < a->n && len < outlen; i++) {
        int w = snprintf(out + len, outlen - len, "%s%s", i ? ", " : "", a->a[i].str);

        if (w < 0)
            break;
        len += (size_t)w;
    }
}
