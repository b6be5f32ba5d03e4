/* cputime.c: the CPU-time clocks count the payload's own work: after a busy loop, the process
 * and thread clocks (CLOCK_PROCESS_CPUTIME_ID, CLOCK_THREAD_CPUTIME_ID, clock_getcpuclockid of
 * its own pid, pthread_getcpuclockid of itself) each moved by at least a twentieth of the wall
 * time it took and by no more than the wall time (per thread); then the same in a second thread
 * while the first waits.  Prints one line per clock (compared natively). */
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

static double now(clockid_t id)
{
    struct timespec ts;
    if (clock_gettime(id, &ts) != 0)
        return -1;
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static volatile unsigned long sink;

static void busy(void)
{
    for (unsigned long i = 0; i < 60000000UL; i++)
        sink += i ^ (i >> 3);
}

static void check(const char *who)
{
    clockid_t own_pid, own_thread;
    if (clock_getcpuclockid(getpid(), &own_pid) != 0 ||
        pthread_getcpuclockid(pthread_self(), &own_thread) != 0) {
        printf("%s: no clock ids\n", who);
        return;
    }
    const clockid_t ids[4] = {CLOCK_PROCESS_CPUTIME_ID, CLOCK_THREAD_CPUTIME_ID, own_pid,
                              own_thread};
    const char *names[4] = {"process clock", "thread clock", "clock of its own pid",
                            "clock of its own thread"};
    double before[4], after[4];
    double w0 = now(CLOCK_MONOTONIC);
    for (int i = 0; i < 4; i++)
        before[i] = now(ids[i]);
    busy();
    for (int i = 0; i < 4; i++)
        after[i] = now(ids[i]);
    double wall = now(CLOCK_MONOTONIC) - w0;
    for (int i = 0; i < 4; i++) {
        double d = after[i] - before[i];
        bool per_thread = i % 2 == 1;
        printf("%s, %s: %s\n", who, names[i],
               before[i] < 0 || after[i] < 0 ? "cannot be read"
               : d < wall / 20              ? "did not count the work"
               : per_thread && d > wall + 0.01 ? "counted more than the wall time"
                                               : "counts the work");
    }
}

static void *second(void *arg)
{
    (void)arg;
    check("second thread");
    return NULL;
}

int main(void)
{
    check("main thread");
    pthread_t t;
    if (pthread_create(&t, NULL, second, NULL) != 0 || pthread_join(t, NULL) != 0)
        return 1;
    return 0;
}
