/* coredump.c: the payload's core file when a signal whose default action dumps core ends it:
 * each thread's state taken as it stops, then (every thread stopped) the mappings Linux would
 * dump, the notes' facts and the file's place (--core-dump, core_pattern, RLIMIT_CORE),
 * written by core_elf.c; and the "core dumped" mark a parent payload's wait reads. */
#include "monitor/coredump.h"

#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/auxv.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "monitor/core_elf.h"
#include "monitor/procfs.h"

#define PAGE 4096ULL
#define MIN_CORE 4096 /* Linux's min_coredump for ELF: a smaller RLIMIT_CORE dumps nothing */

/* Does P's end write a core: a signal whose default action dumps ended it, no monitor error,
 * dumps not turned off, and the payload has not made itself non-dumpable (PR_SET_DUMPABLE 0:
 * Linux then writes none). */
static bool core_wanted(struct vj_proc *p)
{
    pthread_mutex_lock(&p->lock);
    bool want = p->exited && p->result.signaled && vj_core_signal(p->result.signal) &&
                p->error == NULL && !p->core_off && !p->not_dumpable;
    pthread_mutex_unlock(&p->lock);
    return want;
}

/* ---- each thread's state, taken on its own host thread as it stops ------------------------- */

void vj_core_capture(struct vj_thread *t)
{
    struct vj_proc *p = t->proc;
    bool want = core_wanted(p);
    if (!want || t->core != NULL)
        return;
    struct vj_vcpu_snapshot *s = malloc(sizeof *s);
    if (s == NULL)
        return;
    /* A vCPU stopped inside the monitor's stubs has no user context: that thread is left
     * out of the core (KVM only; the process platform always has one). */
    if (vj_vcpu_snapshot(t->vcpu, s, NULL) < 0) {
        free(s);
        return;
    }
    t->core = s;
}

/* ---- the "core dumped" marks: pids of forked payload processes that wrote a core ---------- */

#define MARKS 256
static _Atomic int *marks; /* shared by this monitor and every monitor forked from it */

