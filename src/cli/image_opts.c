/* image_opts.c: the option loop the image and box commands share (pull, load, images, rmi,
 * box ...): getopt_long, --help printing the command's usage, --format json|table. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

int cli_getopts(int argc, char **argv, const char *shorts, const struct option *longs,
                const char *usage, int (*on)(int c, const char *arg, void *ctx), void *ctx)
{
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, shorts, longs, NULL)) != -1) {
        if (c == 'h') {
            fputs(usage, stdout);
            return 0;
        }
        if (c == '?' || c == ':' || on == NULL || on(c, optarg, ctx) < 0)
            return -1;
    }
    return optind;
}

int cli_parse_format(const char *cmd, const char *arg, bool *json)
{
    if (strcmp(arg, "json") != 0 && strcmp(arg, "table") != 0) {
        cli_error("%s: --format takes json or table, not '%s'", cmd, arg);
        return -1;
    }
    *json = strcmp(arg, "json") == 0;
    return 0;
}

int cli_list_option(int c, const char *arg, void *ctx)
{
    struct cli_list_opts *o = ctx;
    switch (c) {
    case 'a':
        o->all = true;
        return 0;
    case 'q':
        o->quiet = true;
        return 0;
    case 'n':
        o->notrunc = true;
        return 0;
    case 'f':
        return cli_parse_format(o->cmd, arg, &o->json);
    default:
        return -1;
    }
}
