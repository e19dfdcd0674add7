/*
 * tests/harness/tmpdir.h: per-test temporary directories and free loopback ports.
 */
#ifndef CAIRN_TESTS_HARNESS_TMPDIR_H
#define CAIRN_TESTS_HARNESS_TMPDIR_H

#include <stddef.h>

/** Makes a fresh directory under $TMPDIR (or /tmp) and writes its path into dir. Aborts the
 *  test on failure. */
void t_tmpdir_make(char *dir, size_t len);
/** rm -rf dir. */
void t_tmpdir_remove(const char *dir);
/** A TCP port on 127.0.0.1 that was free a moment ago, below the ephemeral range (bound,
 *  closed). */
int t_free_port(void);

#endif
