/*
 * tests/integration/xdc_call.c: calls one op on a manager's link listener (issue 22, manager/
 * xdc_srv.c) as another cluster would, for tests/integration/test_xdc_listener.sh.
 *   xdc_call HOST:PORT NAME SECRET CA_FILE|- OP
 * NAME is the hello name ("CLUSTER_ID" or "CLUSTER_ID/NODE"), SECRET the link's secret as the
 * listener knows it (64 hex digits), CA_FILE the CA that verifies the listener's certificate,
 * "-" for a plain (non-TLS) connection. Prints the reply's string and integer fields, one
 * "name=value" a line, and exits 0; or the code's name ("EAUTH", "ENOTSUP", "ETIMEDOUT", ...)
 * and exits 1; 2 for a usage error.
 */
#include <stdio.h>
#include <string.h>

#include "common/err.h"
#include "common/proc.h"
#include "common/rpc.h"

/* The code's name: "EAUTH" of "EAUTH: ...". */
static void print_rc(int rc)
{
    const char *e = cn_strerror(rc);

    printf("%.*s\n", (int)strcspn(e, ":"), e);
}

int main(int argc, char **argv)
{
    static const char *const fields[] = {"cluster_id", "nodes", "leader"};
    cn_rpc_client_opts_t o = {0};
    cn_rpc_tls_t *tls = NULL;
    cn_msg_t *resp = NULL;
    char host[64], val[8192];
    int port, rc;

    if (argc != 6 || cn_parse_hostport(argv[1], host, sizeof(host), &port) != 0) {
        fprintf(stderr, "usage: xdc_call HOST:PORT NAME SECRET CA_FILE|- OP\n");
        return 2;
    }
    if (strcmp(argv[4], "-") != 0 && (rc = cn_rpc_tls_client_new(argv[4], &tls)) != 0) {
        print_rc(rc);
        return 1;
    }
    o.host = host;
    o.port = port;
    o.secret = argv[3];
    o.self_name = argv[2];
    o.tls = tls;
    rc = cn_rpc_call_sync_opts(&o, cn_msg_new(argv[5]), 3000, &resp);
    cn_rpc_tls_free(tls);
    if (rc == 0)
        rc = cn_msg_rc(resp);
    if (rc != 0) {
        print_rc(rc);
        cn_msg_free(resp);
        return 1;
    }
    for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
        if (cn_msg_get_str(resp, fields[i], val, sizeof(val)) == 0)
            printf("%s=%s\n", fields[i], val);
    cn_msg_free(resp);
    return 0;
}
