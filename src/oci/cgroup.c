/* cgroup.c: a container's cgroup: created with its resource limits, joined, listed, frozen
 * and removed, on cgroup v2 and on cgroup v1 (one hierarchy per controller). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>

#include "lib/error.h"
#include "oci/oci.h"

#ifndef CGROUP2_SUPER_MAGIC
#define CGROUP2_SUPER_MAGIC 0x63677270
#endif

/* Where the hierarchies are mounted; VMJAIL_CGROUP_ROOT overrides it (tests use a private
 * cgroup2 mount). */
static const char *cgroup_root(void)
{
    const char *r = getenv("VMJAIL_CGROUP_ROOT");
    return r && r[0] ? r : "/sys/fs/cgroup";
}

static bool is_v2(void)
{
    struct statfs fs;
    return statfs(cgroup_root(), &fs) == 0 && fs.f_type == CGROUP2_SUPER_MAGIC;
}

/* The v1 hierarchies a container joins (those this host has). */
static const char *const v1_controllers[] = {
    "memory", "cpu", "cpuacct", "pids", "freezer", "devices", "cpuset", "blkio",
    "net_cls", "perf_event", "hugetlb", NULL,
};

static bool v1_has(const char *ctrl)
{
    char p[4096];
    snprintf(p, sizeof p, "%s/%s", cgroup_root(), ctrl);
    struct statfs fs;
    return statfs(p, &fs) == 0 && fs.f_type != CGROUP2_SUPER_MAGIC;
}

/* PATH normalised: leading '/' removed; "slice:prefix:name" (systemd style) mapped to
 * "slice/prefix-name.scope" as a cgroupfs manager would. */
static void norm_path(const char *path, char *buf, size_t size)
{
    const char *c1 = strchr(path, ':');
    const char *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
    if (c1 && c2 && path[0] != '/') {
        snprintf(buf, size, "%.*s/%.*s-%s.scope", (int)(c1 - path), path, (int)(c2 - c1 - 1),
                 c1 + 1, c2 + 1);
    } else {
        while (*path == '/')
            path++;
        snprintf(buf, size, "%s", path);
    }
}

void oci_cgroup_default_path(const char *id, char *buf, size_t size)
{
    snprintf(buf, size, "/vmjail/%s", id);
}

static int write_value(const char *dir, const char *file, const char *value, bool optional,
                       vmjail_error **err);

/* Is DIR (a cgroup v2 directory) the caller's to create children in and move its processes
 * within: the directory and its cgroup.procs its own (as systemd's Delegate= or an
 * administrator's chown hands a subtree over)? */
static bool owned_cgroup(const char *dir)
{
    char procs[4400];
    struct stat st;
    snprintf(procs, sizeof procs, "%s/cgroup.procs", dir);
    return stat(dir, &st) == 0 && st.st_uid == geteuid() && access(dir, W_OK) == 0 &&
           access(procs, W_OK) == 0;
}

