/* thread.c: payload threads: each is a vCPU driven by a host thread from one syscall or fault
 * to the next; clone starts them, exit ends one, exit_group and fatal signals end them all. */
#include "monitor/thread.h"

#include <errno.h>
#include <linux/futex.h>
#include <linux/sched.h>
#include <semaphore.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "lib/error.h"
#include "monitor/coredump.h"
#include "monitor/fastcall.h"
#include "monitor/gdb.h"
#include "monitor/proc_life.h"
#include "monitor/process.h"
#include "monitor/signal.h"
#include "monitor/sys.h"
#include "monitor/trace.h"

__thread struct vj_thread *vj_self;


static void on_kick(int sig)
{
    (void)sig;
}

void vj_threads_init_signals(struct sigaction *old)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_kick; /* no SA_RESTART: blocking calls end with EINTR */
    sigemptyset(&sa.sa_mask);
    sigaction(VJ_SIG_KICK, &sa, old);
    vj_host_signals_init();
}

void vj_threads_restore_signals(const struct sigaction *old)
{
    vj_host_signals_restore();
    sigaction(VJ_SIG_KICK, old, NULL);
}

static void unblock_kick(void)
{
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, VJ_SIG_KICK);
    pthread_sigmask(SIG_UNBLOCK, &s, NULL);
}

/* Record T in P's thread list.  Called with p->lock held. */
static int add_thread(struct vj_proc *p, struct vj_thread *t)
{
    if (p->nthreads == p->cap_threads) {
        size_t cap = p->cap_threads ? 2 * p->cap_threads : 8;
        struct vj_thread **v = realloc(p->threads, cap * sizeof *v);
        if (v == NULL)
            return -ENOMEM;
        p->threads = v;
        p->cap_threads = cap;
    }
    p->threads[p->nthreads++] = t;
    p->live++;
    return 0;
}

struct vj_thread *vj_thread_first(struct vj_proc *p, struct vj_vcpu *vcpu)
{
    struct vj_thread *t = calloc(1, sizeof *t);
    if (t == NULL)
        return NULL;
    t->proc = p;
    t->vcpu = vcpu;
    t->host = pthread_self();
    t->tid = (pid_t)syscall(SYS_gettid);
    vj_signal_thread_init(t, vj_signal_initial_mask());
    if (vj_signals_start(p) < 0) {
        free(t);
        return NULL;
    }
    pthread_mutex_lock(&p->lock);
    int r = add_thread(p, t);
    vj_signal_retarget_locked(p); /* what came before there was a thread to take it */
    pthread_mutex_unlock(&p->lock);
    if (r < 0) {
        vj_signals_stop(p);
        free(t);
        return NULL;
    }
    return t;
}

void vj_thread_exit(struct vj_thread *t, int status)
{
    struct vj_proc *p = t->proc;
    if (t->clear_child_tid) {
        /* As Linux does for CLONE_CHILD_CLEARTID: zero the tid and wake one futex waiter. */
        uint32_t zero = 0;
        if (vj_copy_to_guest(p, t->clear_child_tid, &zero, sizeof zero) == 0)
            syscall(SYS_futex, vj_guest_ptr(p, t->clear_child_tid, 4), FUTEX_WAKE, 1, NULL,
                    NULL, 0);
    }
    pthread_mutex_lock(&p->lock);
    t->exited = true;
    /* Process signals this thread was to take go to another (Linux's exit_signals). */
    vj_signal_retarget_locked(p);
    if (--p->live == 0)
        vj_proc_end_locked(p, false, status & 0xff);
    pthread_cond_broadcast(&p->ended); /* an exec may wait for the other threads to stop */
    pthread_mutex_unlock(&p->lock);
}

