/* cmd_load.c: `vmjail load -i FILE`: images from a docker-archive, an OCI archive or an OCI
 * layout directory into the image store. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "image/image.h"

static void print_loaded(const char *name, void *arg)
{
    (void)arg;
    printf("Loaded image: %s\n", name);
}

static int on_input(int c, const char *arg, void *ctx)
{
    (void)c; /* -i, the only one */
    *(const char **)ctx = arg;
    return 0;
}

int cmd_load(int argc, char **argv)
{
    static const struct option longs[] = {
        {"input", required_argument, NULL, 'i'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *input = NULL;
    int first = cli_getopts(argc, argv, "+i:h", longs,
                            "usage: vmjail load -i FILE\n\nLoads the images of FILE into the image "
                            "store: a docker-archive tar\n(docker save, skopeo's docker-archive:), an "
                            "OCI archive tar, or an OCI\nimage layout directory.  Prints each name "
                            "loaded.\n", on_input, &input);
    if (first <= 0)
        return first < 0 ? EXIT_VMJAIL_ERROR : 0;
    if (input == NULL || first != argc) {
        cli_error("load: -i FILE expected (try 'vmjail load --help')");
        return EXIT_VMJAIL_ERROR;
    }
    struct img_store *s;
    int rc = cli_store_open(true, &s);
    if (rc != 0)
        return rc;
    vmjail_error *err = NULL;
    rc = img_load(s, input, print_loaded, NULL, &err);
    img_store_close(s);
    return rc < 0 ? cli_fail(err) : 0;
}
