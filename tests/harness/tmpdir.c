/*
 * tests/harness/tmpdir.c: temp dirs and free ports for tests.
 */
#include "tests/harness/tmpdir.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

void t_tmpdir_make(char *dir, size_t len)
{
    const char *base = getenv("TMPDIR");

    snprintf(dir, len, "%s/cairn-test-XXXXXX", base && *base ? base : "/tmp");
    if (mkdtemp(dir) == NULL) {
        perror("mkdtemp");
        abort();
    }
}

void t_tmpdir_remove(const char *dir)
{
    char cmd[4200];

    if (dir == NULL || *dir == '\0' || strstr(dir, "cairn-test-") == NULL)
        return;
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", dir);
}

int t_free_port(void)
{
    struct sockaddr_in a = {.sin_family = AF_INET};
    socklen_t alen = sizeof(a);
    int fd = socket(AF_INET, SOCK_STREAM, 0), port;

    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) != 0 ||
        getsockname(fd, (struct sockaddr *)&a, &alen) != 0)
        abort();
    port = ntohs(a.sin_port);
    close(fd);
    return port;
}
