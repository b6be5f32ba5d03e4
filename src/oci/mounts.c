/* mounts.c: the container's file system: its root, the config's mounts (resolved inside the
 * root, never through a symlink out of it), /dev, pivot_root, masked and read-only paths. */
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "lib/error.h"
#include "oci/oci.h"

#ifndef CGROUP2_SUPER_MAGIC
#define CGROUP2_SUPER_MAGIC 0x63677270
#endif

static const struct {
    const char *name;
    bool clear;
    unsigned long flag;
} flag_options[] = {
    {"defaults", false, 0},        {"ro", false, MS_RDONLY},
    {"rw", true, MS_RDONLY},       {"nosuid", false, MS_NOSUID},
    {"suid", true, MS_NOSUID},     {"nodev", false, MS_NODEV},
    {"dev", true, MS_NODEV},       {"noexec", false, MS_NOEXEC},
    {"exec", true, MS_NOEXEC},     {"sync", false, MS_SYNCHRONOUS},
    {"async", true, MS_SYNCHRONOUS}, {"dirsync", false, MS_DIRSYNC},
    {"remount", false, MS_REMOUNT}, {"mand", false, MS_MANDLOCK},
    {"nomand", true, MS_MANDLOCK}, {"noatime", false, MS_NOATIME},
    {"atime", true, MS_NOATIME},   {"nodiratime", false, MS_NODIRATIME},
    {"diratime", true, MS_NODIRATIME}, {"relatime", false, MS_RELATIME},
    {"norelatime", true, MS_RELATIME}, {"strictatime", false, MS_STRICTATIME},
    {"nostrictatime", true, MS_STRICTATIME}, {"bind", false, MS_BIND},
    {"rbind", false, MS_BIND | MS_REC},
};

static const struct {
    const char *name;
    unsigned long flag;
} propagation_options[] = {
    {"private", MS_PRIVATE},       {"rprivate", MS_PRIVATE | MS_REC},
    {"shared", MS_SHARED},         {"rshared", MS_SHARED | MS_REC},
    {"slave", MS_SLAVE},           {"rslave", MS_SLAVE | MS_REC},
    {"unbindable", MS_UNBINDABLE}, {"runbindable", MS_UNBINDABLE | MS_REC},
};

int oci_mount_options(char *const *options, unsigned long *flags, unsigned long *propagation,
                      char *data, size_t data_size, bool *recursive_bind)
{
    *flags = 0;
    *propagation = 0;
    *recursive_bind = false;
    size_t used = 0;
    data[0] = '\0';
    for (char *const *o = options; o && *o; o++) {
        bool known = false;
        for (size_t i = 0; i < sizeof flag_options / sizeof flag_options[0]; i++) {
            if (strcmp(*o, flag_options[i].name) != 0)
                continue;
            known = true;
            if (flag_options[i].clear)
                *flags &= ~flag_options[i].flag;
            else
                *flags |= flag_options[i].flag;
            if (strcmp(*o, "rbind") == 0)
                *recursive_bind = true;
        }
        for (size_t i = 0; !known && i < sizeof propagation_options / sizeof propagation_options[0];
             i++) {
            if (strcmp(*o, propagation_options[i].name) == 0) {
                known = true;
                *propagation |= propagation_options[i].flag;
            }
        }
        /* Options we deliberately do not pass on as data. */
        if (!known && (strcmp(*o, "tmpcopyup") == 0 || strncmp(*o, "idmap", 5) == 0 ||
                       strcmp(*o, "copy-symlink") == 0 || strcmp(*o, "notmpcopyup") == 0))
            known = true;
        if (!known) {
            size_t n = strlen(*o);
            if (used + n + 2 > data_size)
                return -1;
            if (used)
                data[used++] = ',';
            memcpy(data + used, *o, n + 1);
            used += n;
        }
    }
    return 0;
}

/* Open PATH (absolute, as seen inside the root ROOT_FD) as an O_PATH descriptor, resolving
 * every symlink inside the root; missing components are made as directories (and the last
 * as a file when FILE).  Returns the descriptor or -1 with errno. */
