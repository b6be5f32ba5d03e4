/* cmd_info.c: `vmjail info`: what this host offers vmjail: each platform, usable or not and
 * why, and the one `--platform auto` (the default) takes. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "vmjail.h"

int cmd_info(int argc, char **argv)
{
    if (argc > 1 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        printf("usage: vmjail info\n\nSays, for each platform (kvm, process), whether this host "
               "can run payloads on it and, if not, why; then which one --platform auto (the "
               "default of vmjail run) takes.\nExit status: 0, or 1 if none can be used.\n");
        return 0;
    }
    if (argc > 1) {
        fprintf(stderr, "vmjail: info takes no arguments\n");
        return 125;
    }
    static const struct {
        int which;
        const char *name, *what;
    } platforms[] = {
        {VMJAIL_PLATFORM_KVM, "kvm", "a KVM virtual machine per process"},
        {VMJAIL_PLATFORM_PROCESS, "process", "a host process whose every system call traps"},
    };
    const char *pick = NULL;
    for (size_t i = 0; i < sizeof platforms / sizeof platforms[0]; i++) {
        vmjail_error *err = NULL;
        if (vmjail_platform_usable(platforms[i].which, &err) == 0) {
            printf("platform %-8s usable: %s\n", platforms[i].name, platforms[i].what);
            if (pick == NULL)
                pick = platforms[i].name;
        } else {
            printf("platform %-8s not usable: %s\n", platforms[i].name, vmjail_error_message(err));
        }
        vmjail_error_free(err);
    }
    printf("platform auto     (the default) takes: %s\n", pick ? pick : "none");
    return pick ? 0 : 1;
}
