/* exec.c: execve and execveat: a new program replaces the payload in the same VM and process
 * (same pid, descriptors not marked close-on-exec kept).  Every check that can fail happens
 * before the old program is torn down, so a failed exec returns its error to the caller. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "lib/error.h"
#include "loader/loader.h"
#include "monitor/fastcall.h"
#include "monitor/ipc.h"
#include "monitor/mm.h"
#include "monitor/proc_life.h"
#include "monitor/procfs.h"
#include "monitor/signal.h"
#include "monitor/sys.h"
#include "vmjail_abi.h"

#define MAX_ARG_STRLEN (32 * VJ_PAGE_SIZE) /* one argument or variable, as Linux */
#define MAX_ARG_TOTAL (2u << 20)           /* all of them with their pointers */
#define MAX_SCRIPT_DEPTH 4                 /* #! interpreters that are scripts themselves */
#define SHEBANG_MAX 256                    /* the #! line read, as Linux's BINPRM_BUF_SIZE */

/* A NULL-terminated vector of strings, owned. */
struct strv {
    char **v;
    size_t n, cap;
    size_t bytes; /* strings and pointers, for the E2BIG check */
};

static void strv_free(struct strv *s)
{
    for (size_t i = 0; i < s->n; i++)
        free(s->v[i]);
    free(s->v);
    *s = (struct strv){0};
}

/* Insert a copy of STR (LEN bytes, NUL added) at index AT. */
static int strv_insert(struct strv *s, size_t at, const char *str, size_t len)
{
    if (s->n + 2 > s->cap) {
        size_t cap = s->cap ? 2 * s->cap : 16;
        char **v = realloc(s->v, cap * sizeof *v);
        if (v == NULL)
            return -ENOMEM;
        s->v = v;
        s->cap = cap;
    }
    char *c = strndup(str, len);
    if (c == NULL)
        return -ENOMEM;
    memmove(s->v + at + 1, s->v + at, (s->n - at) * sizeof *s->v);
    s->v[at] = c;
    s->n++;
    s->v[s->n] = NULL;
    s->bytes += len + 1 + sizeof(char *);
    return s->bytes > MAX_ARG_TOTAL ? -E2BIG : 0;
}

/* Copy the guest's NULL-terminated array of strings at GVA (NULL: empty). */
static int copy_strv(struct vj_proc *p, uint64_t gva, struct strv *out)
{
    char *buf = malloc(MAX_ARG_STRLEN);
    if (buf == NULL)
        return -ENOMEM;
    int r = 0;
    for (uint64_t i = 0; r == 0 && gva != 0; i++) {
        uint64_t ptr;
        if (vj_copy_from_guest(p, &ptr, gva + i * 8, sizeof ptr) < 0) {
            r = -EFAULT;
            break;
        }
        if (ptr == 0)
            break;
        long len = vj_strncpy_from_guest(p, buf, ptr, MAX_ARG_STRLEN);
        if (len < 0) {
            r = len == -ENAMETOOLONG ? -E2BIG : (int)len;
            break;
        }
        r = strv_insert(out, out->n, buf, (size_t)len);
    }
    free(buf);
    if (r == 0 && out->v == NULL && (out->v = calloc(1, sizeof *out->v)) == NULL)
        r = -ENOMEM; /* an empty vector is still a NULL-terminated array */
    return r;
}

/* If the open program FD is a #! script, rewrite the call as Linux does: interpreter [arg]
 * NAME argv[1..], NAME the script's name.  *INTERP is set to the interpreter (malloc'd).
 * Returns 1 if it was a script, 0 if not, or a negative errno. */
static int shebang(int fd, const char *name, char **interp_out, struct strv *argv)
{
    char line[SHEBANG_MAX + 1];
    ssize_t n = pread(fd, line, SHEBANG_MAX, 0);
    if (n < 2 || line[0] != '#' || line[1] != '!')
        return 0;
    line[n] = '\0';
    char *end = memchr(line, '\n', (size_t)n);
    if (end == NULL)
        end = line + n;
    *end = '\0';
    char *s = line + 2;
    while (*s == ' ' || *s == '\t')
        s++;
    char *interp = s;
    while (*s && *s != ' ' && *s != '\t')
        s++;
    size_t ilen = (size_t)(s - interp);
    while (*s == ' ' || *s == '\t')
        s++;
    char *arg = s, *aend = arg + strlen(arg);
    while (aend > arg && (aend[-1] == ' ' || aend[-1] == '\t'))
        aend--;
    if (ilen == 0)
        return -ENOEXEC;
    /* argv[0] is replaced by the script's name, then the interpreter and its argument go
     * in front. */
    int r = 0;
    if (argv->n > 0) {
        argv->bytes -= strlen(argv->v[0]) + 1 + sizeof(char *);
        free(argv->v[0]);
        memmove(argv->v, argv->v + 1, argv->n * sizeof *argv->v);
        argv->n--;
    }
    r = strv_insert(argv, 0, name, strlen(name));
    if (r == 0 && aend > arg)
        r = strv_insert(argv, 0, arg, (size_t)(aend - arg));
    if (r == 0)
        r = strv_insert(argv, 0, interp, ilen);
    if (r < 0)
        return r;
    if ((*interp_out = strndup(interp, ilen)) == NULL)
        return -ENOMEM;
    return 1;
}

