/* cmd_box.c: `vmjail box VERB ...`: the box group's dispatcher (run, ls, logs, stop, rm, attach). */
#include <stdio.h>
#include <string.h>

#include "cli/box.h"
#include "cli/cli.h"

static const char usage[] =
    "usage: vmjail box run [-d] [--name N] [--rm] [-i] [-t] [-e K=V] [-w DIR] [-u USER]\n"
    "                      [--entrypoint E] [-v HOST:GUEST[:ro]] [-p H:G] IMAGE [CMD...]\n"
    "       vmjail box ls [-a] [-q] [--format json]\n"
    "       vmjail box logs [-f] BOX\n"
    "       vmjail box stop [-t SECONDS] BOX...\n"
    "       vmjail box rm [-f] BOX...\n"
    "       vmjail box attach BOX\n"
    "\n"
    "Boxes: images of the store (vmjail pull, load) run in their own copy of the image's\n"
    "layers, under a supervisor that keeps their output and exit status.  A BOX is named by its\n"
    "name or a unique prefix of its ID.  'vmjail box VERB --help' for each.\n";

static const struct {
    const char *verb;
    int (*main)(int argc, char **argv);
} verbs[] = {
    {"run", box_cmd_run}, {"ls", box_cmd_ls}, {"ps", box_cmd_ls}, {"logs", box_cmd_logs},
    {"stop", box_cmd_stop}, {"rm", box_cmd_rm}, {"attach", box_cmd_attach},
};

int cmd_box(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        fputs(usage, argc < 2 ? stderr : stdout);
        return argc < 2 ? EXIT_VMJAIL_ERROR : 0;
    }
    for (size_t i = 0; i < sizeof verbs / sizeof *verbs; i++)
        if (strcmp(argv[1], verbs[i].verb) == 0)
            return verbs[i].main(argc - 1, argv + 1);
    if (strcmp(argv[1], "exec") == 0) {
        cli_error("box %s: not built yet", argv[1]);
        return EXIT_VMJAIL_ERROR;
    }
    cli_error("box: unknown verb '%s' (try 'vmjail box --help')", argv[1]);
    return EXIT_VMJAIL_ERROR;
}