void vj_thread_loop(struct vj_thread *t)
{
    struct vj_proc *p = t->proc;
    vj_self = t;
    unblock_kick();
    struct vj_stop stop;
    vmjail_error *err = NULL;
    stop.kind = 0;
    while (!t->exited) {
        if (vj_gdb_wanted(t))
            vj_gdb_checkpoint(t, (int)stop.kind); /* gdb stops it here (gdb_target.c) */
        if (vj_vcpu_run(t->vcpu, &stop, &err) < 0) {
            vj_proc_fail(p, err);
            break;
        }
        int64_t r = 0;
        bool answered = false; /* R answers a call the fast path took (fastcall.h) */
        if (stop.kind == VJ_STOP_INTERRUPT && p->fast_on) {
            int settled = vj_fast_settle(t, &stop, &r);
            if (settled < 0)
                break;
            answered = settled > 0;
        } else if (stop.kind == VJ_STOP_SYSCALL && stop.sc.nr == VJ_NR_FAST_WAIT && t->fast) {
            r = vj_fast_wait(t, &stop.sc);
            answered = true;
        }
        if (stop.kind == VJ_STOP_SYSCALL) {
            if (!answered)
                r = vj_syscall_dispatch(p, &stop.sc);
            if (p->mem_broken) {
                vj_error(&err, VMJAIL_ERR_INTERNAL, 0, "lost the host mapping of guest memory");
                vj_proc_fail(p, err);
                break;
            }
            if (t->exited)
                break;
            if (p->fast_on && !answered)
                vj_fast_after_syscall(t, &stop);
            /* The common case: nothing pending, the call completes. */
            if (!vj_signal_check(t) && !t->sigreturned &&
                (r > -VJ_ERESTARTSYS || r < -VJ_ERESTARTNOHAND)) {
                vj_vcpu_syscall_return(t->vcpu, r);
                continue;
            }
        } else if (stop.kind == VJ_STOP_FAULT) {
            if (stop.fault.addr_unknown || stop.fault.code_unknown)
                vj_signal_resolve_fault(t, &stop.fault);
            if (p->trace_fd >= 0)
                vj_trace_fault(p, &stop.fault);
            /* With gdb attached, a fault goes to gdb first, which passes it on or not. */
            int sig = p->gdb ? vj_gdb_fault(t, &stop.fault) : stop.fault.signo;
            if (sig == stop.fault.signo)
                vj_signal_fault(t, &stop.fault);
            else if (sig > 0)
                vj_signal_raise(p, t, sig);
        }
        if (stop.kind == VJ_STOP_INTERRUPT && !vj_signal_check(t))
            continue;
        if (vj_signal_deliver(t, &stop, r) < 0)
            break;
    }
    vj_fast_thread_end(t);
    vj_core_capture(t); /* if a core-dumping signal ended the process */
    /* A thread stopped by the end of the process leaves its vCPU with the VM. */
    if (!t->exited) {
        pthread_mutex_lock(&p->lock);
        t->exited = true;
        p->live--;
        pthread_cond_broadcast(&p->ended);
        pthread_mutex_unlock(&p->lock);
    }
}

/* ---- clone ----------------------------------------------------------------------------- */

struct start {
    struct vj_thread *t;
    uint64_t parent_tid_gva; /* CLONE_PARENT_SETTID */
    uint64_t child_tid_gva;  /* CLONE_CHILD_SETTID */
    sem_t started;
};

static void *thread_main(void *arg)
{
    struct start *s = arg;
    struct vj_thread *t = s->t;
    t->tid = (pid_t)syscall(SYS_gettid);
    /* Both tids are written before the new thread runs and before clone returns, as on
     * Linux: a thread that ends at once must find its tid there to clear. */
    if (s->parent_tid_gva)
        vj_copy_to_guest(t->proc, s->parent_tid_gva, &t->tid, sizeof t->tid);
    if (s->child_tid_gva)
        vj_copy_to_guest(t->proc, s->child_tid_gva, &t->tid, sizeof t->tid);
    sem_post(&s->started); /* S is gone after this */
    vj_thread_loop(t);
    struct vj_proc *p = t->proc;
    if (p->forked && p->threads[0] == t) {
        /* The first thread of a forked payload process, the one its host process started
         * with: when the payload process has ended (its other threads too), so does the
         * host process. */
        vj_proc_join_threads(p);
        if (p->trace_fd >= 0)
            vj_trace_end(p);
        vj_proc_exit_host(p);
    }
    if (t->exited)
        vj_vcpu_put(t->vcpu);
    return NULL;
}

