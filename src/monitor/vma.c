/* vma.c: the payload's address-space map: a sorted array of non-overlapping ranges. */
#include "monitor/vma.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define VMA_PAGE 4096ULL

void vj_vmas_init(struct vj_vmas *m, uint64_t lo, uint64_t hi)
{
    m->v = NULL;
    m->n = m->cap = 0;
    m->lo = lo;
    m->hi = hi;
}

void vj_vmas_free(struct vj_vmas *m)
{
    free(m->v);
    m->v = NULL;
    m->n = m->cap = 0;
}

static bool page_aligned(uint64_t x)
{
    return (x & (VMA_PAGE - 1)) == 0;
}

/* -EINVAL unless [start, end) is non-empty, page aligned and within [lo, hi). */
static int check_range(const struct vj_vmas *m, uint64_t start, uint64_t end)
{
    if (start >= end || !page_aligned(start) || !page_aligned(end))
        return -EINVAL;
    if (start < m->lo || end > m->hi)
        return -EINVAL;
    return 0;
}

/* Make room for at least NEED entries without changing the map. */
static int reserve(struct vj_vmas *m, size_t need)
{
    if (need <= m->cap)
        return 0;
    size_t cap = m->cap ? m->cap : 16;
    while (cap < need) {
        if (__builtin_mul_overflow(cap, 2, &cap))
            return -ENOMEM;
    }
    size_t bytes;
    if (__builtin_mul_overflow(cap, sizeof *m->v, &bytes))
        return -ENOMEM;
    struct vj_vma *v = realloc(m->v, bytes);
    if (v == NULL)
        return -ENOMEM;
    m->v = v;
    m->cap = cap;
    return 0;
}

/* Index of the first range that ends after ADDR (n if none). */
static size_t first_ending_after(const struct vj_vmas *m, uint64_t addr)
{
    size_t lo = 0, hi = m->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (m->v[mid].end > addr)
            hi = mid;
        else
            lo = mid + 1;
    }
    return lo;
}

/* Index of the first range that starts at or after ADDR (n if none). */
static size_t first_starting_at(const struct vj_vmas *m, uint64_t addr)
{
    size_t lo = 0, hi = m->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (m->v[mid].start >= addr)
            hi = mid;
        else
            lo = mid + 1;
    }
    return lo;
}

static bool can_merge(const struct vj_vma *a, const struct vj_vma *b)
{
    return a->end == b->start && a->prot == b->prot && a->kind == b->kind &&
           a->shared == b->shared && a->kind != VJ_VMA_FILE && a->kind != VJ_VMA_SHM;
}

/* V's start moves up to START (a split's right part): its offset follows. */
static void start_at(struct vj_vma *v, uint64_t start)
{
    v->offset += start - v->start;
    v->start = start;
}

/* Replace entries [i, j) with the R entries of REPL (capacity must already suffice). */
static void splice(struct vj_vmas *m, size_t i, size_t j, const struct vj_vma *repl, size_t r)
{
    memmove(&m->v[i + r], &m->v[j], (m->n - j) * sizeof *m->v);
    if (r > 0)
        memcpy(&m->v[i], repl, r * sizeof *repl);
    m->n = m->n - (j - i) + r;
}

/* Merge every mergeable run among entries [from, to] (clamped to the map), in one pass. */
static void coalesce(struct vj_vmas *m, size_t from, size_t to)
{
    if (m->n == 0 || from >= m->n)
        return;
    if (to >= m->n)
        to = m->n - 1;
    size_t w = from;
    for (size_t r = from + 1; r <= to; r++) {
        if (can_merge(&m->v[w], &m->v[r]))
            m->v[w].end = m->v[r].end;
        else
            m->v[++w] = m->v[r];
    }
    size_t removed = to - w;
    if (removed > 0) {
        memmove(&m->v[w + 1], &m->v[to + 1], (m->n - to - 1) * sizeof *m->v);
        m->n -= removed;
    }
}