int oci_cgroup_delegated(const char *id, const char *const *controllers, char *buf, size_t size,
                         vmjail_error **err)
{
    if (!is_v2())
        return vj_error(err, VMJAIL_ERR_USAGE, 0, "a limit without root needs a delegated "
                        "cgroup v2 subtree: this host has cgroup v1");
    char *self = oci_read_file("/proc/self/cgroup", NULL, NULL), *line = self;
    while (line && strncmp(line, "0::", 3) != 0 && (line = strchr(line, '\n')) != NULL)
        line++;
    if (line == NULL) {
        free(self);
        return vj_error(err, VMJAIL_ERR_USAGE, 0, "a limit without root needs a delegated "
                        "cgroup v2 subtree: the caller is in none");
    }
    char mine[4096], best[4096] = "", dir[4200];
    snprintf(mine, sizeof mine, "%.*s", (int)strcspn(line + 3, "\n"), line + 3);
    free(self);
    /* The highest of the caller's own cgroup and its ancestors that it owns without a break. */
    while (mine[0] == '/' && mine[1] != '\0') {
        snprintf(dir, sizeof dir, "%.100s%s", cgroup_root(), mine);
        if (!owned_cgroup(dir))
            break;
        snprintf(best, sizeof best, "%s", mine);
        *strrchr(mine, '/') = '\0';
        if (mine[0] == '\0')
            break;
    }
    if (best[0] == '\0')
        return vj_error(err, VMJAIL_ERR_USAGE, 0, "a limit without root needs a delegated "
                        "cgroup v2 subtree: the caller's cgroup %s is not its own",
                        mine[0] ? mine : "/");
    snprintf(dir, sizeof dir, "%.100s%s", cgroup_root(), best);
    char path[4400];
    snprintf(path, sizeof path, "%s/cgroup.subtree_control", dir);
    for (const char *const *c = controllers; *c; c++) {
        char *on = oci_read_file(path, NULL, NULL), want[64];
        bool enabled = on && oci_word_in(on, *c);
        free(on);
        snprintf(want, sizeof want, "+%s", *c);
        if (!enabled && write_value(dir, "cgroup.subtree_control", want, true, NULL) < 0)
            return vj_error(err, VMJAIL_ERR_USAGE, 0, "the delegated cgroup %s does not give "
                            "its children the %s controller", best, *c);
    }
    int n = snprintf(buf, size, "%s/vmjail-%s", best, id);
    if (n < 0 || (size_t)n >= size)
        return vj_error(err, VMJAIL_ERR_USAGE, ENAMETOOLONG, "cgroup %s", best);
    return 0;
}

static int write_value(const char *dir, const char *file, const char *value, bool optional,
                       vmjail_error **err)
{
    char p[4200];
    snprintf(p, sizeof p, "%s/%s", dir, file);
    int fd = open(p, O_WRONLY | O_CLOEXEC);
    if (fd < 0) {
        if (optional && errno == ENOENT)
            return 0;
        return vj_error(err, VMJAIL_ERR_INTERNAL, errno, "cgroup: open %s", p);
    }
    ssize_t n = write(fd, value, strlen(value));
    int e = errno;
    close(fd);
    if (n < 0)
        return vj_error(err, VMJAIL_ERR_INTERNAL, e, "cgroup: write '%s' to %s", value, p);
    return 0;
}

static void dir_of(const char *ctrl, const char *path, char *buf, size_t size)
{
    char rel[4096];
    norm_path(path, rel, sizeof rel);
    if (ctrl)
        snprintf(buf, size, "%s/%s/%s", cgroup_root(), ctrl, rel);
    else
        snprintf(buf, size, "%s/%s", cgroup_root(), rel);
}

/* pids.max (the same file on v1 and v2): a limit, "max", or nothing when unset. */
static int write_pids_max(const char *dir, const struct oci_resources *r, vmjail_error **err)
{
    char v[32];
    if (r->pids_limit == 0)
        return 0;
    if (r->pids_limit > 0)
        snprintf(v, sizeof v, "%lld", (long long)r->pids_limit);
    else
        snprintf(v, sizeof v, "max");
    return write_value(dir, "pids.max", v, false, err);
}

/* v1 cpuset: a new cgroup has empty cpus and mems; copy them down from its parents. */
static int v1_cpuset_inherit(const char *dir, vmjail_error **err)
{
    char parent[8300], value[4096];
    for (const char *const *f = (const char *const[]){"cpuset.cpus", "cpuset.mems", NULL}; *f;
         f++) {
        char cur[4200];
        snprintf(cur, sizeof cur, "%s", dir);
        /* Find the nearest ancestor with a value, then write it down the chain. */
        char *slash = strrchr(cur, '/');
        if (slash == NULL)
            return 0;
        *slash = '\0';
        snprintf(parent, sizeof parent, "%s/%s", cur, *f);
        char *v = oci_read_file(parent, NULL, NULL);
        if (v == NULL)
            return 0;
        snprintf(value, sizeof value, "%s", v);
        free(v);
        if (value[0] == '\n' || value[0] == '\0') {
            if (v1_cpuset_inherit(cur, err) < 0)
                return -1;
            v = oci_read_file(parent, NULL, NULL);
            if (v == NULL)
                return 0;
            snprintf(value, sizeof value, "%s", v);
            free(v);
        }
        char own[4200];
        snprintf(own, sizeof own, "%s/%s", dir, *f);
        char *mine = oci_read_file(own, NULL, NULL);
        bool empty = mine == NULL || mine[0] == '\n' || mine[0] == '\0';
        free(mine);
        if (empty && write_value(dir, *f, value, true, err) < 0)
            return -1;
    }
    return 0;
}

