/* gdb.h: the gdb remote stub (vmjail run --gdb): the payload threads' side (gdb_target.c: they
 * stop for gdb, all at once, and resume as it says), the registers as gdb numbers them
 * (gdb_regs.c) and the connection that speaks the protocol (gdb_stub.c). */
#ifndef VJ_GDB_H
#define VJ_GDB_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "monitor/proc.h"

#define VJ_GDB_MAX_BPS 256

struct vj_gdb_bp {
    uint64_t addr;
    uint8_t orig; /* the byte the int3 replaced */
};

/* One payload thread as gdb sees it (t->gdb); under g->lock. */
struct vj_gdb_thread {
    bool parked;      /* stopped for gdb: regs is its state */
    bool have_regs;   /* regs was taken */
    bool dirty;       /* gdb changed regs: written back when it resumes */
    bool stepping;    /* resumed for one instruction */
    int event;        /* the host signal it stopped with for gdb, 0 if it was only stopped */
    bool reported;    /* that event was reported to gdb */
    int resume_sig;   /* the signal to deliver as it resumes (C, S), host numbering */
    bool go;          /* gdb resumed it (a thread vCont leaves out stays parked) */
    struct vj_vcpu_snapshot regs;
};

struct vj_gdb {
    struct vj_proc *proc;
    int listen_fd, fd;
    int wake_fd;       /* an eventfd: a thread parked (the connection polls it), or -1 */
    pthread_t server;
    bool server_started;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    int stop_req;      /* atomic: every thread stops for gdb at its next look */
    bool attached;     /* a gdb session is on: events go to it */
    bool ended;        /* the payload process ended (vj_gdb_end) */
    struct vj_gdb_bp bps[VJ_GDB_MAX_BPS];
    int nbps;
};

/* ---- gdb_target.c: the payload threads' side ---- */

/* Listen on HOSTPORT (HOST:PORT, or :PORT for loopback) and start the connection's thread.
 * WAIT: wait for gdb to connect first; the first thread stops for gdb before its first
 * instruction.  Else (--gdb-listen) the payload runs, and stops when gdb connects. */
int vj_gdb_start(struct vj_proc *p, const char *hostport, bool wait, vmjail_error **err);
/* The process ended (every thread stopped): tell gdb how, close the connection. */
void vj_gdb_end(struct vj_proc *p);
/* In a payload's forked child (one thread, T): gdb stays with the parent; the child's memory
 * loses the breakpoints. */
void vj_gdb_forget_in_child(struct vj_proc *p, struct vj_thread *t);
/* At the top of each turn of a thread's loop (LAST: the kind of its previous stop, 0 at the
 * start): stop there for gdb if it asked, or if a single step ended with a syscall. */
void vj_gdb_checkpoint(struct vj_thread *t, int last);
static inline bool vj_gdb_wanted(const struct vj_thread *t)
{
    const struct vj_gdb *g = t->proc->gdb;
    return g != NULL && (__atomic_load_n(&g->stop_req, __ATOMIC_ACQUIRE) ||
                         (t->gdb != NULL && t->gdb->stepping));
}
/* gdb asked every thread to stop: a thread waiting in the monitor for a signal (pause,
 * sigsuspend, sigtimedwait) stops waiting, its call to be made again after gdb. */
static inline bool vj_gdb_stopping(const struct vj_proc *p)
{
    return p->gdb != NULL && __atomic_load_n(&p->gdb->stop_req, __ATOMIC_ACQUIRE);
}
/* T faulted with F while gdb is attached: report it and stop.  Returns the signal to deliver
 * as it resumes (F's signal if gdb passes it on, 0 if gdb discards it). */
int vj_gdb_fault(struct vj_thread *t, const struct vj_fault *f);

/* For the connection (with g->lock held unless said otherwise). */
/* Ask every thread to stop; true once each live thread is parked (or none is left). */
void vj_gdb_request_stop(struct vj_gdb *g);
bool vj_gdb_all_parked(struct vj_gdb *g);
/* Resume the parked threads whose go the connection set. */
void vj_gdb_resume(struct vj_gdb *g);
/* The first thread with an event not yet reported, or NULL. */
struct vj_thread *vj_gdb_pending(struct vj_gdb *g);
/* Guest memory as gdb sees it: breakpoints hidden; writes reach read-only code.  0 or -1. */
int vj_gdb_read_mem(struct vj_gdb *g, uint64_t addr, uint8_t *buf, uint64_t len);
int vj_gdb_write_mem(struct vj_gdb *g, uint64_t addr, const uint8_t *buf, uint64_t len);
int vj_gdb_insert_bp(struct vj_gdb *g, uint64_t addr);
int vj_gdb_remove_bp(struct vj_gdb *g, uint64_t addr);
void vj_gdb_remove_all_bps(struct vj_gdb *g);

/* ---- gdb_regs.c ---- */

#define VJ_GDB_NREGS 60
/* Register N of S in gdb's layout (target.xml) into OUT; its size, or 0 if there is none. */
unsigned vj_gdb_reg_get(const struct vj_vcpu_snapshot *s, unsigned n, uint8_t *out);
/* Set register N of S from LEN bytes; false if N is not a register or LEN is not its size. */
bool vj_gdb_reg_set(struct vj_vcpu_snapshot *s, unsigned n, const uint8_t *in, unsigned len);
/* The target description (qXfer:features:read:target.xml). */
const char *vj_gdb_target_xml(void);

/* ---- gdb_stub.c ---- */

/* The connection's thread: the protocol until gdb detaches, kills or goes away. */
void *vj_gdb_serve(void *arg);

#endif
