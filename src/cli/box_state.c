/* box_state.c: a box's state file (boxes/ID/state.json, written atomically), the list of
 * boxes, lookup by name or ID prefix, and how a box's status reads. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli/box.h"
#include "cli/cli.h"
#include "image/image.h"
#include "lib/error.h"

int box_dir(char *buf, size_t n, vmjail_error **err)
{
    char def[4096];
    const char *root = cli_global.store ? cli_global.store : img_store_default(def, sizeof def);
    snprintf(buf, n, "%s", root);
    /* the store's root first (as img_store_open makes it), then boxes/ in it */
    for (char *p = buf + 1; *p; p++)
        if (*p == '/') {
            *p = '\0';
            mkdir(buf, 0755);
            *p = '/';
        }
    mkdir(buf, 0700);
    size_t len = strlen(buf);
    snprintf(buf + len, n - len, "/boxes");
    if (mkdir(buf, 0700) < 0 && errno != EEXIST)
        return vj_error(err, VMJAIL_ERR_INTERNAL, errno, "%s", buf);
    return 0;
}

void box_path(char *buf, size_t n, const char *dir, const char *id, const char *name)
{
    snprintf(buf, n, "%s/%s%s%s", dir, id, name[0] ? "/" : "", name);
}

static const char *jstr(json_object *o, const char *k)
{
    json_object *v;
    return json_object_object_get_ex(o, k, &v) && json_object_is_type(v, json_type_string)
               ? json_object_get_string(v) : "";
}

static int64_t jint(json_object *o, const char *k, int64_t def)
{
    json_object *v;
    return json_object_object_get_ex(o, k, &v) ? json_object_get_int64(v) : def;
}

static char **jstrings(json_object *o, const char *k)
{
    json_object *c;
    size_t nc = json_object_object_get_ex(o, k, &c) && json_object_is_type(c, json_type_array)
                    ? json_object_array_length(c) : 0;
    char **v = calloc(nc + 1, sizeof *v);
    for (size_t i = 0; v && i < nc; i++)
        v[i] = strdup(json_object_get_string(json_object_array_get_idx(c, i)));
    return v;
}

static json_object *jarray(char **v)
{
    json_object *a = json_object_new_array();
    for (size_t i = 0; v && v[i]; i++)
        json_object_array_add(a, json_object_new_string(v[i]));
    return a;
}

int box_load(const char *dir, const char *id, struct box *b, vmjail_error **err)
{
    char path[4200];
    memset(b, 0, sizeof *b);
    box_path(path, sizeof path, dir, id, "state.json");
    json_object *o = json_object_from_file(path);
    if (!o)
        return vj_error(err, VMJAIL_ERR_INTERNAL, errno, "box %.12s: cannot read %s", id, path);
    snprintf(b->id, sizeof b->id, "%s", jstr(o, "Id"));
    snprintf(b->name, sizeof b->name, "%s", jstr(o, "Name"));
    snprintf(b->image, sizeof b->image, "%s", jstr(o, "Image"));
    snprintf(b->image_id, sizeof b->image_id, "%s", jstr(o, "ImageID"));
    snprintf(b->state, sizeof b->state, "%s", jstr(o, "State"));
    b->created = jint(o, "Created", 0);
    b->started = jint(o, "StartedAt", 0);
    b->finished = jint(o, "FinishedAt", 0);
    b->exit_code = (int)jint(o, "ExitCode", -1);
    b->pid = (pid_t)jint(o, "Pid", 0);
    b->pid_start = (uint64_t)jint(o, "PidStart", 0);
    b->sup_pid = (pid_t)jint(o, "SupervisorPid", 0);
    b->sup_start = (uint64_t)jint(o, "SupervisorStart", 0);
    b->rm = jint(o, "AutoRemove", 0) != 0;
    b->attached = jint(o, "Attached", 0) != 0;
    b->command = jstrings(o, "Command");
    b->ports = jstrings(o, "Ports");
    json_object_put(o);
    if (strlen(b->id) != 64) {
        box_free(b);
        return vj_error(err, VMJAIL_ERR_INTERNAL, 0, "box %.12s: %s is not a box's state", id, path);
    }
    return 0;
}