/* v1 device rules, each as a line of devices.allow or devices.deny ("c 1:3 rwm"; "a" resets
 * the list). */
static int v1_write_device_rules(const char *dir, const struct oci_device_rule *rules, size_t n,
                                 vmjail_error **err)
{
    for (size_t i = 0; i < n; i++) {
        const struct oci_device_rule *d = &rules[i];
        char rule[96], maj[24], min[24];
        if (d->major < 0)
            snprintf(maj, sizeof maj, "*");
        else
            snprintf(maj, sizeof maj, "%lld", (long long)d->major);
        if (d->minor < 0)
            snprintf(min, sizeof min, "*");
        else
            snprintf(min, sizeof min, "%lld", (long long)d->minor);
        if (d->type == 'a')
            snprintf(rule, sizeof rule, "a");
        else
            snprintf(rule, sizeof rule, "%c %s:%s %s", d->type, maj, min, d->access);
        if (write_value(dir, d->allow ? "devices.allow" : "devices.deny", rule, false, err) < 0)
            return -1;
    }
    return 0;
}

static int apply_v1(const char *ctrl, const char *dir, const struct oci_resources *r,
                    vmjail_error **err)
{
    char v[64];
    if (strcmp(ctrl, "memory") == 0) {
        if (r->memory_limit >= 0) {
            snprintf(v, sizeof v, "%lld", (long long)r->memory_limit);
            if (write_value(dir, "memory.limit_in_bytes", v, false, err) < 0)
                return -1;
        }
        if (r->memory_reservation >= 0) {
            snprintf(v, sizeof v, "%lld", (long long)r->memory_reservation);
            if (write_value(dir, "memory.soft_limit_in_bytes", v, false, err) < 0)
                return -1;
        }
        if (r->memory_swap > 0) {
            snprintf(v, sizeof v, "%lld", (long long)r->memory_swap);
            if (write_value(dir, "memory.memsw.limit_in_bytes", v, true, err) < 0)
                return -1;
        }
    } else if (strcmp(ctrl, "cpu") == 0) {
        if (r->cpu_shares) {
            snprintf(v, sizeof v, "%llu", (unsigned long long)r->cpu_shares);
            if (write_value(dir, "cpu.shares", v, false, err) < 0)
                return -1;
        }
        if (r->cpu_period) {
            snprintf(v, sizeof v, "%llu", (unsigned long long)r->cpu_period);
            if (write_value(dir, "cpu.cfs_period_us", v, false, err) < 0)
                return -1;
        }
        if (r->cpu_quota > 0) {
            snprintf(v, sizeof v, "%lld", (long long)r->cpu_quota);
            if (write_value(dir, "cpu.cfs_quota_us", v, false, err) < 0)
                return -1;
        }
    } else if (strcmp(ctrl, "pids") == 0) {
        if (write_pids_max(dir, r, err) < 0)
            return -1;
    } else if (strcmp(ctrl, "cpuset") == 0) {
        if (v1_cpuset_inherit(dir, err) < 0)
            return -1;
        if (r->cpuset_cpus && write_value(dir, "cpuset.cpus", r->cpuset_cpus, false, err) < 0)
            return -1;
        if (r->cpuset_mems && write_value(dir, "cpuset.mems", r->cpuset_mems, false, err) < 0)
            return -1;
    } else if (strcmp(ctrl, "devices") == 0 && r->n_devices) {
        /* The config's rules, then the devices every container gets (runc's list). */
        if (v1_write_device_rules(dir, r->devices, r->n_devices, err) < 0 ||
            v1_write_device_rules(dir, oci_default_device_rules, oci_n_default_device_rules,
                                  err) < 0)
            return -1;
    }
    return 0;
}

