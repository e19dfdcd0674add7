/*
 * tests/unit/manager/kms_samples.h: master keys made of known bytes, for the tests of what the
 * master key wraps (test_kms.c: the key service's KEKs; test_clusters.c: the cluster links'
 * secrets).
 */
#ifndef CAIRN_TESTS_UNIT_MANAGER_KMS_SAMPLES_H
#define CAIRN_TESTS_UNIT_MANAGER_KMS_SAMPLES_H

#include "manager/kms_master.h"

/* A master whose key bytes are fill, fill + 1, ..., with its id. */
static inline mgr_kms_master_t t_master_of(uint8_t fill)
{
    mgr_kms_master_t m = {.set = 1};

    for (size_t i = 0; i < CN_SSE_KEY_LEN; i++)
        m.key[i] = (uint8_t)(fill + i);
    mgr_kms_master_id(m.key, m.id);
    return m;
}

#endif
