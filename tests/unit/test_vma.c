/* test_vma.c: unit tests of the address-space map (src/monitor/vma.c). */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "monitor/vma.h"
#include "tap.h"

#define PG 4096ULL
#define LO 0x200000ULL           /* 2 MiB aligned, so alignment tests mean something */
#define NPAGES 256
#define HI (LO + NPAGES * PG)
#define P(n) (LO + (uint64_t)(n) * PG) /* address of page N of the map */

#define RW (PROT_READ | PROT_WRITE)
#define RO PROT_READ
#define RX (PROT_READ | PROT_EXEC)

/* One expected range, in pages. */
struct want {
    unsigned start, end;
    int prot;
    enum vj_vma_kind kind;
};

/* True if M holds exactly the N ranges of W (prot and kind included); prints the map if not. */
static bool map_is(const struct vj_vmas *m, const struct want *w, size_t n)
{
    bool same = m->n == n;
    for (size_t i = 0; same && i < n; i++)
        same = m->v[i].start == P(w[i].start) && m->v[i].end == P(w[i].end) &&
               m->v[i].prot == w[i].prot && m->v[i].kind == w[i].kind;
    if (!same) {
        printf("#   map has %zu ranges:\n", m->n);
        for (size_t i = 0; i < m->n; i++)
            printf("#     [%llu, %llu) prot %d kind %d shared %d\n",
                   (unsigned long long)((m->v[i].start - LO) / PG),
                   (unsigned long long)((m->v[i].end - LO) / PG), m->v[i].prot,
                   (int)m->v[i].kind, (int)m->v[i].shared);
    }
    return same;
}

/* Sorted, non-overlapping, aligned, inside [lo, hi), and no two mergeable neighbours. */
static bool well_formed(const struct vj_vmas *m)
{
    for (size_t i = 0; i < m->n; i++) {
        const struct vj_vma *v = &m->v[i];
        if (v->start >= v->end || v->start % PG || v->end % PG || v->start < m->lo ||
            v->end > m->hi)
            return false;
        if (i == 0)
            continue;
        const struct vj_vma *p = &m->v[i - 1];
        if (p->end > v->start)
            return false;
        if (p->end == v->start && p->prot == v->prot && p->kind == v->kind &&
            p->shared == v->shared && v->kind != VJ_VMA_FILE && v->kind != VJ_VMA_SHM)
            return false;
    }
    return true;
}

static void test_insert_merge(void)
{
    struct vj_vmas m;
    vj_vmas_init(&m, LO, HI);
    is_int(m.n, 0, "new map is empty");
    is_int(vj_vmas_insert(&m, P(10), P(20), RW, VJ_VMA_ANON, false), 0, "insert [10,20)");
    is_int(vj_vmas_insert(&m, P(20), P(30), RW, VJ_VMA_ANON, false), 0, "insert [20,30)");
    is_int(vj_vmas_insert(&m, P(5), P(10), RW, VJ_VMA_ANON, false), 0, "insert [5,10)");
    ok(map_is(&m, (struct want[]){{5, 30, RW, VJ_VMA_ANON}}, 1),
       "adjacent equal anonymous ranges merge on both sides");

    is_int(vj_vmas_insert(&m, P(30), P(32), RO, VJ_VMA_ANON, false), 0, "insert [30,32) RO");
    is_int(vj_vmas_insert(&m, P(32), P(34), RO, VJ_VMA_ANON, true), 0, "insert [32,34) shared");
    is_int(vj_vmas_insert(&m, P(34), P(36), RO, VJ_VMA_HEAP, true), 0, "insert [34,36) heap");
    ok(map_is(&m,
              (struct want[]){{5, 30, RW, VJ_VMA_ANON},
                              {30, 32, RO, VJ_VMA_ANON},
                              {32, 34, RO, VJ_VMA_ANON},
                              {34, 36, RO, VJ_VMA_HEAP}},
              4),
       "different prot, shared flag or kind do not merge");

    is_int(vj_vmas_insert(&m, P(40), P(42), RX, VJ_VMA_FILE, false), 0, "insert file [40,42)");
    is_int(vj_vmas_insert(&m, P(42), P(44), RX, VJ_VMA_FILE, false), 0, "insert file [42,44)");
    is_int(m.n, 6, "adjacent equal file ranges are not merged");

    /* Filling the hole between two equal ranges merges all three. */
    is_int(vj_vmas_insert(&m, P(50), P(52), RW, VJ_VMA_STACK, false), 0, "insert [50,52)");
    is_int(vj_vmas_insert(&m, P(54), P(56), RW, VJ_VMA_STACK, false), 0, "insert [54,56)");
    is_int(vj_vmas_insert(&m, P(52), P(54), RW, VJ_VMA_STACK, false), 0, "insert [52,54)");
    is_int(m.n, 7, "filling a hole merges both neighbours");
    const struct vj_vma *v = vj_vmas_find(&m, P(53));
    ok(v && v->start == P(50) && v->end == P(56), "merged range is [50,56)");
    ok(well_formed(&m), "map well formed");
    vj_vmas_free(&m);
    is_int(m.n, 0, "free empties the map");
}

