/* state.c: container state under --root: one locked directory per container holding
 * state.json (and the exec FIFO while the container waits for start). */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/error.h"
#include "oci/oci.h"

const char *oci_status_name(enum oci_status s)
{
    switch (s) {
    case OCI_CREATING: return "creating";
    case OCI_CREATED: return "created";
    case OCI_RUNNING: return "running";
    case OCI_PAUSED: return "paused";
    case OCI_STOPPED: return "stopped";
    }
    return "unknown";
}

int oci_id_check(const char *id, vmjail_error **err)
{
    size_t n = strlen(id);
    bool ok = n > 0 && n < 200 && strcmp(id, ".") != 0 && strcmp(id, "..") != 0;
    for (const char *c = id; ok && *c; c++)
        ok = isalnum((unsigned char)*c) || strchr("._-+:@", *c) != NULL;
    if (!ok)
        return vj_error(err, VMJAIL_ERR_USAGE, 0, "invalid container id '%s'", id);
    return 0;
}

static int lock_dir(struct oci_state *st, vmjail_error **err)
{
    st->lock_fd = open(st->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (st->lock_fd < 0)
        return vj_error(err, errno == ENOENT ? VMJAIL_ERR_NOTFOUND : VMJAIL_ERR_INTERNAL, errno,
                        "container %s", st->id);
    while (flock(st->lock_fd, LOCK_EX) < 0) {
        if (errno != EINTR) {
            int e = errno;
            close(st->lock_fd);
            st->lock_fd = -1;
            return vj_error(err, VMJAIL_ERR_INTERNAL, e, "lock container %s", st->id);
        }
    }
    return 0;
}

static int set_paths(const char *root, const char *id, struct oci_state *st, vmjail_error **err)
{
    memset(st, 0, sizeof *st);
    st->lock_fd = -1;
    st->platform = VMJAIL_PLATFORM_AUTO;
    if (oci_id_check(id, err) < 0)
        return -1;
    snprintf(st->id, sizeof st->id, "%s", id);
    if (snprintf(st->dir, sizeof st->dir, "%s/%s", root, id) >= (int)sizeof st->dir)
        return vj_error(err, VMJAIL_ERR_USAGE, ENAMETOOLONG, "--root %s", root);
    return 0;
}

int oci_state_create(const char *root, const char *id, struct oci_state *st, vmjail_error **err)
{
    if (set_paths(root, id, st, err) < 0)
        return -1;
    if (oci_mkdir_p(root, 0711) < 0)
        return vj_error(err, VMJAIL_ERR_INTERNAL, errno, "create %s", root);
    if (mkdir(st->dir, 0711) < 0) {
        if (errno == EEXIST)
            return vj_error(err, VMJAIL_ERR_USAGE, 0, "container '%s' already exists", id);
        return vj_error(err, VMJAIL_ERR_INTERNAL, errno, "create %s", st->dir);
    }
    if (lock_dir(st, err) < 0) {
        rmdir(st->dir);
        return -1;
    }
    oci_now_rfc3339(st->created, sizeof st->created);
    return 0;
}

static const char *str_of(json_object *doc, const char *key)
{
    json_object *v;
    if (json_object_object_get_ex(doc, key, &v) && json_object_is_type(v, json_type_string))
        return json_object_get_string(v);
    return "";
}

int oci_state_open(const char *root, const char *id, struct oci_state *st, vmjail_error **err)
{
    if (set_paths(root, id, st, err) < 0)
        return -1;
    if (lock_dir(st, err) < 0) {
        if (err && *err && vmjail_error_kind(*err) == VMJAIL_ERR_NOTFOUND) {
            vmjail_error_free(*err);
            *err = NULL;
            vj_error(err, VMJAIL_ERR_NOTFOUND, 0, "container '%s' does not exist", id);
        }
        return -1;
    }
    char path[4200];
    snprintf(path, sizeof path, "%s/state.json", st->dir);
    char *text = oci_read_file(path, NULL, err);
    if (text == NULL) {
        /* A create that failed before writing its state: the container is not there. */
        oci_state_close(st);
        if (err && *err) {
            vmjail_error_free(*err);
            *err = NULL;
        }
        return vj_error(err, VMJAIL_ERR_NOTFOUND, 0, "container '%s' does not exist", id);
    }
    json_object *doc = json_tokener_parse(text);
    free(text);
    if (doc == NULL || !json_object_is_type(doc, json_type_object)) {
        json_object_put(doc);
        oci_state_close(st);
        return vj_error(err, VMJAIL_ERR_INTERNAL, 0, "%s: corrupt state", path);
    }
    json_object *v;
    if (json_object_object_get_ex(doc, "pid", &v))
        st->pid = (pid_t)json_object_get_int(v);
    if (json_object_object_get_ex(doc, "vmjail_start_time", &v))
        st->start_time = (unsigned long long)json_object_get_uint64(v);
    snprintf(st->bundle, sizeof st->bundle, "%s", str_of(doc, "bundle"));
    snprintf(st->cgroup, sizeof st->cgroup, "%s", str_of(doc, "vmjail_cgroup"));
    snprintf(st->created, sizeof st->created, "%s", str_of(doc, "created"));
    /* A state written before the platform was kept: what auto chooses. */
    st->platform = vmjail_platform_by_name(str_of(doc, "vmjail_platform"));
    if (st->platform < 0)
        st->platform = VMJAIL_PLATFORM_AUTO;
    json_object *ann;
    if (json_object_object_get_ex(doc, "annotations", &ann) &&
        json_object_is_type(ann, json_type_object)) {
        st->annotations = calloc((size_t)json_object_object_length(ann) + 1, sizeof(struct oci_kv));
        json_object_object_foreach(ann, k, val)
        {
            if (st->annotations == NULL || !json_object_is_type(val, json_type_string))
                continue;
            st->annotations[st->n_annotations].key = strdup(k);
            st->annotations[st->n_annotations].value = strdup(json_object_get_string(val));
            st->n_annotations++;
        }
    }
    json_object_put(doc);
    return 0;
}

static json_object *state_object(const struct oci_state *st, bool internal)
{
    json_object *doc = json_object_new_object();
    json_object_object_add(doc, "ociVersion", json_object_new_string("1.0.2"));
    json_object_object_add(doc, "id", json_object_new_string(st->id));
    enum oci_status status = oci_state_status(st);
    json_object_object_add(doc, "status", json_object_new_string(oci_status_name(status)));
    bool alive = status == OCI_CREATED || status == OCI_RUNNING || status == OCI_PAUSED;
    json_object_object_add(doc, "pid", json_object_new_int(internal || alive ? st->pid : 0));
    json_object_object_add(doc, "bundle", json_object_new_string(st->bundle));
    char rootfs[4200];
    snprintf(rootfs, sizeof rootfs, "%s/rootfs", st->bundle);
    json_object_object_add(doc, "rootfs", json_object_new_string(rootfs));
    json_object_object_add(doc, "created", json_object_new_string(st->created));
    json_object_object_add(doc, "owner", json_object_new_string(""));
    json_object *ann = json_object_new_object();
    for (size_t i = 0; i < st->n_annotations; i++)
        json_object_object_add(ann, st->annotations[i].key,
                               json_object_new_string(st->annotations[i].value));
    json_object_object_add(doc, "annotations", ann);
    if (internal) {
        json_object_object_add(doc, "vmjail_start_time", json_object_new_uint64(st->start_time));
        json_object_object_add(doc, "vmjail_cgroup", json_object_new_string(st->cgroup));
        const char *platform = st->platform == VMJAIL_PLATFORM_KVM       ? "kvm"
                               : st->platform == VMJAIL_PLATFORM_PROCESS ? "process"
                                                                         : "auto";
        json_object_object_add(doc, "vmjail_platform", json_object_new_string(platform));
    }
    return doc;
}

char *oci_state_json(const struct oci_state *st)
{
    json_object *doc = state_object(st, false);
    char *s = strdup(json_object_to_json_string_ext(doc, JSON_C_TO_STRING_PRETTY |
                                                             JSON_C_TO_STRING_NOSLASHESCAPE));
    json_object_put(doc);
    return s;
}

int oci_state_save(const struct oci_state *st, vmjail_error **err)
{
    json_object *doc = state_object(st, true);
    char tmp[4200], path[4200];
    snprintf(tmp, sizeof tmp, "%s/.state.json.tmp", st->dir);
    snprintf(path, sizeof path, "%s/state.json", st->dir);
    int r = oci_write_file(tmp, json_object_to_json_string_ext(doc, JSON_C_TO_STRING_PLAIN |
                                                                     JSON_C_TO_STRING_NOSLASHESCAPE),
                           err);
    json_object_put(doc);
    if (r < 0)
        return -1;
    if (rename(tmp, path) < 0)
        return vj_error(err, VMJAIL_ERR_INTERNAL, errno, "write %s", path);
    return 0;
}

int oci_state_remove(struct oci_state *st, vmjail_error **err)
{
    DIR *d = opendir(st->dir);
    if (d) {
        struct dirent *e;
        while ((e = readdir(d)) != NULL) {
            if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
                continue;
            unlinkat(dirfd(d), e->d_name, 0);
        }
        closedir(d);
    }
    int r = 0;
    if (rmdir(st->dir) < 0 && errno != ENOENT)
        r = vj_error(err, VMJAIL_ERR_INTERNAL, errno, "remove %s", st->dir);
    oci_state_close(st);
    return r;
}

void oci_state_close(struct oci_state *st)
{
    if (st->lock_fd >= 0)
        close(st->lock_fd);
    st->lock_fd = -1;
    for (size_t i = 0; st->annotations && i < st->n_annotations; i++) {
        free(st->annotations[i].key);
        free(st->annotations[i].value);
    }
    free(st->annotations);
    st->annotations = NULL;
    st->n_annotations = 0;
}

unsigned long long oci_pid_start_time(pid_t pid)
{
    if (pid <= 0)
        return 0;
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0)
        return 0;
    buf[n] = '\0';
    char *p = strrchr(buf, ')'); /* the name may hold spaces and parentheses */
    if (p == NULL || p[1] != ' ')
        return 0;
    p += 2;
    if (*p == 'Z' || *p == 'X')
        return 0;
    /* Field 3 is the state; the start time is field 22. */
    for (int field = 3; field < 22; field++) {
        p = strchr(p, ' ');
        if (p == NULL)
            return 0;
        p++;
    }
    return strtoull(p, NULL, 10);
}

