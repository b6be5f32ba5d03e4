/* test_mm.c: unit tests of the payload memory manager without KVM (src/monitor/mm.c over a
 * host reservation, changed by src/host/mem_private.c as on the KVM platform). */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/shm.h>
#include <unistd.h>

#include "host/mem_private.h"
#include "host/platform.h"
#include "monitor/mm.h"
#include "monitor/proc.h"
#include "monitor/vma.h"
#include "tap.h"
#include "vmjail_abi.h"

#define PG 4096ULL
#define MiB (1ULL << 20)
#define MEM_SIZE (64 * MiB)
#define GUARD (2 * MiB)
#define RW (PROT_READ | PROT_WRITE)
#define ANON (MAP_PRIVATE | MAP_ANONYMOUS)

/* A payload process without a VM: guest memory is a 2 MiB aligned PROT_NONE reservation. */
struct env {
    struct vj_proc p;
    uint8_t *resv; /* what mmap returned, and its size */
    size_t resv_len;
};

/* A platform whose guest memory is the test's reservation, changed as KVM's is. */
static uint8_t *base_mem;
static int mem_discard(struct vj_vm *vm, uint64_t gpa, uint64_t len)
{
    (void)vm;
    return vj_private_mem_discard(base_mem, gpa, len);
}
static int mem_anon(struct vj_vm *vm, uint64_t gpa, uint64_t len, int prot, bool shared)
{
    (void)vm;
    return vj_private_mem_anon(base_mem, gpa, len, prot, shared);
}
static int mem_file(struct vj_vm *vm, uint64_t gpa, uint64_t len, int prot, bool shared, int fd,
                    uint64_t offset)
{
    (void)vm;
    return vj_private_mem_file(base_mem, gpa, len, prot, shared, fd, offset);
}
static int mem_protect(struct vj_vm *vm, uint64_t gpa, uint64_t len, int prot)
{
    (void)vm;
    return vj_private_mem_protect(base_mem, gpa, len, prot);
}
static int mem_move(struct vj_vm *vm, uint64_t from, uint64_t to, uint64_t len)
{
    (void)vm;
    return vj_private_mem_move(base_mem, from, to, len);
}
static int mem_advise(struct vj_vm *vm, uint64_t gpa, uint64_t len, int advice)
{
    (void)vm;
    return vj_private_mem_advise(base_mem, gpa, len, advice);
}
static int mem_shm(struct vj_vm *vm, uint64_t gpa, uint64_t len, int prot, int shmid,
                   int shmflg, void *at, bool *discarded)
{
    (void)vm, (void)shmid, (void)shmflg;
    *discarded = false;
    return vj_private_mem_shm(base_mem, gpa, len, prot, at);
}
static int shm_views(const struct vj_vm *vm)
{
    (void)vm;
    return 1;
}
static const struct vj_platform reservation = {
    .name = "reservation", .vm_mem_discard = mem_discard, .vm_mem_anon = mem_anon,
    .vm_mem_file = mem_file, .vm_mem_protect = mem_protect, .vm_mem_move = mem_move,
    .vm_mem_advise = mem_advise, .vm_mem_shm = mem_shm, .vm_shm_views = shm_views};

static void env_init(struct env *e)
{
    memset(e, 0, sizeof *e);
    e->resv_len = MEM_SIZE + GUARD + 2 * MiB; /* + 2 MiB to align the base */
    e->resv = mmap(NULL, e->resv_len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
                   -1, 0);
    if (e->resv == MAP_FAILED) {
        perror("mmap reservation");
        exit(2);
    }
    uintptr_t base = ((uintptr_t)e->resv + 2 * MiB - 1) & ~(uintptr_t)(2 * MiB - 1);
    struct vj_proc *p = &e->p;
    p->vm = NULL;
    p->mem = (uint8_t *)base;
    base_mem = p->mem;
    vj_platform_use(&reservation);
    p->mem_size = MEM_SIZE;
    p->trace_fd = -1;
    if (vj_mm_init(p) < 0) {
        fprintf(stderr, "vj_mm_init failed\n");
        exit(2);
    }
    p->mmap_top = MEM_SIZE - 8 * MiB;
    p->brk_start = p->brk_cur = 16 * MiB;
}

static struct env E;
#define P (&E.p)

/* Guest memory as the payload would see it, through the fault-safe copies. */
static bool readable(const struct vj_proc *p, uint64_t gva, uint64_t len)
{
    uint8_t buf[PG];
    for (uint64_t o = 0; o < len; o += PG)
        if (vj_copy_from_guest(p, buf, gva + o, len - o < PG ? len - o : PG) < 0)
            return false;
    return true;
}

static bool writable(const struct vj_proc *p, uint64_t gva, uint64_t len)
{
    uint8_t buf[PG];
    for (uint64_t o = 0; o < len; o += PG) {
        uint64_t n = len - o < PG ? len - o : PG;
        if (vj_copy_from_guest(p, buf, gva + o, n) < 0 || vj_copy_to_guest(p, gva + o, buf, n) < 0)
            return false;
    }
    return true;
}

/* Every page of [gva, gva+len) is inaccessible. */
static bool gone(const struct vj_proc *p, uint64_t gva, uint64_t len)
{
    uint8_t b;
    for (uint64_t o = 0; o < len; o += PG)
        if (vj_copy_from_guest(p, &b, gva + o, 1) == 0)
            return false;
    return true;
}

static bool all_bytes(const struct vj_proc *p, uint64_t gva, uint64_t len, uint8_t v)
{
    for (uint64_t i = 0; i < len; i++)
        if (p->mem[gva + i] != v)
            return false;
    return true;
}

static bool vma_is(const struct vj_proc *p, uint64_t start, uint64_t end, int prot,
                   enum vj_vma_kind kind)
{
    const struct vj_vma *v = vj_vmas_find(&p->vmas, start);
    bool same = v && v->start == start && v->end == end && v->prot == prot && v->kind == kind;
    if (!same) {
        if (v)
            printf("#   vma at %#llx: [%#llx, %#llx) prot %d kind %d\n",
                   (unsigned long long)start, (unsigned long long)v->start,
                   (unsigned long long)v->end, v->prot, (int)v->kind);
        else
            printf("#   no vma at %#llx\n", (unsigned long long)start);
    }
    return same;
}

