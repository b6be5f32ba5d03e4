/* procfs.c: /proc/self/{exe,maps,auxv,cmdline,environ} as the payload sees them: generated
 * from the guest's state (memfd files, readlink answers) instead of the monitor's. */
#include "procfs.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "syscall.h"

static char *join(char *const v[], size_t *len)
{
    size_t n = 0;
    for (size_t i = 0; v && v[i]; i++)
        n += strlen(v[i]) + 1;
    char *s = malloc(n ? n : 1);
    if (s == NULL)
        return NULL;
    size_t k = 0;
    for (size_t i = 0; v && v[i]; i++) {
        size_t l = strlen(v[i]) + 1;
        memcpy(s + k, v[i], l);
        k += l;
    }
    *len = n;
    return s;
}

int vj_procfs_init(struct vj_proc *p, const char *exe, char *const argv[], char *const envp[])
{
    p->exe = realpath(exe, NULL);
    if (p->exe == NULL)
        p->exe = strdup(exe);
    p->cmdline = join(argv, &p->cmdline_len);
    if (p->proctitle)
        vj_proctitle_set(argv);
    p->environ = join(envp, &p->environ_len);
    return p->exe && p->cmdline && p->environ ? 0 : -ENOMEM;
}

/* A file mapping's name: the most recent record that covers a range names it. */
struct vj_file_map {
    uint64_t start, end;
    char *path;
};

#define MAX_FILE_MAPS 4096

void vj_procfs_note_file(struct vj_proc *p, uint64_t start, uint64_t end, int fd)
{
    char link[64], path[PATH_MAX];
    snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    ssize_t n = readlink(link, path, sizeof path - 1);
    if (n <= 0)
        return;
    path[n] = '\0';
    if (p->nfile_maps == MAX_FILE_MAPS) { /* forget the oldest */
        free(p->file_maps[0].path);
        memmove(p->file_maps, p->file_maps + 1, (MAX_FILE_MAPS - 1) * sizeof *p->file_maps);
        p->nfile_maps--;
    }
    if (p->file_maps == NULL &&
        (p->file_maps = calloc(MAX_FILE_MAPS, sizeof *p->file_maps)) == NULL)
        return;
    char *copy = strdup(path);
    if (copy == NULL)
        return;
    p->file_maps[p->nfile_maps++] = (struct vj_file_map){start, end, copy};
}

static const char *file_name(const struct vj_proc *p, const struct vj_vma *v)
{
    for (size_t i = p->nfile_maps; i-- > 0;)
        if (p->file_maps[i].start <= v->start && v->end <= p->file_maps[i].end)
            return p->file_maps[i].path;
    return "";
}

void vj_procfs_fini(struct vj_proc *p)
{
    for (size_t i = 0; i < p->nfile_maps; i++)
        free(p->file_maps[i].path);
    free(p->file_maps);
    p->file_maps = NULL;
    p->nfile_maps = 0;
    free(p->exe);
    free(p->cmdline);
    free(p->environ);
    free(p->interp);
    p->exe = p->cmdline = p->environ = p->interp = NULL;
}

enum entry { E_NONE, E_EXE, E_MAPS, E_AUXV, E_CMDLINE, E_ENVIRON, E_OTHER_CMDLINE };

/* Which /proc entry of the payload itself PATH names, if any: /proc/self/X,
 * /proc/thread-self/X, /proc/PID/X and /proc/PID/task/TID/X for the payload's own pid. */
