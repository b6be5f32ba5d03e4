/* spec.c: reads a bundle's config.json (OCI runtime spec) into struct oci_spec, with a
 * clear error naming the field for anything malformed. */
#include <errno.h>
#include <json-c/json.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/resource.h>

#include "lib/error.h"
#include "oci/oci.h"

#define BAD(err, field, what) vj_error(err, VMJAIL_ERR_USAGE, 0, "config.json: %s: %s", field, what)

static json_object *member(json_object *o, const char *key)
{
    json_object *v = NULL;
    if (o && json_object_is_type(o, json_type_object) && json_object_object_get_ex(o, key, &v) &&
        !json_object_is_type(v, json_type_null))
        return v;
    return NULL;
}

static int get_string(json_object *o, const char *key, const char *field, char **out,
                      vmjail_error **err)
{
    json_object *v = member(o, key);
    if (v == NULL)
        return 0;
    if (!json_object_is_type(v, json_type_string))
        return BAD(err, field, "not a string");
    *out = strdup(json_object_get_string(v));
    return *out ? 0 : vj_error(err, VMJAIL_ERR_INTERNAL, ENOMEM, "config.json");
}

static int get_bool(json_object *o, const char *key, const char *field, bool *out,
                    vmjail_error **err)
{
    json_object *v = member(o, key);
    if (v == NULL)
        return 0;
    if (!json_object_is_type(v, json_type_boolean))
        return BAD(err, field, "not a boolean");
    *out = json_object_get_boolean(v);
    return 0;
}

/* An integer in [MIN, MAX]; *PRESENT (if given) says whether it was there. */
static int get_int(json_object *o, const char *key, const char *field, int64_t min, int64_t max,
                   int64_t *out, bool *present, vmjail_error **err)
{
    json_object *v = member(o, key);
    if (present)
        *present = v != NULL;
    if (v == NULL)
        return 0;
    if (!json_object_is_type(v, json_type_int))
        return BAD(err, field, "not an integer");
    errno = 0;
    int64_t x = json_object_get_int64(v);
    /* json-c saturates values beyond int64; uint64 values above INT64_MAX count as max. */
    if (x == INT64_MAX && max == INT64_MAX) {
        *out = x;
        return 0;
    }
    if (x < min || x > max)
        return BAD(err, field, "out of range");
    *out = x;
    return 0;
}

static int get_u64(json_object *o, const char *key, const char *field, uint64_t *out,
                   vmjail_error **err)
{
    json_object *v = member(o, key);
    if (v == NULL)
        return 0;
    if (!json_object_is_type(v, json_type_int))
        return BAD(err, field, "not an integer");
    if (json_object_get_int64(v) < 0)
        return BAD(err, field, "negative");
    *out = json_object_get_uint64(v);
    return 0;
}

/* A NULL-terminated copy of an array of strings (an empty one if absent). */
static int get_strv(json_object *o, const char *key, const char *field, char ***out,
                    vmjail_error **err)
{
    json_object *v = member(o, key);
    size_t n = 0;
    if (v != NULL) {
        if (!json_object_is_type(v, json_type_array))
            return BAD(err, field, "not an array");
        n = json_object_array_length(v);
    }
    char **r = calloc(n + 1, sizeof *r);
    if (r == NULL)
        return vj_error(err, VMJAIL_ERR_INTERNAL, ENOMEM, "config.json");
    for (size_t i = 0; i < n; i++) {
        json_object *s = json_object_array_get_idx(v, i);
        if (!json_object_is_type(s, json_type_string)) {
            oci_free_strv(r);
            return BAD(err, field, "not an array of strings");
        }
        r[i] = strdup(json_object_get_string(s));
        if (r[i] == NULL) {
            oci_free_strv(r);
            return vj_error(err, VMJAIL_ERR_INTERNAL, ENOMEM, "config.json");
        }
    }
    *out = r;
    return 0;
}

