/* cmd_fn.c: `vmjail fn deploy|invoke|ls|rm`: clients of vmjail serve's HTTP API (libcurl),
 * the /system token read from the gateway's state directory. */
#include <curl/curl.h>
#include <getopt.h>
#include <json-c/json.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "faas/faas.h"

static const char usage[] =
    "usage: vmjail fn deploy NAME (--program PATH [--file F]... | --image REF) [--env K=V]...\n"
    "                 [--memory SIZE] [--timeout S] [--max-inflight N] [--max-body SIZE]\n"
    "                 [--snapshot-at read-stdin|accept|call|none] [-- ARGS...]\n"
    "       vmjail fn invoke NAME [< BODY]\n"
    "       vmjail fn ls\n"
    "       vmjail fn rm NAME\n"
    "common options: --gateway URL (default $VMJAIL_GATEWAY or http://127.0.0.1:8080),\n"
    "                --state DIR (the gateway's, for its token; default as vmjail serve's)\n";

struct client {
    const char *gateway;
    char token[128];
};

struct buf {
    char *s;
    size_t len;
};

static size_t gather(char *p, size_t size, size_t n, void *cls)
{
    struct buf *b = cls;
    char *s = realloc(b->s, b->len + size * n + 1);
    if (s == NULL)
        return 0;
    memcpy(s + b->len, p, size * n);
    b->s = s;
    b->len += size * n;
    s[b->len] = '\0';
    return size * n;
}

/* One request: the status code (0 after a transport error, printed), the body in OUT. */
static long request(const struct client *cl, const char *method, const char *path,
                    const char *body, size_t len, struct buf *out)
{
    CURL *h = curl_easy_init();
    if (h == NULL) {
        cli_error("fn: curl_easy_init failed");
        return 0;
    }
    char url[2048], auth[256];
    snprintf(url, sizeof url, "%s%s", cl->gateway, path);
    struct curl_slist *hdr = NULL;
    if (cl->token[0]) {
        snprintf(auth, sizeof auth, "Authorization: Bearer %s", cl->token);
        hdr = curl_slist_append(hdr, auth);
    }
    hdr = curl_slist_append(hdr, "Expect:");
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, gather);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, out);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    if (body) {
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
    }
    long code = 0;
    CURLcode rc = curl_easy_perform(h);
    if (rc != CURLE_OK)
        cli_error("fn: %s: %s", url, curl_easy_strerror(rc));
    else
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
    curl_slist_free_all(hdr);
    curl_easy_cleanup(h);
    return code;
}

static int http_fail(const char *what, long code, struct buf *b)
{
    if (code == 0)
        return 1;
    char *s = b->s ? b->s : "";
    s[strcspn(s, "\n")] = '\0';
    cli_error("%s: HTTP %ld: %s", what, code, s);
    return 1;
}

