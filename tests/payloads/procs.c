/* procs.c: processes: fork with a pipe to the parent, exit statuses and termination signals
 * seen by wait, exec of itself through /proc/self/exe, exec of a script, SIGKILL of a child,
 * a child whose thread ends before it, job control (stop, continue), a failed exec (ENOENT),
 * getppid in the child, waitid, __WALL and __WCLONE. */
#include <errno.h>
#include <pthread.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static void *worker(void *arg)
{
    return arg;
}

static void show(const char *what, int st)
{
    if (WIFEXITED(st))
        printf("%s: exited %d\n", what, WEXITSTATUS(st));
    else if (WIFSIGNALED(st))
        printf("%s: killed by signal %d\n", what, WTERMSIG(st));
    else
        printf("%s: status %#x\n", what, st);
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "child") == 0) {
        printf("exec'd child: argc %d, last '%s'\n", argc, argv[argc - 1]);
        return 42;
    }
    setvbuf(stdout, NULL, _IONBF, 0);
    /* fork + pipe */
    int fds[2];
    pipe(fds);
    pid_t pid = fork();
    if (pid == 0) {
        close(fds[0]);
        char msg[64];
        int n = snprintf(msg, sizeof msg, "hello from the child, parent ok: %d", getppid() > 1);
        write(fds[1], msg, (size_t)n);
        _exit(7);
    }
    close(fds[1]);
    char buf[128] = {0};
    ssize_t n = read(fds[0], buf, sizeof buf - 1);
    printf("pipe: %zd bytes: %s\n", n, buf);
    int st;
    printf("wait returns the child: %d\n", waitpid(pid, &st, 0) == pid);
    show("child", st);
    /* every exit status, a few */
    for (int code = 0; code < 256; code += 85) {
        if ((pid = fork()) == 0)
            _exit(code);
        waitpid(pid, &st, 0);
        show("exit code", st);
    }
    /* a child killed by a signal it raises, and by SIGKILL from the parent */
    if ((pid = fork()) == 0) {
        raise(SIGTERM);
        _exit(1);
    }
    waitpid(pid, &st, 0);
    show("raise(SIGTERM)", st);
    if ((pid = fork()) == 0) {
        for (;;)
            pause();
    }
    kill(pid, SIGKILL);
    waitpid(pid, &st, 0);
    show("SIGKILL", st);
    /* a child that faults */
    if ((pid = fork()) == 0) {
        *(volatile int *)0 = 1;
        _exit(1);
    }
    waitpid(pid, &st, 0);
    show("null dereference", st);
    /* exec of itself through /proc/self/exe */
    if ((pid = fork()) == 0) {
        execl("/proc/self/exe", "procs", "child", "via /proc/self/exe", (char *)NULL);
        _exit(99);
    }
    waitpid(pid, &st, 0);
    show("exec /proc/self/exe", st);
    /* exec of a script */
    char script[] = "/tmp/vjprocsXXXXXX";
    int sfd = mkstemp(script);
    const char *text = "#!/bin/sh\necho \"script says $1\"\nexit 5\n";
    write(sfd, text, strlen(text));
    close(sfd);
    chmod(script, 0755);
    if ((pid = fork()) == 0) {
        execl(script, script, "hi", (char *)NULL);
        _exit(99);
    }
    waitpid(pid, &st, 0);
    show("exec script", st);
    unlink(script);
    /* in a child, a thread that ends leaves the process running */
    if ((pid = fork()) == 0) {
        pthread_t th;
        pthread_create(&th, NULL, worker, NULL);
        pthread_join(th, NULL);
        usleep(10000);
        printf("child still running after its thread ended\n");
        _exit(3);
    }
    waitpid(pid, &st, 0);
    show("child with a thread", st);
    /* job control: a child stops (by SIGSTOP it raises, by SIGTSTP sent to it), the parent
     * sees it stopped with that signal, continues or kills it */
    if ((pid = fork()) == 0) {
        raise(SIGSTOP);
        _exit(4);
    }
    waitpid(pid, &st, WUNTRACED);
    printf("stopped: %d by signal %d\n", WIFSTOPPED(st), WIFSTOPPED(st) ? WSTOPSIG(st) : 0);
    kill(pid, SIGCONT);
    while (waitpid(pid, &st, 0) == pid && !WIFEXITED(st) && !WIFSIGNALED(st))
        ;
    show("continued child", st);
    if ((pid = fork()) == 0) {
        for (;;)
            pause();
    }
    kill(pid, SIGTSTP);
    waitpid(pid, &st, WUNTRACED);
    printf("stopped: %d by signal %d\n", WIFSTOPPED(st), WIFSTOPPED(st) ? WSTOPSIG(st) : 0);
    kill(pid, SIGKILL);
    waitpid(pid, &st, 0);
    show("stopped child killed", st);
    /* a failed exec returns to the caller */
    errno = 0;
    execl("/nonexistent/program", "x", (char *)NULL);
    printf("failed exec: %s\n", errno == ENOENT ? "ENOENT" : strerror(errno));
    /* waitid with WNOHANG and no children */
    siginfo_t si;
    printf("waitid no children: %s\n", waitid(P_ALL, 0, &si, WEXITED | WNOHANG) < 0 && errno == ECHILD ? "ECHILD" : "?");
    /* __WALL and __WCLONE see the payload's children and nothing of vmjail's (on the process
     * platform its stub is the monitor's child): without children, each fails at once. */
    printf("wait4 __WALL no children: %s\n", wait4(-1, &st, __WALL, NULL) < 0 && errno == ECHILD ? "ECHILD" : "?");
    printf("wait4 __WCLONE no children: %s\n", wait4(-1, &st, __WCLONE, NULL) < 0 && errno == ECHILD ? "ECHILD" : "?");
    printf("waitid __WALL no children: %s\n", waitid(P_ALL, 0, &si, WEXITED | __WALL) < 0 && errno == ECHILD ? "ECHILD" : "?");
    if ((pid = fork()) == 0)
        _exit(9);
    printf("wait4 __WALL returns the child: %d\n", wait4(-1, &st, __WALL, NULL) == pid);
    show("__WALL child", st);
    if ((pid = fork()) == 0)
        _exit(10);
    printf("wait4 __WCLONE for a forked child: %s\n", wait4(pid, &st, __WCLONE, NULL) < 0 && errno == ECHILD ? "ECHILD" : "?");
    waitpid(pid, &st, 0);
    show("child after __WCLONE", st);
    return 0;
}