/* Turn the controllers on for the children of every ancestor of DIR (v2). */
static void v2_enable_controllers(const char *dir)
{
    char cur[4200];
    size_t rootlen = strlen(cgroup_root());
    snprintf(cur, sizeof cur, "%s", dir);
    for (char *p = cur + rootlen; (p = strchr(p, '/')) != NULL; p++) {
        *p = '\0';
        char *avail = NULL, path[4300];
        snprintf(path, sizeof path, "%s/cgroup.controllers", cur);
        avail = oci_read_file(path, NULL, NULL);
        if (avail) {
            char want[256] = "";
            for (const char *const *c =
                     (const char *const[]){"cpu", "memory", "pids", "cpuset", "io", NULL};
                 *c; c++) {
                if (oci_word_in(avail, *c)) {
                    strcat(want, want[0] ? " +" : "+");
                    strcat(want, *c);
                }
            }
            if (want[0])
                write_value(cur, "cgroup.subtree_control", want, true, NULL);
            free(avail);
        }
        *p = '/';
    }
}

static int apply_v2(const char *dir, const struct oci_resources *r, vmjail_error **err)
{
    char v[64];
    if (r->memory_limit >= 0) {
        snprintf(v, sizeof v, "%lld", (long long)r->memory_limit);
        if (write_value(dir, "memory.max", v, false, err) < 0)
            return -1;
    }
    if (r->memory_reservation >= 0) {
        snprintf(v, sizeof v, "%lld", (long long)r->memory_reservation);
        if (write_value(dir, "memory.low", v, false, err) < 0)
            return -1;
    }
    if (r->memory_swap > 0 && r->memory_limit >= 0 && r->memory_swap >= r->memory_limit) {
        snprintf(v, sizeof v, "%lld", (long long)(r->memory_swap - r->memory_limit));
        if (write_value(dir, "memory.swap.max", v, true, err) < 0)
            return -1;
    }
    if (r->cpu_shares) { /* the conversion runc and crun use */
        unsigned long long w = 1 + ((r->cpu_shares - 2) * 9999) / 262142;
        snprintf(v, sizeof v, "%llu", w);
        if (write_value(dir, "cpu.weight", v, false, err) < 0)
            return -1;
    }
    if (r->cpu_quota > 0 || r->cpu_period) {
        unsigned long long period = r->cpu_period ? r->cpu_period : 100000;
        if (r->cpu_quota > 0)
            snprintf(v, sizeof v, "%lld %llu", (long long)r->cpu_quota, period);
        else
            snprintf(v, sizeof v, "max %llu", period);
        if (write_value(dir, "cpu.max", v, false, err) < 0)
            return -1;
    }
    if (write_pids_max(dir, r, err) < 0)
        return -1;
    if (r->cpuset_cpus && write_value(dir, "cpuset.cpus", r->cpuset_cpus, false, err) < 0)
        return -1;
    if (r->cpuset_mems && write_value(dir, "cpuset.mems", r->cpuset_mems, false, err) < 0)
        return -1;
    /* v2 has no devices files: the rules are an eBPF program on the directory. */
    if (r->n_devices && oci_cgroup_devices_attach(dir, r->devices, r->n_devices, err) < 0)
        return -1;
    return 0;
}

int oci_cgroup_create(const char *path, const struct oci_resources *res, vmjail_error **err)
{
    if (path[0] == '\0') /* a container without a cgroup (a rootless sandbox) */
        return 0;
    char dir[4200];
    if (is_v2()) {
        dir_of(NULL, path, dir, sizeof dir);
        if (oci_mkdir_p(dir, 0755) < 0)
            return vj_error(err, VMJAIL_ERR_INTERNAL, errno, "cgroup: create %s", dir);
        v2_enable_controllers(dir);
        return apply_v2(dir, res, err);
    }
    for (const char *const *c = v1_controllers; *c; c++) {
        if (!v1_has(*c))
            continue;
        dir_of(*c, path, dir, sizeof dir);
        if (oci_mkdir_p(dir, 0755) < 0)
            return vj_error(err, VMJAIL_ERR_INTERNAL, errno, "cgroup: create %s", dir);
        if (apply_v1(*c, dir, res, err) < 0)
            return -1;
    }
    return 0;
}

