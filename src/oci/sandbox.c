/* sandbox.c: `vmjail run --root DIR ...`: the confined run, made a container: a config.json
 * built from the sandbox's options on runc's defaults, created, started and waited for in the
 * foreground through the OCI runtime's own code (one confinement path for both), with a state
 * directory of its own that is removed when it ends. */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <json-c/json.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/error.h"
#include "oci/oci.h"

static json_object *strings(char *const *v)
{
    json_object *a = json_object_new_array();
    for (size_t i = 0; v && v[i]; i++)
        json_object_array_add(a, json_object_new_string(v[i]));
    return a;
}

static void add_mount(json_object *mounts, const char *dest, const char *type, const char *source,
                      const char *const *options)
{
    json_object *m = json_object_new_object();
    json_object_object_add(m, "destination", json_object_new_string(dest));
    json_object_object_add(m, "type", json_object_new_string(type));
    json_object_object_add(m, "source", json_object_new_string(source));
    json_object_object_add(m, "options", strings((char *const *)options));
    json_object_array_add(mounts, m);
}

/* A guest path the sandbox can mount on: absolute, and not the root itself. */
static int check_guest_path(const char *what, const char *path, vmjail_error **err)
{
    if (path[0] != '/' || path[1] == '\0')
        return vj_error(err, VMJAIL_ERR_USAGE, 0, "%s: '%s' is not an absolute path inside",
                        what, path);
    return 0;
}

/* Drop the namespace of TYPE from the spec's list. */
static void drop_namespace(json_object *linux_, const char *type)
{
    json_object *ns;
    if (!json_object_object_get_ex(linux_, "namespaces", &ns))
        return;
    for (size_t i = 0; i < json_object_array_length(ns); i++) {
        json_object *t;
        if (json_object_object_get_ex(json_object_array_get_idx(ns, i), "type", &t) &&
            strcmp(json_object_get_string(t), type) == 0) {
            json_object_array_del_idx(ns, i, 1);
            return;
        }
    }
}

/* The caller's subordinate ids (without root, for --user other than 0:0): ids 1 to count
 * inside are start to start + count - 1 outside; count 0: none. */
struct subids {
    uint32_t uid_start, uid_count, gid_start, gid_count;
};

/* A user namespace for the sandbox: without root, one in which the caller is root (one uid
 * and gid mapped, as `unshare -r` does), with its subordinate ids after it where it has them
 * and another identity is asked for; with root, one that maps every id to itself (for
 * --network nat: pasta joins the namespace that owns the sandbox's network).  No cgroup mount
 * there; without root also /sys bound from the host instead of a sysfs of its own, and devpts
 * without the tty group. */
static void user_namespace(json_object *linux_, json_object *mounts, const struct subids *sub)
{
    bool root = geteuid() == 0;
    json_object *ns;
    if (json_object_object_get_ex(linux_, "namespaces", &ns)) {
        json_object *user = json_object_new_object();
        json_object_object_add(user, "type", json_object_new_string("user"));
        json_object_array_add(ns, user);
    }
    static const char *const maps[] = {"uidMappings", "gidMappings"};
    for (int k = 0; k < 2; k++) {
        json_object *m = json_object_new_object(), *a = json_object_new_array();
        json_object_object_add(m, "containerID", json_object_new_int64(0));
        json_object_object_add(m, "hostID",
                               json_object_new_int64(root ? 0 : k ? getegid() : geteuid()));
        json_object_object_add(m, "size", json_object_new_int64(root ? 4294967295LL : 1));
        json_object_array_add(a, m);
        uint32_t start = k ? sub->gid_start : sub->uid_start;
        uint32_t count = k ? sub->gid_count : sub->uid_count;
        if (!root && count) {
            json_object *r = json_object_new_object();
            json_object_object_add(r, "containerID", json_object_new_int64(1));
            json_object_object_add(r, "hostID", json_object_new_int64(start));
            json_object_object_add(r, "size", json_object_new_int64(count));
            json_object_array_add(a, r);
        }
        json_object_object_add(linux_, maps[k], a);
    }
    for (size_t i = json_object_array_length(mounts); i-- > 0;) {
        json_object *m = json_object_array_get_idx(mounts, i), *d, *opts;
        if (!json_object_object_get_ex(m, "destination", &d))
            continue;
        const char *dest = json_object_get_string(d);
        if (strcmp(dest, "/sys/fs/cgroup") == 0) {
            json_object_array_del_idx(mounts, i, 1);
        } else if (root) {
            continue;
        } else if (strcmp(dest, "/sys") == 0) {
            static const char *const options[] = {"rbind", "nosuid", "noexec", "nodev", "ro",
                                                  NULL};
            json_object_object_add(m, "type", json_object_new_string("bind"));
            json_object_object_add(m, "source", json_object_new_string("/sys"));
            json_object_object_add(m, "options", strings((char *const *)options));
        } else if (strcmp(dest, "/dev/pts") == 0 &&
                   json_object_object_get_ex(m, "options", &opts)) {
            for (size_t k = json_object_array_length(opts); k-- > 0;)
                if (strcmp(json_object_get_string(json_object_array_get_idx(opts, k)),
                           "gid=5") == 0)
                    json_object_array_del_idx(opts, k, 1);
        }
    }
}

