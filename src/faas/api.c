/* api.c: the gateway's /system API: list, get, deploy, update and delete functions; each
 * deploy takes the function's snapshot and saves its spec in the state directory. */
#include <errno.h>
#include <json-c/json.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "faas/faas.h"

void faas_reply_text(struct faas_reply *r, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = NULL;
    int n = vasprintf(&s, fmt, ap);
    va_end(ap);
    free(r->body);
    r->code = code;
    snprintf(r->ctype, sizeof r->ctype, "text/plain; charset=utf-8");
    if (n < 0) {
        r->body = NULL;
        r->len = 0;
        return;
    }
    char *t = realloc(s, (size_t)n + 2);
    if (t) {
        t[n++] = '\n';
        t[n] = '\0';
        s = t;
    } else {
        n = (int)strlen(s);
    }
    r->body = s;
    r->len = (size_t)n;
}

void faas_reply_json(struct faas_reply *r, int code, char *json)
{
    free(r->body);
    r->code = code;
    r->body = json;
    r->len = json ? strlen(json) : 0;
    snprintf(r->ctype, sizeof r->ctype, "application/json");
}

struct faas_entry *faas_gw_find(struct faas_gw *gw, const char *name)
{
    for (size_t i = 0; i < gw->n; i++)
        if (strcmp(gw->fns[i]->fn.name, name) == 0)
            return gw->fns[i];
    return NULL;
}

/* OpenFaaS's FunctionStatus members beside the spec. */
static char *status_json(const struct faas_entry *e)
{
    json_object *x = json_object_new_object();
    json_object_object_add(x, "invocationCount", json_object_new_int64((int64_t)e->invocations));
    json_object_object_add(x, "replicas", json_object_new_int(1));
    json_object_object_add(x, "availableReplicas", json_object_new_int(1));
    json_object_object_add(x, "snapshot", json_object_new_boolean(e->snapshot));
    json_object_object_add(x, "note", json_object_new_string(e->note));
    json_object_object_add(x, "inflight", json_object_new_int((int)e->inflight));
    char *s = faas_fn_to_json(&e->fn, x);
    json_object_put(x);
    return s;
}

void faas_api_install(struct faas_gw *gw, struct faas_fn *f, bool take_snapshot, char *note,
                      size_t note_size)
{
    char snap[4400];
    bool have = false;
    if (take_snapshot) {
        have = faas_snapshot_take(&gw->st, gw->vmjail, f, snap, sizeof snap, note, note_size) == 0;
    } else {
        faas_snapshot_path(&gw->st, f->name, snap, sizeof snap);
        have = !f->image && strcmp(f->snapshot_at, "none") != 0 && access(snap, R_OK) == 0;
        snprintf(note, note_size, "%s", have ? "" : "no snapshot: it starts cold");
    }
    struct faas_entry *e = calloc(1, sizeof *e);
    if (e == NULL) {
        faas_fn_free(f);
        return;
    }
    e->fn = *f;
    e->snapshot = have;
    snprintf(e->note, sizeof e->note, "%s", note);
    pthread_mutex_lock(&gw->lock);
    struct faas_entry *old = faas_gw_find(gw, f->name);
    if (old) {
        /* replaced in place: invocations in flight hold copies, not the entry */
        e->invocations = old->invocations;
        e->inflight = old->inflight;
        e->generation = old->generation + 1;
        faas_fn_free(&old->fn);
        *old = *e;
        free(e);
    } else {
        struct faas_entry **t = realloc(gw->fns, (gw->n + 1) * sizeof *t);
        if (t) {
            gw->fns = t;
            gw->fns[gw->n++] = e;
        } else {
            faas_fn_free(&e->fn);
            free(e);
        }
    }
    pthread_mutex_unlock(&gw->lock);
    memset(f, 0, sizeof *f);
}

