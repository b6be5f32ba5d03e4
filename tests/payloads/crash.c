/* crash.c: dies on purpose in crash_here() with known values (a global and a local) while two
 * more threads wait in waiter(): the core files of tests/integration/coredump are read by gdb.
 * Argument: segv (a null pointer write, the default) or abort (abort()). */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

int main(int argc, char **argv)
{
    const char *how = argc > 1 ? argv[1] : "segv";
    crash_marker = 0x5eed1234;
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
