/* cpu.c: a CPU-bound loop with no system calls or memory traffic. cpu N: N rounds of an
   integer hash (a multiply-xorshift chain with a data dependency between rounds); prints
   "ms X" (and the hash on stderr, so the compiler cannot drop the loop). */
#include <stdio.h>
#include "bench.h"

int main(int argc, char **argv)
{
    long n = arg_long(argc, argv, 1, 300000000);
    uint64_t h = 0x9e3779b97f4a7c15ull ^ (uint64_t)argc;
    uint64_t t0 = now_ns();
    for (long i = 0; i < n; i++) {
        h ^= (uint64_t)i;
        h *= 0xff51afd7ed558ccdull;
        h ^= h >> 33;
    }
    uint64_t t1 = now_ns();
    printf("ms %.3f\n", (double)(t1 - t0) / 1e6);
    fprintf(stderr, "cpu: %ld rounds, hash %016llx\n", n, (unsigned long long)h);
    return 0;
}