/* The config document for O: runc's defaults, then each option. */
static json_object *sandbox_spec(const struct oci_sandbox_opts *o, const char *root,
                                 const struct subids *sub, vmjail_error **err)
{
    json_object *doc = json_tokener_parse(oci_default_spec), *process, *linux_, *mounts, *r;
    if (doc == NULL || !json_object_object_get_ex(doc, "process", &process) ||
        !json_object_object_get_ex(doc, "linux", &linux_) ||
        !json_object_object_get_ex(doc, "mounts", &mounts) ||
        !json_object_object_get_ex(doc, "root", &r)) {
        json_object_put(doc);
        vj_error(err, VMJAIL_ERR_INTERNAL, 0, "the default container configuration");
        return NULL;
    }
    json_object_object_add(process, "terminal", json_object_new_boolean(0));
    json_object_object_add(process, "args", strings(o->args));
    json_object_object_add(process, "env", strings(o->env));
    json_object_object_add(process, "cwd", json_object_new_string(o->cwd ? o->cwd : "/"));
    json_object *user = json_object_new_object();
    json_object_object_add(user, "uid", json_object_new_int64(o->uid));
    json_object_object_add(user, "gid", json_object_new_int64(o->gid));
    json_object_object_add(process, "user", user);
    json_object_object_add(r, "path", json_object_new_string(root));
    json_object_object_add(r, "readonly", json_object_new_boolean(o->read_only));
    json_object_object_add(doc, "hostname", json_object_new_string(o->hostname ? o->hostname
                                                                               : "vmjail"));
    /* Each tmpfs as large as guest memory at most: what the payload writes there is the
     * host's memory, which a sandbox gets no more of than --memory says. */
    char size[64];
    snprintf(size, sizeof size, "size=%s", o->memory ? o->memory : OCI_SANDBOX_DEFAULT_MEMORY);
    const char *const tmpfs_options[] = {"nosuid", "nodev", "mode=1777", size, NULL};
    add_mount(mounts, "/tmp", "tmpfs", "tmpfs", tmpfs_options);
    for (size_t i = 0; i < o->n_tmpfs; i++) {
        if (check_guest_path("--tmpfs", o->tmpfs[i], err) < 0) {
            json_object_put(doc);
            return NULL;
        }
        add_mount(mounts, o->tmpfs[i], "tmpfs", "tmpfs", tmpfs_options);
    }
    for (size_t i = 0; i < o->n_volumes; i++) {
        const struct oci_sandbox_volume *v = &o->volumes[i];
        char host[PATH_MAX];
        if (check_guest_path("--volume", v->guest, err) < 0) {
            json_object_put(doc);
            return NULL;
        }
        if (realpath(v->host, host) == NULL) {
            vj_error(err, VMJAIL_ERR_USAGE, errno, "--volume %s", v->host);
            json_object_put(doc);
            return NULL;
        }
        const char *rw[] = {"rbind", "rprivate", NULL}, *ro[] = {"rbind", "rprivate", "ro", NULL};
        add_mount(mounts, v->guest, "bind", host, v->read_only ? ro : rw);
    }
    if (o->network == OCI_SANDBOX_NET_HOST)
        drop_namespace(linux_, "network");
    if (geteuid() != 0 || o->network == OCI_SANDBOX_NET_NAT)
        user_namespace(linux_, mounts, sub);
    json_object *res;
    if (json_object_object_get_ex(linux_, "resources", &res)) {
        if (o->pids > 0) {
            json_object *pids = json_object_new_object();
            json_object_object_add(pids, "limit", json_object_new_int64(o->pids));
            json_object_object_add(res, "pids", pids);
        }
        if (o->cpus > 0) {
            json_object *cpu = json_object_new_object();
            json_object_object_add(cpu, "period", json_object_new_int64(100000));
            json_object_object_add(cpu, "quota", json_object_new_int64((int64_t)(o->cpus * 100000)));
            json_object_object_add(res, "cpu", cpu);
        }
    }
    json_object *ann = json_object_new_object();
    json_object_object_add(ann, OCI_ANNOTATION_PLATFORM, json_object_new_string(o->platform));
    if (o->memory)
        json_object_object_add(ann, OCI_ANNOTATION_MEMORY, json_object_new_string(o->memory));
    if (o->syscall_path)
        json_object_object_add(ann, OCI_ANNOTATION_SYSCALL_PATH,
                               json_object_new_string(o->syscall_path));
    if (o->core_dump)
        json_object_object_add(ann, OCI_ANNOTATION_CORE_DUMP,
                               json_object_new_string(o->core_dump));
    if (o->trace)
        json_object_object_add(ann, OCI_ANNOTATION_TRACE, json_object_new_string("stderr"));
    json_object_object_add(doc, "annotations", ann);
    return doc;
}

