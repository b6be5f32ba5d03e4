/* image_exec.c: the image commands of the static vmjail: each runs vmjail-image, the same
 * command line linked dynamically (libcurl has no static build on Debian), found beside this
 * program or in ../libexec/vmjail/. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"

static int run_helper(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    char self[PATH_MAX], path[PATH_MAX + 64];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0) {
        cli_error("cannot find this program (/proc/self/exe): %s", strerror(errno));
        return EXIT_VMJAIL_ERROR;
    }
    self[n] = '\0';
    char *slash = strrchr(self, '/');
    if (slash)
        *slash = '\0';
    static const char *const places[] = {"/vmjail-image", "/../libexec/vmjail/vmjail-image"};
    for (size_t i = 0; i < sizeof places / sizeof *places; i++) {
        snprintf(path, sizeof path, "%s%s", self, places[i]);
        if (access(path, X_OK) == 0) {
            cli_global.argv[0] = path;
            execv(path, cli_global.argv);
            cli_error("%s: %s", path, strerror(errno));
            return EXIT_VMJAIL_ERROR;
        }
    }
    cli_error("the image commands need %s/vmjail-image (installed beside vmjail)", self);
    return EXIT_VMJAIL_ERROR;
}

int cmd_pull(int argc, char **argv)
{
    return run_helper(argc, argv);
}

int cmd_load(int argc, char **argv)
{
    return run_helper(argc, argv);
}

int cmd_images(int argc, char **argv)
{
    return run_helper(argc, argv);
}

int cmd_rmi(int argc, char **argv)
{
    return run_helper(argc, argv);
}

int cmd_box(int argc, char **argv)
{
    return run_helper(argc, argv);
}

int cmd_serve(int argc, char **argv)
{
    return run_helper(argc, argv);
}

int cmd_fn(int argc, char **argv)
{
    return run_helper(argc, argv);
}
