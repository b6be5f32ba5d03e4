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
#include <unistd.h>

#include "error.h"
#include "fastcall.h"
#include "loader.h"
#include "mm.h"
#include "procfs.h"
#include "signal.h"
#include "syscall.h"
#include "thread.h"
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

/* If PATH is a #! script, rewrite the call as Linux does: interpreter [arg] path argv[1..].
 * *PATH is replaced by the interpreter (malloc'd).  Returns 1 if it was a script, 0 if not,
 * or a negative errno. */
static int shebang(char **path, struct strv *argv)
{
    int fd = open(*path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    char line[SHEBANG_MAX + 1];
    ssize_t n = read(fd, line, SHEBANG_MAX);
    close(fd);
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
    /* argv[0] is replaced by the script's path, then the interpreter and its argument go
     * in front. */
    int r = 0;
    if (argv->n > 0) {
        argv->bytes -= strlen(argv->v[0]) + 1 + sizeof(char *);
        free(argv->v[0]);
        memmove(argv->v, argv->v + 1, argv->n * sizeof *argv->v);
        argv->n--;
    }
    r = strv_insert(argv, 0, *path, strlen(*path));
    if (r == 0 && aend > arg)
        r = strv_insert(argv, 0, arg, (size_t)(aend - arg));
    if (r == 0)
        r = strv_insert(argv, 0, interp, ilen);
    if (r < 0)
        return r;
    char *np = strndup(interp, ilen);
    if (np == NULL)
        return -ENOMEM;
    free(*path);
    *path = np;
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

/* Check PATH as execve does: exists, regular, executable. */
static int check_file(const char *path)
{
    struct stat st;
    if (stat(path, &st) < 0)
        return -errno;
    if (!S_ISREG(st.st_mode) || access(path, X_OK) < 0)
        return -EACCES;
    return 0;
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
    /* /proc/self/exe names the program's file, found before the descriptor an execveat
     * named it by (/dev/fd/N) may close. */
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
    vj_timers_free(); /* POSIX timers do not survive exec */
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

/* Rewrite execveat's (DIRFD, PATH, FLAGS) into the path execve would take, in PATH (PATH_MAX
 * bytes): a path relative to a directory descriptor, or the descriptor itself with
 * AT_EMPTY_PATH, becomes /dev/fd/N[/PATH], the name Linux gives the program (AT_EXECFN). */
static int at_path(struct vj_proc *p, int dirfd, char *path, int flags)
{
    if (flags & ~(AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW))
        return -EINVAL;
    if (path[0] == '\0') {
        if (!(flags & AT_EMPTY_PATH))
            return -ENOENT;
        if (dirfd == AT_FDCWD) {
            strcpy(path, "."); /* the working directory: not executable */
            return 0;
        }
        int r = payload_fd(p, dirfd);
        if (r < 0)
            return r;
        snprintf(path, PATH_MAX, "/dev/fd/%d", dirfd);
        return 0;
    }
    if (path[0] != '/' && dirfd != AT_FDCWD) {
        int r = payload_fd(p, dirfd);
        if (r < 0)
            return r;
        struct stat st;
        if (fstat(dirfd, &st) < 0 || !S_ISDIR(st.st_mode))
            return -ENOTDIR;
        char *rel = strdup(path);
        if (rel == NULL)
            return -ENOMEM;
        int n = snprintf(path, PATH_MAX, "/dev/fd/%d/%s", dirfd, rel);
        free(rel);
        if (n >= PATH_MAX)
            return -ENAMETOOLONG;
    }
    struct stat st;
    if ((flags & AT_SYMLINK_NOFOLLOW) && lstat(path, &st) == 0 && S_ISLNK(st.st_mode))
        return -ELOOP;
    return 0;
}

static int64_t do_exec(struct vj_proc *p, int dirfd, uint64_t path_gva, uint64_t argv_gva,
                       uint64_t envp_gva, int flags)
{
    char *path = malloc(PATH_MAX);
    if (path == NULL)
        return -ENOMEM;
    long n = vj_strncpy_from_guest(p, path, path_gva, PATH_MAX);
    if (n < 0) {
        free(path);
        return n;
    }
    int64_t r = dirfd == AT_FDCWD && flags == 0 ? (n == 0 ? -ENOENT : 0)
                                                : at_path(p, dirfd, path, flags);
    if (r < 0) {
        free(path);
        return r;
    }
    struct strv argv = {0}, envp = {0};
    r = copy_strv(p, argv_gva, &argv);
    if (r == 0)
        r = copy_strv(p, envp_gva, &envp);
    if (r == 0 && argv.bytes + envp.bytes > MAX_ARG_TOTAL)
        r = -E2BIG;
    /* The guest's /proc/self/exe is its program, not the monitor. */
    const char *real = vj_procfs_path(p, path);
    if (r == 0 && real != path) {
        char *copy = strdup(real);
        if (copy == NULL)
            r = -ENOMEM;
        else {
            free(path);
            path = copy;
        }
    }
    /* #! scripts: their interpreter runs instead, up to MAX_SCRIPT_DEPTH levels. */
    for (int depth = 0; r == 0; depth++) {
        if ((r = check_file(path)) < 0 || (r = shebang(&path, &argv)) <= 0)
            break;
        r = depth == MAX_SCRIPT_DEPTH ? -ELOOP : 0;
    }
    struct vj_program *pg = NULL;
    vmjail_error *err = NULL;
    if (r == 0 && vj_program_prepare(path, p->mem_size, &pg, &err) < 0)
        r = exec_errno(err);
    if (r == 0 && vj_proc_kill_others(p) < 0)
        r = -EINTR; /* this thread is ending: what it returns is never seen */
    if (r == 0 && replace_program(p, pg, path, &argv, &envp, &err) < 0) {
        /* Nothing left to return to: the payload dies, as Linux kills a process whose
         * exec fails after the point of no return. */
        vmjail_error_free(err);
        vj_signal_raise(p, vj_self, SIGSEGV);
        r = 0;
    }
    vj_program_free(pg);
    strv_free(&argv);
    strv_free(&envp);
    free(path);
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
