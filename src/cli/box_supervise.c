/* box_supervise.c: a box's supervisor (as conmon is podman's): a double-forked process of its
 * own session that runs the payload's `vmjail run`, keeps its output in the box's log (and
 * passes it on to an attached caller), and records its exit status and end in the state. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli/box.h"
#include "cli/cli.h"
#include "image/image.h"
#include "lib/error.h"

static void write_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return;
        p += w;
        n -= (size_t)w;
    }
}

/* Copy what is readable of FD to the log and (if >= 0) to OUT; false at EOF. */
static bool pump(int fd, int log, int *out)
{
    char buf[16384];
    ssize_t n = read(fd, buf, sizeof buf);
    if (n < 0 && (errno == EINTR || errno == EAGAIN))
        return true;
    if (n <= 0)
        return false;
    write_all(log, buf, (size_t)n);
    if (*out >= 0) {
        ssize_t w = write(*out, buf, (size_t)n);
        if (w < 0 && errno != EINTR && errno != EAGAIN)
            *out = -1; /* the caller went away: the box goes on, logged */
    }
    return true;
}

/* The supervisor: never returns. */
static void supervise(const char *dir, struct box *b, char **argv, bool stdin_too, bool tty,
                      int ready)
{
    char path[4200];
    signal(SIGPIPE, SIG_IGN);
    signal(SIGINT, SIG_IGN);
    signal(SIGHUP, SIG_IGN);
    prctl(PR_SET_NAME, "vmjail-box");
    /* A detached box with -i reads a FIFO that `box attach` writes (held open here: no EOF). */
    int in = -1;
    if (stdin_too && !b->attached) {
        box_path(path, sizeof path, dir, b->id, "stdin");
        if (mkfifo(path, 0600) < 0 || (in = open(path, O_RDWR | O_CLOEXEC)) < 0)
            _exit(EXIT_VMJAIL_ERROR);
    }
    box_path(path, sizeof path, dir, b->id, "log");
    int log = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    int out[2] = {-1, -1}, errp[2] = {-1, -1};
    if (log < 0 || (!tty && (pipe2(out, O_CLOEXEC) < 0 || pipe2(errp, O_CLOEXEC) < 0)))
        _exit(EXIT_VMJAIL_ERROR);
    int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
    pid_t pid = fork();
    if (pid < 0)
        _exit(EXIT_VMJAIL_ERROR);
    if (pid == 0) {
        /* A process group of the box's own, which box_kill ends whole when the supervisor is
         * gone (vmjail run's credentials change clears a parent-death signal). */
        setpgid(0, 0);
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        signal(SIGPIPE, SIG_DFL);
        signal(SIGINT, SIG_DFL);
        signal(SIGHUP, SIG_DFL);
        if (in >= 0)
            dup2(in, 0);
        else if (!stdin_too)
            dup2(devnull, 0);
        if (!tty) {
            dup2(out[1], 1);
            dup2(errp[1], 2);
        }
        execv(argv[0], argv);
        dprintf(2, "vmjail: %s: %s\n", argv[0], strerror(errno));
        _exit(EXIT_CANNOT_EXEC);
    }
    if (!tty) {
        close(out[1]);
        close(errp[1]);
    }
    /* Our own stdio: the caller's stdout and stderr when attached, else nothing. */
    dup2(devnull, 0);
    int tout = b->attached && !tty ? 1 : -1, terr = b->attached && !tty ? 2 : -1;
    if (!b->attached) {
        dup2(devnull, 1);
        dup2(devnull, 2);
    }
    b->pid = pid;
    b->pid_start = box_proc_start(pid);
    b->sup_pid = getpid();
    b->sup_start = box_proc_start(getpid());
    b->started = time(NULL);
    snprintf(b->state, sizeof b->state, "running");
    char r = box_save(dir, b, NULL) < 0 ? 'E' : 'R';
    write_all(ready, &r, 1);
    if (r == 'E')
        kill(pid, SIGKILL);
    int st = 0;
    bool open_out = !tty, open_err = !tty, ended = false;
    while (!ended) {
        struct pollfd p[2] = {{open_out ? out[0] : -1, POLLIN, 0}, {open_err ? errp[0] : -1, POLLIN, 0}};
        if (open_out || open_err) {
            if (poll(p, 2, 200) > 0) {
                if (p[0].revents && !pump(out[0], log, &tout))
                    open_out = false;
                if (p[1].revents && !pump(errp[0], log, &terr))
                    open_err = false;
            }
        } else {
            usleep(100000);
        }
        pid_t w = waitpid(pid, &st, open_out || open_err ? WNOHANG : 0);
        if (w == pid)
            ended = true;
    }
    /* The box ends with its program, as a container with its init: what is left of its group
     * (just reaped, its number is still the group's while the group has members). */
    if (pid > 1)
        kill(-pid, SIGKILL);
    /* What the payload wrote last (its children may hold the pipes: read what is there). */
    for (int i = 0; i < 2 && !tty; i++) {
        int fd = i ? errp[0] : out[0];
        fcntl(fd, F_SETFL, O_NONBLOCK);
        struct pollfd p = {fd, POLLIN, 0};
        while (poll(&p, 1, 0) > 0 && pump(fd, log, i ? &terr : &tout))
            ;
    }
    fsync(log);
    close(log);
    int code = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    struct box now;
    if (box_load(dir, b->id, &now, NULL) == 0) {
        snprintf(now.state, sizeof now.state, "exited");
        now.exit_code = code;
        now.finished = time(NULL);
        box_save(dir, &now, NULL);
        box_free(&now);
    }
    if (b->rm)
        box_remove(dir, b->id);
    else
        box_tree_release(dir, b->id); /* its writable layer stays until box rm */
    unsigned char s4[4] = {(unsigned char)code, 0, 0, 0};
    write_all(ready, (char *)s4, 4);
    _exit(0);
}

