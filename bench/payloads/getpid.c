/* getpid.c: the cost of one system call. getpid K: K raw getpid system calls (glibc's
   wrapper could cache; syscall(SYS_getpid) cannot), prints "ns_per_call X". */
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "bench.h"

int main(int argc, char **argv)
{
    long k = arg_long(argc, argv, 1, 100000);
    if (k < 1)
        k = 1;
    long sum = syscall(SYS_getpid); /* warm: the first call may fault in code and data */
    uint64_t t0 = now_ns();
    for (long i = 0; i < k; i++)
        sum += syscall(SYS_getpid);
    uint64_t t1 = now_ns();
    printf("ns_per_call %.1f\n", (double)(t1 - t0) / (double)k);
    fprintf(stderr, "getpid: %ld calls, checksum %ld\n", k, sum);
    return 0;
}