static enum entry entry_of(const char *path)
{
    if (strncmp(path, "/proc/", 6) != 0)
        return E_NONE;
    const char *r = path + 6;
    char pid[16];
    snprintf(pid, sizeof pid, "%d/", (int)getpid());
    if (strncmp(r, "self/", 5) == 0)
        r += 5;
    else if (strncmp(r, "thread-self/", 12) == 0)
        r += 12;
    else if (strncmp(r, pid, strlen(pid)) == 0)
        r += strlen(pid);
    else if (r[0] >= '1' && r[0] <= '9' && strspn(r, "0123456789") < 12 &&
             strcmp(r + strspn(r, "0123456789"), "/cmdline") == 0)
        return E_OTHER_CMDLINE; /* another process: another monitor shows its payload's argv */
    else
        return E_NONE;
    if (strncmp(r, "task/", 5) == 0) {
        const char *slash = strchr(r + 5, '/');
        if (slash == NULL)
            return E_NONE;
        r = slash + 1;
    }
    static const struct {
        const char *name;
        enum entry e;
    } names[] = {{"exe", E_EXE}, {"maps", E_MAPS}, {"auxv", E_AUXV},
                 {"cmdline", E_CMDLINE}, {"environ", E_ENVIRON}};
    for (size_t i = 0; i < sizeof names / sizeof *names; i++)
        if (strcmp(r, names[i].name) == 0)
            return names[i].e;
    return E_NONE;
}

const char *vj_procfs_path(struct vj_proc *p, const char *path)
{
    return entry_of(path) == E_EXE ? p->exe : path;
}

/* The path argument of an open or readlink, if it may name one of our entries: only absolute
 * paths under /proc are looked at (the rest go straight to the host). */
static enum entry guest_entry(struct vj_proc *p, uint64_t gva, char *buf, size_t size)
{
    char head[6];
    if (vj_copy_from_guest(p, head, gva, sizeof head) < 0 || memcmp(head, "/proc/", 6) != 0)
        return E_NONE;
    if (vj_strncpy_from_guest(p, buf, gva, size) < 0)
        return E_NONE;
    return entry_of(buf);
}

static int memfd_with(const char *name, const void *data, size_t len)
{
    int fd = memfd_create(name, MFD_CLOEXEC);
    if (fd < 0)
        return -errno;
    const char *d = data;
    while (len > 0) {
        ssize_t n = write(fd, d, len);
        if (n <= 0) {
            close(fd);
            return -EIO;
        }
        d += n;
        len -= (size_t)n;
    }
    lseek(fd, 0, SEEK_SET);
    return fd;
}

static const char *vma_name(const struct vj_proc *p, const struct vj_vma *v)
{
    if (v->kind == VJ_VMA_HEAP)
        return "[heap]";
    if (v->kind == VJ_VMA_STACK)
        return "[stack]";
    if (v->start >= p->image_lo && v->end <= p->image_hi)
        return p->exe;
    if (p->interp && v->start >= p->interp_lo && v->end <= p->interp_hi)
        return p->interp;
    return v->kind == VJ_VMA_FILE ? file_name(p, v) : "";
}

/* /proc/self/maps of the guest, in the kernel's format. */
static int maps_fd(struct vj_proc *p)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (f == NULL)
        return -ENOMEM;
    pthread_mutex_lock(&p->mm_lock);
    for (size_t i = 0; i < p->vmas.n; i++) {
        const struct vj_vma *v = &p->vmas.v[i];
        const char *name = vma_name(p, v);
        fprintf(f, "%08llx-%08llx %c%c%c%c %08llx 00:00 0%s%s\n",
                (unsigned long long)v->start, (unsigned long long)v->end,
                (v->prot & PROT_READ) ? 'r' : '-', (v->prot & PROT_WRITE) ? 'w' : '-',
                (v->prot & PROT_EXEC) ? 'x' : '-', v->shared ? 's' : 'p', 0ULL,
                *name ? "                          " : "", name);
    }
    pthread_mutex_unlock(&p->mm_lock);
    fclose(f);
    int fd = memfd_with("maps", buf, len);
    free(buf);
    return fd;
}

/* /proc/PID/cmdline of another process: the host's, without the NUL padding a monitor's
 * argv area has after its payload's argv (see proctitle.c). */
