/* stub_process.c: the process platform's stub process: started from the image built into
 * vmjail by a keeper process (its parent, so that it is nobody else's child, and which ends it
 * when the monitor ends), in namespaces and a session of its own; watched through a pidfd; and
 * the requests its control thread carries out for the monitor (descriptors sent over its
 * socket). */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
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

/* What the keeper needs to start the stub: the descriptors to hand it, and where it says the
 * stub's process id (0 until then, -1 if it could not start one). */
struct keeper_start {
    int fds[4]; /* the stub's: guest memory, control region, socket, image */
    int watch;  /* the keeper's: the read end of the watch pipe */
    int32_t pid;
};

/* In the new stub process, a copy of the keeper (on its stack, with the monitor's TLS: raw
 * calls only): the stub's descriptors in place, then its image.  Nothing of the monitor's but
 * those; no signal handler or mask of the monitor's. */
__attribute__((no_sanitize("address", "undefined"))) static _Noreturn void
exec_stub(const struct keeper_start *k)
{
    /* It ends when its keeper ends (even if the keeper ended before this). */
    long keeper = syscall(SYS_getppid);
    if (syscall(SYS_prctl, PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0 ||
        syscall(SYS_getppid) != keeper)
        syscall(SYS_exit_group, 127);
    uint64_t none = 0;
    syscall(SYS_rt_sigprocmask, SIG_SETMASK, &none, NULL, sizeof none);
    /* Namespaces of the stub's own: a user namespace in which it has no identity of the
     * caller's (no uid is mapped: it holds no capability outside it, even where the monitor is
     * root), and with it network and UTS namespaces it never uses.  The stub needs none of the
     * caller's: every call it makes for the payload is the monitor's, but for one: it attaches
     * the SysV shared memory segments the payload attaches (shmat, VJ_STUB_REQ_SHMAT), which
     * are the monitor's IPC namespace's, so it stays in that one.  Where the host refuses
     * (user namespaces disabled), it runs without the user namespace. */
    if (syscall(SYS_unshare, CLONE_NEWUSER | CLONE_NEWNET | CLONE_NEWUTS) < 0)
        syscall(SYS_unshare, CLONE_NEWNET | CLONE_NEWUTS);
    /* A session of its own: the terminal's signals (^C, a hangup) and those sent to the
     * caller's process group are the monitor's to give the payload, not the stub's. */
    syscall(SYS_setsid);
    if (syscall(SYS_chdir, "/") < 0) /* nor a directory of the caller's */
        syscall(SYS_exit_group, 127);
    /* Its descriptors 3 to 5 (stub_abi.h), and the image at 6: each moved out of the way
     * first, then to its place; nothing else stays open. */
    int want[4], n = 4;
    for (int i = 0; i < n; i++)
        if ((want[i] = (int)syscall(SYS_fcntl, k->fds[i], F_DUPFD, 16)) < 0)
            syscall(SYS_exit_group, 127);
    for (int i = 0; i < n; i++)
        if (syscall(SYS_dup2, want[i], VJ_STUB_MEM_FD + i) < 0)
            syscall(SYS_exit_group, 127);
    int img = VJ_STUB_MEM_FD + n - 1;
    syscall(SYS_close_range, img + 1, ~0U, 0);
    char *argv[] = {VJ_VM_HELPER_NAME, NULL}, *envp[] = {NULL};
    syscall(SYS_execveat, img, "", argv, envp, AT_EMPTY_PATH);
    syscall(SYS_exit_group, 127);
    __builtin_unreachable();
}

/* The keeper: the stub's parent, so that the stub is nobody else's child, and its watch.  It
 * is the monitor's child with no exit signal (a payload's wait does not see it:
 * monitor/process.c), shares the monitor's memory (nothing copied; the calling thread's TLS:
 * raw calls, every signal blocked), and keeps of the monitor's descriptors only the read end
 * of the watch pipe, whose write end only the monitor holds.  When the monitor ends, however
 * it ends, the pipe says so and the keeper ends the stub; when the stub ends, the keeper reaps
 * it and ends; the monitor reaps the keeper.  The stub ends with the keeper (its parent-death
 * signal).  A stub that would be an orphan instead would go to the nearest reaper: in a
 * container, the payload's first process. */
__attribute__((no_sanitize("address", "undefined"))) static int keeper_main(void *arg)
{
    struct keeper_start *k = arg;
    int watch = k->watch;
    syscall(SYS_prctl, PR_SET_NAME, VJ_VM_KEEPER_NAME, 0, 0, 0);
    long pid = syscall(SYS_clone, SIGCHLD, 0, 0, 0, 0);
    if (pid == 0)
        exec_stub(k);
    __atomic_store_n(&k->pid, pid > 0 ? (int32_t)pid : -1, __ATOMIC_RELEASE);
    syscall(SYS_futex, &k->pid, FUTEX_WAKE, 1, NULL, NULL, 0);
    /* K is the monitor's, and gone from here on. */
    if (watch > 0)
        syscall(SYS_close_range, 0, watch - 1, 0);
    syscall(SYS_close_range, watch + 1, ~0U, 0);
    long stub = pid > 0 ? syscall(SYS_pidfd_open, pid, 0) : -1;
    struct pollfd p[2] = {{.fd = watch, .events = POLLIN}, {.fd = (int)stub, .events = POLLIN}};
    if (stub >= 0) {
        while (syscall(SYS_poll, p, 2, -1) < 1)
            ;
        if (!(p[1].revents & POLLIN)) /* the monitor ended first */
            syscall(SYS_pidfd_send_signal, stub, SIGKILL, NULL, 0);
    } else if (pid > 0) {
        syscall(SYS_kill, pid, SIGKILL);
    }
    if (pid > 0)
        syscall(SYS_wait4, pid, NULL, 0, NULL);
    syscall(SYS_exit, 0);
    return 0;
}

/* Start the stub with guest memory and the control region as its descriptors 3 and 4. */
int vj_process_stub_start(struct vj_vm *vm, vmjail_error **err)
{
    int image = memfd_create(VJ_VM_HELPER_NAME, MFD_CLOEXEC | MFD_ALLOW_SEALING);
    size_t size = (size_t)(vj_stub_image_end - vj_stub_image);
    if (image < 0 || write(image, vj_stub_image, size) != (ssize_t)size ||
        fcntl(image, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) < 0) {
        int e = errno;
        if (image >= 0)
            close(image);
        return vj_error(err, VMJAIL_ERR_INTERNAL, e, "process platform: the stub's image");
    }
    int watch[2] = {-1, -1}, sock[2] = {-1, -1}, e = 0, keeper_fd = -1;
    uint8_t *stack = MAP_FAILED;
    if (pipe2(watch, O_CLOEXEC) < 0 ||
        socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sock) < 0 ||
        (stack = mmap(NULL, VJ_KEEPER_STACK, PROT_READ | PROT_WRITE,
                      MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0)) == MAP_FAILED)
        e = errno;
    struct keeper_start k = {{vm->mem_fd, vm->ctl_fd, sock[1], image}, watch[0], 0};
    pid_t keeper = -1;
    if (e == 0) {
        sigset_t all, old;
        sigfillset(&all);
        pthread_sigmask(SIG_SETMASK, &all, &old);
        keeper = clone(keeper_main, stack + VJ_KEEPER_STACK, CLONE_VM | CLONE_PIDFD /* no
                       exit signal */, &k, &keeper_fd);
        e = errno;
        pthread_sigmask(SIG_SETMASK, &old, NULL);
    }
    /* The keeper says the stub's process id, or that it could not start one, or ends. */
    while (keeper > 0 && __atomic_load_n(&k.pid, __ATOMIC_ACQUIRE) == 0) {
        struct timespec tick = {0, 10 * 1000 * 1000};
        syscall(SYS_futex, &k.pid, FUTEX_WAIT, 0, &tick, NULL, 0);
        struct pollfd p = {.fd = keeper_fd, .events = POLLIN};
        if (__atomic_load_n(&k.pid, __ATOMIC_ACQUIRE) == 0 && poll(&p, 1, 0) == 1)
            break;
    }
    pid_t pid = keeper > 0 ? __atomic_load_n(&k.pid, __ATOMIC_ACQUIRE) : -1;
    int pidfd = pid > 0 ? (int)syscall(SYS_pidfd_open, pid, 0) : -1;
    if (pid > 0 && pidfd < 0)
        e = errno;
    int mine[] = {image, watch[0], sock[1]};
    for (int i = 0; i < 3; i++)
        if (mine[i] >= 0)
            close(mine[i]);
    if (pidfd < 0) {
        if (pid > 0)
            kill(pid, SIGKILL);
        if (keeper > 0) {
            siginfo_t si;
            while (waitid(P_PIDFD, (id_t)keeper_fd, &si, WEXITED | __WALL) < 0 && errno == EINTR)
                ;
            close(keeper_fd);
        }
        if (stack != MAP_FAILED)
            munmap(stack, VJ_KEEPER_STACK);
        if (watch[1] >= 0)
            close(watch[1]);
        if (sock[0] >= 0)
            close(sock[0]);
        return vj_error(err, VMJAIL_ERR_INTERNAL, e ? e : ECHILD,
                        "process platform: start the stub");
    }
    ((struct vj_stub_head *)vm->ctl)->stub_pid = pid;
    vm->stub = pid;
    vm->stub_fd = vj_process_vm_own_fd(vm, pidfd);
    vm->keeper_fd = vj_process_vm_own_fd(vm, keeper_fd);
    vm->keeper_stack = stack;
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
        /* Its keeper reaps it and ends at once: reaped here in turn, and its stack freed
         * (kept if it has not ended: it runs on it). */
        siginfo_t si = {0};
        p.fd = vm->keeper_fd;
        while (vm->keeper_fd >= 0 && poll(&p, 1, 1000) < 0 && errno == EINTR)
            ;
        if (vm->keeper_fd >= 0 &&
            waitid(P_PIDFD, (id_t)vm->keeper_fd, &si, WEXITED | WNOHANG | __WALL) == 0 &&
            si.si_pid > 0)
            munmap(vm->keeper_stack, VJ_KEEPER_STACK);
    } else if (vm->keeper_stack) {
        /* In a forked monitor: the parent's keeper runs on the parent's copy. */
        munmap(vm->keeper_stack, VJ_KEEPER_STACK);
    }
    vm->keeper_stack = NULL;
    vm->stub = -1;
    int *fds[] = {&vm->stub_fd, &vm->keeper_fd, &vm->watch_fd, &vm->sock_fd};
    for (int k = 0; k < 4; k++)
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