/* The errno a failed program check gives the caller of execve. */
static int exec_errno(vmjail_error *err)
{
    int e = vmjail_error_errno(err);
    if (e == 0)
        e = vmjail_error_kind(err) == VMJAIL_ERR_NOTFOUND ? ENOENT : ENOEXEC;
    vmjail_error_free(err);
    return -e;
}

/* Close the descriptors marked close-on-exec, except the monitor's own and KEEP[0..1] (the
 * new program's, which the loader still reads). */
static void close_on_exec(struct vj_proc *p, const int keep[2])
{
    DIR *d = opendir("/proc/self/fd");
    if (d == NULL)
        return;
    int dfd = dirfd(d);
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        char *endp;
        long fd = strtol(e->d_name, &endp, 10);
        if (*endp != '\0' || fd == dfd || fd == keep[0] || fd == keep[1] ||
            vj_monitor_fd(p, (int)fd))
            continue;
        int fl = fcntl((int)fd, F_GETFD);
        if (fl >= 0 && (fl & FD_CLOEXEC))
            close((int)fd);
    }
    closedir(d);
}

/* Past the point of no return: replace the program.  Failure here kills the payload. */
static int replace_program(struct vj_proc *p, struct vj_program *pg, const char *path,
                           struct strv *argv, struct strv *envp, vmjail_error **err)
{
    struct vj_thread *t = vj_self;
    pthread_mutex_lock(&p->mm_lock);
    int64_t r = vj_mm_munmap(p, VJ_GUEST_MIN, p->mem_size - VJ_GUEST_MIN);
    pthread_mutex_unlock(&p->mm_lock);
    if (r < 0)
        return vj_error(err, VMJAIL_ERR_INTERNAL, (int)-r, "exec: unmap the old program");
    /* /proc/self/exe names the program's file (PATH: found through the open program before
     * the descriptor an execveat named it by may close). */
    vj_procfs_fini(p);
    if (vj_procfs_init(p, path, argv->v, envp->v) < 0)
        return vj_error(err, VMJAIL_ERR_INTERNAL, ENOMEM, "exec");
    int keep[2];
    vj_program_fds(pg, keep);
    close_on_exec(p, keep);

    /* Caught signals go back to their default action; ignored ones stay ignored. */
    pthread_mutex_lock(&p->lock);
    for (int s = 1; s < VJ_NSIG; s++) {
        struct vj_ksigaction *ka = vj_sigaction(p, s);
        if (ka->handler != VJ_SIG_DFL && ka->handler != VJ_SIG_IGN) {
            memset(ka, 0, sizeof *ka);
            vj_tty_signal_action(s, VJ_SIG_DFL);
        }
    }
    vj_timers_free(p); /* POSIX timers do not survive exec */
    vj_ipc_after_exec(p);
    p->not_dumpable = false; /* exec makes a process dumpable again (no set-id programs here) */
    vj_fast_after_exec(p);
    t->ss_sp = t->ss_size = 0;
    t->ss_flags = SS_DISABLE;
    t->clear_child_tid = 0;
    pthread_mutex_unlock(&p->lock);

    uint64_t entry, sp;
    if (vj_program_load(p, pg, argv->v, envp->v, &entry, &sp, err) < 0)
        return -1;
    const char *base = strrchr(path, '/');
    prctl(PR_SET_NAME, base ? base + 1 : path);

