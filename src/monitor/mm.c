/* mm.c: the payload's mmap, munmap, mprotect, mremap, madvise and brk, emulated over the VMA
 * list and the host mapping of guest memory (see mm.h for the invariant). */
#include "monitor/mm.h"

#include <errno.h>
#include <stdbool.h>
#include <sys/mman.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/shm.h>

#include "monitor/mem_ahead.h"
#include "vmjail_abi.h"

#define PAGE_MASK (VJ_PAGE_SIZE - 1)
#define PROT_ALL (PROT_READ | PROT_WRITE | PROT_EXEC)

static uint64_t page_up(uint64_t x)
{
    return (x + PAGE_MASK) & ~(uint64_t)PAGE_MASK;
}

/* Round LEN up to pages; 0 if it overflows or is 0. */
static uint64_t page_len(uint64_t len)
{
    return len > UINT64_MAX - PAGE_MASK ? 0 : page_up(len);
}

/* Give [addr, addr+len) back to the host and make it inaccessible: the unmapped state. */
static int host_discard(struct vj_proc *p, uint64_t addr, uint64_t len)
{
    vj_mem_ahead_cut(p, addr, addr + len);
    int r = vj_vm_mem_discard(p->vm, addr, len);
    if (r < 0)
        p->mem_broken = true; /* the reservation may have a hole: the payload must not run again */
    return r;
}

static bool in_bounds(const struct vj_proc *p, uint64_t addr, uint64_t len)
{
    return len != 0 && vj_guest_range_ok(p, addr, len);
}

/* Map [addr, addr+len), which is in the unmapped state, as anonymous memory. */
static int host_map_anon(struct vj_proc *p, uint64_t addr, uint64_t len, int prot, bool shared)
{
    int r = vj_vm_mem_anon(p->vm, addr, len, prot, shared);
    if (r < 0)
        host_discard(p, addr, len);
    return r;
}

/* Map a file at [addr, addr+len); a failure leaves what was there. */
static int host_map_file(struct vj_proc *p, uint64_t addr, uint64_t len, int prot, bool shared,
                         int fd, uint64_t offset)
{
    return vj_vm_mem_file(p->vm, addr, len, prot, shared, fd, offset);
}

/* Unmap the mapped parts of [addr, addr+len). */
static int unmap_range(struct vj_proc *p, uint64_t addr, uint64_t len)
{
    uint64_t end = addr + len;
    for (size_t i = 0; i < p->vmas.n; i++) {
        const struct vj_vma *v = &p->vmas.v[i];
        if (v->end <= addr || v->start >= end)
            continue;
        uint64_t s = v->start > addr ? v->start : addr;
        uint64_t e = v->end < end ? v->end : end;
        int r = host_discard(p, s, e - s);
        if (r < 0)
            return r;
    }
    return vj_vmas_remove(&p->vmas, addr, end);
}

int vj_mm_init(struct vj_proc *p)
{
    vj_vmas_init(&p->vmas, VJ_GUEST_MIN, p->mem_size);
    return 0;
}

void vj_mm_fini(struct vj_proc *p)
{
    vj_mem_ahead_stop(p);
    vj_vmas_free(&p->vmas);
}

int vj_mm_map_fixed(struct vj_proc *p, uint64_t addr, uint64_t len, int prot,
                    enum vj_vma_kind kind)
{
    if (!in_bounds(p, addr, len) || (addr & PAGE_MASK) || (len & PAGE_MASK))
        return -ENOMEM;
    int r = unmap_range(p, addr, len);
    if (r == 0)
        r = host_map_anon(p, addr, len, prot, false);
    if (r == 0)
        r = vj_vmas_insert(&p->vmas, addr, addr + len, prot, kind, false);
    return r;
}

/* Where a new mapping of LEN bytes goes: the hint if it is free, else top-down. */
static uint64_t place(struct vj_proc *p, uint64_t hint, uint64_t len, int flags)
{
    if (hint != 0) {
        hint &= ~(uint64_t)PAGE_MASK;
        if (in_bounds(p, hint, len) && vj_vmas_is_free(&p->vmas, hint, hint + len))
            return hint;
    }
    uint64_t limit = p->mmap_top;
    if (flags & MAP_32BIT)
        limit = limit < 0x80000000ULL ? limit : 0x80000000ULL;
    uint64_t a = vj_vmas_find_free_topdown(&p->vmas, len, VJ_GUEST_MIN, limit, VJ_PAGE_SIZE);
    if (a == 0) /* below the stack is full: try above it */
        a = vj_vmas_find_free_topdown(&p->vmas, len, VJ_GUEST_MIN, p->mem_size, VJ_PAGE_SIZE);
    return a;
}

