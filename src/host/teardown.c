/* teardown.c: the VM's teardown left to a helper process that outlives the monitor
 * (vmjail_config_set_exit_after_run), so that the monitor's exit does not wait for KVM to
 * free the VM and for the kernel to free the guest's memory. */
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
__attribute__((no_sanitize("address", "undefined"))) static int helper_main(void *p)
{
    syscall(SYS_prctl, PR_SET_NAME, VJ_VM_TEARDOWN_NAME, 0, 0, 0); /* first: then idle */
    struct sched_param none = {0};
    syscall(SYS_sched_setscheduler, 0, SCHED_IDLE, &none);
    struct pollfd pfd = {.fd = (int)(intptr_t)p, .events = POLLIN};
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
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    /* No exit signal: the monitor does not wait for it (its next parent reaps it). */
    int pid = clone(helper_main, stack + HELPER_STACK, CLONE_VM | CLONE_FILES | CLONE_FS,
                    (void *)(intptr_t)pidfd);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (pid < 0) {
        close(pidfd);
        munmap(stack, HELPER_STACK);
        return false;
    }
    return true; /* the stack and the descriptor stay: the monitor exits */
}
