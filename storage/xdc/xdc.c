/*
 * storage/xdc/xdc.c: the links module's start and stop (storage/xdc/xdc.h): the listener
 * (listener.c) and the senders' timer (sender.c); the links come later, from the manager
 * (links.c).
 */
#include "storage/xdc/xdc_int.h"

#include "common/err.h"
#include "common/mem.h"
#include "storage/storage.h"

#define STOR_XDC_MAGIC 0x58444358u /* "XDCX" */

int stor_xdc_start(struct stor_server *s)
{
    struct stor_xdc *x = cn_calloc(1, sizeof(*x));
    int rc;

    x->magic = STOR_XDC_MAGIC;
    x->s = s;
    s->xdc = x;
    /* the timer first: a listener that fails to start is stopped with it (stor_xdc_stop) */
    if ((rc = xdc_sender_start(x)) != 0)
        return rc;
    return xdc_listener_start(x);
}

void stor_xdc_stop(struct stor_server *s)
{
    struct stor_xdc *x = s->xdc;

    if (x == NULL || x->stopping)
        return;
    x->stopping = 1;
    xdc_listener_stop(x);
    xdc_sender_stop(x);
}

void stor_xdc_close(struct stor_server *s)
{
    struct stor_xdc *x = s->xdc;

    if (x == NULL)
        return;
    for (size_t i = 0; i < x->nlinks; i++) {
        xdc_sender_link_idle(x->links[i]); /* the loop has returned: nothing is in flight */
        xdc_link_free(x->links[i]);
    }
    if (x->srv_tls != NULL)
        cn_rpc_tls_free(x->srv_tls);
    x->magic = 0;
    cn_free(x);
    s->xdc = NULL;
}
