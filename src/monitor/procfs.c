/* procfs.c: /proc/self/{exe,maps,auxv,cmdline,environ,limits} as the payload sees them: generated
 * from the guest's state (memfd files, readlink answers) instead of the monitor's; and exe,
 * cmdline and environ of the other payload processes (other vmjail monitors), which each
 * monitor publishes for the others in a memfd of its own. */
#include "monitor/procfs.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include "monitor/sys.h"

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

/* What a monitor publishes of its payload for the others: this header, then the program's
 * path (NUL-terminated), its cmdline and its environ. */
struct published {
    uint32_t magic, exe_len, cmdline_len, environ_len;
};
#define PUBLISHED_MAGIC 0x766a7066u
#define PUBLISHED_NAME "vmjail-payload"

/* Publish P's exe, cmdline and environ in a fresh memfd put at one of the monitor's own
 * descriptors (replaced, never rewritten: a fork's child shares the old one, and it is still
 * right for the child). */
static void publish(struct vj_proc *p)
{
    if (p->vm == NULL)
        return;
    int fd = memfd_create(PUBLISHED_NAME, MFD_CLOEXEC);
    if (fd < 0)
        return;
    struct published h = {PUBLISHED_MAGIC, (uint32_t)strlen(p->exe) + 1,
                          (uint32_t)p->cmdline_len, (uint32_t)p->environ_len};
    struct iovec v[4] = {{&h, sizeof h}, {p->exe, h.exe_len}, {p->cmdline, p->cmdline_len},
                         {p->environ, p->environ_len}};
    size_t total = sizeof h + h.exe_len + p->cmdline_len + p->environ_len;
    if (writev(fd, v, 4) != (ssize_t)total) {
        close(fd);
        return;
    }
    if (p->published_fd <= 0) { /* 0: none yet (the process starts zeroed) */
        p->published_fd = vj_vm_own_fd(p->vm, fd);
        return;
    }
    dup3(fd, p->published_fd, O_CLOEXEC);
    close(fd);
}

int vj_procfs_init(struct vj_proc *p, const char *exe, char *const argv[], char *const envp[])
{
    p->exe = realpath(exe, NULL);
    if (p->exe == NULL)
        p->exe = strdup(exe);
    p->cmdline = join(argv, &p->cmdline_len);
    if (p->proctitle)
        vj_proctitle_set(argv); /* the host's view (ps) of this monitor */
    p->environ = join(envp, &p->environ_len);
    if (!(p->exe && p->cmdline && p->environ))
        return -ENOMEM;
    /* /proc/PID/stat and status name the program, not the monitor. */
    const char *base = strrchr(p->exe, '/');
    prctl(PR_SET_NAME, base ? base + 1 : p->exe);
    publish(p);
    return 0;
}

/* The monitor's own program (the host's /proc/self/exe), which other monitors share. */
static const char *monitor_exe(void)
{
    static char exe[PATH_MAX];
    static int done;
    if (!__atomic_load_n(&done, __ATOMIC_ACQUIRE)) {
        char buf[PATH_MAX];
        ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
        buf[n > 0 ? n : 0] = '\0';
        memcpy(exe, buf, sizeof exe);
        __atomic_store_n(&done, 1, __ATOMIC_RELEASE);
    }
    return exe;
}

bool vj_procfs_is_self(long pid)
{
    char task[48];
    snprintf(task, sizeof task, "/proc/self/task/%ld", pid);
    return pid == getpid() || (pid > 0 && access(task, F_OK) == 0);
}

bool vj_procfs_is_monitor(pid_t pid)
{
    char link[64], buf[PATH_MAX];
    snprintf(link, sizeof link, "/proc/%d/exe", (int)pid);
    ssize_t n = readlink(link, buf, sizeof buf - 1);
    if (n <= 0)
        return false;
    buf[n] = '\0';
    return *monitor_exe() && strcmp(buf, monitor_exe()) == 0;
}

