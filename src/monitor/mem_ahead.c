/* mem_ahead.c: the monitor thread that populates payload memory ahead of the payload's first
 * touch (policy in mem_ahead_policy.c, design in mem_ahead.h). */
#include "monitor/mem_ahead.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "monitor/proc.h"

#define PAGE 4096ULL
#define POLL_MIN_NS 100000LL    /* while the payload advances: 0.1 ms between looks */
#define POLL_MAX_NS 20000000LL  /* backing off to 20 ms while it does not */
#define SLOW_HUGE_NS 1000000LL  /* a fresh 2 MiB huge page slower than this: use 4 KiB pages */
#define PROBE_NS 100000000LL    /* a probe stands for 0.1 s */

/* One monitor process runs one payload process, so there is one populator per process. */
static struct {
    struct vj_proc *p;       /* the process whose ranges these are */
    struct vj_ahead *r;      /* the ranges followed (under p->mm_lock) */
    size_t n, cap;
    pthread_t thread;
    pthread_cond_t wake;     /* with p->mm_lock: a range was added, or stop */
    bool running, stop, off;
    bool small;              /* fresh huge pages were slow at the last probe */
    int64_t probed;          /* when (CLOCK_MONOTONIC ns), or 0 */
} S = {.wake = PTHREAD_COND_INITIALIZER};

static pthread_once_t once = PTHREAD_ONCE_INIT;

/* A forked monitor has no populator (threads do not survive fork) and follows nothing of its
 * parent's: it starts one if its payload maps fresh memory. */
static void after_fork_child(void)
{
    S.n = 0;
    S.running = S.stop = false;
    S.p = NULL;
    pthread_cond_init(&S.wake, NULL);
}

static void init_once(void)
{
    const char *e = getenv("VMJAIL_MEM_AHEAD");
    cpu_set_t cpus;
    /* With one CPU the thread would only take turns with the payload. */
    S.off = (e && strcmp(e, "0") == 0) ||
            (sched_getaffinity(0, sizeof cpus, &cpus) == 0 && CPU_COUNT(&cpus) < 2);
    pthread_atfork(NULL, NULL, after_fork_child);
}

static void *host(const struct vj_proc *p, uint64_t gva)
{
    return p->mem + gva;
}

static bool resident(const struct vj_proc *p, uint64_t gva)
{
    unsigned char v = 0;
    return mincore(host(p, gva & ~(PAGE - 1)), PAGE, &v) == 0 && (v & 1);
}

static int64_t now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000000000LL + t.tv_nsec;
}

static void populate(const struct vj_proc *p, uint64_t s, uint64_t e)
{
    if (e > s)
        madvise(host(p, s), e - s, MADV_POPULATE_WRITE);
}

/* Populate [s, e), one 2 MiB block at most, but for the marker: a page with 4 KiB host
 * pages, its whole block with huge pages (a huge page there would make it resident).  A fresh
 * huge page that was slow turns the rest of the range, and the next ranges, to 4 KiB pages. */
static void step(const struct vj_proc *p, struct vj_ahead *a, uint64_t s, uint64_t e)
{
    bool marked = a->marker >= s && a->marker < e;
    if (a->small && marked) {
        populate(p, s, a->marker);
        populate(p, a->marker + PAGE, e);
        return;
    }
    if (a->small) {
        populate(p, s, e);
        return;
    }
    if (marked)
        return;
    bool fresh = e - s == VJ_AHEAD_STEP && !resident(p, s);
    int64_t t0 = now_ns();
    populate(p, s, e);
    if (fresh && now_ns() - t0 > SLOW_HUGE_NS) {
        S.small = a->small = true;
        S.probed = now_ns();
        madvise(host(p, e), a->end - e, MADV_NOHUGEPAGE);
    }
}

/* Are fresh huge pages slow on this host just now?  Times one, in the monitor's own memory.
 * On this development machine a 2 MiB block its hypervisor took back costs 2.5 to 5 ms to
 * back again; a block freed recently, or any on a bare-metal host, 0.1 to 0.3 ms. */
static bool huge_pages_slow(void)
{
    int64_t now = now_ns();
    if (S.probed != 0 && now - S.probed < PROBE_NS)
        return S.small;
    S.probed = now;
    size_t len = 2 * VJ_AHEAD_STEP;
    uint8_t *m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED)
        return S.small;
    uint8_t *blk = (uint8_t *)(((uintptr_t)m + VJ_AHEAD_STEP - 1) & ~(uintptr_t)(VJ_AHEAD_STEP - 1));
    madvise(blk, VJ_AHEAD_STEP, MADV_HUGEPAGE);
    int64_t t0 = now_ns();
    madvise(blk, VJ_AHEAD_STEP, MADV_POPULATE_WRITE);
    S.small = now_ns() - t0 > SLOW_HUGE_NS;
    munmap(m, len);
    return S.small;
}

