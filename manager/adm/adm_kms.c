/*
 * manager/adm/adm_kms.c: cairn-adm's commands on the key service (docs/ADMIN_API.md, "Key
 * service"; docs/OPERATIONS.md, "Encryption keys"): kms-create-key NAME, kms-list-keys,
 * kms-rotate-key NAME, kms-rewrap. They show names, epochs, dates and master key ids; no
 * answer of the admin API holds a key.
 */
#include <stdio.h>
#include <string.h>
#include <jansson.h>

#include "manager/adm/adm.h"

int adm_cmd_kms_create_key(struct adm *a, int argc, char **argv)
{
    return adm_call_ok(a, "POST", "/v1/kms/keys", json_pack("{s:s}", "name", argv[0]),
                       "OK: key ${name} created, epoch ${epoch}, wrapped by master #{master}");
}

int adm_cmd_kms_rotate_key(struct adm *a, int argc, char **argv)
{
    return adm_call_ok(a, "POST", "/v1/kms/rotate", json_pack("{s:s}", "name", argv[0]),
                       "OK: key ${name} is at epoch ${epoch} (older epochs stay readable)");
}

int adm_cmd_kms_rewrap(struct adm *a, int argc, char **argv)
{
    return adm_call_ok(a, "POST", "/v1/kms/rewrap", NULL,
                       "OK: rewrapped ${rewrapped} key epochs under master #{master} "
                       "(${others} left under masters this manager does not hold); "
                       "${links_rewrapped} cluster link secrets (${links_others} left)");
}

static void keys_print(struct adm *a, const json_t *j, const void *arg)
{
    struct adm_table t = {.ncols = 5,
                          .head = {"name", "epochs", "created at", "newest epoch at",
                                   "master ids"}};
    const json_t *k, *id;
    size_t i, m;

    json_array_foreach(json_object_get(j, "keys"), i, k) {
        char ids[256] = "";
        const char *row[5];

        json_array_foreach(json_object_get(k, "masters"), m, id)
            snprintf(ids + strlen(ids), sizeof(ids) - strlen(ids), "%s%s", m ? "," : "",
                     json_string_value(id));
        row[0] = adm_str(k, "name");
        row[1] = adm_val(k, "epochs");
        row[2] = adm_str(k, "created");
        row[3] = adm_str(k, "newest_created");
        row[4] = ids;
        adm_table_row(&t, row);
    }
    adm_table_print(&t);
    printf("master: %s  previous: %s\n", adm_str(j, "master"), adm_str(j, "previous"));
}

int adm_cmd_kms_list_keys(struct adm *a, int argc, char **argv)
{
    return adm_call_print(a, "GET", "/v1/kms/keys", NULL, keys_print, NULL);
}
