/* fork.c: process costs. fork K [PROGRAM]: K fork+exit+wait cycles, then (if PROGRAM is given)
   K fork+exec(PROGRAM)+wait cycles and K pipelines of five processes running PROGRAM, each
   one's stdout the next one's stdin, as a shell runs `p | p | p | p | p`; prints
   "us_per_fork X", "us_per_forkexec Y" and "us_per_pipeline Z". */
#include <stdio.h>
#include <stdlib.h>
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>
#include "bench.h"

static double cycles(long k, const char *prog)
{
    uint64_t t0 = now_ns();
    for (long i = 0; i < k; i++) {
        pid_t pid = fork();
        if (pid == 0) {
            if (prog) {
                execl(prog, prog, (char *)NULL);
                _exit(127);
            }
            _exit(0);
        }
        int st;
        if (pid < 0 || waitpid(pid, &st, 0) != pid || !WIFEXITED(st)) {
            perror("fork: child");
            exit(1);
        }
    }
    return (double)(now_ns() - t0) / 1e3 / (double)k;
}

static double pipelines(long k, const char *prog)
{
    uint64_t t0 = now_ns();
    for (long i = 0; i < k; i++) {
        int in = -1;
        pid_t pids[5];
        for (int j = 0; j < 5; j++) {
            int p[2] = {-1, -1};
            if (j < 4 && pipe(p) < 0) {
                perror("fork: pipe");
                exit(1);
            }
            if ((pids[j] = fork()) == 0) {
                if (in >= 0)
                    dup2(in, 0);
                dup2(j < 4 ? p[1] : open("/dev/null", 1), 1);
                execl(prog, prog, (char *)NULL);
                _exit(127);
            }
            if (in >= 0)
                close(in);
            if (j < 4)
                close(p[1]);
            in = p[0];
        }
        for (int j = 0; j < 5; j++)
            waitpid(pids[j], NULL, 0);
    }
    return (double)(now_ns() - t0) / 1e3 / (double)k;
}

int main(int argc, char **argv)
{
    long k = arg_long(argc, argv, 1, 100);
    printf("us_per_fork %.1f\n", cycles(k, NULL));
    if (argc > 2) {
        fflush(stdout);
        int out = dup(1);
        dup2(open("/dev/null", 1), 1); /* the children's greetings */
        double fe = cycles(k, argv[2]), pl = pipelines(k / 5 > 0 ? k / 5 : 1, argv[2]);
        dup2(out, 1);
        printf("us_per_forkexec %.1f\nus_per_pipeline %.1f\n", fe, pl);
    }
    return 0;
}
