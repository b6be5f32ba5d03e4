/* mem_ahead_policy.c: the readahead-like window of the memory populator (see mem_ahead.h). */
#include "monitor/mem_ahead.h"

#define PAGE 4096ULL

static uint64_t blk_down(uint64_t x)
{
    return x & ~(VJ_AHEAD_STEP - 1);
}

void vj_ahead_init(struct vj_ahead *a, uint64_t start, uint64_t end)
{
    a->start = a->done = a->want = a->marker = start;
    a->end = end;
    a->win = 0;
}

void vj_ahead_touched(struct vj_ahead *a, uint64_t addr)
{
    uint64_t win = a->win == 0 ? VJ_AHEAD_WIN0 : a->win * 2;
    if (win > VJ_AHEAD_WIN_MAX)
        win = VJ_AHEAD_WIN_MAX;
    a->win = win;
    /* want stays on a 2 MiB boundary (or the end): the page at want is watched, and a
     * populated huge page must never cover it. */
    uint64_t w = blk_down(addr) + win;
    if (w > a->end || w < addr)
        w = a->end;
    if (w > a->want)
        a->want = w;
    /* The payload is in ADDR's block and went through those before it itself. */
    uint64_t past = blk_down(addr) + VJ_AHEAD_STEP;
    if (past > a->want)
        past = a->want;
    if (a->done < past)
        a->done = past;
    /* The new marker: the first page of a 2 MiB block half a window before want, above the
     * touched page and not populated yet. */
    uint64_t m = a->want > win / 2 ? blk_down(a->want - win / 2) : 0;
    uint64_t lo = blk_down(addr) + VJ_AHEAD_STEP, done_up = blk_down(a->done + VJ_AHEAD_STEP - 1);
    if (lo < done_up)
        lo = done_up;
    if (m < lo)
        m = lo;
    a->marker = m < a->want ? m : 0;
}

bool vj_ahead_step(const struct vj_ahead *a, uint64_t *s, uint64_t *e)
{
    if (a->done >= a->want)
        return false;
    uint64_t next = blk_down(a->done) + VJ_AHEAD_STEP;
    *s = a->done;
    *e = next < a->want ? next : a->want;
    return true;
}

void vj_ahead_stepped(struct vj_ahead *a, uint64_t e)
{
    if (e > a->done)
        a->done = e;
}

void vj_ahead_extend(struct vj_ahead *a, uint64_t end)
{
    if (end > a->end)
        a->end = end;
}

bool vj_ahead_cut(struct vj_ahead *a, uint64_t lo, uint64_t hi)
{
    if (hi <= a->start || lo >= a->end)
        return true;
    if (lo > a->start) { /* keep what lies below lo */
        a->end = lo;
        if (a->done > lo)
            a->done = lo;
        if (a->want > lo)
            a->want = lo;
        if (a->marker >= lo)
            a->marker = 0;
        return a->done < a->end || a->marker != 0;
    }
    if (hi < a->end) { /* keep what lies above hi; its first unpopulated page is watched */
        a->start = hi;
        if (a->done < hi)
            a->done = hi;
        if (a->want < hi)
            a->want = hi;
        if (a->marker < hi)
            a->marker = 0;
        return true;
    }
    return false;
}

bool vj_ahead_finished(const struct vj_ahead *a)
{
    return a->done >= a->end;
}
