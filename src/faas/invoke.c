/* invoke.c: one invocation of a function: checked against its limits, run in a fresh VM (its
 * snapshot restored, or cold), answered as the classic watchdog answers. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "faas/faas.h"

#define OUT_MAX (64u << 20) /* a response's largest body */

static void done(struct faas_gw *gw, const char *name, bool counted)
{
    pthread_mutex_lock(&gw->lock);
    struct faas_entry *e = faas_gw_find(gw, name);
    if (e && counted && e->inflight)
        e->inflight--;
    if (counted && gw->running)
        gw->running--;
    pthread_mutex_unlock(&gw->lock);
}

void faas_invoke(struct faas_gw *gw, const char *name, char *const http_env[], const char *body,
                 size_t len, bool too_big, const char *req_ctype, struct faas_reply *r)
{
    struct faas_fn fn;
    memset(&fn, 0, sizeof fn);
    bool restore = false;
    vmjail_error *err = NULL;
    pthread_mutex_lock(&gw->lock);
    struct faas_entry *e = faas_gw_find(gw, name);
    int refuse = 0;
    if (e == NULL)
        refuse = 404;
    else if (too_big || len > e->fn.max_body)
        refuse = 413;
    else if (e->fn.max_inflight && e->inflight >= e->fn.max_inflight)
        refuse = 429;
    else if (faas_fn_copy(&e->fn, &fn, &err) < 0)
        refuse = 500;
    if (e)
        e->invocations++;
    if (refuse == 0) {
        e->inflight++;
        gw->running++;
        restore = e->snapshot;
    }
    unsigned long long max_body = e ? e->fn.max_body : 0;
    unsigned max_inflight = e ? e->fn.max_inflight : 0;
    pthread_mutex_unlock(&gw->lock);
    switch (refuse) {
    case 404:
        faas_reply_text(r, 404, "function %s not found", name);
        return; /* no metrics for names that are not functions */
    case 413:
        faas_reply_text(r, 413, "the request body is over %s's limit of %llu bytes", name,
                        max_body);
        break;
    case 429:
        faas_reply_text(r, 429, "%s has %u invocations in flight, its max_inflight", name,
                        max_inflight);
        break;
    case 500:
        faas_reply_text(r, 500, "%s", vmjail_error_message(err));
        vmjail_error_free(err);
        break;
    }
    if (refuse) {
        faas_metrics_invocation(gw->metrics, name, r->code, 0, false);
        faas_fn_free(&fn);
        return;
    }
    char snap[4400];
    faas_snapshot_path(&gw->st, name, snap, sizeof snap);
    struct faas_argv a;
    faas_argv_invoke(&a, gw->vmjail, &fn, restore ? snap : NULL, http_env);
    struct faas_run_result res;
    if (faas_run(a.argv, a.envp, body, len, fn.timeout * 1000u, OUT_MAX, &res, &err) < 0) {
        faas_reply_text(r, 500, "%s", vmjail_error_message(err));
        vmjail_error_free(err);
        res.seconds = 0;
    } else if (res.timed_out) {
        if (a.box[0]) { /* an image's box outlives its killed client: removed, killed */
            struct faas_argv rm;
            struct faas_run_result rr;
            vmjail_error *rerr = NULL;
            faas_argv_box_rm(&rm, gw->vmjail, &a);
            if (faas_run(rm.argv, rm.envp, NULL, 0, 20000, 4096, &rr, &rerr) < 0)
                vmjail_error_free(rerr);
            else
                faas_run_result_free(&rr);
            faas_argv_free(&rm);
        }
        faas_reply_text(r, 504, "%s timed out after %u s (its VM was killed)", name, fn.timeout);
    } else if (res.too_much) {
        faas_reply_text(r, 500, "%s wrote more than %u bytes", name, OUT_MAX);
    } else if (res.status != 0) {
        char *t = res.err_tail;
        size_t n = strlen(t);
        while (n && t[n - 1] == '\n')
            t[--n] = '\0';
        faas_reply_text(r, 500, "%s exited with status %d: %s", name, res.status, t);
    } else {
        free(r->body);
        r->code = 200;
        r->body = res.out;
        r->len = res.out_len;
        res.out = NULL;
        const char *ct = NULL;
        for (size_t i = 0; i < fn.nenv; i++)
            if (strncmp(fn.env[i], "content_type=", 13) == 0)
                ct = fn.env[i] + 13;
        snprintf(r->ctype, sizeof r->ctype, "%s",
                 ct ? ct : req_ctype && req_ctype[0] ? req_ctype : "text/plain; charset=utf-8");
    }
    snprintf(r->header[0][0], sizeof r->header[0][0], "X-Duration-Seconds");
    snprintf(r->header[0][1], sizeof r->header[0][1], "%.6f", res.seconds);
    snprintf(r->header[1][0], sizeof r->header[1][0], "X-Vmjail-Start");
    snprintf(r->header[1][1], sizeof r->header[1][1], "%s", restore ? "restore" : "cold");
    faas_run_result_free(&res);
    faas_argv_free(&a);
    faas_fn_free(&fn);
    done(gw, name, true);
    faas_metrics_invocation(gw->metrics, name, r->code, res.seconds, restore);
}