int box_save(const char *dir, const struct box *b, vmjail_error **err)
{
    json_object *o = json_object_new_object();
    json_object_object_add(o, "Id", json_object_new_string(b->id));
    json_object_object_add(o, "Name", json_object_new_string(b->name));
    json_object_object_add(o, "Image", json_object_new_string(b->image));
    json_object_object_add(o, "ImageID", json_object_new_string(b->image_id));
    json_object_object_add(o, "Command", jarray(b->command));
    json_object_object_add(o, "Ports", jarray(b->ports));
    json_object_object_add(o, "State", json_object_new_string(b->state));
    json_object_object_add(o, "Created", json_object_new_int64(b->created));
    json_object_object_add(o, "StartedAt", json_object_new_int64(b->started));
    json_object_object_add(o, "FinishedAt", json_object_new_int64(b->finished));
    json_object_object_add(o, "ExitCode", json_object_new_int(b->exit_code));
    json_object_object_add(o, "Pid", json_object_new_int(b->pid));
    json_object_object_add(o, "PidStart", json_object_new_int64((int64_t)b->pid_start));
    json_object_object_add(o, "SupervisorPid", json_object_new_int(b->sup_pid));
    json_object_object_add(o, "SupervisorStart", json_object_new_int64((int64_t)b->sup_start));
    json_object_object_add(o, "AutoRemove", json_object_new_boolean(b->rm));
    json_object_object_add(o, "Attached", json_object_new_boolean(b->attached));
    const char *text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE);
    char tmp[4300], path[4200];
    box_path(path, sizeof path, dir, b->id, "state.json");
    snprintf(tmp, sizeof tmp, "%s.tmp.%d", path, (int)getpid());
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    int rc = 0;
    size_t len = strlen(text);
    if (fd < 0 || write(fd, text, len) != (ssize_t)len || write(fd, "\n", 1) != 1 ||
        fsync(fd) < 0 || close(fd) < 0 || (fd = -1, rename(tmp, path) < 0)) {
        rc = vj_error(err, VMJAIL_ERR_INTERNAL, errno, "box %.12s: writing %s", b->id, path);
        if (fd >= 0)
            close(fd);
        unlink(tmp);
    }
    json_object_put(o);
    return rc;
}

static void free_strings(char **v)
{
    for (size_t i = 0; v && v[i]; i++)
        free(v[i]);
    free(v);
}

void box_free(struct box *b)
{
    free_strings(b->command);
    free_strings(b->ports);
    b->command = b->ports = NULL;
}

/* Process PID's start time and process group, from /proc/PID/stat; false if there is none.
 * *ZOMBIE: it has ended, not yet reaped. */
static bool proc_stat(pid_t pid, uint64_t *start, pid_t *pgid, bool *zombie)
{
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return false;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0)
        return false;
    buf[n] = '\0';
    char *p = strrchr(buf, ')'); /* after the command's name: field 3, the state, on */
    if (!p || strlen(p) < 4)
        return false;
    p += 2;
    *zombie = *p == 'Z' || *p == 'X';
    /* field 5 is the process group, 22 the start time */
    for (int f = 3; f < 22 && p; f++) {
        if (f == 5)
            *pgid = (pid_t)strtol(p, NULL, 10);
        p = strchr(p, ' ');
        if (p)
            p++;
    }
    *start = p ? strtoull(p, NULL, 10) : 0;
    return p != NULL;
}

uint64_t box_proc_start(pid_t pid)
{
    uint64_t start;
    pid_t pgid;
    bool zombie;
    return proc_stat(pid, &start, &pgid, &zombie) && !zombie ? start : 0;
}

bool box_alive(pid_t pid, uint64_t start)
{
    return pid > 0 && start != 0 && box_proc_start(pid) == start;
}

void box_kill(const struct box *b, int sig)
{
    uint64_t start;
    pid_t pgid;
    bool zombie;
    if (b->pid <= 1 || b->pid == getpid() || b->pid == getpgrp())
        return;
    if (sig != SIGKILL) {
        if (box_alive(b->pid, b->pid_start))
            kill(b->pid, sig);
        return;
    }
    if (proc_stat(b->pid, &start, &pgid, &zombie)) {
        /* its leader, even ended but not reaped, holds the group's number: ours */
        if (start == b->pid_start && pgid == b->pid)
            kill(-b->pid, SIGKILL); /* the group the supervisor made for it: never 0 or -1 */
        return; /* else the number is another process's now */
    }
    /* The leader is reaped: while any of its group is left, no other process can have its
     * number, so the processes of group PID are the box's (vmjail run's children). */
    DIR *d = opendir("/proc");
    struct dirent *e;
    while (d && (e = readdir(d)) != NULL) {
        pid_t p = (pid_t)strtol(e->d_name, NULL, 10);
        if (p > 1 && p != getpid() && proc_stat(p, &start, &pgid, &zombie) && pgid == b->pid && !zombie)
            kill(p, SIGKILL);
    }
    if (d)
        closedir(d);
}

