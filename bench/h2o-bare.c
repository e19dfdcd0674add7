/*
 * bench/h2o-bare.c: the baseline of bench/gateway-cache: a minimal libh2o (libuv) server on
 * one loop thread, set up like the gateway's listener (same h2o config calls, TCP_NODELAY),
 * whose one handler answers every request with a fixed in-memory body of --size bytes plus an
 * ETag and a Content-Type. It measures what the HTTP server itself can do on this machine.
 *
 *   bench/h2o-bare [--listen 127.0.0.1:0] [--size 4096] [--port-file PATH]
 *
 * Writes "http 127.0.0.1:PORT" to the port file once listening; SIGTERM/SIGINT stop it.
 */
#define H2O_USE_LIBUV 1
#include <getopt.h>
#include <h2o.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "common/proc.h"

static h2o_globalconf_t cfg;
static h2o_context_t ctx;
static h2o_accept_ctx_t actx;
static uv_tcp_t listener;
static uv_signal_t sig_term, sig_int;
static char *body;
static size_t body_len = 4096;

static int on_req(h2o_handler_t *self, h2o_req_t *req)
{
    req->res.status = 200;
    req->res.reason = "OK";
    req->res.content_length = body_len;
    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE, NULL,
                   H2O_STRLIT("binary/octet-stream"));
    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_ETAG, NULL,
                   H2O_STRLIT("\"0123456789abcdef0123456789abcdef\""));
    h2o_send_inline(req, body, body_len);
    return 0;
}

static void on_connection(uv_stream_t *l, int status)
{
    uv_tcp_t *conn;
    h2o_socket_t *sock;
    if (status != 0)
        return;
    conn = h2o_mem_alloc(sizeof(*conn));
    uv_tcp_init(l->loop, conn);
    if (uv_accept(l, (uv_stream_t *)conn) != 0) {
        uv_close((uv_handle_t *)conn, (uv_close_cb)free);
        return;
    }
    uv_tcp_nodelay(conn, 1);
    sock = h2o_uv_socket_create((uv_stream_t *)conn, (uv_close_cb)free);
    h2o_accept(&actx, sock);
}

static void on_stop(uv_signal_t *h, int signum)
{
    uv_close((uv_handle_t *)&listener, NULL);
    uv_signal_stop(&sig_term);
    uv_signal_stop(&sig_int);
    uv_stop(h->loop);
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {{"listen", required_argument, NULL, 'l'},
                                         {"size", required_argument, NULL, 's'},
                                         {"port-file", required_argument, NULL, 'p'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    const char *listen_at = "127.0.0.1:0", *port_file = NULL;
    char host[64], line[128];
    struct sockaddr_in sa;
    int namelen = sizeof(sa), port, c;
    uv_loop_t *loop = uv_default_loop();

    while ((c = getopt_long(argc, argv, "l:s:p:h", opts, NULL)) != -1) {
        switch (c) {
        case 'l': listen_at = optarg; break;
        case 's': body_len = strtoul(optarg, NULL, 10); break;
        case 'p': port_file = optarg; break;
        default:
            fprintf(stderr, "usage: %s [--listen HOST:PORT] [--size BYTES] [--port-file PATH]\n",
                    argv[0]);
            return c == 'h' ? 0 : 2;
        }
    }
    if (cn_parse_hostport(listen_at, host, sizeof(host), &port) != 0 ||
        uv_ip4_addr(host, port, &sa) != 0) {
        fprintf(stderr, "h2o-bare: bad --listen %s\n", listen_at);
        return 2;
    }
    body = malloc(body_len + 1);
    for (size_t i = 0; i < body_len; i++)
        body[i] = (char)('a' + i % 26);

    h2o_config_init(&cfg);
    cfg.server_name = h2o_iovec_init(H2O_STRLIT("cairn-bench"));
    h2o_hostconf_t *hc = h2o_config_register_host(&cfg, h2o_iovec_init(H2O_STRLIT("default")),
                                                  65535);
    h2o_pathconf_t *pc = h2o_config_register_path(hc, "/", 0);
    h2o_handler_t *h = h2o_create_handler(pc, sizeof(*h));
    h->on_req = on_req;
    h2o_context_init(&ctx, loop, &cfg);
    actx.ctx = &ctx;
    actx.hosts = cfg.hosts;

    uv_tcp_init(loop, &listener);
    if (uv_tcp_bind(&listener, (struct sockaddr *)&sa, 0) != 0 ||
        uv_listen((uv_stream_t *)&listener, 1024, on_connection) != 0 ||
        uv_tcp_getsockname(&listener, (struct sockaddr *)&sa, &namelen) != 0) {
        fprintf(stderr, "h2o-bare: cannot listen on %s\n", listen_at);
        return 1;
    }
    snprintf(line, sizeof(line), "http %s:%d\n", host, ntohs(sa.sin_port));
    if (port_file && cn_write_file_atomic(port_file, line, strlen(line)) != 0) {
        fprintf(stderr, "h2o-bare: cannot write %s\n", port_file);
        return 1;
    }
    uv_signal_init(loop, &sig_term);
    uv_signal_init(loop, &sig_int);
    uv_signal_start(&sig_term, on_stop, SIGTERM);
    uv_signal_start(&sig_int, on_stop, SIGINT);
    uv_run(loop, UV_RUN_DEFAULT);
    free(body);
    return 0;
}