int box_start(const char *dir, struct box *b, char **argv, bool stdin_too, bool tty,
              int *status_fd, vmjail_error **err)
{
    int p[2];
    if (pipe2(p, O_CLOEXEC) < 0)
        return vj_error(err, VMJAIL_ERR_INTERNAL, errno, "pipe");
    fflush(NULL);
    pid_t child = fork();
    if (child < 0) {
        close(p[0]);
        close(p[1]);
        return vj_error(err, VMJAIL_ERR_INTERNAL, errno, "fork");
    }
    if (child == 0) {
        close(p[0]);
        setsid();
        pid_t sup = fork();
        if (sup == 0)
            supervise(dir, b, argv, stdin_too, tty, p[1]);
        _exit(sup < 0 ? 1 : 0);
    }
    close(p[1]);
    int st;
    while (waitpid(child, &st, 0) < 0 && errno == EINTR)
        ;
    char r = 0;
    ssize_t n;
    while ((n = read(p[0], &r, 1)) < 0 && errno == EINTR)
        ;
    if (n != 1 || r != 'R') {
        close(p[0]);
        return vj_error(err, VMJAIL_ERR_INTERNAL, 0, "box %.12s: its supervisor did not start it", b->id);
    }
    struct box now;
    if (box_load(dir, b->id, &now, NULL) == 0) {
        b->pid = now.pid;
        b->pid_start = now.pid_start;
        b->sup_pid = now.sup_pid;
        b->sup_start = now.sup_start;
        box_free(&now);
    }
    if (status_fd)
        *status_fd = p[0];
    else
        close(p[0]);
    return 0;
}

int box_wait(const char *dir, struct box *b, int timeout_ms)
{
    for (int waited = 0; timeout_ms < 0 || waited <= timeout_ms; waited += 50) {
        struct box now;
        if (box_load(dir, b->id, &now, NULL) < 0)
            return 0; /* removed */
        box_refresh(dir, &now);
        bool running = box_running(&now);
        box_free(&now);
        if (!running)
            return 0;
        usleep(50000);
    }
    return -1;
}