#define THREAD_FLAGS (CLONE_VM | CLONE_THREAD | CLONE_SIGHAND)
#define OK_FLAGS                                                                            \
    (THREAD_FLAGS | CLONE_FS | CLONE_FILES | CLONE_SYSVSEM | CLONE_SETTLS |                 \
     CLONE_PARENT_SETTID | CLONE_CHILD_SETTID | CLONE_CHILD_CLEARTID | CLONE_DETACHED)

int64_t vj_sys_clone(struct vj_proc *p, const uint64_t a[6])
{
    /* x86-64: clone(flags, newsp, parent_tid, child_tid, tls) */
    uint64_t flags = a[0];
    if (!(flags & CLONE_VM) || (flags & CLONE_VFORK))
        return vj_proc_fork(p, flags, a[1], a[2], a[3], a[4]); /* a new process */
    if ((flags & THREAD_FLAGS) != THREAD_FLAGS)
        return -EINVAL;
    if (flags & ~(uint64_t)(OK_FLAGS | 0xff))
        return -EINVAL;
    struct vj_thread *parent = vj_self;
    struct vj_thread *t = calloc(1, sizeof *t);
    if (t == NULL)
        return -ENOMEM;
    t->proc = p;
    vj_signal_thread_init(t, vj_signal_get_mask(parent));
    if (flags & CLONE_CHILD_CLEARTID)
        t->clear_child_tid = a[3];
    vmjail_error *err = NULL;
    vj_fast_before_thread(p);
    if (vj_vcpu_get(p->vm, &t->vcpu, &err) < 0 ||
        vj_vcpu_start_clone(t->vcpu, parent->vcpu, a[1], flags & CLONE_SETTLS, a[4], &err) < 0) {
        int e = vmjail_error_errno(err) ? -vmjail_error_errno(err) : -EAGAIN;
        vmjail_error_free(err);
        if (t->vcpu)
            vj_vcpu_put(t->vcpu);
        free(t);
        return e;
    }
    struct start s = {.t = t,
                      .parent_tid_gva = (flags & CLONE_PARENT_SETTID) ? a[2] : 0,
                      .child_tid_gva = (flags & CLONE_CHILD_SETTID) ? a[3] : 0};
    sem_init(&s.started, 0, 0);
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, 256 * 1024);
    pthread_mutex_lock(&p->lock);
    int r = p->exited ? -EAGAIN : add_thread(p, t);
    if (r == 0 && (r = -pthread_create(&t->host, &attr, thread_main, &s)) < 0) {
        p->nthreads--;
        p->live--;
    }
    pthread_mutex_unlock(&p->lock);
    pthread_attr_destroy(&attr);
    if (r < 0) {
        sem_destroy(&s.started);
        vj_vcpu_put(t->vcpu);
        free(t);
        return r == -ENOMEM ? -ENOMEM : -EAGAIN;
    }
    while (sem_wait(&s.started) < 0 && errno == EINTR)
        ;
    sem_destroy(&s.started);
    return t->tid;
}

void vj_proc_join_threads(struct vj_proc *p)
{
    pthread_mutex_lock(&p->lock);
    while (!p->exited)
        pthread_cond_wait(&p->ended, &p->lock);
    size_t n = p->nthreads;
    bool done = p->forked && p->error == NULL && n == 1;
    pthread_mutex_unlock(&p->lock);
    /* No thread is added once the process has ended. */
    for (size_t i = 1; i < n; i++)
        pthread_join(p->threads[i]->host, NULL);
    vj_gdb_end(p); /* gdb hears how the process ended */
    vj_core_dump(p); /* every thread stopped */
    if (done) {
        /* A forked payload process of one thread: its host process ends here, and the host's
         * exit stops the monitor's own threads. */
        if (p->trace_fd >= 0)
            vj_trace_end(p);
        vj_proc_exit_host(p);
    }
    vj_signals_stop(p);
    for (size_t i = 0; i < n; i++) {
        vj_signal_thread_free(p->threads[i]);
        free(p->threads[i]);
    }
    free(p->threads);
    p->threads = NULL;
    p->nthreads = 0;
}