void vj_core_marks_init(void)
{
    if (marks != NULL)
        return;
    void *m = mmap(NULL, MARKS * sizeof *marks, PROT_READ | PROT_WRITE,
                   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (m != MAP_FAILED)
        marks = m;
}

static void mark_dumped(pid_t pid)
{
    if (marks == NULL)
        return;
    for (int i = 0; i < MARKS; i++) {
        int zero = 0;
        if (atomic_compare_exchange_strong(&marks[i], &zero, (int)pid))
            return;
    }
}

bool vj_core_take_mark(pid_t pid, bool keep)
{
    if (marks == NULL || pid <= 0)
        return false;
    for (int i = 0; i < MARKS; i++) {
        int want = (int)pid;
        if (keep ? atomic_load(&marks[i]) == want
                 : atomic_compare_exchange_strong(&marks[i], &want, 0))
            return true;
    }
    return false;
}

/* ---- the mappings ------------------------------------------------------------------------- */

struct reader {
    const struct vj_proc *p;
    uint64_t vdso, vdso_end; /* the payload's vDSO code, or 0 */
    const uint8_t *host_vdso; /* the same image: the host's vDSO in this process, or NULL */
};

/* Payload memory through the checked copy; the vDSO's code (in the low window, below payload
 * memory) from this process's own vDSO, which is the image the payload was given. */
static int read_guest(void *ctx, uint64_t addr, void *buf, size_t len)
{
    const struct reader *r = ctx;
    if (r->host_vdso && addr >= r->vdso && addr < r->vdso_end) {
        if (len > r->vdso_end - addr)
            return -1;
        memcpy(buf, r->host_vdso + (addr - r->vdso), len);
        return 0;
    }
    return vj_copy_from_guest(r->p, buf, addr, len) < 0 ? -1 : 0;
}

static bool elf_header_at(const struct vj_proc *p, uint64_t addr)
{
    uint8_t magic[4];
    return vj_copy_from_guest(p, magic, addr, sizeof magic) == 0 &&
           memcmp(magic, "\177ELF", 4) == 0;
}

/* How much of V Linux's vma_dump_size writes with the default coredump_filter (0x33): anonymous
 * memory, private or shared (SysV segments too), whole; a shared file mapping not at all; a private file mapping
 * whole if it may have been written (Linux: it has copied pages) and, for executable code,
 * only a first page that holds an ELF header.  vmjail does not know which private pages were
 * copied: it writes every private file mapping that is not executable (read-only data that
 * Linux would leave out makes the file larger, never misses a written page).  A mapping the
 * payload cannot read is written as a program header alone. */
static uint64_t dump_len(const struct vj_proc *p, const struct vj_vma *v)
{
    uint64_t size = v->end - v->start;
    if (v->prot == PROT_NONE)
        return 0;
    switch (v->kind) {
    case VJ_VMA_SHARED:
    case VJ_VMA_SHM: /* SysV shared memory is anonymous shared memory to Linux (shmem) */
    case VJ_VMA_ANON:
    case VJ_VMA_HEAP:
    case VJ_VMA_STACK:
        return size;
    case VJ_VMA_FILE:
    case VJ_VMA_IMAGE:
        if (v->shared)
            return 0;
        if (!(v->prot & PROT_EXEC) || (v->prot & PROT_WRITE))
            return size;
        return elf_header_at(p, v->start) ? PAGE : 0;
    }
    return 0;
}

/* The file mapping names for NT_FILE: the program, its interpreter and mmap'd files. */
static const char *file_of(const struct vj_proc *p, const struct vj_vma *v, uint64_t *offset)
{
    if (v->kind == VJ_VMA_IMAGE || v->kind == VJ_VMA_FILE) {
        if (v->start >= p->image_lo && v->end <= p->image_hi && p->exe) {
            *offset = v->start - p->image_lo; /* the usual layout: offsets follow addresses */
            return p->exe;
        }
        if (p->interp && v->start >= p->interp_lo && v->end <= p->interp_hi) {
            *offset = v->start - p->interp_lo;
            return p->interp;
        }
    }
    if (v->kind == VJ_VMA_FILE)
        return vj_procfs_file_of(p, v->start, v->end, offset);
    return NULL;
}

struct layout {
    struct vj_core_segment *segs;
    struct vj_core_file *files;
    size_t nsegs, nfiles;
};

static int collect_mappings(struct vj_proc *p, struct layout *l)
{
    pthread_mutex_lock(&p->mm_lock);
    size_t n = p->vmas.n + 2;
    l->segs = calloc(n, sizeof *l->segs);
    l->files = calloc(n, sizeof *l->files);
    if (l->segs == NULL || l->files == NULL) {
        pthread_mutex_unlock(&p->mm_lock);
        return -ENOMEM;
    }
    uint64_t data, end, code = vj_vm_vdso(p->vm);
    if (vj_vm_vdso_range(p->vm, &data, &end) && data < code && code < end) {
        /* The vDSO's data pages (VVAR) are never dumped; its code always is. */
        l->segs[l->nsegs++] = (struct vj_core_segment){data, code, PROT_READ, 0};
        l->segs[l->nsegs++] =
            (struct vj_core_segment){code, end, PROT_READ | PROT_EXEC, end - code};
    }
    for (size_t i = 0; i < p->vmas.n; i++) {
        const struct vj_vma *v = &p->vmas.v[i];
        l->segs[l->nsegs++] = (struct vj_core_segment){v->start, v->end, v->prot, dump_len(p, v)};
        uint64_t off = 0;
        const char *path = file_of(p, v, &off);
        if (path && *path)
            l->files[l->nfiles++] = (struct vj_core_file){v->start, v->end, off, path};
    }
    pthread_mutex_unlock(&p->mm_lock);
    return 0;
}

/* ---- where the file goes ------------------------------------------------------------------- */

static void read_line(const char *path, char *buf, size_t size)
{
    buf[0] = '\0';
    FILE *f = fopen(path, "re");
    if (f == NULL)
        return;
    if (fgets(buf, (int)size, f) == NULL)
        buf[0] = '\0';
    fclose(f);
    buf[strcspn(buf, "\n")] = '\0';
}

/* The core's path: --core-dump's, else the host's core_pattern where it is a plain path (and
 * core_uses_pid's ".PID" where it has no %p), else "core"; relative to the payload's working
 * directory, which is the monitor's. */
static int core_path(struct vj_proc *p, const char *comm, char *out, size_t size)
{
    char pattern[512];
    bool uses_pid = false;
    if (p->core_path) {
        snprintf(pattern, sizeof pattern, "%s", p->core_path);
    } else {
        read_line("/proc/sys/kernel/core_pattern", pattern, sizeof pattern);
        if (pattern[0] == '\0' || pattern[0] == '|')
            snprintf(pattern, sizeof pattern, "core");
        char u[16];
        read_line("/proc/sys/kernel/core_uses_pid", u, sizeof u);
        uses_pid = u[0] != '\0' && u[0] != '0';
    }
    char host[256] = "";
    gethostname(host, sizeof host - 1);
    if (vj_core_expand(pattern, getpid(), comm, p->result.signal, (long)time(NULL), host,
                       getuid(), getgid(), out, size) < 0)
        return -ENAMETOOLONG;
    if (uses_pid && strstr(pattern, "%p") == NULL) {
        size_t l = strlen(out);
        if (snprintf(out + l, size - l, ".%d", (int)getpid()) >= (int)(size - l))
            return -ENAMETOOLONG;
    }
    return out[0] ? 0 : -ENOENT;
}

/* Open PATH as Linux opens a core file: never through a symlink, never a file of another
 * owner, a file with other links or anything but a regular file; created 0600, emptied. */
static int open_core(const char *path)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0600);
    if (fd < 0)
        return -errno;
    struct stat st;
    int e = 0;
    if (fstat(fd, &st) < 0)
        e = -errno;
    else if (!S_ISREG(st.st_mode))
        e = -EINVAL;
    else if (st.st_nlink != 1)
        e = -EMLINK;
    else if (st.st_uid != geteuid())
        e = -EPERM;
    else if (ftruncate(fd, 0) < 0)
        e = -errno;
    if (e < 0) {
        close(fd);
        return e;
    }
    return fd;
}

