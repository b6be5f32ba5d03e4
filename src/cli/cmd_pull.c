/* cmd_pull.c: `vmjail pull [-q] [--tls-verify=false] [--authfile FILE] REF`: an image from a
 * registry into the image store; its ID on stdout. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "image/image.h"

int cli_store_open(bool write, struct img_store **s)
{
    char def[4096];
    const char *root = cli_global.store ? cli_global.store : img_store_default(def, sizeof def);
    vmjail_error *err = NULL;
    if (img_store_open(root, write, s, &err) < 0)
        return cli_fail(err);
    return 0;
}

static int on_pull(int c, const char *arg, void *ctx)
{
    struct img_pull_opts *o = ctx;
    if (c == 'q') {
        o->quiet = true;
    } else if (c == 'a') {
        o->auth_file = arg;
    } else if (strcmp(arg, "true") != 0 && strcmp(arg, "false") != 0) {
        cli_error("pull: --tls-verify takes true or false, not '%s'", arg);
        return -1;
    } else {
        o->tls_verify = strcmp(arg, "true") == 0;
    }
    return 0;
}

int cmd_pull(int argc, char **argv)
{
    static const struct option longs[] = {
        {"quiet", no_argument, NULL, 'q'},
        {"tls-verify", required_argument, NULL, 't'},
        {"authfile", required_argument, NULL, 'a'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct img_pull_opts o = {.tls_verify = true, .progress = isatty(2) == 1};
    int first = cli_getopts(argc, argv, "+qh", longs,
                            "usage: vmjail pull [-q] [--tls-verify=false] [--authfile FILE] REF\n\n"
                            "Pulls the linux/amd64 image REF (docker.io/library/busybox:latest,\n"
                            "localhost:5000/x:1, NAME@sha256:...) into the image store and prints its ID.\n"
                            "  -q, --quiet          only the ID\n"
                            "  --tls-verify=false   plain http (or https without verification) for any\n"
                            "                       registry; localhost and 127.0.0.1 always use http\n"
                            "  --authfile FILE      credentials (default: $REGISTRY_AUTH_FILE,\n"
                            "                       $XDG_RUNTIME_DIR/containers/auth.json, ~/.docker/config.json)\n",
                            on_pull, &o);
    if (first <= 0)
        return first < 0 ? EXIT_VMJAIL_ERROR : 0;
    if (first != argc - 1) {
        cli_error("pull: one image reference expected (try 'vmjail pull --help')");
        return EXIT_VMJAIL_ERROR;
    }
    struct img_store *s;
    int rc = cli_store_open(true, &s);
    if (rc != 0)
        return rc;
    char id[IMG_DIGEST_LEN];
    vmjail_error *err = NULL;
    rc = img_pull(s, argv[first], &o, id, &err);
    img_store_close(s);
    if (rc < 0)
        return cli_fail(err);
    printf("%s\n", id + 7);
    return 0;
}
