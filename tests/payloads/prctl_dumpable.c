/* prctl_dumpable: PR_SET_DUMPABLE/PR_GET_DUMPABLE as a process sees them (nginx's worker sets
 * it after dropping privileges), kept over fork and reset by exec; PR_GET_TIMERSLACK's value. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

static void show(const char *what, long r)
{
    printf("%s: %ld%s%s\n", what, r, r < 0 ? " " : "", r < 0 ? strerror(errno) : "");
}

int main(int argc, char **argv)
{
    if (argc > 1) { /* the exec'd program: dumpable again */
        show("after exec: get dumpable", prctl(PR_GET_DUMPABLE, 0, 0, 0, 0));
        return 0;
    }
    show("get dumpable", prctl(PR_GET_DUMPABLE, 0, 0, 0, 0));
    show("set dumpable 0", prctl(PR_SET_DUMPABLE, 0, 0, 0, 0));
    show("get dumpable", prctl(PR_GET_DUMPABLE, 0, 0, 0, 0));
    show("set dumpable 2 (SUID_DUMP_ROOT is not for prctl)", prctl(PR_SET_DUMPABLE, 2, 0, 0, 0));
    show("set dumpable -1", prctl(PR_SET_DUMPABLE, -1L, 0, 0, 0));
    show("get dumpable", prctl(PR_GET_DUMPABLE, 0, 0, 0, 0));
    fflush(stdout);
    pid_t c = fork();
    if (c == 0) {
        show("child: get dumpable", prctl(PR_GET_DUMPABLE, 0, 0, 0, 0));
        show("child: set dumpable 1", prctl(PR_SET_DUMPABLE, 1, 0, 0, 0));
        show("child: get dumpable", prctl(PR_GET_DUMPABLE, 0, 0, 0, 0));
        fflush(stdout);
        execl("/proc/self/exe", argv[0], "exec", (char *)NULL);
        _exit(127);
    }
    int st;
    waitpid(c, &st, 0);
    printf("child status %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
    show("parent after child: get dumpable", prctl(PR_GET_DUMPABLE, 0, 0, 0, 0));
    show("set timerslack 123456", prctl(PR_SET_TIMERSLACK, 123456, 0, 0, 0));
    show("get timerslack", prctl(PR_GET_TIMERSLACK, 0, 0, 0, 0));
    return 0;
}
