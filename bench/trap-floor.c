/* trap-floor.c: what the host kernel alone costs the process platform per trapped system call:
 * a seccomp filter that traps getppid (SECCOMP_RET_TRAP), a SIGSYS handler that returns at once
 * (mode 0), or that also reads the FS and GS bases with arch_prctl (mode 1), and rt_sigreturn;
 * no monitor.  Prints "ns_per_trap X" (and raw getpid's cost beside it).
 * Build and run: gcc -O2 -o trap-floor bench/trap-floor.c && ./trap-floor [MODE] [CALLS] */
#include <asm/prctl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static int mode;

static void on_sigsys(int sig, siginfo_t *si, void *uc)
{
    (void)sig, (void)si, (void)uc;
    if (mode == 1) {
        unsigned long base;
        syscall(SYS_arch_prctl, ARCH_GET_FS, &base);
        syscall(SYS_arch_prctl, ARCH_GET_GS, &base);
    }
}

static double now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e9 + t.tv_nsec;
}

int main(int argc, char **argv)
{
    mode = argc > 1 ? atoi(argv[1]) : 0;
    long n = argc > 2 ? atol(argv[2]) : 100000;
    double t0 = now_ns();
    for (long i = 0; i < n; i++)
        syscall(SYS_getpid);
    double raw = (now_ns() - t0) / (double)n;
    struct sigaction sa = {.sa_sigaction = on_sigsys, .sa_flags = SA_SIGINFO};
    sigaction(SIGSYS, &sa, NULL);
    struct sock_filter f[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_getppid, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRAP),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    struct sock_fprog prog = {4, f};
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) || prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog)) {
        perror("trap-floor: seccomp");
        return 1;
    }
    t0 = now_ns();
    for (long i = 0; i < n; i++)
        syscall(SYS_getppid);
    printf("ns_per_trap %.0f (mode %d)\nns_per_getpid %.0f\n", (now_ns() - t0) / (double)n, mode,
           raw);
    return 0;
}