static int open_in_root(int root_fd, const char *path, bool create, bool file)
{
    struct open_how how = {.flags = O_PATH | O_CLOEXEC, .resolve = RESOLVE_IN_ROOT};
    int fd = (int)syscall(SYS_openat2, root_fd, path, &how, sizeof how);
    if (fd >= 0 || errno != ENOENT || !create)
        return fd;
    /* Make the missing components one at a time, each resolved inside the root. */
    char buf[4096];
    if (snprintf(buf, sizeof buf, "%s", path) >= (int)sizeof buf) {
        errno = ENAMETOOLONG;
        return -1;
    }
    char *p = buf;
    while (*p == '/')
        p++;
    for (;;) {
        char *slash = strchr(p, '/');
        bool last = slash == NULL || slash[strspn(slash, "/")] == '\0';
        if (slash)
            *slash = '\0';
        int cur = (int)syscall(SYS_openat2, root_fd, buf, &how, sizeof how);
        if (cur < 0 && errno == ENOENT) {
            /* The parent, resolved in the root, then the new entry in it. */
            char *name = strrchr(buf, '/');
            int parent;
            if (name == NULL || name == buf) {
                parent = dup(root_fd);
                name = name ? name + 1 : buf;
            } else {
                *name = '\0';
                struct open_how dirhow = {.flags = O_RDONLY | O_DIRECTORY | O_CLOEXEC,
                                          .resolve = RESOLVE_IN_ROOT};
                parent = (int)syscall(SYS_openat2, root_fd, buf, &dirhow, sizeof dirhow);
                *name = '/';
                name++;
            }
            if (parent < 0)
                return -1;
            int r;
            if (last && file) {
                r = openat(parent, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW,
                           0644);
                if (r >= 0)
                    close(r);
            } else {
                r = mkdirat(parent, name, 0755);
            }
            int e = errno;
            close(parent);
            if (r < 0 && e != EEXIST) {
                errno = e;
                return -1;
            }
            cur = (int)syscall(SYS_openat2, root_fd, buf, &how, sizeof how);
        }
        if (cur < 0)
            return -1;
        if (last)
            return cur;
        close(cur);
        *slash = '/';
        p = slash + 1;
        while (*p == '/')
            p++;
    }
}

static void fd_path(int fd, char *buf, size_t size)
{
    snprintf(buf, size, "/proc/self/fd/%d", fd);
}

/* The cgroup v2 path of this process ("0::PATH" in /proc/self/cgroup) in BUF: "/" in a cgroup
 * namespace of its own. */
static void own_cgroup2_path(char *buf, size_t size)
{
    snprintf(buf, size, "/");
    char *self = oci_read_file("/proc/self/cgroup", NULL, NULL);
    for (char *line = self; line && *line;) {
        char *next = strchr(line, '\n');
        if (next)
            *next++ = '\0';
        if (strncmp(line, "0::", 3) == 0) {
            snprintf(buf, size, "%s", line + 3);
            break;
        }
        line = next;
    }
    free(self);
}

/* Mount a cgroup2 at DEST.  Not in a cgroup namespace, the container sees its own cgroup as
 * the root of it, as runc shows it: that directory is bound over the mount. */
static int mount_cgroup2(int root_fd, const char *dest, unsigned long flags, vmjail_error **err)
{
    char target[64], own[4096];
    int fd = open_in_root(root_fd, dest, true, false);
    if (fd < 0)
        return vj_error(err, VMJAIL_ERR_INTERNAL, errno, "mount cgroup2 on %s", dest);
    fd_path(fd, target, sizeof target);
    int r = mount("cgroup2", target, "cgroup2", flags & ~MS_RDONLY, NULL);
    close(fd);
    if (r < 0)
        return vj_error(err, VMJAIL_ERR_INTERNAL, errno, "mount cgroup2 on %s", dest);
    own_cgroup2_path(own, sizeof own);
    /* The descriptor named the mount point; the new mount is reached by reopening. */
    fd = open_in_root(root_fd, dest, false, false);
    if (fd < 0)
        return vj_error(err, VMJAIL_ERR_INTERNAL, errno, "open %s", dest);
    fd_path(fd, target, sizeof target);
    if (strcmp(own, "/") != 0) {
        char src[4200];
        snprintf(src, sizeof src, "%s%s", target, own);
        if (mount(src, target, NULL, MS_BIND, NULL) < 0) {
            r = vj_error(err, VMJAIL_ERR_INTERNAL, errno, "bind cgroup %s on %s", own, dest);
        } else {
            close(fd);
            fd = open_in_root(root_fd, dest, false, false);
            if (fd >= 0)
                fd_path(fd, target, sizeof target);
        }
    }
    if (r == 0 && fd >= 0 && (flags & MS_RDONLY) &&
        mount(NULL, target, NULL, MS_REMOUNT | MS_BIND | flags, NULL) < 0)
        r = vj_error(err, VMJAIL_ERR_INTERNAL, errno, "remount cgroup2 on %s read-only", dest);
    if (fd >= 0)
        close(fd);
    return r;
}

