/* tests/unit/common/test_rocks_err.c: tests common/rocks_err.c with error texts RocksDB 7.8
 * really returned (a second open of a store, from this process and from another one; a
 * flipped byte in an SST file; a full file system) and with the other Status prefixes. */
#include <criterion/criterion.h>
#include <stddef.h>

#include "common/err.h"
#include "common/rocks_err.h"

static const struct {
    const char *text;
    int rc;
    const char *why;
} cases[] = {
    {"Corruption: block checksum mismatch: stored = 1555695270, computed = 819466100, "
     "type = 4  in db/000009.sst offset 201450 size 4024",
     CN_ECORRUPT, "a corrupt *block* is not a held lock"},
    {"Corruption: bad record length", CN_ECORRUPT, "a torn WAL record"},
    {"IO error: No space left on device: While appending to file: /d/index/000012.log: "
     "No space left on device",
     CN_ENOSPC, "a full file system"},
    {"IO error: No space left on device", CN_ENOSPC, "Status::NoSpace() without a state"},
    {"IO error: While lock file: db/LOCK: Resource temporarily unavailable", CN_EBUSY,
     "another process holds the store"},
    {"IO error: lock hold by current process, acquire time 1796542834 acquiring thread 16512: "
     "/tmp/rk/db/LOCK: No locks available",
     CN_EBUSY, "this process opened the store already"},
    {"Resource busy: ", CN_EBUSY, "Status::Busy()"},
    {"IO error: While open a file for random read: /d/000007.sst: Input/output error", CN_EIO,
     "a plain I/O error"},
    {"Invalid argument: /d/CURRENT: does not exist (create_if_missing is false)", CN_EIO,
     "any other status"},
    {"IO error: While opening a file: /blocks/lockers/x.sst: Input/output error", CN_EIO,
     "a path that contains \"lock\" is not a held lock"},
    {"IO error: While reading /d/Corruption: x/000001.sst: Input/output error", CN_EIO,
     "corruption only as the status prefix"},
    {"", CN_EIO, "an empty text"},
};

Test(rocks_err, each_text_maps_to_its_code, .timeout = 5)
{
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        cr_expect_eq(cn_rocks_err_rc(cases[i].text), cases[i].rc, "%s: got %s for \"%s\"",
                     cases[i].why, cn_strerror(cn_rocks_err_rc(cases[i].text)), cases[i].text);
}

Test(rocks_err, null_is_eio, .timeout = 5)
{
    cr_assert_eq(cn_rocks_err_rc(NULL), CN_EIO);
}