static void drop(size_t i)
{
    S.r[i] = S.r[--S.n];
}

/* Look at the watched pages of range I and make one step.  True if there was work. */
static bool visit(struct vj_proc *p, size_t i)
{
    struct vj_ahead *a = &S.r[i];
    bool moved = false;
    if (a->marker && resident(p, a->marker)) {
        vj_ahead_touched(a, a->marker);
        moved = true;
    } else if (a->want < a->end && (a->win || a->marker == 0) && resident(p, a->want)) {
        vj_ahead_touched(a, a->want);
        moved = true;
    }
    uint64_t s, e;
    if (!vj_ahead_step(a, &s, &e))
        return moved;
    step(p, a, s, e);
    vj_ahead_stepped(a, e);
    if (vj_ahead_finished(a))
        drop(i);
    return true;
}

static void *run(void *arg)
{
    struct vj_proc *p = arg;
    int64_t poll = POLL_MIN_NS;
    pthread_mutex_lock(&p->mm_lock);
    while (!S.stop) {
        bool worked = false;
        for (size_t i = S.n; i-- > 0 && !S.stop;) {
            if (!visit(p, i))
                continue;
            worked = true;
            /* Let the payload's memory calls in between steps. */
            pthread_mutex_unlock(&p->mm_lock);
            pthread_mutex_lock(&p->mm_lock);
            if (i > S.n)
                i = S.n;
        }
        if (worked) {
            poll = POLL_MIN_NS;
            continue;
        }
        if (S.n == 0) {
            pthread_cond_wait(&S.wake, &p->mm_lock);
            poll = POLL_MIN_NS;
            continue;
        }
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_nsec += poll;
        until.tv_sec += until.tv_nsec / 1000000000L;
        until.tv_nsec %= 1000000000L;
        pthread_cond_timedwait(&S.wake, &p->mm_lock, &until);
        poll = poll * 2 > POLL_MAX_NS ? POLL_MAX_NS : poll * 2;
    }
    pthread_mutex_unlock(&p->mm_lock);
    return NULL;
}

/* Start the thread (under p->mm_lock); false if it cannot run. */
static bool start_thread(struct vj_proc *p)
{
    if (S.running)
        return true;
    pthread_attr_t attr;
    if (pthread_attr_init(&attr) != 0)
        return false;
    pthread_attr_setstacksize(&attr, 64 << 10);
    /* Signals are for the payload's threads and the monitor's signal thread, not this one. */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    S.stop = false;
    S.running = pthread_create(&S.thread, &attr, run, p) == 0;
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    pthread_attr_destroy(&attr);
    return S.running;
}

void vj_mem_ahead_add(struct vj_proc *p, uint64_t start, uint64_t end)
{
    pthread_once(&once, init_once);
    if (S.off || end <= start || (S.p != NULL && S.p != p))
        return;
    S.p = p;
    struct vj_ahead *a = NULL;
    for (size_t i = 0; i < S.n && a == NULL; i++)
        if (S.r[i].end == start)
            a = &S.r[i];
    if (a != NULL) {
        vj_ahead_extend(a, end);
    } else {
        if (S.n == S.cap) {
            size_t cap = S.cap ? 2 * S.cap : 8;
            struct vj_ahead *r = realloc(S.r, cap * sizeof *r);
            if (r == NULL)
                return;
            S.r = r;
            S.cap = cap;
        }
        a = &S.r[S.n++];
        vj_ahead_init(a, start, end);
    }
    if (a->end - a->start < VJ_AHEAD_MIN)
        return; /* small ranges (a small heap) are followed without a thread until they grow */
    /* Where fresh huge pages are slow, 4 KiB host pages are populated: KVM then maps the
     * payload's 2 MiB pages 4 KiB at a time, about 1 us per page.  Set here, before the
     * payload touches the range: later it would wait for the payload's faults. */
    a->small = huge_pages_slow();
    if (a->small)
        madvise(p->mem + start, end - start, MADV_NOHUGEPAGE);
    if (start_thread(p))
        pthread_cond_signal(&S.wake);
    else
        S.off = true; /* no thread: the payload touches its memory itself */
}

void vj_mem_ahead_cut(struct vj_proc *p, uint64_t start, uint64_t end)
{
    if (S.p != p)
        return;
    for (size_t i = S.n; i-- > 0;)
        if (!vj_ahead_cut(&S.r[i], start, end))
            drop(i);
}

void vj_mem_ahead_stop(struct vj_proc *p)
{
    if (S.p != p)
        return;
    pthread_mutex_lock(&p->mm_lock);
    bool running = S.running;
    S.stop = true;
    S.n = 0;
    pthread_cond_signal(&S.wake);
    pthread_mutex_unlock(&p->mm_lock);
    if (running)
        pthread_join(S.thread, NULL);
    S.running = S.stop = false;
    S.p = NULL;
    free(S.r);
    S.r = NULL;
    S.cap = 0;
}
