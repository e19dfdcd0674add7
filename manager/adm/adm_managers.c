/*
 * manager/adm/adm_managers.c: cairn-adm and the manager group (docs/OPERATIONS.md, "The
 * manager group"): the [Managers] table of status, and update-managers, which adds, removes
 * or replaces one manager through the leader (POST /v1/managers; a follower's 421 is
 * followed to the leader by adm_call).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>

#include "manager/adm/adm.h"

/* A change waits for the new manager to catch up (C-Raft gives up when it makes no
 * progress), then for the configuration to commit. */
#define ADM_CHANGE_TIMEOUT_S 90L

void adm_managers_print(const json_t *mgrs)
{
    struct adm_table t = {.ncols = 7, .head = {"manager", "raft address", "admin address",
                                               "role", "term", "applied", "lag"}};
    const json_t *m;
    char id[32];
    size_t i;

    if (json_array_size(mgrs) == 0)
        return;
    printf("\n[Managers]\n");
    json_array_foreach(mgrs, i, m) {
        const char *row[] = {id, adm_str(m, "raft"), adm_str(m, "admin"), adm_str(m, "role"),
                             adm_val(m, "term"), adm_val(m, "applied"), adm_val(m, "lag")};

        snprintf(id, sizeof(id), "%s%s", adm_val(m, "id"),
                 json_is_true(json_object_get(m, "self")) ? " (this)" : "");
        adm_table_row(&t, row);
    }
    adm_table_print(&t);
}

static void group_print(struct adm *a, const json_t *j, const void *arg)
{
    (void)a;
    printf("%s\n", (const char *)arg);
    adm_managers_print(json_object_get(j, "managers"));
}

/* One change: {"add": SPEC} or {"remove": ID}. */
static int change(struct adm *a, json_t *body, const char *done)
{
    a->timeout_s = ADM_CHANGE_TIMEOUT_S;
    return adm_call_print(a, "POST", "/v1/managers", body, group_print, done);
}

static int id_arg(const char *s, long *id)
{
    char *end;

    *id = strtol(s, &end, 10);
    if (end == s || *end != '\0' || *id < 1 || *id > 255) {
        fprintf(stderr, "cairn-adm: bad manager id '%s' (1..255)\n", s);
        return 2;
    }
    return 0;
}

int adm_cmd_update_managers(struct adm *a, int argc, char **argv)
{
    char line[160];
    long id;
    int rc;

    if (strcmp(argv[0], "add") == 0 && argc == 2) {
        snprintf(line, sizeof(line), "added %.100s", argv[1]);
        return change(a, json_pack("{s:s}", "add", argv[1]), line);
    }
    if (strcmp(argv[0], "remove") == 0 && argc == 2) {
        if ((rc = id_arg(argv[1], &id)) != 0)
            return rc;
        snprintf(line, sizeof(line), "removed manager %ld", id);
        return change(a, json_pack("{s:I}", "remove", (json_int_t)id), line);
    }
    if (strcmp(argv[0], "replace") == 0 && argc == 3) {
        /* remove first: the group never has more members than it had, and a replacement
         * at the same address does not meet the old one there */
        if ((rc = id_arg(argv[1], &id)) != 0)
            return rc;
        snprintf(line, sizeof(line), "removed manager %ld", id);
        if ((rc = change(a, json_pack("{s:I}", "remove", (json_int_t)id), line)) != 0)
            return rc;
        snprintf(line, sizeof(line), "added %.100s", argv[2]);
        return change(a, json_pack("{s:s}", "add", argv[2]), line);
    }
    fprintf(stderr, "cairn-adm: usage: update-managers add ID@HOST:RAFT_PORT[/RPC_PORT/"
                    "ADMIN_PORT] | remove ID | replace ID ID@HOST:RAFT_PORT[/RPC/ADMIN]\n");
    return 2;
}
