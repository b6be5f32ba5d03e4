/* reaper.c: VM teardown off the exit path.  Closing a VM's last descriptor frees its memory
 * slots, vCPUs and debugfs entries and waits for an SRCU grace period, all of it before the
 * parent's wait4 can see the child end (measured here: 50 to 80 us of the 500 to 700 us from
 * a child's exit to its parent's wait4).  A forked monitor instead sends its VM descriptor
 * (SCM_RIGHTS) to a thread of its parent's monitor and exits; the descriptor in flight keeps
 * the VM alive until that thread closes it.  If the parent's monitor has gone, the queued
 * descriptors are closed with its socket. */
#include "reaper.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static struct {
    int rx, tx;     /* this monitor's reaper socket pair, or -1 */
    int parent_tx;  /* the parent's, inherited through fork, or -1 */
} R = {-1, -1, -1};
static pthread_mutex_t make_lock = PTHREAD_MUTEX_INITIALIZER; /* two threads forking at once */

static void *reap(void *arg)
{
    int rx = (int)(intptr_t)arg;
    for (;;) {
        char byte;
        struct iovec io = {&byte, 1};
        union {
            struct cmsghdr h;
            char buf[CMSG_SPACE(4 * sizeof(int))];
        } c;
        struct msghdr m = {.msg_iov = &io, .msg_iovlen = 1, .msg_control = c.buf,
                           .msg_controllen = sizeof c.buf};
        ssize_t n = recvmsg(rx, &m, MSG_CMSG_CLOEXEC);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return NULL;
        for (struct cmsghdr *h = CMSG_FIRSTHDR(&m); h; h = CMSG_NXTHDR(&m, h)) {
            if (h->cmsg_level != SOL_SOCKET || h->cmsg_type != SCM_RIGHTS)
                continue;
            size_t k = (h->cmsg_len - CMSG_LEN(0)) / sizeof(int);
            for (size_t i = 0; i < k; i++) {
                int fd;
                memcpy(&fd, CMSG_DATA(h) + i * sizeof(int), sizeof fd);
                close(fd); /* the VM's teardown happens here */
            }
        }
    }
}

static void make_reaper(struct vj_vm *vm)
{
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
        return;
    /* Every signal blocked: host signals are the signal thread's to take. */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, 64 * 1024);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    int rx = vj_vm_own_fd(vm, sv[0]);
    pthread_t th;
    int r = pthread_create(&th, &attr, reap, (void *)(intptr_t)rx);
    pthread_attr_destroy(&attr);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (r != 0) {
        vj_vm_disown_fd(vm, rx);
        close(rx);
        close(sv[1]);
        return;
    }
    R.tx = vj_vm_own_fd(vm, sv[1]);
    __atomic_store_n(&R.rx, rx, __ATOMIC_RELEASE);
}

void vj_reaper_before_fork(struct vj_vm *vm)
{
    if (__atomic_load_n(&R.rx, __ATOMIC_ACQUIRE) >= 0)
        return;
    pthread_mutex_lock(&make_lock);
    if (R.rx < 0)
        make_reaper(vm);
    pthread_mutex_unlock(&make_lock);
}

void vj_reaper_after_fork_child(struct vj_vm *vm)
{
    /* The reaper thread stayed with the parent; its socket's receiving end must not outlive
     * the parent's monitor here, or VMs sent to it would wait for this process to end. */
    if (R.parent_tx >= 0) {
        vj_vm_disown_fd(vm, R.parent_tx);
        close(R.parent_tx);
    }
    if (R.rx >= 0) {
        vj_vm_disown_fd(vm, R.rx);
        close(R.rx);
    }
    R.parent_tx = R.tx;
    R.rx = R.tx = -1;
    pthread_mutex_init(&make_lock, NULL); /* another thread may have held it at the fork */
}

void vj_reaper_hand_over(struct vj_vm *vm)
{
    int fd = vj_vm_teardown_fd(vm);
    if (R.parent_tx < 0 || fd < 0)
        return;
    char byte = 0;
    struct iovec io = {&byte, 1};
    union {
        struct cmsghdr h;
        char buf[CMSG_SPACE(sizeof(int))];
    } c;
    memset(&c, 0, sizeof c);
    struct msghdr m = {.msg_iov = &io, .msg_iovlen = 1, .msg_control = c.buf,
                       .msg_controllen = sizeof c.buf};
    struct cmsghdr *h = CMSG_FIRSTHDR(&m);
    h->cmsg_level = SOL_SOCKET;
    h->cmsg_type = SCM_RIGHTS;
    h->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(h), &fd, sizeof fd);
    sendmsg(R.parent_tx, &m, MSG_DONTWAIT | MSG_NOSIGNAL);
}
