/* sys_net.c: socket calls whose arguments hold nested pointers (msghdr, iovecs, control
 * messages with descriptors): sendmsg, recvmsg, sendmmsg, recvmmsg. */
#include <errno.h>

#include "syscall.h"

int64_t vj_sys_sendmsg(struct vj_proc *p, const uint64_t a[6])
{
    (void)p, (void)a;
    return -ENOSYS;
}

int64_t vj_sys_recvmsg(struct vj_proc *p, const uint64_t a[6])
{
    (void)p, (void)a;
    return -ENOSYS;
}

int64_t vj_sys_sendmmsg(struct vj_proc *p, const uint64_t a[6])
{
    (void)p, (void)a;
    return -ENOSYS;
}

int64_t vj_sys_recvmmsg(struct vj_proc *p, const uint64_t a[6])
{
    (void)p, (void)a;
    return -ENOSYS;
}