static void test_insert_split(void)
{
    struct vj_vmas m;
    vj_vmas_init(&m, LO, HI);
    vj_vmas_insert(&m, P(0), P(100), RW, VJ_VMA_ANON, false);
    is_int(vj_vmas_insert(&m, P(40), P(60), RX, VJ_VMA_IMAGE, false), 0, "insert in the middle");
    ok(map_is(&m,
              (struct want[]){{0, 40, RW, VJ_VMA_ANON},
                              {40, 60, RX, VJ_VMA_IMAGE},
                              {60, 100, RW, VJ_VMA_ANON}},
              3),
       "a range straddling both edges is split in three");

    is_int(vj_vmas_insert(&m, P(40), P(60), RW, VJ_VMA_ANON, false), 0, "insert back");
    ok(map_is(&m, (struct want[]){{0, 100, RW, VJ_VMA_ANON}}, 1),
       "re-inserting the original attributes merges back into one");

    is_int(vj_vmas_insert(&m, P(10), P(20), RW, VJ_VMA_ANON, false), 0, "insert identical inside");
    ok(map_is(&m, (struct want[]){{0, 100, RW, VJ_VMA_ANON}}, 1), "no change");

    is_int(vj_vmas_insert(&m, P(0), P(10), RO, VJ_VMA_ANON, false), 0, "insert at the start");
    is_int(vj_vmas_insert(&m, P(90), P(100), RO, VJ_VMA_ANON, false), 0, "insert at the end");
    ok(map_is(&m,
              (struct want[]){{0, 10, RO, VJ_VMA_ANON},
                              {10, 90, RW, VJ_VMA_ANON},
                              {90, 100, RO, VJ_VMA_ANON}},
              3),
       "edge inserts split once");
    ok(well_formed(&m), "map well formed");
    vj_vmas_free(&m);
}

static void test_insert_replace_several(void)
{
    struct vj_vmas m;
    vj_vmas_init(&m, LO, HI);
    vj_vmas_insert(&m, P(10), P(20), RO, VJ_VMA_ANON, false);
    vj_vmas_insert(&m, P(25), P(30), RX, VJ_VMA_FILE, false);
    vj_vmas_insert(&m, P(30), P(35), RX, VJ_VMA_FILE, false);
    vj_vmas_insert(&m, P(40), P(50), RW, VJ_VMA_HEAP, false);
    vj_vmas_insert(&m, P(60), P(70), RW, VJ_VMA_STACK, false);
    is_int(m.n, 5, "five ranges");
    is_int(vj_vmas_insert(&m, P(15), P(45), RW, VJ_VMA_ANON, true), 0,
           "insert over four ranges");
    ok(map_is(&m,
              (struct want[]){{10, 15, RO, VJ_VMA_ANON},
                              {15, 45, RW, VJ_VMA_ANON},
                              {45, 50, RW, VJ_VMA_HEAP},
                              {60, 70, RW, VJ_VMA_STACK}},
              4),
       "covered ranges replaced, edges trimmed");
    ok(m.v[1].shared && !m.v[0].shared, "shared flag kept per range");

    is_int(vj_vmas_insert(&m, P(0), P(NPAGES), RX, VJ_VMA_IMAGE, false), 0, "insert everything");
    ok(map_is(&m, (struct want[]){{0, NPAGES, RX, VJ_VMA_IMAGE}}, 1), "one range left");
    vj_vmas_free(&m);
}

