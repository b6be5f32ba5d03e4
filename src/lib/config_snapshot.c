/* config_snapshot.c: the snapshot options of a vmjail_config (vmjail.h, "Snapshots"). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/config.h"
#include "lib/error.h"

static int set_str(char **dst, const char *s, vmjail_error **err)
{
    char *copy = NULL;
    if (s && (copy = strdup(s)) == NULL)
        return vj_error(err, VMJAIL_ERR_INTERNAL, ENOMEM, "snapshot file");
    free(*dst);
    *dst = copy;
    return 0;
}

int vmjail_config_set_snapshot(vmjail_config *c, int mark, const char *file, int cont,
                               vmjail_error **err)
{
    if (c == NULL)
        return vj_error(err, VMJAIL_ERR_USAGE, 0, "no configuration");
    if (mark < 0 || mark > VMJAIL_SNAPSHOT_CALL)
        return vj_error(err, VMJAIL_ERR_USAGE, 0, "--snapshot-at: no such mark");
    if (mark && (file == NULL || file[0] == '\0'))
        return vj_error(err, VMJAIL_ERR_USAGE, 0, "--snapshot-at needs --snapshot-file");
    if (set_str(&c->snap_file, mark ? file : NULL, err) < 0)
        return -1;
    c->snap_mark = mark;
    c->snap_cont = cont != 0;
    return 0;
}

int vmjail_snapshot_mark_by_name(const char *name)
{
    static const char *const names[] = {"read-stdin", "accept", "call"};
    for (int i = 0; name && i < 3; i++)
        if (strcmp(name, names[i]) == 0)
            return i + 1;
    return -1;
}

int vmjail_config_set_restore(vmjail_config *c, const char *file, vmjail_error **err)
{
    if (c == NULL)
        return vj_error(err, VMJAIL_ERR_USAGE, 0, "no configuration");
    if (file && file[0] == '\0')
        return vj_error(err, VMJAIL_ERR_USAGE, 0, "--from: an empty path");
    return set_str(&c->restore_file, file, err);
}
