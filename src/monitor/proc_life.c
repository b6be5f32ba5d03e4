/* proc_life.c: the payload process's life as every part of the monitor sees it: ending it
 * (exit_group, the last thread's exit, a fatal signal, a monitor failure), finding one of its
 * threads, stopping the others for an exec. */
#include "monitor/proc_life.h"

#include <signal.h>
#include <time.h>

#include "lib/error.h"
#include "monitor/signal.h"

/* End the process: record how (the first end wins) and stop every other thread.  Called with
 * p->lock held. */
static void end_locked(struct vj_proc *p, const struct vmjail_result *how)
{
    if (p->exited)
        return;
    p->exited = true;
    p->result = *how;
    /* Every thread, this one too, finds out at its next look at its signals. */
    for (size_t i = 0; i < p->nthreads; i++)
        vj_signal_wake_locked(p, p->threads[i]);
    pthread_cond_broadcast(&p->ended);
    pthread_cond_broadcast(&p->sigcond);
}

void vj_proc_end_locked(struct vj_proc *p, bool signaled, int code)
{
    struct vmjail_result how = {.signaled = signaled, .exit_code = signaled ? 0 : code,
                                .signal = signaled ? code : 0};
    end_locked(p, &how);
}

void vj_proc_end(struct vj_proc *p, bool signaled, int code)
{
    pthread_mutex_lock(&p->lock);
    vj_proc_end_locked(p, signaled, code);
    pthread_mutex_unlock(&p->lock);
}

bool vj_proc_ended(struct vj_proc *p)
{
    pthread_mutex_lock(&p->lock);
    bool e = p->exited;
    pthread_mutex_unlock(&p->lock);
    return e;
}

/* A monitor failure in a payload thread ends the whole process with that error. */
void vj_proc_fail(struct vj_proc *p, vmjail_error *err)
{
    pthread_mutex_lock(&p->lock);
    if (p->error == NULL)
        p->error = err;
    else
        vmjail_error_free(err);
    struct vmjail_result how = {.signaled = 1, .signal = SIGKILL};
    end_locked(p, &how);
    pthread_mutex_unlock(&p->lock);
}

int vj_proc_kill_others(struct vj_proc *p)
{
    struct vj_thread *self = vj_self;
    pthread_mutex_lock(&p->lock);
    while (!p->exited && !self->killed && p->live > 1) {
        /* Marked again on every round: a thread being cloned meanwhile is caught too. */
        for (size_t i = 0; i < p->nthreads; i++) {
            struct vj_thread *t = p->threads[i];
            if (t != self && !t->exited && !t->killed) {
                t->killed = true;
                vj_signal_wake_locked(p, t);
            }
        }
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_nsec += 10 * 1000 * 1000;
        if (until.tv_nsec >= 1000000000) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000;
        }
        pthread_cond_timedwait(&p->ended, &p->lock, &until);
    }
    int r = p->exited || self->killed ? -1 : 0;
    pthread_mutex_unlock(&p->lock);
    return r;
}

struct vj_thread *vj_proc_find_thread(struct vj_proc *p, pid_t tid)
{
    struct vj_thread *found = NULL;
    pthread_mutex_lock(&p->lock);
    for (size_t i = 0; i < p->nthreads && !found; i++)
        if (p->threads[i]->tid == tid && !p->threads[i]->exited)
            found = p->threads[i];
    /* A payload restored from a snapshot: its C library keeps the tid its thread had then. */
    if (!found && p->snap_tid > 0 && tid == p->snap_tid && p->nthreads && !p->threads[0]->exited)
        found = p->threads[0];
    pthread_mutex_unlock(&p->lock);
    return found;
}
