/* run.c: one run of a vmjail command line for an invocation: the body written to its stdin,
 * its stdout and the tail of its stderr collected, killed (its process group) at a deadline. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "faas/faas.h"
#include "lib/error.h"

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void keep_tail(struct faas_run_result *r, size_t *len, const char *buf, size_t n)
{
    size_t cap = sizeof r->err_tail - 1;
    if (n >= cap) {
        memcpy(r->err_tail, buf + n - cap, cap);
        *len = cap;
    } else {
        if (*len + n > cap) {
            size_t drop = *len + n - cap;
            memmove(r->err_tail, r->err_tail + drop, *len - drop);
            *len -= drop;
        }
        memcpy(r->err_tail + *len, buf, n);
        *len += n;
    }
    r->err_tail[*len] = '\0';
}

static pid_t start(char *const argv[], char *const envp[], int in[2], int out[2], int err_[2])
{
    pid_t pid = fork();
    if (pid != 0)
        return pid;
    /* the child: its own process group, so that the deadline kills all of it */
    setpgid(0, 0);
    dup2(in[0], 0);
    dup2(out[1], 1);
    dup2(err_[1], 2);
    for (int fd = 3; fd < 1024; fd++)
        close(fd);
    signal(SIGPIPE, SIG_DFL);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    execve(argv[0], argv, envp);
    _exit(127);
}

int faas_run(char *const argv[], char *const envp[], const void *body, size_t len,
             unsigned timeout_ms, size_t out_max, struct faas_run_result *r, vmjail_error **err)
{
    memset(r, 0, sizeof *r);
    r->status = -1;
    int in[2] = {-1, -1}, out[2] = {-1, -1}, er[2] = {-1, -1};
    if (pipe2(in, O_CLOEXEC) < 0 || pipe2(out, O_CLOEXEC) < 0 || pipe2(er, O_CLOEXEC) < 0) {
        int e = errno;
        for (int i = 0; i < 2; i++) {
            if (in[i] >= 0) close(in[i]);
            if (out[i] >= 0) close(out[i]);
            if (er[i] >= 0) close(er[i]);
        }
        return vj_error(err, VMJAIL_ERR_INTERNAL, e, "pipe");
    }
    double t0 = now();
    pid_t pid = start(argv, envp, in, out, er);
    int e = errno;
    close(in[0]);
    close(out[1]);
    close(er[1]);
    if (pid < 0) {
        close(in[1]);
        close(out[0]);
        close(er[0]);
        return vj_error(err, VMJAIL_ERR_INTERNAL, e, "fork");
    }
    setpgid(pid, pid); /* as the child does, against the race */
    fcntl(in[1], F_SETFL, O_NONBLOCK);
    size_t sent = 0, cap = 0, tail = 0;
    if (len == 0) {
        close(in[1]);
        in[1] = -1;
    }
    double deadline = t0 + timeout_ms / 1000.0;
    while (out[0] >= 0 || er[0] >= 0) {
        struct pollfd p[3] = {{in[1], POLLOUT, 0}, {out[0], POLLIN, 0}, {er[0], POLLIN, 0}};
        double left = deadline - now();
        if (left <= 0) {
            r->timed_out = true;
            break;
        }
        int n = poll(p, 3, (int)(left * 1000) + 1);
        if (n < 0 && errno != EINTR)
            break;
        if (n <= 0)
            continue;
        if (in[1] >= 0 && (p[0].revents & (POLLOUT | POLLERR | POLLHUP))) {
            ssize_t w = write(in[1], (const char *)body + sent, len - sent);
            if (w > 0)
                sent += (size_t)w;
            if ((w < 0 && errno != EAGAIN) || sent == len) {
                close(in[1]);
                in[1] = -1;
            }
        }
        char buf[65536];
        if (out[0] >= 0 && (p[1].revents & (POLLIN | POLLHUP | POLLERR))) {
            ssize_t k = read(out[0], buf, sizeof buf);
            if (k <= 0) {
                close(out[0]);
                out[0] = -1;
            } else if (r->out_len + (size_t)k > out_max) {
                r->too_much = true;
            } else {
                if (r->out_len + (size_t)k + 1 > cap) {
                    size_t nc = (r->out_len + (size_t)k + 1) * 2;
                    char *m = realloc(r->out, nc);
                    if (m == NULL) {
                        r->too_much = true;
                        continue;
                    }
                    r->out = m;
                    cap = nc;
                }
                memcpy(r->out + r->out_len, buf, (size_t)k);
                r->out_len += (size_t)k;
                r->out[r->out_len] = '\0';
            }
        }
        if (er[0] >= 0 && (p[2].revents & (POLLIN | POLLHUP | POLLERR))) {
            ssize_t k = read(er[0], buf, sizeof buf);
            if (k <= 0) {
                close(er[0]);
                er[0] = -1;
            } else {
                keep_tail(r, &tail, buf, (size_t)k);
            }
        }
    }
    if (r->timed_out && pid > 0)
        kill(-pid, SIGKILL); /* the group (pid > 0: never kill(0) or kill(-1)) */
    if (in[1] >= 0)
        close(in[1]);
    if (out[0] >= 0)
        close(out[0]);
    if (er[0] >= 0)
        close(er[0]);
    int st = 0;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
        ;
    r->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    r->seconds = now() - t0;
    return 0;
}

void faas_run_result_free(struct faas_run_result *r)
{
    free(r->out);
    r->out = NULL;
}
