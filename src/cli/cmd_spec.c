/* cmd_spec.c: `vmjail spec`: write a default config.json (the same defaults as runc's) into
 * the bundle directory. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "oci/oci.h"

int cmd_spec(int argc, char **argv)
{
    static const struct option opts[] = {
        {"bundle", required_argument, NULL, 'b'},
        {"rootless", no_argument, NULL, 'r'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *bundle = ".";
    opterr = 0;
    optind = 1;
    int c;
    while ((c = getopt_long_only(argc, argv, "+b:h", opts, NULL)) != -1) {
        if (c == 'b') {
            bundle = optarg;
        } else if (c == 'h') {
            printf("usage: vmjail spec [--bundle DIR]\n\nWrites a default config.json "
                   "(root \"rootfs\", running sh) into DIR.\n");
            return 0;
        } else if (c == 'r') {
            cli_error("spec: --rootless is not supported yet");
            return EXIT_VMJAIL_ERROR;
        } else {
            cli_error("spec: unknown option '%s'", argv[optind - 1]);
            return EXIT_VMJAIL_ERROR;
        }
    }
    char path[4096];
    snprintf(path, sizeof path, "%s/config.json", bundle);
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0) {
        cli_error("spec: %s: %s", path, errno == EEXIST ? "already exists" : strerror(errno));
        return EXIT_VMJAIL_ERROR;
    }
    size_t len = strlen(oci_default_spec);
    if (write(fd, oci_default_spec, len) != (ssize_t)len || close(fd) < 0) {
        cli_error("spec: write %s: %s", path, strerror(errno));
        return EXIT_VMJAIL_ERROR;
    }
    return 0;
}
