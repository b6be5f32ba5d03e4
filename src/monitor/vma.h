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
    VJ_VMA_SHM = 7,    /* (part of) an attachment of a SysV shared memory segment (shmat) */
};

/* What a VJ_VMA_SHM range is part of: one shmat, whose parts (after a munmap or mprotect of
 * some of it, and in a fork's child) shmdt finds and detaches together, as Linux does. */
struct vj_vma_shm {
    uint32_t attach; /* the attachment: a number of its own per shmat of the process */
    int shmid;       /* the host segment */
    int key;         /* its key when attached (for maps) */
    uint64_t size;   /* its size in bytes */
};

struct vj_vma {
    uint64_t start, end; /* [start, end), page aligned, start < end */
    int prot;            /* PROT_* */
    enum vj_vma_kind kind;
    bool shared;         /* MAP_SHARED */
    uint64_t offset;     /* VJ_VMA_SHM: where start is in the segment (kept by splits) */
    struct vj_vma_shm shm; /* VJ_VMA_SHM only */
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
/* The same for a range described by V whole (its offset and segment; files and SysV shared
 * memory are never merged). */
int vj_vmas_insert_vma(struct vj_vmas *m, const struct vj_vma *v);
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
/* The first range that ends after ADDR (contains it or lies above it), or NULL. */
const struct vj_vma *vj_vmas_next(const struct vj_vmas *m, uint64_t addr);

/* What shmdt(ADDR) detaches, as Linux's: the first SysV range at or above ADDR that lies
 * where its attachment would if attached at ADDR (its offset in the segment equals its
 * distance from ADDR), then every other part of that same attachment so placed within the
 * segment's size from ADDR.  Their ranges go to OUT (at most MAX; the map has at most
 * m->n); returns how many, 0 if none (shmdt's EINVAL).  ADDR is page aligned. */
size_t vj_vmas_shmdt(const struct vj_vmas *m, uint64_t addr, uint64_t (*out)[2], size_t max);

/* The highest address A with A + len <= limit, A >= floor, A aligned to ALIGN (a power of
 * two >= page size) and [A, A + len) free; 0 if there is none. */
uint64_t vj_vmas_find_free_topdown(const struct vj_vmas *m, uint64_t len, uint64_t floor,
                                   uint64_t limit, uint64_t align);

#endif