int oci_cgroup_enter(const char *path, pid_t pid, vmjail_error **err)
{
    if (path[0] == '\0')
        return 0;
    char dir[4200], v[32];
    snprintf(v, sizeof v, "%d", (int)pid);
    if (is_v2()) {
        dir_of(NULL, path, dir, sizeof dir);
        return write_value(dir, "cgroup.procs", v, false, err);
    }
    for (const char *const *c = v1_controllers; *c; c++) {
        if (!v1_has(*c))
            continue;
        dir_of(*c, path, dir, sizeof dir);
        if (write_value(dir, "cgroup.procs", v, false, err) < 0)
            return -1;
    }
    return 0;
}

int oci_cgroup_pids(const char *path, pid_t **pids, vmjail_error **err)
{
    if (path[0] == '\0') /* never the root cgroup's: every process of the host */
        return 0;
    char dir[4200], file[4300];
    dir_of(is_v2() ? NULL : "pids", path, dir, sizeof dir);
    if (!is_v2() && !v1_has("pids"))
        dir_of("memory", path, dir, sizeof dir);
    snprintf(file, sizeof file, "%s/cgroup.procs", dir);
    char *text = oci_read_file(file, NULL, err);
    if (text == NULL)
        return -1;
    size_t n = 0, cap = 16;
    pid_t *v = malloc(cap * sizeof *v);
    for (char *s = text, *end; v && *s; s = end) {
        long p = strtol(s, &end, 10);
        if (end == s)
            break;
        if (n == cap) {
            pid_t *b = realloc(v, cap * 2 * sizeof *v);
            if (b == NULL)
                break;
            v = b;
            cap *= 2;
        }
        v[n++] = (pid_t)p;
    }
    free(text);
    if (v == NULL)
        return vj_error(err, VMJAIL_ERR_INTERNAL, ENOMEM, "cgroup pids");
    *pids = v;
    return (int)n;
}

#define FREEZE_WAIT_S 10 /* how long pause and resume wait for the freezer to settle */
#define PF_KTHREAD_FLAG 0x00200000 /* a kernel thread, in /proc/TID/stat's flags */

static bool is_kernel_thread(const char *tid)
{
    char p[64], *stat;
    snprintf(p, sizeof p, "/proc/%s/stat", tid);
    if ((stat = oci_read_file(p, NULL, NULL)) == NULL)
        return false;
    /* The flags are the 9th field, the 7th after the command's closing parenthesis. */
    unsigned long flags = 0;
    char *rp = strrchr(stat, ')');
    bool ok = rp && sscanf(rp + 1, " %*c %*d %*d %*d %*d %*d %lu", &flags) == 1;
    free(stat);
    return ok && (flags & PF_KTHREAD_FLAG);
}

/* Move the kernel threads in the cgroup DIR and below it to the root cgroup; returns how
 * many.  KVM attaches a kernel thread of each VM (kvm-nx-lpage-recovery, before Linux 6.13)
 * to its creator's cgroups; the v2 freezer never freezes a kernel thread, so a cgroup holding
 * one never reports "frozen 1": pause would wait forever. */
static int v2_move_kernel_threads_out(const char *dir, int depth)
{
    char p[4300];
    int moved = 0;
    snprintf(p, sizeof p, "%s/cgroup.threads", dir);
    char *tids = oci_read_file(p, NULL, NULL);
    for (char *tid = tids ? strtok(tids, "\n") : NULL; tid; tid = strtok(NULL, "\n"))
        if (is_kernel_thread(tid) &&
            write_value(cgroup_root(), "cgroup.procs", tid, false, NULL) == 0)
            moved++;
    free(tids);
    DIR *d = depth < 16 ? opendir(dir) : NULL;
    for (struct dirent *e; d && (e = readdir(d)) != NULL;) {
        if (e->d_type == DT_DIR && e->d_name[0] != '.') {
            snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
            moved += v2_move_kernel_threads_out(p, depth + 1);
        }
    }
    if (d)
        closedir(d);
    return moved;
}