/* The parts of the ranges [i, j) that stick out of [start, end), kept by a replacement. */
static void edge_pieces(const struct vj_vmas *m, size_t i, size_t j, uint64_t start,
                          uint64_t end, struct vj_vma *left, struct vj_vma *right,
                          bool *has_left, bool *has_right)
{
    *has_left = i < j && m->v[i].start < start;
    *has_right = i < j && m->v[j - 1].end > end;
    if (*has_left) {
        *left = m->v[i];
        left->end = start;
    }
    if (*has_right) {
        *right = m->v[j - 1];
        start_at(right, end);
    }
}

int vj_vmas_insert(struct vj_vmas *m, uint64_t start, uint64_t end, int prot,
                   enum vj_vma_kind kind, bool shared)
{
    struct vj_vma v = {.start = start, .end = end, .prot = prot, .kind = kind, .shared = shared};
    return vj_vmas_insert_vma(m, &v);
}

int vj_vmas_insert_vma(struct vj_vmas *m, const struct vj_vma *v)
{
    uint64_t start = v->start, end = v->end;
    int rc = check_range(m, start, end);
    if (rc < 0)
        return rc;
    size_t i = first_ending_after(m, start);
    size_t j = first_starting_at(m, end);
    struct vj_vma repl[3], left, right;
    bool has_left, has_right;
    size_t r = 0;

    edge_pieces(m, i, j, start, end, &left, &right, &has_left, &has_right);
    if (has_left)
        repl[r++] = left;
    size_t k = i + r; /* where the new range lands */
    repl[r++] = *v;
    if (has_right)
        repl[r++] = right;
    rc = reserve(m, m->n - (j - i) + r);
    if (rc < 0)
        return rc;
    splice(m, i, j, repl, r);
    coalesce(m, k > 0 ? k - 1 : 0, k + 1);
    return 0;
}

int vj_vmas_remove(struct vj_vmas *m, uint64_t start, uint64_t end)
{
    int rc = check_range(m, start, end);
    if (rc < 0)
        return rc;
    size_t i = first_ending_after(m, start);
    size_t j = first_starting_at(m, end);
    struct vj_vma repl[2], left, right;
    bool has_left, has_right;
    size_t r = 0;

    if (i >= j)
        return 0; /* nothing mapped there */
    edge_pieces(m, i, j, start, end, &left, &right, &has_left, &has_right);
    if (has_left)
        repl[r++] = left;
    if (has_right)
        repl[r++] = right;
    rc = reserve(m, m->n - (j - i) + r);
    if (rc < 0)
        return rc;
    splice(m, i, j, repl, r);
    return 0;
}

int vj_vmas_protect(struct vj_vmas *m, uint64_t start, uint64_t end, int prot)
{
    int rc = check_range(m, start, end);
    if (rc < 0)
        return rc;
    if (!vj_vmas_is_mapped(m, start, end))
        return -ENOMEM;
    size_t i = first_ending_after(m, start);
    size_t j = first_starting_at(m, end);
    bool split_left = m->v[i].start < start;
    bool split_right = m->v[j - 1].end > end;

    rc = reserve(m, m->n + (size_t)split_left + (size_t)split_right);
    if (rc < 0)
        return rc;
    if (split_left) {
        struct vj_vma piece = m->v[i];
        piece.end = start;
        start_at(&m->v[i], start);
        splice(m, i, i, &piece, 1);
        i++;
        j++;
    }
    if (split_right) {
        struct vj_vma piece = m->v[j - 1];
        start_at(&piece, end);
        m->v[j - 1].end = end;
        splice(m, j, j, &piece, 1);
    }
    for (size_t k = i; k < j; k++)
        m->v[k].prot = prot;
    coalesce(m, i > 0 ? i - 1 : 0, j);
    return 0;
}

bool vj_vmas_is_free(const struct vj_vmas *m, uint64_t start, uint64_t end)
{
    if (start >= end)
        return true;
    size_t i = first_ending_after(m, start);
    return i == m->n || m->v[i].start >= end;
}