static void test_remove(void)
{
    struct vj_vmas m;
    vj_vmas_init(&m, LO, HI);
    vj_vmas_insert(&m, P(0), P(100), RW, VJ_VMA_ANON, false);
    is_int(vj_vmas_remove(&m, P(40), P(60)), 0, "remove a hole in the middle");
    ok(map_is(&m, (struct want[]){{0, 40, RW, VJ_VMA_ANON}, {60, 100, RW, VJ_VMA_ANON}}, 2),
       "range split around the hole");
    ok(vj_vmas_is_free(&m, P(40), P(60)), "hole is free");

    vj_vmas_insert(&m, P(45), P(50), RO, VJ_VMA_FILE, false);
    is_int(vj_vmas_remove(&m, P(30), P(70)), 0, "remove spanning three ranges");
    ok(map_is(&m, (struct want[]){{0, 30, RW, VJ_VMA_ANON}, {70, 100, RW, VJ_VMA_ANON}}, 2),
       "edges trimmed, middle gone");

    is_int(vj_vmas_remove(&m, P(120), P(200)), 0, "remove of an unmapped range is ok");
    is_int(vj_vmas_remove(&m, P(30), P(70)), 0, "remove of the hole again is ok");
    ok(map_is(&m, (struct want[]){{0, 30, RW, VJ_VMA_ANON}, {70, 100, RW, VJ_VMA_ANON}}, 2),
       "unchanged");

    is_int(vj_vmas_remove(&m, P(0), P(30)), 0, "remove a whole range exactly");
    is_int(vj_vmas_remove(&m, P(0), P(NPAGES)), 0, "remove everything");
    is_int(m.n, 0, "map empty");
    vj_vmas_free(&m);
}

