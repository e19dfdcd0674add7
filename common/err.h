/*
 * common/err.h: the one result-code space of cairn.
 * Functions return 0 or a negative CN_E* code; errno-valued codes keep the errno number,
 * cairn's own codes live below -1000 so they never collide with errno.
 */
#ifndef CAIRN_COMMON_ERR_H
#define CAIRN_COMMON_ERR_H

#include <errno.h>

enum cn_err {
    CN_OK = 0,
    CN_ENOENT = -ENOENT,
    CN_EEXIST = -EEXIST,
    CN_EINVAL = -EINVAL,
    CN_ENOMEM = -ENOMEM,
    CN_EAGAIN = -EAGAIN,
    CN_EIO = -EIO,
    CN_EACCES = -EACCES,
    CN_EPERM = -EPERM,
    CN_ENOSPC = -ENOSPC,
    CN_ETIMEDOUT = -ETIMEDOUT,
    CN_ECONNREFUSED = -ECONNREFUSED,
    CN_ECONNRESET = -ECONNRESET,
    CN_ECANCELED = -ECANCELED,
    CN_E2BIG = -E2BIG,
    CN_EPROTO = -EPROTO,
    CN_ENOTEMPTY = -ENOTEMPTY,
    CN_EBUSY = -EBUSY,
    CN_ENAMETOOLONG = -ENAMETOOLONG,
    CN_ENOTSUP = -ENOTSUP,  /* a feature this node is not set up for (the key service without a
                             * master key: S3 501) */
    /* cairn's own codes */
    CN_ECORRUPT = -1001,   /* bytes from disk or wire fail a checksum or a format check */
    CN_ERING = -1002,      /* a ring checksum differs from the manager's */
    CN_EUNAVAIL = -1003,   /* no live node can serve the key */
    CN_EQUORUM = -1004,    /* fewer acks than the quorum asks for */
    CN_ECONFIG = -1005,    /* bad configuration */
    CN_EAUTH = -1006,      /* a peer failed the cluster-secret handshake */
    CN_ESTALE = -1007,     /* a write lost to a newer clock (last writer wins) */
    CN_ENOTLEADER = -1008, /* this manager is not the leader of its group: ask the one named
                            * in the answer's "leader" field (docs/PROTOCOL.md) */
    CN_ECOND = -1009,      /* a conditional write's condition does not hold (S3 412) */
    CN_ECONFLICT = -1010,  /* a conditional write held its condition but lost to a concurrent
                            * write of the key (S3 409 ConditionalRequestConflict) */
};

/** Returns a static, human-readable name and reason for rc ("ENOENT: no such entry"). */
const char *cn_strerror(int rc);

#endif