static void deploy(struct faas_gw *gw, bool update, const char *body, size_t len,
                   struct faas_reply *r)
{
    struct faas_fn f;
    vmjail_error *err = NULL;
    if (faas_fn_parse(body, len, &f, &err) < 0) {
        faas_reply_text(r, 400, "%s", vmjail_error_message(err));
        vmjail_error_free(err);
        faas_fn_free(&f);
        return;
    }
    pthread_mutex_lock(&gw->lock);
    bool exists = faas_gw_find(gw, f.name) != NULL;
    pthread_mutex_unlock(&gw->lock);
    if (exists != update) {
        faas_reply_text(r, update ? 404 : 409,
                        update ? "function %s not found" : "function %s exists (PUT updates it)",
                        f.name);
        faas_fn_free(&f);
        return;
    }
    if (faas_state_save(&gw->st, &f, &err) < 0) {
        faas_reply_text(r, 500, "%s", vmjail_error_message(err));
        vmjail_error_free(err);
        faas_fn_free(&f);
        return;
    }
    char note[512], name[FAAS_NAME_MAX];
    snprintf(name, sizeof name, "%s", f.name);
    faas_api_install(gw, &f, true, note, sizeof note);
    fprintf(stderr, "vmjail serve: %s %s: %s\n", update ? "updated" : "deployed", name,
            note[0] ? note : "snapshot taken");
    json_object *o = json_object_new_object();
    json_object_object_add(o, "name", json_object_new_string(name));
    json_object_object_add(o, "snapshot", json_object_new_boolean(note[0] == '\0'));
    json_object_object_add(o, "note", json_object_new_string(note));
    char *s = strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
    json_object_put(o);
    faas_reply_json(r, 202, s);
}

static void delete_fn(struct faas_gw *gw, const char *body, size_t len, struct faas_reply *r)
{
    json_tokener *tok = json_tokener_new();
    json_object *o = tok ? json_tokener_parse_ex(tok, body, (int)len) : NULL, *v;
    json_tokener_free(tok);
    const char *name = NULL;
    if (o && json_object_is_type(o, json_type_object) &&
        json_object_object_get_ex(o, "functionName", &v) && json_object_is_type(v, json_type_string))
        name = json_object_get_string(v);
    if (name == NULL || !faas_name_ok(name)) {
        faas_reply_text(r, 400, "the body must be {\"functionName\": NAME}");
        json_object_put(o);
        return;
    }
    pthread_mutex_lock(&gw->lock);
    struct faas_entry *e = NULL;
    for (size_t i = 0; i < gw->n; i++)
        if (strcmp(gw->fns[i]->fn.name, name) == 0) {
            e = gw->fns[i];
            gw->fns[i] = gw->fns[--gw->n];
            break;
        }
    pthread_mutex_unlock(&gw->lock);
    if (e == NULL) {
        faas_reply_text(r, 404, "function %s not found", name);
    } else {
        faas_state_remove(&gw->st, name);
        faas_metrics_forget(gw->metrics, name);
        faas_fn_free(&e->fn);
        free(e);
        fprintf(stderr, "vmjail serve: deleted %s\n", name);
        faas_reply_text(r, 202, "deleted %s", name);
    }
    json_object_put(o);
}

void faas_api(struct faas_gw *gw, enum faas_route route, const char *name, const char *body,
              size_t len, struct faas_reply *r)
{
    switch (route) {
    case FAAS_ROUTE_LIST: {
        pthread_mutex_lock(&gw->lock);
        size_t cap = 16, n = 1;
        char *s = malloc(cap);
        if (s)
            strcpy(s, "[");
        for (size_t i = 0; s && i < gw->n; i++) {
            char *one = status_json(gw->fns[i]);
            size_t k = one ? strlen(one) : 0;
            if (n + k + 3 > cap) {
                cap = (n + k + 3) * 2;
                char *t = realloc(s, cap);
                if (t == NULL) {
                    free(s);
                    s = NULL;
                }
                s = t;
            }
            if (s && one) {
                if (n > 1)
                    s[n++] = ',';
                memcpy(s + n, one, k);
                n += k;
                s[n] = '\0';
            }
            free(one);
        }
        pthread_mutex_unlock(&gw->lock);
        if (s) {
            s[n++] = ']';
            s[n] = '\0';
        }
        faas_reply_json(r, s ? 200 : 500, s);
        return;
    }
    case FAAS_ROUTE_GET: {
        pthread_mutex_lock(&gw->lock);
        struct faas_entry *e = faas_gw_find(gw, name);
        char *s = e ? status_json(e) : NULL;
        pthread_mutex_unlock(&gw->lock);
        if (e)
            faas_reply_json(r, 200, s);
        else
            faas_reply_text(r, 404, "function %s not found", name);
        return;
    }
    case FAAS_ROUTE_DEPLOY:
    case FAAS_ROUTE_UPDATE:
        deploy(gw, route == FAAS_ROUTE_UPDATE, body, len, r);
        return;
    case FAAS_ROUTE_DELETE:
        delete_fn(gw, body, len, r);
        return;
    default:
        faas_reply_text(r, 404, "not found");
    }
}