bool box_running(const struct box *b)
{
    return strcmp(b->state, "running") == 0;
}

void box_refresh(const char *dir, struct box *b)
{
    if (!box_running(b) || box_alive(b->sup_pid, b->sup_start))
        return;
    /* The supervisor records the end before it exits: read again, after seeing it gone. */
    struct box again;
    if (box_load(dir, b->id, &again, NULL) < 0)
        return;
    if (box_running(&again)) {
        box_kill(&again, SIGKILL); /* what the supervisor left running */
        snprintf(again.state, sizeof again.state, "exited");
        again.exit_code = -1;
        again.finished = time(NULL);
        box_save(dir, &again, NULL);
    }
    box_free(b);
    *b = again;
}

static int by_created(const void *x, const void *y)
{
    const struct box *a = x, *b = y;
    return a->created < b->created ? -1 : a->created > b->created ? 1 : strcmp(a->id, b->id);
}

int box_list(const char *dir, struct box **out, size_t *n, vmjail_error **err)
{
    DIR *d = opendir(dir);
    if (!d)
        return vj_error(err, VMJAIL_ERR_INTERNAL, errno, "%s", dir);
    size_t cap = 16;
    *n = 0;
    *out = malloc(cap * sizeof **out);
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (strlen(e->d_name) != 64 || strspn(e->d_name, "0123456789abcdef") != 64)
            continue;
        if (*n == cap)
            *out = realloc(*out, (cap *= 2) * sizeof **out);
        if (box_load(dir, e->d_name, &(*out)[*n], NULL) < 0)
            continue; /* being made, or being removed */
        box_refresh(dir, &(*out)[*n]);
        (*n)++;
    }
    closedir(d);
    qsort(*out, *n, sizeof **out, by_created);
    return 0;
}

void box_list_free(struct box *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        box_free(&v[i]);
    free(v);
}

int box_find(const char *dir, const char *key, struct box *out, vmjail_error **err)
{
    struct box *v;
    size_t n, hits = 0, hit = 0;
    if (box_list(dir, &v, &n, err) < 0)
        return -1;
    for (size_t i = 0; i < n && hits == 0; i++)
        if (strcmp(v[i].name, key) == 0 || strcmp(v[i].id, key) == 0)
            hits = 1, hit = i;
    size_t klen = strlen(key);
    if (hits == 0 && klen > 0 && strspn(key, "0123456789abcdef") == klen)
        for (size_t i = 0; i < n; i++)
            if (strncmp(v[i].id, key, klen) == 0)
                hits++, hit = i;
    int rc = 0;
    if (hits == 1) {
        *out = v[hit];
        v[hit].command = v[hit].ports = NULL;
    } else if (hits == 0) {
        rc = vj_error(err, VMJAIL_ERR_USAGE, 0, "no box '%s'", key);
    } else {
        rc = vj_error(err, VMJAIL_ERR_USAGE, 0, "'%s' is ambiguous: the IDs of %zu boxes start with it",
                      key, hits);
    }
    box_list_free(v, n);
    return rc;
}

void box_ago(int64_t s, char *buf, size_t n)
{
    if (s < 0)
        s = 0;
    if (s < 2)
        snprintf(buf, n, "1 second");
    else if (s < 60)
        snprintf(buf, n, "%lld seconds", (long long)s);
    else if (s < 120)
        snprintf(buf, n, "About a minute");
    else if (s < 3600)
        snprintf(buf, n, "%lld minutes", (long long)s / 60);
    else if (s < 2 * 3600)
        snprintf(buf, n, "About an hour");
    else if (s < 48 * 3600)
        snprintf(buf, n, "%lld hours", (long long)s / 3600);
    else
        snprintf(buf, n, "%lld days", (long long)s / 86400);
}

void box_status(const struct box *b, char *buf, size_t n)
{
    char ago[40];
    int64_t now = time(NULL);
    if (box_running(b)) {
        box_ago(now - b->started, ago, sizeof ago);
        snprintf(buf, n, "Up %s", ago);
    } else if (strcmp(b->state, "exited") == 0) {
        box_ago(now - b->finished, ago, sizeof ago);
        if (b->exit_code < 0)
            snprintf(buf, n, "Exited (unknown: its supervisor died) %s ago", ago);
        else
            snprintf(buf, n, "Exited (%d) %s ago", b->exit_code, ago);
    } else {
        snprintf(buf, n, "Created");
    }
}
