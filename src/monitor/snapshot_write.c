/* snapshot_write.c: a payload's snapshot taken at its marked call (vmjail run --snapshot-at):
 * what cannot be restored refused in one line, then the metadata (snapshot_format.h) and the
 * populated pages of every mapping written to the file, holes left for the rest. */
#include "monitor/snapshot.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "lib/error.h"
#include "monitor/proc_life.h"
#include "monitor/signal.h"

#define PAGE 4096ULL
#define CHUNK (1u << 20)

static bool is_mark(const struct vj_proc *p, const struct vj_syscall *sc)
{
    switch (p->snap_req->mark) {
    case VJ_SNAP_MARK_READ_STDIN:
        return (sc->nr == SYS_read || sc->nr == SYS_readv) && sc->arg[0] == 0;
    case VJ_SNAP_MARK_ACCEPT:
        return sc->nr == SYS_accept || sc->nr == SYS_accept4;
    case VJ_SNAP_MARK_CALL:
        return sc->nr == VJ_NR_SNAPSHOT;
    }
    return false;
}

uint64_t vj_snapshot_vdso_hash(const struct vj_vm *vm)
{
    uint64_t data, end, code = vj_vm_vdso(vm);
    const uint8_t *host = (const uint8_t *)(uintptr_t)getauxval(AT_SYSINFO_EHDR);
    if (host == NULL || !vj_vm_vdso_range(vm, &data, &end) || code >= end)
        return 0;
    return vj_snap_fnv(host, end - code);
}

/* ---- descriptors ------------------------------------------------------------------------ */

/* The one line that says why descriptor FD cannot be snapshotted. */
static int why(vmjail_error **err, int fd, const char *what)
{
    return vj_error(err, VMJAIL_ERR_INTERNAL, 0, "snapshot: fd %d is a %s", fd, what);
}

/* A character device that is the same wherever it is opened (readlink's PATH, N bytes). */
static bool plain_dev(const char *path, ssize_t n)
{
    static const char *const devs[] = {"/dev/null", "/dev/zero", "/dev/full", "/dev/random",
                                       "/dev/urandom", NULL};
    for (const char *const *d = devs; n > 0 && *d; d++)
        if ((size_t)n == strlen(*d) && memcmp(path, *d, (size_t)n) == 0)
            return true;
    return false;
}

/* Describe descriptor FD of the payload's into B, or refuse it. */
static int put_fd(struct vj_snap_buf *b, int fd, vmjail_error **err)
{
    struct vj_snap_fd f = {.fd = fd};
    struct stat st;
    if (fstat(fd, &st) < 0)
        return vj_error(err, VMJAIL_ERR_INTERNAL, errno, "snapshot: fd %d", fd);
    f.flags = fcntl(fd, F_GETFL);
    f.cloexec = (fcntl(fd, F_GETFD) & FD_CLOEXEC) != 0;
    if (fd <= 2) {
        f.kind = VJ_SNAP_FD_STDIO;
        vj_snap_put(b, VJ_SNAP_REC_FD, &f, sizeof f);
        return 0;
    }
    char link[64], path[VJ_SNAP_MAX_STR];
    snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    ssize_t n = readlink(link, path, sizeof path - 1);
    if (S_ISREG(st.st_mode) || S_ISDIR(st.st_mode) || (S_ISCHR(st.st_mode) && plain_dev(path, n))) {
        if (n <= 0 || path[0] != '/' || (size_t)n >= sizeof path - 1)
            return why(err, fd,
                       S_ISREG(st.st_mode) ? "file without a path" : "directory without a path");
        path[n] = '\0';
        if (n > 10 && strcmp(path + n - 10, " (deleted)") == 0)
            return why(err, fd, "deleted file");
        off_t off = lseek(fd, 0, SEEK_CUR);
        f.kind = VJ_SNAP_FD_FILE;
        f.offset = off < 0 ? 0 : (uint64_t)off;
        f.size = (uint64_t)st.st_size;
        f.mtime_sec = (uint64_t)st.st_mtim.tv_sec;
        f.mtime_nsec = (uint64_t)st.st_mtim.tv_nsec;
        f.tail_len = (uint32_t)n;
        vj_snap_put2(b, VJ_SNAP_REC_FD, &f, sizeof f, path, (size_t)n);
        return 0;
    }
    if (S_ISSOCK(st.st_mode)) {
        int listening = 0, type = 0;
        socklen_t l = sizeof listening;
        struct sockaddr_storage a;
        socklen_t al = sizeof a;
        if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &l) < 0 || !listening)
            return why(err, fd, "connected or unbound socket");
        l = sizeof type;
        if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &l) < 0 ||
            getsockname(fd, (struct sockaddr *)&a, &al) < 0 || al < 2 || al > 128 ||
            (a.ss_family != AF_INET && a.ss_family != AF_INET6 && a.ss_family != AF_UNIX))
            return why(err, fd, "listening socket of another kind");
        f.kind = VJ_SNAP_FD_LISTEN;
        f.family = a.ss_family;
        f.socktype = type;
        f.backlog = 128;
        f.tail_len = (uint32_t)al;
        vj_snap_put2(b, VJ_SNAP_REC_FD, &f, sizeof f, &a, al);
        return 0;
    }
    return why(err, fd,
               S_ISFIFO(st.st_mode) ? "pipe"
                : S_ISCHR(st.st_mode) ? "character device"
                                      : "descriptor of a kind that cannot be reopened");
}

