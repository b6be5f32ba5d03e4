/* snapshot_restore.c: a new payload from a snapshot file (vmjail run --from): the file checked
 * as hostile, its memory mapped into a fresh VM (copy-on-write where the platform maps a
 * private file mapping so), the process's state and descriptors set again, and the thread's
 * registers put back at the marked call, which it then makes anew. */
#include "monitor/snapshot.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "lib/error.h"
#include "monitor/procfs.h"
#include "monitor/signal.h"

static int bad(vmjail_error **err, const char *file, const char *why)
{
    return vj_error(err, VMJAIL_ERR_USAGE, 0, "snapshot %s: %s", file, why);
}

void vj_snapshot_close(struct vj_snap_image *img)
{
    if (img == NULL)
        return;
    if (img->fd >= 0)
        close(img->fd);
    vj_snap_free(&img->snap);
    free(img->meta);
    free(img);
}

int vj_snapshot_open(const char *file, struct vj_snap_image **out, vmjail_error **err)
{
    struct vj_snap_image *img = calloc(1, sizeof *img);
    if (img == NULL)
        return vj_error(err, VMJAIL_ERR_INTERNAL, ENOMEM, "snapshot");
    img->fd = -1;
    int fd = open(file, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        int e = errno;
        free(img);
        return vj_error(err, e == ENOENT ? VMJAIL_ERR_NOTFOUND : VMJAIL_ERR_USAGE, e,
                        "snapshot %s", file);
    }
    /* High, where no descriptor of the payload's will be put. */
    img->fd = fcntl(fd, F_DUPFD_CLOEXEC, 900);
    close(fd);
    struct stat st;
    struct vj_snap_header h;
    const char *why = NULL;
    if (img->fd < 0 || fstat(img->fd, &st) < 0) {
        vj_snapshot_close(img);
        return vj_error(err, VMJAIL_ERR_INTERNAL, errno, "snapshot %s", file);
    }
    if (!S_ISREG(st.st_mode) || pread(img->fd, &h, sizeof h, 0) != (ssize_t)sizeof h) {
        vj_snapshot_close(img);
        return bad(err, file, "not a snapshot file (truncated?)");
    }
    if (vj_snap_check_header(&h, (uint64_t)st.st_size, &why) < 0) {
        vj_snapshot_close(img);
        return bad(err, file, why);
    }
    img->meta = malloc((size_t)h.meta_size);
    if (img->meta == NULL ||
        pread(img->fd, img->meta, (size_t)h.meta_size, (off_t)h.meta_offset) !=
            (ssize_t)h.meta_size) {
        vj_snapshot_close(img);
        return bad(err, file, "cannot read its metadata");
    }
    if (vj_snap_parse_meta(&h, img->meta, (size_t)h.meta_size, &img->snap, &why) < 0) {
        vj_snapshot_close(img);
        return bad(err, file, why);
    }
    *out = img;
    return 0;
}

/* ---- argv and envp from /proc/self's lists ---------------------------------------------- */

static char **split(const char *s, size_t len)
{
    size_t n = 0;
    for (size_t i = 0; i < len; i++)
        n += s[i] == '\0';
    char **v = calloc(n + 1, sizeof *v);
    for (size_t i = 0, k = 0; v && i < len; k++) {
        v[k] = (char *)(uintptr_t)(s + i);
        i += strlen(s + i) + 1;
    }
    return v;
}

static char *dup_str(const char *s, size_t len)
{
    char *d = malloc(len + 1);
    if (d) {
        memcpy(d, s, len);
        d[len] = '\0';
    }
    return d;
}

/* ---- descriptors ------------------------------------------------------------------------ */

static int reopen_file(const struct vj_snap_fd *f, const char *path, vmjail_error **err)
{
    int flags = f->flags & ~(O_CREAT | O_EXCL | O_TRUNC | O_NOCTTY);
    int fd = open(path, flags | O_CLOEXEC);
    if (fd < 0)
        return vj_error(err, VMJAIL_ERR_INTERNAL, errno, "restore: fd %d: %s", f->fd, path);
    struct stat st;
    if (fstat(fd, &st) < 0 ||
        (S_ISREG(st.st_mode) &&
         ((uint64_t)st.st_size != f->size || (uint64_t)st.st_mtim.tv_sec != f->mtime_sec ||
          (uint64_t)st.st_mtim.tv_nsec != f->mtime_nsec))) {
        close(fd);
        return vj_error(err, VMJAIL_ERR_INTERNAL, 0,
                        "restore: fd %d: %s changed since the snapshot (size or mtime)", f->fd,
                        path);
    }
    if (S_ISREG(st.st_mode) && lseek(fd, (off_t)f->offset, SEEK_SET) < 0) {
        close(fd);
        return vj_error(err, VMJAIL_ERR_INTERNAL, errno, "restore: fd %d: seek", f->fd);
    }
    return fd;
}

