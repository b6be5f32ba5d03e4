/* test_mem_ahead.c: unit tests of the populator's readahead-like window (mem_ahead_policy.c). */
#include <stdbool.h>
#include <stdint.h>

#include "monitor/mem_ahead.h"
#include "tap.h"

#define PG 4096ULL
#define MiB (1ULL << 20)

/* A payload touching [start, start + upto) page by page in ascending order, with the thread
 * watching after every page and making every step it can at once.  Returns the most that was
 * ever populated beyond the payload's last touched page; *populated the total. */
static uint64_t follow(struct vj_ahead *a, uint64_t upto, uint64_t *populated, bool *bad)
{
    uint64_t most = 0, total = 0;
    for (uint64_t at = a->start; at < a->start + upto; at += PG) {
        if (a->marker == at || (a->want == at && a->want < a->end))
            vj_ahead_touched(a, at);
        uint64_t s, e;
        while (vj_ahead_step(a, &s, &e)) {
            if (s < a->start || e > a->end || e <= s || e - s > VJ_AHEAD_STEP ||
                (s >> 21) != ((e - 1) >> 21))
                *bad = true;
            if (a->marker && a->marker < a->want && (a->marker <= at))
                *bad = true; /* the marker must lie ahead of the payload */
            total += e - s;
            vj_ahead_stepped(a, e);
        }
        uint64_t ahead = a->done > at ? a->done - at : 0;
        if (ahead > most)
            most = ahead;
    }
    *populated = total;
    return most;
}

static void test_sequential(void)
{
    struct vj_ahead a;
    uint64_t start = 64 * MiB, len = 256 * MiB, total;
    bool bad = false;
    vj_ahead_init(&a, start, start + len);
    uint64_t s, e;
    ok(!vj_ahead_step(&a, &s, &e), "nothing is populated before the first touch");
    is_int(a.marker, start, "the first page is watched");
    uint64_t most = follow(&a, len, &total, &bad);
    ok(!bad, "steps stay inside the range, within one 2 MiB block, markers ahead of the payload");
    ok(total >= len - 4 * MiB, "almost all of a sequentially touched range is populated ahead (%llu MiB)",
       (unsigned long long)(total / MiB));
    ok(most <= VJ_AHEAD_WIN_MAX + VJ_AHEAD_STEP, "never more than a window ahead (%llu MiB)",
       (unsigned long long)(most / MiB));
    ok(vj_ahead_finished(&a), "finished at the end");
}

static void test_one_touch(void)
{
    struct vj_ahead a;
    uint64_t start = 6 * MiB + 5 * PG, total; /* not 2 MiB aligned */
    bool bad = false;
    vj_ahead_init(&a, start, start + 64ULL * 1024 * MiB);
    follow(&a, PG, &total, &bad);
    ok(!bad, "a single touch: steps well formed");
    ok(total <= VJ_AHEAD_WIN0, "a single touch populates at most the first window (%llu KiB)",
       (unsigned long long)(total >> 10));
    uint64_t s, e;
    ok(!vj_ahead_step(&a, &s, &e), "then nothing until the payload touches more");
    ok(a.want % VJ_AHEAD_STEP == 0, "the watched front page starts a 2 MiB block");
}

static void test_partial(void)
{
    struct vj_ahead a;
    uint64_t start = 2 * MiB, total;
    bool bad = false;
    vj_ahead_init(&a, start, start + 1024 * MiB);
    follow(&a, 100 * MiB, &total, &bad);
    ok(!bad, "touching 100 MiB of 1 GiB: steps well formed");
    ok(total <= 100 * MiB + VJ_AHEAD_WIN_MAX, "populated at most a window beyond (%llu MiB)",
       (unsigned long long)(total / MiB));
    ok(a.want <= start + 100 * MiB + VJ_AHEAD_WIN_MAX, "want stays within a window");
}

static void test_cut(void)
{
    struct vj_ahead a;
    vj_ahead_init(&a, 16 * MiB, 80 * MiB);
    vj_ahead_touched(&a, 16 * MiB);
    ok(vj_ahead_cut(&a, 100 * MiB, 110 * MiB) && a.start == 16 * MiB && a.end == 80 * MiB,
       "a cut elsewhere changes nothing");
    ok(vj_ahead_cut(&a, 40 * MiB, 90 * MiB) && a.end == 40 * MiB && a.want <= 40 * MiB &&
           a.done <= 40 * MiB, "cutting the tail keeps the head");
    uint64_t s, e;
    while (vj_ahead_step(&a, &s, &e)) {
        ok(e <= 40 * MiB, "no step past the cut");
        vj_ahead_stepped(&a, e);
    }
    ok(vj_ahead_cut(&a, 8 * MiB, 20 * MiB) && a.start == 20 * MiB && a.done >= 20 * MiB &&
           (a.marker == 0 || a.marker >= 20 * MiB), "cutting the head keeps the tail, nothing below it");
    ok(!vj_ahead_cut(&a, 0, 100 * MiB), "cutting all of it ends it");

    vj_ahead_init(&a, 16 * MiB, 80 * MiB);
    ok(vj_ahead_cut(&a, 16 * MiB, 18 * MiB) && a.marker == 0 && a.want == 18 * MiB,
       "cutting the untouched head: the new first page is watched as the front");
}

static void test_extend(void)
{
    struct vj_ahead a;
    uint64_t total;
    bool bad = false;
    vj_ahead_init(&a, 32 * MiB, 33 * MiB);
    follow(&a, MiB, &total, &bad);
    ok(vj_ahead_finished(&a), "a 1 MiB heap touched through is finished");
    vj_ahead_extend(&a, 64 * MiB);
    ok(!vj_ahead_finished(&a) && a.want == 33 * MiB, "growing it: the old end is the watched front");
    vj_ahead_touched(&a, 33 * MiB);
    uint64_t s, e;
    ok(vj_ahead_step(&a, &s, &e) && s >= 33 * MiB && e <= 64 * MiB, "then the new part is populated");
}

int main(void)
{
    test_sequential();
    test_one_touch();
    test_partial();
    test_cut();
    test_extend();
    return done_testing();
}
