/* teardown.c: the VM's teardown left to a helper process that outlives the monitor
 * (vmjail_config_set_exit_after_run), so that the monitor's exit does not wait for KVM to
 * free the VM and for the kernel to free the guest's memory. */
#include <linux/futex.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "host/vm.h"

#define HELPER_STACK (16 * 1024)

/* The helper shares the monitor's memory, descriptors and working directory (nothing is
 * copied for it) and the calling thread's TLS: raw system calls only, every signal blocked.
 * It waits until the monitor has exited and exits: the last user of the address space and
 * of the descriptor table (the VM's descriptors among them), it frees them, when no other
 * thread wants the CPU (the monitor's parent, woken by its exit, runs first). */
struct helper_start {
    int pidfd;     /* the monitor's */
    uint32_t named; /* 1 once the helper has its name */
};

__attribute__((no_sanitize("address", "undefined"))) static int helper_main(void *arg)
{
    struct helper_start *h = arg;
    /* Named first, and the monitor waits for it: a payload's /proc listing tells a helper by
     * its name once the monitor is gone (monitor/procfs_list.c), and the helper runs idle. */
    syscall(SYS_prctl, PR_SET_NAME, VJ_VM_TEARDOWN_NAME, 0, 0, 0);
    __atomic_store_n(&h->named, 1, __ATOMIC_RELEASE);
    syscall(SYS_futex, &h->named, FUTEX_WAKE, 1, NULL, NULL, 0);
    struct sched_param none = {0};
    syscall(SYS_sched_setscheduler, 0, SCHED_IDLE, &none);
    struct pollfd pfd = {.fd = h->pidfd, .events = POLLIN};
    while (syscall(SYS_poll, &pfd, 1, -1) != 1)
        ;
    syscall(SYS_exit, 0);
    return 0;
}

bool vj_vm_leave_to_helper(void)
{
    uint8_t *stack = mmap(NULL, HELPER_STACK, PROT_READ | PROT_WRITE,
                          MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
    if (stack == MAP_FAILED)
        return false;
    int pidfd = (int)syscall(SYS_pidfd_open, getpid(), 0);
    if (pidfd < 0) {
        munmap(stack, HELPER_STACK);
        return false;
    }
    /* Its start record at the stack's far end (the stack grows down towards it). */
    struct helper_start *h = (struct helper_start *)stack;
    h->pidfd = pidfd;
    h->named = 0;
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    /* No exit signal: the monitor does not wait for it (its next parent reaps it). */
    int pid = clone(helper_main, stack + HELPER_STACK, CLONE_VM | CLONE_FILES | CLONE_FS, h);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (pid < 0) {
        close(pidfd);
        munmap(stack, HELPER_STACK);
        return false;
    }
    while (__atomic_load_n(&h->named, __ATOMIC_ACQUIRE) == 0)
        syscall(SYS_futex, &h->named, FUTEX_WAIT, 0, NULL, NULL, 0);
    return true; /* the stack and the descriptor stay: the monitor exits */
}
