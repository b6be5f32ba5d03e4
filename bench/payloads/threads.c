/* threads.c: thread costs. threads K M: K thread create+join cycles, then M futex ping-pong
   round trips between two threads (each wakes the other and waits for its answer); prints
   "ns_per_thread X" and "ns_per_pingpong Y". */
#include <linux/futex.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "bench.h"

static _Atomic int word; /* 0: ping's turn, 1: pong's turn */
static long rounds;

static void *nothing(void *arg)
{
    return arg;
}

static void futex_wait(int expect)
{
    syscall(SYS_futex, &word, FUTEX_WAIT_PRIVATE, expect, NULL, NULL, 0);
}

static void futex_wake(void)
{
    syscall(SYS_futex, &word, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}

static void *pong(void *arg)
{
    for (long i = 0; i < rounds; i++) {
        while (atomic_load(&word) != 1)
            futex_wait(0);
        atomic_store(&word, 0);
        futex_wake();
    }
    return arg;
}

int main(int argc, char **argv)
{
    long k = arg_long(argc, argv, 1, 1000);
    rounds = arg_long(argc, argv, 2, 10000);
    pthread_t t;
    uint64_t t0 = now_ns();
    for (long i = 0; i < k; i++) {
        if (pthread_create(&t, NULL, nothing, NULL) != 0) {
            perror("threads: pthread_create");
            return 1;
        }
        pthread_join(t, NULL);
    }
    uint64_t t1 = now_ns();
    pthread_create(&t, NULL, pong, NULL);
    uint64_t t2 = now_ns();
    for (long i = 0; i < rounds; i++) {
        atomic_store(&word, 1);
        futex_wake();
        while (atomic_load(&word) != 0)
            futex_wait(1);
    }
    uint64_t t3 = now_ns();
    pthread_join(t, NULL);
    printf("ns_per_thread %.1f\nns_per_pingpong %.1f\n", (double)(t1 - t0) / (double)k,
           (double)(t3 - t2) / (double)rounds);
    return 0;
}
