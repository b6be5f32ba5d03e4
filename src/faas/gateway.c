/* gateway.c: vmjail serve's HTTP server (libmicrohttpd, a thread per connection): request
 * bodies gathered under their limit, the token of /system checked, requests routed to the
 * API or to an invocation, the saved functions loaded at start. */
#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "faas/faas.h"
#include "lib/error.h"

#define SYSTEM_MAX_BODY (1u << 20)

struct request {
    enum faas_route route;
    char name[FAAS_NAME_MAX];
    const char *subpath;
    char *body;
    size_t len, cap, limit;
    bool too_big;
};

static int answer(struct MHD_Connection *c, struct faas_reply *r)
{
    struct MHD_Response *resp = MHD_create_response_from_buffer(
        r->len, r->body ? r->body : (void *)"", r->body ? MHD_RESPMEM_MUST_FREE
                                                        : MHD_RESPMEM_PERSISTENT);
    if (resp == NULL) {
        free(r->body);
        return MHD_NO;
    }
    r->body = NULL;
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, r->ctype);
    for (int i = 0; i < 2; i++)
        if (r->header[i][0][0])
            MHD_add_response_header(resp, r->header[i][0], r->header[i][1]);
    if (r->code == 401)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Bearer");
    int rc = MHD_queue_response(c, (unsigned)r->code, resp);
    MHD_destroy_response(resp);
    return rc;
}

static bool token_ok(struct faas_gw *gw, struct MHD_Connection *c)
{
    const char *h = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
    if (h == NULL || strncmp(h, "Bearer ", 7) != 0)
        return false;
    h += 7;
    size_t n = strlen(gw->st.token);
    if (strlen(h) != n)
        return false;
    unsigned char d = 0;
    for (size_t i = 0; i < n; i++)
        d |= (unsigned char)(h[i] ^ gw->st.token[i]);
    return d == 0;
}

struct env_list {
    char *v[128];
    size_t n;
    char query[4096];
    size_t qlen;
};

static void env_add(struct env_list *l, const char *name, const char *value)
{
    if (l->n + 1 >= sizeof l->v / sizeof *l->v)
        return;
    if (asprintf(&l->v[l->n], "%s=%s", name, value ? value : "") >= 0)
        l->n++;
}

static enum MHD_Result header_env(void *cls, enum MHD_ValueKind kind, const char *key,
                                  const char *value)
{
    (void)kind;
    struct env_list *l = cls;
    if (strcasecmp(key, "Authorization") == 0)
        return MHD_YES;
    char name[160];
    faas_header_env_name(key, name, sizeof name);
    env_add(l, name, value);
    return MHD_YES;
}

static enum MHD_Result query_arg(void *cls, enum MHD_ValueKind kind, const char *key,
                                 const char *value)
{
    (void)kind;
    struct env_list *l = cls;
    int n = snprintf(l->query + l->qlen, sizeof l->query - l->qlen, "%s%s%s%s",
                     l->qlen ? "&" : "", key, value ? "=" : "", value ? value : "");
    if (n > 0 && l->qlen + (size_t)n < sizeof l->query)
        l->qlen += (size_t)n;
    return MHD_YES;
}

static int invoke(struct faas_gw *gw, struct MHD_Connection *c, struct request *q,
                  const char *method, struct faas_reply *r)
{
    struct env_list l = {0};
    env_add(&l, "Http_Method", method);
    env_add(&l, "Http_Path", q->subpath);
    MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND, query_arg, &l);
    env_add(&l, "Http_Query", l.query);
    MHD_get_connection_values(c, MHD_HEADER_KIND, header_env, &l);
    l.v[l.n] = NULL;
    const char *ct = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
    faas_invoke(gw, q->name, l.v, q->body ? q->body : "", q->len, q->too_big, ct, r);
    for (size_t i = 0; i < l.n; i++)
        free(l.v[i]);
    return answer(c, r);
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *c, const char *url,
                             const char *method, const char *version, const char *upload,
                             size_t *upload_size, void **con_cls)
{
    (void)version;
    struct faas_gw *gw = cls;
    struct request *q = *con_cls;
    if (q == NULL) {
        if ((q = calloc(1, sizeof *q)) == NULL)
            return MHD_NO;
        q->route = faas_route_of(method, url, q->name, &q->subpath);
        q->limit = SYSTEM_MAX_BODY;
        if (q->route == FAAS_ROUTE_INVOKE) {
            pthread_mutex_lock(&gw->lock);
            struct faas_entry *e = faas_gw_find(gw, q->name);
            if (e)
                q->limit = e->fn.max_body;
            pthread_mutex_unlock(&gw->lock);
        }
        *con_cls = q;
        return MHD_YES;
    }
    if (*upload_size) {
        size_t n = *upload_size;
        *upload_size = 0;
        if (q->too_big || q->len + n > q->limit) {
            q->too_big = true; /* the rest is read and dropped; 413 at the end */
            return MHD_YES;
        }
        if (q->len + n + 1 > q->cap) {
            size_t cap = (q->len + n + 1) * 2;
            char *b = realloc(q->body, cap);
            if (b == NULL)
                return MHD_NO;
            q->body = b;
            q->cap = cap;
        }
        memcpy(q->body + q->len, upload, n);
        q->len += n;
        q->body[q->len] = '\0';
        return MHD_YES;
    }
    struct faas_reply r = {0};
    if (faas_route_needs_token(q->route) && !token_ok(gw, c)) {
        faas_reply_text(&r, 401, "the /system API needs 'Authorization: Bearer TOKEN' "
                                 "(the token file of the gateway's state directory)");
        return answer(c, &r);
    }
    if (q->too_big && q->route != FAAS_ROUTE_INVOKE) {
        faas_reply_text(&r, 413, "the request body is over %u bytes", SYSTEM_MAX_BODY);
        return answer(c, &r);
    }
    switch (q->route) {
    case FAAS_ROUTE_HEALTH:
        faas_reply_text(&r, 200, "OK");
        break;
    case FAAS_ROUTE_METRICS: {
        pthread_mutex_lock(&gw->lock);
        unsigned running = gw->running, n = (unsigned)gw->n;
        pthread_mutex_unlock(&gw->lock);
        char *s = faas_metrics_text(gw->metrics, running, n);
        faas_reply_text(&r, s ? 200 : 500, "%s", s ? s : "out of memory");
        if (s && r.len)
            r.len--; /* the text ends in its own newline */
        free(s);
        snprintf(r.ctype, sizeof r.ctype, "text/plain; version=0.0.4");
        break;
    }
    case FAAS_ROUTE_INVOKE:
        return invoke(gw, c, q, method, &r);
    case FAAS_ROUTE_ASYNC:
        faas_reply_text(&r, 501, "asynchronous invocations are not built yet");
        break;
    case FAAS_ROUTE_BAD_METHOD:
        faas_reply_text(&r, 405, "method %s not allowed on %s", method, url);
        break;
    case FAAS_ROUTE_NONE:
        faas_reply_text(&r, 404, "no such route: %s", url);
        break;
    default:
        faas_api(gw, q->route, q->name, q->body ? q->body : "", q->len, &r);
        break;
    }
    return answer(c, &r);
}