/* PATH made absolute (searched in $PATH when it has no slash), into OUT. */
static int absolute(const char *path, char *out)
{
    if (strchr(path, '/') == NULL) {
        const char *p = getenv("PATH");
        char dirs[4096];
        snprintf(dirs, sizeof dirs, "%s", p ? p : "/usr/bin:/bin");
        for (char *save, *d = strtok_r(dirs, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
            char c[PATH_MAX + 256];
            snprintf(c, sizeof c, "%s/%s", d, path);
            if (access(c, X_OK) == 0 && realpath(c, out))
                return 0;
        }
        return -1;
    }
    return realpath(path, out) ? 0 : -1;
}

static int deploy(struct client *cl, int argc, char **argv)
{
    static const struct option longs[] = {
        {"program", required_argument, NULL, 'p'}, {"file", required_argument, NULL, 'f'},
        {"image", required_argument, NULL, 'i'},   {"env", required_argument, NULL, 'e'},
        {"memory", required_argument, NULL, 'm'},  {"timeout", required_argument, NULL, 't'},
        {"max-inflight", required_argument, NULL, 'n'},
        {"max-body", required_argument, NULL, 'b'},
        {"snapshot-at", required_argument, NULL, 's'},
        {"gateway", required_argument, NULL, 'g'}, {"state", required_argument, NULL, 'S'},
        {NULL, 0, NULL, 0},
    };
    json_object *o = json_object_new_object(), *files = json_object_new_array(),
                *env = json_object_new_object(), *ann = json_object_new_object(),
                *args = json_object_new_array();
    int c;
    char path[PATH_MAX];
    while ((c = getopt_long(argc, argv, "", longs, NULL)) != -1) {
        switch (c) {
        case 'p':
        case 'f':
            if (absolute(optarg, path) < 0) {
                cli_error("fn deploy: %s: not found", optarg);
                json_object_put(o);
                return EXIT_VMJAIL_ERROR;
            }
            if (c == 'p')
                json_object_object_add(o, "program", json_object_new_string(path));
            else
                json_object_array_add(files, json_object_new_string(path));
            break;
        case 'i':
            json_object_object_add(o, "image", json_object_new_string(optarg));
            break;
        case 'e': {
            char *eq = strchr(optarg, '=');
            if (eq == NULL) {
                cli_error("fn deploy: --env %s: not NAME=VALUE", optarg);
                json_object_put(o);
                return EXIT_VMJAIL_ERROR;
            }
            *eq = '\0';
            json_object_object_add(env, optarg, json_object_new_string(eq + 1));
            break;
        }
        case 'm': {
            json_object *lim = json_object_new_object();
            json_object_object_add(lim, "memory", json_object_new_string(optarg));
            json_object_object_add(o, "limits", lim);
            break;
        }
        case 't':
        case 'n':
        case 'b':
        case 's':
            json_object_object_add(ann,
                                   c == 't'   ? "com.vmjail.timeout"
                                   : c == 'n' ? "com.vmjail.max_inflight"
                                   : c == 'b' ? "com.vmjail.max_body"
                                              : "com.vmjail.snapshot_at",
                                   json_object_new_string(optarg));
            break;
        case 'g':
        case 'S':
            break; /* taken before */
        default:
            fputs(usage, stderr);
            json_object_put(o);
            return EXIT_VMJAIL_ERROR;
        }
    }
    if (optind >= argc) {
        cli_error("fn deploy: no NAME given");
        json_object_put(o);
        return EXIT_VMJAIL_ERROR;
    }
    json_object_object_add(o, "service", json_object_new_string(argv[optind]));
    for (int i = optind + 1; i < argc; i++)
        json_object_array_add(args, json_object_new_string(argv[i]));
    json_object_object_add(o, "files", files);
    json_object_object_add(o, "envVars", env);
    json_object_object_add(o, "annotations", ann);
    json_object_object_add(o, "args", args);
    const char *body = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
    struct buf b = {0};
    long code = request(cl, "POST", "/system/functions", body, strlen(body), &b);
    if (code == 409) {
        free(b.s);
        b = (struct buf){0};
        code = request(cl, "PUT", "/system/functions", body, strlen(body), &b);
    }
    int rc = 0;
    if (code / 100 != 2) {
        rc = http_fail("fn deploy", code, &b);
    } else {
        json_object *a = json_tokener_parse(b.s ? b.s : ""), *n;
        const char *note = a && json_object_object_get_ex(a, "note", &n) ? json_object_get_string(n)
                                                                         : "";
        printf("%s: deployed%s%s\n", argv[optind], note && note[0] ? "; " : ", snapshot taken",
               note ? note : "");
        json_object_put(a);
    }
    free(b.s);
    json_object_put(o);
    return rc;
}

static int invoke(struct client *cl, const char *name)
{
    struct buf in = {0};
    char chunk[65536];
    ssize_t n;
    while ((n = read(0, chunk, sizeof chunk)) > 0)
        if (gather(chunk, 1, (size_t)n, &in) == 0)
            break;
    char path[256];
    snprintf(path, sizeof path, "/function/%s", name);
    struct buf b = {0};
    long code = request(cl, "POST", path, in.s ? in.s : "", in.len, &b);
    int rc = 0;
    if (code != 200)
        rc = http_fail("fn invoke", code, &b);
    else if (b.len && fwrite(b.s, 1, b.len, stdout) != b.len)
        rc = 1;
    free(in.s);
    free(b.s);
    return rc;
}

static int list(struct client *cl)
{
    struct buf b = {0};
    long code = request(cl, "GET", "/system/functions", NULL, 0, &b);
    if (code != 200) {
        int rc = http_fail("fn ls", code, &b);
        free(b.s);
        return rc;
    }
    json_object *a = json_tokener_parse(b.s ? b.s : "");
    printf("%-24s %-12s %-8s %s\n", "NAME", "INVOCATIONS", "START", "PROGRAM OR IMAGE");
    for (size_t i = 0; a && json_object_is_type(a, json_type_array) &&
                       i < json_object_array_length(a);
         i++) {
        json_object *f = json_object_array_get_idx(a, i), *v;
        const char *name = json_object_object_get_ex(f, "name", &v) ? json_object_get_string(v) : "";
        long long inv = json_object_object_get_ex(f, "invocationCount", &v)
                            ? (long long)json_object_get_int64(v) : 0;
        bool snap = json_object_object_get_ex(f, "snapshot", &v) && json_object_get_boolean(v);
        const char *src = json_object_object_get_ex(f, "program", &v) ||
                                  json_object_object_get_ex(f, "image", &v)
                              ? json_object_get_string(v) : "";
        printf("%-24s %-12lld %-8s %s\n", name, inv, snap ? "restore" : "cold", src);
    }
    json_object_put(a);
    free(b.s);
    return 0;
}

static int remove_fn(struct client *cl, const char *name)
{
    json_object *o = json_object_new_object();
    json_object_object_add(o, "functionName", json_object_new_string(name));
    const char *body = json_object_to_json_string(o);
    struct buf b = {0};
    long code = request(cl, "DELETE", "/system/functions", body, strlen(body), &b);
    int rc = code / 100 == 2 ? 0 : http_fail("fn rm", code, &b);
    if (rc == 0)
        printf("%s: removed\n", name);
    free(b.s);
    json_object_put(o);
    return rc;
}

int cmd_fn(int argc, char **argv)
{
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        fputs(usage, argc < 2 ? stderr : stdout);
        return argc < 2 ? EXIT_VMJAIL_ERROR : 0;
    }
    struct client cl = {.gateway = getenv("VMJAIL_GATEWAY")};
    const char *state = NULL;
    for (int i = 2; i + 1 < argc; i++) { /* --gateway and --state, anywhere before -- */
        if (!strcmp(argv[i], "--"))
            break;
        if (!strcmp(argv[i], "--gateway"))
            cl.gateway = argv[i + 1];
        if (!strcmp(argv[i], "--state"))
            state = argv[i + 1];
    }
    if (cl.gateway == NULL)
        cl.gateway = "http://127.0.0.1:8080";
    char dir[PATH_MAX];
    if (state == NULL && faas_state_default(dir, sizeof dir) == 0)
        state = dir;
    const char *tok = getenv("VMJAIL_TOKEN");
    if (tok)
        snprintf(cl.token, sizeof cl.token, "%s", tok);
    else if (state)
        faas_token_read(state, cl.token, sizeof cl.token, NULL); /* none: 401 says so */
    curl_global_init(CURL_GLOBAL_DEFAULT);
    const char *sub = argv[1];
    int rc;
    /* the NAME of invoke and rm: the first argument that is not an option or its value */
    const char *name = NULL;
    for (int i = 2; i < argc; i++) {
        if (!strcmp(argv[i], "--gateway") || !strcmp(argv[i], "--state")) {
            i++;
            continue;
        }
        if (name == NULL)
            name = argv[i];
    }
    if (!strcmp(sub, "deploy")) {
        rc = deploy(&cl, argc - 1, argv + 1);
    } else if (!strcmp(sub, "invoke") || !strcmp(sub, "rm")) {
        if (name == NULL) {
            cli_error("fn %s: no NAME given", sub);
            rc = EXIT_VMJAIL_ERROR;
        } else {
            rc = !strcmp(sub, "invoke") ? invoke(&cl, name) : remove_fn(&cl, name);
        }
    } else if (!strcmp(sub, "ls")) {
        rc = list(&cl);
    } else {
        cli_error("fn: unknown command '%s' (deploy, invoke, ls, rm)", sub);
        rc = EXIT_VMJAIL_ERROR;
    }
    curl_global_cleanup();
    return rc;
}
