/* namespaces.c: the runtime <-> container messages, and how a container process gets its
 * namespaces: join those given by path, make the new ones, then fork into a new pid
 * namespace. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lib/error.h"
#include "oci/sync.h"

int oci_sync_send(int fd, int type, int value, const char *text)
{
    struct oci_sync_msg m = {.type = type, .value = value};
    if (text)
        snprintf(m.text, sizeof m.text, "%s", text);
    ssize_t n;
    do
        n = send(fd, &m, sizeof m, MSG_NOSIGNAL);
    while (n < 0 && errno == EINTR);
    return n == (ssize_t)sizeof m ? 0 : -1;
}

int oci_sync_recv(int fd, struct oci_sync_msg *msg, vmjail_error **err)
{
    ssize_t n;
    do
        n = recv(fd, msg, sizeof *msg, 0);
    while (n < 0 && errno == EINTR);
    if (n == (ssize_t)sizeof *msg) {
        msg->text[sizeof msg->text - 1] = '\0';
        return 0;
    }
    if (n < 0)
        return vj_error(err, VMJAIL_ERR_INTERNAL, errno, "container process");
    return vj_error(err, VMJAIL_ERR_INTERNAL, 0, "the container process ended during setup");
}

int oci_sync_error(const struct oci_sync_msg *msg, vmjail_error **err)
{
    return vj_error(err, msg->value ? (enum vmjail_error_kind)msg->value : VMJAIL_ERR_INTERNAL, 0,
                    "%s", msg->text);
}

int oci_sync_expect(int fd, int type, struct oci_sync_msg *msg, vmjail_error **err)
{
    if (oci_sync_recv(fd, msg, err) < 0)
        return -1;
    if (msg->type == OCI_SYNC_ERROR)
        return oci_sync_error(msg, err);
    if (msg->type != type)
        return vj_error(err, VMJAIL_ERR_INTERNAL, 0, "container process: unexpected message %d",
                        msg->type);
    return 0;
}

_Noreturn void oci_sync_fail(int fd, vmjail_error *err)
{
    oci_sync_send(fd, OCI_SYNC_ERROR, err ? (int)vmjail_error_kind(err) : VMJAIL_ERR_INTERNAL,
                  err ? vmjail_error_message(err) : "failed");
    vmjail_error_free(err);
    _exit(125);
}

/* A new network namespace's loopback interface up, as runc brings it up: a container talks
 * to itself over 127.0.0.1 (and only it can). */
static int loopback_up(void)
{
    int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (s < 0)
        return -1;
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    strcpy(ifr.ifr_name, "lo");
    int r = ioctl(s, SIOCGIFFLAGS, &ifr);
    if (r == 0 && !(ifr.ifr_flags & IFF_UP)) {
        ifr.ifr_flags |= IFF_UP;
        r = ioctl(s, SIOCSIFFLAGS, &ifr);
    }
    int e = errno;
    close(s);
    errno = e;
    return r;
}

int oci_enter_namespaces(int sync_fd, const int *ns_fds, const int *ns_flags, size_t n_fds,
                         int new_flags)
{
    vmjail_error *err = NULL;
    /* A user namespace first: the others are then joined with its privileges. */
    for (int pass = 0; pass < 2; pass++) {
        for (size_t i = 0; i < n_fds; i++) {
            if ((ns_flags[i] == CLONE_NEWUSER) != (pass == 0))
                continue;
            if (setns(ns_fds[i], ns_flags[i]) < 0) {
                vj_error(&err, VMJAIL_ERR_INTERNAL, errno, "join the %s namespace",
                         oci_namespace_proc_name(ns_flags[i]));
                oci_sync_fail(sync_fd, err);
            }
            close(ns_fds[i]);
        }
    }
    if (new_flags && unshare(new_flags) < 0) {
        vj_error(&err, VMJAIL_ERR_INTERNAL, errno, "make new namespaces (flags %#x)", new_flags);
        oci_sync_fail(sync_fd, err);
    }
    if (new_flags & CLONE_NEWUSER) {
        struct oci_sync_msg m;
        if (oci_sync_send(sync_fd, OCI_SYNC_USERMAP, 0, NULL) < 0 ||
            oci_sync_expect(sync_fd, OCI_SYNC_USERMAP_ACK, &m, &err) < 0)
            _exit(125);
    }
    bool in_userns = new_flags & CLONE_NEWUSER;
    for (size_t i = 0; i < n_fds; i++)
        in_userns |= ns_flags[i] == CLONE_NEWUSER;
    if (in_userns && (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0)) {
        vj_error(&err, VMJAIL_ERR_INTERNAL, errno, "become root in the user namespace");
        oci_sync_fail(sync_fd, err);
    }
    if ((new_flags & CLONE_NEWNET) && loopback_up() < 0) {
        vj_error(&err, VMJAIL_ERR_INTERNAL, errno, "bring the loopback interface up");
        oci_sync_fail(sync_fd, err);
    }
    /* A new or joined pid namespace applies to children: the container process is one. */
    pid_t child = fork();
    if (child < 0) {
        vj_error(&err, VMJAIL_ERR_INTERNAL, errno, "fork the container process");
        oci_sync_fail(sync_fd, err);
    }
    if (child == 0)
        return 0;
    oci_sync_send(sync_fd, OCI_SYNC_PID, child, NULL);
    _exit(0);
}