static void test_protect(void)
{
    struct vj_vmas m;
    vj_vmas_init(&m, LO, HI);
    vj_vmas_insert(&m, P(0), P(10), RX, VJ_VMA_IMAGE, false);
    vj_vmas_insert(&m, P(10), P(20), RW, VJ_VMA_IMAGE, false);
    vj_vmas_insert(&m, P(20), P(30), RW, VJ_VMA_HEAP, false);
    vj_vmas_insert(&m, P(40), P(50), RW, VJ_VMA_ANON, false);

    is_int(vj_vmas_protect(&m, P(5), P(25), RO), 0, "protect across three ranges");
    ok(map_is(&m,
              (struct want[]){{0, 5, RX, VJ_VMA_IMAGE},
                              {5, 20, RO, VJ_VMA_IMAGE},
                              {20, 25, RO, VJ_VMA_HEAP},
                              {25, 30, RW, VJ_VMA_HEAP},
                              {40, 50, RW, VJ_VMA_ANON}},
              5),
       "split at both edges, equal neighbours merged");

    is_int(vj_vmas_protect(&m, P(25), P(45), RO), -ENOMEM, "protect over a hole: ENOMEM");
    is_int(vj_vmas_protect(&m, P(35), P(38), RO), -ENOMEM, "protect of unmapped: ENOMEM");
    is_int(vj_vmas_protect(&m, P(45), P(51), RO), -ENOMEM, "protect past the end: ENOMEM");
    ok(map_is(&m,
              (struct want[]){{0, 5, RX, VJ_VMA_IMAGE},
                              {5, 20, RO, VJ_VMA_IMAGE},
                              {20, 25, RO, VJ_VMA_HEAP},
                              {25, 30, RW, VJ_VMA_HEAP},
                              {40, 50, RW, VJ_VMA_ANON}},
              5),
       "map unchanged after ENOMEM");

    is_int(vj_vmas_protect(&m, P(42), P(44), RX), 0, "protect inside one range");
    ok(map_is(&m,
              (struct want[]){{0, 5, RX, VJ_VMA_IMAGE},
                              {5, 20, RO, VJ_VMA_IMAGE},
                              {20, 25, RO, VJ_VMA_HEAP},
                              {25, 30, RW, VJ_VMA_HEAP},
                              {40, 42, RW, VJ_VMA_ANON},
                              {42, 44, RX, VJ_VMA_ANON},
                              {44, 50, RW, VJ_VMA_ANON}},
              7),
       "split in three");
    is_int(vj_vmas_protect(&m, P(42), P(44), RW), 0, "protect it back");
    ok(map_is(&m,
              (struct want[]){{0, 5, RX, VJ_VMA_IMAGE},
                              {5, 20, RO, VJ_VMA_IMAGE},
                              {20, 25, RO, VJ_VMA_HEAP},
                              {25, 30, RW, VJ_VMA_HEAP},
                              {40, 50, RW, VJ_VMA_ANON}},
              5),
       "merged back into one");
    is_int(vj_vmas_protect(&m, P(0), P(30), RW), 0, "protect a whole run");
    ok(map_is(&m,
              (struct want[]){{0, 20, RW, VJ_VMA_IMAGE},
                              {20, 30, RW, VJ_VMA_HEAP},
                              {40, 50, RW, VJ_VMA_ANON}},
              3),
       "equal kinds merged, different kinds kept apart");

    vj_vmas_insert(&m, P(60), P(61), RO, VJ_VMA_FILE, false);
    vj_vmas_insert(&m, P(61), P(62), RO, VJ_VMA_FILE, false);
    is_int(vj_vmas_protect(&m, P(60), P(62), RW), 0, "protect two file ranges");
    is_int(m.n, 5, "file ranges are not merged by protect");
    ok(well_formed(&m), "map well formed");
    vj_vmas_free(&m);
}

static void test_queries(void)
{
    struct vj_vmas m;
    vj_vmas_init(&m, LO, HI);
    vj_vmas_insert(&m, P(10), P(20), RW, VJ_VMA_ANON, false);
    vj_vmas_insert(&m, P(20), P(30), RO, VJ_VMA_ANON, false);
    vj_vmas_insert(&m, P(40), P(50), RW, VJ_VMA_ANON, false);

    ok(vj_vmas_is_free(&m, P(0), P(10)), "is_free below the first range");
    ok(vj_vmas_is_free(&m, P(30), P(40)), "is_free in a gap");
    ok(vj_vmas_is_free(&m, P(50), P(NPAGES)), "is_free above the last range");
    ok(!vj_vmas_is_free(&m, P(0), P(11)), "!is_free touching a range");
    ok(!vj_vmas_is_free(&m, P(29), P(40)), "!is_free touching the end of a range");
    ok(!vj_vmas_is_free(&m, P(0), P(NPAGES)), "!is_free over everything");

    ok(vj_vmas_is_mapped(&m, P(10), P(30)), "is_mapped across two adjacent ranges");
    ok(vj_vmas_is_mapped(&m, P(15), P(16)), "is_mapped inside a range");
    ok(!vj_vmas_is_mapped(&m, P(10), P(41)), "!is_mapped across a gap");
    ok(!vj_vmas_is_mapped(&m, P(9), P(12)), "!is_mapped starting in a gap");
    ok(!vj_vmas_is_mapped(&m, P(45), P(51)), "!is_mapped ending past the last range");

    const struct vj_vma *v = vj_vmas_find(&m, P(20));
    ok(v && v->start == P(20) && v->prot == RO, "find at a range start");
    v = vj_vmas_find(&m, P(20) - 1);
    ok(v && v->start == P(10), "find at the last byte of a range");
    ok(vj_vmas_find(&m, P(30)) == NULL, "find at a range end: NULL");
    ok(vj_vmas_find(&m, 0) == NULL, "find below lo: NULL");
    ok(vj_vmas_find(&m, UINT64_MAX) == NULL, "find at UINT64_MAX: NULL");
    vj_vmas_free(&m);

    vj_vmas_init(&m, LO, HI);
    ok(vj_vmas_find(&m, P(1)) == NULL, "find in an empty map: NULL");
    ok(vj_vmas_is_free(&m, P(0), P(NPAGES)), "empty map is free");
    ok(!vj_vmas_is_mapped(&m, P(0), P(1)), "empty map is not mapped");
    vj_vmas_free(&m);
}

