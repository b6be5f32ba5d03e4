/* shared_process.c: mappings of descriptors on the process platform: a guest range backed by a
 * file (MAP_SHARED, or MAP_PRIVATE while it is not writable) or by a memfd of its own (shared
 * anonymous memory), mapped in the monitor's view of guest memory and, through the stub's
 * control thread, in the stub, in place of guest memory's own pages; kept with their
 * descriptors so that a fork's child maps them again.  A private mapping that becomes
 * writable is copied into guest memory's own pages first (the two views must see the same
 * bytes, and a private page written in one process is not the other's).  The generic monitor
 * calls these under its address-space lock (mm_lock). */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "host/process/process_platform.h"

/* Guest memory's own pages back at [a, b), without access, in both views. */
static int give_back(struct vj_vm *vm, uint64_t a, uint64_t b)
{
    if (mmap(vm->mem + a, b - a, PROT_NONE, MAP_SHARED | MAP_FIXED, vm->mem_fd, (off_t)a) ==
        MAP_FAILED)
        return -errno;
    return vj_process_ask(vm, VJ_STUB_REQ_MAP_MEM, a, b - a, PROT_NONE);
}

int vj_process_give_back(struct vj_vm *vm, uint64_t a, uint64_t b)
{
    return give_back(vm, a, b);
}

static void drop(struct vj_vm *vm, int i)
{
    if (vm->shared[i].fd >= 0) {
        vj_process_vm_disown_fd(vm, vm->shared[i].fd);
        close(vm->shared[i].fd);
    }
    vm->shared[i] = vm->shared[--vm->nshared];
}

static int add(struct vj_vm *vm, struct vj_shared_map m)
{
    if (vm->nshared == vm->shared_cap) {
        int cap = vm->shared_cap ? 2 * vm->shared_cap : 16;
        struct vj_shared_map *n = realloc(vm->shared, (size_t)cap * sizeof *n);
        if (n == NULL)
            return -ENOMEM;
        vm->shared = n;
        vm->shared_cap = cap;
    }
    vm->shared[vm->nshared++] = m;
    return 0;
}

/* The entries' parts in [gpa, gpa + len) go, given back to guest memory's own pages in both
 * views if GIVE (else what maps the range now is someone else's to change). */
static int clear(struct vj_vm *vm, uint64_t gpa, uint64_t len, bool give)
{
    uint64_t end = gpa + len;
    for (int i = 0; i < vm->nshared;) {
        struct vj_shared_map *m = &vm->shared[i];
        if (m->end <= gpa || m->start >= end) {
            i++;
            continue;
        }
        uint64_t a = m->start > gpa ? m->start : gpa, b = m->end < end ? m->end : end;
        int r = give ? give_back(vm, a, b) : 0;
        if (r < 0)
            return r;
        if (a == m->start && b == m->end) {
            drop(vm, i);
            continue; /* the last entry moved to i */
        }
        if (a > m->start && b < m->end) {
            /* The middle goes: the tail becomes an entry of its own (a segment's has no
             * descriptor). */
            int fd = m->fd >= 0 ? fcntl(m->fd, F_DUPFD_CLOEXEC, 0) : -1;
            struct vj_shared_map tail = *m;
            tail.start = b;
            tail.offset = m->offset + (b - m->start);
            m->end = a;
            if (m->fd >= 0 && fd < 0)
                return -errno;
            tail.fd = fd >= 0 ? vj_process_vm_own_fd(vm, fd) : -1;
            if ((r = add(vm, tail)) < 0) {
                if (tail.fd >= 0) {
                    vj_process_vm_disown_fd(vm, tail.fd);
                    close(tail.fd);
                }
                return r;
            }
        } else if (a == m->start) {
            m->offset += b - m->start;
            m->start = b;
        } else {
            m->end = a;
        }
        i++;
    }
    return 0;
}

int vj_process_shared_clear(struct vj_vm *vm, uint64_t gpa, uint64_t len)
{
    return clear(vm, gpa, len, true);
}

int vj_process_shared_forget(struct vj_vm *vm, uint64_t gpa, uint64_t len)
{
    return clear(vm, gpa, len, false);
}

bool vj_process_shared_meets(const struct vj_vm *vm, uint64_t gpa, uint64_t len)
{
    for (int i = 0; i < vm->nshared; i++)
        if (vm->shared[i].start < gpa + len && vm->shared[i].end > gpa)
            return true;
    return false;
}

/* The stub's request argument: the protection, and MAP_PRIVATE's flag. */
static uint64_t map_arg(int prot, bool private)
{
    return (uint64_t)prot | (private ? VJ_STUB_MAP_PRIVATE : 0);
}

uint64_t vj_process_shm_arg(int prot, uint32_t flags, int shmid)
{
    return (uint64_t)prot | flags | (uint64_t)(uint32_t)shmid << 32;
}

int vj_process_shared_add_shm(struct vj_vm *vm, uint64_t gpa, uint64_t len, int shmid,
                              uint32_t flags)
{
    struct vj_shared_map m = {gpa, gpa + len, -1, 0, false, shmid, flags};
    return add(vm, m);
}

