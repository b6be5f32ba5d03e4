/* box_attach.c: `vmjail box attach BOX`: a running box's output from now on, and (a box run
 * with -d -i) this process's stdin into the box's, until the box ends or Ctrl-C detaches. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli/box.h"
#include "cli/cli.h"

static volatile sig_atomic_t detached;
static void on_int(int sig)
{
    (void)sig;
    detached = 1;
}

static void copy_new(int fd)
{
    char buf[16384];
    ssize_t n;
    while ((n = read(fd, buf, sizeof buf)) > 0)
        if (write(1, buf, (size_t)n) != n)
            break;
}

int box_cmd_attach(int argc, char **argv)
{
    static const struct option longs[] = {{"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
    int i = cli_getopts(argc, argv, "+h", longs,
                        "usage: vmjail box attach BOX\n\nPrints what the running BOX writes from now "
                        "on, and passes this stdin on to it\nif it was run with -d -i, until it ends; "
                        "Ctrl-C (SIGINT) detaches, the box goes on.\n", NULL, NULL);
    if (i <= 0)
        return i < 0 ? EXIT_VMJAIL_ERROR : 0;
    if (i != argc - 1) {
        cli_error("box attach: one box expected (try 'vmjail box attach --help')");
        return EXIT_VMJAIL_ERROR;
    }
    char dir[4200], path[4300];
    vmjail_error *err = NULL;
    struct box b;
    if (box_dir(dir, sizeof dir, &err) < 0 || box_find(dir, argv[i], &b, &err) < 0)
        return cli_fail_container(err);
    if (!box_running(&b)) {
        cli_error("box attach: box %s (%.12s) is not running", b.name, b.id);
        box_free(&b);
        return EXIT_VMJAIL_ERROR;
    }
    box_path(path, sizeof path, dir, b.id, "log");
    int log = open(path, O_RDONLY | O_CLOEXEC);
    if (log >= 0)
        lseek(log, 0, SEEK_END);
    box_path(path, sizeof path, dir, b.id, "stdin");
    int in = open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC); /* none: a box without -d -i */
    if (in >= 0)
        fcntl(in, F_SETFL, 0);
    struct sigaction sa = {.sa_handler = on_int};
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    bool reading = in >= 0;
    int rc = 0;
    while (!detached) {
        struct pollfd p = {reading ? 0 : -1, POLLIN, 0};
        if (poll(&p, 1, 100) > 0 && p.revents) {
            char buf[4096];
            ssize_t n = read(0, buf, sizeof buf);
            if (n <= 0 || write(in, buf, (size_t)n) != n)
                reading = false; /* our stdin ended (the box's does not), or the box went */
        }
        if (log >= 0)
            copy_new(log);
        struct box now;
        if (box_load(dir, b.id, &now, NULL) < 0)
            break;
        box_refresh(dir, &now);
        bool running = box_running(&now);
        rc = now.exit_code < 0 ? EXIT_VMJAIL_ERROR : now.exit_code;
        box_free(&now);
        if (!running) {
            if (log >= 0)
                copy_new(log);
            break;
        }
    }
    if (detached)
        rc = 0;
    if (log >= 0)
        close(log);
    if (in >= 0)
        close(in);
    box_free(&b);
    return rc;
}
