/* ipc_args.c: the pure decoding of SysV IPC and membarrier arguments (ipc.h): which buffer
 * each msgctl, semctl and shmctl command takes and how large, where shmat attaches, which
 * registration a private membarrier needs. */
#include <errno.h>
#include <linux/membarrier.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>

#include "monitor/ipc.h"
#include "vmjail_abi.h"

#define IPC_64 0x100 /* <linux/ipc.h>: the 64-bit layouts asked (32-bit ABIs) */

/* The kernel's structures on x86-64 (the 64-bit layouts, which IPC_64 names elsewhere). */
#define MSQID_DS 120 /* struct msqid64_ds */
#define MSGINFO 32   /* struct msginfo */
#define SEMID_DS 104 /* struct semid64_ds */
#define SEMINFO 40   /* struct seminfo */
#define SHMID_DS 112 /* struct shmid64_ds */
#define SHMINFO 72   /* struct shminfo64 */
#define SHM_INFO_ 48 /* struct shm_info */

_Static_assert(sizeof(struct msqid_ds) == MSQID_DS, "msqid_ds");
_Static_assert(sizeof(struct semid_ds) == SEMID_DS, "semid_ds");
_Static_assert(sizeof(struct shmid_ds) == SHMID_DS, "shmid_ds");
_Static_assert(sizeof(struct shminfo) == SHMINFO, "shminfo");
_Static_assert(sizeof(struct shm_info) == SHM_INFO_, "shm_info");

static enum vj_ipc_buf sized(enum vj_ipc_buf b, uint32_t n, uint32_t *size)
{
    *size = n;
    return b;
}

enum vj_ipc_buf vj_ipc_ctl_buf(enum vj_ipc_kind kind, int cmd, uint32_t *size)
{
    *size = 0;
    cmd &= ~IPC_64;
    if (cmd == IPC_RMID)
        return VJ_IPC_BUF_NONE;
    switch (kind) {
    case VJ_IPC_MSG:
        switch (cmd) {
        case IPC_STAT:
        case MSG_STAT:
        case MSG_STAT_ANY:
            return sized(VJ_IPC_BUF_OUT, MSQID_DS, size);
        case IPC_SET:
            return sized(VJ_IPC_BUF_IN, MSQID_DS, size);
        case IPC_INFO:
        case MSG_INFO:
            return sized(VJ_IPC_BUF_OUT, MSGINFO, size);
        }
        break;
    case VJ_IPC_SEM:
        switch (cmd) {
        case IPC_STAT:
        case SEM_STAT:
        case SEM_STAT_ANY:
            return sized(VJ_IPC_BUF_OUT, SEMID_DS, size);
        case IPC_SET:
            return sized(VJ_IPC_BUF_IN, SEMID_DS, size);
        case IPC_INFO:
        case SEM_INFO:
            return sized(VJ_IPC_BUF_OUT, SEMINFO, size);
        case GETALL:
            return VJ_IPC_BUF_ARRAY_OUT;
        case SETALL:
            return VJ_IPC_BUF_ARRAY_IN;
        case SETVAL:
            return VJ_IPC_BUF_VALUE;
        case GETVAL:
        case GETPID:
        case GETNCNT:
        case GETZCNT:
            return VJ_IPC_BUF_NONE;
        }
        break;
    case VJ_IPC_SHM:
        switch (cmd) {
        case IPC_STAT:
        case SHM_STAT:
        case SHM_STAT_ANY:
            return sized(VJ_IPC_BUF_OUT, SHMID_DS, size);
        case IPC_SET:
            return sized(VJ_IPC_BUF_IN, SHMID_DS, size);
        case IPC_INFO:
            return sized(VJ_IPC_BUF_OUT, SHMINFO, size);
        case SHM_INFO:
            return sized(VJ_IPC_BUF_OUT, SHM_INFO_, size);
        case SHM_LOCK:
        case SHM_UNLOCK:
            return VJ_IPC_BUF_NONE;
        }
        break;
    }
    return VJ_IPC_BUF_UNKNOWN;
}

/* SHMLBA is the page size on x86-64. */
int vj_shm_attach_addr(int shmid, uint64_t shmaddr, int shmflg, uint64_t *addr, bool *fixed)
{
    *addr = 0;
    *fixed = false;
    if (shmid < 0)
        return -EINVAL;
    if (shmaddr == 0)
        return (shmflg & SHM_REMAP) ? -EINVAL : 0;
    if (shmaddr & (VJ_PAGE_SIZE - 1)) {
        if (!(shmflg & SHM_RND))
            return -EINVAL;
        shmaddr &= ~(uint64_t)(VJ_PAGE_SIZE - 1);
        if (shmaddr == 0 && (shmflg & SHM_REMAP))
            return -EINVAL;
    }
    *addr = shmaddr;
    *fixed = true;
    return 0;
}

int vj_membarrier_needs(int cmd)
{
    switch (cmd) {
    case MEMBARRIER_CMD_PRIVATE_EXPEDITED:
        return MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED;
    case MEMBARRIER_CMD_PRIVATE_EXPEDITED_SYNC_CORE:
        return MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED_SYNC_CORE;
    default:
        return 0;
    }
}
