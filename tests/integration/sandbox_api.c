/* sandbox_api.c: libvmjail's sandbox handles and confinement options, driven through the public
 * API as an embedder drives them; one "ok"/"not ok" line per check, exit status 1 if any
 * failed.  Run by tests/integration/library.
 *
 *   sandbox_api HELLO [ROOT]
 *
 * HELLO: a static program printing "hello, world" (tests/payloads/hello.c).  ROOT: a busybox
 * root (its /bin/sh), for the confined cases; without it they are not run (said in the output).
 * VJ_PLATFORM (kvm or process) picks the platform. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "vmjail.h"

static int failed, checks;

static void check(int ok, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void check(int ok, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    printf("%s %d - ", ok ? "ok" : "not ok", ++checks);
    vprintf(fmt, ap);
    printf("\n");
    va_end(ap);
    fflush(stdout);
    failed += !ok;
}

static int platform = VMJAIL_PLATFORM_AUTO;

static vmjail_config *config(const char *program, char *const *argv)
{
    vmjail_config *c = vmjail_config_new(NULL);
    int argc = 0;
    while (argv[argc])
        argc++;
    char *env[] = {"PATH=/bin:/usr/bin", NULL};
    if (c == NULL || vmjail_config_set_program(c, program, argc, argv, NULL) < 0 ||
        vmjail_config_set_env(c, env, NULL) < 0 ||
        vmjail_config_set_platform(c, platform, NULL) < 0) {
        fprintf(stderr, "sandbox_api: configuration failed\n");
        exit(2);
    }
    return c;
}

/* Start a sandbox of CFG with its stdout (and stderr) into a pipe; *OUT its read end. */
static vmjail_sandbox *start(const vmjail_config *cfg, int in, int *out, vmjail_error **err)
{
    int p[2];
    if (pipe2(p, O_CLOEXEC) < 0)
        exit(2);
    vmjail_sandbox *sb = vmjail_sandbox_create(cfg, err);
    if (sb == NULL || vmjail_sandbox_set_stdio(sb, in, p[1], p[1], err) < 0 ||
        vmjail_sandbox_start(sb, err) < 0) {
        close(p[0]);
        close(p[1]);
        vmjail_sandbox_destroy(sb);
        return NULL;
    }
    close(p[1]);
    *out = p[0];
    return sb;
}

static void read_all(int fd, char *buf, size_t size)
{
    size_t n = 0;
    ssize_t r;
    while (n + 1 < size && (r = read(fd, buf + n, size - 1 - n)) > 0)
        n += (size_t)r;
    buf[n] = '\0';
    close(fd);
}

/* Run CFG to its end: its output in OUT, how it ended in *RES; the wait's return. */
static int run(const vmjail_config *cfg, char *out, size_t size, struct vmjail_result *res,
               vmjail_error **err)
{
    int fd;
    vmjail_sandbox *sb = start(cfg, -1, &fd, err);
    if (sb == NULL)
        return -2;
    read_all(fd, out, size);
    int r = vmjail_sandbox_wait(sb, 0, res, err);
    vmjail_sandbox_destroy(sb);
    return r;
}

static int gone(pid_t pid)
{
    return kill(pid, 0) < 0 && errno == ESRCH;
}

/* vmjail_run in the caller's own process (a child made for it): the caller's interval timer
 * comes back after a payload that set its own (the signals payload, next to HELLO). */