/* Where sandboxes keep their state while they run: /run/vmjail/sandbox for root,
 * $XDG_RUNTIME_DIR/vmjail/sandbox for others. */
static int state_root(char *out, size_t size, vmjail_error **err)
{
    const char *xdg = getenv("XDG_RUNTIME_DIR");
    int n = geteuid() == 0 ? snprintf(out, size, "/run/vmjail/sandbox")
            : xdg && xdg[0] == '/' ? snprintf(out, size, "%s/vmjail/sandbox", xdg)
                                    : -1;
    if (n < 0 || (size_t)n >= size)
        return vj_error(err, VMJAIL_ERR_USAGE, 0,
                        "--root: no place for the sandbox's state (XDG_RUNTIME_DIR unset)");
    return 0;
}

/* Sandboxes whose vmjail was killed leave their state (their payload ended with them, by the
 * watch pipe): each run-PID whose container has stopped is deleted, with its pasta. */
/* A run killed while it made its container (ID in DIR) left no state: its fifo, and as root
 * its cgroup (the default path), removed. */
static void sweep_unmade(const char *dir, const char *id)
{
    char path[PATH_MAX + 300];
    if (snprintf(path, sizeof path, "%s/%.255s/exec.fifo", dir, id) >= (int)sizeof path)
        return;
    unlink(path);
    *strrchr(path, '/') = '\0';
    if (rmdir(path) < 0)
        return; /* something else is in it: not ours to guess */
    if (geteuid() == 0) {
        char cg[300];
        oci_cgroup_default_path(id, cg, sizeof cg);
        oci_cgroup_destroy(cg, NULL);
    }
}

static void sweep_stale(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    while (d && (e = readdir(d)) != NULL) {
        int pid;
        char tail;
        struct oci_state st;
        if (sscanf(e->d_name, "run-%d%c", &pid, &tail) != 1)
            continue;
        if (oci_state_open(dir, e->d_name, &st, NULL) < 0) {
            /* The vmjail that made it (its pid in the name) is gone: killed before it saved
             * the state.  A pid alive (that run still starting, or another process since)
             * leaves it. */
            if (pid > 0 && kill(pid, 0) < 0 && errno == ESRCH)
                sweep_unmade(dir, e->d_name);
            continue;
        }
        bool stopped = oci_state_status(&st) == OCI_STOPPED;
        oci_state_close(&st);
        if (stopped) {
            oci_container_delete(dir, e->d_name, true, NULL);
            char nat[PATH_MAX + 512];
            if (snprintf(nat, sizeof nat, "%s/%.255s.pasta", dir, e->d_name) < (int)sizeof nat)
                oci_sandbox_nat_end(nat);
        }
    }
    if (d)
        closedir(d);
}

/* Without root, limits go in a cgroup of the caller's delegated subtree (into CG, a
 * cgroupsPath; "" without limits), and the device rules (an eBPF program, which needs
 * privileges the caller has not) are left out of DOC: the sandbox's /dev is its own minimal
 * set anyway. */
static int rootless_cgroup(const struct oci_sandbox_opts *o, const char *id, json_object *doc,
                           char *cg, size_t size, vmjail_error **err)
{
    cg[0] = '\0';
    if (geteuid() == 0 || (!o->pids && !o->cpus))
        return 0;
    const char *want[3] = {NULL, NULL, NULL};
    int n = 0;
    if (o->pids)
        want[n++] = "pids";
    if (o->cpus)
        want[n++] = "cpu";
    if (oci_cgroup_delegated(id, want, cg, size, err) < 0)
        return vj_error_wrap(err, "%s", o->pids ? "--pids" : "--cpus");
    json_object *linux_, *res;
    if (json_object_object_get_ex(doc, "linux", &linux_)) {
        json_object_object_add(linux_, "cgroupsPath", json_object_new_string(cg));
        if (json_object_object_get_ex(linux_, "resources", &res))
            json_object_object_del(res, "devices");
    }
    return 0;
}

