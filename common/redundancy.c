/*
 * common/redundancy.c: the text form of a redundancy policy (redundancy.h). The number
 * reader stops counting past CN_REDUND_MAX_FRAGS, so no digit string overflows; every
 * refusal says which rule the text breaks.
 */
#include "common/redundancy.h"

#include <assert.h>
#include <stdio.h>
#include <string.h>

#include "common/ec.h"
#include "common/err.h"
#include "common/log.h"

static_assert(CN_REDUND_MAX_FRAGS == CN_EC_MAX_FRAGS, "a policy is what the codec takes");

static int refuse(char *why, size_t whylen, const char *msg)
{
    if (why != NULL && whylen > 0)
        snprintf(why, whylen, "%s", msg);
    return CN_EINVAL;
}

/* Reads the decimal number at *p (no sign, no leading zero) and moves *p past it: 0, or -1
 * when there is no digit or a leading zero. Values above CN_REDUND_MAX_FRAGS come back as
 * CN_REDUND_MAX_FRAGS + 1, however many digits follow. */
static int read_num(const char **p, unsigned *out)
{
    const char *s = *p;
    unsigned v = 0;

    if (*s < '0' || *s > '9' || (s[0] == '0' && s[1] >= '0' && s[1] <= '9'))
        return -1;
    for (; *s >= '0' && *s <= '9'; s++)
        if (v <= CN_REDUND_MAX_FRAGS)
            v = v * 10 + (unsigned)(*s - '0');
    *out = v > CN_REDUND_MAX_FRAGS ? CN_REDUND_MAX_FRAGS + 1 : v;
    *p = s;
    return 0;
}

int cn_redund_parse(const char *text, cn_redund_t *out, char *why, size_t whylen)
{
    const char *p;
    unsigned k, m;

    if (text == NULL)
        return refuse(why, whylen, "no policy: use replicate or ec:K+M");
    if (strcmp(text, "replicate") == 0) {
        *out = (cn_redund_t){CN_REDUND_REPLICATE, 0, 0};
        return 0;
    }
    if (strncmp(text, "ec:", 3) != 0)
        return refuse(why, whylen, "use replicate or ec:K+M (lower case, no spaces)");
    p = text + 3;
    if (read_num(&p, &k) != 0 || *p++ != '+' || read_num(&p, &m) != 0 || *p != '\0')
        return refuse(why, whylen, "use ec:K+M, K and M decimal numbers without leading "
                                   "zeros, signs or spaces (e.g. ec:4+2)");
    if (k < 1)
        return refuse(why, whylen, "K (data fragments) must be at least 1");
    if (m < 1)
        return refuse(why, whylen, "M (parity fragments) must be at least 1: with none a "
                                   "lost node loses data");
    if (k + m > CN_REDUND_MAX_FRAGS)
        return refuse(why, whylen, "K+M must be at most 16 fragments");
    *out = (cn_redund_t){CN_REDUND_EC, (uint8_t)k, (uint8_t)m};
    return 0;
}

void cn_redund_format(const cn_redund_t *r, char out[CN_REDUND_TEXT_MAX])
{
    if (r->kind == CN_REDUND_REPLICATE) {
        snprintf(out, CN_REDUND_TEXT_MAX, "replicate");
        return;
    }
    CN_ASSERT(r->kind == CN_REDUND_EC && r->k >= 1 && r->m >= 1 &&
              r->k + r->m <= CN_REDUND_MAX_FRAGS);
    snprintf(out, CN_REDUND_TEXT_MAX, "ec:%u+%u", r->k, r->m);
}

unsigned cn_redund_nodes(const cn_redund_t *r)
{
    return r->kind == CN_REDUND_EC ? r->k + r->m : 0;
}
