/*
 * common/err.c: names and reasons for the CN_E* result codes.
 * Codes in err.h get a fixed "NAME: reason" string; any other negative errno falls back to
 * strerror(). The returned strings are static (thread-safe: strerror's table is read-only on
 * glibc for valid errno values).
 */
#include "common/err.h"

#include <string.h>

const char *cn_strerror(int rc)
{
    switch (rc) {
    case CN_OK: return "OK: success";
    case CN_ENOENT: return "ENOENT: no such entry";
    case CN_EEXIST: return "EEXIST: already exists";
    case CN_EINVAL: return "EINVAL: invalid argument";
    case CN_ENOMEM: return "ENOMEM: out of memory";
    case CN_EAGAIN: return "EAGAIN: try again";
    case CN_EIO: return "EIO: input/output error";
    case CN_EACCES: return "EACCES: access denied";
    case CN_EPERM: return "EPERM: operation not permitted";
    case CN_ENOSPC: return "ENOSPC: no space left on device";
    case CN_ETIMEDOUT: return "ETIMEDOUT: timed out";
    case CN_ECONNREFUSED: return "ECONNREFUSED: connection refused";
    case CN_ECONNRESET: return "ECONNRESET: connection reset by peer";
    case CN_ECANCELED: return "ECANCELED: canceled";
    case CN_E2BIG: return "E2BIG: too big";
    case CN_EPROTO: return "EPROTO: protocol error";
    case CN_ENOTEMPTY: return "ENOTEMPTY: not empty";
    case CN_EBUSY: return "EBUSY: busy";
    case CN_ENAMETOOLONG: return "ENAMETOOLONG: name too long";
    case CN_ENOTSUP: return "ENOTSUP: not supported here";
    case CN_ECORRUPT: return "ECORRUPT: corrupt data (checksum or format check failed)";
    case CN_ERING: return "ERING: ring checksum differs from the manager's";
    case CN_EUNAVAIL: return "EUNAVAIL: no live node can serve the key";
    case CN_EQUORUM: return "EQUORUM: fewer acks than the quorum";
    case CN_ECONFIG: return "ECONFIG: bad configuration";
    case CN_EAUTH: return "EAUTH: authentication failed";
    case CN_ESTALE: return "ESTALE: lost to a newer clock";
    case CN_ENOTLEADER: return "ENOTLEADER: this manager is not the leader";
    case CN_ECOND: return "ECOND: the write's condition does not hold";
    case CN_ECONFLICT: return "ECONFLICT: a concurrent write of the key won";
    default:
        break;
    }
    if (rc < 0 && rc > -4096)
        return strerror(-rc);
    return "unknown error";
}
