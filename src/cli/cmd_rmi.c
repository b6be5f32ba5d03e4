/* cmd_rmi.c: `vmjail rmi IMAGE...`: names (or IDs) out of the image store, and what no name
 * needs any more. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "image/image.h"

int cmd_rmi(int argc, char **argv)
{
    static const struct option longs[] = {{"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
    int first = cli_getopts(argc, argv, "+h", longs,
                            "usage: vmjail rmi IMAGE...\n\nRemoves each IMAGE (a name, as pulled or "
                            "short, or a prefix of its ID) from the\nimage store, then the blobs and "
                            "unpacked trees no other image needs.\n", NULL, NULL);
    if (first <= 0)
        return first < 0 ? EXIT_VMJAIL_ERROR : 0;
    if (first >= argc) {
        cli_error("rmi: an image expected (try 'vmjail rmi --help')");
        return EXIT_VMJAIL_ERROR;
    }
    struct img_store *s;
    int rc = cli_store_open(true, &s);
    if (rc != 0)
        return rc;
    for (int i = first; i < argc; i++) {
        vmjail_error *err = NULL;
        if (img_store_remove(s, argv[i], &err) < 0) {
            rc = cli_fail(err);
            break;
        }
        printf("Untagged: %s\n", argv[i]);
    }
    img_store_close(s);
    return rc;
}
