/* tests/unit/common/test_wcond.c: tests common/wcond.c (conditional writes, issue 16) */
#include <criterion/criterion.h>
#include <string.h>

#include "common/err.h"
#include "common/wcond.h"

static const cn_wcond_cur_t none = {0, NULL, 0, 0};
static const cn_wcond_cur_t obj = {1, "abc", 5, 1700000000123ull};

Test(wcond, if_none_match_fails_only_on_an_existing_key, .timeout = 5)
{
    cn_wcond_t c = {.if_none_match = 1};
    int missing;

    cr_assert_eq(cn_wcond_eval(&c, &none, &missing), 0);
    cr_assert_eq(cn_wcond_eval(&c, &obj, &missing), CN_ECOND);
    cr_assert_eq(missing, 0);
}

Test(wcond, if_match_needs_the_key_and_its_etag, .timeout = 5)
{
    cn_wcond_t c = {.has_if_match = 1};
    int missing;

    strcpy(c.if_match, "abc");
    cr_assert_eq(cn_wcond_eval(&c, &obj, &missing), 0);
    cr_assert_eq(cn_wcond_eval(&c, &none, &missing), CN_ECOND);
    cr_assert_eq(missing, 1, "a missing key is said so (DeleteObject answers 404)");
    strcpy(c.if_match, "abd");
    cr_assert_eq(cn_wcond_eval(&c, &obj, &missing), CN_ECOND);
    cr_assert_eq(missing, 0);
    strcpy(c.if_match, "*");
    cr_assert_eq(cn_wcond_eval(&c, &obj, &missing), 0);
    cr_assert_eq(cn_wcond_eval(&c, &none, &missing), CN_ECOND);
}

Test(wcond, size_and_mtime_fail_only_against_an_existing_version, .timeout = 5)
{
    cn_wcond_t c = {.has_if_size = 1, .if_size = 5, .has_if_mtime = 1, .if_mtime_s = 1700000000};
    int missing;

    cr_assert_eq(cn_wcond_eval(&c, &obj, &missing), 0, "mtime compared in whole seconds");
    cr_assert_eq(cn_wcond_eval(&c, &none, &missing), 0, "S3: 204 when the object is missing");
    c.if_size = 6;
    cr_assert_eq(cn_wcond_eval(&c, &obj, &missing), CN_ECOND);
    c.if_size = 5;
    c.if_mtime_s = 1700000001;
    cr_assert_eq(cn_wcond_eval(&c, &obj, &missing), CN_ECOND);
}

Test(wcond, a_version_newer_than_conflict_after_is_a_conflict, .timeout = 5)
{
    cn_wcond_t c = {.if_none_match = 1, .conflict_after_ms = 1700000000000ull};
    int missing;

    cr_assert_eq(cn_wcond_eval(&c, &obj, &missing), CN_ECONFLICT);
    c.conflict_after_ms = 1700000000124ull;
    cr_assert_eq(cn_wcond_eval(&c, &obj, &missing), CN_ECOND, "written before: a plain 412");
    cr_assert_eq(cn_wcond_eval(&c, &none, &missing), 0);
}

Test(wcond, round_trips_through_a_message, .timeout = 5)
{
    cn_wcond_t c = {.has_if_match = 1, .has_if_size = 1, .if_size = 7, .has_if_mtime = 1,
                    .if_mtime_s = 9, .conflict_after_ms = 11}, got;
    cn_msg_t *m = cn_msg_new("put");
    uint64_t v = 0;

    strcpy(c.if_match, "d41d8cd98f00b204e9800998ecf8427e-2");
    cn_wcond_to_msg(&c, m);
    cr_assert_eq(cn_msg_get_u64(m, "cond", &v), 0);
    cr_assert_eq(v, 1);
    cr_assert_eq(cn_wcond_from_msg(m, &got), 0);
    cr_assert_eq(memcmp(&c, &got, sizeof(c)), 0);
    cn_msg_free(m);
}

Test(wcond, no_condition_adds_nothing, .timeout = 5)
{
    cn_wcond_t c = {0}, got;
    cn_msg_t *m = cn_msg_new("put");
    uint64_t v;

    cr_assert_eq(cn_wcond_any(&c), 0);
    cn_wcond_to_msg(&c, m);
    cr_assert_neq(cn_msg_get_u64(m, "cond", &v), 0);
    cr_assert_eq(cn_wcond_from_msg(m, &got), 0);
    cr_assert_eq(cn_wcond_any(&got), 0);
    cn_msg_free(m);
}

Test(wcond, malformed_fields_are_refused, .timeout = 5)
{
    cn_wcond_t got;
    cn_msg_t *m = cn_msg_new("put");
    char big[200];

    cn_msg_set_u64(m, "if_match", 3);
    cr_assert_eq(cn_wcond_from_msg(m, &got), CN_EINVAL);
    cn_msg_free(m);
    m = cn_msg_new("put");
    memset(big, 'a', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    cn_msg_set_str(m, "if_match", big);
    cr_assert_eq(cn_wcond_from_msg(m, &got), CN_EINVAL);
    cn_msg_free(m);
    m = cn_msg_new("put");
    cn_msg_set_str(m, "if_size", "5");
    cr_assert_eq(cn_wcond_from_msg(m, &got), CN_EINVAL);
    cn_msg_free(m);
    m = cn_msg_new("put");
    cn_msg_set_u64(m, "if_none_match", 1);
    cn_msg_set_str(m, "if_match", "abc");
    cr_assert_eq(cn_wcond_from_msg(m, &got), CN_EINVAL);
    cn_msg_free(m);
}