int64_t vj_mm_mmap(struct vj_proc *p, uint64_t addr, uint64_t len, int prot, int flags, int fd,
                   uint64_t offset)
{
    int type = flags & MAP_TYPE;
    if (type != MAP_PRIVATE && type != MAP_SHARED && type != MAP_SHARED_VALIDATE)
        return -EINVAL;
    if (len == 0 || (offset & PAGE_MASK) || (prot & ~PROT_ALL & ~(PROT_GROWSDOWN | PROT_GROWSUP)))
        return -EINVAL;
    if (type == MAP_SHARED_VALIDATE && (flags & MAP_ANONYMOUS))
        return -EINVAL; /* as Linux: only file mappings may ask for validation */
    if ((flags & MAP_SYNC) && type == MAP_SHARED_VALIDATE)
        return -EOPNOTSUPP;
    prot &= PROT_ALL;
    len = page_len(len);
    if (len == 0)
        return -ENOMEM;
    bool shared = type != MAP_PRIVATE;
    bool anon = flags & MAP_ANONYMOUS;
    if (!anon && offset + len < offset)
        return -EOVERFLOW;

    uint64_t at;
    if (flags & (MAP_FIXED | MAP_FIXED_NOREPLACE)) {
        if (addr & PAGE_MASK)
            return -EINVAL;
        if (!in_bounds(p, addr, len))
            return -ENOMEM;
        if ((flags & MAP_FIXED_NOREPLACE) && !vj_vmas_is_free(&p->vmas, addr, addr + len))
            return -EEXIST;
        at = addr;
    } else {
        at = place(p, addr, len, flags);
        if (at == 0)
            return -ENOMEM;
    }

    int r;
    if (anon) {
        r = unmap_range(p, at, len);
        if (r == 0)
            r = host_map_anon(p, at, len, prot, shared);
    } else {
        /* Map the file first: if that fails, an existing mapping at a fixed address stays. */
        r = host_map_file(p, at, len, prot, shared, fd, offset);
        if (r == 0)
            r = vj_vmas_remove(&p->vmas, at, at + len);
    }
    if (r < 0)
        return r;
    enum vj_vma_kind kind = anon ? (shared ? VJ_VMA_SHARED : VJ_VMA_ANON) : VJ_VMA_FILE;
    r = vj_vmas_insert(&p->vmas, at, at + len, prot, kind, shared);
    if (r < 0) {
        host_discard(p, at, len);
        return r;
    }
    if (flags & MAP_POPULATE)
        vj_vm_mem_advise(p->vm, at, len,
                         (prot & PROT_WRITE) ? MADV_POPULATE_WRITE : MADV_POPULATE_READ);
    else if (anon && !shared && (prot & PROT_WRITE) && len >= VJ_AHEAD_MIN &&
             !(flags & (MAP_STACK | MAP_GROWSDOWN)))
        vj_mem_ahead_add(p, at, at + len); /* populated ahead of the payload's first touch */
    return (int64_t)at;
}

/* Clamp [addr, addr+len) to payload memory: calls on addresses a Linux process could name
 * but that lie outside guest memory act on nothing there. */
static int clamp(const struct vj_proc *p, uint64_t *addr, uint64_t *len)
{
    if (*len == 0 || *addr + *len < *addr || *addr + *len > (1ULL << 47))
        return -EINVAL;
    uint64_t s = *addr < VJ_GUEST_MIN ? VJ_GUEST_MIN : *addr;
    uint64_t e = *addr + *len > p->mem_size ? p->mem_size : *addr + *len;
    *addr = s;
    *len = e > s ? e - s : 0;
    return 0;
}

int64_t vj_mm_munmap(struct vj_proc *p, uint64_t addr, uint64_t len)
{
    if (addr & PAGE_MASK)
        return -EINVAL;
    len = page_len(len);
    int r = clamp(p, &addr, &len);
    if (r < 0 || len == 0)
        return r;
    return unmap_range(p, addr, len);
}

int64_t vj_mm_mprotect(struct vj_proc *p, uint64_t addr, uint64_t len, int prot)
{
    if ((addr & PAGE_MASK) || (prot & ~PROT_ALL & ~(PROT_GROWSDOWN | PROT_GROWSUP)))
        return -EINVAL;
    if (len == 0)
        return 0;
    prot &= PROT_ALL;
    len = page_len(len);
    if (len == 0 || !in_bounds(p, addr, len) || !vj_vmas_is_mapped(&p->vmas, addr, addr + len))
        return -ENOMEM;
    if (!(prot & PROT_WRITE))
        vj_mem_ahead_cut(p, addr, addr + len);
    int r = vj_vm_mem_protect(p->vm, addr, len, prot);
    if (r < 0)
        return r;
    return vj_vmas_protect(&p->vmas, addr, addr + len, prot);
}