/* Without root, another identity inside than 0:0 needs the caller's subordinate ids, which
 * newuidmap and newgidmap map (into *SUB; left zero without --user). */
static int rootless_ids(const struct oci_sandbox_opts *o, struct subids *sub, vmjail_error **err)
{
    memset(sub, 0, sizeof *sub);
    if (geteuid() == 0 || (!o->uid && !o->gid))
        return 0;
    if (oci_subid_range("/etc/subuid", geteuid(), &sub->uid_start, &sub->uid_count) < 0 ||
        oci_subid_range("/etc/subgid", geteuid(), &sub->gid_start, &sub->gid_count) < 0)
        return vj_error(err, VMJAIL_ERR_USAGE, 0, "--user: without root, ids other than 0 "
                        "need ranges for uid %u in /etc/subuid and /etc/subgid (and newuidmap, "
                        "Debian's uidmap package)", (unsigned)geteuid());
    if (o->uid > sub->uid_count || o->gid > sub->gid_count)
        return vj_error(err, VMJAIL_ERR_USAGE, 0, "--user: %u:%u is past the caller's "
                        "subordinate ids (%u uids, %u gids)", o->uid, o->gid, sub->uid_count,
                        sub->gid_count);
    return 0;
}

int oci_sandbox_run(const struct oci_sandbox_opts *o, int *status, vmjail_error **err)
{
    struct subids sub;
    if (rootless_ids(o, &sub, err) < 0)
        return -1;
    char root[PATH_MAX];
    struct stat st;
    if (realpath(o->root, root) == NULL)
        return vj_error(err, VMJAIL_ERR_USAGE, errno, "--root %s", o->root);
    if (stat(root, &st) < 0 || !S_ISDIR(st.st_mode))
        return vj_error(err, VMJAIL_ERR_USAGE, ENOTDIR, "--root %s", o->root);
    if (vmjail_platform_by_name(o->platform) < 0)
        return vj_error(err, VMJAIL_ERR_USAGE, 0, "--platform: '%s' is not kvm, process or auto",
                        o->platform);
    if (o->n_ports && o->network != OCI_SANDBOX_NET_NAT)
        return vj_error(err, VMJAIL_ERR_USAGE, 0, "--publish needs --network nat");
    if (oci_sandbox_ports_free(o, err) < 0)
        return -1;
    if (o->network == OCI_SANDBOX_NET_NAT && geteuid() != 0 &&
        access("/dev/net/tun", R_OK | W_OK) != 0)
        return vj_error(err, VMJAIL_ERR_USAGE, errno, "--network nat without root needs "
                        "/dev/net/tun usable by the caller");
    if (o->cwd && o->cwd[0] != '/')
        return vj_error(err, VMJAIL_ERR_USAGE, 0, "--cwd: '%s' is not an absolute path inside",
                        o->cwd);
    char id[64], cg[4200];
    snprintf(id, sizeof id, "run-%d", (int)getpid());
    json_object *doc = sandbox_spec(o, root, &sub, err);
    if (doc == NULL)
        return -1;
    if (rootless_cgroup(o, id, doc, cg, sizeof cg, err) < 0) {
        json_object_put(doc);
        return -1;
    }
    struct oci_spec *spec = NULL;
    int r = oci_spec_parse(json_object_to_json_string_ext(doc, JSON_C_TO_STRING_PLAIN), root,
                           &spec, err);
    json_object_put(doc);
    if (r < 0)
        return -1;
    char dir[PATH_MAX - 64];
    if (state_root(dir, sizeof dir, err) < 0) {
        oci_spec_free(spec);
        return -1;
    }
    /* Sandboxes left by killed vmjails, this id's among them (a reused pid), go. */
    sweep_stale(dir);
    oci_container_delete(dir, id, true, NULL);
    /* The state's bundle is the state directory: nothing there is the payload's (a bundle's
     * config.json, whose hooks delete would run, never comes from the root). */
    struct oci_create_opts c = {.root = dir, .id = id, .bundle = dir, .foreground = true,
                                .die_with_caller = true, .no_cgroup = geteuid() != 0 && !cg[0]};
    struct oci_sandbox_nat nat = {.opts = o};
    if (o->network == OCI_SANDBOX_NET_NAT) {
        snprintf(nat.pid_file, sizeof nat.pid_file, "%s/%s.pasta", dir, id);
        c.attach = oci_sandbox_nat_attach;
        c.attach_arg = &nat;
    }
    r = oci_container_create_spec(&c, spec, status, err);
    if (o->network == OCI_SANDBOX_NET_NAT)
        oci_sandbox_nat_end(nat.pid_file);
    return r;
}
