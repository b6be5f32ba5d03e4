/* main.c: the vmjail command: dispatches to a subcommand from the table. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"

const struct cli_command cli_commands[] = {
    {"run", "run a program inside its own VM (or, runc-style, a container)", cmd_run},
    {"create", "create a container from an OCI bundle, waiting before its first instruction",
     cmd_create},
    {"start", "start a created container", cmd_start},
    {"state", "print the OCI state of a container", cmd_state},
    {"kill", "send a signal to a container's process", cmd_kill},
    {"delete", "delete a stopped (or, with --force, any) container", cmd_delete},
    {"exec", "run another process, in its own VM, inside a container", cmd_exec},
    {"ps", "list the processes of a container", cmd_ps},
    {"list", "list the containers", cmd_list},
    {"pause", "freeze every process of a container", cmd_pause},
    {"resume", "thaw a paused container", cmd_resume},
    {"pull", "pull an image from a registry into the image store", cmd_pull},
    {"load", "load an image from a docker-archive, an OCI archive or an OCI layout", cmd_load},
    {"images", "list the images of the image store", cmd_images},
    {"rmi", "remove an image from the image store", cmd_rmi},
    {"box", "boxes of images: box run [-d] IMAGE, box ls, logs, stop, rm, attach", cmd_box},
    {"serve", "the functions-as-a-service gateway (docs/faas.md)", cmd_serve},
    {"fn", "deploy, invoke, list and remove functions of vmjail serve", cmd_fn},
    {"features", "print what this runtime supports (JSON)", cmd_features},
    {"info", "say which platforms this host can run payloads on", cmd_info},
    {"spec", "write a default config.json", cmd_spec},
    {"checkpoint", "(not supported)", cmd_unsupported},
    {"restore", "(not supported)", cmd_unsupported},
    {"version", "print the version", cmd_version},
    {"help", "list the commands", cmd_help},
    {NULL, NULL, NULL},
};

/* The message to the --log file, as text or as runc's JSON lines. */
static void log_error(const char *msg)
{
    if (cli_global.log_fd < 0)
        return;
    char line[2048], t[64];
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    strftime(t, sizeof t, "%Y-%m-%dT%H:%M:%SZ", &tm);
    if (cli_global.log_json) {
        char esc[1200];
        size_t j = 0;
        for (const char *c = msg; *c && j < sizeof esc - 7; c++) {
            if (*c == '"' || *c == '\\') {
                esc[j++] = '\\';
                esc[j++] = *c;
            } else if ((unsigned char)*c < 0x20) {
                j += (size_t)snprintf(esc + j, sizeof esc - j, "\\u%04x", *c);
            } else {
                esc[j++] = *c;
            }
        }
        esc[j] = '\0';
        snprintf(line, sizeof line, "{\"level\":\"error\",\"msg\":\"%s\",\"time\":\"%s\"}\n",
                 esc, t);
    } else {
        snprintf(line, sizeof line, "time=\"%s\" level=error msg=\"%s\"\n", t, msg);
    }
    if (write(cli_global.log_fd, line, strlen(line)) < 0) {
        /* nothing more to do: the message went to stderr too */
    }
}

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
    log_error(msg);
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
    printf("usage: vmjail [GLOBAL OPTIONS] COMMAND [OPTIONS] [ARGS]\n\ncommands:\n");
    for (const struct cli_command *c = cli_commands; c->name; c++)
        printf("  %-10s %s\n", c->name, c->summary);
    printf("\nglobal options (for the OCI runtime's commands, as runc's):\n"
           "  --root DIR          container state (default /run/vmjail)\n"
           "  --log FILE          also write errors to FILE\n"
           "  --log-format F      text (default) or json\n"
           "  --systemd-cgroup    accepted; cgroups are managed through cgroupfs\n"
           "  --store DIR         the image store (default /var/lib/vmjail, rootless\n"
           "                      $XDG_DATA_HOME/vmjail; also $VMJAIL_STORE)\n"
           "\n'vmjail COMMAND --help' describes a command.\n");
    return 0;
}

int cmd_version(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    printf("vmjail %s\nspec: 1.0.2\n", vmjail_version());
    return 0;
}

int main(int argc, char **argv)
{
    cli_global.argc = argc;
    cli_global.argv = argv;
    int g = cli_parse_global(argc, argv);
    if (g < 0)
        return EXIT_VMJAIL_ERROR;
    argc -= g;
    argv += g;
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
