/* ipc.h: SysV IPC (message queues, semaphores, shared memory), POSIX message queues and
 * membarrier as the rest of the monitor sees them (sys_ipc.c, sys_shm.c): the hooks a fork, an
 * exec and the process's end call, and the pure decoding of the calls' arguments
 * (ipc_args.c), which the unit tests drive with hostile values. */
#ifndef VJ_IPC_H
#define VJ_IPC_H

#include <stdbool.h>
#include <stdint.h>

#include "monitor/proc.h"

/* ---- the payload process's life ---- */

/* In a fork's child: message queue notifications stay the parent's (Linux's are the
 * registering process's); membarrier registrations, which a child inherits, are made again
 * for the threads that run its payload (on the process platform, a new stub's). */
void vj_ipc_after_fork(struct vj_proc *p);
/* After an exec: membarrier registrations go with the old address space, as Linux's. */
void vj_ipc_after_exec(struct vj_proc *p);
/* The process ended (every thread has): its SysV shared memory attachments are detached now,
 * before its parent can see it end (Linux detaches them as the process exits; the VM, and with
 * it guest memory, may outlive this), and what the calls kept is freed. */
void vj_ipc_end(struct vj_proc *p);

/* ---- arguments ---- */

enum vj_ipc_kind { VJ_IPC_MSG = 1, VJ_IPC_SEM = 2, VJ_IPC_SHM = 3 };

/* What the last argument of msgctl, semctl or shmctl is for command CMD (IPC_64 ignored: on
 * x86-64 the layouts are the same, and the host refuses the flag itself). */
enum vj_ipc_buf {
    VJ_IPC_BUF_NONE = 0,  /* not used (IPC_RMID, GETVAL, ...) */
    VJ_IPC_BUF_VALUE,     /* a value, not an address (semctl SETVAL) */
    VJ_IPC_BUF_IN,        /* a structure of *SIZE bytes the kernel reads */
    VJ_IPC_BUF_OUT,       /* a structure of *SIZE bytes the kernel writes */
    VJ_IPC_BUF_ARRAY_IN,  /* semctl SETALL: the set's nsems unsigned shorts, read */
    VJ_IPC_BUF_ARRAY_OUT, /* semctl GETALL: the same, written */
    VJ_IPC_BUF_UNKNOWN,   /* a command the monitor does not know: the host refuses it */
};
enum vj_ipc_buf vj_ipc_ctl_buf(enum vj_ipc_kind kind, int cmd, uint32_t *size);

/* shmat's address checks, before any other (Linux's do_shmat): SHMID negative, an address not
 * page aligned without SHM_RND, SHM_REMAP without an address (or with one SHM_RND rounds down
 * to 0): -EINVAL.  Else 0, *ADDR the address to attach at and *FIXED whether one was asked. */
int vj_shm_attach_addr(int shmid, uint64_t shmaddr, int shmflg, uint64_t *addr, bool *fixed);

/* The membarrier commands served (MEMBARRIER_CMD_QUERY's answer is the host's, and with
 * these only): not the rseq ones (the payload has no rseq: rseq answers ENOSYS). */
#define VJ_MEMBARRIER_SERVED 0x27fu /* GLOBAL ... REGISTER_PRIVATE_EXPEDITED_SYNC_CORE, and
                                     * GET_REGISTRATIONS */
/* MEMBARRIER_CMD_GET_REGISTRATIONS (Linux 6.3; newer than some hosts' headers). */
#define VJ_MEMBARRIER_GET_REGISTRATIONS 512
/* For a PRIVATE_EXPEDITED command, the registration it needs; 0 for another. */
int vj_membarrier_needs(int cmd);

#endif