static int relisten(const struct vj_snap_fd *f, const uint8_t *addr, vmjail_error **err)
{
    int fd = socket(f->family, f->socktype | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return vj_error(err, VMJAIL_ERR_INTERNAL, errno, "restore: fd %d: socket", f->fd);
    int one = 1;
    if (f->family != AF_UNIX)
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_storage a;
    memset(&a, 0, sizeof a);
    memcpy(&a, addr, f->tail_len);
    a.ss_family = (sa_family_t)f->family;
    int r = bind(fd, (struct sockaddr *)&a, f->tail_len);
    if (r < 0 && errno == EADDRINUSE && f->family == AF_UNIX) {
        /* The snapshotted run's socket file: a listening socket's path is taken again. */
        const struct sockaddr_un *u = (const struct sockaddr_un *)&a;
        struct stat st;
        if (u->sun_path[0] && lstat(u->sun_path, &st) == 0 && S_ISSOCK(st.st_mode) &&
            unlink(u->sun_path) == 0)
            r = bind(fd, (struct sockaddr *)&a, f->tail_len);
    }
    if (r < 0 || listen(fd, f->backlog) < 0 || fcntl(fd, F_SETFL, f->flags) < 0) {
        int e = errno;
        close(fd);
        return vj_error(err, VMJAIL_ERR_INTERNAL, e, "restore: fd %d: listen again", f->fd);
    }
    return fd;
}

static int restore_fds(struct vj_proc *p, const struct vj_snap *s, vmjail_error **err)
{
    for (size_t i = 0; i < s->nfds; i++) {
        const struct vj_snap_fd *f = &s->fds[i];
        if (f->kind == VJ_SNAP_FD_STDIO)
            continue; /* the restoring vmjail's own */
        if (vj_monitor_fd(p, f->fd) || f->fd >= 900)
            return vj_error(err, VMJAIL_ERR_INTERNAL, 0, "restore: fd %d is vmjail's here",
                            f->fd);
        int fd;
        if (f->kind == VJ_SNAP_FD_FILE) {
            char *path = dup_str((const char *)s->fd_tails[i], f->tail_len);
            fd = path ? reopen_file(f, path, err)
                      : vj_error(err, VMJAIL_ERR_INTERNAL, ENOMEM, "restore");
            free(path);
        } else {
            fd = relisten(f, s->fd_tails[i], err);
        }
        if (fd < 0)
            return -1;
        if (fd != f->fd && dup3(fd, f->fd, f->cloexec ? O_CLOEXEC : 0) < 0) {
            int e = errno;
            close(fd);
            return vj_error(err, VMJAIL_ERR_INTERNAL, e, "restore: fd %d", f->fd);
        }
        if (fd != f->fd)
            close(fd);
        else if (!f->cloexec)
            fcntl(fd, F_SETFD, 0);
    }
    return 0;
}

/* ---- the process ------------------------------------------------------------------------ */

/* Map [gpa, gpa + len) from the file at OFF: where it is writable, its holes (pages the
 * snapshot left out as zeros) as fresh memory, so that a platform that reads a writable
 * private file mapping (the process platform) reads only the pages written. */
static int map_range(struct vj_proc *p, int fd, uint64_t gpa, uint64_t len, int prot,
                     uint64_t off)
{
    if (!(prot & PROT_WRITE))
        return vj_vm_mem_file(p->vm, gpa, len, prot, false, fd, off);
    uint64_t at = 0;
    while (at < len) {
        off_t d = lseek(fd, (off_t)(off + at), SEEK_DATA);
        uint64_t data = d < 0 ? len : (uint64_t)d - off;
        if (d < 0 && errno != ENXIO)
            data = at; /* no SEEK_DATA here: the whole rest from the file */
        data &= ~4095ULL; /* a page that holds data is read whole */
        if (data > len)
            data = len;
        if (data > at) {
            int r = vj_vm_mem_anon(p->vm, gpa + at, data - at, prot, false);
            if (r < 0)
                return r;
            at = data;
            continue;
        }
        off_t h = lseek(fd, (off_t)(off + at), SEEK_HOLE);
        uint64_t end = h < 0 ? len : (uint64_t)h - off;
        end = end > len ? len : (end + 4095) & ~4095ULL;
        if (end <= at || end > len)
            end = len;
        int r = vj_vm_mem_file(p->vm, gpa + at, end - at, prot, false, fd, off + at);
        if (r < 0)
            return r;
        at = end;
    }
    return 0;
}

static int restore_memory(struct vj_proc *p, struct vj_snap_image *img, vmjail_error **err)
{
    const struct vj_snap *s = &img->snap;
    for (size_t i = 0; i < s->nvmas; i++) {
        const struct vj_snap_vma *v = &s->vmas[i];
        uint64_t len = v->end - v->start;
        struct vj_vma m = {.start = v->start, .end = v->end, .prot = v->prot,
                           .kind = (enum vj_vma_kind)v->kind};
        /* data_offset + data + len was checked to lie inside the file's memory section. */
        int r = map_range(p, img->fd, v->start, len, v->prot, s->hdr.data_offset + v->data);
        if (r == 0)
            r = vj_vmas_insert_vma(&p->vmas, &m);
        if (r < 0)
            return vj_error(err, VMJAIL_ERR_INTERNAL, -r, "restore: map %#llx-%#llx",
                            (unsigned long long)v->start, (unsigned long long)v->end);
    }
    return 0;
}

int vj_snapshot_restore_proc(struct vj_proc *p, struct vj_snap_image *img, vmjail_error **err)
{
    const struct vj_snap *s = &img->snap;
    if (s->proc.mem_size != p->mem_size)
        return vj_error(err, VMJAIL_ERR_INTERNAL, 0, "restore: memory size");
    if (s->proc.fpu_features != vj_vm_fpu_features(p->vm) ||
        s->proc.fpu_size != (vj_vm_fpu_size(p->vm) < 512 ? 512 : vj_vm_fpu_size(p->vm)))
        return vj_error(err, VMJAIL_ERR_USAGE, 0,
                        "restore: the snapshot was taken on a CPU with other FPU features");
    if (s->proc.vdso_hash != vj_snapshot_vdso_hash(p->vm))
        return vj_error(err, VMJAIL_ERR_USAGE, 0,
                        "restore: the snapshot was taken under another host kernel (vDSO)");
    char *cwd = dup_str(s->cwd, s->cwd_len);
    int r = cwd == NULL || chdir(cwd) < 0
                ? vj_error(err, VMJAIL_ERR_INTERNAL, errno, "restore: working directory %s",
                           cwd ? cwd : "")
                : 0;
    free(cwd);
    if (r < 0)
        return -1;
    char *exe = dup_str(s->exe, s->exe_len);
    char **argv = split(s->cmdline, s->cmdline_len);
    char **envp = split(s->environ, s->environ_len);
    r = exe && argv && envp ? vj_procfs_init(p, exe, argv, envp) : -1;
    free(exe);
    free(argv);
    free(envp);
    if (r < 0)
        return vj_error(err, VMJAIL_ERR_INTERNAL, ENOMEM, "restore: process information");
    if (s->interp && (p->interp = dup_str(s->interp, s->interp_len)) == NULL)
        return vj_error(err, VMJAIL_ERR_INTERNAL, ENOMEM, "restore");
    p->brk_start = s->proc.brk_start;
    p->brk_cur = s->proc.brk_cur;
    p->mmap_top = s->proc.mmap_top;
    p->stack_lo = s->proc.stack_lo;
    p->stack_hi = s->proc.stack_hi;
    p->auxv_gva = s->proc.auxv_gva;
    p->auxv_len = s->proc.auxv_len;
    p->image_lo = s->proc.image_lo;
    p->image_hi = s->proc.image_hi;
    p->interp_lo = s->proc.interp_lo;
    p->interp_hi = s->proc.interp_hi;
    memcpy(p->sigact, s->sigact, VJ_SNAP_SIGACT_SIZE);
    for (int sig = 1; sig < VJ_NSIG; sig++) {
        struct vj_ksigaction *a = vj_sigaction(p, sig);
        a->mask &= ~VJ_UNBLOCKABLE;
        if (sig == SIGKILL || sig == SIGSTOP)
            memset(a, 0, sizeof *a);
    }
    const struct vj_ksigaction *chld = vj_sigaction(p, SIGCHLD);
    if (chld->handler != VJ_SIG_DFL)
        vj_host_sigchld(chld->handler == VJ_SIG_IGN, (int)chld->flags);
    vj_tty_signal_action(SIGTTIN, vj_sigaction(p, SIGTTIN)->handler);
    vj_tty_signal_action(SIGTTOU, vj_sigaction(p, SIGTTOU)->handler);
    pthread_mutex_lock(&p->mm_lock);
    r = restore_memory(p, img, err);
    pthread_mutex_unlock(&p->mm_lock);
    if (r < 0 || restore_fds(p, s, err) < 0)
        return -1;
    p->snap_restored = true;
    return 0;
}

int vj_snapshot_restore_thread(struct vj_thread *t, struct vj_snap_image *img,
                               vmjail_error **err)
{
    const struct vj_snap *s = &img->snap;
    const struct vj_snap_thread *st = &s->thread;
    struct vj_fpu *f = calloc(1, sizeof *f);
    if (f == NULL)
        return vj_error(err, VMJAIL_ERR_INTERNAL, ENOMEM, "restore");
    memcpy(f->area, s->fpu, s->proc.fpu_size);
    int r = vj_vcpu_set_user_regs(t->vcpu, &st->regs, err);
    if (r == 0)
        r = vj_vcpu_set_fpu(t->vcpu, f, err);
    free(f);
    if (r == 0)
        r = vj_vcpu_set_tls_base(t->vcpu, false, st->fs_base, err);
    if (r == 0 && st->gs_base)
        r = vj_vcpu_set_payload_gs(t->vcpu, st->gs_base, false, err);
    if (r < 0)
        return -1;
    t->clear_child_tid = st->clear_child_tid;
    t->proc->snap_tid = st->tid;
    vj_signal_set_mask(t, st->sigmask);
    t->ss_sp = st->ss_sp;
    t->ss_size = st->ss_size;
    t->ss_flags = st->ss_flags;
    return 0;
}
