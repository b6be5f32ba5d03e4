/* crash.c: dies on purpose in crash_here() with known values (a global and a local) while two
 * more threads wait in waiter(): the core files of tests/integration/coredump are read by gdb.
 * Argument: segv (a null pointer write, the default), abort (abort()), nodump (segv after
 * prctl(PR_SET_DUMPABLE, 0): Linux writes no core), or child: two forked
 * children die of SIGSEGV, and what wait4's status and waitid's si_code say of a core dump is
 * printed. */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

volatile long crash_marker; /* set at run time: it must come from the core's memory */
static pthread_barrier_t ready;

__attribute__((noinline)) static void *waiter(void *arg)
{
    (void)arg;
    pthread_barrier_wait(&ready);
    for (;;)
        pause();
    return NULL;
}

__attribute__((noinline)) static void crash_here(const char *how)
{
    volatile long local_marker = crash_marker + 1;
    if (strcmp(how, "abort") == 0)
        abort();
    *(volatile long *)(uintptr_t)(local_marker & 0xff) = local_marker; /* address 0x35 */
}

/* Fork a child that dies in crash_here; its pid. */
static pid_t crashing_child(void)
{
    pid_t pid = fork();
    if (pid == 0) {
        crash_here("segv");
        _exit(0);
    }
    return pid;
}

static int children(void)
{
    int status = 0;
    pid_t pid = crashing_child();
    if (pid < 0 || waitpid(pid, &status, 0) != pid)
        return 1;
    printf("wait4: signaled %d, signal %d, core dumped %d\n", WIFSIGNALED(status),
           WIFSIGNALED(status) ? WTERMSIG(status) : 0, WCOREDUMP(status) ? 1 : 0);
    siginfo_t si;
    memset(&si, 0, sizeof si);
    if ((pid = crashing_child()) < 0 || waitid(P_PID, (id_t)pid, &si, WEXITED) < 0)
        return 1;
    printf("waitid: si_code %s, status %d\n",
           si.si_code == CLD_DUMPED ? "CLD_DUMPED" : si.si_code == CLD_KILLED ? "CLD_KILLED" : "?",
           si.si_status);
    return 0;
}

int main(int argc, char **argv)
{
    const char *how = argc > 1 ? argv[1] : "segv";
    crash_marker = 0x5eed1234;
    if (strcmp(how, "child") == 0)
        return children();
    if (strcmp(how, "nodump") == 0 && prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0)
        return 1;
    pthread_barrier_init(&ready, NULL, 3);
    pthread_t t[2];
    for (int i = 0; i < 2; i++)
        if (pthread_create(&t[i], NULL, waiter, NULL) != 0)
            return 1;
    pthread_barrier_wait(&ready);
    printf("crashing: %s\n", how);
    fflush(stdout);
    crash_here(how);
    return 0;
}
