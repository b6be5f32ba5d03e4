/* sys_mem.c: the payload's memory syscalls: brk, mmap and friends, served by mm.c. */
#include <errno.h>
#include <sys/mman.h>

#include "monitor/mm.h"
#include "monitor/procfs.h"
#include "monitor/sys.h"
#include "vmjail_abi.h"

int64_t vj_sys_brk(struct vj_proc *p, const uint64_t a[6])
{
    pthread_mutex_lock(&p->mm_lock);
    int64_t r = vj_mm_brk(p, a[0]);
    pthread_mutex_unlock(&p->mm_lock);
    return r;
}

int64_t vj_sys_mmap(struct vj_proc *p, const uint64_t a[6])
{
    int flags = (int)a[3];
    int fd = (int)a[4];
    if (!(flags & MAP_ANONYMOUS) && vj_monitor_fd(p, fd))
        return -EBADF;
    pthread_mutex_lock(&p->mm_lock);
    int64_t r = vj_mm_mmap(p, a[0], a[1], (int)a[2], flags, fd, a[5]);
    if (r >= 0 && !(flags & MAP_ANONYMOUS))
        vj_procfs_note_file(p, (uint64_t)r,
                            ((uint64_t)r + a[1] + VJ_PAGE_SIZE - 1) & ~(uint64_t)(VJ_PAGE_SIZE - 1),
                            fd, a[5]);
    pthread_mutex_unlock(&p->mm_lock);
    return r;
}

int64_t vj_sys_munmap(struct vj_proc *p, const uint64_t a[6])
{
    pthread_mutex_lock(&p->mm_lock);
    int64_t r = vj_mm_munmap(p, a[0], a[1]);
    pthread_mutex_unlock(&p->mm_lock);
    return r;
}

int64_t vj_sys_mprotect(struct vj_proc *p, const uint64_t a[6])
{
    pthread_mutex_lock(&p->mm_lock);
    int64_t r = vj_mm_mprotect(p, a[0], a[1], (int)a[2]);
    pthread_mutex_unlock(&p->mm_lock);
    return r;
}

int64_t vj_sys_mremap(struct vj_proc *p, const uint64_t a[6])
{
    pthread_mutex_lock(&p->mm_lock);
    int64_t r = vj_mm_mremap(p, a[0], a[1], a[2], (int)a[3], a[4]);
    pthread_mutex_unlock(&p->mm_lock);
    return r;
}

int64_t vj_sys_madvise(struct vj_proc *p, const uint64_t a[6])
{
    pthread_mutex_lock(&p->mm_lock);
    int64_t r = vj_mm_madvise(p, a[0], a[1], (int)a[2]);
    pthread_mutex_unlock(&p->mm_lock);
    return r;
}

/* A range of guest memory as the host sees it, for calls that act on mapped pages. */
static void *range(struct vj_proc *p, uint64_t addr, uint64_t len)
{
    if (addr & (VJ_PAGE_SIZE - 1))
        return NULL;
    return vj_guest_ptr(p, addr, len);
}

int64_t vj_sys_msync(struct vj_proc *p, const uint64_t a[6])
{
    if (a[0] & (VJ_PAGE_SIZE - 1))
        return -EINVAL;
    void *h = range(p, a[0], a[1]);
    pthread_mutex_lock(&p->mm_lock);
    bool mapped = h && vj_vmas_is_mapped(&p->vmas, a[0],
                                         (a[0] + a[1] + VJ_PAGE_SIZE - 1) & ~(uint64_t)(VJ_PAGE_SIZE - 1));
    pthread_mutex_unlock(&p->mm_lock);
    if (!mapped)
        return -ENOMEM;
    return msync(h, a[1], (int)a[2]) < 0 ? -errno : 0;
}

int64_t vj_sys_mincore(struct vj_proc *p, const uint64_t a[6])
{
    if (a[0] & (VJ_PAGE_SIZE - 1))
        return -EINVAL;
    void *h = range(p, a[0], a[1]);
    if (h == NULL)
        return -ENOMEM;
    uint64_t pages = (a[1] + VJ_PAGE_SIZE - 1) / VJ_PAGE_SIZE;
    void *vec = vj_guest_arg(p, a[2], pages);
    return mincore(h, a[1], vec) < 0 ? -errno : 0;
}

int64_t vj_sys_mlock(struct vj_proc *p, const uint64_t a[6])
{
    return vj_guest_ptr(p, a[0] & ~(uint64_t)(VJ_PAGE_SIZE - 1), a[1]) ? 0 : -ENOMEM;
}

int64_t vj_sys_ok(struct vj_proc *p, const uint64_t a[6])
{
    (void)p;
    (void)a;
    return 0;
}
