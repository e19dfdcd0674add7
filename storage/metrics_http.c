/*
 * storage/metrics_http.c: the /metrics and /health listener (see metrics_http.h). We bind
 * the socket ourselves (port 0 works) and hand it to MHD, which closes it on stop.
 */
#include "storage/metrics_http.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <microhttpd.h>

#include "common/buf.h"
#include "common/err.h"
#include "common/log.h"
#include "common/mem.h"
#include "common/proc.h"

#define CN_MHTTP_MAGIC 0x6d687470u /* "mhtp" */

struct cn_mhttp {
    uint32_t magic;
    struct MHD_Daemon *d;
    cn_metrics_t *reg;
    cn_mhttp_fill_fn fill;
    void *arg;
};

#if MHD_VERSION < 0x00097002
typedef int mhd_result_t;
#else
typedef enum MHD_Result mhd_result_t;
#endif

static mhd_result_t answer(struct MHD_Connection *c, unsigned status, const char *ctype,
                           void *body, size_t len)
{
    struct MHD_Response *r =
        MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
    mhd_result_t ret;

    MHD_add_response_header(r, "Content-Type", ctype);
    ret = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return ret;
}

static mhd_result_t text(struct MHD_Connection *c, unsigned status, const char *msg)
{
    return answer(c, status, "text/plain; charset=utf-8", cn_strdup(msg), strlen(msg));
}

static mhd_result_t on_request(void *cls, struct MHD_Connection *c, const char *url,
                               const char *method, const char *version, const char *data,
                               size_t *data_len, void **con_cls)
{
    struct cn_mhttp *h = cls;
    static int first;
    cn_buf_t b;
    size_t len;

    (void)version;
    (void)data;
    if (*con_cls == NULL) { /* headers only: wait for the body (ignored) */
        *con_cls = &first;
        return MHD_YES;
    }
    if (*data_len > 0) {
        *data_len = 0;
        return MHD_YES;
    }
    if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
        return text(c, 405, "only GET\n");
    if (strcmp(url, "/health") == 0)
        return answer(c, 200, "application/json", cn_strdup("{\"status\":\"ok\"}\n"), 16);
    if (strcmp(url, "/metrics") != 0)
        return text(c, 404, "not found: /metrics and /health only\n");
    if (h->fill != NULL)
        h->fill(h->arg);
    cn_buf_init(&b);
    cn_metrics_write(h->reg, &b);
    if (b.len == 0)
        cn_buf_append(&b, "\n", 1);
    len = b.len;
    return answer(c, 200, "text/plain; version=0.0.4; charset=utf-8", cn_buf_steal(&b, &len),
                  len);
}

int cn_mhttp_start(const char *listen, cn_metrics_t *reg, cn_mhttp_fill_fn fill, void *arg,
                   cn_mhttp_t **out, char *host, size_t hostlen, int *port)
{
    struct cn_mhttp *h;
    int fd, p;

    *out = NULL;
    if (cn_parse_hostport(listen, host, hostlen, &p) != 0 || p < 0 || p > 65535)
        return CN_EINVAL;
    if ((fd = cn_listen_tcp(host, p, port)) < 0)
        return fd;
    h = cn_calloc(1, sizeof(*h));
    h->magic = CN_MHTTP_MAGIC;
    h->reg = reg;
    h->fill = fill;
    h->arg = arg;
    h->d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL, 0, NULL, NULL,
                            on_request, h, MHD_OPTION_LISTEN_SOCKET, fd,
                            MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)10,
                            MHD_OPTION_CONNECTION_LIMIT, (unsigned)64, MHD_OPTION_END);
    if (h->d == NULL) {
        close(fd);
        cn_free(h);
        return CN_EIO;
    }
    *out = h;
    return 0;
}

void cn_mhttp_stop(cn_mhttp_t *h)
{
    if (h == NULL)
        return;
    CN_CHECK_OBJ(h, CN_MHTTP_MAGIC);
    MHD_stop_daemon(h->d);
    h->magic = 0;
    cn_free(h);
}
