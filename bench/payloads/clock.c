/* clock.c: the cost of one clock read. clock K: K clock_gettime(CLOCK_MONOTONIC) calls
   through the C library (the vDSO where there is one), prints "ns_per_call X". */
#include <stdio.h>
#include <time.h>
#include "bench.h"

int main(int argc, char **argv)
{
    long k = arg_long(argc, argv, 1, 100000);
    if (k < 1)
        k = 1;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts); /* warm */
    long sum = 0;
    uint64_t t0 = now_ns();
    for (long i = 0; i < k; i++) {
        clock_gettime(CLOCK_MONOTONIC, &ts);
        sum += ts.tv_nsec & 1;
    }
    uint64_t t1 = now_ns();
    printf("ns_per_call %.1f\n", (double)(t1 - t0) / (double)k);
    fprintf(stderr, "clock: %ld calls, checksum %ld\n", k, sum);
    return 0;
}
