/*
 * tests/harness/tmpdir.c: temp dirs and free ports for tests.
 */
#include "tests/harness/tmpdir.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
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

/* Binds a socket to 127.0.0.1:port (0: any); the port bound, or -1. */
static int try_port(int port)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    socklen_t alen = sizeof(a);
    int fd = socket(AF_INET, SOCK_STREAM, 0), got = -1;

    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0 &&
        getsockname(fd, (struct sockaddr *)&a, &alen) == 0)
        got = ntohs(a.sin_port);
    if (fd >= 0)
        close(fd);
    return got;
}

/* Its own generator, seeded per process (pid and clock): tests that run at once must not
 * try the same ports in the same order, and rand()'s state belongs to the tests. */
static unsigned next_random(void)
{
    static uint64_t x;
    struct timespec ts;

    if (x == 0) {
        clock_gettime(CLOCK_MONOTONIC, &ts);
        x = (((uint64_t)getpid() << 32) ^ (uint64_t)ts.tv_nsec ^ (uint64_t)ts.tv_sec) | 1;
    }
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return (unsigned)(x >> 16);
}

/* Below the kernel's ephemeral range, as scripts/lib/cluster.sh's cl_free_ports: a port
 * handed out here is never given meanwhile to another process's port-0 listener. */
int t_free_port(void)
{
    FILE *f = fopen("/proc/sys/net/ipv4/ip_local_port_range", "r");
    int lo = 32768, base, span, port;

    if (f != NULL) {
        if (fscanf(f, "%d", &lo) != 1)
            lo = 32768;
        fclose(f);
    }
    base = lo - 20000 > 1024 ? lo - 20000 : 1024;
    span = lo - base;
    for (int i = 0; span > 0 && i < 200; i++)
        if ((port = try_port(base + (int)(next_random() % (unsigned)span))) > 0)
            return port;
    if ((port = try_port(0)) < 0)
        abort();
    return port;
}