int oci_cgroup_freeze(const char *path, bool freeze, vmjail_error **err)
{
    if (path[0] == '\0')
        return vj_error(err, VMJAIL_ERR_USAGE, 0, "the container has no cgroup to freeze");
    char dir[4200];
    bool v2 = is_v2();
    if (v2) {
        dir_of(NULL, path, dir, sizeof dir);
        if (freeze)
            v2_move_kernel_threads_out(dir, 0);
        if (write_value(dir, "cgroup.freeze", freeze ? "1" : "0", false, err) < 0)
            return -1;
    } else {
        if (!v1_has("freezer"))
            return vj_error(err, VMJAIL_ERR_INTERNAL, 0, "this host has no freezer cgroup");
        dir_of("freezer", path, dir, sizeof dir);
        if (write_value(dir, "freezer.state", freeze ? "FROZEN" : "THAWED", false, err) < 0)
            return -1;
    }
    /* Wait until the state settles: every thread must reach the kernel's freezer, a vCPU
     * thread once KVM_RUN returns for the signal the freezer sends, which on a slow host (an
     * emulated one) takes more than a second. */
    struct timespec t0, now;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (int i = 1;; i++) {
        int f = oci_cgroup_frozen(path);
        if (f == (freeze ? 1 : 0))
            return 0;
        usleep(1000);
        /* A VM made while freezing brings a kernel thread: move it out, and freeze again
         * (the kernel looks at the count again only when a task freezes or thaws). */
        if (v2 && freeze && i % 100 == 0 && v2_move_kernel_threads_out(dir, 0) > 0) {
            write_value(dir, "cgroup.freeze", "0", false, NULL);
            if (write_value(dir, "cgroup.freeze", "1", false, err) < 0)
                return -1;
        }
        clock_gettime(CLOCK_MONOTONIC, &now);
        if (now.tv_sec - t0.tv_sec >= FREEZE_WAIT_S)
            break;
    }
    if (v2 && freeze) /* not left half frozen while its state says running */
        write_value(dir, "cgroup.freeze", "0", false, NULL);
    return vj_error(err, VMJAIL_ERR_INTERNAL, 0, "cgroup: the container did not %s",
                    freeze ? "freeze" : "thaw");
}

int oci_cgroup_frozen(const char *path)
{
    if (path[0] == '\0')
        return 0;
    char dir[4200], file[4300];
    bool v2 = is_v2();
    dir_of(v2 ? NULL : "freezer", path, dir, sizeof dir);
    snprintf(file, sizeof file, "%s/%s", dir, v2 ? "cgroup.events" : "freezer.state");
    char *text = oci_read_file(file, NULL, NULL);
    if (text == NULL)
        return v2 || v1_has("freezer") ? -1 : 0;
    int r = v2 ? strstr(text, "frozen 1") != NULL : strncmp(text, "FROZEN", 6) == 0;
    free(text);
    return r;
}

int oci_cgroup_destroy(const char *path, vmjail_error **err)
{
    if (path[0] == '\0')
        return 0;
    char dir[4200];
    int r = 0;
    if (is_v2()) {
        dir_of(NULL, path, dir, sizeof dir);
        for (int i = 0; i < 100 && rmdir(dir) < 0 && errno == EBUSY; i++)
            usleep(10000);
        if (access(dir, F_OK) == 0)
            r = vj_error(err, VMJAIL_ERR_INTERNAL, errno, "cgroup: remove %s", dir);
        return r;
    }
    for (const char *const *c = v1_controllers; *c; c++) {
        if (!v1_has(*c))
            continue;
        dir_of(*c, path, dir, sizeof dir);
        for (int i = 0; i < 100 && rmdir(dir) < 0 && errno == EBUSY; i++)
            usleep(10000);
    }
    return r;
}