static int64_t other_cmdline(const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    char buf[8192];
    size_t len = 0;
    ssize_t n;
    while (len < sizeof buf && (n = read(fd, buf + len, sizeof buf - len)) > 0)
        len += (size_t)n;
    close(fd);
    while (len > 1 && buf[len - 1] == '\0' && buf[len - 2] == '\0')
        len--;
    return memfd_with("cmdline", buf, len);
}

static int64_t open_entry(struct vj_proc *p, enum entry e, const char *path, int flags)
{
    if ((flags & O_ACCMODE) != O_RDONLY)
        return -EACCES;
    switch (e) {
    case E_EXE: {
        int fd = open(p->exe, flags | O_CLOEXEC);
        if (fd >= 0 && !(flags & O_CLOEXEC))
            fcntl(fd, F_SETFD, 0);
        return fd < 0 ? -errno : fd;
    }
    case E_MAPS:
        return maps_fd(p);
    case E_AUXV: {
        uint8_t *a = malloc(p->auxv_len ? p->auxv_len : 1);
        if (a == NULL)
            return -ENOMEM;
        int r = vj_copy_from_guest(p, a, p->auxv_gva, p->auxv_len);
        int fd = r < 0 ? r : memfd_with("auxv", a, p->auxv_len);
        free(a);
        return fd;
    }
    case E_CMDLINE:
        return memfd_with("cmdline", p->cmdline, p->cmdline_len);
    case E_ENVIRON:
        return memfd_with("environ", p->environ, p->environ_len);
    case E_OTHER_CMDLINE:
        return other_cmdline(path);
    default:
        return -ENOENT;
    }
}

/* The memfd descriptors above are close-on-exec unless the payload did not ask for it. */
static int64_t fix_cloexec(int64_t fd, int flags)
{
    if (fd >= 0 && !(flags & O_CLOEXEC))
        fcntl((int)fd, F_SETFD, 0);
    return fd;
}

/* open and openat: the payload's /proc/self entries, else the host.  The path is argument
 * PATH_ARG and the flags the one after it. */
static int64_t open_path(struct vj_proc *p, long nr, int path_arg, const uint64_t a[6])
{
    char path[PATH_MAX];
    int flags = (int)a[path_arg + 1];
    enum entry e = guest_entry(p, a[path_arg], path, sizeof path);
    if (e != E_NONE)
        return fix_cloexec(open_entry(p, e, path, flags), flags);
    return vj_syscall_pass(p, (uint64_t)nr, vj_syscall_lookup((uint64_t)nr), a);
}

int64_t vj_sys_open(struct vj_proc *p, const uint64_t a[6])
{
    return open_path(p, SYS_open, 0, a);
}

int64_t vj_sys_openat(struct vj_proc *p, const uint64_t a[6])
{
    return open_path(p, SYS_openat, 1, a);
}

static int64_t readlink_exe(struct vj_proc *p, uint64_t buf, uint64_t size)
{
    if ((int64_t)size <= 0)
        return -EINVAL;
    size_t n = strlen(p->exe);
    if (n > size)
        n = size;
    return vj_copy_to_guest(p, buf, p->exe, n) < 0 ? -EFAULT : (int64_t)n;
}

/* readlink and readlinkat: the payload's /proc/self/exe is its program, else the host.  The
 * path is argument PATH_ARG, the buffer and its size the two after it. */
static int64_t readlink_path(struct vj_proc *p, long nr, int path_arg, const uint64_t a[6])
{
    char path[PATH_MAX];
    if (guest_entry(p, a[path_arg], path, sizeof path) == E_EXE)
        return readlink_exe(p, a[path_arg + 1], a[path_arg + 2]);
    return vj_syscall_pass(p, (uint64_t)nr, vj_syscall_lookup((uint64_t)nr), a);
}

int64_t vj_sys_readlink(struct vj_proc *p, const uint64_t a[6])
{
    return readlink_path(p, SYS_readlink, 0, a);
}

int64_t vj_sys_readlinkat(struct vj_proc *p, const uint64_t a[6])
{
    return readlink_path(p, SYS_readlinkat, 1, a);
}