/* Mount a v1 cgroup tree (one mount per hierarchy of this process) or a cgroup2 at TARGET. */
static int mount_cgroup(int root_fd, const char *dest, unsigned long flags, vmjail_error **err)
{
    struct statfs fs;
    int tfd = open_in_root(root_fd, dest, true, false);
    if (tfd < 0)
        return vj_error(err, VMJAIL_ERR_INTERNAL, errno, "mount cgroup on %s", dest);
    char target[64];
    fd_path(tfd, target, sizeof target);
    int r = 0;
    if (statfs("/sys/fs/cgroup", &fs) == 0 && fs.f_type == CGROUP2_SUPER_MAGIC) {
        close(tfd);
        return mount_cgroup2(root_fd, dest, flags, err);
    }
    if (mount("tmpfs", target, "tmpfs", flags & ~MS_RDONLY, "mode=755") < 0) {
        r = vj_error(err, VMJAIL_ERR_INTERNAL, errno, "mount tmpfs on %s", dest);
        close(tfd);
        return r;
    }
    close(tfd);
    char *self = oci_read_file("/proc/self/cgroup", NULL, NULL);
    for (char *line = self, *next; line && *line; line = next) {
        next = strchr(line, '\n');
        if (next)
            *next++ = '\0';
        else
            next = line + strlen(line);
        char *c1 = strchr(line, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
        if (c2 == NULL || c2 == c1 + 1)
            continue; /* the v2 entry "0::/" */
        *c2 = '\0';
        char *ctrls = c1 + 1, data[256], sub[4200];
        const char *dirname = ctrls;
        if (strncmp(ctrls, "name=", 5) == 0) {
            snprintf(data, sizeof data, "none,%s", ctrls);
            dirname = ctrls + 5;
        } else {
            snprintf(data, sizeof data, "%s", ctrls);
        }
        snprintf(sub, sizeof sub, "%s/%s", dest, dirname);
        int sfd = open_in_root(root_fd, sub, true, false);
        if (sfd < 0)
            continue;
        char starget[64];
        fd_path(sfd, starget, sizeof starget);
        if (mount("cgroup", starget, "cgroup", flags & ~MS_RDONLY, data) < 0) {
            if (r == 0)
                r = vj_error(err, VMJAIL_ERR_INTERNAL, errno, "mount cgroup %s on %s", data, sub);
        } else {
            /* The descriptor names the mount point; the new mount is reached by reopening. */
            close(sfd);
            sfd = open_in_root(root_fd, sub, false, false);
            fd_path(sfd, starget, sizeof starget);
            if (sfd >= 0 && strcmp(c2 + 1, "/") != 0) {
                /* Not in a cgroup namespace: show the container its own cgroup, as runc
                 * does, by binding that directory over the hierarchy's root. */
                char own[4400];
                snprintf(own, sizeof own, "%s%s", starget, c2 + 1);
                if (mount(own, starget, NULL, MS_BIND, NULL) < 0 && r == 0)
                    r = vj_error(err, VMJAIL_ERR_INTERNAL, errno, "bind cgroup %s on %s",
                                 c2 + 1, sub);
            }
        }
        if ((flags & MS_RDONLY) && r == 0 && sfd >= 0) {
            close(sfd);
            sfd = open_in_root(root_fd, sub, false, false);
            fd_path(sfd, starget, sizeof starget);
            mount(NULL, starget, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | (flags & ~MS_RDONLY),
                  NULL);
        }
        if (sfd >= 0)
            close(sfd);
        /* cpu,cpuacct is also reached as cpu and cpuacct. */
        if (strchr(dirname, ',')) {
            char names[256];
            snprintf(names, sizeof names, "%s", dirname);
            for (char *tok = strtok(names, ","); tok; tok = strtok(NULL, ",")) {
                int pfd = open_in_root(root_fd, dest, false, false);
                if (pfd >= 0) {
                    char ppath[64], lpath[4300];
                    fd_path(pfd, ppath, sizeof ppath);
                    snprintf(lpath, sizeof lpath, "%s/%s", ppath, tok);
                    symlink(dirname, lpath);
                    close(pfd);
                }
            }
        }
    }
    free(self);
    if (r == 0 && (flags & MS_RDONLY)) {
        int dfd = open_in_root(root_fd, dest, false, false);
        if (dfd >= 0) {
            fd_path(dfd, target, sizeof target);
            mount(NULL, target, NULL, MS_REMOUNT | MS_RDONLY | (flags & ~MS_RDONLY), NULL);
            close(dfd);
        }
    }
    return r;
}

static int mount_one(int root_fd, const char *bundle_dir, const struct oci_mount *m,
                     bool in_userns, vmjail_error **err)
{
    unsigned long flags, prop;
    bool rec;
    char data[4096];
    if (oci_mount_options(m->options, &flags, &prop, data, sizeof data, &rec) < 0)
        return vj_error(err, VMJAIL_ERR_USAGE, 0, "mount %s: options too long", m->destination);
    const char *type = m->type ? m->type : "";
    bool bind = (flags & MS_BIND) || strcmp(type, "bind") == 0;
    if (!bind && strcmp(type, "cgroup") == 0)
        return mount_cgroup(root_fd, m->destination, flags, err);
    char source[4200];
    const char *src = m->source ? m->source : type;
    if (bind && src[0] != '/')
        snprintf(source, sizeof source, "%s/%s", bundle_dir, src);
    else
        snprintf(source, sizeof source, "%s", src);
    bool file = false;
    struct stat sst;
    if (bind) {
        if (stat(source, &sst) < 0)
            return vj_error(err, VMJAIL_ERR_USAGE, errno, "mount %s: source %s",
                            m->destination, source);
        file = !S_ISDIR(sst.st_mode);
    }
    int tfd = open_in_root(root_fd, m->destination, true, file);
    if (tfd < 0)
        return vj_error(err, VMJAIL_ERR_INTERNAL, errno, "mount %s: mount point",
                        m->destination);
    char target[64];
    fd_path(tfd, target, sizeof target);
    int r = 0;
    if (bind) {
        if (mount(source, target, NULL, MS_BIND | (rec ? MS_REC : 0), NULL) < 0) {
            r = vj_error(err, VMJAIL_ERR_INTERNAL, errno, "bind %s on %s", source,
                         m->destination);
            goto out;
        }
        /* Re-open: the descriptor names the directory under the new mount. */
        close(tfd);
        tfd = open_in_root(root_fd, m->destination, false, false);
        if (tfd < 0) {
            r = vj_error(err, VMJAIL_ERR_INTERNAL, errno, "mount %s", m->destination);
            goto out;
        }
        fd_path(tfd, target, sizeof target);
        unsigned long extra = flags & ~(MS_BIND | MS_REC | MS_REMOUNT);
        if (extra) {
            /* A bind mount keeps the flags the user namespace locked on its source. */
            struct statfs fs;
            if (in_userns && statfs(target, &fs) == 0)
                extra |= fs.f_flags & (MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_RDONLY);
            if (mount(NULL, target, NULL, MS_REMOUNT | MS_BIND | extra, NULL) < 0) {
                r = vj_error(err, VMJAIL_ERR_INTERNAL, errno, "remount %s", m->destination);
                goto out;
            }
        }
    } else {
        if (mount(src, target, type, flags, data[0] ? data : NULL) < 0) {
            int e = errno;
            /* sysfs cannot be mounted in a user namespace without its own network one. */
            if (strcmp(type, "sysfs") == 0 && (e == EPERM || e == EACCES) &&
                mount("/sys", target, NULL, MS_BIND | MS_REC, NULL) == 0)
                goto propagation;
            r = vj_error(err, VMJAIL_ERR_INTERNAL, e, "mount %s (%s)", m->destination, type);
            goto out;
        }
    }
propagation:
    if (prop && mount(NULL, target, NULL, prop, NULL) < 0)
        r = vj_error(err, VMJAIL_ERR_INTERNAL, errno, "mount %s: propagation", m->destination);
out:
    close(tfd);
    return r;
}

static const struct {
    const char *path;
    unsigned maj, min;
} default_devices[] = {
    {"/dev/null", 1, 3},    {"/dev/zero", 1, 5},    {"/dev/full", 1, 7},
    {"/dev/random", 1, 8},  {"/dev/urandom", 1, 9}, {"/dev/tty", 5, 0},
};

/* One device node: mknod where allowed, else a bind mount of the host's node. */
static int make_device(int root_fd, const char *path, char type, unsigned maj, unsigned min,
                       mode_t mode, uid_t uid, gid_t gid, bool in_userns, vmjail_error **err)
{
    char parent[4096];
    snprintf(parent, sizeof parent, "%s", path);
    char *slash = strrchr(parent, '/');
    if (slash == NULL)
        return 0;
    *slash = '\0';
    int pfd = open_in_root(root_fd, parent[0] ? parent : "/", true, false);
    if (pfd < 0)
        return vj_error(err, VMJAIL_ERR_INTERNAL, errno, "device %s", path);
    char ppath[64], node[4200];
    fd_path(pfd, ppath, sizeof ppath);
    snprintf(node, sizeof node, "%s/%s", ppath, slash + 1);
    int r = 0;
    unlink(node);
    mode_t kind = type == 'b' ? S_IFBLK : type == 'p' ? S_IFIFO : S_IFCHR;
    if (!in_userns && mknod(node, kind | (mode & 07777), makedev(maj, min)) == 0) {
        chmod(node, mode & 07777);
        if (lchown(node, uid, gid) < 0)
            r = vj_error(err, VMJAIL_ERR_INTERNAL, errno, "device %s: chown", path);
    } else {
        int f = open(node, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
        if (f >= 0)
            close(f);
        if (mount(path, node, NULL, MS_BIND, NULL) < 0)
            r = vj_error(err, VMJAIL_ERR_INTERNAL, errno, "device %s: bind", path);
    }
    close(pfd);
    return r;
}

static int setup_dev(int root_fd, const struct oci_spec *spec, bool in_userns, vmjail_error **err)
{
    /* Only a /dev the config mounted (a tmpfs) gets nodes; a bind-mounted one is kept. */
    bool own_dev = false;
    for (size_t i = 0; i < spec->n_mounts; i++)
        if (strcmp(spec->mounts[i].destination, "/dev") == 0 && spec->mounts[i].type &&
            strcmp(spec->mounts[i].type, "tmpfs") == 0)
            own_dev = true;
    if (!own_dev && spec->n_devices == 0)
        return 0;
    if (own_dev) {
        for (size_t i = 0; i < sizeof default_devices / sizeof default_devices[0]; i++)
            if (make_device(root_fd, default_devices[i].path, 'c', default_devices[i].maj,
                            default_devices[i].min, 0666, 0, 0, in_userns, err) < 0)
                return -1;
    }
    for (size_t i = 0; i < spec->n_devices; i++) {
        const struct oci_device *d = &spec->devices[i];
        if (make_device(root_fd, d->path, d->type, (unsigned)d->major, (unsigned)d->minor,
                        d->has_mode ? d->mode : 0666, d->has_uid ? d->uid : 0,
                        d->has_gid ? d->gid : 0, in_userns, err) < 0)
            return -1;
    }
    if (own_dev) {
        static const char *const links[][2] = {
            {"/proc/self/fd", "fd"},       {"/proc/self/fd/0", "stdin"},
            {"/proc/self/fd/1", "stdout"}, {"/proc/self/fd/2", "stderr"},
            {"pts/ptmx", "ptmx"},          {"/proc/kcore", "core"},
        };
        int dfd = open_in_root(root_fd, "/dev", false, false);
        if (dfd >= 0) {
            char dpath[64], l[128];
            fd_path(dfd, dpath, sizeof dpath);
            for (size_t i = 0; i < sizeof links / sizeof links[0]; i++) {
                snprintf(l, sizeof l, "%s/%s", dpath, links[i][1]);
                if (symlink(links[i][0], l) < 0 && errno != EEXIST) {
                    close(dfd);
                    return vj_error(err, VMJAIL_ERR_INTERNAL, errno, "/dev/%s", links[i][1]);
                }
            }
            close(dfd);
        }
    }
    return 0;
}

int oci_rootfs_prepare(const struct oci_spec *spec, bool in_userns, vmjail_error **err)
{
    unsigned long prop = MS_SLAVE | MS_REC;
    if (spec->rootfs_propagation) {
        char *opts[] = {spec->rootfs_propagation, NULL};
        unsigned long fl, p;
        bool rec;
        char data[64];
        if (oci_mount_options(opts, &fl, &p, data, sizeof data, &rec) < 0 || p == 0)
            return vj_error(err, VMJAIL_ERR_USAGE, 0, "linux.rootfsPropagation: unknown '%s'",
                            spec->rootfs_propagation);
        prop = p;
    }
    if (mount(NULL, "/", NULL, prop, NULL) < 0)
        return vj_error(err, VMJAIL_ERR_INTERNAL, errno, "make / %s",
                        spec->rootfs_propagation ? spec->rootfs_propagation : "rslave");
    if (mount(spec->root_path, spec->root_path, NULL, MS_BIND | MS_REC, NULL) < 0)
        return vj_error(err, VMJAIL_ERR_INTERNAL, errno, "bind root %s", spec->root_path);
    int root_fd = open(spec->root_path, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (root_fd < 0)
        return vj_error(err, VMJAIL_ERR_INTERNAL, errno, "open root %s", spec->root_path);
    char bundle[4096];
    snprintf(bundle, sizeof bundle, "%s", spec->root_path);
    char *slash = strrchr(bundle, '/');
    if (slash && slash != bundle)
        *slash = '\0';
    int r = 0;
    for (size_t i = 0; r == 0 && i < spec->n_mounts; i++)
        r = mount_one(root_fd, bundle, &spec->mounts[i], in_userns, err);
    if (r == 0)
        r = setup_dev(root_fd, spec, in_userns, err);
    close(root_fd);
    return r;
}

int oci_rootfs_enter(const struct oci_spec *spec, bool no_pivot, vmjail_error **err)
{
    if (chdir(spec->root_path) < 0)
        return vj_error(err, VMJAIL_ERR_INTERNAL, errno, "chdir %s", spec->root_path);
    if (no_pivot) {
        if (mount(spec->root_path, "/", NULL, MS_MOVE, NULL) < 0)
            return vj_error(err, VMJAIL_ERR_INTERNAL, errno, "move root");
        if (chroot(".") < 0)
            return vj_error(err, VMJAIL_ERR_INTERNAL, errno, "chroot");
    } else {
        int old_root = open("/", O_DIRECTORY | O_RDONLY | O_CLOEXEC);
        if (old_root < 0)
            return vj_error(err, VMJAIL_ERR_INTERNAL, errno, "open /");
        if (syscall(SYS_pivot_root, ".", ".") < 0) {
            int e = errno;
            close(old_root);
            return vj_error(err, VMJAIL_ERR_INTERNAL, e, "pivot_root %s", spec->root_path);
        }
        /* The old root is now stacked under the new one at "/": detach it. */
        if (fchdir(old_root) < 0 || mount(NULL, ".", NULL, MS_SLAVE | MS_REC, NULL) < 0 ||
            umount2(".", MNT_DETACH) < 0) {
            int e = errno;
            close(old_root);
            return vj_error(err, VMJAIL_ERR_INTERNAL, e, "detach the old root");
        }
        close(old_root);
    }
    if (chdir("/") < 0)
        return vj_error(err, VMJAIL_ERR_INTERNAL, errno, "chdir /");
    return 0;
}

int oci_rootfs_finish(const struct oci_spec *spec, vmjail_error **err)
{
    for (char **p = spec->readonly_paths; *p; p++) {
        if (mount(*p, *p, NULL, MS_BIND | MS_REC, NULL) < 0) {
            if (errno == ENOENT)
                continue;
            return vj_error(err, VMJAIL_ERR_INTERNAL, errno, "readonly path %s", *p);
        }
        struct statfs fs;
        unsigned long keep = 0;
        if (statfs(*p, &fs) == 0)
            keep = fs.f_flags & (MS_NOSUID | MS_NODEV | MS_NOEXEC);
        if (mount(NULL, *p, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_REC | keep, NULL) < 0)
            return vj_error(err, VMJAIL_ERR_INTERNAL, errno, "readonly path %s", *p);
    }
    for (char **p = spec->masked_paths; *p; p++) {
        struct stat st;
        if (stat(*p, &st) < 0)
            continue;
        int r = S_ISDIR(st.st_mode) ? mount("tmpfs", *p, "tmpfs", MS_RDONLY, "size=0k")
                                    : mount("/dev/null", *p, NULL, MS_BIND, NULL);
        if (r < 0)
            return vj_error(err, VMJAIL_ERR_INTERNAL, errno, "masked path %s", *p);
    }
    if (spec->root_readonly &&
        mount(NULL, "/", NULL, MS_REMOUNT | MS_BIND | MS_RDONLY, NULL) < 0)
        return vj_error(err, VMJAIL_ERR_INTERNAL, errno, "make the root read-only");
    return 0;
}