/* Another monitor's published payload: its exe, cmdline and environ, in one malloc'd block
 * (*EXE; free it).  Found among that monitor's descriptors by its memfd's name. */
static int read_published(pid_t pid, char **exe, const char **cmdline, size_t *cmdline_len,
                          const char **env, size_t *env_len)
{
    char dir[64], link[64 + 256 + 2], target[64];
    snprintf(dir, sizeof dir, "/proc/%d/fd", (int)pid);
    DIR *d = opendir(dir);
    if (d == NULL)
        return -ENOENT;
    int fd = -1;
    struct dirent *e;
    while (fd < 0 && (e = readdir(d)) != NULL) {
        snprintf(link, sizeof link, "%s/%s", dir, e->d_name);
        ssize_t n = readlink(link, target, sizeof target - 1);
        if (n <= 0)
            continue;
        target[n] = '\0';
        if (strncmp(target, "/memfd:" PUBLISHED_NAME " ", 7 + sizeof PUBLISHED_NAME) == 0)
            fd = open(link, O_RDONLY | O_CLOEXEC);
    }
    closedir(d);
    if (fd < 0)
        return -ENOENT;
    struct published h;
    int r = -EIO;
    char *buf = NULL;
    if (pread(fd, &h, sizeof h, 0) == (ssize_t)sizeof h && h.magic == PUBLISHED_MAGIC &&
        h.exe_len > 0 && h.exe_len <= PATH_MAX && h.cmdline_len <= (64u << 20) &&
        h.environ_len <= (64u << 20)) {
        size_t len = (size_t)h.exe_len + h.cmdline_len + h.environ_len;
        buf = malloc(len + 1);
        if (buf == NULL)
            r = -ENOMEM;
        else if (pread(fd, buf, len, sizeof h) == (ssize_t)len && buf[h.exe_len - 1] == '\0')
            r = 0;
    }
    close(fd);
    if (r < 0) {
        free(buf);
        return r;
    }
    *exe = buf;
    *cmdline = buf + h.exe_len;
    *cmdline_len = h.cmdline_len;
    *env = buf + h.exe_len + h.cmdline_len;
    *env_len = h.environ_len;
    return 0;
}

/* A file mapping's name: the most recent record that covers a range names it. */
struct vj_file_map {
    uint64_t start, end;
    uint64_t offset; /* of START in the file */
    char *path;
};

#define MAX_FILE_MAPS 4096

void vj_procfs_note_file(struct vj_proc *p, uint64_t start, uint64_t end, int fd,
                         uint64_t offset)
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
    p->file_maps[p->nfile_maps++] = (struct vj_file_map){start, end, offset, copy};
}

const char *vj_procfs_file_of(const struct vj_proc *p, uint64_t start, uint64_t end,
                              uint64_t *offset)
{
    for (size_t i = p->nfile_maps; i-- > 0;)
        if (p->file_maps[i].start <= start && end <= p->file_maps[i].end) {
            *offset = p->file_maps[i].offset + (start - p->file_maps[i].start);
            return p->file_maps[i].path;
        }
    return NULL;
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

enum entry { E_NONE, E_EXE, E_MAPS, E_AUXV, E_CMDLINE, E_ENVIRON, E_LIMITS };

/* Which /proc entry of a payload PATH names, if any: /proc/self/X, /proc/thread-self/X,
 * /proc/PID/X and /proc/PID/task/TID/X.  *OTHER is set to PID if that is not the payload's own
 * pid (then only exe, cmdline and environ of another monitor are answered: the caller checks),
 * else to 0. */
static enum entry entry_of(const char *path, pid_t *other)
{
    *other = 0;
    if (strncmp(path, "/proc/", 6) != 0)
        return E_NONE;
    const char *r = path + 6;
    if (strncmp(r, "self/", 5) == 0) {
        r += 5;
    } else if (strncmp(r, "thread-self/", 12) == 0) {
        r += 12;
    } else if (*r >= '1' && *r <= '9') {
        char *end;
        long pid = strtol(r, &end, 10);
        if (*end != '/' || pid <= 0 || pid > INT_MAX)
            return E_NONE;
        if (!vj_procfs_is_self(pid)) /* not a thread of this process */
            *other = (pid_t)pid;
        r = end + 1;
    } else {
        return E_NONE;
    }
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
                 {"cmdline", E_CMDLINE}, {"environ", E_ENVIRON}, {"limits", E_LIMITS}};
    for (size_t i = 0; i < sizeof names / sizeof *names; i++)
        if (strcmp(r, names[i].name) == 0)
            return names[i].e;
    return E_NONE;
}

