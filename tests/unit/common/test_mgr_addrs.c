/* tests/unit/common/test_mgr_addrs.c: tests common/mgr_addrs.c, the manager address list and
 * the choice of the next manager on a failure or a "not the leader" answer. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "common/err.h"
#include "common/mgr_addrs.h"

static cn_mgr_addrs_t a;
static char err[256];

static void parse_ok(const char *list)
{
    cr_assert_eq(cn_mgr_addrs_parse(&a, list, err, sizeof(err)), 0, "%s: %s", list, err);
}

static void parse_bad(const char *list, const char *why)
{
    cr_assert_eq(cn_mgr_addrs_parse(&a, list, err, sizeof(err)), CN_EINVAL, "%s", list);
    cr_assert(strstr(err, why) != NULL, "'%s': '%s' lacks '%s'", list, err, why);
}

static const char *cur(void)
{
    return cn_mgr_addrs_cur(&a)->str;
}

/* ---- parsing ---------------------------------------------------------------------------- */

Test(mgr_addrs, one_address_is_a_list_of_one, .timeout = 5)
{
    parse_ok("127.0.0.1:10010");
    cr_assert_eq(a.n, 1);
    cr_assert_eq(a.nconf, 1);
    cr_assert_str_eq(cur(), "127.0.0.1:10010");
    cr_assert_str_eq(a.a[0].host, "127.0.0.1");
    cr_assert_eq(a.a[0].port, 10010);
}

Test(mgr_addrs, list_keeps_order_trims_spaces_and_drops_duplicates, .timeout = 5)
{
    char joined[256];

    parse_ok(" 10.0.0.1:10010,10.0.0.2:10010 ,  [::1]:7 , :9, 10.0.0.1:10010");
    cr_assert_eq(a.n, 4);
    cr_assert_eq(a.nconf, 4);
    cr_assert_str_eq(a.a[0].str, "10.0.0.1:10010");
    cr_assert_str_eq(a.a[1].str, "10.0.0.2:10010");
    cr_assert_str_eq(a.a[2].str, "[::1]:7");
    cr_assert_str_eq(a.a[2].host, "::1");
    cr_assert_str_eq(a.a[3].str, "127.0.0.1:9"); /* an empty host is loopback */
    cr_assert_eq(a.cur, 0);
    cn_mgr_addrs_join(&a, joined, sizeof(joined));
    cr_assert_str_eq(joined, "10.0.0.1:10010, 10.0.0.2:10010, [::1]:7, 127.0.0.1:9");
    cn_mgr_addrs_join(&a, joined, 12); /* cut short, still a string */
    cr_assert_eq(strlen(joined), 11);
}

Test(mgr_addrs, bad_lists_say_why, .timeout = 5)
{
    char many[1024] = "";

    parse_bad("", "no address");
    parse_bad("  ", "no address");
    parse_bad("1.2.3.4:1,", "an empty item");
    parse_bad("1.2.3.4:1,,1.2.3.5:1", "an empty item");
    parse_bad("1.2.3.4", "'1.2.3.4': not host:port");
    parse_bad("1.2.3.4:0", "'1.2.3.4:0'");
    parse_bad("1.2.3.4:65536", "'1.2.3.4:65536'");
    parse_bad("1.2.3.4:1, ::1:5", "'::1:5'"); /* IPv6 needs brackets */
    parse_bad("1.2.3.4:x", "'1.2.3.4:x'");
    for (int i = 0; i <= CN_MGR_ADDRS_MAX; i++)
        snprintf(many + strlen(many), sizeof(many) - strlen(many), "%s10.0.0.%d:1",
                 i ? "," : "", i + 1);
    parse_bad(many, "more than 16 addresses");
}

Test(mgr_addrs, find_compares_canonical_forms, .timeout = 5)
{
    parse_ok("10.0.0.1:10010, [::1]:7");
    cr_assert_eq(cn_mgr_addrs_find(&a, "10.0.0.1:10010"), 0);
    cr_assert_eq(cn_mgr_addrs_find(&a, " [::1]:7") , -1); /* find does not trim */
    cr_assert_eq(cn_mgr_addrs_find(&a, "[::1]:7"), 1);
    cr_assert_eq(cn_mgr_addrs_find(&a, "10.0.0.1:10011"), -1);
    cr_assert_eq(cn_mgr_addrs_find(&a, "garbage"), -1);
}

/* ---- failover ----------------------------------------------------------------------------- */

