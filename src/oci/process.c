/* process.c: the container process's own settings: sysctls, hostname, rlimits, identity,
 * capabilities, no_new_privs, and its terminal (a pty whose master goes to the console
 * socket). */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#include "lib/error.h"
#include "oci/oci.h"

int oci_apply_sysctl(const struct oci_spec *spec, vmjail_error **err)
{
    for (size_t i = 0; i < spec->n_sysctl; i++) {
        const char *key = spec->sysctl[i].key;
        if (strstr(key, "..") || key[0] == '/' || key[0] == '\0')
            return vj_error(err, VMJAIL_ERR_USAGE, 0, "linux.sysctl: bad key '%s'", key);
        char path[512];
        snprintf(path, sizeof path, "/proc/sys/%s", key);
        for (char *c = path + 10; *c; c++)
            if (*c == '.')
                *c = '/';
        if (oci_write_file(path, spec->sysctl[i].value, err) < 0)
            return vj_error_wrap(err, "linux.sysctl %s", key);
    }
    if (spec->hostname && spec->hostname[0] &&
        sethostname(spec->hostname, strlen(spec->hostname)) < 0)
        return vj_error(err, VMJAIL_ERR_INTERNAL, errno, "sethostname %s", spec->hostname);
    if (spec->domainname && spec->domainname[0] &&
        setdomainname(spec->domainname, strlen(spec->domainname)) < 0)
        return vj_error(err, VMJAIL_ERR_INTERNAL, errno, "setdomainname %s", spec->domainname);
    return 0;
}

/* The bounding set: needs CAP_SETPCAP, so it is done while still root. */
static int drop_bounding(uint64_t keep, vmjail_error **err)
{
    for (int cap = 0; cap <= CAP_LAST_CAP; cap++) {
        if (keep & (1ULL << cap))
            continue;
        if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && errno != EINVAL)
            return vj_error(err, VMJAIL_ERR_INTERNAL, errno, "drop capability %d", cap);
    }
    return 0;
}

/* Effective, permitted and inheritable (permitted kept across setuid by KEEPCAPS), then the
 * ambient set. */
static int set_caps(const struct oci_caps *c, vmjail_error **err)
{
    cap_t caps = cap_init();
    if (caps == NULL)
        return vj_error(err, VMJAIL_ERR_INTERNAL, errno, "capabilities");
    for (int cap = 0; cap <= CAP_LAST_CAP; cap++) {
        cap_value_t v = cap;
        if (c->effective & (1ULL << cap))
            cap_set_flag(caps, CAP_EFFECTIVE, 1, &v, CAP_SET);
        if (c->permitted & (1ULL << cap))
            cap_set_flag(caps, CAP_PERMITTED, 1, &v, CAP_SET);
        if (c->inheritable & (1ULL << cap))
            cap_set_flag(caps, CAP_INHERITABLE, 1, &v, CAP_SET);
    }
    int r = cap_set_proc(caps);
    int e = errno;
    cap_free(caps);
    if (r < 0)
        return vj_error(err, VMJAIL_ERR_INTERNAL, e, "set capabilities");
    prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
    for (int cap = 0; cap <= CAP_LAST_CAP; cap++)
        if (c->ambient & (1ULL << cap))
            prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0); /* runc ignores failures */
    return 0;
}

