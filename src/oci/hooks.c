/* hooks.c: runs the config's hooks (prestart, createRuntime, poststart, poststop, ...), each
 * with the container's state JSON on its stdin and an optional timeout. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lib/error.h"
#include "oci/oci.h"

static const char *const hook_names[OCI_HOOK_KINDS] = {
    "prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop",
};

static int run_hook(const struct oci_hook *h, const char *kind, const char *state_json,
                    vmjail_error **err)
{
    int in[2];
    if (pipe2(in, O_CLOEXEC) < 0)
        return vj_error(err, VMJAIL_ERR_INTERNAL, errno, "%s hook %s: pipe", kind, h->path);
    pid_t pid = fork();
    if (pid < 0) {
        int e = errno;
        close(in[0]);
        close(in[1]);
        return vj_error(err, VMJAIL_ERR_INTERNAL, e, "%s hook %s: fork", kind, h->path);
    }
    if (pid == 0) {
        dup2(in[0], 0);
        char *const default_args[] = {h->path, NULL};
        char *const empty_env[] = {NULL};
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        execve(h->path, h->args && h->args[0] ? h->args : default_args,
               h->env ? h->env : empty_env);
        _exit(127);
    }
    close(in[0]);
    struct sigaction ign = {.sa_handler = SIG_IGN}, old;
    sigaction(SIGPIPE, &ign, &old);
    size_t len = strlen(state_json), done = 0;
    while (done < len) {
        ssize_t n = write(in[1], state_json + done, len - done);
        if (n <= 0 && errno != EINTR)
            break; /* a hook need not read its stdin */
        if (n > 0)
            done += (size_t)n;
    }
    close(in[1]);
    sigaction(SIGPIPE, &old, NULL);
    struct timespec start;
    clock_gettime(CLOCK_MONOTONIC, &start);
    int status;
    for (;;) {
        pid_t w = waitpid(pid, &status, h->timeout ? WNOHANG : 0);
        if (w == pid)
            break;
        if (w < 0 && errno != EINTR)
            return vj_error(err, VMJAIL_ERR_INTERNAL, errno, "%s hook %s: wait", kind, h->path);
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        if (h->timeout && now.tv_sec - start.tv_sec >= h->timeout) {
            kill(pid, SIGKILL);
            waitpid(pid, &status, 0);
            return vj_error(err, VMJAIL_ERR_INTERNAL, 0, "%s hook %s: timed out after %d s",
                            kind, h->path, h->timeout);
        }
        usleep(2000);
    }
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
        return 0;
    if (WIFEXITED(status))
        return vj_error(err, VMJAIL_ERR_INTERNAL, 0, "%s hook %s: exit status %d", kind, h->path,
                        WEXITSTATUS(status));
    return vj_error(err, VMJAIL_ERR_INTERNAL, 0, "%s hook %s: killed by signal %d", kind,
                    h->path, WTERMSIG(status));
}

int oci_hooks_run(const struct oci_spec *spec, enum oci_hook_kind kind, const char *state_json,
                  vmjail_error **err)
{
    const struct oci_hooks *hooks = &spec->hooks[kind];
    for (size_t i = 0; i < hooks->n; i++)
        if (run_hook(&hooks->v[i], hook_names[kind], state_json, err) < 0)
            return -1;
    return 0;
}
