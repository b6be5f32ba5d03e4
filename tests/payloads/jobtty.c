/* jobtty.c: job control on a terminal (a pseudo-terminal this payload makes and controls,
 * with TOSTOP): a process of a background group that writes or reads it gets SIGTTOU or
 * SIGTTIN: stopped by default, its handler run (the call fails with EINTR), ignored (the
 * write goes through, the read fails with EIO), blocked (the write goes through). */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

static volatile sig_atomic_t caught;

static void on_signal(int s)
{
    caught = s;
}

/* In a background process group of the terminal TTY: one case. */
static int background(const char *what, int tty)
{
    char c = 'x';
    ssize_t n;
    if (strcmp(what, "write, default") == 0 || strcmp(what, "read, default") == 0) {
        n = what[0] == 'w' ? write(tty, &c, 1) : read(tty, &c, 1);
        printf("%s: not stopped (%zd)\n", what, n);
        return 1;
    }
    int s = strncmp(what, "write", 5) == 0 ? SIGTTOU : SIGTTIN;
    if (strstr(what, "handler")) {
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = on_signal;
        sigaction(s, &sa, NULL);
    } else if (strstr(what, "ignored")) {
        signal(s, SIG_IGN);
    } else if (strstr(what, "blocked")) {
        sigset_t set;
        sigemptyset(&set);
        sigaddset(&set, s);
        sigprocmask(SIG_BLOCK, &set, NULL);
    }
    errno = 0;
    n = s == SIGTTOU ? write(tty, &c, 1) : read(tty, &c, 1);
    printf("%s: returned %zd (%s), handler %s\n", what, n, n < 0 ? strerror(errno) : "ok",
           caught == s ? "ran" : "did not run");
    return 0;
}

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    int master = posix_openpt(O_RDWR | O_NOCTTY);
    if (master < 0 || grantpt(master) < 0 || unlockpt(master) < 0) {
        printf("no pseudo-terminal\n");
        return 0;
    }
    char name[64];
    if (ptsname_r(master, name, sizeof name) != 0)
        return 1;
    pid_t leader = fork();
    if (leader == 0) {
        /* a session of its own, the terminal its controlling terminal, TOSTOP on */
        setsid();
        int tty = open(name, O_RDWR);
        if (tty < 0 || ioctl(tty, TIOCSCTTY, 0) < 0) {
            printf("cannot take the terminal\n");
            _exit(1);
        }
        struct termios t;
        tcgetattr(tty, &t);
        t.c_lflag |= TOSTOP;
        tcsetattr(tty, TCSANOW, &t);
        static const char *const cases[] = {
            "write, default", "write, handler", "write, ignored", "write, blocked",
            "read, default",  "read, handler",  "read, ignored",  NULL};
        for (int i = 0; cases[i]; i++) {
            pid_t pid = fork();
            if (pid == 0) {
                setpgid(0, 0); /* a background group: the leader's is the foreground one */
                _exit(background(cases[i], tty));
            }
            int st;
            waitpid(pid, &st, WUNTRACED);
            if (WIFSTOPPED(st)) {
                printf("%s: stopped by %s\n", cases[i],
                       WSTOPSIG(st) == SIGTTOU ? "SIGTTOU" : WSTOPSIG(st) == SIGTTIN ? "SIGTTIN" : "another signal");
                kill(pid, SIGKILL);
                waitpid(pid, &st, 0);
            } else {
                printf("%s: exited %d\n", cases[i], WIFEXITED(st) ? WEXITSTATUS(st) : -1);
            }
        }
        _exit(0);
    }
    int st;
    waitpid(leader, &st, 0);
    return 0;
}