int oci_process_apply(const struct oci_process *p, vmjail_error **err)
{
    for (size_t i = 0; i < p->n_rlimits; i++) {
        struct rlimit rl = {p->rlimits[i].soft, p->rlimits[i].hard};
        if (setrlimit(p->rlimits[i].resource, &rl) < 0)
            return vj_error(err, VMJAIL_ERR_INTERNAL, errno, "setrlimit %d", p->rlimits[i].resource);
    }
    if (p->has_oom_score_adj) {
        char v[16];
        snprintf(v, sizeof v, "%d", p->oom_score_adj);
        if (oci_write_file("/proc/self/oom_score_adj", v, err) < 0)
            return -1;
    }
    if (p->caps.present && drop_bounding(p->caps.bounding, err) < 0)
        return -1;
    /* Keep the permitted set across setuid; the configured sets are applied after. */
    if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
        return vj_error(err, VMJAIL_ERR_INTERNAL, errno, "keep capabilities");
    if (setgroups(p->n_additional_gids, p->additional_gids) < 0 && errno != EPERM)
        return vj_error(err, VMJAIL_ERR_INTERNAL, errno, "setgroups");
    if (setresgid(p->gid, p->gid, p->gid) < 0)
        return vj_error(err, VMJAIL_ERR_INTERNAL, errno, "setgid %u", p->gid);
    if (setresuid(p->uid, p->uid, p->uid) < 0)
        return vj_error(err, VMJAIL_ERR_INTERNAL, errno, "setuid %u", p->uid);
    if (p->caps.present && set_caps(&p->caps, err) < 0)
        return -1;
    prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0);
    if (p->no_new_privileges && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
        return vj_error(err, VMJAIL_ERR_INTERNAL, errno, "no_new_privs");
    umask(p->has_umask ? (mode_t)p->umask : 022);
    if (chdir(p->cwd) < 0)
        return vj_error(err, VMJAIL_ERR_USAGE, errno, "process.cwd %s", p->cwd);
    return 0;
}

int oci_console_connect(const char *path, vmjail_error **err)
{
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    if (strlen(path) >= sizeof addr.sun_path)
        return vj_error(err, VMJAIL_ERR_USAGE, ENAMETOOLONG, "--console-socket %s", path);
    strcpy(addr.sun_path, path);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return vj_error(err, VMJAIL_ERR_INTERNAL, errno, "console socket");
    if (connect(fd, (struct sockaddr *)&addr, sizeof addr) < 0) {
        int e = errno;
        close(fd);
        return vj_error(err, VMJAIL_ERR_USAGE, e, "connect to console socket %s", path);
    }
    return fd;
}

int oci_console_setup(int console_fd, const struct oci_process *proc, vmjail_error **err)
{
    int master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (master < 0)
        return vj_error(err, VMJAIL_ERR_INTERNAL, errno, "open /dev/ptmx");
    int unlock = 0;
    char name[64];
    if (ioctl(master, TIOCSPTLCK, &unlock) < 0 || ptsname_r(master, name, sizeof name) != 0) {
        int e = errno;
        close(master);
        return vj_error(err, VMJAIL_ERR_INTERNAL, e, "unlock the pty");
    }
    int slave = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (slave < 0) {
        int e = errno;
        close(master);
        return vj_error(err, VMJAIL_ERR_INTERNAL, e, "open %s", name);
    }
    if (proc->console_height || proc->console_width) {
        struct winsize ws = {.ws_row = (unsigned short)proc->console_height,
                             .ws_col = (unsigned short)proc->console_width};
        ioctl(slave, TIOCSWINSZ, &ws);
    }
    /* Send the master as runc does: SCM_RIGHTS with the pty's name as the data. */
    char cbuf[CMSG_SPACE(sizeof(int))] = {0};
    struct iovec iov = {.iov_base = name, .iov_len = strlen(name)};
    struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
                         .msg_controllen = sizeof cbuf};
    struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);
    cm->cmsg_level = SOL_SOCKET;
    cm->cmsg_type = SCM_RIGHTS;
    cm->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(cm), &master, sizeof(int));
    ssize_t n = sendmsg(console_fd, &msg, MSG_NOSIGNAL);
    int e = errno;
    close(master);
    close(console_fd);
    if (n < 0) {
        close(slave);
        return vj_error(err, VMJAIL_ERR_INTERNAL, e, "send the pty to the console socket");
    }
    if (setsid() < 0 && errno != EPERM) {
        close(slave);
        return vj_error(err, VMJAIL_ERR_INTERNAL, errno, "setsid");
    }
    if (ioctl(slave, TIOCSCTTY, 0) < 0) {
        int e2 = errno;
        close(slave);
        return vj_error(err, VMJAIL_ERR_INTERNAL, e2, "make %s the controlling terminal", name);
    }
    for (int fd = 0; fd < 3; fd++)
        if (dup2(slave, fd) < 0) {
            int e2 = errno;
            close(slave);
            return vj_error(err, VMJAIL_ERR_INTERNAL, e2, "terminal as stdio");
        }
    close(slave);
    return 0;
}