    /* A fresh register file, FPU and TLS for the new program. */
    struct vj_fpu *fpu = calloc(1, sizeof *fpu);
    if (fpu == NULL)
        return vj_error(err, VMJAIL_ERR_INTERNAL, ENOMEM, "exec");
    uint16_t fcw = 0x37f;
    uint32_t mxcsr = 0x1f80;
    memcpy(fpu->area, &fcw, sizeof fcw);
    memcpy(fpu->area + 24, &mxcsr, sizeof mxcsr);
    int ok = vj_vcpu_set_fpu(t->vcpu, fpu, err) == 0 &&
             vj_vcpu_set_tls_base(t->vcpu, false, 0, err) == 0 &&
             vj_vcpu_set_payload_gs(t->vcpu, 0, true, err) == 0;
    free(fpu);
    if (!ok)
        return -1;
    struct vj_user_regs regs;
    if (!vj_vcpu_get_user_regs(t->vcpu, &regs))
        return vj_error(err, VMJAIL_ERR_INTERNAL, 0, "exec: no user context");
    memset(&regs, 0, sizeof regs);
    regs.rip = entry;
    regs.rsp = sp;
    regs.rflags = VJ_RFLAGS_FIXED | VJ_RFLAGS_IF;
    if (vj_vcpu_set_user_regs(t->vcpu, &regs, err) < 0)
        return -1;
    t->sigreturned = true; /* the registers are set: no syscall return */
    return 0;
}

/* A payload descriptor that execveat may start from: -EBADF if it is not one. */
static int payload_fd(struct vj_proc *p, int fd)
{
    if (fd < 0 || vj_monitor_fd(p, fd) || fcntl(fd, F_GETFD) < 0)
        return -EBADF;
    return 0;
}

/* Whether the O_PATH descriptor O is something execve runs: a regular file (EACCES
 * otherwise; ELOOP for the symbolic link O_NOFOLLOW opened) the caller may execute. */
static int check_exec(int o)
{
    struct stat st;
    if (fstat(o, &st) < 0)
        return -errno;
    if (S_ISLNK(st.st_mode))
        return -ELOOP;
    if (!S_ISREG(st.st_mode))
        return -EACCES;
    if (syscall(SYS_faccessat2, o, "", X_OK, AT_EMPTY_PATH | AT_EACCESS) < 0 &&
        (errno != ENOSYS || !(st.st_mode & 0111)))
        return -EACCES;
    return 0;
}

/* Open the program file for reading into *FD: PATH relative to AT (AT_FDCWD or a payload
 * descriptor), or with PATH "" the descriptor AT itself (fexecve).  Found through the
 * descriptor, as Linux does: no /dev/fd needed; only an O_PATH or write-only descriptor of
 * the program itself is reopened through /proc/self/fd. */
