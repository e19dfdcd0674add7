/* tests/unit/manager/test_raft.c: tests manager/raft.c's config: the [manager] peers list. */
#include <criterion/criterion.h>
#include <string.h>

#include "common/err.h"
#include "manager/raft.h"

Test(mgr_raft, peers_parse_with_default_and_given_ports, .timeout = 5)
{
    struct mgr_peer p[MGR_PEERS_MAX];
    char err[256];
    size_t n = 9;

    cr_assert_eq(mgr_peers_parse(" 1@10.0.0.1:10012 , 2@h2:20012/20000/20001,3@h3:10012 ", p,
                                 &n, err, sizeof(err)), 0, "%s", err);
    cr_assert_eq(n, 3);
    cr_assert_eq(p[0].id, 1);
    cr_assert_str_eq(p[0].host, "10.0.0.1");
    cr_assert_eq(p[0].raft_port, 10012);
    cr_assert_eq(p[0].rpc_port, 10010);
    cr_assert_eq(p[0].admin_port, 10011);
    cr_assert_str_eq(p[0].raft_addr, "10.0.0.1:10012");
    cr_assert_eq(p[1].id, 2);
    cr_assert_eq(p[1].rpc_port, 20000);
    cr_assert_eq(p[1].admin_port, 20001);
    cr_assert_str_eq(p[2].raft_addr, "h3:10012");
    cr_assert_eq(mgr_peers_parse("", p, &n, err, sizeof(err)), 0);
    cr_assert_eq(n, 0);
}

Test(mgr_raft, peers_parse_refuses_bad_entries, .timeout = 5)
{
    static const char *const bad[] = {
        "1@h:10012, 1@g:10012",     /* the same id twice */
        "1@h:10012, 2@h:10012",     /* the same address twice */
        "0@h:10012",                /* ids are 1..255 */
        "256@h:10012",
        "x@h:10012",
        "h:10012",                  /* no id */
        "1@h",                      /* no port */
        "1@h:10012/5",              /* RPC port without the admin port */
        "1@h:10012/0/5",
        "1@h:1,2@h:2,3@h:3,4@h:4,5@h:5,6@h:6,7@h:7,8@h:8", /* more than 7 */
    };
    struct mgr_peer p[MGR_PEERS_MAX];
    char err[256];
    size_t n;

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        err[0] = '\0';
        cr_assert_eq(mgr_peers_parse(bad[i], p, &n, err, sizeof(err)), CN_ECONFIG, "%s",
                     bad[i]);
        cr_assert_neq(err[0], '\0', "no reason for %s", bad[i]);
    }
}
