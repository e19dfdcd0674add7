/*
 * gateway/auth/policy_cond.h: the condition operators of bucket policies (policy_cond.c) and
 * the pattern matching that policy.c shares with them. Pure functions, no allocation, any
 * thread. Written from the IAM User Guide, "IAM JSON policy elements: Condition operators"
 * and "Single-valued vs. multivalued context keys".
 *
 * An operator is [ForAnyValue:|ForAllValues:] BASE [IfExists], BASE one of
 *   StringEquals StringNotEquals StringEqualsIgnoreCase StringNotEqualsIgnoreCase
 *   StringLike StringNotLike            (case-sensitive; IgnoreCase folds ASCII only)
 *   NumericEquals NumericNotEquals NumericLessThan NumericLessThanEquals
 *   NumericGreaterThan NumericGreaterThanEquals   ([+-]digits[.digits], compared as doubles)
 *   DateEquals DateNotEquals DateLessThan DateLessThanEquals DateGreaterThan
 *   DateGreaterThanEquals   (ISO 8601: YYYY-MM-DD[Thh:mm[:ss[.fff]]][Z|+hh:mm|+hhmm], or
 *                            epoch seconds; compared in milliseconds, UTC without a zone)
 *   Bool                    ("true"/"false", case-insensitive)
 *   BinaryEquals            (the base64 text compared as is)
 *   IpAddress NotIpAddress  (IPv4 or IPv6 CIDR; a value without /n is one address; an IPv4
 *                            address never matches an IPv6 range and the reverse)
 *   ArnEquals ArnLike ArnNotEquals ArnNotLike   (the six ':'-separated parts compared one by
 *                            one, each with * and ?: AWS treats ArnEquals like ArnLike)
 *   Null                    (no IfExists, no set qualifier)
 * Operator names are case-sensitive, as AWS spells them.
 *
 * Semantics of one operator over policy values P (OR-ed) and the request's values C of the
 * key (the key absent, or present with 0..n values):
 *  - Key absent: positive operators are false, negated ones (StringNot*, NumericNotEquals,
 *    DateNotEquals, NotIpAddress, ArnNot*) true; ...IfExists makes any operator true; Null
 *    "true" is true, Null "false" false.
 *  - No qualifier: a positive operator is true when some value of C matches some value of P;
 *    a negated one when no value of C matches any value of P (the negation of the positive
 *    form, so a single value must differ from every listed value). With one value in C this
 *    is AWS's single-valued rule; with several it is what AWS does for a multivalued key
 *    used without a set operator (any value).
 *  - ForAnyValue: true when at least one value of C satisfies the base operator (positive:
 *    matches some P; negated: matches no P). Absent key or empty C: false (IfExists: true).
 *  - ForAllValues: true when every value of C satisfies the base operator. Absent key or
 *    empty C: true (AWS's documented trap: ForAllValues with Allow on a missing key).
 *  - A request value that does not parse for the operator's type (a number, a date, an IP
 *    address) satisfies neither the positive nor the negated form: the condition is then false
 *    whatever the operator (fail closed for Allow; a Deny on a value we cannot read does
 *    not apply either, as in AWS, where such a comparison is false).
 *  - Null with several policy values: true when any of them holds.
 */
#ifndef CAIRN_GATEWAY_POLICY_COND_H
#define CAIRN_GATEWAY_POLICY_COND_H

#include <stddef.h>
#include <stdint.h>

/* Within patterns built by policy.c, GW_GLOB_ESC makes the next byte literal. */
#define GW_GLOB_ESC '\x01'

typedef enum gw_cond_kind {
    GW_COND_STR,
    GW_COND_STR_ICASE,
    GW_COND_LIKE,
    GW_COND_NUM,
    GW_COND_DATE,
    GW_COND_BOOL,
    GW_COND_BINARY,
    GW_COND_IP,
    GW_COND_ARN,
    GW_COND_NULL,
} gw_cond_kind_t;

typedef enum gw_cond_cmp { GW_CMP_EQ, GW_CMP_LT, GW_CMP_LE, GW_CMP_GT, GW_CMP_GE } gw_cond_cmp_t;
typedef enum gw_cond_set { GW_SET_NONE, GW_SET_ANY, GW_SET_ALL } gw_cond_set_t;

typedef struct gw_cond_op {
    gw_cond_kind_t kind;
    gw_cond_cmp_t cmp;
    gw_cond_set_t set;
    int negated;
    int if_exists;
} gw_cond_op_t;

/** Parses an operator name (see above). 0, or CN_EINVAL for an unknown one. */
int gw_policy_cond_op_parse(const char *name, gw_cond_op_t *out);

/** 1 when v is a valid policy value for op (a number, a date, a CIDR, "true"/"false" for
 *  Null); strings, ARNs and Bool take anything. */
int gw_policy_cond_value_valid(const gw_cond_op_t *op, const char *v);

/** Evaluates op with policy values pv[0..npv) against the request's values cv[0..ncv)
 *  (present = 0: the key is absent). For the string and ARN operators the policy values are
 *  patterns where GW_GLOB_ESC quotes the next byte (policy.c's variable expansion); pv[i]
 *  NULL is a value that matches nothing (a variable that could not be expanded). 1 or 0. */
int gw_policy_cond_eval(const gw_cond_op_t *op, const char *const *pv, size_t npv,
                        const char *const *cv, size_t ncv, int present);

/** Glob match of s against pattern p: '*' any run (also empty), '?' one byte, GW_GLOB_ESC
 *  quotes the next byte; icase folds ASCII. With prefix set, 1 when some string that starts
 *  with s matches (used to ask whether a resource pattern can name an object of a bucket). */
int gw_policy_glob(const char *p, size_t pn, const char *s, size_t sn, int icase, int prefix);

/** Parses a date (see above) into milliseconds since the epoch. 0 or CN_EINVAL. */
int gw_policy_date_parse(const char *s, int64_t *ms);

#endif
