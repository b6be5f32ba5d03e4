/* mem_private.c: guest memory as one private host reservation, changed in place: what the KVM
 * platform's vj_vm_mem_* do (the guest sees the same host mapping as the monitor). */
#include "host/mem_private.h"

#include <errno.h>
#include <sys/mman.h>

#include "host/vm.h"
#include "vmjail_abi.h"

static void *host(uint8_t *mem, uint64_t gpa)
{
    return mem + gpa;
}

int vj_private_mem_discard(uint8_t *mem, uint64_t gpa, uint64_t len)
{
    void *h = mmap(host(mem, gpa), len, PROT_NONE,
                   MAP_FIXED | MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (h == MAP_FAILED)
        return -errno;
    madvise(h, len, MADV_HUGEPAGE);
    return 0;
}

/* Mapped afresh rather than opened with mprotect: on a PVM host KVM maps memory that was
 * PROT_NONE when mprotect opened it 4 KiB at a time (about 10 us per page touched), fresh
 * memory 2 MiB at a time (0.4 us per page). */
int vj_private_mem_anon(uint8_t *mem, uint64_t gpa, uint64_t len, int prot, bool shared)
{
    int flags = MAP_FIXED | MAP_ANONYMOUS | MAP_NORESERVE | (shared ? MAP_SHARED : MAP_PRIVATE);
    void *h = mmap(host(mem, gpa), len, vj_host_prot(prot), flags, -1, 0);
    if (h == MAP_FAILED)
        return -errno;
    if (!shared)
        madvise(h, len, MADV_HUGEPAGE);
    return 0;
}

/* The file is mapped at a host address of the kernel's choice first, then moved into place,
 * so a failure never leaves a hole in guest memory. */
int vj_private_mem_file(uint8_t *mem, uint64_t gpa, uint64_t len, int prot, bool shared, int fd,
                        uint64_t offset)
{
    void *tmp = mmap(NULL, len, vj_host_prot(prot), shared ? MAP_SHARED : MAP_PRIVATE, fd,
                     (off_t)offset);
    if (tmp == MAP_FAILED)
        return -errno;
    void *h = mremap(tmp, len, len, MREMAP_MAYMOVE | MREMAP_FIXED, host(mem, gpa));
    if (h == MAP_FAILED) {
        int e = -errno;
        munmap(tmp, len);
        return e;
    }
    return 0;
}

int vj_private_mem_protect(uint8_t *mem, uint64_t gpa, uint64_t len, int prot)
{
    return mprotect(host(mem, gpa), len, vj_host_prot(prot)) < 0 ? -errno : 0;
}

/* The pages move; the old range is left mapped (MREMAP_DONTUNMAP), for the caller to discard. */
int vj_private_mem_move(uint8_t *mem, uint64_t from, uint64_t to, uint64_t len)
{
    void *h = mremap(host(mem, from), len, len, MREMAP_MAYMOVE | MREMAP_FIXED | MREMAP_DONTUNMAP,
                     host(mem, to));
    if (h != MAP_FAILED)
        return 0;
    /* EFAULT: the range spans host mappings the kernel keeps apart where the guest's are one
     * (two anonymous mappings that both have pages are not merged, as after the guest grew a
     * mapping in place): each half on its own, down to single host mappings. */
    if (errno != EFAULT || len <= VJ_PAGE_SIZE)
        return -errno;
    uint64_t half = (len / 2) & ~(uint64_t)(VJ_PAGE_SIZE - 1);
    int r = vj_private_mem_move(mem, from, to, half);
    return r < 0 ? r : vj_private_mem_move(mem, from + half, to + half, len - half);
}

int vj_private_mem_advise(uint8_t *mem, uint64_t gpa, uint64_t len, int advice)
{
    return madvise(host(mem, gpa), len, advice) < 0 ? -errno : 0;
}

/* The monitor's attachment at AT moves into place, as a file mapping does (vm.h). */
int vj_private_mem_shm(uint8_t *mem, uint64_t gpa, uint64_t len, int prot, void *at)
{
    void *h = mremap(at, len, len, MREMAP_MAYMOVE | MREMAP_FIXED, host(mem, gpa));
    if (h == MAP_FAILED)
        return -errno;
    /* At the payload's protection as the monitor's view takes it (SHM_EXEC's PROT_EXEC off);
     * never more than the attachment allows, so this cannot fail. */
    mprotect(h, len, vj_host_prot(prot));
    return 0;
}
