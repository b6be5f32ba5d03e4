/* clocks.c: clock_gettime/getres, gettimeofday, time, (clock_)nanosleep: monotone, plausible;
 * the vDSO's reads and the system calls agree.  "clocks vdso": only the C library's time
 * calls, many times (vmjail's tests trace them: through the vDSO, none is a system call). */
#include <errno.h>
#include <string.h>
#include <sys/auxv.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static int failures;

static void check(const char *name, int ok)
{
    if (ok) {
        printf("%s: ok\n", name);
    } else {
        printf("%s: fail (errno %d)\n", name, errno);
        failures++;
    }
    fflush(stdout);
}

static int64_t ns(clockid_t c)
{
    struct timespec t;
    if (clock_gettime(c, &t) != 0)
        return -1;
    return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

static int valid_ts(const struct timespec *t)
{
    return t->tv_sec >= 0 && t->tv_nsec >= 0 && t->tv_nsec < 1000000000;
}

static void monotone(const char *name, clockid_t c)
{
    char label[96];
    struct timespec t;
    int ok = clock_gettime(c, &t) == 0 && valid_ts(&t);
    snprintf(label, sizeof label, "clock_gettime %s", name);
    check(label, ok);
    int64_t prev = ns(c), bad = 0;
    for (int i = 0; i < 10000; i++) {
        int64_t now = ns(c);
        if (now < prev)
            bad++;
        prev = now;
    }
    snprintf(label, sizeof label, "%s never goes backwards over 10000 reads", name);
    check(label, bad == 0);
}

static void spin(int64_t nsec)
{
    int64_t end = ns(CLOCK_MONOTONIC) + nsec;
    volatile uint64_t x = 0;
    while (ns(CLOCK_MONOTONIC) < end)
        for (int i = 0; i < 1000; i++)
            x += i;
}

/* The C library's reads (through the vDSO where there is one) and the system call's,
 * interleaved: neither is ever behind the other. */
static void agree(const char *name, clockid_t c)
{
    char label[96];
    int64_t prev = ns(c), bad = 0;
    for (int i = 0; i < 20000; i++) {
        struct timespec t;
        syscall(SYS_clock_gettime, c, &t);
        int64_t sys = (int64_t)t.tv_sec * 1000000000 + t.tv_nsec, lib = ns(c);
        bad += sys < prev || lib < sys;
        prev = lib;
    }
    snprintf(label, sizeof label, "%s: library and system call reads agree (20000 pairs)", name);
    check(label, bad == 0);
}

int main(int argc, char **argv)
{
    struct timespec t, res;
    struct timeval tv;

    if (argc > 1 && strcmp(argv[1], "vdso") == 0) {
        int64_t sum = 0;
        for (int i = 0; i < 1000; i++) {
            sum += ns(CLOCK_MONOTONIC) > 0;
            sum += ns(CLOCK_REALTIME) > 0;
            sum += gettimeofday(&tv, NULL) == 0;
            sum += time(NULL) > 0;
        }
        printf("vdso: %s, %lld reads\n", getauxval(AT_SYSINFO_EHDR) ? "yes" : "no", (long long)sum);
        return 0;
    }
    check("a vDSO in the auxiliary vector", getauxval(AT_SYSINFO_EHDR) != 0);
    agree("CLOCK_MONOTONIC", CLOCK_MONOTONIC);
    agree("CLOCK_REALTIME", CLOCK_REALTIME);
    agree("CLOCK_BOOTTIME", CLOCK_BOOTTIME);

    monotone("CLOCK_MONOTONIC", CLOCK_MONOTONIC);
    monotone("CLOCK_REALTIME", CLOCK_REALTIME);
    monotone("CLOCK_PROCESS_CPUTIME_ID", CLOCK_PROCESS_CPUTIME_ID);
    monotone("CLOCK_THREAD_CPUTIME_ID", CLOCK_THREAD_CPUTIME_ID);
    monotone("CLOCK_MONOTONIC_RAW", CLOCK_MONOTONIC_RAW);
    monotone("CLOCK_BOOTTIME", CLOCK_BOOTTIME);

    /* REALTIME is a plausible date (2020..2100); time() and gettimeofday() agree with it. */
    clock_gettime(CLOCK_REALTIME, &t);
    check("CLOCK_REALTIME between 2020 and 2100", t.tv_sec > 1577836800 && t.tv_sec < 4102444800);
    time_t now = time(NULL);
    check("time() within 2 s of CLOCK_REALTIME", now >= t.tv_sec - 2 && now <= t.tv_sec + 2);
    time_t now2;
    check("time(&t) stores the same value it returns", time(&now2) == now2);
    check("gettimeofday", gettimeofday(&tv, NULL) == 0);
    check("gettimeofday usec in range", tv.tv_usec >= 0 && tv.tv_usec < 1000000);
    check("gettimeofday within 2 s of CLOCK_REALTIME",
          tv.tv_sec >= t.tv_sec - 2 && tv.tv_sec <= t.tv_sec + 2);
    check("raw SYS_gettimeofday",
          syscall(SYS_gettimeofday, &tv, NULL) == 0 && tv.tv_sec >= t.tv_sec - 2);
    check("raw SYS_time", syscall(SYS_time, NULL) >= t.tv_sec - 2);
    check("raw SYS_clock_gettime",
          syscall(SYS_clock_gettime, CLOCK_MONOTONIC, &t) == 0 && valid_ts(&t));
    check("CLOCK_MONOTONIC positive", ns(CLOCK_MONOTONIC) > 0);

    /* CPU time advances while spinning and never faster than the wall clock. */
    int64_t w0 = ns(CLOCK_MONOTONIC), p0 = ns(CLOCK_PROCESS_CPUTIME_ID),
            t0 = ns(CLOCK_THREAD_CPUTIME_ID);
    spin(30000000);
    int64_t w1 = ns(CLOCK_MONOTONIC), p1 = ns(CLOCK_PROCESS_CPUTIME_ID),
            t1 = ns(CLOCK_THREAD_CPUTIME_ID);
    check("spin 30 ms: monotonic advanced >= 30 ms", w1 - w0 >= 30000000);
    check("spin 30 ms: process CPU time advanced", p1 > p0);
    check("spin 30 ms: thread CPU time advanced", t1 > t0);
    check("thread CPU time advanced no more than wall time + 20 ms", t1 - t0 <= w1 - w0 + 20000000);

    /* nanosleep 50 ms, measured on CLOCK_MONOTONIC */
    struct timespec req = {0, 50000000};
    int64_t s0 = ns(CLOCK_MONOTONIC);
    int r = nanosleep(&req, NULL);
    int64_t slept = ns(CLOCK_MONOTONIC) - s0;
    check("nanosleep 50 ms returns 0", r == 0);
    check("nanosleep 50 ms took 45..500 ms", slept >= 45000000 && slept <= 500000000);
    struct timespec rem = {99, 99};
    req.tv_nsec = 1000000;
    check("nanosleep 1 ms with rem", nanosleep(&req, &rem) == 0);
    struct timespec bad = {0, 1000000000};
    check("nanosleep tv_nsec = 1e9 gives EINVAL", nanosleep(&bad, NULL) == -1 && errno == EINVAL);
    bad.tv_sec = -1;
    bad.tv_nsec = 0;
    check("nanosleep negative gives EINVAL", nanosleep(&bad, NULL) == -1 && errno == EINVAL);
    req.tv_nsec = 0;
    check("nanosleep 0", nanosleep(&req, NULL) == 0);

    /* clock_nanosleep: relative, and absolute 30 ms ahead */
    req.tv_sec = 0;
    req.tv_nsec = 20000000;
    s0 = ns(CLOCK_MONOTONIC);
    r = clock_nanosleep(CLOCK_MONOTONIC, 0, &req, NULL);
    slept = ns(CLOCK_MONOTONIC) - s0;
    check("clock_nanosleep relative 20 ms", r == 0 && slept >= 18000000 && slept <= 500000000);
    clock_gettime(CLOCK_MONOTONIC, &t);
    t.tv_nsec += 30000000;
    if (t.tv_nsec >= 1000000000) {
        t.tv_nsec -= 1000000000;
        t.tv_sec++;
    }
    r = clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &t, NULL);
    int64_t after = ns(CLOCK_MONOTONIC);
    check("clock_nanosleep TIMER_ABSTIME +30 ms",
          r == 0 && after >= (int64_t)t.tv_sec * 1000000000 + t.tv_nsec && after - s0 <= 600000000);
    clock_gettime(CLOCK_MONOTONIC, &t);
    t.tv_sec -= 1;
    check("clock_nanosleep TIMER_ABSTIME in the past returns at once",
          clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &t, NULL) == 0);
    clock_gettime(CLOCK_REALTIME, &t);
    t.tv_nsec += 10000000;
    if (t.tv_nsec >= 1000000000) {
        t.tv_nsec -= 1000000000;
        t.tv_sec++;
    }
    check("clock_nanosleep CLOCK_REALTIME TIMER_ABSTIME +10 ms",
          clock_nanosleep(CLOCK_REALTIME, TIMER_ABSTIME, &t, NULL) == 0);
    /* clock_nanosleep returns the error number instead of setting errno */
    req.tv_nsec = 1;
    check("clock_nanosleep on CLOCK_THREAD_CPUTIME_ID gives EINVAL",
          clock_nanosleep(CLOCK_THREAD_CPUTIME_ID, 0, &req, NULL) == EINVAL);

    /* clock_getres */
    check("clock_getres MONOTONIC in (0, 10 ms]", clock_getres(CLOCK_MONOTONIC, &res) == 0 &&
                                                      res.tv_sec == 0 && res.tv_nsec > 0 &&
                                                      res.tv_nsec <= 10000000);
    check("clock_getres REALTIME in (0, 10 ms]", clock_getres(CLOCK_REALTIME, &res) == 0 &&
                                                     res.tv_sec == 0 && res.tv_nsec > 0 &&
                                                     res.tv_nsec <= 10000000);
    check("clock_getres with NULL res", clock_getres(CLOCK_MONOTONIC, NULL) == 0);
    check("clock_gettime of a bad clock id gives EINVAL",
          clock_gettime((clockid_t)12345, &t) == -1 && errno == EINVAL);
    check("clock_getres of a bad clock id gives EINVAL",
          clock_getres((clockid_t)12345, &res) == -1 && errno == EINVAL);

    printf("clocks: %s\n", failures ? "FAILED" : "all ok");
    return failures ? 1 : 0;
}
