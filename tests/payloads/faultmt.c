/* faultmt.c: threads that fault at the same time each get their own fault's frame (rip, rsp), and resume where they should. */
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <ucontext.h>

#define THREADS 4
#define ROUNDS 3000

static __thread uint64_t expect_rip, stack_lo, stack_hi;
static __thread long bad_rip, bad_rsp, faults;

static void on_ill(int s, siginfo_t *si, void *ucv)
{
    (void)s;
    ucontext_t *uc = ucv;
    uint64_t rip = (uint64_t)uc->uc_mcontext.gregs[REG_RIP];
    uint64_t rsp = (uint64_t)uc->uc_mcontext.gregs[REG_RSP];
    faults++;
    if (rip != expect_rip || (uint64_t)(uintptr_t)si->si_addr != expect_rip)
        bad_rip++;
    if (rsp < stack_lo || rsp > stack_hi)
        bad_rsp++;
    if (rip == expect_rip)
        uc->uc_mcontext.gregs[REG_RIP] = (greg_t)(rip + 2); /* past the ud2 */
    else
        uc->uc_mcontext.gregs[REG_RIP] = (greg_t)expect_rip + 2; /* still go on */
}

/* One ud2 site per thread, so that a frame of another thread's fault shows. */
#define SITE(n)                                                                                \
    case n:                                                                                    \
        __asm__ volatile("lea 1f(%%rip), %0\n\t"                                               \
                         "mov %0, %1\n"                                                        \
                         "1:\tud2"                                                             \
                         : "=&r"(at), "=m"(expect_rip)                                         \
                         :                                                                     \
                         : "memory");                                                          \
        break;

static void *worker(void *arg)
{
    int id = (int)(intptr_t)arg;
    char here;
    stack_hi = (uint64_t)(uintptr_t)&here + 4096;
    stack_lo = (uint64_t)(uintptr_t)&here - 256 * 1024;
    for (int i = 0; i < ROUNDS; i++) {
        uint64_t at;
        switch (id) {
            SITE(0)
            SITE(1)
            SITE(2)
            SITE(3)
        }
        (void)at;
    }
    return (void *)(intptr_t)(faults == ROUNDS && bad_rip == 0 && bad_rsp == 0);
}

int main(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_ill;
    sa.sa_flags = SA_SIGINFO | SA_NODEFER;
    sigaction(SIGILL, &sa, NULL);
    pthread_t th[THREADS];
    for (int i = 0; i < THREADS; i++)
        pthread_create(&th[i], NULL, worker, (void *)(intptr_t)i);
    int good = 0;
    for (int i = 0; i < THREADS; i++) {
        void *r;
        pthread_join(th[i], &r);
        good += (int)(intptr_t)r;
    }
    printf("%d threads faulting at once, %d faults each: threads with every frame right: %d\n",
           THREADS, ROUNDS, good);
    return good == THREADS ? 0 : 1;
}