static int cmp_int(const void *a, const void *b)
{
    return *(const int *)a - *(const int *)b;
}

/* The payload's descriptors (the monitor's own left out), ascending. */
static int put_fds(struct vj_proc *p, struct vj_snap_buf *b, vmjail_error **err)
{
    DIR *d = opendir("/proc/self/fd");
    if (d == NULL)
        return vj_error(err, VMJAIL_ERR_INTERNAL, errno, "snapshot: list descriptors");
    int fds[VJ_SNAP_MAX_FDS], n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        char *end;
        long fd = strtol(e->d_name, &end, 10);
        if (*end || end == e->d_name || fd == dirfd(d) || vj_monitor_fd(p, (int)fd))
            continue;
        if (n == VJ_SNAP_MAX_FDS) {
            closedir(d);
            return vj_error(err, VMJAIL_ERR_INTERNAL, 0, "snapshot: too many descriptors");
        }
        fds[n++] = (int)fd;
    }
    closedir(d);
    qsort(fds, (size_t)n, sizeof *fds, cmp_int);
    for (int i = 0; i < n; i++)
        if (put_fd(b, fds[i], err) < 0)
            return -1;
    return 0;
}

/* ---- the state -------------------------------------------------------------------------- */

static int check_process(struct vj_proc *p, vmjail_error **err)
{
    const char *what = NULL;
    pthread_mutex_lock(&p->lock);
    if (p->live > 1)
        what = "the payload has more than one thread";
    else if (p->shared_pending.set || vj_self->pending.set)
        what = "a signal is pending";
    else if (p->signalfds)
        what = "the payload has a signalfd";
    else if (p->ntimers)
        what = "the payload made a POSIX timer";
    else if (p->shm_attaches || p->n_mq_notify)
        what = "the payload uses SysV shared memory or message queue notifications";
    pthread_mutex_unlock(&p->lock);
    /* A read-only shared file mapping (glibc's gconv cache) is kept as a copy of its pages;
     * memory shared for writing is another process's to change. */
    for (size_t i = 0; what == NULL && i < p->vmas.n; i++)
        if ((p->vmas.v[i].shared && (p->vmas.v[i].prot & PROT_WRITE)) ||
            p->vmas.v[i].kind == VJ_VMA_SHM || p->vmas.v[i].kind == VJ_VMA_SHARED)
            what = "the payload has a writable shared memory mapping";
    return what ? vj_error(err, VMJAIL_ERR_INTERNAL, 0, "snapshot: %s", what) : 0;
}

static void put_str(struct vj_snap_buf *b, uint32_t type, const char *s, size_t len)
{
    if (s && len)
        vj_snap_put(b, type, s, len);
}