Test(mgr_addrs, a_failure_moves_to_the_next_address_round_robin, .timeout = 5)
{
    parse_ok("a:1, b:2, c:3");
    cr_assert_eq(cn_mgr_addrs_failed(&a, 0), CN_MGR_NOW);
    cr_assert_str_eq(cur(), "b:2");
    cr_assert_eq(cn_mgr_addrs_failed(&a, 1), CN_MGR_NOW);
    cr_assert_str_eq(cur(), "c:3");
    /* the third in a row completes the round: wait the caller's period, then a new round */
    cr_assert_eq(cn_mgr_addrs_failed(&a, 2), CN_MGR_LATER);
    cr_assert_str_eq(cur(), "a:1");
    cr_assert_eq(cn_mgr_addrs_failed(&a, 0), CN_MGR_NOW);
    cr_assert_str_eq(cur(), "b:2");
    /* an answer stays, and the next failure starts a new round */
    cr_assert_eq(cn_mgr_addrs_answered(&a, 1), CN_MGR_STAY);
    cr_assert_str_eq(cur(), "b:2");
    cr_assert_eq(cn_mgr_addrs_failed(&a, 1), CN_MGR_NOW);
    cr_assert_eq(cn_mgr_addrs_failed(&a, 2), CN_MGR_NOW);
    cr_assert_eq(cn_mgr_addrs_failed(&a, 0), CN_MGR_LATER);
    cr_assert_str_eq(cur(), "b:2");
}

Test(mgr_addrs, a_dead_first_address_costs_one_failure, .timeout = 5)
{
    parse_ok("127.0.0.1:1, 127.0.0.1:10010");
    cr_assert_eq(cn_mgr_addrs_failed(&a, 0), CN_MGR_NOW);
    cr_assert_eq(cn_mgr_addrs_answered(&a, 1), CN_MGR_STAY);
    cr_assert_str_eq(cur(), "127.0.0.1:10010");
}

Test(mgr_addrs, one_address_waits_and_stays, .timeout = 5)
{
    parse_ok("127.0.0.1:10010");
    cr_assert_eq(cn_mgr_addrs_failed(&a, 0), CN_MGR_LATER);
    cr_assert_eq(cn_mgr_addrs_failed(&a, 0), CN_MGR_LATER);
    cr_assert_eq(a.cur, 0);
}

Test(mgr_addrs, outcomes_of_stale_calls_change_nothing, .timeout = 5)
{
    parse_ok("a:1, b:2, c:3");
    cr_assert_eq(cn_mgr_addrs_failed(&a, 0), CN_MGR_NOW);
    /* a second call that was also made to a:1 fails after the first: it must not skip b:2 */
    cr_assert_eq(cn_mgr_addrs_failed(&a, 0), CN_MGR_STAY);
    cr_assert_str_eq(cur(), "b:2");
    cr_assert_eq(cn_mgr_addrs_not_leader(&a, 0, ""), CN_MGR_STAY);
    cr_assert_str_eq(cur(), "b:2");
    cr_assert_eq(cn_mgr_addrs_answered(&a, 0), CN_MGR_STAY);
    cr_assert_eq(a.failed, 1); /* the stale answer did not end b:2's round */
}

/* ---- leader following -------------------------------------------------------------------- */

Test(mgr_addrs, not_leader_moves_to_the_named_leader_at_once, .timeout = 5)
{
    parse_ok("a:1, b:2, c:3");
    cr_assert_eq(cn_mgr_addrs_not_leader(&a, 0, "c:3"), CN_MGR_NOW);
    cr_assert_str_eq(cur(), "c:3");
    cr_assert_eq(a.n, 3);
    cr_assert_eq(cn_mgr_addrs_answered(&a, 2), CN_MGR_STAY);
    cr_assert_str_eq(cur(), "c:3");
}

Test(mgr_addrs, a_leader_not_in_the_list_is_added_for_the_session, .timeout = 5)
{
    parse_ok("a:1");
    cr_assert_eq(cn_mgr_addrs_not_leader(&a, 0, "10.0.0.9:10010"), CN_MGR_NOW);
    cr_assert_eq(a.n, 2);
    cr_assert_eq(a.nconf, 1);
    cr_assert_str_eq(cur(), "10.0.0.9:10010");
    /* when it dies, the configured one is next */
    cr_assert_eq(cn_mgr_addrs_failed(&a, 1), CN_MGR_NOW);
    cr_assert_str_eq(cur(), "a:1");
}

