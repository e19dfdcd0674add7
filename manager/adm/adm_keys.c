/*
 * manager/adm/adm_keys.c: cairn-adm's commands on a user's access keys (docs/ADMIN_API.md):
 * create-access-key USER (prints the key and its secret, which nothing shows again),
 * delete-access-key KEY, update-access-key KEY --status Active|Inactive, get-access-keys USER.
 */
#include <stdio.h>
#include <string.h>
#include <jansson.h>

#include "manager/adm/adm.h"

static void key_made_print(struct adm *a, const json_t *j, const void *arg)
{
    printf("access-key-id: %s\n", adm_str(j, "access_key"));
    printf("secret-access-key: %s\n", adm_str(j, "secret"));
}

int adm_cmd_create_access_key(struct adm *a, int argc, char **argv)
{
    return adm_call_print(a, "POST", adm_path("/v1/users/", argv[0], "/keys"), NULL,
                          key_made_print, NULL);
}

int adm_cmd_delete_access_key(struct adm *a, int argc, char **argv)
{
    return adm_call_ok(a, "DELETE", adm_path("/v1/keys/", argv[0], NULL), NULL, NULL);
}

int adm_cmd_update_access_key(struct adm *a, int argc, char **argv)
{
    const char *status = argc == 2 ? argv[1] : a->status;

    if (status == NULL || (argc == 2 && a->status != NULL)) {
        fprintf(stderr, "cairn-adm: update-access-key needs the status once: --status "
                        "Active|Inactive\n");
        return 2;
    }
    return adm_call_ok(a, "PUT", adm_path("/v1/keys/", argv[0], "/status"),
                       json_pack("{s:s}", "status", status), "OK (%s is %s)", argv[0], status);
}

static void keys_print(struct adm *a, const json_t *j, const void *arg)
{
    struct adm_table t = {.ncols = 3, .head = {"access key id", "status", "created at"}};
    const json_t *k;
    size_t i;

    json_array_foreach(json_object_get(j, "keys"), i, k) {
        const char *row[] = {adm_str(k, "access_key"), adm_str(k, "status"),
                             adm_str(k, "created")};
        adm_table_row(&t, row);
    }
    adm_table_print(&t);
}

int adm_cmd_get_access_keys(struct adm *a, int argc, char **argv)
{
    return adm_call_print(a, "GET", adm_path("/v1/users/", argv[0], "/keys"), NULL, keys_print,
                          NULL);
}