static void completed(void *cls, struct MHD_Connection *c, void **con_cls,
                      enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    (void)c;
    (void)toe;
    struct request *q = *con_cls;
    if (q) {
        free(q->body);
        free(q);
        *con_cls = NULL;
    }
}

static void load_one(void *ctx, struct faas_fn *f)
{
    char note[512], name[FAAS_NAME_MAX];
    snprintf(name, sizeof name, "%s", f->name);
    faas_api_install(ctx, f, false, note, sizeof note);
    fprintf(stderr, "vmjail serve: loaded %s%s%s\n", name, note[0] ? ": " : "", note);
}

static void load_bad(void *ctx, const char *file, const char *why)
{
    (void)ctx;
    fprintf(stderr, "vmjail serve: %s: skipped: %s\n", file, why);
}

int faas_gateway_serve(const struct faas_gateway_opts *o, vmjail_error **err)
{
    struct faas_gw gw;
    memset(&gw, 0, sizeof gw);
    if (faas_state_open(&gw.st, o->state_dir, err) < 0)
        return -1;
    gw.vmjail = o->vmjail;
    pthread_mutex_init(&gw.lock, NULL);
    if ((gw.metrics = faas_metrics_new()) == NULL)
        return vj_error(err, VMJAIL_ERR_INTERNAL, ENOMEM, "serve");
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof ss);
    struct sockaddr_in *a4 = (struct sockaddr_in *)&ss;
    struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&ss;
    unsigned flags = MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD |
                     MHD_USE_ERROR_LOG;
    if (inet_pton(AF_INET, o->host, &a4->sin_addr) == 1) {
        a4->sin_family = AF_INET;
        a4->sin_port = htons((uint16_t)o->port);
    } else if (inet_pton(AF_INET6, o->host, &a6->sin6_addr) == 1) {
        a6->sin6_family = AF_INET6;
        a6->sin6_port = htons((uint16_t)o->port);
        flags |= MHD_USE_IPv6;
    } else {
        return vj_error(err, VMJAIL_ERR_USAGE, 0, "--listen: '%s' is not an IP address", o->host);
    }
    signal(SIGPIPE, SIG_IGN);
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGINT);
    sigaddset(&stop, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop, NULL); /* the server's threads inherit it */
    faas_state_load(&gw.st, load_one, load_bad, &gw);
    struct MHD_Daemon *d = MHD_start_daemon(
        flags, (uint16_t)o->port, NULL, NULL, handle, &gw, MHD_OPTION_SOCK_ADDR,
        (struct sockaddr *)&ss, MHD_OPTION_NOTIFY_COMPLETED, completed, NULL,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)120, MHD_OPTION_END);
    if (d == NULL)
        return vj_error(err, VMJAIL_ERR_INTERNAL, errno, "cannot listen on %s:%u", o->host,
                        o->port);
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
    printf("vmjail serve: listening on http://%s%s%s:%u, state %s\n",
           strchr(o->host, ':') ? "[" : "", o->host, strchr(o->host, ':') ? "]" : "",
           info ? info->port : o->port, gw.st.dir);
    fflush(stdout);
    int sig = 0;
    sigwait(&stop, &sig);
    fprintf(stderr, "vmjail serve: signal %d: stopping\n", sig);
    MHD_stop_daemon(d);
    for (size_t i = 0; i < gw.n; i++) {
        faas_fn_free(&gw.fns[i]->fn);
        free(gw.fns[i]);
    }
    free(gw.fns);
    faas_metrics_free(gw.metrics);
    pthread_mutex_destroy(&gw.lock);
    return 0;
}