void oci_close_fds_from(int first, const int *keep, size_t n_keep)
{
    DIR *d = opendir("/proc/self/fd");
    if (d == NULL) {
        for (int fd = first; fd < 1024; fd++) {
            bool kept = false;
            for (size_t i = 0; i < n_keep; i++)
                kept |= keep[i] == fd;
            if (!kept)
                close(fd);
        }
        return;
    }
    int self = dirfd(d);
    int fds[1024];
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL && n < sizeof fds / sizeof fds[0]) {
        if (e->d_name[0] == '.')
            continue;
        int fd = atoi(e->d_name);
        if (fd < first || fd == self)
            continue;
        bool kept = false;
        for (size_t i = 0; i < n_keep; i++)
            kept |= keep[i] == fd;
        if (!kept)
            fds[n++] = fd;
    }
    closedir(d);
    for (size_t i = 0; i < n; i++)
        close(fds[i]);
}

static int write_map(pid_t pid, const char *file, const struct oci_idmap *m, size_t n,
                     vmjail_error **err)
{
    char text[4096] = "", path[64];
    size_t used = 0;
    for (size_t i = 0; i < n; i++) {
        int k = snprintf(text + used, sizeof text - used, "%u %u %u\n", m[i].container_id,
                         m[i].host_id, m[i].size);
        if (k < 0 || (size_t)k >= sizeof text - used)
            return vj_error(err, VMJAIL_ERR_USAGE, 0, "%s: too many mappings", file);
        used += (size_t)k;
    }
    if (n == 0) /* no mapping given: map root to root, as a privileged runtime can */
        snprintf(text, sizeof text, "0 0 1\n");
    snprintf(path, sizeof path, "/proc/%d/%s", (int)pid, file);
    return oci_write_file(path, text, err);
}

/* Is M (N entries) the caller's own id alone, which it may map itself? */
static bool self_map(const struct oci_idmap *m, size_t n, uint32_t self)
{
    return n == 1 && m[0].host_id == self && m[0].size == 1;
}

int oci_write_id_maps(pid_t pid, const struct oci_spec *spec, vmjail_error **err)
{
    /* Without root, anything more than the caller's own ids goes through newuidmap and
     * newgidmap, which check it against /etc/subuid and /etc/subgid. */
    if (geteuid() != 0 &&
        !(self_map(spec->uid_mappings, spec->n_uid_mappings, geteuid()) &&
          self_map(spec->gid_mappings, spec->n_gid_mappings, getegid())))
        return oci_write_id_maps_helper(pid, spec, err);
    /* Without CAP_SETGID over the new namespace (a rootless runtime), the kernel takes a
     * gid_map only once setgroups is denied in it. */
    if (geteuid() != 0) {
        char path[64];
        snprintf(path, sizeof path, "/proc/%d/setgroups", (int)pid);
        int fd = open(path, O_WRONLY | O_CLOEXEC);
        if (fd < 0 || write(fd, "deny", 4) != 4) {
            int e = errno;
            if (fd >= 0)
                close(fd);
            return vj_error(err, VMJAIL_ERR_INTERNAL, e, "write %s", path);
        }
        close(fd);
    }
    if (write_map(pid, "uid_map", spec->uid_mappings, spec->n_uid_mappings, err) < 0 ||
        write_map(pid, "gid_map", spec->gid_mappings, spec->n_gid_mappings, err) < 0)
        return -1;
    return 0;
}
