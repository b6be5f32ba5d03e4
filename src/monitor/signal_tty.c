/* signal_tty.c: SIGTTIN and SIGTTOU, the terminal's job-control signals.  The host kernel
 * decides what a background read or write on the terminal does from the calling thread's own
 * mask and disposition (ignored or blocked: the write goes through, the read fails with EIO;
 * else the signal goes to the process group and the call is interrupted), so for these two
 * the monitor mirrors the payload: the host disposition is the payload's (default: the
 * terminal stops the monitor as a whole; ignored; caught: by the handler below, which gives
 * the signal to the payload), and a payload thread's mask is applied to its host thread
 * before each syscall. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>

#include "monitor/signal.h"

#define TTY_BITS (VJ_SIGBIT(SIGTTIN) | VJ_SIGBIT(SIGTTOU))

static struct sigaction saved[2];           /* the dispositions vmjail was started with */
static __thread volatile sig_atomic_t in_call; /* this thread is in a payload syscall */
static __thread volatile sig_atomic_t arrived; /* TTY_BITS that came during it */
static __thread siginfo_t arrived_info[2];
static __thread uint64_t host_blocked;      /* TTY_BITS blocked in this host thread ... */
static __thread bool host_known;            /* ... once looked at */

static int slot(int s)
{
    return s == SIGTTOU;
}

/* The payload catches S: during one of its syscalls (the terminal refused the call), the
 * signal is queued when the call returns, so that its handler runs before the call is
 * restarted or fails with EINTR; at any other time the signal thread queues it. */
static void on_tty_signal(int s, siginfo_t *si, void *uc)
{
    (void)uc;
    int saved_errno = errno;
    if (in_call) {
        arrived_info[slot(s)] = *si;
        arrived |= (sig_atomic_t)VJ_SIGBIT(s);
    } else {
        vj_host_signal_async(s);
    }
    errno = saved_errno;
}

uint64_t vj_tty_signals_init(void)
{
    uint64_t ignored = 0;
    for (int s = SIGTTIN; s <= SIGTTOU; s++) {
        sigaction(s, NULL, &saved[slot(s)]);
        if (saved[slot(s)].sa_handler == SIG_IGN)
            ignored |= VJ_SIGBIT(s);
    }
    return ignored;
}

void vj_tty_signals_restore(void)
{
    for (int s = SIGTTIN; s <= SIGTTOU; s++)
        sigaction(s, &saved[slot(s)], NULL);
}

void vj_tty_signal_action(int s, uint64_t handler)
{
    if (s != SIGTTIN && s != SIGTTOU)
        return;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    if (handler == VJ_SIG_DFL || handler == VJ_SIG_IGN) {
        sa.sa_handler = handler == VJ_SIG_DFL ? SIG_DFL : SIG_IGN;
    } else {
        /* No SA_RESTART: the interrupted call comes back to the monitor with EINTR, and
         * the payload's own SA_RESTART decides, as for any interrupted call. */
        sa.sa_sigaction = on_tty_signal;
        sa.sa_flags = SA_SIGINFO;
        sigfillset(&sa.sa_mask);
    }
    sigaction(s, &sa, NULL);
}

void vj_tty_call_begin(const struct vj_thread *t)
{
    uint64_t want = t->sigmask & TTY_BITS;
    if (!host_known || want != host_blocked) {
        sigset_t set;
        sigemptyset(&set);
        sigaddset(&set, SIGTTIN);
        sigaddset(&set, SIGTTOU);
        pthread_sigmask(SIG_UNBLOCK, &set, NULL);
        sigemptyset(&set);
        for (int s = SIGTTIN; s <= SIGTTOU; s++)
            if (want & VJ_SIGBIT(s))
                sigaddset(&set, s);
        pthread_sigmask(SIG_BLOCK, &set, NULL);
        host_blocked = want;
        host_known = true;
    }
    in_call = 1;
}

void vj_tty_call_end(struct vj_proc *p)
{
    in_call = 0;
    if (!arrived)
        return;
    for (int s = SIGTTIN; s <= SIGTTOU; s++)
        if (arrived & (sig_atomic_t)VJ_SIGBIT(s))
            vj_signal_send(p, NULL, &arrived_info[slot(s)]);
    arrived = 0;
}
