/* box_ls.c: `vmjail box ls [-a] [-q] [--no-trunc] [--format json|table]`: the boxes, as
 * podman ps lists containers. */
#include <getopt.h>
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cli/box.h"
#include "cli/cli.h"

static const char usage[] =
    "usage: vmjail box ls [-a] [-q] [--no-trunc] [--format json|table]\n"
    "\n"
    "Lists the running boxes (-a: every box): BOX ID, IMAGE, COMMAND, CREATED, STATUS, PORTS,\n"
    "NAMES; -q only their IDs.\n";

static void join(char **v, char *buf, size_t n)
{
    buf[0] = '\0';
    for (size_t i = 0; v && v[i]; i++) {
        size_t len = strlen(buf);
        snprintf(buf + len, n - len, "%s%s", i ? " " : "", v[i]);
    }
}

static json_object *as_json(const struct box *b)
{
    char status[120];
    box_status(b, status, sizeof status);
    json_object *o = json_object_new_object();
    json_object_object_add(o, "Id", json_object_new_string(b->id));
    json_object *names = json_object_new_array();
    json_object_array_add(names, json_object_new_string(b->name));
    json_object_object_add(o, "Names", names);
    json_object_object_add(o, "Image", json_object_new_string(b->image));
    json_object_object_add(o, "ImageID", json_object_new_string(b->image_id));
    json_object *cmd = json_object_new_array();
    for (size_t i = 0; b->command && b->command[i]; i++)
        json_object_array_add(cmd, json_object_new_string(b->command[i]));
    json_object_object_add(o, "Command", cmd);
    json_object_object_add(o, "Created", json_object_new_int64(b->created));
    json_object_object_add(o, "State", json_object_new_string(b->state));
    json_object_object_add(o, "Status", json_object_new_string(status));
    json_object_object_add(o, "Exited", json_object_new_boolean(strcmp(b->state, "exited") == 0));
    json_object_object_add(o, "ExitCode", json_object_new_int(b->exit_code));
    json_object_object_add(o, "StartedAt", json_object_new_int64(b->started));
    json_object_object_add(o, "ExitedAt", json_object_new_int64(b->finished));
    json_object_object_add(o, "Pid", json_object_new_int(box_running(b) ? b->pid : 0));
    json_object_object_add(o, "AutoRemove", json_object_new_boolean(b->rm));
    json_object *ports = json_object_new_array();
    for (size_t i = 0; b->ports && b->ports[i]; i++)
        json_object_array_add(ports, json_object_new_string(b->ports[i]));
    json_object_object_add(o, "Ports", ports);
    return o;
}

int box_cmd_ls(int argc, char **argv)
{
    static const struct option longs[] = {
        {"all", no_argument, NULL, 'a'},       {"quiet", no_argument, NULL, 'q'},
        {"no-trunc", no_argument, NULL, 'n'},  {"format", required_argument, NULL, 'f'},
        {"help", no_argument, NULL, 'h'},      {NULL, 0, NULL, 0},
    };
    struct cli_list_opts o = {.cmd = "box ls"};
    int first = cli_getopts(argc, argv, "aqh", longs, usage, cli_list_option, &o);
    if (first <= 0)
        return first < 0 ? EXIT_VMJAIL_ERROR : 0;
    bool all = o.all, quiet = o.quiet, notrunc = o.notrunc, json = o.json;
    if (first != argc) {
        cli_error("box ls: no arguments expected");
        return EXIT_VMJAIL_ERROR;
    }
    char dir[4200];
    vmjail_error *err = NULL;
    struct box *v;
    size_t n;
    if (box_dir(dir, sizeof dir, &err) < 0 || box_list(dir, &v, &n, &err) < 0)
        return cli_fail_container(err);
    json_object *arr = json_object_new_array();
    if (!json && !quiet)
        printf("%-14s %-30s %-22s %-16s %-34s %-22s %s\n", "BOX ID", "IMAGE", "COMMAND", "CREATED", "STATUS",
               "PORTS", "NAMES");
    int64_t now = time(NULL);
    for (size_t i = 0; i < n; i++) {
        if (!all && !box_running(&v[i]))
            continue;
        if (json) {
            json_object_array_add(arr, as_json(&v[i]));
            continue;
        }
        char id[65];
        snprintf(id, sizeof id, "%.*s", notrunc ? 64 : 12, v[i].id);
        if (quiet) {
            printf("%s\n", id);
            continue;
        }
        char cmd[4096], created[64], status[120];
        join(v[i].command, cmd, sizeof cmd);
        if (!notrunc && strlen(cmd) > 20)
            strcpy(cmd + 17, "...");
        box_ago(now - v[i].created, created, sizeof created - 4);
        strcat(created, " ago");
        box_status(&v[i], status, sizeof status);
        char ports[1024] = "";
        for (size_t p = 0; v[i].ports && v[i].ports[p]; p++) { /* 0.0.0.0:8080->80/tcp */
            size_t len = strlen(ports);
            char *colon = strchr(v[i].ports[p], ':');
            snprintf(ports + len, sizeof ports - len, "%s0.0.0.0:%.*s->%s", p ? ", " : "",
                     colon ? (int)(colon - v[i].ports[p]) : 0, v[i].ports[p], colon ? colon + 1 : v[i].ports[p]);
        }
        printf("%-14s %-30s %-22s %-16s %-34s %-22s %s\n", id, v[i].image, cmd, created, status, ports, v[i].name);
    }
    if (json)
        printf("%s\n", json_object_to_json_string_ext(arr, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
    json_object_put(arr);
    box_list_free(v, n);
    return 0;
}