void oci_state_fifo_path(const struct oci_state *st, char *buf, size_t size)
{
    snprintf(buf, size, "%s/exec.fifo", st->dir);
}

enum oci_status oci_state_status(const struct oci_state *st)
{
    if (st->pid <= 0)
        return OCI_CREATING;
    unsigned long long t = oci_pid_start_time(st->pid);
    if (t == 0 || t != st->start_time)
        return OCI_STOPPED;
    char fifo[4200];
    oci_state_fifo_path(st, fifo, sizeof fifo);
    if (access(fifo, F_OK) == 0)
        return OCI_CREATED;
    if (st->cgroup[0] && oci_cgroup_frozen(st->cgroup) == 1)
        return OCI_PAUSED;
    return OCI_RUNNING;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

char **oci_state_list(const char *root, vmjail_error **err)
{
    DIR *d = opendir(root);
    size_t n = 0, cap = 16;
    char **ids = calloc(cap + 1, sizeof *ids);
    if (ids == NULL) {
        if (d)
            closedir(d);
        vj_error(err, VMJAIL_ERR_INTERNAL, ENOMEM, "list");
        return NULL;
    }
    if (d == NULL) {
        if (errno == ENOENT)
            return ids; /* nothing created yet */
        oci_free_strv(ids);
        vj_error(err, VMJAIL_ERR_INTERNAL, errno, "open %s", root);
        return NULL;
    }
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.' || oci_id_check(e->d_name, NULL) < 0)
            continue;
        if (n == cap) {
            char **b = realloc(ids, (cap * 2 + 1) * sizeof *ids);
            if (b == NULL)
                break;
            ids = b;
            cap *= 2;
        }
        ids[n++] = strdup(e->d_name);
        ids[n] = NULL;
    }
    closedir(d);
    qsort(ids, n, sizeof *ids, cmp_str);
    return ids;
}