static void test_find_free(void)
{
    struct vj_vmas m;
    const uint64_t big = 16 * PG; /* a 64 KiB alignment */
    vj_vmas_init(&m, LO, HI);

    is_int(vj_vmas_find_free_topdown(&m, PG, 0, UINT64_MAX, PG), P(NPAGES - 1),
           "empty map: the top page (limit clamped to hi)");
    is_int(vj_vmas_find_free_topdown(&m, 3 * PG, 0, P(100), PG), P(97), "below a limit");
    is_int(vj_vmas_find_free_topdown(&m, 3 * PG, 0, P(100), big), P(96), "aligned down");
    is_int(vj_vmas_find_free_topdown(&m, 0, 0, HI, PG), 0, "len 0: none");
    is_int(vj_vmas_find_free_topdown(&m, HI, 0, HI, PG), 0, "len larger than the map: none");
    is_int(vj_vmas_find_free_topdown(&m, UINT64_MAX & ~(PG - 1), 0, HI, PG), 0, "huge len: none");
    is_int(vj_vmas_find_free_topdown(&m, NPAGES * PG, 0, HI, PG), LO, "the whole map fits");

    vj_vmas_insert(&m, P(200), P(NPAGES), RW, VJ_VMA_STACK, false);
    vj_vmas_insert(&m, P(150), P(190), RW, VJ_VMA_ANON, false);
    is_int(vj_vmas_find_free_topdown(&m, 10 * PG, 0, HI, PG), P(190), "exact fit in a gap");
    is_int(vj_vmas_find_free_topdown(&m, 11 * PG, 0, HI, PG), P(139), "skips a small gap");
    is_int(vj_vmas_find_free_topdown(&m, 10 * PG, 0, HI, big), P(128),
           "alignment pushes below the small gap");
    is_int(vj_vmas_find_free_topdown(&m, 4 * PG, 0, HI, big), P(192), "aligned fit in the gap");
    is_int(vj_vmas_find_free_topdown(&m, 11 * PG, P(140), HI, PG), 0, "floor above the fit: none");
    is_int(vj_vmas_find_free_topdown(&m, 11 * PG, P(139), HI, PG), P(139), "floor exactly at it");
    is_int(vj_vmas_find_free_topdown(&m, PG, 0, P(170), PG), P(149), "limit inside a range");
    is_int(vj_vmas_find_free_topdown(&m, PG, P(50), P(40), PG), 0, "floor above limit: none");

    vj_vmas_insert(&m, P(0), P(150), RW, VJ_VMA_ANON, false);
    is_int(vj_vmas_find_free_topdown(&m, 11 * PG, 0, HI, PG), 0, "no gap large enough");
    vj_vmas_insert(&m, P(190), P(200), RO, VJ_VMA_ANON, false);
    is_int(vj_vmas_find_free_topdown(&m, PG, 0, HI, PG), 0, "full map: none");
    vj_vmas_free(&m);
}

