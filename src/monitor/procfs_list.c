/* procfs_list.c: the /proc directory as the payload lists it: vmjail's helper processes (the
 * process platform's stub and keeper beside each payload process, in its pid namespace; the
 * teardown helpers, briefly) left out, so that ps, top and `ls /proc` show the payload's
 * processes as Linux would.  They stay reachable by number.  Known by name (host/vm.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/magic.h>

#include "host/vm.h"
#include "monitor/procfs.h"
#include "monitor/sys.h"
#include "monitor/syscall.h"

/* struct linux_dirent64's fixed part: d_ino, d_off, d_reclen, d_type, then the name. */
#define DIRENT_NAME 19
#define DIRENT_RECLEN 16

static bool is_proc_root(int fd)
{
    struct statfs sf;
    struct stat st;
    return fstatfs(fd, &sf) == 0 && sf.f_type == PROC_SUPER_MAGIC && fstat(fd, &st) == 0 &&
           st.st_ino == 1 /* procfs's root */;
}

bool vj_procfs_is_helper(int proc, pid_t pid)
{
    char path[40], comm[32];
    snprintf(path, sizeof path, proc == AT_FDCWD ? "/proc/%d/comm" : "%d/comm", (int)pid);
    int fd = openat(proc, path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return false;
    ssize_t n = read(fd, comm, sizeof comm - 1);
    close(fd);
    if (n <= 0)
        return false;
    comm[n] = '\0';
    comm[strcspn(comm, "\n")] = '\0';
    return strcmp(comm, VJ_VM_HELPER_NAME) == 0 || strcmp(comm, VJ_VM_KEEPER_NAME) == 0 ||
           strcmp(comm, VJ_VM_TEARDOWN_NAME) == 0;
}

/* Is NAME (an entry of the /proc open as DIR) one of vmjail's helpers? */
static bool is_helper_entry(int dir, const char *name)
{
    if (name[0] < '1' || name[0] > '9' || strspn(name, "0123456789") != strlen(name))
        return false;
    return vj_procfs_is_helper(dir, (pid_t)atoi(name));
}

/* Drop the helpers' entries from the N bytes of BUF; the bytes kept. */
static size_t drop_stubs(int dir, uint8_t *buf, size_t n)
{
    size_t in = 0, out = 0;
    while (in + DIRENT_NAME < n) {
        uint16_t reclen;
        memcpy(&reclen, buf + in + DIRENT_RECLEN, sizeof reclen);
        if (reclen <= DIRENT_NAME || reclen > n - in)
            break; /* not what the host wrote: leave the rest as it is */
        char name[32];
        size_t len = strnlen((char *)buf + in + DIRENT_NAME, reclen - DIRENT_NAME);
        bool numeric = len < sizeof name;
        if (numeric) {
            memcpy(name, buf + in + DIRENT_NAME, len);
            name[len] = '\0';
        }
        if (!(numeric && is_helper_entry(dir, name))) {
            memmove(buf + out, buf + in, reclen);
            out += reclen;
        }
        in += reclen;
    }
    memmove(buf + out, buf + in, n - in);
    return out + (n - in);
}

int64_t vj_sys_getdents64(struct vj_proc *p, const uint64_t a[6])
{
    const struct vj_syscall_desc *d = vj_syscall_lookup(SYS_getdents64);
    for (;;) {
        int64_t r = vj_syscall_pass(p, SYS_getdents64, d, a);
        if (r <= 0 || !is_proc_root((int)a[0]))
            return r;
        uint8_t *buf = malloc((size_t)r);
        if (buf == NULL)
            return r;
        if (vj_copy_from_guest(p, buf, a[1], (uint64_t)r) < 0) {
            free(buf);
            return -EFAULT;
        }
        size_t kept = drop_stubs((int)a[0], buf, (size_t)r);
        int e = kept > 0 ? vj_copy_to_guest(p, a[1], buf, kept) : 0;
        free(buf);
        if (e < 0)
            return -EFAULT;
        if (kept > 0)
            return (int64_t)kept;
        /* Every entry read was a helper's: read on, or an empty read would mean the end. */
    }
}
