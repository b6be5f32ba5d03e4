/* faas.h: the functions-as-a-service gateway's internal interface (vmjail serve, vmjail fn):
 * function specs, routing, the state directory, running one invocation, the gateway. */
#ifndef VJ_FAAS_H
#define VJ_FAAS_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vmjail.h"

#define FAAS_NAME_MAX 64
#define FAAS_DEFAULT_TIMEOUT 30          /* seconds */
#define FAAS_DEFAULT_MAX_BODY (1u << 20) /* bytes */
#define FAAS_MAX_LIST 64                 /* files, args, env vars of one function */

/* A function: what `POST /system/functions` takes (OpenFaaS's names where they exist). */
struct faas_fn {
    char name[FAAS_NAME_MAX];    /* "service" */
    char *program;               /* "program": an absolute path; or NULL */
    char *image;                 /* "image": a reference of the image store; or NULL */
    char *args[FAAS_MAX_LIST];   /* "args": after the program (or the image's command) */
    size_t nargs;
    char *files[FAAS_MAX_LIST];  /* "files": data files the program uses (absolute paths) */
    size_t nfiles;
    char *env[FAAS_MAX_LIST];    /* "envVars": as NAME=VALUE */
    size_t nenv;
    uint64_t memory;             /* "limits": {"memory"}: bytes, 0 = vmjail run's default */
    unsigned timeout;            /* seconds (annotation "timeout") */
    unsigned max_inflight;       /* 0 = no limit (annotation "max_inflight") */
    uint64_t max_body;           /* bytes (annotation "max_body") */
    char snapshot_at[16];        /* read-stdin, accept, call or none (annotation "snapshot_at") */
};

/* True if NAME can name a function: 1-63 of [a-z0-9._-], starting with a letter or digit. */
bool faas_name_ok(const char *name);
/* Parse a size ("64M", "64Mi", "1G", "1048576"): bytes, or 0 if it is not one. */
uint64_t faas_parse_size(const char *s);
/* Parse a function spec (JSON text of LEN bytes) into *FN (zeroed first); on error *ERR has
 * a one-line reason. faas_fn_free() frees what it holds in either case. */
int faas_fn_parse(const char *json, size_t len, struct faas_fn *fn, vmjail_error **err);
/* The spec as JSON (malloc'd), EXTRA's members added when not NULL (a json_object *). */
char *faas_fn_to_json(const struct faas_fn *fn, void *extra);
int faas_fn_copy(const struct faas_fn *from, struct faas_fn *to, vmjail_error **err);
void faas_fn_free(struct faas_fn *fn);

/* The gateway's routes. */
enum faas_route {
    FAAS_ROUTE_NONE,          /* 404 */
    FAAS_ROUTE_BAD_METHOD,    /* 405 */
    FAAS_ROUTE_HEALTH,        /* GET /healthz */
    FAAS_ROUTE_METRICS,       /* GET /metrics */
    FAAS_ROUTE_LIST,          /* GET /system/functions */
    FAAS_ROUTE_DEPLOY,        /* POST /system/functions */
    FAAS_ROUTE_UPDATE,        /* PUT /system/functions */
    FAAS_ROUTE_DELETE,        /* DELETE /system/functions (body {"functionName": N}) */
    FAAS_ROUTE_GET,           /* GET /system/function/NAME */
    FAAS_ROUTE_INVOKE,        /* any method: /function/NAME[/path...] */
    FAAS_ROUTE_ASYNC,         /* /async-function/NAME: not built yet (501) */
};
/* Route METHOD and URL (path only, no query); NAME gets the function's name for GET, INVOKE
 * and ASYNC (an invalid name routes to NONE), and *SUBPATH (if not NULL) what follows it. */
enum faas_route faas_route_of(const char *method, const char *url, char name[FAAS_NAME_MAX],
                              const char **subpath);
/* True if ROUTE is one of the /system API's (the token is needed). */
bool faas_route_needs_token(enum faas_route route);
/* "Content-Type" -> "Http_Content_Type" (OpenFaaS's classic watchdog's names) into OUT. */
void faas_header_env_name(const char *header, char *out, size_t size);

/* The state directory: functions/NAME.json, snapshots/NAME.snap, token (0600). */
struct faas_state {
    char dir[4096];
    char token[65];
};
/* The default state directory: /var/lib/vmjail/faas as root, else the XDG data dir's. */
int faas_state_default(char *out, size_t size);
int faas_state_open(struct faas_state *st, const char *dir, vmjail_error **err);
/* Read the token of the state directory DIR (for the clients). */
int faas_token_read(const char *dir, char *token, size_t size, vmjail_error **err);
int faas_state_save(const struct faas_state *st, const struct faas_fn *fn, vmjail_error **err);
int faas_state_remove(const struct faas_state *st, const char *name);
/* Call FN for each saved function (parsed); unreadable ones are reported through BAD. */
int faas_state_load(const struct faas_state *st, void (*fn)(void *ctx, struct faas_fn *f),
                    void (*bad)(void *ctx, const char *file, const char *why), void *ctx);
