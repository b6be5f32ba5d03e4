/* two-sandboxes.c: libvmjail's handle API in one page: the same command run in two sandboxes
 * side by side, each one's output read through a pipe, their ends polled together.
 *
 *   cc two-sandboxes.c $(pkg-config --cflags --libs vmjail) -o two-sandboxes
 *   ./two-sandboxes [--root DIR] PROGRAM [ARG...]
 *
 * With --root, each runs confined with DIR as its "/" (no network, a fresh /proc and /tmp);
 * without, as `vmjail run` runs a program.  Prints each sandbox's output and how it ended;
 * exits 0 if both ran and exited 0. */
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <vmjail.h>

static int fail(const char *what, vmjail_error *err)
{
    fprintf(stderr, "two-sandboxes: %s: %s\n", what, vmjail_error_message(err));
    vmjail_error_free(err);
    return 1;
}

int main(int argc, char **argv)
{
    int first = 1;
    const char *root = NULL;
    if (argc > 2 && strcmp(argv[1], "--root") == 0) {
        root = argv[2];
        first = 3;
    }
    if (first >= argc) {
        fprintf(stderr, "usage: two-sandboxes [--root DIR] PROGRAM [ARG...]\n");
        return 2;
    }
    vmjail_error *err = NULL;
    vmjail_config *cfg = vmjail_config_new(&err);
    char *env[] = {"PATH=/usr/bin:/bin", NULL};
    if (cfg == NULL || vmjail_config_set_program(cfg, argv[first], argc - first, argv + first,
                                                 &err) < 0 ||
        vmjail_config_set_env(cfg, env, &err) < 0 ||
        (root && vmjail_config_set_root(cfg, root, &err) < 0))
        return fail("configuration", err);

    vmjail_sandbox *sb[2];
    int out[2];
    for (int i = 0; i < 2; i++) {
        int p[2];
        if (pipe(p) < 0) {
            perror("pipe");
            return 1;
        }
        sb[i] = vmjail_sandbox_create(cfg, &err);
        if (sb[i] == NULL || vmjail_sandbox_set_stdio(sb[i], -1, p[1], 2, &err) < 0 ||
            vmjail_sandbox_start(sb[i], &err) < 0)
            return fail("start", err);
        close(p[1]); /* the sandbox has its own copy */
        out[i] = p[0];
    }
    vmjail_config_free(cfg); /* each sandbox has its own copy */

    /* Read both outputs to their ends, then poll the two handles until both have ended. */
    char buf[2][4096];
    size_t len[2] = {0, 0};
    for (int open_pipes = 2; open_pipes > 0;) {
        struct pollfd pf[2] = {{.fd = out[0], .events = POLLIN}, {.fd = out[1], .events = POLLIN}};
        if (poll(pf, 2, -1) < 0)
            continue;
        for (int i = 0; i < 2; i++) {
            if (out[i] < 0 || !(pf[i].revents & (POLLIN | POLLHUP)))
                continue;
            ssize_t n = read(out[i], buf[i] + len[i], sizeof buf[i] - 1 - len[i]);
            if (n > 0) {
                len[i] += (size_t)n;
            } else {
                close(out[i]);
                out[i] = -1;
                open_pipes--;
            }
        }
    }
    int ended[2] = {0, 0};
    while (!ended[0] || !ended[1]) {
        struct pollfd pf[2];
        for (int i = 0; i < 2; i++) /* a negative descriptor: not polled */
            pf[i] = (struct pollfd){.fd = ended[i] ? -1 : vmjail_sandbox_fd(sb[i]), .events = POLLIN};
        if (poll(pf, 2, -1) > 0)
            for (int i = 0; i < 2; i++)
                ended[i] |= (pf[i].revents & POLLIN) != 0;
    }
    int status = 0;
    for (int i = 0; i < 2; i++) {
        struct vmjail_result res;
        if (vmjail_sandbox_wait(sb[i], 0, &res, &err) < 0) {
            status = fail("wait", err);
            vmjail_sandbox_destroy(sb[i]);
            continue;
        }
        buf[i][len[i]] = '\0';
        printf("sandbox %d (pid %d) output:\n%s", i + 1, vmjail_sandbox_pid(sb[i]), buf[i]);
        if (res.signaled)
            printf("sandbox %d: killed by signal %d\n", i + 1, res.signal);
        else
            printf("sandbox %d: exit status %d\n", i + 1, res.exit_code);
        if (res.signaled || res.exit_code != 0)
            status = 1;
        vmjail_sandbox_destroy(sb[i]);
    }
    return status;
}