const char *vj_procfs_path(struct vj_proc *p, const char *path)
{
    pid_t other;
    return entry_of(path, &other) == E_EXE && other == 0 ? p->exe : path;
}

/* The path argument of an open or readlink, if it may name one of our entries: only absolute
 * paths under /proc are looked at (the rest go straight to the host).  Another process's
 * entry is ours to answer only if that process is a monitor, and only for exe, cmdline and
 * environ (the rest of it is the host's view). */
static enum entry guest_entry(struct vj_proc *p, uint64_t gva, char *buf, size_t size,
                              pid_t *other)
{
    char head[6];
    *other = 0;
    if (vj_copy_from_guest(p, head, gva, sizeof head) < 0 || memcmp(head, "/proc/", 6) != 0)
        return E_NONE;
    if (vj_strncpy_from_guest(p, buf, gva, size) < 0)
        return E_NONE;
    enum entry e = entry_of(buf, other);
    if (*other && ((e != E_EXE && e != E_CMDLINE && e != E_ENVIRON) ||
                   !vj_procfs_is_monitor(*other)))
        return E_NONE;
    return e;
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

static const char *vma_name(const struct vj_proc *p, const struct vj_vma *v, char *buf,
                            size_t size)
{
    if (v->kind == VJ_VMA_SHM) { /* as Linux names a SysV segment's */
        snprintf(buf, size, "/SYSV%08x (deleted)", (unsigned)v->shm.key);
        return buf;
    }
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
    uint64_t data, end, code = vj_vm_vdso(p->vm);
    if (vj_vm_vdso_range(p->vm, &data, &end)) /* below every payload mapping */
        fprintf(f, "%08llx-%08llx r--p 00000000 00:00 0                          [vvar]\n"
                   "%08llx-%08llx r-xp 00000000 00:00 0                          [vdso]\n",
                (unsigned long long)data, (unsigned long long)code, (unsigned long long)code,
                (unsigned long long)end);
    pthread_mutex_lock(&p->mm_lock);
    for (size_t i = 0; i < p->vmas.n; i++) {
        const struct vj_vma *v = &p->vmas.v[i];
        char shm[40];
        const char *name = vma_name(p, v, shm, sizeof shm);
        bool sysv = v->kind == VJ_VMA_SHM; /* its offset and the segment's id, as Linux's */
        fprintf(f, "%08llx-%08llx %c%c%c%c %08llx 00:00 %d%s%s\n",
                (unsigned long long)v->start, (unsigned long long)v->end,
                (v->prot & PROT_READ) ? 'r' : '-', (v->prot & PROT_WRITE) ? 'w' : '-',
                (v->prot & PROT_EXEC) ? 'x' : '-', v->shared ? 's' : 'p',
                sysv ? (unsigned long long)v->offset : 0ULL, sysv ? v->shm.shmid : 0,
                *name ? "                          " : "", name);
    }
    pthread_mutex_unlock(&p->mm_lock);
    fclose(f);
    int fd = memfd_with("maps", buf, len);
    free(buf);
    return fd;
}

/* Another monitor's exe, cmdline or environ. */
static int64_t open_other(pid_t pid, enum entry e, int flags)
{
    char *exe;
    const char *cmdline, *env;
    size_t cmdline_len, env_len;
    int r = read_published(pid, &exe, &cmdline, &cmdline_len, &env, &env_len);
    if (r < 0)
        return r;
    int64_t fd;
    if (e == E_EXE) {
        fd = open(exe, flags | O_CLOEXEC);
        fd = fd < 0 ? -errno : fd;
    } else if (e == E_CMDLINE) {
        fd = memfd_with("cmdline", cmdline, cmdline_len);
    } else {
        fd = memfd_with("environ", env, env_len);
    }
    free(exe);
    return fd;
}

static int64_t open_entry(struct vj_proc *p, enum entry e, pid_t other, int flags)
{
    if ((flags & O_ACCMODE) != O_RDONLY)
        return -EACCES;
    if (other)
        return open_other(other, e, flags);
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
    case E_LIMITS: {
        char *text;
        size_t len;
        int r = vj_limits_proc_text(p, &text, &len);
        if (r < 0)
            return r;
        int fd = memfd_with("limits", text, len);
        free(text);
        return fd;
    }
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
    pid_t other;
    enum entry e = guest_entry(p, a[path_arg], path, sizeof path, &other);
    if (e != E_NONE)
        return fix_cloexec(open_entry(p, e, other, flags), flags);
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

/* openat2: as openat, with the struct open_how copied into the monitor first, so that the
 * host checks and uses the very flags looked at here (another payload thread cannot change
 * them in between).  Its size is checked as Linux does: below version 0's 24 bytes EINVAL,
 * above a page E2BIG; the kernel checks that bytes past what it knows are zero. */
int64_t vj_sys_openat2(struct vj_proc *p, const uint64_t a[6])
{
    enum { HOW_VER0 = 24, HOW_MAX = 4096 };
    uint64_t size = a[3];
    if (size < HOW_VER0)
        return -EINVAL;
    if (size > HOW_MAX)
        return -E2BIG;
    if ((int)a[0] != AT_FDCWD && vj_monitor_fd(p, (int)a[0]))
        return -EBADF;
    uint64_t how[HOW_MAX / 8]; /* flags, mode, resolve, then zeroes */
    if (vj_copy_from_guest(p, how, a[2], size) < 0)
        return -EFAULT;
    char path[PATH_MAX];
    pid_t other;
    enum entry e = guest_entry(p, a[1], path, sizeof path, &other);
    if (e != E_NONE && how[0] <= INT_MAX && how[1] == 0 && how[2] == 0) {
        bool tail_zero = true;
        for (uint64_t i = HOW_VER0; i < size; i++)
            tail_zero &= ((const uint8_t *)how)[i] == 0;
        if (tail_zero)
            return fix_cloexec(open_entry(p, e, other, (int)how[0]), (int)how[0]);
    }
    /* Anything else is the host's; the descriptor is vetted as openat's (vj_fd_vet). */
    void *name = vj_guest_arg(p, a[1], 1);
    long fd = syscall(SYS_openat2, (int)a[0], name, how, (size_t)size);
    return fd < 0 ? -errno : fd;
}

static int64_t readlink_exe(struct vj_proc *p, pid_t other, uint64_t buf, uint64_t size)
{
    if ((int64_t)size <= 0)
        return -EINVAL;
    char *exe = p->exe, *block = NULL;
    if (other) {
        const char *c, *e;
        size_t cl, el;
        int r = read_published(other, &block, &c, &cl, &e, &el);
        if (r < 0)
            return r;
        exe = block;
    }
    size_t n = strlen(exe);
    if (n > size)
        n = size;
    int64_t r = vj_copy_to_guest(p, buf, exe, n) < 0 ? -EFAULT : (int64_t)n;
    free(block);
    return r;
}

/* readlink and readlinkat: the payload's /proc/self/exe is its program, else the host.  The
 * path is argument PATH_ARG, the buffer and its size the two after it. */
static int64_t readlink_path(struct vj_proc *p, long nr, int path_arg, const uint64_t a[6])
{
    char path[PATH_MAX];
    pid_t other;
    if (guest_entry(p, a[path_arg], path, sizeof path, &other) == E_EXE)
        return readlink_exe(p, other, a[path_arg + 1], a[path_arg + 2]);
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
