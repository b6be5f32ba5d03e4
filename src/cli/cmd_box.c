/* cmd_box.c: `vmjail box run --rm [-e K=V] [-w DIR] [--entrypoint E] IMAGE [CMD...]`: an
 * image of the store run with its config's Entrypoint, Cmd, Env and WorkingDir, through
 * `vmjail run --root` on a fresh copy of its merged layers, removed when it ends. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli/cli.h"
#include "image/image.h"

static const char usage[] =
    "usage: vmjail box run --rm [-e NAME=VALUE]... [-w DIR] [--entrypoint PROG] IMAGE [CMD...]\n"
    "\n"
    "Runs IMAGE of the image store (vmjail pull, load) as `vmjail run --root` runs a directory:\n"
    "on a fresh copy of its layers, with its config's Entrypoint and Cmd (CMD replaces Cmd),\n"
    "Env and WorkingDir; the copy is removed when the program ends (--rm; boxes that stay are\n"
    "not built yet).  Exit status: the program's, as vmjail run's.\n";

/* Run ARGV (a full path) and wait: its exit status, or 128+N for signal N. */
static int run_wait(char **argv)
{
    pid_t pid = fork();
    if (pid < 0) {
        cli_error("fork: %s", strerror(errno));
        return EXIT_VMJAIL_ERROR;
    }
    if (pid == 0) {
        execv(argv[0], argv);
        fprintf(stderr, "vmjail: %s: %s\n", argv[0], strerror(errno));
        _exit(EXIT_VMJAIL_ERROR);
    }
    int st;
    while (waitpid(pid, &st, 0) < 0)
        if (errno != EINTR)
            return EXIT_VMJAIL_ERROR;
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static int box_run(int argc, char **argv)
{
    static const struct option longs[] = {
        {"rm", no_argument, NULL, 'r'},
        {"env", required_argument, NULL, 'e'},
        {"workdir", required_argument, NULL, 'w'},
        {"entrypoint", required_argument, NULL, 'E'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    bool rm = false;
    const char *workdir = NULL, *entry = NULL;
    char **envs = calloc((size_t)argc + 1, sizeof *envs);
    size_t nenv = 0;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "+e:w:h", longs, NULL)) != -1) {
        switch (c) {
        case 'r':
            rm = true;
            break;
        case 'e':
            envs[nenv++] = optarg;
            break;
        case 'w':
            workdir = optarg;
            break;
        case 'E':
            entry = optarg;
            break;
        case 'h':
            fputs(usage, stdout);
            free(envs);
            return 0;
        default:
            free(envs);
            return EXIT_VMJAIL_ERROR;
        }
    }
    if (optind >= argc || !rm) {
        cli_error(optind >= argc ? "box run: an image expected (try 'vmjail box run --help')"
                                 : "box run: only --rm boxes are built yet");
        free(envs);
        return EXIT_VMJAIL_ERROR;
    }
    const char *image = argv[optind];
    struct img_store *s;
    int rc = cli_store_open(true, &s);
    if (rc != 0) {
        free(envs);
        return rc;
    }
    vmjail_error *err = NULL;
    struct img_desc d;
    struct img_manifest m = {0};
    struct img_config cfg = {0};
    char *tree = NULL, copy[4200] = "", *root = strdup(s->root);
    if (img_store_find(s, image, &d, &err) < 0 || img_store_unpack(s, &d, &tree, &err) < 0 ||
        img_store_image(s, &d, &m, &cfg, &err) < 0) {
        img_store_close(s);
        free(envs);
        free(root);
        return cli_fail(err);
    }
    img_manifest_free(&m);
    /* The box's own copy, under the store (same file system: cp may reflink). */
    mkdir(strcat(strcpy(copy, root), "/boxes"), 0700);
    snprintf(copy, sizeof copy, "%s/boxes/box-XXXXXX", root);
    if (mkdtemp(copy) == NULL || rmdir(copy) < 0) {
        cli_error("box run: %s: %s", copy, strerror(errno));
        img_store_close(s);
        copy[0] = '\0';
        rc = EXIT_VMJAIL_ERROR;
        goto out;
    }
    char *cp[] = {"/bin/cp", "-a", "--reflink=auto", tree, copy, NULL};
    int cprc = run_wait(cp);
    img_store_close(s); /* copied under the lock; the run does not hold it */
    if (cprc != 0) {
        cli_error("box run: copying %s failed", tree);
        rc = EXIT_VMJAIL_ERROR;
        goto out;
    }
    /* vmjail run --root COPY --env ... --cwd W -- ENTRYPOINT CMD */
    size_t max = 16 + 2 * (nenv + 64) + (size_t)argc;
    for (size_t i = 0; cfg.env && cfg.env[i]; i++)
        max += 2;
    for (size_t i = 0; cfg.entrypoint && cfg.entrypoint[i]; i++)
        max++;
    for (size_t i = 0; cfg.cmd && cfg.cmd[i]; i++)
        max++;
    char **a = calloc(max, sizeof *a);
    size_t n = 0;
    a[n++] = "/proc/self/exe";
    a[n++] = "run";
    a[n++] = "--root";
    a[n++] = copy;
    for (size_t i = 0; cfg.env && cfg.env[i]; i++) {
        a[n++] = "--env";
        a[n++] = cfg.env[i];
    }
    for (size_t i = 0; i < nenv; i++) {
        a[n++] = "--env";
        a[n++] = envs[i];
    }
    const char *wd = workdir ? workdir : cfg.workdir && cfg.workdir[0] ? cfg.workdir : NULL;
    if (wd) {
        a[n++] = "--cwd";
        a[n++] = (char *)wd;
    }
    a[n++] = "--";
    size_t first = n;
    if (entry)
        a[n++] = (char *)entry;
    else
        for (size_t i = 0; cfg.entrypoint && cfg.entrypoint[i]; i++)
            a[n++] = cfg.entrypoint[i];
    if (optind + 1 < argc)
        for (int i = optind + 1; i < argc; i++)
            a[n++] = argv[i];
    else
        for (size_t i = 0; cfg.cmd && cfg.cmd[i]; i++)
            a[n++] = cfg.cmd[i];
    if (n == first) {
        cli_error("box run: %s has no Entrypoint or Cmd, and no command was given", image);
        rc = EXIT_VMJAIL_ERROR;
    } else {
        rc = run_wait(a);
    }
    free(a);
out:
    if (copy[0]) {
        int dfd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
        img_rm_rf_at(dfd, copy + 1);
        close(dfd);
    }
    img_config_free(&cfg);
    free(tree);
    free(envs);
    free(root);
    return rc;
}

int cmd_box(int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "run") == 0)
        return box_run(argc - 1, argv + 1);
    if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        fputs(usage, stdout);
        return 0;
    }
    cli_error("box: only 'box run --rm' is built yet (try 'vmjail box run --help')");
    return EXIT_VMJAIL_ERROR;
}