/* Move the pages of anonymous private [from, from+len) to [to, to+len), which is unmapped. */
static int host_move_anon(struct vj_proc *p, uint64_t from, uint64_t to, uint64_t len)
{
    int r = vj_vm_mem_move(p->vm, from, to, len);
    if (r < 0)
        return r;
    return host_discard(p, from, len);
}

int64_t vj_mm_mremap(struct vj_proc *p, uint64_t old_addr, uint64_t old_len, uint64_t new_len,
                     int flags, uint64_t new_addr)
{
    if ((old_addr & PAGE_MASK) || (flags & ~(MREMAP_MAYMOVE | MREMAP_FIXED | MREMAP_DONTUNMAP)))
        return -EINVAL;
    if ((flags & MREMAP_FIXED) && !(flags & MREMAP_MAYMOVE))
        return -EINVAL;
    if (flags & MREMAP_DONTUNMAP)
        return -EINVAL; /* not emulated */
    old_len = page_len(old_len);
    new_len = page_len(new_len);
    if (new_len == 0 || old_len == 0)
        return -EINVAL;
    if (!in_bounds(p, old_addr, old_len))
        return -EFAULT;
    const struct vj_vma *v = vj_vmas_find(&p->vmas, old_addr);
    if (v == NULL || v->end - old_addr < old_len)
        return -EFAULT;
    int prot = v->prot;
    enum vj_vma_kind kind = v->kind;
    bool movable_anon = !v->shared && kind != VJ_VMA_FILE;

    if (!(flags & MREMAP_FIXED)) {
        if (new_len <= old_len) {
            if (new_len < old_len) {
                int r = unmap_range(p, old_addr + new_len, old_len - new_len);
                if (r < 0)
                    return r;
            }
            return (int64_t)old_addr;
        }
        /* Grow in place if the pages after it are free. */
        uint64_t ext = old_addr + old_len, ext_len = new_len - old_len;
        if (movable_anon && in_bounds(p, ext, ext_len) && vj_vmas_is_free(&p->vmas, ext, ext + ext_len)) {
            int r = host_map_anon(p, ext, ext_len, prot, false);
            if (r == 0)
                r = vj_vmas_insert(&p->vmas, ext, ext + ext_len, prot, kind, false);
            if (r == 0 && (prot & PROT_WRITE))
                vj_mem_ahead_add(p, ext, ext + ext_len); /* grows a followed range */
            return r < 0 ? r : (int64_t)old_addr;
        }
        if (!(flags & MREMAP_MAYMOVE))
            return -ENOMEM;
        new_addr = place(p, 0, new_len, 0);
        if (new_addr == 0)
            return -ENOMEM;
    } else {
        if ((new_addr & PAGE_MASK) || !in_bounds(p, new_addr, new_len))
            return -EINVAL;
        if (new_addr < old_addr + old_len && old_addr < new_addr + new_len)
            return -EINVAL;
    }
    if (!movable_anon)
        return -ENOMEM; /* moving file and shared mappings is not emulated yet */
    uint64_t keep = old_len < new_len ? old_len : new_len;
    int r = unmap_range(p, new_addr, new_len);
    if (r == 0)
        r = host_move_anon(p, old_addr, new_addr, keep);
    if (r == 0 && new_len > keep)
        r = host_map_anon(p, new_addr + keep, new_len - keep, prot, false);
    if (r == 0) /* the rest of the old range, if the move shrank it, goes too */
        r = unmap_range(p, old_addr, old_len);
    if (r == 0)
        r = vj_vmas_insert(&p->vmas, new_addr, new_addr + new_len, prot, kind, false);
    return r < 0 ? r : (int64_t)new_addr;
}

int64_t vj_mm_madvise(struct vj_proc *p, uint64_t addr, uint64_t len, int advice)
{
    if (addr & PAGE_MASK)
        return -EINVAL;
    if (len == 0)
        return 0;
    len = page_len(len);
    if (len == 0 || !in_bounds(p, addr, len))
        return -ENOMEM;
    switch (advice) {
    case MADV_NORMAL:
    case MADV_RANDOM:
    case MADV_SEQUENTIAL:
    case MADV_WILLNEED:
    case MADV_DONTNEED:
    case MADV_FREE:
    case MADV_REMOVE:
    case MADV_HUGEPAGE:
    case MADV_NOHUGEPAGE:
    case MADV_COLD:
    case MADV_PAGEOUT:
    case MADV_POPULATE_READ:
    case MADV_POPULATE_WRITE:
        if (!vj_vmas_is_mapped(&p->vmas, addr, addr + len))
            return -ENOMEM;
        if (advice == MADV_DONTNEED || advice == MADV_FREE || advice == MADV_REMOVE ||
            advice == MADV_PAGEOUT)
            vj_mem_ahead_cut(p, addr, addr + len); /* given back: not to be populated again */
        return vj_vm_mem_advise(p->vm, addr, len, advice);
    case MADV_DONTFORK:
    case MADV_DOFORK:
    case MADV_MERGEABLE:
    case MADV_UNMERGEABLE:
    case MADV_DONTDUMP:
    case MADV_DODUMP:
    case MADV_WIPEONFORK:
    case MADV_KEEPONFORK:
        return 0; /* accepted: they concern the monitor's own process, not the guest */
    default:
        return -EINVAL;
    }
}

