/* vma.h: the payload's address-space map: a sorted list of non-overlapping mapped ranges
 * within [lo, hi), with Linux mmap semantics for insertion, removal, protection and placement.
 * Pure bookkeeping: it never touches memory.  Addresses and lengths are page aligned (the
 * callers check); functions return 0 or a negative errno. */
#ifndef VJ_VMA_H
#define VJ_VMA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* What backs a range; kept for placement decisions, /proc/self/maps and fork later. */
enum vj_vma_kind {
    VJ_VMA_ANON = 1,   /* anonymous private memory */
    VJ_VMA_SHARED = 2, /* anonymous shared memory */
    VJ_VMA_FILE = 3,   /* a file mapping (private or shared) */
    VJ_VMA_HEAP = 4,   /* the brk area */
    VJ_VMA_STACK = 5,  /* the initial stack */
    VJ_VMA_IMAGE = 6,  /* a segment of the loaded program */
};

struct vj_vma {
    uint64_t start, end; /* [start, end), page aligned, start < end */
    int prot;            /* PROT_* */
    enum vj_vma_kind kind;
    bool shared;         /* MAP_SHARED */
};

struct vj_vmas {
    struct vj_vma *v; /* sorted by start, non-overlapping */
    size_t n, cap;
    uint64_t lo, hi;  /* the range that may be mapped */
};

void vj_vmas_init(struct vj_vmas *m, uint64_t lo, uint64_t hi);
void vj_vmas_free(struct vj_vmas *m);

/* Map [start, end), replacing whatever overlaps it (MAP_FIXED semantics): ranges partly
 * covered are split.  Adjacent ranges with equal prot, kind and shared flag that are not
 * files are merged.  -EINVAL if the range is empty or outside [lo, hi); -ENOMEM if out of
 * memory (the map is then unchanged). */
int vj_vmas_insert(struct vj_vmas *m, uint64_t start, uint64_t end, int prot,
                   enum vj_vma_kind kind, bool shared);
/* Unmap [start, end); unmapped parts are ignored (munmap semantics).  -EINVAL if empty or
 * outside [lo, hi); -ENOMEM if a split needs memory that is not there. */
int vj_vmas_remove(struct vj_vmas *m, uint64_t start, uint64_t end);
/* Change the protection of [start, end), splitting as needed.  -ENOMEM if any part of the
 * range is not mapped (mprotect semantics); the map is then unchanged. */
int vj_vmas_protect(struct vj_vmas *m, uint64_t start, uint64_t end, int prot);

/* True if no part of [start, end) is mapped / every part of it is mapped. */
bool vj_vmas_is_free(const struct vj_vmas *m, uint64_t start, uint64_t end);
bool vj_vmas_is_mapped(const struct vj_vmas *m, uint64_t start, uint64_t end);
/* The range containing ADDR, or NULL. */
const struct vj_vma *vj_vmas_find(const struct vj_vmas *m, uint64_t addr);

/* The highest address A with A + len <= limit, A >= floor, A aligned to ALIGN (a power of
 * two >= page size) and [A, A + len) free; 0 if there is none. */
uint64_t vj_vmas_find_free_topdown(const struct vj_vmas *m, uint64_t len, uint64_t floor,
                                   uint64_t limit, uint64_t align);

#endif
