/* stub_process.c: the process platform's stub process: started from the image built into
 * vmjail by a short-lived process (so that it is not the monitor's child), in namespaces and a
 * session of its own; watched through a pidfd, ended with the monitor; and the requests its
 * control thread carries out for the monitor (descriptors sent over its socket). */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/futex.h>

#include "host/process/process_platform.h"
#include "lib/error.h"

/* The stub's image (stub_image.S). */
extern const unsigned char vj_stub_image[], vj_stub_image_end[];

/* ---- the stub ---------------------------------------------------------------------------- */

/* Start the stub with guest memory and the control region as its descriptors 3 and 4. */
int vj_process_stub_start(struct vj_vm *vm, vmjail_error **err)
{
    int image = memfd_create("vmjail-stub", MFD_CLOEXEC | MFD_ALLOW_SEALING);
    size_t size = (size_t)(vj_stub_image_end - vj_stub_image);
    if (image < 0 || write(image, vj_stub_image, size) != (ssize_t)size ||
        fcntl(image, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) < 0) {
        int e = errno;
        if (image >= 0)
            close(image);
        return vj_error(err, VMJAIL_ERR_INTERNAL, e, "process platform: the stub's image");
    }
    int watch[2], sock[2];
    if (pipe2(watch, O_CLOEXEC) < 0) {
        int e = errno;
        close(image);
        return vj_error(err, VMJAIL_ERR_INTERNAL, e, "process platform: start the stub");
    }
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sock) < 0) {
        int e = errno;
        close(image);
        close(watch[0]);
        close(watch[1]);
        return vj_error(err, VMJAIL_ERR_INTERNAL, e, "process platform: start the stub");
    }
    /* The stub is started by a short-lived process, not by the monitor: it is then not the
     * monitor's child, which a payload's wait for any child would see.  (Where the monitor
     * reaps orphans, as a container's first process does, it is again: docs/security.md.) */
    struct vj_stub_head *h = (struct vj_stub_head *)vm->ctl;
    h->stub_pid = 0;
    /* Its starter exits at once, with no signal to the monitor (nothing for the payload). */
    pid_t mid = (pid_t)syscall(SYS_clone, 0, NULL, NULL, NULL, 0);
    if (mid == 0) {
        /* Nothing of the monitor's but guest memory, the control region, the watch pipe and
         * the image; no signal handler or mask of the monitor's. */
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        /* Namespaces of the stub's own: a user namespace in which it has no identity of the
         * caller's (no uid is mapped: it holds no capability outside it, even where the
         * monitor is root), and with it network, IPC and UTS namespaces it never uses.  The
         * stub needs none of the caller's: every call it makes for the payload is the
         * monitor's.  Where the host refuses (user namespaces disabled), it runs without. */
        if (unshare(CLONE_NEWUSER | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS) < 0)
            (void)unshare(CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS);
        pid_t pid = fork();
        if (pid != 0) {
            h->stub_pid = pid;
            _exit(pid < 0 ? 127 : 0);
        }
        /* A session of its own: the terminal's signals (^C, a hangup) and those sent to the
         * caller's process group are the monitor's to give the payload, not the stub's. */
        setsid();
        if (chdir("/") < 0) /* nor a directory of the caller's */
            _exit(127);
        /* Its descriptors 3 to 6 (stub_abi.h), and the image at 7: each moved out of the
         * way first, then to its place; nothing else stays open. */
        int want[] = {vm->mem_fd, vm->ctl_fd, watch[0], sock[1], image}, n = 5;
        for (int k = 0; k < n; k++)
            if ((want[k] = fcntl(want[k], F_DUPFD, 16)) < 0)
                _exit(127);
        for (int k = 0; k < n; k++)
            if (dup2(want[k], VJ_STUB_MEM_FD + k) < 0)
                _exit(127);
        int img = VJ_STUB_MEM_FD + n - 1;
        syscall(SYS_close_range, img + 1, ~0U, 0);
        char *argv[] = {"vmjail-stub", NULL}, *envp[] = {NULL};
        syscall(SYS_execveat, img, "", argv, envp, AT_EMPTY_PATH);
        _exit(127);
    }
    int e = errno, st = 0;
    close(image);
    close(watch[0]);
    close(sock[1]);
    if (mid > 0)
        while (waitpid(mid, &st, __WALL) < 0 && errno == EINTR)
            ;
    pid_t pid = h->stub_pid;
    int pidfd = pid > 0 ? (int)syscall(SYS_pidfd_open, pid, 0) : -1;
    if (mid < 0 || pidfd < 0) {
        close(watch[1]);
        close(sock[0]);
        return vj_error(err, VMJAIL_ERR_INTERNAL, mid < 0 ? e : errno,
                        "process platform: start the stub");
    }
    vm->stub = pid;
    vm->stub_fd = vj_process_vm_own_fd(vm, pidfd);
    vm->watch_fd = vj_process_vm_own_fd(vm, watch[1]);
    vm->sock_fd = vj_process_vm_own_fd(vm, sock[0]);
    return 0;
}

