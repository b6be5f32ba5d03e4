/* test_payload_usage.c: unit tests of the /proc readers behind the payload's own CPU time and usage (src/monitor/payload_usage.c). */
#include <stdint.h>
#include <sys/resource.h>
#include <unistd.h>

#include "monitor/payload_usage.h"
#include "tap.h"

static void test_field(void)
{
    const char *ss = "123456789 42 7\n";
    is_int(vj_usage_field(ss, 0), 123456789, "schedstat: the time on a CPU");
    is_int(vj_usage_field(ss, 1), 42, "schedstat: the time waiting");
    is_int(vj_usage_field(ss, 2), 7, "schedstat: the slices");
    is_int(vj_usage_field(ss, 3), 0, "schedstat: a field past the end is 0");
    is_int(vj_usage_field("", 1), 0, "schedstat: empty");
}

static void test_stat(void)
{
    struct vj_usage u = {0};
    /* A command name with spaces and parentheses: the last ')' ends it. */
    const char *st = "4242 (a (b) c) R 1 4242 4242 0 -1 4194304 1111 22 33 44 555 66 0 0 20 0 1 0 "
                     "100 1000 10 18446744073709551615 0 0 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0\n";
    is_int(vj_usage_parse_stat(st, &u), 0, "stat: parsed");
    is_int(u.minflt, 1111, "stat: minflt (field 10)");
    is_int(u.majflt, 33, "stat: majflt (field 12)");
    is_int(u.utime_ticks, 555, "stat: utime (field 14)");
    is_int(u.stime_ticks, 66, "stat: stime (field 15)");
    is_int(vj_usage_parse_stat("4242 (x R 1 2", &u), -1, "stat: no ')' refused");
    is_int(vj_usage_parse_stat("4242 (x) R 1 2 3", &u), -1, "stat: cut short refused");
    is_int(vj_usage_parse_stat("4242 (x) R 1 2 3 4 5 6 z 8 9 10 11 12 ", &u), -1,
           "stat: a field that is not a number refused");
    is_int(vj_usage_parse_stat("", &u), -1, "stat: empty refused");
}

static void test_status(void)
{
    struct vj_usage u = {0};
    vj_usage_parse_status("Name:\tx\nVmPeak:\t 9999 kB\nVmHWM:\t    2048 kB\nThreads:\t1\n"
                          "voluntary_ctxt_switches:\t12\nnonvoluntary_ctxt_switches:\t3\n",
                          &u);
    is_int(u.maxrss_kb, 2048, "status: VmHWM, not VmPeak");
    is_int(u.nvcsw, 12, "status: voluntary switches");
    is_int(u.nivcsw, 3, "status: involuntary switches (not read as voluntary)");
    struct vj_usage none = {.maxrss_kb = 5};
    vj_usage_parse_status("Name:\tthread\n", &none);
    is_int(none.maxrss_kb, 0, "status: no VmHWM (a kernel thread, a task's file) is 0");
}

static void test_rusage(void)
{
    long hz = sysconf(_SC_CLK_TCK);
    struct vj_usage u = {.utime_ticks = (uint64_t)hz * 3 + (uint64_t)hz / 2,
                         .stime_ticks = 1, .minflt = 9, .maxrss_kb = 77, .nivcsw = 4};
    struct rusage ru;
    vj_usage_to_rusage(&u, &ru);
    is_int(ru.ru_utime.tv_sec, 3, "rusage: user seconds");
    is_int(ru.ru_utime.tv_usec, 500000, "rusage: user microseconds");
    is_int(ru.ru_stime.tv_usec, 1000000 / hz, "rusage: one tick of system time");
    is_int(ru.ru_minflt, 9, "rusage: minor faults");
    is_int(ru.ru_maxrss, 77, "rusage: peak RSS in kB");
    is_int(ru.ru_nivcsw, 4, "rusage: involuntary switches");
    is_int(ru.ru_inblock, 0, "rusage: what /proc does not say is 0");
}

int main(void)
{
    test_field();
    test_stat();
    test_status();
    test_rusage();
    return done_testing();
}
