/*
 * manager/kms_master.c: reading the master key files and naming a master by its id (see
 * kms_master.h). The file is read with open/fstat on one descriptor, so the mode checked is
 * the mode of the bytes read; the read buffer is wiped before it is released.
 */
#include "manager/kms_master.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <openssl/crypto.h>

#include "common/err.h"
#include "common/hash.h"

/* Bytes read from a key file at most: a hex key and its newline, plus one to see more. */
#define MASTER_FILE_MAX (2 * CN_SSE_KEY_LEN + 2)

int mgr_kms_master_parse(const void *p, size_t n, uint8_t key[CN_SSE_KEY_LEN])
{
    const char *s = p;
    uint8_t tmp[CN_SSE_KEY_LEN];

    if (n == CN_SSE_KEY_LEN) {
        memcpy(key, p, CN_SSE_KEY_LEN);
        return 0;
    }
    if (n == 2 * CN_SSE_KEY_LEN + 1 && s[n - 1] == '\n')
        n--;
    if (n != 2 * CN_SSE_KEY_LEN || cn_unhex(s, CN_SSE_KEY_LEN, tmp) != 0)
        return CN_EINVAL;
    memcpy(key, tmp, CN_SSE_KEY_LEN);
    OPENSSL_cleanse(tmp, sizeof(tmp));
    return 0;
}

void mgr_kms_master_id(const uint8_t key[CN_SSE_KEY_LEN], char id[MGR_KMS_ID_LEN + 1])
{
    uint8_t mac[CN_SHA256_LEN];

    cn_hmac_sha256(key, CN_SSE_KEY_LEN, MGR_KMS_ID_LABEL, strlen(MGR_KMS_ID_LABEL), mac);
    cn_hex(mac, MGR_KMS_ID_LEN / 2, id);
}

int mgr_kms_master_load(const char *path, mgr_kms_master_t *out, char *err, size_t errlen)
{
    uint8_t buf[MASTER_FILE_MAX];
    struct stat sb;
    ssize_t got;
    size_t n = 0;
    int fd, rc = CN_ECONFIG;

    memset(out, 0, sizeof(*out));
    if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
        snprintf(err, errlen, "cannot open '%s' (%s)", path, strerror(errno));
        return CN_ECONFIG;
    }
    if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
        snprintf(err, errlen, "'%s' is not a regular file", path);
        goto out;
    }
    if ((sb.st_mode & 077) != 0) {
        snprintf(err, errlen, "'%s' has mode %03o: group or others may read the master key; "
                 "chmod 600 it", path, (unsigned)(sb.st_mode & 0777));
        goto out;
    }
    while (n < sizeof(buf) && (got = read(fd, buf + n, sizeof(buf) - n)) != 0) {
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0) {
            snprintf(err, errlen, "cannot read '%s' (%s)", path, strerror(errno));
            goto out;
        }
        n += (size_t)got;
    }
    if (mgr_kms_master_parse(buf, n, out->key) != 0) {
        snprintf(err, errlen, "'%s' must hold 32 raw bytes or 64 hex digits (generate one with "
                 "head -c 32 /dev/urandom > FILE; chmod 600 FILE)", path);
        goto out;
    }
    out->set = 1;
    mgr_kms_master_id(out->key, out->id);
    rc = 0;
out:
    OPENSSL_cleanse(buf, sizeof(buf));
    close(fd);
    return rc;
}

int mgr_kms_masters_load(const char *cur_path, const char *prev_path, mgr_kms_masters_t *out,
                         char *err, size_t errlen)
{
    char why[512];

    memset(out, 0, sizeof(*out));
    if (cur_path != NULL && cur_path[0] != '\0' &&
        mgr_kms_master_load(cur_path, &out->cur, why, sizeof(why)) != 0) {
        snprintf(err, errlen, "manager.sse_master_key_file: %s", why);
        return CN_ECONFIG;
    }
    if (prev_path == NULL || prev_path[0] == '\0')
        return 0;
    if (!out->cur.set) {
        snprintf(err, errlen, "manager.sse_master_key_previous_file: needs "
                 "sse_master_key_file, the master its keys are rewrapped under");
        return CN_ECONFIG;
    }
    if (mgr_kms_master_load(prev_path, &out->prev, why, sizeof(why)) != 0) {
        snprintf(err, errlen, "manager.sse_master_key_previous_file: %s", why);
        mgr_kms_masters_dispose(out);
        return CN_ECONFIG;
    }
    if (strcmp(out->prev.id, out->cur.id) == 0) {
        snprintf(err, errlen, "manager.sse_master_key_previous_file: holds the same key as "
                 "sse_master_key_file (id %s)", out->cur.id);
        mgr_kms_masters_dispose(out);
        return CN_ECONFIG;
    }
    return 0;
}

const mgr_kms_master_t *mgr_kms_masters_find(const mgr_kms_masters_t *m, const char *id)
{
    if (m->cur.set && strcmp(m->cur.id, id) == 0)
        return &m->cur;
    if (m->prev.set && strcmp(m->prev.id, id) == 0)
        return &m->prev;
    return NULL;
}

void mgr_kms_masters_dispose(mgr_kms_masters_t *m)
{
    OPENSSL_cleanse(m, sizeof(*m));
}