static void caller_timers(const char *hello)
{
    char prog[4096];
    snprintf(prog, sizeof prog, "%s", hello);
    char *slash = strrchr(prog, '/');
    if (slash == NULL)
        return;
    snprintf(slash + 1, sizeof prog - (size_t)(slash + 1 - prog), "signals");
    pid_t pid = fork();
    if (pid == 0) {
        int devnull = open("/dev/null", O_WRONLY);
        dup2(devnull, 1);
        struct itimerval mine = {{0, 0}, {1000, 0}}, now;
        setitimer(ITIMER_REAL, &mine, NULL);
        vmjail_config *c = config(prog, (char *[]){"signals", NULL});
        struct vmjail_result res;
        int r = vmjail_run(c, &res, NULL);
        getitimer(ITIMER_REAL, &now);
        /* (its own end is its own: it ends itself with SIGTERM) */
        _exit(r == 0 && now.it_value.tv_sec > 900 && now.it_value.tv_sec <= 1000
                  ? 0
                  : 1 + (r != 0) * 2 + (now.it_value.tv_sec <= 900) * 4);
    }
    int st = 0;
    waitpid(pid, &st, 0);
    check(WIFEXITED(st) && WEXITSTATUS(st) == 0,
          "vmjail_run in the caller's process: the caller's interval timer is its own again "
          "after a payload that set one (status %d)", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
}

static void unconfined(const char *hello)
{
    vmjail_error *err = NULL;
    char out[4096];
    struct vmjail_result res;

    vmjail_config *c = vmjail_config_new(NULL);
    int none = vmjail_sandbox_create(c, &err) == NULL;
    check(none && err && vmjail_error_kind(err) == VMJAIL_ERR_USAGE,
          "create without a program: a usage error (%s)", vmjail_error_message(err));
    vmjail_error_free(err);
    err = NULL;
    vmjail_config_free(c);

    c = config(hello, (char *[]){"hello", NULL});
    int r = run(c, out, sizeof out, &res, &err);
    check(r == 1 && !res.signaled && res.exit_code == 0 && strcmp(out, "hello, world\n") == 0,
          "run a program: its output through the pipe, status 0 (wait %d, status %d, '%s')", r,
          res.exit_code, out);

    /* Four at once from one process, each with its own output. */
    vmjail_sandbox *sb[4];
    int fds[4], ok = 1;
    for (int i = 0; i < 4; i++)
        if ((sb[i] = start(c, -1, &fds[i], &err)) == NULL)
            ok = 0;
    for (int i = 0; ok && i < 4; i++) {
        read_all(fds[i], out, sizeof out);
        ok = vmjail_sandbox_wait(sb[i], 0, &res, &err) == 1 && res.exit_code == 0 &&
             strcmp(out, "hello, world\n") == 0;
    }
    for (int i = 0; i < 4; i++)
        vmjail_sandbox_destroy(sb[i]);
    check(ok, "four sandboxes at once: each its output and status 0");
    vmjail_config_free(c);

    c = config("/nonexistent/program", (char *[]){"x", NULL});
    vmjail_sandbox *s = vmjail_sandbox_create(c, &err);
    r = s ? vmjail_sandbox_start(s, &err) : -2;
    check(r == -1 && err && vmjail_error_kind(err) == VMJAIL_ERR_NOTFOUND,
          "a program that is not there: start fails, not found (%s)", vmjail_error_message(err));
    vmjail_error_free(err);
    err = NULL;
    struct vmjail_result res2;
    r = vmjail_sandbox_wait(s, 0, &res2, &err);
    check(r == -1 && err, "wait on a sandbox never started: an error (%s)",
          vmjail_error_message(err));
    vmjail_error_free(err);
    err = NULL;
    vmjail_sandbox_destroy(s);
    vmjail_config_free(c);

    c = config(hello, (char *[]){"hello", NULL});
    none = vmjail_config_add_volume(c, "/tmp", "/mnt", 0, NULL) == 0 &&
           vmjail_sandbox_create(c, &err) == NULL;
    check(none && err && strstr(vmjail_error_message(err), "volume needs a root"),
          "a volume without a root: refused at create (%s)", vmjail_error_message(err));
    vmjail_error_free(err);
    err = NULL;
    vmjail_config_free(c);
    c = config(hello, (char *[]){"hello", NULL});
    r = vmjail_config_add_volume(c, "/tmp", "relative", 0, &err);
    check(r == -1 && err, "a volume at a relative path inside: refused (%s)",
          vmjail_error_message(err));
    vmjail_error_free(err);
    err = NULL;
    s = vmjail_sandbox_create(c, NULL); /* the refused volume left nothing set */
    r = s ? vmjail_sandbox_set_stdio(s, 987, 1, 2, &err) : -2;
    check(r == -1 && err, "stdio: a descriptor that is not open is refused (%s)",
          vmjail_error_message(err));
    vmjail_error_free(err);
    err = NULL;
    vmjail_sandbox_destroy(s);
    vmjail_config_free(c);
}

/* The same, through a shell inside ROOT: status, stdin, kill, nohang, destroy. */
static void with_shell(const char *sh, const char *root)
{
    vmjail_error *err = NULL;
    char out[4096];
    struct vmjail_result res;
    const char *where = root ? "confined" : "unconfined";

    vmjail_config *c = config(sh, (char *[]){"sh", "-c", "echo ran; exit 7", NULL});
    if (root)
        vmjail_config_set_root(c, root, NULL);
    int r = run(c, out, sizeof out, &res, &err);
    check(r == 1 && !res.signaled && res.exit_code == 7 && strcmp(out, "ran\n") == 0,
          "%s: exit status 7 and the output (wait %d: %s)", where, r,
          r < 0 ? vmjail_error_message(err) : out);
    vmjail_error_free(err);
    err = NULL;
    vmjail_config_free(c);

    /* stdin from the caller's pipe */
    c = config(sh, (char *[]){"sh", "-c", "read a; echo got $a", NULL});
    if (root)
        vmjail_config_set_root(c, root, NULL);
    int in[2], fd;
    if (pipe2(in, O_CLOEXEC) < 0)
        exit(2);
    vmjail_sandbox *s = start(c, in[0], &fd, &err);
    close(in[0]);
    (void)!write(in[1], "word\n", 5);
    close(in[1]);
    if (s)
        read_all(fd, out, sizeof out);
    r = s ? vmjail_sandbox_wait(s, 0, &res, &err) : -2;
    check(r == 1 && res.exit_code == 0 && strcmp(out, "got word\n") == 0,
          "%s: stdin from the caller's descriptor (wait %d, '%s')", where, r, s ? out : "");
    vmjail_sandbox_destroy(s);
    vmjail_config_free(c);

    /* A long one: wait with nohang says 0; SIGTERM ends it; its descriptor polls readable. */
    c = config(sh, (char *[]){"sh", "-c", "echo up; exec sleep 30", NULL});
    if (root)
        vmjail_config_set_root(c, root, NULL);
    s = start(c, -1, &fd, &err);
    char line[16] = "";
    ssize_t n = s ? read(fd, line, sizeof line - 1) : -1; /* it runs once it says so */
    r = s ? vmjail_sandbox_wait(s, 1, &res, &err) : -2;
    check(n > 0 && r == 0, "%s: wait with nohang while it runs: 0", where);
    struct pollfd pf = {.fd = vmjail_sandbox_fd(s), .events = POLLIN};
    check(s && poll(&pf, 1, 0) == 0, "%s: its descriptor is not readable while it runs", where);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    int k = s ? vmjail_sandbox_kill(s, SIGTERM, &err) : -2;
    int p = s ? poll(&pf, 1, 10000) : -1;
    r = s ? vmjail_sandbox_wait(s, 0, &res, &err) : -2;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    check(k == 0 && p == 1 && r == 1 && res.signaled && res.signal == SIGTERM &&
              t1.tv_sec - t0.tv_sec < 10,
          "%s: kill SIGTERM ends it, its descriptor polls readable, wait says SIGTERM "
          "(kill %d poll %d wait %d signaled %d signal %d)",
          where, k, p, r, res.signaled, res.signal);
    r = s ? vmjail_sandbox_kill(s, SIGTERM, &err) : -2;
    check(r == -1 && err && vmjail_error_errno(err) == ESRCH,
          "%s: kill after its end: ESRCH (%s)", where, vmjail_error_message(err));
    vmjail_error_free(err);
    err = NULL;
    if (fd >= 0)
        close(fd);
    vmjail_sandbox_destroy(s);

    /* destroy of a running one ends it and its processes */
    s = start(c, -1, &fd, &err);
    n = s ? read(fd, line, sizeof line - 1) : -1;
    pid_t pid = vmjail_sandbox_pid(s);
    vmjail_sandbox_destroy(s);
    check(n > 0 && pid > 0 && gone(pid), "%s: destroy of a running sandbox ends it", where);
    /* its output pipe: every writer gone (the payload and its helpers) */
    int flags = fcntl(fd, F_GETFL);
    fcntl(fd, F_SETFL, flags | O_NONBLOCK);
    int eof = 0;
    for (int i = 0; i < 100 && !eof; i++) {
        n = read(fd, line, sizeof line);
        if (n == 0)
            eof = 1;
        else
            usleep(50000);
    }
    check(eof, "%s: nothing of it left writing its output", where);
    close(fd);
    vmjail_config_free(c);
}

static void confined(const char *root, const char *vol)
{
    vmjail_error *err = NULL;
    char out[4096];
    struct vmjail_result res;
    vmjail_config *c = config("/bin/sh", (char *[]){"sh", "-c",
        "cat /vol/file; hostname; (echo x > /vol/new) 2>/dev/null || echo ro; "
        "echo y > /tmp/t && cat /tmp/t; "
        "ls /proc | grep -c '^[0-9]'", NULL});
    int r = vmjail_config_set_root(c, root, &err) == 0 &&
            vmjail_config_add_volume(c, vol, "/vol", 1, &err) == 0 &&
            vmjail_config_set_hostname(c, "api-box", &err) == 0 &&
            vmjail_config_set_read_only(c, 1, &err) == 0 &&
            vmjail_config_set_network(c, VMJAIL_NETWORK_NONE, &err) == 0
        ? run(c, out, sizeof out, &res, &err) : -3;
    const char *want = "the volume's file\napi-box\nro\ny\n3\n";
    check(r == 1 && res.exit_code == 0 && strcmp(out, want) == 0,
          "confined: a read-only volume, the hostname, /tmp, its own /proc (wait %d: '%s')", r,
          r < 0 ? vmjail_error_message(err) : out);
    vmjail_error_free(err);
    err = NULL;
    struct stat st;
    check(stat("/tmp/t", &st) < 0 || st.st_mtime < time(NULL) - 60,
          "confined: its /tmp is not the host's");
    vmjail_config_free(c);

    c = config("/bin/no-such-program", (char *[]){"x", NULL});
    vmjail_config_set_root(c, root, NULL);
    r = run(c, out, sizeof out, &res, &err);
    check(r == 1 && res.exit_code == 127 && strstr(out, "no-such-program"),
          "confined: a program not in the root: status 127 and one line (wait %d, status %d, "
          "'%s')", r, res.exit_code, out);
    vmjail_config_free(c);

    c = config("/bin/sh", (char *[]){"sh", "-c", "true", NULL});
    vmjail_config_set_root(c, "/nonexistent/root", NULL);
    r = run(c, out, sizeof out, &res, &err);
    check(r == -1 && err && strstr(vmjail_error_message(err), "/nonexistent/root"),
          "confined: a root that is not there: wait's error (%s)", vmjail_error_message(err));
    vmjail_error_free(err);
    err = NULL;
    vmjail_config_free(c);

    /* vmjail_run with a root: the same sandbox in the foreground */
    c = config("/bin/sh", (char *[]){"sh", "-c", "[ $(hostname) = vmjail ] && exit 3", NULL});
    vmjail_config_set_root(c, root, NULL);
    pid_t pid = fork();
    if (pid == 0) {
        int rr = vmjail_run(c, &res, NULL);
        _exit(rr == 0 && !res.signaled ? res.exit_code : 99);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    check(WIFEXITED(status) && WEXITSTATUS(status) == 3,
          "confined: vmjail_run with a root runs it in a sandbox in the foreground (%d)",
          WIFEXITED(status) ? WEXITSTATUS(status) : -1);
    vmjail_config_free(c);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: sandbox_api HELLO [ROOT VOLUME]\n");
        return 2;
    }
    const char *p = getenv("VJ_PLATFORM");
    if (p && *p)
        platform = vmjail_platform_by_name(p);
    setvbuf(stdout, NULL, _IOLBF, 0);
    unconfined(argv[1]);
    caller_timers(argv[1]);
    if (argc >= 4) {
        char sh[4096];
        snprintf(sh, sizeof sh, "%s/bin/sh", argv[2]);
        with_shell(sh, NULL);
        with_shell("/bin/sh", argv[2]);
        confined(argv[2], argv[3]);
    } else {
        printf("# NOT RUN: the confined and shell cases need a busybox root (root only)\n");
    }
    printf("%d checks, %d failed\n", checks, failed);
    return failed != 0;
}