/* An array member as (array, length); a missing one is length 0. */
static int get_array(json_object *o, const char *key, const char *field, json_object **arr,
                     size_t *n, vmjail_error **err)
{
    json_object *v = member(o, key);
    *arr = v;
    *n = 0;
    if (v == NULL)
        return 0;
    if (!json_object_is_type(v, json_type_array))
        return BAD(err, field, "not an array");
    *n = json_object_array_length(v);
    return 0;
}

static void *alloc_array(size_t n, size_t size)
{
    return calloc(n ? n : 1, size);
}

static const struct {
    const char *name;
    int resource;
} rlimit_names[] = {
    {"RLIMIT_AS", RLIMIT_AS},           {"RLIMIT_CORE", RLIMIT_CORE},
    {"RLIMIT_CPU", RLIMIT_CPU},         {"RLIMIT_DATA", RLIMIT_DATA},
    {"RLIMIT_FSIZE", RLIMIT_FSIZE},     {"RLIMIT_LOCKS", RLIMIT_LOCKS},
    {"RLIMIT_MEMLOCK", RLIMIT_MEMLOCK}, {"RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE},
    {"RLIMIT_NICE", RLIMIT_NICE},       {"RLIMIT_NOFILE", RLIMIT_NOFILE},
    {"RLIMIT_NPROC", RLIMIT_NPROC},     {"RLIMIT_RSS", RLIMIT_RSS},
    {"RLIMIT_RTPRIO", RLIMIT_RTPRIO},   {"RLIMIT_RTTIME", RLIMIT_RTTIME},
    {"RLIMIT_SIGPENDING", RLIMIT_SIGPENDING}, {"RLIMIT_STACK", RLIMIT_STACK},
};

static int parse_rlimits(json_object *proc, struct oci_process *p, vmjail_error **err)
{
    json_object *arr;
    size_t n;
    if (get_array(proc, "rlimits", "process.rlimits", &arr, &n, err) < 0)
        return -1;
    p->rlimits = alloc_array(n, sizeof *p->rlimits);
    if (p->rlimits == NULL)
        return vj_error(err, VMJAIL_ERR_INTERNAL, ENOMEM, "config.json");
    for (size_t i = 0; i < n; i++) {
        json_object *r = json_object_array_get_idx(arr, i);
        char *type = NULL;
        if (get_string(r, "type", "process.rlimits[].type", &type, err) < 0)
            return -1;
        if (type == NULL)
            return BAD(err, "process.rlimits[].type", "missing");
        int res = -1;
        for (size_t k = 0; k < sizeof rlimit_names / sizeof rlimit_names[0]; k++)
            if (strcmp(rlimit_names[k].name, type) == 0)
                res = rlimit_names[k].resource;
        if (res < 0) {
            vj_error(err, VMJAIL_ERR_USAGE, 0, "config.json: process.rlimits: unknown type '%s'",
                     type);
            free(type);
            return -1;
        }
        free(type);
        struct oci_rlimit *l = &p->rlimits[p->n_rlimits++];
        l->resource = res;
        if (get_u64(r, "soft", "process.rlimits[].soft", &l->soft, err) < 0 ||
            get_u64(r, "hard", "process.rlimits[].hard", &l->hard, err) < 0)
            return -1;
    }
    return 0;
}

static int parse_capset(json_object *caps, const char *key, uint64_t *mask, vmjail_error **err)
{
    char **names = NULL;
    if (get_strv(caps, key, "process.capabilities", &names, err) < 0)
        return -1;
    *mask = 0;
    for (char **n = names; *n; n++) {
        cap_value_t cap;
        if (cap_from_name(*n, &cap) < 0 || cap < 0 || cap > 63) {
            /* Unknown to this kernel's libcap: runc warns and ignores it; so do we. */
            continue;
        }
        *mask |= 1ULL << cap;
    }
    oci_free_strv(names);
    return 0;
}

static int parse_process(json_object *proc, struct oci_process *p, bool require_args,
                         vmjail_error **err)
{
    if (get_bool(proc, "terminal", "process.terminal", &p->terminal, err) < 0)
        return -1;
    json_object *cs = member(proc, "consoleSize");
    int64_t v;
    if (cs) {
        if (get_int(cs, "height", "process.consoleSize.height", 0, UINT16_MAX, &v, NULL, err) < 0)
            return -1;
        p->console_height = (unsigned)v;
        v = 0;
        if (get_int(cs, "width", "process.consoleSize.width", 0, UINT16_MAX, &v, NULL, err) < 0)
            return -1;
        p->console_width = (unsigned)v;
    }
    json_object *user = member(proc, "user");
    v = 0;
    if (get_int(user, "uid", "process.user.uid", 0, UINT32_MAX, &v, NULL, err) < 0)
        return -1;
    p->uid = (uint32_t)v;
    v = 0;
    if (get_int(user, "gid", "process.user.gid", 0, UINT32_MAX, &v, NULL, err) < 0)
        return -1;
    p->gid = (uint32_t)v;
    v = 0;
    if (get_int(user, "umask", "process.user.umask", 0, 0777, &v, &p->has_umask, err) < 0)
        return -1;
    p->umask = (uint32_t)v;
    json_object *gids;
    size_t ngids;
    if (get_array(user, "additionalGids", "process.user.additionalGids", &gids, &ngids, err) < 0)
        return -1;
    p->additional_gids = alloc_array(ngids, sizeof(gid_t));
    if (p->additional_gids == NULL)
        return vj_error(err, VMJAIL_ERR_INTERNAL, ENOMEM, "config.json");
    for (size_t i = 0; i < ngids; i++) {
        json_object *g = json_object_array_get_idx(gids, i);
        if (!json_object_is_type(g, json_type_int) || json_object_get_int64(g) < 0 ||
            json_object_get_int64(g) > UINT32_MAX)
            return BAD(err, "process.user.additionalGids", "not an array of gids");
        p->additional_gids[p->n_additional_gids++] = (gid_t)json_object_get_int64(g);
    }
    if (get_strv(proc, "args", "process.args", &p->args, err) < 0 ||
        get_strv(proc, "env", "process.env", &p->env, err) < 0 ||
        get_string(proc, "cwd", "process.cwd", &p->cwd, err) < 0)
        return -1;
    if (require_args && p->args[0] == NULL)
        return BAD(err, "process.args", "empty: there is no program to run");
    if (p->cwd == NULL && (p->cwd = strdup("/")) == NULL)
        return vj_error(err, VMJAIL_ERR_INTERNAL, ENOMEM, "config.json");
    if (p->cwd[0] != '/')
        return BAD(err, "process.cwd", "not an absolute path");
    json_object *caps = member(proc, "capabilities");
    if (caps) {
        p->caps.present = true;
        if (parse_capset(caps, "bounding", &p->caps.bounding, err) < 0 ||
            parse_capset(caps, "effective", &p->caps.effective, err) < 0 ||
            parse_capset(caps, "inheritable", &p->caps.inheritable, err) < 0 ||
            parse_capset(caps, "permitted", &p->caps.permitted, err) < 0 ||
            parse_capset(caps, "ambient", &p->caps.ambient, err) < 0)
            return -1;
    }
    if (parse_rlimits(proc, p, err) < 0 ||
        get_bool(proc, "noNewPrivileges", "process.noNewPrivileges", &p->no_new_privileges,
                 err) < 0)
        return -1;
    v = 0;
    if (get_int(proc, "oomScoreAdj", "process.oomScoreAdj", -1000, 1000, &v,
                &p->has_oom_score_adj, err) < 0)
        return -1;
    p->oom_score_adj = (int)v;
    return 0;
}

static const struct {
    const char *type, *proc_name;
    int flag;
} namespace_names[] = {
    {"pid", "pid", CLONE_NEWPID},      {"network", "net", CLONE_NEWNET},
    {"mount", "mnt", CLONE_NEWNS},     {"ipc", "ipc", CLONE_NEWIPC},
    {"uts", "uts", CLONE_NEWUTS},      {"user", "user", CLONE_NEWUSER},
    {"cgroup", "cgroup", CLONE_NEWCGROUP},
};

int oci_namespace_flag(const char *type)
{
    for (size_t i = 0; i < sizeof namespace_names / sizeof namespace_names[0]; i++)
        if (strcmp(namespace_names[i].type, type) == 0)
            return namespace_names[i].flag;
    return 0;
}

const char *oci_namespace_proc_name(int flag)
{
    for (size_t i = 0; i < sizeof namespace_names / sizeof namespace_names[0]; i++)
        if (namespace_names[i].flag == flag)
            return namespace_names[i].proc_name;
    return NULL;
}

static int parse_idmaps(json_object *linux_, const char *key, struct oci_idmap **out, size_t *n,
                        vmjail_error **err)
{
    json_object *arr;
    if (get_array(linux_, key, key, &arr, n, err) < 0)
        return -1;
    *out = alloc_array(*n, sizeof **out);
    if (*out == NULL)
        return vj_error(err, VMJAIL_ERR_INTERNAL, ENOMEM, "config.json");
    for (size_t i = 0; i < *n; i++) {
        json_object *m = json_object_array_get_idx(arr, i);
        int64_t c = 0, h = 0, s = 0;
        if (get_int(m, "containerID", key, 0, UINT32_MAX, &c, NULL, err) < 0 ||
            get_int(m, "hostID", key, 0, UINT32_MAX, &h, NULL, err) < 0 ||
            get_int(m, "size", key, 1, UINT32_MAX, &s, NULL, err) < 0)
            return -1;
        (*out)[i] = (struct oci_idmap){(uint32_t)c, (uint32_t)h, (uint32_t)s};
    }
    return 0;
}

static int parse_device_rules(json_object *res, struct oci_resources *r, vmjail_error **err)
{
    json_object *arr;
    size_t n;
    if (get_array(res, "devices", "linux.resources.devices", &arr, &n, err) < 0)
        return -1;
    r->devices = alloc_array(n, sizeof *r->devices);
    if (r->devices == NULL)
        return vj_error(err, VMJAIL_ERR_INTERNAL, ENOMEM, "config.json");
    for (size_t i = 0; i < n; i++) {
        json_object *d = json_object_array_get_idx(arr, i);
        struct oci_device_rule *rule = &r->devices[r->n_devices++];
        char *type = NULL, *access = NULL;
        if (get_bool(d, "allow", "linux.resources.devices[].allow", &rule->allow, err) < 0 ||
            get_string(d, "type", "linux.resources.devices[].type", &type, err) < 0 ||
            get_string(d, "access", "linux.resources.devices[].access", &access, err) < 0)
            return -1;
        rule->type = type ? type[0] : 'a';
        bool bad_type = type && (strlen(type) != 1 || strchr("acb", type[0]) == NULL);
        free(type);
        snprintf(rule->access, sizeof rule->access, "%s", access ? access : "rwm");
        bool bad_access = access && (strlen(access) > 3 || strspn(access, "rwm") != strlen(access));
        free(access);
        if (bad_type)
            return BAD(err, "linux.resources.devices[].type", "not a, b or c");
        if (bad_access)
            return BAD(err, "linux.resources.devices[].access", "not a subset of rwm");
        bool has;
        rule->major = rule->minor = -1;
        if (get_int(d, "major", "linux.resources.devices[].major", -1, INT32_MAX, &rule->major,
                    &has, err) < 0 ||
            get_int(d, "minor", "linux.resources.devices[].minor", -1, INT32_MAX, &rule->minor,
                    &has, err) < 0)
            return -1;
    }
    return 0;
}

static int parse_resources(json_object *res, struct oci_resources *r, vmjail_error **err)
{
    r->memory_limit = r->memory_reservation = r->memory_swap = -1;
    r->cpu_quota = -1;
    if (res == NULL)
        return 0;
    json_object *mem = member(res, "memory"), *cpu = member(res, "cpu"),
                *pids = member(res, "pids");
    if (get_int(mem, "limit", "linux.resources.memory.limit", -1, INT64_MAX, &r->memory_limit,
                NULL, err) < 0 ||
        get_int(mem, "reservation", "linux.resources.memory.reservation", -1, INT64_MAX,
                &r->memory_reservation, NULL, err) < 0 ||
        get_int(mem, "swap", "linux.resources.memory.swap", -1, INT64_MAX, &r->memory_swap,
                NULL, err) < 0 ||
        get_u64(cpu, "shares", "linux.resources.cpu.shares", &r->cpu_shares, err) < 0 ||
        get_int(cpu, "quota", "linux.resources.cpu.quota", -1, INT64_MAX, &r->cpu_quota, NULL,
                err) < 0 ||
        get_u64(cpu, "period", "linux.resources.cpu.period", &r->cpu_period, err) < 0 ||
        get_string(cpu, "cpus", "linux.resources.cpu.cpus", &r->cpuset_cpus, err) < 0 ||
        get_string(cpu, "mems", "linux.resources.cpu.mems", &r->cpuset_mems, err) < 0 ||
        get_int(pids, "limit", "linux.resources.pids.limit", INT64_MIN, INT64_MAX,
                &r->pids_limit, NULL, err) < 0)
        return -1;
    if (r->pids_limit < 0)
        r->pids_limit = -1;
    return parse_device_rules(res, r, err);
}

static int parse_devices(json_object *linux_, struct oci_spec *s, vmjail_error **err)
{
    json_object *arr;
    size_t n;
    if (get_array(linux_, "devices", "linux.devices", &arr, &n, err) < 0)
        return -1;
    s->devices = alloc_array(n, sizeof *s->devices);
    if (s->devices == NULL)
        return vj_error(err, VMJAIL_ERR_INTERNAL, ENOMEM, "config.json");
    for (size_t i = 0; i < n; i++) {
        json_object *d = json_object_array_get_idx(arr, i);
        struct oci_device *dev = &s->devices[s->n_devices++];
        char *type = NULL;
        int64_t v = 0;
        if (get_string(d, "path", "linux.devices[].path", &dev->path, err) < 0 ||
            get_string(d, "type", "linux.devices[].type", &type, err) < 0)
            return -1;
        if (dev->path == NULL || dev->path[0] != '/') {
            free(type);
            return BAD(err, "linux.devices[].path", "missing or not absolute");
        }
        bool ok = type && strlen(type) == 1 && strchr("cbup", type[0]);
        dev->type = ok ? type[0] : 0;
        free(type);
        if (!ok)
            return BAD(err, "linux.devices[].type", "not c, b, u or p");
        if (get_int(d, "major", "linux.devices[].major", 0, INT32_MAX, &dev->major, NULL, err) < 0 ||
            get_int(d, "minor", "linux.devices[].minor", 0, INT32_MAX, &dev->minor, NULL, err) < 0 ||
            get_int(d, "fileMode", "linux.devices[].fileMode", 0, 07777, &v, &dev->has_mode, err) < 0)
            return -1;
        dev->mode = (uint32_t)v;
        if (get_int(d, "uid", "linux.devices[].uid", 0, UINT32_MAX, &v, &dev->has_uid, err) < 0)
            return -1;
        dev->uid = (uint32_t)v;
        if (get_int(d, "gid", "linux.devices[].gid", 0, UINT32_MAX, &v, &dev->has_gid, err) < 0)
            return -1;
        dev->gid = (uint32_t)v;
    }
    return 0;
}

/* A JSON object of string values as key/value pairs. */
static int parse_kv(json_object *o, const char *key, const char *field, struct oci_kv **out,
                    size_t *n, vmjail_error **err)
{
    json_object *m = member(o, key);
    *n = 0;
    if (m != NULL && !json_object_is_type(m, json_type_object))
        return BAD(err, field, "not an object");
    size_t cap = m ? (size_t)json_object_object_length(m) : 0;
    *out = alloc_array(cap, sizeof **out);
    if (*out == NULL)
        return vj_error(err, VMJAIL_ERR_INTERNAL, ENOMEM, "config.json");
    if (m == NULL)
        return 0;
    json_object_object_foreach(m, k, v)
    {
        if (!json_object_is_type(v, json_type_string))
            return BAD(err, field, "values must be strings");
        (*out)[*n].key = strdup(k);
        (*out)[*n].value = strdup(json_object_get_string(v));
        if ((*out)[*n].key == NULL || (*out)[*n].value == NULL)
            return vj_error(err, VMJAIL_ERR_INTERNAL, ENOMEM, "config.json");
        (*n)++;
    }
    return 0;
}

static int parse_hooks(json_object *doc, struct oci_spec *s, vmjail_error **err)
{
    static const char *const names[OCI_HOOK_KINDS] = {
        "prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop",
    };
    json_object *hooks = member(doc, "hooks");
    for (int k = 0; k < OCI_HOOK_KINDS; k++) {
        json_object *arr;
        size_t n;
        if (get_array(hooks, names[k], "hooks", &arr, &n, err) < 0)
            return -1;
        s->hooks[k].v = alloc_array(n, sizeof(struct oci_hook));
        if (s->hooks[k].v == NULL)
            return vj_error(err, VMJAIL_ERR_INTERNAL, ENOMEM, "config.json");
        for (size_t i = 0; i < n; i++) {
            json_object *h = json_object_array_get_idx(arr, i);
            struct oci_hook *hook = &s->hooks[k].v[s->hooks[k].n++];
            int64_t t = 0;
            if (get_string(h, "path", "hooks[].path", &hook->path, err) < 0)
                return -1;
            if (hook->path == NULL || hook->path[0] != '/')
                return BAD(err, "hooks[].path", "missing or not absolute");
            if (member(h, "args") && get_strv(h, "args", "hooks[].args", &hook->args, err) < 0)
                return -1;
            if (member(h, "env") && get_strv(h, "env", "hooks[].env", &hook->env, err) < 0)
                return -1;
            if (get_int(h, "timeout", "hooks[].timeout", 1, INT32_MAX, &t, NULL, err) < 0)
                return -1;
            hook->timeout = (int)t;
        }
    }
    return 0;
}

static int parse_mounts(json_object *doc, struct oci_spec *s, vmjail_error **err)
{
    json_object *arr;
    size_t n;
    if (get_array(doc, "mounts", "mounts", &arr, &n, err) < 0)
        return -1;
    s->mounts = alloc_array(n, sizeof *s->mounts);
    if (s->mounts == NULL)
        return vj_error(err, VMJAIL_ERR_INTERNAL, ENOMEM, "config.json");
    for (size_t i = 0; i < n; i++) {
        json_object *m = json_object_array_get_idx(arr, i);
        struct oci_mount *mt = &s->mounts[s->n_mounts++];
        if (get_string(m, "destination", "mounts[].destination", &mt->destination, err) < 0 ||
            get_string(m, "type", "mounts[].type", &mt->type, err) < 0 ||
            get_string(m, "source", "mounts[].source", &mt->source, err) < 0 ||
            get_strv(m, "options", "mounts[].options", &mt->options, err) < 0)
            return -1;
        if (mt->destination == NULL || mt->destination[0] != '/')
            return BAD(err, "mounts[].destination", "missing or not absolute");
    }
    return 0;
}

static int parse_linux(json_object *linux_, struct oci_spec *s, vmjail_error **err)
{
    json_object *arr;
    size_t n;
    if (get_array(linux_, "namespaces", "linux.namespaces", &arr, &n, err) < 0)
        return -1;
    s->namespaces = alloc_array(n, sizeof *s->namespaces);
    if (s->namespaces == NULL)
        return vj_error(err, VMJAIL_ERR_INTERNAL, ENOMEM, "config.json");
    for (size_t i = 0; i < n; i++) {
        json_object *ns = json_object_array_get_idx(arr, i);
        char *type = NULL, *path = NULL;
        if (get_string(ns, "type", "linux.namespaces[].type", &type, err) < 0 ||
            get_string(ns, "path", "linux.namespaces[].path", &path, err) < 0) {
            free(type);
            return -1;
        }
        int flag = type ? oci_namespace_flag(type) : 0;
        if (flag == 0) {
            vj_error(err, VMJAIL_ERR_USAGE, 0, "config.json: linux.namespaces: unknown type '%s'",
                     type ? type : "(missing)");
            free(type);
            free(path);
            return -1;
        }
        free(type);
        if (oci_spec_namespace(s, flag)) {
            free(path);
            return BAD(err, "linux.namespaces", "a namespace type is listed twice");
        }
        s->namespaces[s->n_namespaces++] = (struct oci_namespace){flag, path};
    }
    if (parse_idmaps(linux_, "uidMappings", &s->uid_mappings, &s->n_uid_mappings, err) < 0 ||
        parse_idmaps(linux_, "gidMappings", &s->gid_mappings, &s->n_gid_mappings, err) < 0 ||
        parse_resources(member(linux_, "resources"), &s->resources, err) < 0 ||
        get_string(linux_, "cgroupsPath", "linux.cgroupsPath", &s->cgroups_path, err) < 0 ||
        parse_devices(linux_, s, err) < 0 ||
        get_strv(linux_, "maskedPaths", "linux.maskedPaths", &s->masked_paths, err) < 0 ||
        get_strv(linux_, "readonlyPaths", "linux.readonlyPaths", &s->readonly_paths, err) < 0 ||
        parse_kv(linux_, "sysctl", "linux.sysctl", &s->sysctl, &s->n_sysctl, err) < 0 ||
        get_string(linux_, "rootfsPropagation", "linux.rootfsPropagation",
                   &s->rootfs_propagation, err) < 0)
        return -1;
    if (s->n_uid_mappings && !oci_spec_namespace(s, CLONE_NEWUSER))
        return BAD(err, "linux.uidMappings", "given without a user namespace");
    return 0;
}

const struct oci_namespace *oci_spec_namespace(const struct oci_spec *spec, int flag)
{
    for (size_t i = 0; i < spec->n_namespaces; i++)
        if (spec->namespaces[i].flag == flag)
            return &spec->namespaces[i];
    return NULL;
}

const char *oci_env_get(char *const *env, const char *name)
{
    size_t n = strlen(name);
    for (; env && *env; env++)
        if (strncmp(*env, name, n) == 0 && (*env)[n] == '=')
            return *env + n + 1;
    return NULL;
}

static json_object *parse_document(const char *text, const char *what, vmjail_error **err)
{
    enum json_tokener_error jerr;
    json_object *doc = json_tokener_parse_verbose(text, &jerr);
    if (doc == NULL) {
        vj_error(err, VMJAIL_ERR_USAGE, 0, "%s: %s", what, json_tokener_error_desc(jerr));
        return NULL;
    }
    if (!json_object_is_type(doc, json_type_object)) {
        json_object_put(doc);
        vj_error(err, VMJAIL_ERR_USAGE, 0, "%s: not a JSON object", what);
        return NULL;
    }
    return doc;
}

int oci_spec_parse(const char *text, const char *bundle, struct oci_spec **out,
                   vmjail_error **err)
{
    json_object *doc = parse_document(text, "config.json", err);
    if (doc == NULL)
        return -1;
    struct oci_spec *s = calloc(1, sizeof *s);
    if (s == NULL) {
        json_object_put(doc);
        return vj_error(err, VMJAIL_ERR_INTERNAL, ENOMEM, "config.json");
    }
    int r = -1;
    json_object *proc = member(doc, "process"), *root = member(doc, "root");
    char *root_path = NULL;
    if (get_string(doc, "ociVersion", "ociVersion", &s->oci_version, err) < 0)
        goto out;
    if (proc == NULL) {
        BAD(err, "process", "missing");
        goto out;
    }
    if (parse_process(proc, &s->process, true, err) < 0)
        goto out;
    if (get_string(root, "path", "root.path", &root_path, err) < 0 ||
        get_bool(root, "readonly", "root.readonly", &s->root_readonly, err) < 0)
        goto out;
    if (root_path == NULL) {
        BAD(err, "root.path", "missing");
        goto out;
    }
    if (root_path[0] == '/') {
        s->root_path = root_path;
        root_path = NULL;
    } else if (asprintf(&s->root_path, "%s/%s", bundle, root_path) < 0) {
        s->root_path = NULL;
        vj_error(err, VMJAIL_ERR_INTERNAL, ENOMEM, "config.json");
        goto out;
    }
    if (get_string(doc, "hostname", "hostname", &s->hostname, err) < 0 ||
        get_string(doc, "domainname", "domainname", &s->domainname, err) < 0 ||
        parse_mounts(doc, s, err) < 0 || parse_hooks(doc, s, err) < 0 ||
        parse_kv(doc, "annotations", "annotations", &s->annotations, &s->n_annotations, err) < 0)
        goto out;
    json_object *linux_ = member(doc, "linux");
    if (parse_linux(linux_, s, err) < 0)
        goto out;
    r = 0;
out:
    free(root_path);
    json_object_put(doc);
    if (r < 0)
        oci_spec_free(s);
    else
        *out = s;
    return r;
}

int oci_spec_load(const char *bundle, struct oci_spec **out, vmjail_error **err)
{
    char path[PATH_MAX + 16];
    char abs[PATH_MAX];
    if (realpath(bundle, abs) == NULL)
        return vj_error(err, VMJAIL_ERR_USAGE, errno, "bundle %s", bundle);
    snprintf(path, sizeof path, "%s/config.json", abs);
    char *text = oci_read_file(path, NULL, err);
    if (text == NULL)
        return -1;
    int r = oci_spec_parse(text, abs, out, err);
    free(text);
    return r;
}

int oci_process_load(const char *file, struct oci_process *out, vmjail_error **err)
{
    char *text = oci_read_file(file, NULL, err);
    if (text == NULL)
        return -1;
    json_object *doc = parse_document(text, file, err);
    free(text);
    if (doc == NULL)
        return -1;
    memset(out, 0, sizeof *out);
    int r = parse_process(doc, out, true, err);
    json_object_put(doc);
    if (r < 0) {
        oci_process_fini(out);
        return vj_error_wrap(err, "%s", file);
    }
    return 0;
}

void oci_process_fini(struct oci_process *p)
{
    free(p->additional_gids);
    oci_free_strv(p->args);
    oci_free_strv(p->env);
    free(p->cwd);
    free(p->rlimits);
    memset(p, 0, sizeof *p);
}

static void free_kv(struct oci_kv *kv, size_t n)
{
    for (size_t i = 0; kv && i < n; i++) {
        free(kv[i].key);
        free(kv[i].value);
    }
    free(kv);
}

void oci_spec_free(struct oci_spec *s)
{
    if (s == NULL)
        return;
    free(s->oci_version);
    oci_process_fini(&s->process);
    free(s->root_path);
    free(s->hostname);
    free(s->domainname);
    for (size_t i = 0; s->mounts && i < s->n_mounts; i++) {
        free(s->mounts[i].destination);
        free(s->mounts[i].type);
        free(s->mounts[i].source);
        oci_free_strv(s->mounts[i].options);
    }
    free(s->mounts);
    for (size_t i = 0; s->namespaces && i < s->n_namespaces; i++)
        free(s->namespaces[i].path);
    free(s->namespaces);
    free(s->uid_mappings);
    free(s->gid_mappings);
    free(s->resources.cpuset_cpus);
    free(s->resources.cpuset_mems);
    free(s->resources.devices);
    free(s->cgroups_path);
    for (size_t i = 0; s->devices && i < s->n_devices; i++)
        free(s->devices[i].path);
    free(s->devices);
    oci_free_strv(s->masked_paths);
    oci_free_strv(s->readonly_paths);
    free_kv(s->sysctl, s->n_sysctl);
    for (int k = 0; k < OCI_HOOK_KINDS; k++) {
        for (size_t i = 0; s->hooks[k].v && i < s->hooks[k].n; i++) {
            free(s->hooks[k].v[i].path);
            oci_free_strv(s->hooks[k].v[i].args);
            oci_free_strv(s->hooks[k].v[i].env);
        }
        free(s->hooks[k].v);
    }
    free_kv(s->annotations, s->n_annotations);
    free(s->rootfs_propagation);
    free(s);
}