static int put_meta(struct vj_proc *p, const struct vj_syscall *sc, struct vj_snap_buf *b,
                    uint64_t *data_size, vmjail_error **err)
{
    struct vj_thread *t = vj_self;
    struct vj_vcpu_snapshot *v = malloc(sizeof *v);
    if (v == NULL || vj_vcpu_snapshot(t->vcpu, v, err) < 0) {
        free(v);
        return v ? -1 : vj_error(err, VMJAIL_ERR_INTERNAL, ENOMEM, "snapshot");
    }
    struct vj_snap_proc sp = {
        .mem_size = p->mem_size, .brk_start = p->brk_start, .brk_cur = p->brk_cur,
        .mmap_top = p->mmap_top, .stack_lo = p->stack_lo, .stack_hi = p->stack_hi,
        .auxv_gva = p->auxv_gva, .auxv_len = p->auxv_len, .image_lo = p->image_lo,
        .image_hi = p->image_hi, .interp_lo = p->interp_lo, .interp_hi = p->interp_hi,
        .mark = (uint32_t)p->snap_req->mark, .nr = (uint32_t)sc->nr,
        .fpu_features = vj_vm_fpu_features(p->vm), .fpu_size = vj_vm_fpu_size(p->vm),
        .vdso_hash = vj_snapshot_vdso_hash(p->vm),
    };
    if (sp.fpu_size < 512)
        sp.fpu_size = 512;
    struct vj_snap_thread st = {.regs = v->regs, .fs_base = v->fs_base, .gs_base = v->gs_base,
                                .clear_child_tid = t->clear_child_tid, .sigmask = t->sigmask,
                                .ss_sp = t->ss_sp, .ss_size = t->ss_size,
                                .ss_flags = t->ss_flags, .tid = t->tid};
    /* The call is made again at the restore: the syscall instruction, its number in rax. */
    st.regs.rip -= 2;
    st.regs.rax = sc->nr;
    uint8_t insn[2];
    if (vj_copy_from_guest(p, insn, st.regs.rip, 2) < 0 || insn[0] != 0x0f || insn[1] != 0x05) {
        free(v);
        return vj_error(err, VMJAIL_ERR_INTERNAL, 0,
                        "snapshot: the marked call was not made by a syscall instruction");
    }
    vj_snap_put(b, VJ_SNAP_REC_PROC, &sp, sizeof sp);
    vj_snap_put(b, VJ_SNAP_REC_THREAD, &st, sizeof st);
    vj_snap_put(b, VJ_SNAP_REC_FPU, v->fpu.area, sp.fpu_size);
    free(v);
    vj_snap_put(b, VJ_SNAP_REC_SIGACT, p->sigact, VJ_SNAP_SIGACT_SIZE);
    put_str(b, VJ_SNAP_REC_EXE, p->exe, p->exe ? strlen(p->exe) : 0);
    put_str(b, VJ_SNAP_REC_INTERP, p->interp, p->interp ? strlen(p->interp) : 0);
    char cwd[VJ_SNAP_MAX_STR];
    if (getcwd(cwd, sizeof cwd) == NULL)
        return vj_error(err, VMJAIL_ERR_INTERNAL, errno, "snapshot: working directory");
    put_str(b, VJ_SNAP_REC_CWD, cwd, strlen(cwd));
    put_str(b, VJ_SNAP_REC_CMDLINE, p->cmdline, p->cmdline_len);
    put_str(b, VJ_SNAP_REC_ENVIRON, p->environ, p->environ_len);
    uint64_t at = 0;
    for (size_t i = 0; i < p->vmas.n; i++) {
        const struct vj_vma *m = &p->vmas.v[i];
        struct vj_snap_vma sv = {m->start, m->end, m->prot, (int32_t)m->kind, at};
        vj_snap_put(b, VJ_SNAP_REC_VMA, &sv, sizeof sv);
        at += m->end - m->start;
    }
    *data_size = at;
    return put_fds(p, b, err);
}

/* ---- memory ----------------------------------------------------------------------------- */

static bool zero_page(const uint8_t *q)
{
    static const uint8_t zeros[PAGE];
    return memcmp(q, zeros, PAGE) == 0;
}

