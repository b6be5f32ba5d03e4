/* argv.c: the vmjail command lines that run a function (from its snapshot, cold, or an image
 * as `box run --rm`), and the one that takes its snapshot at deploy time. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "faas/faas.h"
#include "lib/error.h"

static void add(char ***v, size_t *n, const char *s)
{
    char **m = realloc(*v, (*n + 2) * sizeof **v);
    if (m == NULL)
        abort(); /* a few pointers */
    *v = m;
    m[(*n)++] = s ? strdup(s) : NULL;
    m[*n] = NULL;
}

static void addf(char ***v, size_t *n, const char *a, const char *b)
{
    char *s;
    if (asprintf(&s, "%s%s", a, b) < 0)
        abort();
    add(v, n, s);
    free(s);
}

void faas_argv_free(struct faas_argv *a)
{
    for (size_t i = 0; i < a->argc; i++)
        free(a->argv[i]);
    for (size_t i = 0; i < a->envc; i++)
        free(a->envp[i]);
    free(a->argv);
    free(a->envp);
    memset(a, 0, sizeof *a);
}

/* The payload's environment: a PATH, the function's variables, the request's. The image
 * store's place is passed on to box run. */
static void base_env(struct faas_argv *a, const struct faas_fn *fn, char *const http_env[])
{
    add(&a->envp, &a->envc, "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
    const char *store = getenv("VMJAIL_STORE");
    if (store && fn->image)
        addf(&a->envp, &a->envc, "VMJAIL_STORE=", store);
    if (!fn->image) {
        for (size_t i = 0; i < fn->nenv; i++)
            add(&a->envp, &a->envc, fn->env[i]);
        for (size_t i = 0; http_env && http_env[i]; i++)
            add(&a->envp, &a->envc, http_env[i]);
    }
    if (a->envp == NULL)
        add(&a->envp, &a->envc, NULL);
}

static void memory(struct faas_argv *a, const struct faas_fn *fn)
{
    if (fn->memory == 0)
        return;
    char m[32];
    snprintf(m, sizeof m, "%lluM", (unsigned long long)(fn->memory >> 20));
    add(&a->argv, &a->argc, "--memory");
    add(&a->argv, &a->argc, m);
}

/* The end of a program function's `vmjail run`: its memory, then "--", the program and its
 * arguments. */
static void program_tail(struct faas_argv *a, const struct faas_fn *fn)
{
    memory(a, fn);
    add(&a->argv, &a->argc, "--");
    add(&a->argv, &a->argc, fn->program);
    for (size_t i = 0; i < fn->nargs; i++)
        add(&a->argv, &a->argc, fn->args[i]);
}

int faas_argv_invoke(struct faas_argv *a, const char *vmjail, const struct faas_fn *fn,
                     const char *snapshot, char *const http_env[])
{
    memset(a, 0, sizeof *a);
    base_env(a, fn, http_env);
    add(&a->argv, &a->argc, vmjail);
    if (fn->image) {
        /* A name of its own, for removing the box should the invocation time out. */
        unsigned char rnd[8] = {0};
        if (getrandom(rnd, sizeof rnd, 0) != (ssize_t)sizeof rnd)
            snprintf((char *)rnd, sizeof rnd, "%07x", (unsigned)getpid() & 0xfffffff);
        snprintf(a->box, sizeof a->box, "faas-%02x%02x%02x%02x%02x%02x%02x%02x", rnd[0], rnd[1],
                 rnd[2], rnd[3], rnd[4], rnd[5], rnd[6], rnd[7]);
        add(&a->argv, &a->argc, "box");
        add(&a->argv, &a->argc, "run");
        add(&a->argv, &a->argc, "--rm");
        add(&a->argv, &a->argc, "--name");
        add(&a->argv, &a->argc, a->box);
        for (size_t i = 0; i < fn->nenv; i++) {
            add(&a->argv, &a->argc, "-e");
            add(&a->argv, &a->argc, fn->env[i]);
        }
        for (size_t i = 0; http_env && http_env[i]; i++) {
            add(&a->argv, &a->argc, "-e");
            add(&a->argv, &a->argc, http_env[i]);
        }
        add(&a->argv, &a->argc, fn->image);
        for (size_t i = 0; i < fn->nargs; i++)
            add(&a->argv, &a->argc, fn->args[i]);
        return 0;
    }
    add(&a->argv, &a->argc, "run");
    if (snapshot) {
        add(&a->argv, &a->argc, "--from");
        add(&a->argv, &a->argc, snapshot);
        return 0;
    }
    program_tail(a, fn);
    return 0;
}

int faas_argv_box_rm(struct faas_argv *a, const char *vmjail, const struct faas_argv *inv)
{
    memset(a, 0, sizeof *a);
    for (size_t i = 0; i < inv->envc && inv->envp[i]; i++) /* PATH, VMJAIL_STORE */
        if (strncmp(inv->envp[i], "PATH=", 5) == 0 || strncmp(inv->envp[i], "VMJAIL_STORE=", 13) == 0)
            add(&a->envp, &a->envc, inv->envp[i]);
    if (a->envp == NULL)
        add(&a->envp, &a->envc, NULL);
    add(&a->argv, &a->argc, vmjail);
    add(&a->argv, &a->argc, "box");
    add(&a->argv, &a->argc, "rm");
    add(&a->argv, &a->argc, "-f");
    add(&a->argv, &a->argc, inv->box);
    return 0;
}

int faas_argv_snapshot(struct faas_argv *a, const char *vmjail, const struct faas_fn *fn,
                       const char *file)
{
    memset(a, 0, sizeof *a);
    base_env(a, fn, NULL);
    add(&a->argv, &a->argc, vmjail);
    add(&a->argv, &a->argc, "run");
    add(&a->argv, &a->argc, "--snapshot-at");
    add(&a->argv, &a->argc, fn->snapshot_at);
    add(&a->argv, &a->argc, "--snapshot-file");
    add(&a->argv, &a->argc, file);
    program_tail(a, fn);
    return 0;
}

static int take(const char *vmjail, const struct faas_fn *fn, const char *out, char *why,
                size_t why_size)
{
    char tmp[4400];
    if (fn->image || strcmp(fn->snapshot_at, "none") == 0) {
        snprintf(why, why_size, "%s",
                 fn->image ? "an image's function runs with --root, which snapshots do not "
                             "take yet: it starts cold"
                           : "snapshot_at is none: it starts cold");
        return -1;
    }
    snprintf(tmp, sizeof tmp, "%s.tmp", out);
    unlink(tmp);
    struct faas_argv a;
    faas_argv_snapshot(&a, vmjail, fn, tmp);
    struct faas_run_result r;
    vmjail_error *err = NULL;
    int rc = faas_run(a.argv, a.envp, NULL, 0, 60000, 1u << 16, &r, &err);
    faas_argv_free(&a);
    if (rc < 0) {
        snprintf(why, why_size, "snapshot: %s: it starts cold", vmjail_error_message(err));
        vmjail_error_free(err);
        return -1;
    }
    if (r.timed_out || r.status != 0 || access(tmp, R_OK) != 0) {
        char *t = r.err_tail;
        t[strcspn(t, "\n")] = '\0'; /* its first line */
        if (strncmp(t, "vmjail: ", 8) == 0)
            t += 8;
        snprintf(why, why_size, "%s: it starts cold",
                 r.timed_out ? "snapshot: the program did not reach its mark within 60 s"
                 : *t        ? t
                             : "snapshot: the program ended before its mark");
        faas_run_result_free(&r);
        unlink(tmp);
        return -1;
    }
    faas_run_result_free(&r);
    if (rename(tmp, out) < 0) {
        snprintf(why, why_size, "snapshot: %s: %s: it starts cold", out, strerror(errno));
        unlink(tmp);
        return -1;
    }
    why[0] = '\0';
    return 0;
}

int faas_snapshot_take(const struct faas_state *st, const char *vmjail, const struct faas_fn *fn,
                       char *out, size_t size, char *why, size_t why_size)
{
    faas_snapshot_path(st, fn->name, out, size);
    int rc = take(vmjail, fn, out, why, why_size);
    if (rc < 0)
        unlink(out); /* no stale snapshot of an earlier version */
    return rc;
}