/* ---- the dump ------------------------------------------------------------------------------ */

static void say(const char *path, const char *what, int e)
{
    fprintf(stderr, "vmjail: core dump: %s: %s%s%s\n", path, what, e ? ": " : "",
            e ? strerror(e) : "");
}

/* The process's threads in the core's order: the one the signal ended first. */
static size_t collect_threads(struct vj_proc *p, struct vj_core_thread *out, uint32_t fpu_size)
{
    size_t n = 0;
    for (int pass = 0; pass < 2; pass++)
        for (size_t i = 0; i < p->nthreads; i++) {
            const struct vj_thread *t = p->threads[i];
            bool first = t->tid == p->core_tid;
            if (t->core == NULL || (pass == 0) != first)
                continue;
            out[n++] = (struct vj_core_thread){.tid = t->tid, .regs = t->core->regs,
                                               .fs_base = t->core->fs_base,
                                               .gs_base = t->core->gs_base,
                                               .xsave = t->core->fpu.area,
                                               .xsave_size = fpu_size};
        }
    return n;
}

static void write_core(struct vj_proc *p, uint64_t limit)
{
    const char *base = p->exe ? strrchr(p->exe, '/') : NULL;
    char comm[16];
    snprintf(comm, sizeof comm, "%s", base ? base + 1 : p->exe ? p->exe : "");
    char path[4096];
    int e = core_path(p, comm, path, sizeof path);
    if (e < 0) {
        say(p->core_path ? p->core_path : "core", "no path", -e);
        return;
    }
    int fd = open_core(path);
    if (fd < 0) {
        say(path, "cannot open", -fd);
        return;
    }
    uint32_t fpu_size = vj_vm_fpu_size(p->vm);
    if (fpu_size < 512)
        fpu_size = 512;
    struct vj_core_thread *threads = calloc(p->nthreads ? p->nthreads : 1, sizeof *threads);
    struct layout l = {0};
    uint8_t *auxv = p->auxv_len && p->auxv_len <= 4096 ? malloc(p->auxv_len) : NULL;
    if (auxv && vj_copy_from_guest(p, auxv, p->auxv_gva, p->auxv_len) < 0) {
        free(auxv);
        auxv = NULL;
    }
    if (threads == NULL || collect_mappings(p, &l) < 0) {
        say(path, "out of memory", 0);
        goto out;
    }
    struct vj_core_state s = {
        .threads = threads,
        .nthreads = collect_threads(p, threads, fpu_size),
        .siginfo = p->core_info,
        .pid = getpid(),
        .ppid = getppid(),
        .pgrp = getpgrp(),
        .sid = getsid(0),
        .uid = getuid(),
        .gid = getgid(),
        .fname = comm,
        .args = p->cmdline,
        .args_len = p->cmdline_len,
        .auxv = auxv,
        .auxv_len = auxv ? p->auxv_len : 0,
        .xcr0 = vj_vm_fpu_features(p->vm),
        .files = l.files,
        .nfiles = l.nfiles,
        .segs = l.segs,
        .nsegs = l.nsegs,
    };
    s.siginfo.si_signo = p->result.signal; /* whatever queued it, it is the signal that ended it */
    bool truncated = false;
    struct reader rd = {.p = p};
    uint64_t data, end, code = vj_vm_vdso(p->vm);
    if (vj_vm_vdso_range(p->vm, &data, &end) && code < end) {
        rd.vdso = code;
        rd.vdso_end = end;
        rd.host_vdso = (const uint8_t *)(uintptr_t)getauxval(AT_SYSINFO_EHDR);
    }
    e = vj_core_write(fd, limit, &s, read_guest, &rd, &truncated);
    if (e < 0)
        say(path, "write", -e);
    else
        p->core_dumped = 1;
out:
    if (close(fd) < 0 && e == 0) {
        say(path, "close", errno);
        p->core_dumped = 0;
    }
    if (p->core_dumped && p->forked)
        mark_dumped(getpid());
    free(auxv);
    free(threads);
    free(l.segs);
    free(l.files);
}

void vj_core_dump(struct vj_proc *p)
{
    bool want = core_wanted(p);
    struct rlimit rl;
    if (want && getrlimit(RLIMIT_CORE, &rl) == 0 && rl.rlim_cur >= MIN_CORE)
        write_core(p, rl.rlim_cur == RLIM_INFINITY ? UINT64_MAX : (uint64_t)rl.rlim_cur);
    for (size_t i = 0; i < p->nthreads; i++) {
        free(p->threads[i]->core);
        p->threads[i]->core = NULL;
    }
}