static int open_file(int at, const char *path, bool nofollow, int *fd)
{
    int nf = nofollow ? O_NOFOLLOW : 0;
    if (!path[0] && at == AT_FDCWD)
        return -EACCES; /* the working directory */
    int o = path[0] ? openat(at, path, O_PATH | O_CLOEXEC | nf) : fcntl(at, F_DUPFD_CLOEXEC, 0);
    if (o < 0)
        return -errno;
    int r = check_exec(o);
    struct stat want, got;
    if (r == 0 && fstat(o, &want) < 0)
        r = -errno;
    int rfd = -1;
    if (r == 0) {
        int fl = path[0] ? 0 : fcntl(at, F_GETFL);
        char proc[64];
        snprintf(proc, sizeof proc, "/proc/self/fd/%d", at);
        if (path[0])
            rfd = openat(at, path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK | nf);
        else if (fl >= 0 && !(fl & O_PATH) && (fl & O_ACCMODE) != O_WRONLY)
            rfd = fcntl(at, F_DUPFD_CLOEXEC, 0);
        else
            rfd = open(proc, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        if (rfd < 0)
            r = -errno;
        /* The same file as checked (the payload may have swapped it meanwhile). */
        else if (fstat(rfd, &got) < 0 || got.st_dev != want.st_dev || got.st_ino != want.st_ino)
            r = -EACCES;
    }
    close(o);
    if (r < 0) {
        if (rfd >= 0)
            close(rfd);
        return r;
    }
    *fd = rfd;
    return 0;
}

/* The program execveat (DIRFD, PATH, FLAGS) runs, open for reading in *FD, and in NAME
 * (PATH_MAX bytes) the name Linux gives it (AT_EXECFN, a script's argv): PATH itself, or for
 * a path relative to a descriptor, or the descriptor itself with AT_EMPTY_PATH,
 * /dev/fd/N[/PATH].  *HIDDEN: named through a close-on-exec descriptor, so that a script's
 * interpreter could not open it (Linux: ENOENT). */
static int open_exec(struct vj_proc *p, int dirfd, const char *path, int flags, char *name,
                     int *fd, bool *hidden)
{
    *hidden = false;
    if (flags & ~(AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW))
        return -EINVAL;
    if (path[0] == '\0' && !(flags & AT_EMPTY_PATH))
        return -ENOENT;
    int n;
    if (dirfd != AT_FDCWD && path[0] != '/') {
        int r = payload_fd(p, dirfd);
        if (r < 0)
            return r;
        n = path[0] ? snprintf(name, PATH_MAX, "/dev/fd/%d/%s", dirfd, path)
                    : snprintf(name, PATH_MAX, "/dev/fd/%d", dirfd);
        *hidden = (fcntl(dirfd, F_GETFD) & FD_CLOEXEC) != 0;
    } else {
        n = snprintf(name, PATH_MAX, "%s", path);
        dirfd = AT_FDCWD;
        path = vj_procfs_path(p, path); /* the guest's /proc/self/exe is its program */
    }
    if (n >= PATH_MAX)
        return -ENAMETOOLONG;
    return open_file(dirfd, path, flags & AT_SYMLINK_NOFOLLOW, fd);
}

/* The path /proc/self/exe shows for the program open as FD (malloc'd): the file's own, or
 * FALLBACK where /proc is missing. */
static char *exe_path(int fd, const char *fallback)
{
    char link[64], buf[PATH_MAX];
    snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    ssize_t n = readlink(link, buf, sizeof buf - 1);
    if (n <= 0 || buf[0] != '/')
        return strdup(fallback);
    buf[n] = '\0';
    return strdup(buf);
}

static int64_t do_exec(struct vj_proc *p, int dirfd, uint64_t path_gva, uint64_t argv_gva,
                       uint64_t envp_gva, int flags)
{
    char *path = malloc(PATH_MAX), *name = malloc(PATH_MAX), *scratch = malloc(PATH_MAX);
    char *interp = NULL, *exe = NULL;
    struct strv argv = {0}, envp = {0};
    struct vj_program *pg = NULL;
    int fd = -1;
    bool hidden;
    int64_t r = path && name && scratch ? 0 : -ENOMEM;
    if (r == 0) {
        long n = vj_strncpy_from_guest(p, path, path_gva, PATH_MAX);
        r = n < 0 ? n : open_exec(p, dirfd, path, flags, name, &fd, &hidden);
    }
    if (r == 0)
        r = copy_strv(p, argv_gva, &argv);
    if (r == 0)
        r = copy_strv(p, envp_gva, &envp);
    if (r == 0 && argv.bytes + envp.bytes > MAX_ARG_TOTAL)
        r = -E2BIG;
    /* #! scripts: their interpreter runs instead, up to MAX_SCRIPT_DEPTH levels; each gets
     * the name of the file it interprets (the first: NAME). */
    for (int depth = 0; r == 0; depth++) {
        char *next = NULL;
        if ((r = shebang(fd, interp ? interp : name, &next, &argv)) <= 0)
            break;
        close(fd);
        fd = -1;
        free(interp);
        interp = next;
        bool h;
        r = depth == 0 && hidden             ? -ENOENT
            : depth == MAX_SCRIPT_DEPTH      ? -ELOOP
                                             : open_exec(p, AT_FDCWD, interp, 0, scratch, &fd, &h);
    }
    vmjail_error *err = NULL;
    if (r == 0 && (exe = exe_path(fd, interp ? interp : name)) == NULL)
        r = -ENOMEM;
    if (r == 0) {
        int pfd = fd;
        fd = -1; /* the program's from here on */
        if (vj_program_prepare_fd(pfd, name, p->mem_size, &pg, &err) < 0)
            r = exec_errno(err);
    }
    if (r == 0 && vj_proc_kill_others(p) < 0)
        r = -EINTR; /* this thread is ending: what it returns is never seen */
    if (r == 0 && replace_program(p, pg, exe, &argv, &envp, &err) < 0) {
        /* Nothing left to return to: the payload dies, as Linux kills a process whose
         * exec fails after the point of no return. */
        vmjail_error_free(err);
        vj_signal_raise(p, vj_self, SIGSEGV);
        r = 0;
    }
    if (fd >= 0)
        close(fd);
    vj_program_free(pg);
    strv_free(&argv);
    strv_free(&envp);
    free(path);
    free(name);
    free(scratch);
    free(interp);
    free(exe);
    return r;
}

int64_t vj_sys_execve(struct vj_proc *p, const uint64_t a[6])
{
    return do_exec(p, AT_FDCWD, a[0], a[1], a[2], 0);
}

int64_t vj_sys_execveat(struct vj_proc *p, const uint64_t a[6])
{
    return do_exec(p, (int)a[0], a[1], a[2], a[3], (int)a[4]);
}
