/* subid.c: subordinate ids for a runtime without root: the caller's ranges in /etc/subuid and
 * /etc/subgid, and a user namespace's maps written through newuidmap and newgidmap (the
 * setuid helpers of Debian's uidmap package), as rootless podman writes them. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/error.h"
#include "oci/oci.h"

/* The name /etc/passwd gives user ID (into NAME; "" if none): read directly, as a static
 * program cannot load NSS modules. */
static void user_name(uid_t id, char *name, size_t size)
{
    name[0] = '\0';
    FILE *f = fopen("/etc/passwd", "re");
    char line[512];
    while (f && fgets(line, sizeof line, f)) {
        /* name:password:uid:... (the password field may be empty) */
        char *pw = strchr(line, ':'), *u = pw ? strchr(pw + 1, ':') : NULL, *end;
        if (u == NULL)
            continue;
        *pw = '\0';
        unsigned long v = strtoul(u + 1, &end, 10);
        if (end != u + 1 && *end == ':' && v == id) {
            snprintf(name, size, "%.255s", line);
            break;
        }
    }
    if (f)
        fclose(f);
}

int oci_subid_range(const char *file, uid_t id, uint32_t *start, uint32_t *count)
{
    FILE *f = fopen(file, "re");
    if (f == NULL)
        return -1;
    char name[256], num[32], line[512];
    user_name(id, name, sizeof name);
    snprintf(num, sizeof num, "%u", (unsigned)id);
    int r = -1;
    while (r < 0 && fgets(line, sizeof line, f)) {
        char *owner = strtok(line, ":\n"), *s = strtok(NULL, ":\n"), *c = strtok(NULL, ":\n");
        if (owner == NULL || s == NULL || c == NULL ||
            (strcmp(owner, num) != 0 && (name[0] == '\0' || strcmp(owner, name) != 0)))
            continue;
        char *e1, *e2;
        unsigned long a = strtoul(s, &e1, 10), b = strtoul(c, &e2, 10);
        if (*e1 || *e2 || b == 0 || a > UINT32_MAX || b > UINT32_MAX - a)
            continue;
        *start = (uint32_t)a;
        *count = (uint32_t)b;
        r = 0;
    }
    fclose(f);
    return r;
}

/* Run HELPER (newuidmap or newgidmap) for PID with the N mappings M. */
static int run_map_helper(const char *helper, pid_t pid, const struct oci_idmap *m, size_t n,
                          vmjail_error **err)
{
    char *argv[2 + 3 * 8 + 1], nums[3 * 8 + 1][16];
    if (n > 8)
        return vj_error(err, VMJAIL_ERR_USAGE, 0, "%s: more than 8 mappings", helper);
    int a = 0;
    argv[a++] = (char *)helper;
    snprintf(nums[0], sizeof nums[0], "%d", (int)pid);
    argv[a++] = nums[0];
    for (size_t i = 0; i < n; i++) {
        const uint32_t v[3] = {m[i].container_id, m[i].host_id, m[i].size};
        for (int k = 0; k < 3; k++) {
            snprintf(nums[1 + 3 * i + k], sizeof nums[0], "%u", v[k]);
            argv[a++] = nums[1 + 3 * i + k];
        }
    }
    argv[a] = NULL;
    char text[512];
    int status;
    if (oci_run_helper(argv, text, sizeof text, &status) < 0)
        return vj_error(err, VMJAIL_ERR_INTERNAL, errno, "run %s", helper);
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
        return 0;
    if (WIFEXITED(status) && WEXITSTATUS(status) == 127 && text[0] == '\0')
        return vj_error(err, VMJAIL_ERR_USAGE, 0, "%s not found (Debian's uidmap package)", helper);
    text[strcspn(text, "\n")] = '\0';
    return vj_error(err, VMJAIL_ERR_USAGE, 0, "%s: %s", helper, text[0] ? text : "failed");
}

int oci_write_id_maps_helper(pid_t pid, const struct oci_spec *spec, vmjail_error **err)
{
    if (run_map_helper("newuidmap", pid, spec->uid_mappings, spec->n_uid_mappings, err) < 0 ||
        run_map_helper("newgidmap", pid, spec->gid_mappings, spec->n_gid_mappings, err) < 0)
        return -1;
    return 0;
}
