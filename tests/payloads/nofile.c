/* nofile.c: RLIMIT_NOFILE as Linux keeps it: read back, lowered, enforced on every call that makes a descriptor, and a program still runs under a limit below the descriptors held. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

static void say(const char *what, int r)
{
    printf("%s: %s\n", what, r >= 0 ? "ok" : strerror(errno));
}

int main(int argc, char **argv)
{
    if (argc > 1) {
        printf("the program ran under the lowered limit\n");
        return 0;
    }
    struct rlimit rl, back;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
        return 1;
    if (prlimit(0, RLIMIT_NOFILE, NULL, &back) != 0 || back.rlim_cur != rl.rlim_cur ||
        back.rlim_max != rl.rlim_max)
        printf("prlimit(0) and getrlimit differ\n");
    if (prlimit(getpid(), RLIMIT_NOFILE, NULL, &back) != 0 || back.rlim_cur != rl.rlim_cur)
        printf("prlimit(own pid) and getrlimit differ\n");
    struct rlimit bad = {rl.rlim_max, rl.rlim_max - 1};
    say("soft above hard", setrlimit(RLIMIT_NOFILE, &bad));
    struct rlimit low = {32, rl.rlim_max};
    say("lower the soft limit to 32", setrlimit(RLIMIT_NOFILE, &low));
    getrlimit(RLIMIT_NOFILE, &back);
    printf("read back: %llu\n", (unsigned long long)back.rlim_cur);

    int last = -1, fd;
    while ((fd = open("/dev/null", O_RDONLY)) >= 0)
        last = fd;
    printf("open until it fails: last %d, then %s\n", last, strerror(errno));
    say("dup", dup(0));
    say("dup2 to 40", dup2(0, 40));
    say("dup3 to 40", dup3(0, 40, 0));
    say("F_DUPFD from 40", fcntl(0, F_DUPFD, 40));
    say("F_DUPFD_CLOEXEC from 40", fcntl(0, F_DUPFD_CLOEXEC, 40));
    int pair[2];
    say("socket", socket(AF_UNIX, SOCK_STREAM, 0));
    close(last);
    say("pipe with one free", pipe(pair));
    say("socketpair with one free", socketpair(AF_UNIX, SOCK_STREAM, 0, pair));
    fd = dup(0);
    printf("dup into the one free: %d\n", fd);
    say("dup2 to 31 (below the limit)", dup2(0, 31));

    /* Below the descriptors held: Linux allows it; a program must still run. */
    struct rlimit lower = {8, rl.rlim_max};
    say("lower the soft limit to 8 with 32 open", setrlimit(RLIMIT_NOFILE, &lower));
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        execl("/proc/self/exe", argv[0], "child", (char *)NULL);
        _exit(127);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    printf("child: %s %d\n", WIFEXITED(status) ? "exit" : "signal",
           WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
    struct rlimit up = {16, rl.rlim_max};
    say("raise the soft limit again", setrlimit(RLIMIT_NOFILE, &up));
    /* Raising the hard limit needs CAP_SYS_RESOURCE (and stays under fs.nr_open): the same
     * answer as natively, whoever runs the test. */
    struct rlimit lower_hard = {16, rl.rlim_max - 1}, higher = {16, rl.rlim_max},
                  too_high = {16, rl.rlim_max + 1};
    say("lower the hard limit by one", setrlimit(RLIMIT_NOFILE, &lower_hard));
    say("raise it back", setrlimit(RLIMIT_NOFILE, &higher));
    getrlimit(RLIMIT_NOFILE, &back);
    printf("hard limit now %s\n", back.rlim_max == rl.rlim_max ? "as at the start" : "lower");
    say("raise it by one more", setrlimit(RLIMIT_NOFILE, &too_high));
    return 0;
}