int vj_process_shared_map(struct vj_vm *vm, uint64_t gpa, uint64_t len, int prot, int fd,
                          uint64_t offset, bool private)
{
    int r = vj_process_shared_clear(vm, gpa, len);
    if (r < 0)
        return r;
    int own = fcntl(fd, F_DUPFD_CLOEXEC, 0);
    if (own < 0)
        return -errno;
    own = vj_process_vm_own_fd(vm, own);
    struct vj_shared_map m = {gpa, gpa + len, own, offset, private, -1, 0};
    if (mmap(vm->mem + gpa, len, vj_host_prot(prot), (private ? MAP_PRIVATE : MAP_SHARED) | MAP_FIXED,
             own, (off_t)offset) == MAP_FAILED)
        r = -errno;
    else
        r = vj_process_ask_fd(vm, VJ_STUB_REQ_MAP_FD, gpa, len, map_arg(prot, private), offset,
                              own);
    if (r == 0)
        r = add(vm, m);
    if (r < 0) {
        give_back(vm, gpa, gpa + len);
        vj_process_vm_disown_fd(vm, own);
        close(own);
    }
    return r;
}

/* Copy the file's bytes of private mapping M's [a, b) into guest memory's own pages (which
 * read as zeros: they were given back when the mapping was made): from the file, not from the
 * monitor's view, which may not be readable; none past the file's end. */
static int copy_out(struct vj_vm *vm, const struct vj_shared_map *m, uint64_t a, uint64_t b)
{
    struct stat st;
    if (fstat(m->fd, &st) < 0)
        return -errno;
    uint64_t from = m->offset + (a - m->start), size = (uint64_t)st.st_size;
    if (from >= size)
        return 0;
    uint64_t len = b - a < size - from ? b - a : size - from;
    /* Through a buffer: copy_file_range refuses to cross from most filesystems into a memfd. */
    enum { BUF = 1 << 16 };
    uint8_t *buf = malloc(BUF);
    if (buf == NULL)
        return -ENOMEM;
    int r = 0;
    for (uint64_t done = 0; done < len && r == 0;) {
        size_t want = len - done < BUF ? (size_t)(len - done) : BUF;
        ssize_t n = pread(m->fd, buf, want, (off_t)(from + done));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            r = n < 0 ? -errno : 0; /* the file shrank: the rest reads as zeros */
            break;
        }
        for (ssize_t w = 0; w < n && r == 0;) {
            ssize_t k = pwrite(vm->mem_fd, buf + w, (size_t)(n - w),
                               (off_t)(a + done + (uint64_t)w));
            if (k < 0 && errno == EINTR)
                continue;
            if (k <= 0)
                r = k < 0 ? -errno : -EIO;
            else
                w += k;
        }
        done += (uint64_t)n;
    }
    free(buf);
    return r;
}

int vj_process_private_to_copy(struct vj_vm *vm, uint64_t gpa, uint64_t len)
{
    uint64_t end = gpa + len;
    for (int i = 0; i < vm->nshared; i++) {
        struct vj_shared_map *m = &vm->shared[i];
        if (!m->private || m->end <= gpa || m->start >= end)
            continue;
        uint64_t a = m->start > gpa ? m->start : gpa, b = m->end < end ? m->end : end;
        int r = copy_out(vm, m, a, b);
        if (r < 0)
            return r;
    }
    /* Then the ranges are guest memory's own again (the entries trimmed or gone). */
    for (int i = 0; i < vm->nshared; i++) {
        struct vj_shared_map *m = &vm->shared[i];
        if (!m->private || m->end <= gpa || m->start >= end)
            continue;
        uint64_t a = m->start > gpa ? m->start : gpa, b = m->end < end ? m->end : end;
        int r = vj_process_shared_clear(vm, a, b - a);
        if (r < 0)
            return r;
        i = -1; /* the list changed: look again from the start */
    }
    return 0;
}

int vj_process_shared_view(struct vj_vm *vm, int mem_fd)
{
    for (uint64_t at = 0; at < vm->mem_size;) {
        /* The next segment's entry at or above AT, if any: guest memory below it. */
        const struct vj_shared_map *next = NULL;
        for (int i = 0; i < vm->nshared; i++)
            if (vm->shared[i].shmid >= 0 && vm->shared[i].start >= at &&
                (next == NULL || vm->shared[i].start < next->start))
                next = &vm->shared[i];
        uint64_t to = next ? next->start : vm->mem_size;
        if (to > at && mmap(vm->mem + at, to - at, PROT_NONE, MAP_SHARED | MAP_FIXED, mem_fd,
                            (off_t)at) == MAP_FAILED)
            return -errno;
        at = next ? next->end : to;
    }
    return 0;
}

int vj_process_shared_rebuild(struct vj_vm *vm)
{
    for (int i = 0; i < vm->nshared; i++) {
        struct vj_shared_map *m = &vm->shared[i];
        if (m->shmid >= 0) {
            /* The monitor's view is the fork's copy of the parent's (vj_process_shared_view
             * left it), which keeps the segment from going while the stub attaches it. */
            int r = vj_process_ask_fd(vm, VJ_STUB_REQ_SHMAT, m->start, m->end - m->start,
                                      vj_process_shm_arg(PROT_NONE, m->shmflg, m->shmid),
                                      m->offset, -1);
            if (r < 0)
                return r;
            continue;
        }
        if (mmap(vm->mem + m->start, m->end - m->start, PROT_NONE,
                 (m->private ? MAP_PRIVATE : MAP_SHARED) | MAP_FIXED, m->fd,
                 (off_t)m->offset) == MAP_FAILED)
            return -errno;
        int r = vj_process_ask_fd(vm, VJ_STUB_REQ_MAP_FD, m->start, m->end - m->start,
                                  map_arg(PROT_NONE, m->private), m->offset, m->fd);
        if (r < 0)
            return r;
    }
    return 0;
}

void vj_process_shared_free(struct vj_vm *vm)
{
    while (vm->nshared > 0)
        drop(vm, vm->nshared - 1);
    free(vm->shared);
    vm->shared = NULL;
    vm->shared_cap = 0;
}
