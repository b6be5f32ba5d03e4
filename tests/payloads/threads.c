/* threads.c: threads: mutex increments from 8 threads, a condition-variable relay, TLS,
 * joins with return values, distinct tids (the main thread's equals the pid), a detached
 * thread, and pthread_exit. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

#define N 8
#define ROUNDS 20000

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static long counter;
static int turn;
static __thread long tls_value = -1;
static pid_t tids[N];
static int relay[N];

static void *worker(void *arg)
{
    long id = (long)arg;
    tls_value = id * 100;
    tids[id] = (pid_t)syscall(SYS_gettid);
    for (int i = 0; i < ROUNDS; i++) {
        pthread_mutex_lock(&lock);
        counter++;
        pthread_mutex_unlock(&lock);
    }
    /* Relay: thread k waits for its turn, then passes it on. */
    pthread_mutex_lock(&lock);
    while (turn != id)
        pthread_cond_wait(&cond, &lock);
    relay[id] = turn;
    turn++;
    pthread_cond_broadcast(&cond);
    pthread_mutex_unlock(&lock);
    if (id == N - 1)
        pthread_exit((void *)(tls_value + 1));
    return (void *)(tls_value + 1);
}

static void *detached(void *arg)
{
    (void)arg;
    return NULL;
}

int main(void)
{
    pthread_t t[N];
    tls_value = 7;
    for (long i = 0; i < N; i++)
        if (pthread_create(&t[i], NULL, worker, (void *)i) != 0) {
            printf("pthread_create failed\n");
            return 1;
        }
    pthread_t d;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    printf("detached create: %s\n", pthread_create(&d, &attr, detached, NULL) == 0 ? "ok" : "failed");
    int ret_ok = 1;
    for (long i = 0; i < N; i++) {
        void *r;
        pthread_join(t[i], &r);
        if ((long)r != i * 100 + 1)
            ret_ok = 0;
    }
    int distinct = 1, relay_ok = 1;
    for (int i = 0; i < N; i++) {
        if (tids[i] == getpid() || tids[i] <= 0)
            distinct = 0;
        for (int j = 0; j < i; j++)
            if (tids[i] == tids[j])
                distinct = 0;
        if (relay[i] != i)
            relay_ok = 0;
    }
    printf("counter %ld (want %d)\n", counter, N * ROUNDS);
    printf("join values %s\n", ret_ok ? "ok" : "wrong");
    printf("relay %s\n", relay_ok ? "ok" : "wrong");
    printf("tids distinct %s\n", distinct ? "ok" : "wrong");
    printf("main tid == pid: %s\n", syscall(SYS_gettid) == getpid() ? "yes" : "no");
    printf("main tls %ld\n", tls_value);
    return 0;
}