static int64_t anon(uint64_t addr, uint64_t len, int prot, int extra_flags)
{
    return vj_mm_mmap(P, addr, len, prot, ANON | extra_flags, -1, 0);
}

/* ---- anonymous mmap and munmap ----------------------------------------------------------- */

static void test_mmap_anon(void)
{
    int64_t a = anon(0, 3 * PG, RW, 0);
    ok(a > 0, "mmap anonymous: %#llx", (unsigned long long)a);
    ok(a % PG == 0, "page aligned");
    ok(a >= VJ_GUEST_MIN && (uint64_t)a + 3 * PG <= P->mmap_top, "inside [VJ_GUEST_MIN, mmap_top)");
    ok(readable(P, a, 3 * PG) && all_bytes(P, a, 3 * PG, 0), "zero-filled");
    memset(P->mem + a, 'a', 3 * PG);
    ok(writable(P, a, 3 * PG) && all_bytes(P, a, 3 * PG, 'a'), "writable through p->mem + addr");
    ok(vma_is(P, a, a + 3 * PG, RW, VJ_VMA_ANON), "recorded as one anonymous RW range");

    int64_t b = anon(0, 5000, PROT_READ, 0);
    ok(b > 0 && b % PG == 0, "a second mapping of 5000 bytes");
    ok((uint64_t)b + 2 * PG <= (uint64_t)a || (uint64_t)b >= (uint64_t)a + 3 * PG,
       "it does not overlap the first");
    ok(vma_is(P, b, b + 2 * PG, PROT_READ, VJ_VMA_ANON), "its length is rounded up to 2 pages");
    ok(readable(P, b, 2 * PG), "a PROT_READ mapping is readable");
    uint8_t x = 1;
    is_int(vj_copy_to_guest(P, b, &x, 1), -EFAULT, "and not writable");

    /* munmap makes it inaccessible; a new mapping there is zeroed again. */
    is_int(vj_mm_munmap(P, a, 3 * PG), 0, "munmap");
    ok(gone(P, a, 3 * PG), "the unmapped range is inaccessible");
    ok(vj_vmas_find(&P->vmas, a) == NULL, "and not in the map");
    unsigned char vec[3];
    ok(mincore(P->mem + a, 3 * PG, vec) == 0 && !(vec[0] & 1) && !(vec[1] & 1) && !(vec[2] & 1),
       "its pages went back to the host (mincore)");
    int64_t a2 = anon(a, 3 * PG, RW, MAP_FIXED_NOREPLACE);
    is_int(a2, a, "mapping the same range again");
    ok(readable(P, a, 3 * PG) && all_bytes(P, a, 3 * PG, 0), "is zero-filled again");
    is_int(vj_mm_munmap(P, a, 3 * PG), 0, "munmap it");
    is_int(vj_mm_munmap(P, a, 3 * PG), 0, "munmap of an unmapped range: 0");
    is_int(vj_mm_munmap(P, b, 5000), 0, "munmap with a length that is not a page multiple");
    ok(gone(P, b, 2 * PG), "unmaps whole pages");

    /* Shared anonymous memory. */
    int64_t s = vj_mm_mmap(P, 0, 2 * PG, RW, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    ok(s > 0, "MAP_SHARED anonymous");
    ok(readable(P, s, 2 * PG) && all_bytes(P, s, 2 * PG, 0), "zero-filled");
    memset(P->mem + s, 's', 2 * PG);
    ok(vma_is(P, s, s + 2 * PG, RW, VJ_VMA_SHARED), "recorded as shared");
    is_int(vj_mm_munmap(P, s, 2 * PG), 0, "munmap shared");
    ok(gone(P, s, 2 * PG), "inaccessible after munmap");
    is_int(anon(s, 2 * PG, RW, MAP_FIXED), s, "private mapping where the shared one was");
    ok(all_bytes(P, s, 2 * PG, 0), "zero-filled, not the shared pages");
    vj_mm_munmap(P, s, 2 * PG);

    /* munmap partly or wholly outside guest memory. */
    int64_t t = anon(MEM_SIZE - PG, PG, RW, MAP_FIXED);
    is_int(t, MEM_SIZE - PG, "MAP_FIXED at the last page");
    is_int(vj_mm_munmap(P, MEM_SIZE - PG, 2 * PG), 0, "munmap running past mem_size: 0");
    ok(gone(P, MEM_SIZE - PG, PG), "the last page is unmapped");
    is_int(vj_mm_munmap(P, 0x7f0000000000ULL, PG), 0, "munmap outside guest memory: 0");
    is_int(vj_mm_munmap(P, 0, VJ_GUEST_MIN), 0, "munmap below VJ_GUEST_MIN: 0");
}

static void test_map_fixed(void)
{
    const uint64_t m = 24 * MiB;
    is_int(anon(m, 4 * PG, RW, MAP_FIXED), m, "MAP_FIXED at a free address");
    memset(P->mem + m, 'x', 4 * PG);
    is_int(anon(m + PG, PG, PROT_READ, MAP_FIXED), m + PG, "MAP_FIXED over the second page");
    ok(all_bytes(P, m + PG, PG, 0), "the replaced page is zero");
    uint8_t x = 1;
    is_int(vj_copy_to_guest(P, m + PG, &x, 1), -EFAULT, "and read-only");
    ok(all_bytes(P, m, PG, 'x') && all_bytes(P, m + 2 * PG, 2 * PG, 'x'),
       "the pages around it keep their contents");
    ok(vma_is(P, m, m + PG, RW, VJ_VMA_ANON) && vma_is(P, m + PG, m + 2 * PG, PROT_READ, VJ_VMA_ANON) &&
           vma_is(P, m + 2 * PG, m + 4 * PG, RW, VJ_VMA_ANON),
       "the map is split in three");

    is_int(anon(m + 2 * PG, PG, RW, MAP_FIXED_NOREPLACE), -EEXIST,
           "MAP_FIXED_NOREPLACE over a mapping: -EEXIST");
    is_int(anon(m + 3 * PG, 2 * PG, RW, MAP_FIXED_NOREPLACE), -EEXIST,
           "MAP_FIXED_NOREPLACE partly over a mapping: -EEXIST");
    ok(all_bytes(P, m + 2 * PG, 2 * PG, 'x'), "the mapping is untouched");
    ok(gone(P, m + 4 * PG, PG), "and nothing was mapped after it");
    is_int(anon(m + 8 * PG, PG, RW, MAP_FIXED_NOREPLACE), m + 8 * PG,
           "MAP_FIXED_NOREPLACE into free space: the exact address");
    is_int(anon(m + 8 * PG + 1, PG, RW, MAP_FIXED), -EINVAL, "MAP_FIXED misaligned: -EINVAL");
    is_int(anon(VJ_GUEST_MIN - PG, PG, RW, MAP_FIXED), -ENOMEM,
           "MAP_FIXED below VJ_GUEST_MIN: -ENOMEM");
    is_int(anon(MEM_SIZE, PG, RW, MAP_FIXED), -ENOMEM, "MAP_FIXED at mem_size: -ENOMEM");
    is_int(anon(MEM_SIZE - PG, 2 * PG, RW, MAP_FIXED), -ENOMEM,
           "MAP_FIXED running past mem_size: -ENOMEM");
    is_int(vj_mm_munmap(P, m, 9 * PG), 0, "munmap across three ranges and a gap");
    ok(gone(P, m, 9 * PG), "all of it is inaccessible");
    ok(vj_vmas_is_free(&P->vmas, m, m + 9 * PG), "and free in the map");
}

static void test_hints(void)
{
    const uint64_t h = 28 * MiB;
    is_int(anon(h, 2 * PG, RW, 0), h, "a free hint is honoured");
    int64_t r = anon(h, 2 * PG, RW, 0);
    ok(r > 0 && r != (int64_t)h && vj_vmas_is_mapped(&P->vmas, h, h + 2 * PG),
       "a taken hint is not: %#llx", (unsigned long long)r);
    ok((uint64_t)r + 2 * PG <= h || (uint64_t)r >= h + 2 * PG, "and the old mapping is intact");
    vj_mm_munmap(P, r, 2 * PG);
    is_int(anon(h + 4 * PG + 123, PG, RW, 0), h + 4 * PG,
           "an unaligned free hint is rounded down to its page");
    r = anon(0x7f0000000000ULL, PG, RW, 0);
    ok(r > 0 && (uint64_t)r < P->mmap_top, "a hint outside guest memory is ignored");
    vj_mm_munmap(P, r, PG);
    r = anon(PG, PG, RW, 0);
    ok(r >= VJ_GUEST_MIN, "a hint below VJ_GUEST_MIN is ignored");
    vj_mm_munmap(P, r, PG);
    r = anon(MEM_SIZE - PG, 2 * PG, RW, 0);
    ok(r > 0 && (uint64_t)r + 2 * PG <= MEM_SIZE, "a hint running past mem_size is ignored");
    vj_mm_munmap(P, r, 2 * PG);
    vj_mm_munmap(P, h, 8 * PG);
}

static void test_mprotect(void)
{
    const uint64_t m = 30 * MiB;
    is_int(anon(m, 4 * PG, RW, MAP_FIXED), m, "a mapping to protect");
    memset(P->mem + m, 'p', 4 * PG);
    is_int(vj_mm_mprotect(P, m + PG, 2 * PG, PROT_READ), 0, "mprotect the middle PROT_READ");
    uint8_t x = 'q';
    is_int(vj_copy_to_guest(P, m + PG, &x, 1), -EFAULT, "a write there: -EFAULT");
    is_int(vj_copy_to_guest(P, m + 3 * PG - 1, &x, 1), -EFAULT, "also at its last byte");
    ok(readable(P, m + PG, 2 * PG) && all_bytes(P, m + PG, 2 * PG, 'p'), "still readable");
    ok(writable(P, m, PG) && writable(P, m + 3 * PG, PG), "the pages around stay writable");
    ok(vma_is(P, m + PG, m + 3 * PG, PROT_READ, VJ_VMA_ANON), "the map records PROT_READ");
    is_int(vj_mm_mprotect(P, m, 4 * PG, PROT_NONE), 0, "mprotect PROT_NONE");
    ok(gone(P, m, 4 * PG), "nothing accessible");
    is_int(vj_mm_mprotect(P, m, 4 * PG, RW), 0, "mprotect back to RW");
    ok(writable(P, m, 4 * PG) && all_bytes(P, m, 4 * PG, 'p'), "contents kept, writable");
    ok(vma_is(P, m, m + 4 * PG, RW, VJ_VMA_ANON), "the ranges merged back");
    is_int(vj_mm_mprotect(P, m, 4 * PG, PROT_READ | PROT_EXEC), 0, "PROT_READ|PROT_EXEC");
    is_int(vj_copy_to_guest(P, m, &x, 1), -EFAULT, "not writable");
    is_int(vj_mm_mprotect(P, m, 4 * PG, RW), 0, "RW again");

    is_int(vj_mm_mprotect(P, m + 8 * PG, PG, PROT_READ), -ENOMEM, "mprotect of unmapped: -ENOMEM");
    is_int(vj_mm_mprotect(P, m + 2 * PG, 4 * PG, PROT_READ), -ENOMEM,
           "mprotect partly unmapped: -ENOMEM");
    ok(vma_is(P, m, m + 4 * PG, RW, VJ_VMA_ANON) && writable(P, m + 2 * PG, 2 * PG),
       "after the failure the mapped part is unchanged");
    is_int(vj_mm_mprotect(P, m + 1, PG, PROT_READ), -EINVAL, "misaligned: -EINVAL");
    is_int(vj_mm_mprotect(P, m, PG, 0x40), -EINVAL, "unknown prot bit: -EINVAL");
    is_int(vj_mm_mprotect(P, m, 0, PROT_READ), 0, "length 0: 0");
    is_int(vj_mm_mprotect(P, MEM_SIZE, PG, PROT_READ), -ENOMEM, "at mem_size: -ENOMEM");
    is_int(vj_mm_mprotect(P, m, UINT64_MAX, PROT_READ), -ENOMEM, "length -1: -ENOMEM");
    vj_mm_munmap(P, m, 4 * PG);
}

static void test_mremap(void)
{
    const uint64_t m = 32 * MiB;
    /* Grow in place. */
    is_int(anon(m, 2 * PG, RW, MAP_FIXED), m, "a mapping to grow");
    memset(P->mem + m, 'g', 2 * PG);
    is_int(vj_mm_mremap(P, m, 2 * PG, 4 * PG, 0, 0), m, "mremap grows it in place");
    ok(all_bytes(P, m, 2 * PG, 'g') && all_bytes(P, m + 2 * PG, 2 * PG, 0),
       "old contents kept, new pages zero");
    ok(writable(P, m, 4 * PG), "all of it writable");
    ok(vma_is(P, m, m + 4 * PG, RW, VJ_VMA_ANON), "one range in the map");

    /* Blocked: without MREMAP_MAYMOVE -ENOMEM, with it the pages move. */
    is_int(anon(m + 4 * PG, PG, PROT_READ, MAP_FIXED), m + 4 * PG, "a blocker right after it");
    is_int(vj_mm_mremap(P, m, 4 * PG, 8 * PG, 0, 0), -ENOMEM, "growing a blocked one: -ENOMEM");
    ok(vma_is(P, m, m + 4 * PG, RW, VJ_VMA_ANON) && all_bytes(P, m, 2 * PG, 'g'),
       "and it stays as it was");
    int64_t n = vj_mm_mremap(P, m, 4 * PG, 8 * PG, MREMAP_MAYMOVE, 0);
    ok(n > 0 && (uint64_t)n != m, "with MREMAP_MAYMOVE it moves to %#llx", (unsigned long long)n);
    ok(all_bytes(P, n, 2 * PG, 'g') && all_bytes(P, n + 2 * PG, 6 * PG, 0),
       "the contents moved with it, the rest is zero");
    ok(writable(P, n, 8 * PG), "the new range is writable");
    ok(gone(P, m, 4 * PG), "the old range is inaccessible");
    ok(vj_vmas_is_free(&P->vmas, m, m + 4 * PG), "and free in the map");
    ok(vma_is(P, n, n + 8 * PG, RW, VJ_VMA_ANON), "the new range is in the map");
    ok(readable(P, m + 4 * PG, PG), "the blocker is intact");

    /* Shrink. */
    is_int(vj_mm_mremap(P, n, 8 * PG, 3 * PG, 0, 0), n, "mremap shrinks in place");
    ok(gone(P, n + 3 * PG, 5 * PG), "the tail is inaccessible");
    ok(all_bytes(P, n, 2 * PG, 'g'), "the head keeps its contents");
    ok(vma_is(P, n, n + 3 * PG, RW, VJ_VMA_ANON), "the map shrank");

    /* MREMAP_FIXED to a chosen address. */
    const uint64_t z = 34 * MiB;
    int64_t f = vj_mm_mremap(P, n, 3 * PG, 3 * PG, MREMAP_MAYMOVE | MREMAP_FIXED, z);
    is_int(f, z, "MREMAP_FIXED moves to the given address");
    ok(all_bytes(P, z, 2 * PG, 'g'), "with its contents");
    ok(gone(P, n, 3 * PG), "the old range is inaccessible");
    is_int(anon(z + 8 * PG, PG, RW, MAP_FIXED), z + 8 * PG, "a mapping to be replaced");
    memset(P->mem + z + 8 * PG, 'r', PG);
    f = vj_mm_mremap(P, z, 3 * PG, 4 * PG, MREMAP_MAYMOVE | MREMAP_FIXED, z + 6 * PG);
    is_int(f, z + 6 * PG, "MREMAP_FIXED growing over an existing mapping");
    ok(all_bytes(P, z + 6 * PG, 2 * PG, 'g') && all_bytes(P, z + 8 * PG, 2 * PG, 0),
       "the replaced mapping's contents are gone");
    ok(gone(P, z, 3 * PG), "the source is inaccessible");
    ok(vma_is(P, z + 6 * PG, z + 10 * PG, RW, VJ_VMA_ANON), "one range in the map");

    /* Invalid requests. */
    is_int(vj_mm_mremap(P, z + 6 * PG, PG, PG, MREMAP_FIXED, z), -EINVAL,
           "MREMAP_FIXED without MREMAP_MAYMOVE: -EINVAL");
    is_int(vj_mm_mremap(P, z + 6 * PG, 2 * PG, 2 * PG, MREMAP_MAYMOVE | MREMAP_FIXED, z + 7 * PG),
           -EINVAL, "MREMAP_FIXED onto an overlapping range: -EINVAL");
    is_int(vj_mm_mremap(P, z + 6 * PG, PG, PG, MREMAP_MAYMOVE | MREMAP_FIXED, z + 1), -EINVAL,
           "MREMAP_FIXED to a misaligned address: -EINVAL");
    is_int(vj_mm_mremap(P, z + 6 * PG + 1, PG, PG, 0, 0), -EINVAL, "misaligned old address");
    is_int(vj_mm_mremap(P, z + 6 * PG, 0, PG, 0, 0), -EINVAL, "old length 0 (private): -EINVAL");
    is_int(vj_mm_mremap(P, z + 6 * PG, PG, 0, 0, 0), -EINVAL, "new length 0: -EINVAL");
    is_int(vj_mm_mremap(P, z + 6 * PG, PG, PG, 0x80, 0), -EINVAL, "unknown flag: -EINVAL");
    is_int(vj_mm_mremap(P, z, PG, 2 * PG, MREMAP_MAYMOVE, 0), -EFAULT, "unmapped old: -EFAULT");
    is_int(vj_mm_mremap(P, z + 6 * PG, 8 * PG, 9 * PG, MREMAP_MAYMOVE, 0), -EFAULT,
           "old range longer than its mapping: -EFAULT");
    ok(vma_is(P, z + 6 * PG, z + 10 * PG, RW, VJ_VMA_ANON) && all_bytes(P, z + 6 * PG, 2 * PG, 'g'),
       "after the failures the mapping is unchanged");
    vj_mm_munmap(P, z + 6 * PG, 4 * PG);
    vj_mm_munmap(P, m + 4 * PG, PG);
}

static int temp_file(size_t len, uint8_t seed)
{
    char path[] = "/tmp/vj_test_mm_XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0)
        return -1;
    unlink(path);
    uint8_t *buf = malloc(len);
    for (size_t i = 0; i < len; i++)
        buf[i] = (uint8_t)(seed + i * 13 + i / PG);
    if (write(fd, buf, len) != (ssize_t)len) {
        free(buf);
        close(fd);
        return -1;
    }
    free(buf);
    return fd;
}

static void test_file_mappings(void)
{
    int fd = temp_file(3 * PG, 7);
    ok(fd >= 0, "a temporary file of 3 pages");
    uint8_t want[3 * PG];
    if (pread(fd, want, sizeof want, 0) != (ssize_t)sizeof want)
        memset(want, 0, sizeof want);

    int64_t a = vj_mm_mmap(P, 0, 3 * PG, PROT_READ, MAP_PRIVATE, fd, 0);
    ok(a > 0 && a % PG == 0, "MAP_PRIVATE of the file");
    ok(readable(P, a, 3 * PG) && memcmp(P->mem + a, want, 3 * PG) == 0,
       "its contents through p->mem");
    ok(vma_is(P, a, a + 3 * PG, PROT_READ, VJ_VMA_FILE), "recorded as a file mapping");
    uint8_t x = 'w';
    is_int(vj_copy_to_guest(P, a, &x, 1), -EFAULT, "PROT_READ: not writable");
    is_int(vj_mm_munmap(P, a, 3 * PG), 0, "munmap the file mapping");
    ok(gone(P, a, 3 * PG), "inaccessible afterwards");
    is_int(anon(a, 3 * PG, RW, MAP_FIXED), a, "anonymous memory where the file was");
    ok(all_bytes(P, a, 3 * PG, 0), "is zero, not the file");
    vj_mm_munmap(P, a, 3 * PG);

    int64_t o = vj_mm_mmap(P, 0, PG, PROT_READ, MAP_PRIVATE, fd, PG);
    ok(o > 0 && memcmp(P->mem + o, want + PG, PG) == 0, "with offset 1 page: the second page");
    vj_mm_munmap(P, o, PG);
    is_int(vj_mm_mmap(P, 0, PG, PROT_READ, MAP_PRIVATE, fd, 100), -EINVAL,
           "an unaligned offset: -EINVAL");

    /* Private and writable: copy-on-write, the file does not change. */
    int64_t w = vj_mm_mmap(P, 0, 3 * PG, RW, MAP_PRIVATE, fd, 0);
    ok(w > 0, "MAP_PRIVATE RW of the file");
    memset(P->mem + w, 'P', 16);
    uint8_t got[16];
    ok(pread(fd, got, 16, 0) == 16 && memcmp(got, want, 16) == 0,
       "a write to a private mapping does not reach the file");
    vj_mm_munmap(P, w, 3 * PG);

    /* Shared and writable: the write is in the file. */
    int64_t s = vj_mm_mmap(P, 0, 3 * PG, RW, MAP_SHARED, fd, 0);
    ok(s > 0, "MAP_SHARED RW of the file");
    memcpy(P->mem + s + PG + 5, "shared!", 7);
    ok(pread(fd, got, 7, PG + 5) == 7 && memcmp(got, "shared!", 7) == 0,
       "a write to a shared mapping is visible with pread");
    ok(vma_is(P, s, s + 3 * PG, RW, VJ_VMA_FILE), "recorded as a shared file mapping");
    ok(vj_vmas_find(&P->vmas, s) && vj_vmas_find(&P->vmas, s)->shared, "with .shared set");
    vj_mm_munmap(P, s, 3 * PG);
    if (pread(fd, want, sizeof want, 0) != (ssize_t)sizeof want)
        memset(want, 0, sizeof want);

    /* MAP_FIXED file mapping over anonymous memory. */
    const uint64_t m = 36 * MiB;
    is_int(anon(m, 4 * PG, RW, MAP_FIXED), m, "anonymous memory to map a file over");
    memset(P->mem + m, 'q', 4 * PG);
    is_int(vj_mm_mmap(P, m + PG, 2 * PG, PROT_READ, MAP_PRIVATE | MAP_FIXED, fd, 0), m + PG,
           "MAP_FIXED file mapping over its middle");
    ok(memcmp(P->mem + m + PG, want, 2 * PG) == 0, "the file's contents appear there");
    ok(all_bytes(P, m, PG, 'q') && all_bytes(P, m + 3 * PG, PG, 'q'), "the rest is kept");
    /* A file mapping that fails leaves what was there. */
    is_int(vj_mm_mmap(P, m, PG, PROT_READ, MAP_PRIVATE | MAP_FIXED, -1, 0), -EBADF,
           "MAP_FIXED of a bad descriptor: -EBADF");
    ok(vma_is(P, m, m + PG, RW, VJ_VMA_ANON) && all_bytes(P, m, PG, 'q'),
       "and the mapping there is intact");
    int64_t e = vj_mm_mmap(P, 0, PG, RW, MAP_SHARED, fd, 100 * PG);
    ok(e > 0, "a shared mapping beyond the end of the file is allowed (SIGBUS on access)");
    if (e > 0)
        vj_mm_munmap(P, e, PG);
    vj_mm_munmap(P, m, 4 * PG);
    close(fd);

    int rofd = temp_file(PG, 1);
    int rd = -1;
    if (rofd >= 0) {
        char link[64];
        snprintf(link, sizeof link, "/proc/self/fd/%d", rofd);
        rd = open(link, O_RDONLY);
    }
    is_int(vj_mm_mmap(P, 0, PG, RW, MAP_SHARED, rd, 0), -EACCES,
           "MAP_SHARED RW of a read-only descriptor: -EACCES");
    close(rd);
    close(rofd);
}

static void test_madvise(void)
{
    int64_t a = anon(0, 4 * PG, RW, 0);
    memset(P->mem + a, 'd', 4 * PG);
    is_int(vj_mm_madvise(P, a + PG, 2 * PG, MADV_DONTNEED), 0, "MADV_DONTNEED");
    ok(all_bytes(P, a + PG, 2 * PG, 0), "zeroes private anonymous memory");
    ok(all_bytes(P, a, PG, 'd') && all_bytes(P, a + 3 * PG, PG, 'd'), "only in the range given");
    ok(writable(P, a, 4 * PG), "which stays mapped");
    is_int(vj_mm_madvise(P, a, 4 * PG, MADV_WILLNEED), 0, "MADV_WILLNEED");
    is_int(vj_mm_madvise(P, a, 4 * PG, MADV_DONTFORK), 0, "MADV_DONTFORK is accepted");
    is_int(vj_mm_madvise(P, a, 8 * PG, MADV_DONTNEED), -ENOMEM, "partly unmapped: -ENOMEM");
    is_int(vj_mm_madvise(P, a + 1, PG, MADV_DONTNEED), -EINVAL, "misaligned: -EINVAL");
    is_int(vj_mm_madvise(P, a, PG, 9999), -EINVAL, "unknown advice: -EINVAL");
    is_int(vj_mm_madvise(P, a, 0, MADV_DONTNEED), 0, "length 0: 0");
    is_int(vj_mm_madvise(P, MEM_SIZE, PG, MADV_DONTNEED), -ENOMEM, "at mem_size: -ENOMEM");
    vj_mm_munmap(P, a, 4 * PG);
}

static void test_brk(void)
{
    const uint64_t s = 16 * MiB;
    is_int(vj_mm_brk(P, 0), s, "brk(0) returns the current break");
    is_int(vj_mm_brk(P, s + 10000), s + 10000, "brk grows");
    is_int(P->brk_cur, s + 10000, "brk_cur follows");
    ok(writable(P, s, 3 * PG) && all_bytes(P, s, 3 * PG, 0), "the heap is zero and writable");
    ok(vma_is(P, s, s + 3 * PG, RW, VJ_VMA_HEAP), "recorded as heap");
    memset(P->mem + s, 'h', 3 * PG);
    is_int(vj_mm_brk(P, 0), s + 10000, "brk(0) returns it");
    is_int(vj_mm_brk(P, s + 5000), s + 5000, "brk shrinks");
    ok(gone(P, s + 2 * PG, PG), "the page above the new break is inaccessible");
    ok(all_bytes(P, s, 2 * PG, 'h'), "the rest keeps its contents");
    is_int(vj_mm_brk(P, s + 3 * PG), s + 3 * PG, "brk grows again");
    ok(all_bytes(P, s + 2 * PG, PG, 0), "the page given back is zero again");
    is_int(vj_mm_brk(P, s - PG), s + 3 * PG, "brk below brk_start returns the old break");

    /* Into a mapping: the old break. */
    is_int(anon(s + 16 * PG, PG, PROT_READ, MAP_FIXED), s + 16 * PG, "a mapping above the heap");
    is_int(vj_mm_brk(P, s + 32 * PG), s + 3 * PG, "brk growing into it returns the old break");
    is_int(P->brk_cur, s + 3 * PG, "and brk_cur is unchanged");
    ok(gone(P, s + 3 * PG, 13 * PG), "nothing was mapped");
    ok(vma_is(P, s + 16 * PG, s + 17 * PG, PROT_READ, VJ_VMA_ANON), "the mapping is intact");
    is_int(vj_mm_brk(P, s + 16 * PG), s + 16 * PG, "brk right up to it works");
    vj_mm_munmap(P, s + 16 * PG, PG);
    is_int(vj_mm_brk(P, P->mmap_top + PG), s + 16 * PG, "brk beyond mmap_top: the old break");
    is_int(vj_mm_brk(P, MEM_SIZE + PG), s + 16 * PG, "brk beyond mem_size: the old break");
    is_int(vj_mm_brk(P, s), s, "brk back to brk_start");
    ok(gone(P, s, 16 * PG), "the heap is gone");
    ok(vj_vmas_is_free(&P->vmas, s, s + 16 * PG), "and free in the map");
}

static void test_invalid(void)
{
    is_int(anon(0, 0, RW, 0), -EINVAL, "mmap length 0: -EINVAL");
    is_int(vj_mm_mmap(P, 0, PG, RW, MAP_ANONYMOUS, -1, 0), -EINVAL,
           "mmap neither MAP_PRIVATE nor MAP_SHARED: -EINVAL");
    is_int(vj_mm_mmap(P, 0, PG, RW, 0x0f | MAP_ANONYMOUS, -1, 0), -EINVAL,
           "mmap with map type 0xf: -EINVAL");
    is_int(anon(0, PG, 0x100, 0), -EINVAL, "mmap with an unknown prot bit: -EINVAL");
    is_int(vj_mm_mmap(P, 0, PG, RW, ANON, -1, 123), -EINVAL, "an unaligned offset: -EINVAL");
    is_int(anon(0, UINT64_MAX, RW, 0), -ENOMEM, "mmap length -1: -ENOMEM");
    is_int(anon(0, UINT64_MAX - PG + 2, RW, 0), -ENOMEM, "a length that overflows when rounded");
    is_int(vj_mm_munmap(P, 24 * MiB + 1, PG), -EINVAL, "munmap misaligned: -EINVAL");
    is_int(vj_mm_munmap(P, 24 * MiB, 0), -EINVAL, "munmap length 0: -EINVAL");
    is_int(vj_mm_munmap(P, 24 * MiB, UINT64_MAX), -EINVAL, "munmap length -1: -EINVAL");
    is_int(vj_mm_mmap(P, 0, PG, RW, MAP_PRIVATE, -1, 0), -EBADF,
           "file mapping of descriptor -1: -EBADF");

    /* Out of space. */
    is_int(anon(0, MEM_SIZE, RW, 0), -ENOMEM, "a mapping as large as guest memory: -ENOMEM");
    int64_t big = anon(0, 40 * MiB, PROT_NONE, MAP_NORESERVE);
    ok(big > 0, "a 40 MiB PROT_NONE mapping fits");
    is_int(anon(0, P->mmap_top - VJ_GUEST_MIN, RW, 0), -ENOMEM,
           "a mapping of all of [VJ_GUEST_MIN, mmap_top) with parts taken: -ENOMEM");
    int n = 0;
    int64_t r;
    while ((r = anon(0, 4 * MiB, RW, 0)) > 0)
        n++;
    is_int(r, -ENOMEM, "after %d more 4 MiB mappings: -ENOMEM", n);
    ok(n > 0 && n <= 6, "a handful fitted (%d)", n);
    r = anon(0, PG, RW, 0);
    ok(r > 0, "a single page still fits somewhere");
    /* Unmap everything but the heap. */
    is_int(vj_mm_munmap(P, VJ_GUEST_MIN, MEM_SIZE - VJ_GUEST_MIN), 0, "munmap all of it");
    ok(P->vmas.n == 0, "the map is empty");
    ok(gone(P, VJ_GUEST_MIN, MEM_SIZE - VJ_GUEST_MIN), "no page is accessible");
}

/* Linux answers -EINVAL for an anonymous mapping that is both MAP_PRIVATE and MAP_SHARED
 * (0x03 is MAP_SHARED_VALIDATE, valid only for file mappings): mm/mmap.c do_mmap, the
 * "switch (flags & MAP_TYPE)" for !file has no MAP_SHARED_VALIDATE case.  The host agrees. */
static void test_bug_shared_validate_anon(void)
{
    void *h = mmap(NULL, PG, RW, MAP_PRIVATE | MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    int host = h == MAP_FAILED ? -errno : 0;
    if (h != MAP_FAILED)
        munmap(h, PG);
    is_int(host, -EINVAL, "the host refuses anonymous MAP_PRIVATE|MAP_SHARED with EINVAL");
    int64_t r = vj_mm_mmap(P, 0, PG, RW, MAP_PRIVATE | MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    is_int(r, -EINVAL,
           "BUG_mmap_anon_private_and_shared_accepted: anonymous MAP_PRIVATE|MAP_SHARED: -EINVAL");
    if (r > 0)
        vj_mm_munmap(P, r, PG);
}

/* After everything: no page outside the map is accessible, and every mapped readable page is. */
static void test_invariant(struct env *e, const char *when)
{
    struct vj_proc *p = &e->p;
    int bad_unmapped = 0, bad_mapped = 0;
    for (uint64_t g = VJ_GUEST_MIN; g < MEM_SIZE; g += PG) {
        const struct vj_vma *v = vj_vmas_find(&p->vmas, g);
        uint8_t b;
        bool acc = vj_copy_from_guest(p, &b, g, 1) == 0;
        if (v == NULL && acc && bad_unmapped++ < 4)
            printf("#   %s: unmapped page %#llx is accessible\n", when, (unsigned long long)g);
        if (v && (v->prot & PROT_READ) && !acc && bad_mapped++ < 4)
            printf("#   %s: mapped page %#llx is not accessible\n", when, (unsigned long long)g);
    }
    is_int(bad_unmapped, 0, "%s: every page not in the map is inaccessible", when);
    is_int(bad_mapped, 0, "%s: every readable page in the map is accessible", when);
    ok(!p->mem_broken, "%s: mem_broken is not set", when);
}

/* Every byte of [mem, mem + mem_size + 2 MiB) is covered by some host mapping. */
static bool reservation_whole(const struct env *e)
{
    uint64_t lo = (uint64_t)(uintptr_t)e->p.mem, hi = lo + MEM_SIZE + GUARD, covered = lo;
    FILE *f = fopen("/proc/self/maps", "r");
    if (f == NULL)
        return false;
    /* /proc/self/maps is sorted: walk the ranges and extend the covered prefix. */
    char line[512];
    while (fgets(line, sizeof line, f)) {
        unsigned long long s, t;
        if (sscanf(line, "%llx-%llx", &s, &t) != 2)
            continue;
        if (s <= covered && t > covered)
            covered = t;
    }
    fclose(f);
    if (covered < hi)
        printf("#   hole at %#llx (guest %#llx)\n", (unsigned long long)covered,
               (unsigned long long)(covered - lo));
    return covered >= hi;
}

/* ---- SysV shared memory: shmat and shmdt over the reservation, as on KVM ----------------- */

static unsigned long host_nattch(int id)
{
    struct shmid_ds ds;
    return shmctl(id, IPC_STAT, &ds) < 0 ? 999 : ds.shm_nattch;
}

/* What sys_shm.c does before vj_mm_shmat: the segment attached where the host chooses. */
static int64_t guest_shmat(int id, uint64_t addr, bool fixed, int shmflg)
{
    void *at = shmat(id, NULL, shmflg & (SHM_RDONLY | SHM_EXEC));
    struct shmid_ds ds;
    if (at == (void *)-1 || shmctl(id, IPC_STAT, &ds) < 0)
        return -errno;
    struct vj_vma_shm seg = {.shmid = id, .key = ds.shm_perm.__key, .size = ds.shm_segsz};
    int64_t r = vj_mm_shmat(P, addr, fixed, shmflg, &seg, at);
    if (r < 0)
        shmdt(at);
    return r;
}

static void test_shm(void)
{
    int id = shmget(IPC_PRIVATE, 3 * PG - 10, 0600 | IPC_CREAT);
    ok(id >= 0, "shm: a host segment of 3 pages less 10 bytes");
    char *host = shmat(id, NULL, 0);
    memcpy(host, "shared", 7);
    int64_t a = guest_shmat(id, 0, false, 0);
    ok(a > 0 && a % PG == 0, "shmat placed: %#llx", (unsigned long long)a);
    ok(vma_is(P, a, a + 3 * PG, RW, VJ_VMA_SHM), "recorded as one SysV range of 3 pages");
    ok(readable(P, a, 3 * PG) && memcmp(P->mem + a, "shared", 7) == 0,
       "guest memory shows the segment");
    P->mem[a + 100] = 'g';
    ok(host[100] == 'g', "and writes reach it");
    is_int(host_nattch(id), 2, "nattch: the host's attachment and the guest's (the move kept one)");
    /* Fixed: over a mapping without SHM_REMAP, refused; with it, replaced. */
    int64_t m = anon(0, 3 * PG, PROT_READ, 0);
    is_int(guest_shmat(id, m, true, 0), -EINVAL, "shmat at a mapping without SHM_REMAP: EINVAL");
    is_int(host_nattch(id), 2, "the monitor's attachment went again");
    ok(vma_is(P, m, m + 3 * PG, PROT_READ, VJ_VMA_ANON), "and the mapping stays");
    is_int(guest_shmat(id, m, true, SHM_REMAP | SHM_RDONLY), m, "with SHM_REMAP|SHM_RDONLY");
    ok(vma_is(P, m, m + 3 * PG, PROT_READ, VJ_VMA_SHM), "the mapping became a read-only SysV range");
    ok(memcmp(P->mem + m, "shared", 7) == 0, "showing the segment");
    is_int(vj_mm_mprotect(P, m, PG, RW), -EACCES, "a read-only attachment cannot be made writable");
    is_int(guest_shmat(id, MEM_SIZE, true, 0), -ENOMEM, "shmat past guest memory: ENOMEM");
    is_int(guest_shmat(id, 0xfffffffffffff000ULL, true, 0), -EINVAL, "shmat where it wraps: EINVAL");
    is_int(host_nattch(id), 3, "nattch 3 (the host's and two)");
    /* Fragments: the first page unmapped, the third protected; shmdt finds both. */
    is_int(vj_mm_munmap(P, a, PG), 0, "munmap the first page");
    is_int(vj_mm_mprotect(P, a + 2 * PG, PG, PROT_READ), 0, "protect the third");
    is_int(host_nattch(id), 4, "nattch 4: the split counts, as on Linux");
    is_int(vj_mm_shmdt(P, a + PG), -EINVAL, "shmdt at a fragment's start: EINVAL");
    is_int(vj_mm_shmdt(P, a + 1), -EINVAL, "shmdt misaligned: EINVAL");
    is_int(vj_mm_shmdt(P, a), 0, "shmdt at the attachment's start");
    ok(gone(P, a, 3 * PG) && vj_vmas_is_free(&P->vmas, a, a + 3 * PG), "both fragments went");
    is_int(host_nattch(id), 2, "nattch 2");
    is_int(vj_mm_shmdt(P, a), -EINVAL, "shmdt there again: EINVAL");
    vj_mm_shm_detach_all(P);
    ok(gone(P, m, 3 * PG) && vj_vmas_is_free(&P->vmas, m, m + 3 * PG), "detach_all: the rest went");
    is_int(host_nattch(id), 1, "nattch 1: the host's own");
    shmdt(host);
    shmctl(id, IPC_RMID, NULL);
}

/* ---- reproductions of bugs, each in its own process address space ----------------------- */

/* brk with an address near 2^64: page_up() wraps to 0, so vj_mm_brk takes the shrink path and
 * calls unmap_range(p, 0, old_end), which discards the host pages of every mapping below the
 * break before vj_vmas_remove() refuses the range: the map still lists them, their contents
 * are gone and they are PROT_NONE on the host.  Linux returns the old break and changes
 * nothing. */
static void test_bug_brk_wrap(void)
{
    struct env e;
    env_init(&e);
    struct vj_proc *p = &e.p;
    const uint64_t m = 8 * MiB, s = 16 * MiB;
    vj_mm_map_fixed(p, m, PG, RW, VJ_VMA_IMAGE);
    memset(p->mem + m, 'k', PG);
    vj_mm_brk(p, s + PG);
    memset(p->mem + s, 'h', PG);
    int64_t r = vj_mm_brk(p, UINT64_MAX - 100);
    is_int(r, s + PG, "brk(2^64 - 101) returns the old break");
    uint8_t b = 0;
    ok(vj_copy_from_guest(p, &b, m, 1) == 0 && b == 'k',
       "BUG_brk_near_2_64_discards_memory_below_break: the program image below the heap is intact");
    ok(vj_copy_from_guest(p, &b, s, 1) == 0 && b == 'h',
       "BUG_brk_near_2_64_discards_memory_below_break: the heap is intact");
    test_invariant(&e, "after brk(2^64 - 101)");
    vj_mm_fini(p);
    munmap(e.resv, e.resv_len);
}

/* mremap with MREMAP_FIXED to a smaller size: host_move_anon moves and discards only the
 * first new_len bytes; [old + new_len, old + old_len) leaves the map but stays accessible on
 * the host with its old contents, breaking the mm.h invariant (unmapped guest memory is
 * inaccessible and page-free on the host).  (Since 34001be a later mapping there is mapped
 * afresh and so zero-filled; until then the payload's old data stays readable through any
 * pass-through call, e.g. write(fd, tail, n), and its pages stay allocated.) */
static void test_bug_mremap_fixed_shrink(void)
{
    struct env e;
    env_init(&e);
    struct vj_proc *p = &e.p;
    const uint64_t a = 24 * MiB, b = 32 * MiB;
    vj_mm_mmap(p, a, 2 * PG, RW, ANON | MAP_FIXED, -1, 0);
    memset(p->mem + a, 'o', 2 * PG);
    int64_t r = vj_mm_mremap(p, a, 2 * PG, PG, MREMAP_MAYMOVE | MREMAP_FIXED, b);
    is_int(r, b, "mremap(a, 2 pages, 1 page, MAYMOVE|FIXED, b) returns b");
    ok(p->mem[b] == 'o', "the first page moved");
    ok(vj_vmas_is_free(&p->vmas, a, a + 2 * PG), "both old pages left the map");
    uint8_t x;
    is_int(vj_copy_from_guest(p, &x, a + PG, 1), -EFAULT,
           "BUG_mremap_fixed_shrink_leaves_tail_accessible: the old second page is inaccessible");
    vj_mm_mmap(p, a + PG, PG, RW, ANON | MAP_FIXED, -1, 0);
    ok(p->mem[a + PG] == 0, "mremap_fixed_shrink: a new mapping at the old tail is zero-filled");
    vj_mm_fini(p);
    munmap(e.resv, e.resv_len);
}

int main(void)
{
    /* No populator thread: it expects callers to hold mm_lock, which these tests do not take
     * (test_mem_ahead.c tests its policy). */
    setenv("VMJAIL_MEM_AHEAD", "0", 1);
    env_init(&E);
    test_mmap_anon();
    test_map_fixed();
    test_hints();
    test_mprotect();
    test_mremap();
    test_file_mappings();
    test_madvise();
    test_brk();
    test_invariant(&E, "before the limits");
    test_invalid();
    test_bug_shared_validate_anon();
    test_shm();
    test_invariant(&E, "at the end");
    ok(reservation_whole(&E), "the whole reservation [mem, mem + mem_size + 2 MiB) is mapped");
    vj_mm_fini(P);

    test_bug_brk_wrap();
    test_bug_mremap_fixed_shrink();
    return done_testing();
}