static void test_einval(void)
{
    struct vj_vmas m;
    vj_vmas_init(&m, LO, HI);
    vj_vmas_insert(&m, P(10), P(20), RW, VJ_VMA_ANON, false);
    struct {
        uint64_t start, end;
        const char *what;
    } bad[] = {
        {P(1) + 1, P(2), "misaligned start"},
        {P(1), P(2) - 1, "misaligned end"},
        {P(3), P(3), "empty range"},
        {P(4), P(3), "start after end"},
        {LO - PG, P(1), "start below lo"},
        {P(NPAGES - 1), HI + PG, "end above hi"},
        {0, PG, "range below lo"},
        {UINT64_MAX & ~(PG - 1), 0, "wrapping range"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        is_int(vj_vmas_insert(&m, bad[i].start, bad[i].end, RW, VJ_VMA_ANON, false), -EINVAL,
               "insert: %s: EINVAL", bad[i].what);
        is_int(vj_vmas_remove(&m, bad[i].start, bad[i].end), -EINVAL, "remove: %s: EINVAL",
               bad[i].what);
        is_int(vj_vmas_protect(&m, bad[i].start, bad[i].end, RO), -EINVAL,
               "protect: %s: EINVAL", bad[i].what);
    }
    ok(map_is(&m, (struct want[]){{10, 20, RW, VJ_VMA_ANON}}, 1), "map unchanged");
    vj_vmas_free(&m);
}

/* ---- randomized comparison against a page array ---------------------------------------- */

static const int model_prots[] = {RO, RW, RX};
static const enum vj_vma_kind model_kinds[] = {VJ_VMA_ANON, VJ_VMA_FILE, VJ_VMA_HEAP};

/* A page's attributes as one byte (0: unmapped). */
static unsigned char encode(int prot, enum vj_vma_kind kind, bool shared)
{
    return (unsigned char)(1 + prot + 8 * (int)kind + 64 * (int)shared);
}

static bool map_matches_model(const struct vj_vmas *m, const unsigned char *model)
{
    unsigned char seen[NPAGES] = {0};
    for (size_t i = 0; i < m->n; i++) {
        const struct vj_vma *v = &m->v[i];
        for (uint64_t a = v->start; a < v->end; a += PG)
            seen[(a - LO) / PG] = encode(v->prot, v->kind, v->shared);
    }
    return memcmp(seen, model, NPAGES) == 0;
}

static bool model_all(const unsigned char *model, unsigned s, unsigned e, bool mapped)
{
    for (unsigned p = s; p < e; p++)
        if ((model[p] != 0) != mapped)
            return false;
    return true;
}

static uint64_t model_find_free(const unsigned char *model, unsigned len, uint64_t floor,
                                uint64_t limit, uint64_t align)
{
    for (uint64_t a = (limit - (uint64_t)len * PG) & ~(align - 1); a >= floor && a >= LO;
         a -= align) {
        unsigned s = (unsigned)((a - LO) / PG);
        if (model_all(model, s, s + len, false))
            return a;
        if (a < align)
            break;
    }
    return 0;
}

static void test_random(void)
{
    struct vj_vmas m;
    unsigned char model[NPAGES] = {0};
    unsigned seed = 12345;
    int bad_rc = 0, bad_map = 0, bad_form = 0, bad_query = 0, bad_free = 0;
    int first_bad = -1;
    int iterations = 10000;

    vj_vmas_init(&m, LO, HI);
    for (int it = 0; it < iterations; it++) {
        unsigned s = (unsigned)rand_r(&seed) % (NPAGES + 4);
        unsigned len = 1 + (unsigned)rand_r(&seed) % 40;
        unsigned e = s + len;
        int op = rand_r(&seed) % 3;
        int prot = model_prots[rand_r(&seed) % 3];
        enum vj_vma_kind kind = model_kinds[rand_r(&seed) % 3];
        bool shared = rand_r(&seed) % 4 == 0;
        bool in_range = e <= NPAGES;
        int want = in_range ? 0 : -EINVAL, got;

        if (op == 0) {
            got = vj_vmas_insert(&m, P(s), P(e), prot, kind, shared);
            if (in_range)
                for (unsigned p = s; p < e; p++)
                    model[p] = encode(prot, kind, shared);
        } else if (op == 1) {
            got = vj_vmas_remove(&m, P(s), P(e));
            if (in_range)
                memset(model + s, 0, len);
        } else {
            got = vj_vmas_protect(&m, P(s), P(e), prot);
            if (in_range && !model_all(model, s, e, true))
                want = -ENOMEM;
            else if (in_range)
                for (unsigned p = s; p < e; p++)
                    model[p] = (unsigned char)(model[p] - ((model[p] - 1) & 7) + prot);
        }
        bad_rc += got != want;
        bad_map += !map_matches_model(&m, model);
        bad_form += !well_formed(&m);

        /* Queries over a random in-range window. */
        unsigned qs = (unsigned)rand_r(&seed) % NPAGES;
        unsigned qe = qs + 1 + (unsigned)rand_r(&seed) % (NPAGES - qs);
        const struct vj_vma *f = vj_vmas_find(&m, P(qs) + 17);
        bad_query += vj_vmas_is_free(&m, P(qs), P(qe)) != model_all(model, qs, qe, false);
        bad_query += vj_vmas_is_mapped(&m, P(qs), P(qe)) != model_all(model, qs, qe, true);
        bad_query += (f != NULL) != (model[qs] != 0);
        bad_query += f && (f->start > P(qs) || f->end <= P(qs));

        unsigned flen = 1 + (unsigned)rand_r(&seed) % 16;
        uint64_t align = PG << (rand_r(&seed) % 5);
        uint64_t floor = P(rand_r(&seed) % 64);
        uint64_t limit = P(NPAGES - rand_r(&seed) % 64);
        bad_free += vj_vmas_find_free_topdown(&m, flen * PG, floor, limit, align) !=
                    model_find_free(model, flen, floor, limit, align);

        if (first_bad < 0 && bad_rc + bad_map + bad_form + bad_query + bad_free > 0)
            first_bad = it;
    }
    is_int(bad_rc, 0, "random: every return value as the model says (%d ops)", iterations);
    is_int(bad_map, 0, "random: the map equals the model after every op");
    is_int(bad_form, 0, "random: the map stays sorted, non-overlapping and merged");
    is_int(bad_query, 0, "random: is_free/is_mapped/find agree with the model");
    is_int(bad_free, 0, "random: find_free_topdown agrees with a brute-force search");
    if (first_bad >= 0)
        printf("#   first failure at iteration %d\n", first_bad);
    ok(m.n > 0, "random: the map ends non-empty (%zu ranges)", m.n);
    vj_vmas_free(&m);
}

/* A SysV attachment of SIZE bytes, number ATTACH, at page START. */
static int attach(struct vj_vmas *m, unsigned start, uint64_t size, uint32_t attach_no)
{
    uint64_t len = (size + PG - 1) & ~(PG - 1);
    struct vj_vma v = {.start = P(start), .end = P(start) + len, .prot = RW,
                       .kind = VJ_VMA_SHM, .shared = true,
                       .shm = {.attach = attach_no, .shmid = 7, .key = 0, .size = size}};
    return vj_vmas_insert_vma(m, &v);
}

/* The ranges shmdt(page AT) detaches, as "start-end start-end ..." in pages. */
static const char *shmdt_at(const struct vj_vmas *m, uint64_t at)
{
    static char buf[256];
    uint64_t r[16][2];
    size_t n = vj_vmas_shmdt(m, at, r, 16);
    buf[0] = '\0';
    for (size_t i = 0; i < n; i++)
        snprintf(buf + strlen(buf), sizeof buf - strlen(buf), "%s%llu-%llu", i ? " " : "",
                 (unsigned long long)((r[i][0] - LO) / PG), (unsigned long long)((r[i][1] - LO) / PG));
    return n ? buf : "none";
}

static void test_shm(void)
{
    struct vj_vmas m;
    vj_vmas_init(&m, LO, HI);
    is_int(attach(&m, 10, 3 * PG - 100, 1), 0, "shm: attach 3 pages at 10");
    is_int(attach(&m, 13, 2 * PG, 2), 0, "shm: another attachment right after it");
    struct want w[] = {{10, 13, RW, VJ_VMA_SHM}, {13, 15, RW, VJ_VMA_SHM}};
    ok(map_is(&m, w, 2), "shm: two ranges, never merged");
    is_str(shmdt_at(&m, P(10)), "10-13", "shmdt at the first: the first only");
    is_str(shmdt_at(&m, P(13)), "13-15", "shmdt at the second: the second only");
    is_str(shmdt_at(&m, P(11)), "none", "shmdt inside an attachment: nothing (EINVAL)");
    is_str(shmdt_at(&m, P(0)), "none", "shmdt below: nothing placed for it");
    is_str(shmdt_at(&m, P(200)), "none", "shmdt above everything: nothing");
    /* Fragments keep their offsets: unmap the first page, protect the third. */
    is_int(vj_vmas_remove(&m, P(10), P(11)), 0, "shm: unmap its first page");
    is_int(vj_vmas_protect(&m, P(12), P(13), RO), 0, "shm: protect its third page");
    const struct vj_vma *v = vj_vmas_find(&m, P(11));
    ok(v && v->offset == PG && v->shm.attach == 1, "shm: the second page keeps offset 1 page");
    v = vj_vmas_find(&m, P(12));
    ok(v && v->offset == 2 * PG && v->prot == RO, "shm: the third keeps offset 2 pages");
    is_str(shmdt_at(&m, P(10)), "11-12 12-13", "shmdt at the start finds both fragments");
    is_str(shmdt_at(&m, P(11)), "none", "shmdt at a fragment's own start: its offset is not 0");
    /* A fragment of another attachment placed as if attached at 10 is not taken with it. */
    is_int(vj_vmas_remove(&m, P(13), P(15)), 0, "shm: the second attachment goes");
    is_int(attach(&m, 100, 4 * PG, 3), 0, "shm: a third attachment at 100");
    is_int(vj_vmas_remove(&m, P(100), P(102)), 0, "shm: its first two pages unmapped");
    is_str(shmdt_at(&m, P(100)), "102-104", "shmdt at its start finds what is left 2 pages in");
    is_str(shmdt_at(&m, P(102)), "none", "shmdt at that fragment's own start: nothing");
    is_str(shmdt_at(&m, P(10)), "11-12 12-13", "shmdt at 10 still only its own");
    /* The segment's size bounds the search: a fragment past it is not taken. */
    struct vj_vma far = {.start = P(20), .end = P(21), .prot = RW, .kind = VJ_VMA_SHM,
                         .shared = true, .offset = 10 * PG,
                         .shm = {.attach = 1, .shmid = 7, .size = 3 * PG - 100}};
    is_int(vj_vmas_insert_vma(&m, &far), 0, "shm: a part of attachment 1 at 20, offset 10 pages");
    is_str(shmdt_at(&m, P(10)), "11-12 12-13", "shmdt does not reach past the segment's size");
    /* Replaced by an anonymous mapping: nothing to detach there. */
    is_int(vj_vmas_insert(&m, P(11), P(13), RW, VJ_VMA_ANON, false), 0, "shm: mapped over");
    is_str(shmdt_at(&m, P(10)), "20-21",
           "shmdt's first search has no bound, as Linux's: it finds the part at 20");
    is_int(vj_vmas_remove(&m, P(20), P(21)), 0, "shm: that part goes");
    is_str(shmdt_at(&m, P(10)), "none", "shmdt finds nothing left");
    /* Hostile sizes: 0 and one that overflows when rounded. */
    is_int(attach(&m, 150, UINT64_MAX - 10, 4), -EINVAL, "shm: a size that overflows is refused");
    struct vj_vma huge = {.start = P(150), .end = P(152), .prot = RW, .kind = VJ_VMA_SHM,
                          .shared = true, .shm = {.attach = 5, .size = UINT64_MAX - 10}};
    is_int(vj_vmas_insert_vma(&m, &huge), 0, "shm: a range claiming a huge segment");
    is_str(shmdt_at(&m, P(150)), "150-152", "shmdt of it: its own range");
    uint64_t r[1][2];
    is_int((long long)vj_vmas_shmdt(&m, P(150), r, 0), 0, "shmdt with no room: nothing");
    ok(well_formed(&m), "shm: the map stays well formed");
    vj_vmas_free(&m);
}

int main(void)
{
    test_insert_merge();
    test_insert_split();
    test_insert_replace_several();
    test_remove();
    test_protect();
    test_queries();
    test_find_free();
    test_einval();
    test_random();
    test_shm();
    return done_testing();
}