static int put_pages(struct vj_proc *p, int fd, uint64_t base, vmjail_error **err)
{
    uint8_t *buf = malloc(CHUNK);
    if (buf == NULL)
        return vj_error(err, VMJAIL_ERR_INTERNAL, ENOMEM, "snapshot");
    uint64_t at = base;
    int r = 0;
    for (size_t i = 0; r == 0 && i < p->vmas.n; i++) {
        const struct vj_vma *m = &p->vmas.v[i];
        uint64_t len = m->end - m->start;
        bool opened = m->prot == PROT_NONE; /* read through the monitor's view for a moment */
        if (opened && vj_vm_mem_protect(p->vm, m->start, len, PROT_READ) < 0)
            r = vj_error(err, VMJAIL_ERR_INTERNAL, 0, "snapshot: read %#llx",
                         (unsigned long long)m->start);
        for (uint64_t done = 0; r == 0 && done < len;) {
            uint64_t n = len - done < CHUNK ? len - done : CHUNK;
            if (vj_copy_from_guest(p, buf, m->start + done, n) < 0) {
                r = vj_error(err, VMJAIL_ERR_INTERNAL, EFAULT, "snapshot: read %#llx",
                             (unsigned long long)(m->start + done));
                break;
            }
            for (uint64_t o = 0; o < n; o += PAGE) {
                if (zero_page(buf + o))
                    continue;
                if (pwrite(fd, buf + o, PAGE, (off_t)(at + done + o)) != (ssize_t)PAGE) {
                    r = vj_error(err, VMJAIL_ERR_INTERNAL, errno, "snapshot: write");
                    break;
                }
            }
            done += n;
        }
        if (opened && vj_vm_mem_protect(p->vm, m->start, len, PROT_NONE) < 0 && r == 0)
            r = vj_error(err, VMJAIL_ERR_INTERNAL, 0, "snapshot: protect");
        at += len;
    }
    free(buf);
    return r;
}

static int take(struct vj_proc *p, const struct vj_syscall *sc, vmjail_error **err)
{
    if (check_process(p, err) < 0)
        return -1;
    struct vj_snap_buf b = {0};
    uint64_t data_size = 0;
    pthread_mutex_lock(&p->mm_lock);
    int r = put_meta(p, sc, &b, &data_size, err);
    if (r == 0 && b.failed)
        r = vj_error(err, VMJAIL_ERR_INTERNAL, ENOMEM, "snapshot");
    int fd = -1;
    if (r == 0) {
        fd = open(p->snap_req->path, O_RDWR | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (fd < 0)
            r = vj_error(err, VMJAIL_ERR_INTERNAL, errno, "snapshot: %s", p->snap_req->path);
    }
    struct vj_snap_header h;
    memset(&h, 0, sizeof h);
    memcpy(h.magic, VJ_SNAP_MAGIC, 8);
    h.version = VJ_SNAP_VERSION;
    h.header_size = VJ_SNAP_HEADER_SIZE;
    h.meta_offset = VJ_SNAP_HEADER_SIZE;
    h.meta_size = b.len;
    h.data_offset = (VJ_SNAP_HEADER_SIZE + b.len + PAGE - 1) & ~(PAGE - 1);
    h.data_size = data_size;
    h.meta_crc = vj_snap_crc32(b.p, b.len);
    if (r == 0 && (pwrite(fd, &h, sizeof h, 0) != (ssize_t)sizeof h ||
                   pwrite(fd, b.p, b.len, (off_t)h.meta_offset) != (ssize_t)b.len ||
                   ftruncate(fd, (off_t)(h.data_offset + h.data_size)) < 0))
        r = vj_error(err, VMJAIL_ERR_INTERNAL, errno, "snapshot: write %s", p->snap_req->path);
    if (r == 0)
        r = put_pages(p, fd, h.data_offset, err);
    pthread_mutex_unlock(&p->mm_lock);
    if (fd >= 0 && close(fd) < 0 && r == 0)
        r = vj_error(err, VMJAIL_ERR_INTERNAL, errno, "snapshot: write %s", p->snap_req->path);
    if (r < 0 && fd >= 0)
        unlink(p->snap_req->path);
    free(b.p);
    return r;
}

bool vj_snapshot_hook(struct vj_proc *p, const struct vj_syscall *sc, int64_t *r)
{
    struct vj_snap_req *q = p->snap_req;
    if (q && !q->done && vj_self && is_mark(p, sc)) {
        q->done = true;
        vmjail_error *err = NULL;
        if (take(p, sc, &err) < 0) {
            vj_proc_fail(p, err);
            *r = -EIO;
            return true;
        }
        if (!q->cont) {
            vj_proc_end(p, false, 0);
            *r = 0;
            return true;
        }
    }
    if (sc->nr == VJ_NR_SNAPSHOT) {
        *r = p->snap_restored ? VJ_SNAPSHOT_RESTORED : 0;
        return true;
    }
    return false;
}
