/*
 * tests/unit/common/test_redundancy.c: common/redundancy.c: which policy strings read, what
 * they read as, that each refusal says why and leaves the output alone, and that every valid
 * policy's text form reads back as itself.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "common/err.h"
#include "common/redundancy.h"

static const cn_redund_t poison = {CN_REDUND_EC, 99, 99};

static void expect_ok(const char *text, cn_redund_kind_t kind, unsigned k, unsigned m)
{
    cn_redund_t r = poison;
    char why[128] = "";

    cr_assert_eq(cn_redund_parse(text, &r, why, sizeof(why)), 0, "'%s' refused: %s", text, why);
    cr_expect_eq(r.kind, kind, "'%s': kind %d", text, (int)r.kind);
    cr_expect_eq(r.k, k, "'%s': k %u", text, r.k);
    cr_expect_eq(r.m, m, "'%s': m %u", text, r.m);
}

/* Refused with CN_EINVAL, *out untouched, and a reason containing want. */
static void expect_bad(const char *text, const char *want)
{
    cn_redund_t r = poison;
    char why[128] = "";

    cr_assert_eq(cn_redund_parse(text, &r, why, sizeof(why)), CN_EINVAL, "'%s' accepted",
                 text ? text : "(null)");
    cr_expect(memcmp(&r, &poison, sizeof(r)) == 0, "'%s': out was written", text);
    cr_expect(strstr(why, want) != NULL, "'%s': reason '%s' lacks '%s'", text, why, want);
}

Test(redundancy, replicate_and_valid_ec)
{
    expect_ok("replicate", CN_REDUND_REPLICATE, 0, 0);
    expect_ok("ec:4+2", CN_REDUND_EC, 4, 2);
    expect_ok("ec:8+3", CN_REDUND_EC, 8, 3);
    expect_ok("ec:1+1", CN_REDUND_EC, 1, 1);
    expect_ok("ec:15+1", CN_REDUND_EC, 15, 1);
    expect_ok("ec:1+15", CN_REDUND_EC, 1, 15);
    expect_ok("ec:8+8", CN_REDUND_EC, 8, 8);
    expect_ok("ec:10+6", CN_REDUND_EC, 10, 6);
}

Test(redundancy, k_and_m_at_least_one)
{
    expect_bad("ec:0+2", "K (data fragments) must be at least 1");
    expect_bad("ec:4+0", "M (parity fragments) must be at least 1");
    expect_bad("ec:0+0", "K (data fragments)");
}

Test(redundancy, at_most_sixteen_fragments)
{
    expect_bad("ec:15+2", "at most 16");
    expect_bad("ec:16+1", "at most 16");
    expect_bad("ec:8+9", "at most 16");
    expect_bad("ec:17+1", "at most 16");
    expect_bad("ec:1+16", "at most 16");
}

Test(redundancy, overflowing_digits_are_out_of_range_not_wrapped)
{
    /* 2^32 + 4 and 2^64 + 2 would wrap to 4 and 2 in a naive reader */
    expect_bad("ec:4294967300+2", "at most 16");
    expect_bad("ec:4+18446744073709551618", "at most 16");
    expect_bad("ec:99999999999999999999999999999999+99999999999999999999999999999", "at most 16");
}

Test(redundancy, trailing_garbage_and_bad_syntax)
{
    expect_bad("ec:4+2x", "use ec:K+M");
    expect_bad("ec:4+2+1", "use ec:K+M");
    expect_bad("ec:4", "use ec:K+M");
    expect_bad("ec:4+", "use ec:K+M");
    expect_bad("ec:+2", "use ec:K+M");
    expect_bad("ec:", "use ec:K+M");
    expect_bad("ec:4-2", "use ec:K+M");
    expect_bad("ec:-4+2", "use ec:K+M");
    expect_bad("ec:4++2", "use ec:K+M");
    expect_bad("ec:04+2", "leading zeros");
    expect_bad("ec:4+02", "leading zeros");
    expect_bad("ec:00+2", "leading zeros");
    expect_bad("ec:4.0+2", "use ec:K+M");
    expect_bad("ec:0x4+2", "use ec:K+M");
}

Test(redundancy, one_spelling_only_case_and_spaces)
{
    expect_bad("EC:4+2", "lower case");
    expect_bad("Ec:4+2", "lower case");
    expect_bad("Replicate", "lower case");
    expect_bad("REPLICATE", "lower case");
    expect_bad(" ec:4+2", "no spaces");
    expect_bad("ec:4+2 ", "use ec:K+M");
    expect_bad("ec: 4+2", "use ec:K+M");
    expect_bad("ec:4 +2", "use ec:K+M");
    expect_bad("ec:4+ 2", "use ec:K+M");
    expect_bad("ec :4+2", "no spaces");
    expect_bad("replicate ", "use replicate or ec:K+M");
    expect_bad("replicate 3", "use replicate or ec:K+M");
    expect_bad("replicate:3", "use replicate or ec:K+M");
}

Test(redundancy, empty_null_and_unknown)
{
    expect_bad("", "use replicate or ec:K+M");
    expect_bad(NULL, "use replicate or ec:K+M");
    expect_bad("rs:4+2", "use replicate or ec:K+M");
    expect_bad("ec", "use replicate or ec:K+M");
}

Test(redundancy, refusal_without_why_buffer)
{
    cn_redund_t r = poison;

    cr_assert_eq(cn_redund_parse("ec:4+0", &r, NULL, 0), CN_EINVAL);
    cr_assert_eq(cn_redund_parse("ec:4+2", &r, NULL, 0), 0);
    cr_assert_eq(r.k, 4);
}

Test(redundancy, every_valid_policy_reads_back_as_itself)
{
    char text[CN_REDUND_TEXT_MAX], want[32];
    cn_redund_t r = {CN_REDUND_REPLICATE, 0, 0}, back = poison;
    unsigned n = 0;

    cn_redund_format(&r, text);
    cr_assert_str_eq(text, "replicate");
    cr_assert_eq(cn_redund_parse(text, &back, NULL, 0), 0);
    cr_assert_eq(back.kind, CN_REDUND_REPLICATE);
    cr_assert_eq(cn_redund_nodes(&back), 0);
    for (unsigned k = 1; k < CN_REDUND_MAX_FRAGS; k++) {
        for (unsigned m = 1; k + m <= CN_REDUND_MAX_FRAGS; m++, n++) {
            r = (cn_redund_t){CN_REDUND_EC, (uint8_t)k, (uint8_t)m};
            cn_redund_format(&r, text);
            snprintf(want, sizeof(want), "ec:%u+%u", k, m);
            cr_assert_str_eq(text, want);
            back = poison;
            cr_assert_eq(cn_redund_parse(text, &back, NULL, 0), 0, "%s", text);
            cr_assert(back.kind == CN_REDUND_EC && back.k == k && back.m == m, "%s", text);
            cr_assert_eq(cn_redund_nodes(&back), k + m);
        }
    }
    cr_assert_eq(n, 120); /* 15 + 14 + ... + 1 pairs with K + M <= 16 */
}
