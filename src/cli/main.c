/* main.c: the vmjail command: dispatches to a subcommand from the table. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

const struct cli_command cli_commands[] = {
    {"run", "run a program inside its own VM", cmd_run},
    {"version", "print the version", cmd_version},
    {"help", "list the commands", cmd_help},
    {NULL, NULL, NULL},
};

void cli_error(const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    for (char *c = msg; *c; c++) /* one line, whatever the message holds */
        if (*c == '\n')
            *c = ' ';
    fprintf(stderr, "vmjail: %s\n", msg);
}

int cli_fail(vmjail_error *err)
{
    int code = EXIT_VMJAIL_ERROR;
    switch (vmjail_error_kind(err)) {
    case VMJAIL_ERR_NOEXEC:
        code = EXIT_CANNOT_EXEC;
        break;
    case VMJAIL_ERR_NOTFOUND:
        code = EXIT_NOT_FOUND;
        break;
    default:
        break;
    }
    cli_error("%s", vmjail_error_message(err));
    vmjail_error_free(err);
    return code;
}

int cmd_help(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    printf("usage: vmjail COMMAND [OPTIONS] [ARGS]\n\ncommands:\n");
    for (const struct cli_command *c = cli_commands; c->name; c++)
        printf("  %-10s %s\n", c->name, c->summary);
    printf("\n'vmjail COMMAND --help' describes a command.\n");
    return 0;
}

int cmd_version(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    printf("vmjail %s\n", vmjail_version());
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        cli_error("no command given (try 'vmjail help')");
        return EXIT_VMJAIL_ERROR;
    }
    const char *name = argv[1];
    if (strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0)
        name = "help";
    if (strcmp(name, "--version") == 0)
        name = "version";
    for (const struct cli_command *c = cli_commands; c->name; c++)
        if (strcmp(c->name, name) == 0)
            return c->main(argc - 1, argv + 1);
    cli_error("unknown command '%s' (try 'vmjail help')", argv[1]);
    return EXIT_VMJAIL_ERROR;
}
