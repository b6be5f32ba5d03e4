/* sys_shm.c: the payload's SysV shared memory: shmget (passed through), shmctl, and shmat and
 * shmdt, which map host segments into guest memory (never the monitor's own address space)
 * and keep the address-space map true (mm.c, vma.c). */
#include <errno.h>
#include <string.h>
#include <sys/shm.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "monitor/ipc.h"
#include "monitor/mm.h"
#include "monitor/sys.h"

/* shmat: the checks of its arguments first, as Linux's; then the monitor attaches the segment
 * where the host kernel chooses, which checks the id and the caller's permission as the
 * payload's own shmat would and pins the segment (its id cannot name another while it is
 * attached), so that the size read next is the size of what the platform then moves into
 * guest memory: a segment swapped behind the id between a check and the mapping could
 * otherwise be larger than the range it is mapped over. */
int64_t vj_sys_shmat(struct vj_proc *p, const uint64_t a[6])
{
    int shmid = (int)a[0], shmflg = (int)a[2];
    uint64_t addr;
    bool fixed;
    int r = vj_shm_attach_addr(shmid, a[1], shmflg, &addr, &fixed);
    if (r < 0)
        return r;
    long at = syscall(SYS_shmat, shmid, NULL, shmflg & (SHM_RDONLY | SHM_EXEC));
    if (at == -1)
        return -errno;
    struct shmid_ds ds;
    if (syscall(SYS_shmctl, shmid, IPC_STAT, &ds) < 0) {
        r = -errno;
        syscall(SYS_shmdt, at);
        return r;
    }
    struct vj_vma_shm seg = {.shmid = shmid, .key = ds.shm_perm.__key, .size = ds.shm_segsz};
    pthread_mutex_lock(&p->mm_lock);
    int64_t g = vj_mm_shmat(p, addr, fixed, shmflg, &seg, (void *)at);
    pthread_mutex_unlock(&p->mm_lock);
    if (g < 0)
        syscall(SYS_shmdt, at);
    return g;
}

int64_t vj_sys_shmdt(struct vj_proc *p, const uint64_t a[6])
{
    pthread_mutex_lock(&p->mm_lock);
    int64_t r = vj_mm_shmdt(p, a[0]);
    pthread_mutex_unlock(&p->mm_lock);
    return r;
}

/* shmctl: each command's buffer as ipc_args.c says.  The segment's shm_nattch counts host
 * attachments, which on the process platform are two per attachment of the payload's (the
 * stub's and the monitor's view): the payload is told its own count. */
int64_t vj_sys_shmctl(struct vj_proc *p, const uint64_t a[6])
{
    int id = (int)a[0], cmd = (int)a[1];
    uint32_t size;
    enum vj_ipc_buf b = vj_ipc_ctl_buf(VJ_IPC_SHM, cmd, &size);
    long r;
    if (b == VJ_IPC_BUF_OUT && size == sizeof(struct shmid_ds)) {
        struct shmid_ds ds;
        r = syscall(SYS_shmctl, id, cmd, a[2] ? &ds : NULL);
        if (r < 0)
            return -errno;
        int views = vj_vm_shm_views(p->vm);
        ds.shm_nattch = (ds.shm_nattch + (unsigned long)views - 1) / (unsigned long)views;
        return vj_copy_to_guest(p, a[2], &ds, sizeof ds) < 0 ? -EFAULT : r;
    }
    void *buf = b == VJ_IPC_BUF_IN || b == VJ_IPC_BUF_OUT ? vj_guest_arg(p, a[2], size)
                : b == VJ_IPC_BUF_UNKNOWN && a[2]       ? VJ_BAD_HOST_PTR
                                                        : NULL;
    r = syscall(SYS_shmctl, id, cmd, buf);
    return r < 0 ? -errno : r;
}
