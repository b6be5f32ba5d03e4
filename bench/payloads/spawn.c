/* spawn.c: the start-to-exit timer (runs on the host, not a payload).

     spawn [-n RUNS] [-w WARMUPS] -- COMMAND [ARG...]

   Runs COMMAND WARMUPS times untimed, then RUNS times timed, one after another, each from
   just before fork() to just after wait4() reaps it (CLOCK_MONOTONIC). The child's stdout goes
   to /dev/null, its stderr is inherited. "@I@" in an argument is replaced by the run's number
   (warm-ups included), for runtimes that want a fresh container id each time. Prints
   "median_ms", "min_ms", "max_ms", "mean_ms" and "maxrss_kib" (the largest ru_maxrss that
   wait4 reported for a timed run: what /usr/bin/time -f %M shows). Exits 1 if a run fails. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* argv for run number i: every "@I@" replaced by i */
static char **make_argv(char **cmd, int argc, int i)
{
    char **v = calloc((size_t)argc + 1, sizeof *v);
    char num[32];
    snprintf(num, sizeof num, "%d", i);
    for (int a = 0; a < argc; a++) {
        const char *s = cmd[a];
        size_t cap = strlen(s) + 1, len = 0;
        for (const char *p = s; (p = strstr(p, "@I@")); p += 3)
            cap += strlen(num);
        char *out = malloc(cap);
        while (*s) {
            if (strncmp(s, "@I@", 3) == 0) {
                memcpy(out + len, num, strlen(num));
                len += strlen(num);
                s += 3;
            } else {
                out[len++] = *s++;
            }
        }
        out[len] = 0;
        v[a] = out;
    }
    return v;
}

static void free_argv(char **v)
{
    for (char **p = v; *p; p++)
        free(*p);
    free(v);
}

/* runs once; returns wall ms, or -1 on failure */
static double run_once(char **cmd, int argc, int i, long *maxrss)
{
    char **v = make_argv(cmd, argc, i);
    double t0 = now_ms();
    pid_t pid = fork();
    if (pid < 0) {
        perror("spawn: fork");
        exit(1);
    }
    if (pid == 0) {
        int fd = open("/dev/null", O_WRONLY);
        if (fd >= 0) {
            dup2(fd, 1);
            close(fd);
        }
        execvp(v[0], v);
        fprintf(stderr, "spawn: cannot run %s\n", v[0]);
        _exit(127);
    }
    int status;
    struct rusage ru;
    if (wait4(pid, &status, 0, &ru) < 0) {
        perror("spawn: wait4");
        exit(1);
    }
    double t1 = now_ms();
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        fprintf(stderr, "spawn: run %d of %s failed (status 0x%x)\n", i, v[0], status);
        free_argv(v);
        return -1;
    }
    free_argv(v);
    *maxrss = ru.ru_maxrss;
    return t1 - t0;
}

int main(int argc, char **argv)
{
    int runs = 30, warm = 1, opt;
    while ((opt = getopt(argc, argv, "+n:w:")) != -1) {
        switch (opt) {
        case 'n': runs = atoi(optarg); break;
        case 'w': warm = atoi(optarg); break;
        default:
            fprintf(stderr, "usage: spawn [-n RUNS] [-w WARMUPS] -- COMMAND [ARG...]\n");
            return 2;
        }
    }
    if (optind >= argc || runs < 1) {
        fprintf(stderr, "usage: spawn [-n RUNS] [-w WARMUPS] -- COMMAND [ARG...]\n");
        return 2;
    }
    char **cmd = argv + optind;
    int cmdc = argc - optind;
    double *t = calloc((size_t)runs, sizeof *t);
    long rss = 0, maxrss = 0;
    int i = 0;
    for (int w = 0; w < warm; w++, i++)
        if (run_once(cmd, cmdc, i, &rss) < 0)
            return 1;
    double sum = 0;
    for (int r = 0; r < runs; r++, i++) {
        t[r] = run_once(cmd, cmdc, i, &rss);
        if (t[r] < 0)
            return 1;
        sum += t[r];
        if (rss > maxrss)
            maxrss = rss;
    }
    qsort(t, (size_t)runs, sizeof *t, cmp_double);
    double med = runs % 2 ? t[runs / 2] : (t[runs / 2 - 1] + t[runs / 2]) / 2;
    printf("median_ms %.3f\nmin_ms %.3f\nmax_ms %.3f\nmean_ms %.3f\nmaxrss_kib %ld\n", med, t[0],
           t[runs - 1], sum / runs, maxrss);
    return 0;
}
