/* box_ops.c: `vmjail box logs [-f] BOX`, `box stop [-t S] BOX...`, `box rm [-f] BOX...`. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/box.h"
#include "cli/cli.h"
#include "image/image.h"
#include "lib/error.h"

/* The options of a command on boxes (cli_getopts), then at least one BOX: its index, 0
 * after --help, -1 after an error. */
static int parse(int argc, char **argv, const char *shorts, const struct option *longs,
                 const char *usage, int (*on)(int c, const char *arg, void *ctx))
{
    int i = cli_getopts(argc, argv, shorts, longs, usage, on, NULL);
    if (i > 0 && i >= argc) {
        cli_error("box %s: a box expected (try 'vmjail box %s --help')", argv[0], argv[0]);
        return -1;
    }
    return i;
}

static bool follow;
static int on_logs(int c, const char *arg, void *ctx)
{
    (void)arg;
    (void)ctx;
    follow = c == 'f';
    return 0;
}

static void copy_out(int fd)
{
    char buf[16384];
    ssize_t n;
    while ((n = read(fd, buf, sizeof buf)) > 0)
        if (fwrite(buf, 1, (size_t)n, stdout) != (size_t)n)
            break;
    fflush(stdout);
}

int box_cmd_logs(int argc, char **argv)
{
    static const struct option longs[] = {
        {"follow", no_argument, NULL, 'f'}, {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
    follow = false;
    int i = parse(argc, argv, "+fh", longs,
                  "usage: vmjail box logs [-f] BOX\n\nPrints what BOX's program wrote (stdout and "
                  "stderr, as written); -f goes on\nprinting until the box ends.\n", on_logs);
    if (i <= 0)
        return i < 0 ? EXIT_VMJAIL_ERROR : 0;
    char dir[4200], path[4300];
    vmjail_error *err = NULL;
    struct box b;
    if (box_dir(dir, sizeof dir, &err) < 0 || box_find(dir, argv[i], &b, &err) < 0)
        return cli_fail_container(err);
    box_path(path, sizeof path, dir, b.id, "log");
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0 && errno != ENOENT) {
        cli_error("box logs: %s: %s", path, strerror(errno));
        box_free(&b);
        return EXIT_VMJAIL_ERROR;
    }
    if (fd >= 0)
        copy_out(fd);
    while (follow) {
        struct box now;
        bool more = box_load(dir, b.id, &now, NULL) == 0;
        if (more) {
            box_refresh(dir, &now);
            more = box_running(&now);
            box_free(&now);
        }
        if (fd < 0)
            fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd >= 0)
            copy_out(fd); /* after the state: what the box wrote before it ended */
        if (!more)
            break;
        usleep(100000);
    }
    if (fd >= 0)
        close(fd);
    box_free(&b);
    return 0;
}

/* Stop B: SIGTERM, SIGKILL after TIMEOUT seconds; 0 once it has ended. */
static int stop(const char *dir, struct box *b, int timeout)
{
    if (!box_running(b))
        return 0;
    if (box_alive(b->pid, b->pid_start) && timeout > 0) {
        box_kill(b, SIGTERM);
        if (box_wait(dir, b, timeout * 1000) == 0)
            return 0;
    }
    box_kill(b, SIGKILL);
    if (box_wait(dir, b, 10000) == 0)
        return 0;
    /* the supervisor does not answer: kill it too, and record the box as ended */
    if (box_alive(b->sup_pid, b->sup_start))
        kill(b->sup_pid, SIGKILL);
    return box_wait(dir, b, 2000);
}

static int timeout_s;
static bool force;
static int on_stop(int c, const char *arg, void *ctx)
{
    char *end;
    (void)ctx;
    if (c == 't') {
        timeout_s = (int)strtol(arg, &end, 10);
        if (*arg == '\0' || *end || timeout_s < 0) {
            cli_error("box stop: -t takes seconds, not '%s'", arg);
            return -1;
        }
    }
    if (c == 'f')
        force = true;
    return 0;
}

/* Each BOX of ARGV from I: stop it (STOP) or remove it; the name printed as podman does. */
static int each(int argc, char **argv, int i, bool is_stop)
{
    char dir[4200];
    vmjail_error *err = NULL;
    if (box_dir(dir, sizeof dir, &err) < 0)
        return cli_fail_container(err);
    int rc = 0;
    for (; i < argc; i++) {
        struct box b;
        if (box_find(dir, argv[i], &b, &err) < 0) {
            rc = cli_fail_container(err);
            err = NULL;
            continue;
        }
        if (!is_stop && box_running(&b) && !force) {
            cli_error("box rm: box %s (%.12s) is running: stop it first, or rm -f", b.name, b.id);
            rc = EXIT_VMJAIL_ERROR;
        } else if (stop(dir, &b, is_stop ? timeout_s : 0) < 0) {
            cli_error("box %s: box %s (%.12s) did not stop", argv[0], b.name, b.id);
            rc = EXIT_VMJAIL_ERROR;
        } else if (!is_stop) {
            if (box_remove(dir, b.id) < 0 && errno != ENOENT) {
                cli_error("box rm: removing %s/%s: %s", dir, b.id, strerror(errno));
                rc = EXIT_VMJAIL_ERROR;
            } else {
                printf("%s\n", argv[i]);
            }
        } else {
            printf("%s\n", argv[i]);
        }
        box_free(&b);
    }
    /* The image trees removed boxes stood on, which no image needs any more (an rmi made
     * while they existed kept them: img_store_gc). */
    struct img_store *s;
    if (!is_stop && cli_store_open(true, &s) == 0) {
        vmjail_error *gerr = NULL;
        if (img_store_gc(s, &gerr) < 0)
            vmjail_error_free(gerr); /* kept, not lost: the next rmi tries again */
        img_store_close(s);
    }
    return rc;
}

int box_cmd_stop(int argc, char **argv)
{
    static const struct option longs[] = {{"time", required_argument, NULL, 't'},
        {"timeout", required_argument, NULL, 't'}, {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
    timeout_s = 10;
    int i = parse(argc, argv, "+t:h", longs,
                  "usage: vmjail box stop [-t SECONDS] BOX...\n\nSends each BOX's program SIGTERM, "
                  "then SIGKILL after SECONDS (10).\n", on_stop);
    return i <= 0 ? (i < 0 ? EXIT_VMJAIL_ERROR : 0) : each(argc, argv, i, true);
}

int box_cmd_rm(int argc, char **argv)
{
    static const struct option longs[] = {
        {"force", no_argument, NULL, 'f'}, {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
    force = false;
    int i = parse(argc, argv, "+fh", longs,
                  "usage: vmjail box rm [-f] BOX...\n\nRemoves each BOX (its writable layer or copy of "
                  "the image, its log, its state); a running box\nonly with -f, which kills it first.\n", on_stop);
    return i <= 0 ? (i < 0 ? EXIT_VMJAIL_ERROR : 0) : each(argc, argv, i, false);
}