bool vj_vmas_is_mapped(const struct vj_vmas *m, uint64_t start, uint64_t end)
{
    if (start >= end)
        return true;
    uint64_t covered = start;
    for (size_t i = first_ending_after(m, start); i < m->n && covered < end; i++) {
        if (m->v[i].start > covered)
            return false;
        covered = m->v[i].end;
    }
    return covered >= end;
}

const struct vj_vma *vj_vmas_find(const struct vj_vmas *m, uint64_t addr)
{
    size_t i = first_ending_after(m, addr);
    if (i < m->n && m->v[i].start <= addr)
        return &m->v[i];
    return NULL;
}

const struct vj_vma *vj_vmas_next(const struct vj_vmas *m, uint64_t addr)
{
    size_t i = first_ending_after(m, addr);
    return i < m->n ? &m->v[i] : NULL;
}

/* Does SHM range V lie where its attachment's offset puts it, for an attachment at ADDR?
 * Linux's test, (vm_start - addr) / PAGE_SIZE == vm_pgoff, in unsigned arithmetic. */
static bool shm_placed(const struct vj_vma *v, uint64_t addr)
{
    return v->kind == VJ_VMA_SHM && (v->start - addr) / VMA_PAGE == v->offset / VMA_PAGE;
}

size_t vj_vmas_shmdt(const struct vj_vmas *m, uint64_t addr, uint64_t (*out)[2], size_t max)
{
    size_t i = first_ending_after(m, addr), n = 0;
    while (i < m->n && !shm_placed(&m->v[i], addr))
        i++;
    if (i == m->n || max == 0)
        return 0;
    const struct vj_vma *first = &m->v[i];
    uint64_t size = (first->shm.size + VMA_PAGE - 1) & ~(VMA_PAGE - 1);
    if (size < first->shm.size)
        size = ~(VMA_PAGE - 1); /* rounding overflowed: no bound (Linux's loff_t cannot) */
    out[n][0] = first->start;
    out[n++][1] = first->end;
    for (i++; i < m->n && m->v[i].end - addr <= size && n < max; i++)
        if (shm_placed(&m->v[i], addr) && m->v[i].shm.attach == first->shm.attach) {
            out[n][0] = m->v[i].start;
            out[n++][1] = m->v[i].end;
        }
    return n;
}

/* The highest ALIGN-aligned A with [A, A + len) inside [gap_lo, gap_hi), or 0. */
static uint64_t fit_top(uint64_t gap_lo, uint64_t gap_hi, uint64_t len, uint64_t align)
{
    if (gap_hi <= gap_lo || gap_hi - gap_lo < len)
        return 0;
    uint64_t a = (gap_hi - len) & ~(align - 1);
    return a >= gap_lo ? a : 0;
}

uint64_t vj_vmas_find_free_topdown(const struct vj_vmas *m, uint64_t len, uint64_t floor,
                                   uint64_t limit, uint64_t align)
{
    if (len == 0 || !page_aligned(len) || align < VMA_PAGE || (align & (align - 1)) != 0)
        return 0;
    if (limit > m->hi)
        limit = m->hi;
    if (floor < m->lo)
        floor = m->lo;
    if (floor >= limit || limit - floor < len)
        return 0;

    /* Walk the gaps from the top: the gap below LIMIT above v[k - 1], then downwards. */
    size_t k = first_starting_at(m, limit);
    uint64_t gap_hi = limit;
    for (;;) {
        uint64_t gap_lo = k > 0 ? m->v[k - 1].end : floor;
        if (gap_lo < floor)
            gap_lo = floor;
        uint64_t a = fit_top(gap_lo, gap_hi, len, align);
        if (a != 0)
            return a;
        if (k == 0)
            return 0;
        gap_hi = m->v[k - 1].start;
        if (gap_hi <= floor)
            return 0;
        k--;
    }
}
