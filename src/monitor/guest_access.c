/* guest_access.c: checked access to guest memory: pointer translation and fault-safe copies. */
#include <errno.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "monitor/proc.h"
#include "vmjail_abi.h"

void *vj_guest_arg(const struct vj_proc *p, uint64_t gva, uint64_t len)
{
    if (gva == 0)
        return NULL;
    void *h = vj_guest_ptr(p, gva, len);
    return h ? h : VJ_BAD_HOST_PTR;
}

/* process_vm_readv/writev on ourselves: the kernel does the copy and reports a fault as an
 * error instead of a signal. */
static int copy_self(void *local, void *remote, uint64_t len, bool to_guest)
{
    struct iovec l = {local, len}, r = {remote, len};
    pid_t self = getpid();
    while (len > 0) {
        ssize_t n = to_guest ? process_vm_writev(self, &l, 1, &r, 1, 0)
                             : process_vm_readv(self, &l, 1, &r, 1, 0);
        if (n <= 0)
            return -EFAULT;
        l.iov_base = (char *)l.iov_base + n;
        r.iov_base = (char *)r.iov_base + n;
        l.iov_len = r.iov_len = len -= (uint64_t)n;
    }
    return 0;
}

int vj_copy_from_guest(const struct vj_proc *p, void *dst, uint64_t gva, uint64_t len)
{
    void *src = vj_guest_ptr(p, gva, len);
    if (src == NULL)
        return -EFAULT;
    return len ? copy_self(dst, src, len, false) : 0;
}

int vj_copy_to_guest(const struct vj_proc *p, uint64_t gva, const void *src, uint64_t len)
{
    void *dst = vj_guest_ptr(p, gva, len);
    if (dst == NULL)
        return -EFAULT;
    return len ? copy_self((void *)src, dst, len, true) : 0;
}

long vj_strncpy_from_guest(const struct vj_proc *p, char *dst, uint64_t gva, uint64_t max)
{
    uint64_t done = 0;
    while (done < max) {
        /* Copy up to the next page boundary: the string may end just before an unmapped page. */
        uint64_t chunk = VJ_PAGE_SIZE - ((gva + done) & (VJ_PAGE_SIZE - 1));
        if (chunk > max - done)
            chunk = max - done;
        if (vj_copy_from_guest(p, dst + done, gva + done, chunk) < 0)
            return -EFAULT;
        void *nul = memchr(dst + done, 0, chunk);
        if (nul)
            return (char *)nul - dst;
        done += chunk;
    }
    return -ENAMETOOLONG;
}