bool vj_process_stub_ended(struct vj_vm *vm)
{
    struct pollfd p = {.fd = vm->stub_fd, .events = POLLIN};
    if (vm->stub <= 0)
        return true;
    int n;
    while ((n = poll(&p, 1, 0)) < 0 && errno == EINTR)
        ;
    return n > 0;
}

/* End the stub (and with it the payload) and wait until it is gone. */
void vj_process_stub_end(struct vj_vm *vm)
{
    if (vm->stub > 0) {
        syscall(SYS_pidfd_send_signal, vm->stub_fd, SIGKILL, NULL, 0);
        struct pollfd p = {.fd = vm->stub_fd, .events = POLLIN};
        while (poll(&p, 1, 1000) < 0 && errno == EINTR)
            ;
    }
    vm->stub = -1;
    int *fds[] = {&vm->stub_fd, &vm->watch_fd, &vm->sock_fd};
    for (int k = 0; k < 3; k++)
        if (*fds[k] >= 0) {
            vj_process_vm_disown_fd(vm, *fds[k]);
            close(*fds[k]);
            *fds[k] = -1;
        }
}

/* ---- requests to the stub's control thread ------------------------------------------------ */

static struct vj_stub_req *req(struct vj_vm *vm)
{
    return (struct vj_stub_req *)(vm->ctl + VJ_STUB_REQ_OFF);
}

/* Have the stub carry out OP and wait for it; its result, or -ESRCH if the stub died. */
int vj_process_ask(struct vj_vm *vm, uint32_t op, uint64_t gpa, uint64_t len, uint64_t arg)
{
    return vj_process_ask_fd(vm, op, gpa, len, arg, 0, -1);
}

/* Send descriptor FD to the stub's control thread (SCM_RIGHTS), for its next request. */
static int send_fd(struct vj_vm *vm, int fd)
{
    char byte = 0;
    struct iovec iov = {&byte, 1};
    union {
        struct cmsghdr h;
        char buf[CMSG_SPACE(sizeof(int))];
    } cm;
    memset(&cm, 0, sizeof cm);
    struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cm.buf,
                         .msg_controllen = sizeof cm.buf};
    struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(c), &fd, sizeof fd);
    return sendmsg(vm->sock_fd, &msg, MSG_NOSIGNAL) == 1 ? 0 : -errno;
}

int vj_process_ask_fd(struct vj_vm *vm, uint32_t op, uint64_t gpa, uint64_t len, uint64_t arg,
                      uint64_t offset, int fd)
{
    struct vj_stub_req *q = req(vm);
    pthread_mutex_lock(&vm->req_lock);
    if (fd >= 0) {
        int e = send_fd(vm, fd);
        if (e < 0) {
            pthread_mutex_unlock(&vm->req_lock);
            return e;
        }
    }
    q->op = op;
    q->gpa = gpa;
    q->len = len;
    q->arg = arg;
    q->offset = offset;
    uint32_t seq = __atomic_load_n(&q->seq, __ATOMIC_RELAXED) + 1;
    __atomic_store_n(&q->seq, seq, __ATOMIC_RELEASE);
    syscall(SYS_futex, &q->seq, FUTEX_WAKE, 1, NULL, NULL, 0);
    int r = -ESRCH;
    for (;;) {
        uint32_t done = __atomic_load_n(&q->done, __ATOMIC_ACQUIRE);
        if (done == seq) {
            r = q->result;
            break;
        }
        struct timespec tick = {0, 10 * 1000 * 1000};
        syscall(SYS_futex, &q->done, FUTEX_WAIT, done, &tick, NULL, 0);
        if (vj_process_stub_ended(vm))
            break;
    }
    pthread_mutex_unlock(&vm->req_lock);
    return r;
}
