/* shared_process.c: shared mappings on the process platform: a guest range backed by a file
 * (MAP_SHARED) or by a memfd of its own (shared anonymous memory), mapped in the monitor's view
 * of guest memory and, through the stub's control thread, in the stub, in place of guest
 * memory's own pages; kept with their descriptors so that a fork's child maps them again.
 * The generic monitor calls these under its address-space lock (mm_lock). */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/mman.h>
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

static void drop(struct vj_vm *vm, int i)
{
    vj_process_vm_disown_fd(vm, vm->shared[i].fd);
    close(vm->shared[i].fd);
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

int vj_process_shared_clear(struct vj_vm *vm, uint64_t gpa, uint64_t len)
{
    uint64_t end = gpa + len;
    for (int i = 0; i < vm->nshared;) {
        struct vj_shared_map *m = &vm->shared[i];
        if (m->end <= gpa || m->start >= end) {
            i++;
            continue;
        }
        uint64_t a = m->start > gpa ? m->start : gpa, b = m->end < end ? m->end : end;
        int r = give_back(vm, a, b);
        if (r < 0)
            return r;
        if (a == m->start && b == m->end) {
            drop(vm, i);
            continue; /* the last entry moved to i */
        }
        if (a > m->start && b < m->end) {
            /* The middle goes: the tail becomes an entry of its own. */
            int fd = fcntl(m->fd, F_DUPFD_CLOEXEC, 0);
            struct vj_shared_map tail = {b, m->end, fd, m->offset + (b - m->start)};
            m->end = a;
            if (fd < 0)
                return -errno;
            tail.fd = vj_process_vm_own_fd(vm, fd);
            if ((r = add(vm, tail)) < 0) {
                vj_process_vm_disown_fd(vm, tail.fd);
                close(tail.fd);
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

bool vj_process_shared_meets(const struct vj_vm *vm, uint64_t gpa, uint64_t len)
{
    for (int i = 0; i < vm->nshared; i++)
        if (vm->shared[i].start < gpa + len && vm->shared[i].end > gpa)
            return true;
    return false;
}

int vj_process_shared_map(struct vj_vm *vm, uint64_t gpa, uint64_t len, int prot, int fd,
                          uint64_t offset)
{
    int r = vj_process_shared_clear(vm, gpa, len);
    if (r < 0)
        return r;
    int own = fcntl(fd, F_DUPFD_CLOEXEC, 0);
    if (own < 0)
        return -errno;
    own = vj_process_vm_own_fd(vm, own);
    struct vj_shared_map m = {gpa, gpa + len, own, offset};
    if (mmap(vm->mem + gpa, len, vj_host_prot(prot), MAP_SHARED | MAP_FIXED, own,
             (off_t)offset) == MAP_FAILED)
        r = -errno;
    else
        r = vj_process_ask_fd(vm, VJ_STUB_REQ_MAP_FD, gpa, len, (uint64_t)prot, offset, own);
    if (r == 0)
        r = add(vm, m);
    if (r < 0) {
        give_back(vm, gpa, gpa + len);
        vj_process_vm_disown_fd(vm, own);
        close(own);
    }
    return r;
}

int vj_process_shared_rebuild(struct vj_vm *vm)
{
    for (int i = 0; i < vm->nshared; i++) {
        struct vj_shared_map *m = &vm->shared[i];
        if (mmap(vm->mem + m->start, m->end - m->start, PROT_NONE, MAP_SHARED | MAP_FIXED, m->fd,
                 (off_t)m->offset) == MAP_FAILED)
            return -errno;
        int r = vj_process_ask_fd(vm, VJ_STUB_REQ_MAP_FD, m->start, m->end - m->start,
                                  PROT_NONE, m->offset, m->fd);
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