Test(mgr_addrs, no_leader_known_tries_the_next_after_a_pause, .timeout = 5)
{
    parse_ok("a:1, b:2, c:3");
    cr_assert_eq(cn_mgr_addrs_not_leader(&a, 0, ""), CN_MGR_SOON);
    cr_assert_str_eq(cur(), "b:2");
    cr_assert_eq(cn_mgr_addrs_not_leader(&a, 1, NULL), CN_MGR_SOON);
    cr_assert_str_eq(cur(), "c:3");
    /* naming itself, or garbage, counts as no leader known */
    cr_assert_eq(cn_mgr_addrs_not_leader(&a, 2, "c:3"), CN_MGR_SOON);
    cr_assert_str_eq(cur(), "a:1");
    cr_assert_eq(cn_mgr_addrs_not_leader(&a, 0, "not an address"), CN_MGR_SOON);
    cr_assert_str_eq(cur(), "b:2");
    cr_assert_eq(a.n, 3);
}

Test(mgr_addrs, managers_naming_each_other_are_slowed_down, .timeout = 5)
{
    int now = 0, soon = 0;

    parse_ok("a:1, b:2");
    /* a says b leads, b says a leads (stale views during a change of leader) */
    for (int i = 0; i < 10; i++) {
        enum cn_mgr_step s = cn_mgr_addrs_not_leader(&a, a.cur, a.cur == 0 ? "b:2" : "a:1");

        now += s == CN_MGR_NOW;
        soon += s == CN_MGR_SOON;
    }
    cr_assert_eq(now, 3, "n + 1 redirects at once, then pauses (got %d)", now);
    cr_assert_eq(soon, 7);
    /* a real answer resets the count */
    cr_assert_eq(cn_mgr_addrs_answered(&a, a.cur), CN_MGR_STAY);
    cr_assert_eq(cn_mgr_addrs_not_leader(&a, a.cur, a.cur == 0 ? "b:2" : "a:1"), CN_MGR_NOW);
}

Test(mgr_addrs, a_not_leader_answer_ends_a_round_of_failures, .timeout = 5)
{
    parse_ok("a:1, b:2, c:3");
    cr_assert_eq(cn_mgr_addrs_failed(&a, 0), CN_MGR_NOW);
    cr_assert_eq(cn_mgr_addrs_not_leader(&a, 1, "a:1"), CN_MGR_NOW);
    /* a:1 failed before; it is the leader now, and its failure starts a fresh round */
    cr_assert_eq(cn_mgr_addrs_failed(&a, 0), CN_MGR_NOW);
    cr_assert_eq(cn_mgr_addrs_failed(&a, 1), CN_MGR_NOW);
    cr_assert_eq(cn_mgr_addrs_failed(&a, 2), CN_MGR_LATER);
}

Test(mgr_addrs, a_full_list_still_follows_a_known_leader, .timeout = 5)
{
    char list[1024] = "";

    for (int i = 0; i < CN_MGR_ADDRS_MAX; i++)
        snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s10.0.0.%d:1", i ? "," : "",
                 i + 1);
    parse_ok(list);
    cr_assert_eq(cn_mgr_addrs_add(&a, "10.0.1.1:1"), CN_E2BIG);
    cr_assert_eq(cn_mgr_addrs_not_leader(&a, 0, "10.0.0.5:1"), CN_MGR_NOW);
    cr_assert_str_eq(cur(), "10.0.0.5:1");
    /* an unknown leader that does not fit: as if none were named */
    cr_assert_eq(cn_mgr_addrs_not_leader(&a, 4, "10.0.1.1:1"), CN_MGR_SOON);
    cr_assert_str_eq(cur(), "10.0.0.6:1");
}

/* ---- learning ----------------------------------------------------------------------------- */

Test(mgr_addrs, managers_field_adds_new_addresses_and_skips_bad_ones, .timeout = 5)
{
    parse_ok("10.0.0.1:10010");
    cr_assert_eq(cn_mgr_addrs_learn(&a, "10.0.0.1:10010,10.0.0.2:10010, bad, ,10.0.0.3:10010"),
                 2);
    cr_assert_eq(a.n, 3);
    cr_assert_eq(a.nconf, 1);
    cr_assert_str_eq(a.a[2].str, "10.0.0.3:10010");
    cr_assert_eq(cn_mgr_addrs_learn(&a, "10.0.0.2:10010"), 0);
    cr_assert_eq(cn_mgr_addrs_learn(&a, ""), 0);
    cr_assert_eq(cn_mgr_addrs_learn(&a, NULL), 0);
    cr_assert_eq(a.cur, 0); /* learning never moves cur */
    /* the learned ones take part in failover */
    cr_assert_eq(cn_mgr_addrs_failed(&a, 0), CN_MGR_NOW);
    cr_assert_str_eq(cur(), "10.0.0.2:10010");
}
