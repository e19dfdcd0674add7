/*
 * gateway/auth/policy_cond.c: bucket policy condition operators and glob matching (see
 * policy_cond.h for the semantics of each edge). Pure, no allocation: values are parsed into
 * stack buffers of bounded size, and a longer value simply does not parse.
 */
#include "gateway/auth/policy_cond.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"

static const struct base {
    const char *name;
    gw_cond_kind_t kind;
    gw_cond_cmp_t cmp;
    int negated;
} bases[] = {
    {"StringEquals", GW_COND_STR, GW_CMP_EQ, 0},
    {"StringNotEquals", GW_COND_STR, GW_CMP_EQ, 1},
    {"StringEqualsIgnoreCase", GW_COND_STR_ICASE, GW_CMP_EQ, 0},
    {"StringNotEqualsIgnoreCase", GW_COND_STR_ICASE, GW_CMP_EQ, 1},
    {"StringLike", GW_COND_LIKE, GW_CMP_EQ, 0},
    {"StringNotLike", GW_COND_LIKE, GW_CMP_EQ, 1},
    {"NumericEquals", GW_COND_NUM, GW_CMP_EQ, 0},
    {"NumericNotEquals", GW_COND_NUM, GW_CMP_EQ, 1},
    {"NumericLessThan", GW_COND_NUM, GW_CMP_LT, 0},
    {"NumericLessThanEquals", GW_COND_NUM, GW_CMP_LE, 0},
    {"NumericGreaterThan", GW_COND_NUM, GW_CMP_GT, 0},
    {"NumericGreaterThanEquals", GW_COND_NUM, GW_CMP_GE, 0},
    {"DateEquals", GW_COND_DATE, GW_CMP_EQ, 0},
    {"DateNotEquals", GW_COND_DATE, GW_CMP_EQ, 1},
    {"DateLessThan", GW_COND_DATE, GW_CMP_LT, 0},
    {"DateLessThanEquals", GW_COND_DATE, GW_CMP_LE, 0},
    {"DateGreaterThan", GW_COND_DATE, GW_CMP_GT, 0},
    {"DateGreaterThanEquals", GW_COND_DATE, GW_CMP_GE, 0},
    {"Bool", GW_COND_BOOL, GW_CMP_EQ, 0},
    {"BinaryEquals", GW_COND_BINARY, GW_CMP_EQ, 0},
    {"IpAddress", GW_COND_IP, GW_CMP_EQ, 0},
    {"NotIpAddress", GW_COND_IP, GW_CMP_EQ, 1},
    {"ArnEquals", GW_COND_ARN, GW_CMP_EQ, 0},
    {"ArnLike", GW_COND_ARN, GW_CMP_EQ, 0},
    {"ArnNotEquals", GW_COND_ARN, GW_CMP_EQ, 1},
    {"ArnNotLike", GW_COND_ARN, GW_CMP_EQ, 1},
    {"Null", GW_COND_NULL, GW_CMP_EQ, 0},
};

int gw_policy_cond_op_parse(const char *name, gw_cond_op_t *out)
{
    static const char any[] = "ForAnyValue:", all[] = "ForAllValues:", ife[] = "IfExists";
    size_t n;

    memset(out, 0, sizeof(*out));
    if (strncmp(name, any, sizeof(any) - 1) == 0) {
        out->set = GW_SET_ANY;
        name += sizeof(any) - 1;
    } else if (strncmp(name, all, sizeof(all) - 1) == 0) {
        out->set = GW_SET_ALL;
        name += sizeof(all) - 1;
    }
    n = strlen(name);
    if (n > sizeof(ife) - 1 && strcmp(name + n - (sizeof(ife) - 1), ife) == 0) {
        out->if_exists = 1;
        n -= sizeof(ife) - 1;
    }
    for (size_t i = 0; i < sizeof(bases) / sizeof(bases[0]); i++) {
        if (strlen(bases[i].name) != n || strncmp(bases[i].name, name, n) != 0)
            continue;
        out->kind = bases[i].kind;
        out->cmp = bases[i].cmp;
        out->negated = bases[i].negated;
        if (out->kind == GW_COND_NULL && (out->if_exists || out->set != GW_SET_NONE))
            return CN_EINVAL;
        return 0;
    }
    return CN_EINVAL;
}