int64_t vj_mm_brk(struct vj_proc *p, uint64_t addr)
{
    if (addr < p->brk_start || addr > p->mmap_top)
        return (int64_t)p->brk_cur;
    uint64_t old_end = page_up(p->brk_cur), new_end = page_up(addr);
    if (new_end > old_end) {
        if (!in_bounds(p, old_end, new_end - old_end) ||
            !vj_vmas_is_free(&p->vmas, old_end, new_end) || new_end > p->mmap_top)
            return (int64_t)p->brk_cur;
        if (host_map_anon(p, old_end, new_end - old_end, PROT_READ | PROT_WRITE, false) < 0 ||
            vj_vmas_insert(&p->vmas, old_end, new_end, PROT_READ | PROT_WRITE, VJ_VMA_HEAP,
                           false) < 0)
            return (int64_t)p->brk_cur;
        vj_mem_ahead_add(p, old_end, new_end); /* the heap is followed once it is large */
    } else if (new_end < old_end) {
        if (unmap_range(p, new_end, old_end - new_end) < 0)
            return (int64_t)p->brk_cur;
    }
    p->brk_cur = addr;
    return (int64_t)addr;
}

int64_t vj_mm_shmat(struct vj_proc *p, uint64_t addr, bool fixed, int shmflg,
                    const struct vj_vma_shm *seg, void *at)
{
    uint64_t len = page_len(seg->size);
    if (len == 0)
        return -EINVAL;
    if (fixed) {
        /* As Linux: without SHM_REMAP a range that wraps or meets a mapping is -EINVAL; one
         * outside payload memory is what mmap's placement gives there, -ENOMEM. */
        if (!(shmflg & SHM_REMAP) && addr + len < addr)
            return -EINVAL;
        if (!in_bounds(p, addr, len))
            return -ENOMEM;
        if (!(shmflg & SHM_REMAP) && !vj_vmas_is_free(&p->vmas, addr, addr + len))
            return -EINVAL;
    } else if ((addr = place(p, 0, len, 0)) == 0) {
        return -ENOMEM;
    }
    int prot = PROT_READ | ((shmflg & SHM_RDONLY) ? 0 : PROT_WRITE) |
               ((shmflg & SHM_EXEC) ? PROT_EXEC : 0);
    vj_mem_ahead_cut(p, addr, addr + len);
    bool discarded = false;
    int r = vj_vm_mem_shm(p->vm, addr, len, prot, seg->shmid, shmflg, at, &discarded);
    if (r < 0) {
        if (discarded) /* the range is in the unmapped state: what was there is gone */
            vj_vmas_remove(&p->vmas, addr, addr + len);
        return r;
    }
    struct vj_vma v = {.start = addr, .end = addr + len, .prot = prot, .kind = VJ_VMA_SHM,
                       .shared = true, .offset = 0, .shm = *seg};
    v.shm.attach = ++p->shm_attaches;
    r = vj_vmas_insert_vma(&p->vmas, &v);
    if (r < 0) {
        host_discard(p, addr, len);
        return r;
    }
    return (int64_t)addr;
}

int64_t vj_mm_shmdt(struct vj_proc *p, uint64_t addr)
{
    if ((addr & PAGE_MASK) || p->vmas.n == 0)
        return -EINVAL;
    uint64_t(*ranges)[2] = malloc(p->vmas.n * sizeof *ranges);
    if (ranges == NULL)
        return -ENOMEM;
    size_t n = vj_vmas_shmdt(&p->vmas, addr, ranges, p->vmas.n);
    int r = n ? 0 : -EINVAL;
    for (size_t i = 0; i < n && r == 0; i++) /* each a whole range: the others stay as found */
        r = unmap_range(p, ranges[i][0], ranges[i][1] - ranges[i][0]);
    free(ranges);
    return r;
}

void vj_mm_shm_detach_all(struct vj_proc *p)
{
    for (size_t i = 0; i < p->vmas.n;) {
        const struct vj_vma *v = &p->vmas.v[i];
        if (v->kind != VJ_VMA_SHM)
            i++;
        else if (unmap_range(p, v->start, v->end - v->start) < 0) /* entry i goes */
            break;
    }
}
