/* mem_ahead.h: populating fresh payload memory on the host ahead of the payload's first touch.
 *
 * Fresh host memory is slow to touch on some hosts (this development machine discards freed
 * memory to its own hypervisor in 2 MiB blocks: backing such a block again costs about 10 us
 * per 4 KiB page).  A monitor thread follows each large anonymous private writable mapping the
 * payload touches in ascending order, like file readahead: it populates a window ahead of the
 * payload with MADV_POPULATE_WRITE on the other core, leaving one "marker" page of the window
 * unpopulated; when mincore() shows the marker resident, the payload got there and the window
 * moves on (and grows, up to VJ_AHEAD_WIN_MAX).  A payload that stops touching stops it, so at
 * most one window per mapping is populated that the payload did not ask for.
 *
 * The policy (struct vj_ahead and its functions) is pure arithmetic on guest addresses; the
 * mechanism (vj_mem_ahead_*) keeps the ranges under the process's mm_lock and runs the thread. */
#ifndef VJ_MEM_AHEAD_H
#define VJ_MEM_AHEAD_H

#include <stdbool.h>
#include <stdint.h>

#define VJ_AHEAD_STEP (2ULL << 20)      /* one populate call, one guest huge page */
#define VJ_AHEAD_MIN (4ULL << 20)       /* smaller ranges are not followed */
#define VJ_AHEAD_WIN0 (4ULL << 20)      /* the first window, once the payload touches the range */
#define VJ_AHEAD_WIN_MAX (32ULL << 20)  /* the largest window */

/* One followed range.  [start, done) is populated (but for the marker); the thread populates
 * up to want; the payload touching marker, or the page at want, moves the window. */
struct vj_ahead {
    uint64_t start, end; /* page aligned */
    uint64_t done, want;
    uint64_t marker;     /* an unpopulated page inside [start, want], or 0 */
    uint64_t win;        /* the current window size */
    bool small;          /* populated with 4 KiB host pages, not huge pages */
};

/* A new range: nothing is populated until the payload touches its first page (the marker). */
void vj_ahead_init(struct vj_ahead *a, uint64_t start, uint64_t end);
/* The payload touched ADDR, a page the thread watched: move the window past it. */
void vj_ahead_touched(struct vj_ahead *a, uint64_t addr);
/* The next populate step: [*s, *e), at most VJ_AHEAD_STEP, never past a 2 MiB boundary.
 * False if there is nothing to do until the payload touches something. */
bool vj_ahead_step(const struct vj_ahead *a, uint64_t *s, uint64_t *e);
/* The step ending at E was made. */
void vj_ahead_stepped(struct vj_ahead *a, uint64_t e);
/* The range grows to END (the heap). */
void vj_ahead_extend(struct vj_ahead *a, uint64_t end);
/* The payload unmapped, protected or discarded [lo, hi): the range shrinks to what it keeps
 * below lo or, if nothing, above hi.  False if nothing is left to follow. */
bool vj_ahead_cut(struct vj_ahead *a, uint64_t lo, uint64_t hi);
/* Nothing left to do: all populated, no marker to watch. */
bool vj_ahead_finished(const struct vj_ahead *a);

struct vj_proc;

/* Mechanism; all but vj_mem_ahead_stop are called under p->mm_lock. */

/* The payload mapped fresh anonymous private writable [start, end): follow it, or grow the
 * followed range that ends at START. */
void vj_mem_ahead_add(struct vj_proc *p, uint64_t start, uint64_t end);
/* The payload gave up [start, end) (unmapped, protected, discarded): never populate it. */
void vj_mem_ahead_cut(struct vj_proc *p, uint64_t start, uint64_t end);
/* Stop and join the thread, forget every range (the process's memory is going away). */
void vj_mem_ahead_stop(struct vj_proc *p);

#endif
