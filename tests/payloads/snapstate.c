/* snapstate.c: state for a snapshot to keep (tests/integration/snapshot): a table computed in
 * memory, a heap buffer, a file opened and half read, a signal handler, a blocked signal; then
 * one line read from stdin, and everything printed, so that a run restored from a snapshot
 * taken at that read and a native run given the same line print the same.
 *   snapstate FILE        as above
 *   snapstate FILE call   mark the point with the vmjail call first (prints what it returned)
 *   snapstate FILE pipe|sock|thread  hold a pipe, a connected socket pair, or a second thread
 *                         (sleeping) at the read: what a snapshot refuses
 * A line "poke N" writes N into a global and prints it back after a pause (parallel restores
 * must not see each other's writes). */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#define VJ_NR_SNAPSHOT 0x3f1 /* include/vmjail_abi.h */

static unsigned table[4096];
static volatile sig_atomic_t got;
static volatile long poked;

static void *sleeper(void *arg)
{
    (void)arg;
    sleep(30);
    return NULL;
}

static void on_usr1(int s)
{
    (void)s;
    got++;
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return 2;
    for (unsigned i = 0; i < 4096; i++)
        table[i] = i * 2654435761u;
    char *heap = malloc(1 << 20);
    if (heap == NULL)
        return 3;
    for (int i = 0; i < (1 << 20); i++)
        heap[i] = (char)('a' + i % 26);
    FILE *f = fopen(argv[1], "r");
    if (f == NULL)
        return 4;
    char first[64] = "";
    if (fgets(first, sizeof first, f) == NULL)
        return 5;
    struct sigaction sa = {.sa_handler = on_usr1};
    sigaction(SIGUSR1, &sa, NULL);
    sigset_t block;
    sigemptyset(&block);
    sigaddset(&block, SIGUSR2);
    sigprocmask(SIG_BLOCK, &block, NULL);
    int fds[2];
    pthread_t th;
    if (argc > 2 && strcmp(argv[2], "pipe") == 0 && pipe(fds) < 0)
        return 6;
    if (argc > 2 && strcmp(argv[2], "sock") == 0 && socketpair(AF_UNIX, SOCK_STREAM, 0, fds) < 0)
        return 6;
    if (argc > 2 && strcmp(argv[2], "thread") == 0 && pthread_create(&th, NULL, sleeper, NULL))
        return 6;
    if (argc > 2 && strcmp(argv[2], "call") == 0)
        printf("call %ld\n", syscall(VJ_NR_SNAPSHOT));
    char line[256] = "";
    if (fgets(line, sizeof line, stdin) == NULL)
        strcpy(line, "(eof)\n");
    printf("line %s", line);
    unsigned sum = 0;
    for (unsigned i = 0; i < 4096; i++)
        sum += table[i];
    printf("table %u heap %.5s%c\n", sum, heap, heap[(1 << 20) - 1]);
    printf("first %s", first);
    char rest[64] = "";
    if (fgets(rest, sizeof rest, f) == NULL)
        strcpy(rest, "(none)\n");
    printf("second %s", rest);
    raise(SIGUSR1);
    sigset_t now;
    sigprocmask(SIG_BLOCK, NULL, &now);
    printf("handler ran %d, usr2 blocked %d\n", (int)got, sigismember(&now, SIGUSR2));
    if (strncmp(line, "poke ", 5) == 0) {
        poked = atol(line + 5);
        usleep(200000);
        printf("poked %ld\n", poked);
    }
    return 0;
}
