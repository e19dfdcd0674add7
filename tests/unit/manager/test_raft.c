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

/* The rule of update-managers (group.h): one change at a time, and after it a majority of
 * the voters answers. Each row: the group as the leader sees it (voter, up), the change,
 * and the code it must get. */
struct group_case {
    const char *name;
    int op;
    uint64_t id;
    size_t n;
    struct mgr_group_seen seen[MGR_PEERS_MAX];
    int want;
};

static const struct group_case group_cases[] = {
    {"grow 1 -> 2", MGR_GROUP_ADD, 2, 1, {{1, 1, 1}}, 0},
    {"grow 2 -> 3", MGR_GROUP_ADD, 3, 2, {{1, 1, 1}, {2, 1, 1}}, 0},
    {"grow 3 -> 4 with one down (3 of 4 up)", MGR_GROUP_ADD, 4, 3,
     {{1, 1, 1}, {2, 1, 1}, {3, 1, 0}}, 0},
    {"grow 3 -> 4 with two down (2 of 4 up)", MGR_GROUP_ADD, 4, 3,
     {{1, 1, 1}, {2, 1, 0}, {3, 1, 0}}, CN_EQUORUM},
    {"add an id in the group", MGR_GROUP_ADD, 2, 2, {{1, 1, 1}, {2, 1, 1}}, CN_EEXIST},
    {"add a spare's id again", MGR_GROUP_ADD, 2, 2, {{1, 1, 1}, {2, 0, 0}}, CN_EEXIST},
    {"add an eighth", MGR_GROUP_ADD, 8, 7,
     {{1, 1, 1}, {2, 1, 1}, {3, 1, 1}, {4, 1, 1}, {5, 1, 1}, {6, 1, 1}, {7, 1, 1}}, CN_ENOSPC},
    {"remove a dead one of 3", MGR_GROUP_REMOVE, 3, 3, {{1, 1, 1}, {2, 1, 1}, {3, 1, 0}}, 0},
    {"remove a live one of 3, all up", MGR_GROUP_REMOVE, 3, 3,
     {{1, 1, 1}, {2, 1, 1}, {3, 1, 1}}, 0},
    {"remove a live one of 3 with one down", MGR_GROUP_REMOVE, 2, 3,
     {{1, 1, 1}, {2, 1, 1}, {3, 1, 0}}, CN_EQUORUM},
    {"remove a dead one of 5 with two down", MGR_GROUP_REMOVE, 5, 5,
     {{1, 1, 1}, {2, 1, 1}, {3, 1, 1}, {4, 1, 0}, {5, 1, 0}}, 0},
    {"remove a live one of 5 with two down", MGR_GROUP_REMOVE, 3, 5,
     {{1, 1, 1}, {2, 1, 1}, {3, 1, 1}, {4, 1, 0}, {5, 1, 0}}, CN_EQUORUM},
    {"remove the last voter", MGR_GROUP_REMOVE, 1, 1, {{1, 1, 1}}, CN_EINVAL},
    {"remove a spare of a group of one", MGR_GROUP_REMOVE, 2, 2, {{1, 1, 1}, {2, 0, 0}}, 0},
    {"remove an id not in the group", MGR_GROUP_REMOVE, 9, 2, {{1, 1, 1}, {2, 1, 1}},
     CN_ENOENT},
    {"remove one of 2, the other up", MGR_GROUP_REMOVE, 2, 2, {{1, 1, 1}, {2, 1, 1}}, 0},
};

Test(mgr_raft, group_change_rule_table, .timeout = 5)
{
    for (size_t i = 0; i < sizeof(group_cases) / sizeof(group_cases[0]); i++) {
        const struct group_case *c = &group_cases[i];
        char why[256] = "";
        int rc = mgr_group_change_check(c->op, c->id, c->seen, c->n, why, sizeof(why));

        cr_expect_eq(rc, c->want, "%s: rc %d, want %d (%s)", c->name, rc, c->want, why);
        if (c->want != 0)
            cr_expect_neq(why[0], '\0', "%s: a refusal says why", c->name);
    }
}

Test(mgr_raft, peer_parse_one_entry, .timeout = 5)
{
    struct mgr_peer p;
    char err[256];

    cr_assert_eq(mgr_peer_parse("4@10.0.0.4:10012", 16, &p, err, sizeof(err)), 0);
    cr_expect_eq(p.id, 4);
    cr_expect_str_eq(p.host, "10.0.0.4");
    cr_expect_eq(p.rpc_port, 10010);
    cr_expect_eq(p.admin_port, 10011);
    cr_expect_str_eq(p.raft_addr, "10.0.0.4:10012");
    cr_expect_eq(mgr_peer_parse("4@10.0.0.4:10012,5@x:1", 16, &p, err, sizeof(err)), 0,
                 "only len bytes are read");
    cr_expect_eq(mgr_peer_parse("@h:10", 5, &p, err, sizeof(err)), CN_ECONFIG);
    cr_expect_eq(mgr_peer_parse("0@h:10", 6, &p, err, sizeof(err)), CN_ECONFIG);
    cr_expect_eq(mgr_peer_parse("256@h:10", 8, &p, err, sizeof(err)), CN_ECONFIG);
    cr_expect_eq(mgr_peer_parse("1@h:10/0/5", 10, &p, err, sizeof(err)), CN_ECONFIG);
}
