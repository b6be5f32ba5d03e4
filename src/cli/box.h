/* box.h: boxes that stay (vmjail box ...): their state files under the store's boxes/, lookup
 * by name or ID prefix, the supervisor that owns a box's payload; internal to src/cli. */
#ifndef VJ_CLI_BOX_H
#define VJ_CLI_BOX_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "vmjail.h"

struct box {
    char id[65];          /* 64 hex digits */
    char name[128];
    char image[512];      /* as the user named it */
    char image_id[72];    /* the config's sha256 */
    char **command;       /* what runs (entrypoint and cmd), NULL-terminated */
    char **ports;         /* published: "HOSTPORT:PORT/tcp", NULL-terminated, or NULL */
    char state[16];       /* "created", "running", "exited" */
    int64_t created, started, finished; /* unix seconds; 0: not yet */
    int exit_code;        /* -1: unknown (the supervisor died) */
    pid_t pid;            /* the payload's `vmjail run` */
    pid_t sup_pid;        /* its supervisor */
    uint64_t pid_start, sup_start; /* their start times (/proc/PID/stat), against reuse */
    bool rm;              /* removed when it ends */
    bool attached;
};

/* BUF = the boxes directory of the store (--store, $VMJAIL_STORE or the default), made. */
int box_dir(char *buf, size_t n, vmjail_error **err);
/* PATH = DIR/ID/NAME ("" NAME: the box's own directory). */
void box_path(char *buf, size_t n, const char *dir, const char *id, const char *name);
int box_load(const char *dir, const char *id, struct box *b, vmjail_error **err);
/* Write DIR/ID/state.json atomically (a temporary file renamed). */
int box_save(const char *dir, const struct box *b, vmjail_error **err);
void box_free(struct box *b);
/* A running box whose supervisor is gone: recorded as exited, status unknown. */
void box_refresh(const char *dir, struct box *b);
bool box_running(const struct box *b);
/* Every box, refreshed, oldest first. */
int box_list(const char *dir, struct box **out, size_t *n, vmjail_error **err);
void box_list_free(struct box *v, size_t n);
/* The box named KEY: its name, its ID, or a unique prefix of its ID. */
int box_find(const char *dir, const char *key, struct box *out, vmjail_error **err);
/* The start time of process PID (0: no such process), and whether PID is still it. */
uint64_t box_proc_start(pid_t pid);
bool box_alive(pid_t pid, uint64_t start);
/* SIGNAL to B's payload: SIGKILL to its whole process group (led by its `vmjail run`, while
 * that process is still the one recorded), any other to that process alone. */
void box_kill(const struct box *b, int sig);
/* "Up 3 seconds", "Exited (0) 2 seconds ago", "Created". */
void box_status(const struct box *b, char *buf, size_t n);
/* "3 seconds", "5 minutes", "2 hours", "4 days". */
void box_ago(int64_t secs, char *buf, size_t n);

/* Start B (saved as "created" in DIR) under a supervisor of its own, which runs ARGV (a full
 * path) with its output into DIR/ID/log (and, ATTACHED, to this process's stdout and stderr;
 * STDIN_TOO: the payload reads this process's stdin, or detached the FIFO DIR/ID/stdin that
 * `box attach` writes; TTY: the payload gets this process's
 * terminal as it is, unlogged).  Returns once the box is running; *STATUS_FD (ATTACHED) then
 * gives the exit status (4 bytes) when the box ends. */
int box_start(const char *dir, struct box *b, char **argv, bool stdin_too, bool tty,
              int *status_fd, vmjail_error **err);
/* Wait until B is no longer running (TIMEOUT_MS < 0: forever); 0 if it ended. */
int box_wait(const char *dir, struct box *b, int timeout_ms);

/* The root of box ID in DIR (DIR/ID/rootfs) for the image tree TREE: an overlay where the
 * caller may mount one (*OVERLAID), else a copy.  0, or -1 after printing why. */
int box_tree_make(const char *dir, const char *id, const char *tree, bool *overlaid);
/* Unmount the box's overlay, if it has one (its upper layer stays until box_remove). */
void box_tree_release(const char *dir, const char *id);
/* Remove box ID's directory, its overlay unmounted first.  0, or -1 with errno. */
int box_remove(const char *dir, const char *id);

int box_cmd_run(int argc, char **argv);
int box_cmd_ls(int argc, char **argv);
int box_cmd_logs(int argc, char **argv);
int box_cmd_stop(int argc, char **argv);
int box_cmd_rm(int argc, char **argv);
int box_cmd_attach(int argc, char **argv);

#endif