static char fold(char c)
{
    return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

int gw_policy_glob(const char *p, size_t pn, const char *s, size_t sn, int icase, int prefix)
{
    size_t pi = 0, si = 0, star_p = (size_t)-1, star_s = 0;

    while (si < sn) {
        if (pi < pn && p[pi] == '*') {
            star_p = ++pi;
            star_s = si;
            continue;
        }
        if (pi < pn) {
            char c = p[pi];
            size_t tl = 1;

            if (c == GW_GLOB_ESC && pi + 1 < pn) {
                c = p[pi + 1];
                tl = 2;
            } else if (c == '?') {
                pi++;
                si++;
                continue;
            }
            if (c == s[si] || (icase && fold(c) == fold(s[si]))) {
                pi += tl;
                si++;
                continue;
            }
        }
        if (star_p == (size_t)-1)
            return 0;
        pi = star_p;
        si = ++star_s;
    }
    if (prefix)
        return 1; /* whatever is left of the pattern matches some suffix */
    while (pi < pn && p[pi] == '*')
        pi++;
    return pi == pn;
}

/* Copies s into buf (NUL-terminated) when it fits: values longer than any valid one fail. */
static int copy(const char *s, char *buf, size_t size)
{
    size_t n = strlen(s);

    if (n >= size)
        return 0;
    memcpy(buf, s, n + 1);
    return 1;
}

static int num_parse(const char *s, double *out)
{
    char buf[64], *end;
    const char *p = s;
    size_t digits = 0;

    if (*p == '+' || *p == '-')
        p++;
    for (; *p >= '0' && *p <= '9'; p++)
        digits++;
    if (*p == '.') {
        p++;
        for (; *p >= '0' && *p <= '9'; p++)
            digits++;
    }
    if (*p != '\0' || digits == 0 || !copy(s, buf, sizeof(buf)))
        return 0;
    *out = strtod(buf, &end);
    return *end == '\0';
}

/* Reads exactly n digits. */
static int digits(const char **p, int n, int *out)
{
    int v = 0;

    for (int i = 0; i < n; i++) {
        char c = (*p)[i];
        if (c < '0' || c > '9')
            return 0;
        v = v * 10 + (c - '0');
    }
    *p += n;
    *out = v;
    return 1;
}

static int64_t days_from_civil(int y, int m, int d)
{
    int64_t era, yoe, doy, doe;

    y -= m <= 2;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = y - era * 400;
    doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

int gw_policy_date_parse(const char *s, int64_t *ms)
{
    static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    const char *p = s;
    int y, mo, d, h = 0, mi = 0, sec = 0, frac = 0, off = 0;

    if (*p >= '0' && *p <= '9' && strchr(s, '-') == NULL) { /* epoch seconds */
        int64_t v = 0;
        for (; *p >= '0' && *p <= '9'; p++) {
            if (v > 253402300799)
                return CN_EINVAL;
            v = v * 10 + (*p - '0');
        }
        if (*p != '\0' || v > 253402300799)
            return CN_EINVAL;
        *ms = v * 1000;
        return 0;
    }
    if (!digits(&p, 4, &y) || *p++ != '-' || !digits(&p, 2, &mo) || *p++ != '-' ||
        !digits(&p, 2, &d))
        return CN_EINVAL;
    if (mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] ||
        (mo == 2 && d == 29 && !(y % 4 == 0 && (y % 100 != 0 || y % 400 == 0))))
        return CN_EINVAL;
    if (*p == 'T' || *p == 't') {
        p++;
        if (!digits(&p, 2, &h) || *p++ != ':' || !digits(&p, 2, &mi))
            return CN_EINVAL;
        if (*p == ':') {
            p++;
            if (!digits(&p, 2, &sec))
                return CN_EINVAL;
            if (*p == '.') {
                int scale = 100, n = 0;
                p++;
                for (; *p >= '0' && *p <= '9'; p++, n++)
                    if (scale > 0) {
                        frac += (*p - '0') * scale;
                        scale /= 10;
                    }
                if (n == 0 || n > 9)
                    return CN_EINVAL;
            }
        }
        if (h > 23 || mi > 59 || sec > 59)
            return CN_EINVAL;
        if (*p == 'Z' || *p == 'z') {
            p++;
        } else if (*p == '+' || *p == '-') {
            int sign = *p++ == '-' ? -1 : 1, oh, om;
            if (!digits(&p, 2, &oh))
                return CN_EINVAL;
            if (*p == ':')
                p++;
            if (!digits(&p, 2, &om) || oh > 23 || om > 59)
                return CN_EINVAL;
            off = sign * (oh * 60 + om);
        }
    }
    if (*p != '\0')
        return CN_EINVAL;
    *ms = ((days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec) - off * 60) * 1000 +
          frac;
    return 0;
}

typedef struct ipnet {
    int family;             /* 4 or 6 */
    unsigned char a[16];
    int bits;
} ipnet_t;

static int ip_parse(const char *s, int cidr_ok, ipnet_t *out)
{
    char buf[INET6_ADDRSTRLEN + 8], *slash;
    int max;

    if (!copy(s, buf, sizeof(buf)))
        return 0;
    memset(out, 0, sizeof(*out));
    slash = strchr(buf, '/');
    if (slash != NULL)
        *slash = '\0';
    if (inet_pton(AF_INET, buf, out->a) == 1) {
        out->family = 4;
        max = 32;
    } else if (inet_pton(AF_INET6, buf, out->a) == 1) {
        out->family = 6;
        max = 128;
    } else {
        return 0;
    }
    out->bits = max;
    if (slash != NULL) {
        const char *b = slash + 1;
        int v = 0, n = 0;

        if (!cidr_ok)
            return 1; /* a request value with a prefix: its address */
        for (; *b >= '0' && *b <= '9' && n < 4; b++, n++)
            v = v * 10 + (*b - '0');
        if (n == 0 || *b != '\0' || v > max)
            return 0;
        out->bits = v;
    }
    return 1;
}

static int ip_in(const ipnet_t *net, const ipnet_t *ip)
{
    int full = net->bits / 8, rest = net->bits % 8;

    if (net->family != ip->family)
        return 0;
    if (memcmp(net->a, ip->a, (size_t)full) != 0)
        return 0;
    if (rest == 0)
        return 1;
    unsigned char mask = (unsigned char)(0xff << (8 - rest));
    return (net->a[full] & mask) == (ip->a[full] & mask);
}

/* Splits an ARN into its six parts (the last keeps any further ':'); 0 when fewer. */
static int arn_split(const char *s, const char *part[6], size_t len[6])
{
    const char *p = s;

    for (int i = 0; i < 5; i++) {
        const char *c = strchr(p, ':');
        if (c == NULL)
            return 0;
        part[i] = p;
        len[i] = (size_t)(c - p);
        p = c + 1;
    }
    part[5] = p;
    len[5] = strlen(p);
    return 1;
}

static int arn_match(const char *pat, const char *s)
{
    const char *pp[6], *sp[6];
    size_t pl[6], sl[6];

    if (!arn_split(pat, pp, pl) || !arn_split(s, sp, sl))
        return 0;
    for (int i = 0; i < 6; i++)
        if (!gw_policy_glob(pp[i], pl[i], sp[i], sl[i], 0, 0))
            return 0;
    return 1;
}

/* Exact comparison of a pattern (its escapes removed, '*' and '?' literal) with s. */
static int str_eq(const char *pat, const char *s, int icase)
{
    for (;; pat++, s++) {
        char c = *pat;
        if (c == GW_GLOB_ESC && pat[1] != '\0')
            c = *++pat;
        if (c == '\0' || *s == '\0')
            return c == *s;
        if (c != *s && !(icase && fold(c) == fold(*s)))
            return 0;
    }
}

static int ascii_ieq(const char *a, const char *b)
{
    for (; *a && *b; a++, b++)
        if (fold(*a) != fold(*b))
            return 0;
    return *a == *b;
}

static int cmp_holds(gw_cond_cmp_t cmp, int c)
{
    switch (cmp) {
    case GW_CMP_EQ: return c == 0;
    case GW_CMP_LT: return c < 0;
    case GW_CMP_LE: return c <= 0;
    case GW_CMP_GT: return c > 0;
    case GW_CMP_GE: return c >= 0;
    }
    return 0;
}

int gw_policy_cond_value_valid(const gw_cond_op_t *op, const char *v)
{
    double d;
    int64_t ms;
    ipnet_t ip;

    switch (op->kind) {
    case GW_COND_NUM: return num_parse(v, &d);
    case GW_COND_DATE: return gw_policy_date_parse(v, &ms) == 0;
    case GW_COND_IP: return ip_parse(v, 1, &ip);
    case GW_COND_NULL: return ascii_ieq(v, "true") || ascii_ieq(v, "false");
    default: return 1;
    }
}

/* Does request value c match policy value p (the positive form)? 1, 0, or -1 when c does
 * not parse for the operator's type. */
static int match_one(const gw_cond_op_t *op, const char *p, const char *c)
{
    double pd, cd;
    int64_t pm, cm;
    ipnet_t pn, cn;

    switch (op->kind) {
    case GW_COND_STR:
    case GW_COND_BINARY: return str_eq(p, c, 0);
    case GW_COND_STR_ICASE: return str_eq(p, c, 1);
    case GW_COND_LIKE: return gw_policy_glob(p, strlen(p), c, strlen(c), 0, 0);
    case GW_COND_BOOL: return ascii_ieq(p, c);
    case GW_COND_ARN: return arn_match(p, c);
    case GW_COND_NUM:
        if (!num_parse(c, &cd))
            return -1;
        if (!num_parse(p, &pd))
            return 0;
        return cmp_holds(op->cmp, cd < pd ? -1 : cd > pd ? 1 : 0);
    case GW_COND_DATE:
        if (gw_policy_date_parse(c, &cm) != 0)
            return -1;
        if (gw_policy_date_parse(p, &pm) != 0)
            return 0;
        return cmp_holds(op->cmp, cm < pm ? -1 : cm > pm ? 1 : 0);
    case GW_COND_IP:
        if (!ip_parse(c, 0, &cn))
            return -1;
        return ip_parse(p, 1, &pn) && ip_in(&pn, &cn);
    case GW_COND_NULL: return 0; /* decided in gw_policy_cond_eval */
    }
    return 0;
}

/* Does request value c satisfy the base operator (any policy value for a positive one, none
 * for a negated one)? 1, 0, or -1 when c does not parse. */
static int value_satisfies(const gw_cond_op_t *op, const char *const *pv, size_t npv,
                           const char *c)
{
    int any = 0;

    for (size_t i = 0; i < npv; i++) {
        int m;
        if (pv[i] == NULL)
            continue;
        if ((m = match_one(op, pv[i], c)) < 0)
            return -1;
        if (m) {
            any = 1;
            break;
        }
    }
    return op->negated ? !any : any;
}

int gw_policy_cond_eval(const gw_cond_op_t *op, const char *const *pv, size_t npv,
                        const char *const *cv, size_t ncv, int present)
{
    if (op->kind == GW_COND_NULL) {
        for (size_t i = 0; i < npv; i++)
            if (pv[i] != NULL && ascii_ieq(pv[i], present ? "false" : "true"))
                return 1;
        return 0;
    }
    if (!present)
        return op->if_exists || (op->set == GW_SET_ALL) ||
               (op->set == GW_SET_NONE && op->negated);
    switch (op->set) {
    case GW_SET_ALL:
        for (size_t i = 0; i < ncv; i++)
            if (value_satisfies(op, pv, npv, cv[i]) != 1)
                return 0;
        return 1;
    case GW_SET_ANY:
        for (size_t i = 0; i < ncv; i++)
            if (value_satisfies(op, pv, npv, cv[i]) == 1)
                return 1;
        return 0;
    case GW_SET_NONE: {
        /* positive: some value matches; negated: no value matches (all satisfy) */
        int hit = 0;
        for (size_t i = 0; i < ncv; i++) {
            gw_cond_op_t pos = *op;
            int m;
            pos.negated = 0;
            if ((m = value_satisfies(&pos, pv, npv, cv[i])) < 0)
                return 0;
            hit |= m;
        }
        if (ncv == 0)
            return op->if_exists || op->negated;
        return op->negated ? !hit : hit;
    }
    }
    return 0;
}