void faas_snapshot_path(const struct faas_state *st, const char *name, char *out, size_t size);

/* One run of a vmjail command line with BODY on its stdin, under a deadline. */
struct faas_run_result {
    int status;        /* exit status (128+N for signal N), -1 if it could not start */
    bool timed_out;    /* killed at the deadline */
    bool too_much;     /* stdout went over its limit (and was cut) */
    char *out;         /* stdout (malloc'd) */
    size_t out_len;
    char err_tail[2048]; /* the last bytes of stderr */
    double seconds;
};
int faas_run(char *const argv[], char *const envp[], const void *body, size_t len,
             unsigned timeout_ms, size_t out_max, struct faas_run_result *res,
             vmjail_error **err);
void faas_run_result_free(struct faas_run_result *res);

/* The vmjail command lines for a function (argv and envp, NULL-terminated, malloc'd; freed
 * by faas_argv_free). VMJAIL is the vmjail program; SNAPSHOT the snapshot file to start
 * from, or NULL for a cold start; HTTP_ENV the request's Http_* variables. */
struct faas_argv {
    char **argv;
    char **envp;
    size_t argc, envc;
    char box[40]; /* an image's invocation: the name of its box ("faas-" and 16 hex), else "" */
};
int faas_argv_invoke(struct faas_argv *a, const char *vmjail, const struct faas_fn *fn,
                     const char *snapshot, char *const http_env[]);
int faas_argv_snapshot(struct faas_argv *a, const char *vmjail, const struct faas_fn *fn,
                       const char *file);
void faas_argv_free(struct faas_argv *a);
/* After an image's invocation INV timed out: the command that removes its box, killing what
 * runs in it (its supervisor and payload are not in the invocation's process group). */
int faas_argv_box_rm(struct faas_argv *a, const char *vmjail, const struct faas_argv *inv);

/* Take FN's snapshot at deploy time into the state directory: 0 and the file's path in OUT,
 * or -1 and WHY (one line: why it runs cold). */
int faas_snapshot_take(const struct faas_state *st, const char *vmjail, const struct faas_fn *fn,
                       char *out, size_t size, char *why, size_t why_size);

/* Metrics (Prometheus text). */
struct faas_metrics;
struct faas_metrics *faas_metrics_new(void);
void faas_metrics_free(struct faas_metrics *m);
void faas_metrics_invocation(struct faas_metrics *m, const char *fn, int code, double seconds,
                             bool restored);
void faas_metrics_forget(struct faas_metrics *m, const char *fn);
/* The exposition text (malloc'd); RUNNING is the VMs running now, FUNCTIONS the count. */
char *faas_metrics_text(struct faas_metrics *m, unsigned running, unsigned functions);


/* The gateway's functions and what they answer (gateway.c, api.c, invoke.c). */
struct faas_entry {
    struct faas_fn fn;
    bool snapshot;       /* a snapshot was taken at deploy: invocations restore it */
    char note[512];      /* why it runs cold, or "" */
    unsigned inflight;
    unsigned long long invocations;
    unsigned generation; /* bumped at each update: a stale snapshot is not used */
};
struct faas_gw {
    struct faas_state st;
    const char *vmjail;
    pthread_mutex_t lock; /* the table, inflight counts and running */
    struct faas_entry **fns;
    size_t n;
    unsigned running;
    struct faas_metrics *metrics;
};
struct faas_reply {
    int code;
    char *body; /* malloc'd */
    size_t len;
    char ctype[128];
    char header[2][2][64]; /* extra headers: name, value ("" = none) */
};
/* A reply whose body is FMT (plus a newline), text/plain. */
void faas_reply_text(struct faas_reply *r, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void faas_reply_json(struct faas_reply *r, int code, char *json);
/* Find NAME (the lock held); NULL if there is none. */
struct faas_entry *faas_gw_find(struct faas_gw *gw, const char *name);
/* The /system API (ROUTE one of faas_route_needs_token's; NAME for GET). */
void faas_api(struct faas_gw *gw, enum faas_route route, const char *name, const char *body,
              size_t len, struct faas_reply *r);
/* Add F to the table (taking it over) and take its snapshot; for deploy and for the functions
 * loaded at start. */
void faas_api_install(struct faas_gw *gw, struct faas_fn *f, bool take_snapshot,
                      char *note, size_t note_size);
/* An invocation: HTTP_ENV are the request's Http_* variables (NULL-terminated). */
void faas_invoke(struct faas_gw *gw, const char *name, char *const http_env[], const char *body,
                 size_t len, bool too_big, const char *req_ctype, struct faas_reply *r);

/* The gateway: listens on HOST:PORT, serves until SIGINT or SIGTERM. */
struct faas_gateway_opts {
    const char *host;
    unsigned port;
    const char *state_dir;
    const char *vmjail; /* the vmjail program that runs the functions */
};
int faas_gateway_serve(const struct faas_gateway_opts *o, vmjail_error **err);

#endif
