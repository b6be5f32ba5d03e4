/* cputime.c: the CPU-time clocks count the payload's own work: after a busy loop, the process
 * and thread clocks (CLOCK_PROCESS_CPUTIME_ID, CLOCK_THREAD_CPUTIME_ID, clock_getcpuclockid of
 * its own pid, pthread_getcpuclockid of itself), getrusage's user + system time (RUSAGE_SELF,
 * RUSAGE_THREAD) and times()'s each moved by at least a twentieth of the wall time it took and
 * by no more than the wall time (per thread; clock-tick counts get a tick's slack); then the
 * same in a second thread while the first waits.  Prints one line per clock (compared
 * natively). */
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <sys/resource.h>
#include <sys/times.h>
#include <time.h>
#include <unistd.h>

#define NCLOCKS 7
#define RUSAGE_SELF_ID (-100)
#define RUSAGE_THREAD_ID (-101)
#define TIMES_ID (-102)

static double usage(int who)
{
    struct rusage ru;
    if (getrusage(who, &ru) != 0)
        return -1;
    return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
           (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

static double ticks(void)
{
    struct tms t;
    if (times(&t) == (clock_t)-1)
        return -1;
    return (double)(t.tms_utime + t.tms_stime) / (double)sysconf(_SC_CLK_TCK);
}

static double now(clockid_t id)
{
    if (id == RUSAGE_SELF_ID || id == RUSAGE_THREAD_ID)
        return usage(id == RUSAGE_SELF_ID ? RUSAGE_SELF : RUSAGE_THREAD);
    if (id == TIMES_ID)
        return ticks();
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
    const clockid_t ids[NCLOCKS] = {CLOCK_PROCESS_CPUTIME_ID, CLOCK_THREAD_CPUTIME_ID, own_pid,
                                    own_thread, RUSAGE_SELF_ID, RUSAGE_THREAD_ID, TIMES_ID};
    const char *names[NCLOCKS] = {"process clock", "thread clock", "clock of its own pid",
                                  "clock of its own thread", "getrusage(RUSAGE_SELF)",
                                  "getrusage(RUSAGE_THREAD)", "times()"};
    const bool per_thread[NCLOCKS] = {false, true, false, true, false, true, false};
    double before[NCLOCKS], after[NCLOCKS];
    double w0 = now(CLOCK_MONOTONIC);
    for (int i = 0; i < NCLOCKS; i++)
        before[i] = now(ids[i]);
    busy();
    for (int i = 0; i < NCLOCKS; i++)
        after[i] = now(ids[i]);
    double wall = now(CLOCK_MONOTONIC) - w0;
    double tick = 1.0 / (double)sysconf(_SC_CLK_TCK);
    for (int i = 0; i < NCLOCKS; i++) {
        double d = after[i] - before[i];
        printf("%s, %s: %s\n", who, names[i],
               before[i] < 0 || after[i] < 0 ? "cannot be read"
               : d < wall / 20              ? "did not count the work"
               : per_thread[i] && d > wall + 0.01 + 2 * tick ? "counted more than the wall time"
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
