/* route.c: the gateway's routes (method and path to what serves them) and the names of the
 * Http_* variables a request's headers become. */
#include <ctype.h>
#include <string.h>

#include "faas/faas.h"

/* If URL starts with PREFIX and a valid function name follows, copy it to NAME. */
static bool named(const char *url, const char *prefix, char name[FAAS_NAME_MAX],
                  const char **subpath)
{
    size_t p = strlen(prefix);
    if (strncmp(url, prefix, p) != 0)
        return false;
    const char *s = url + p, *end = strchr(s, '/');
    size_t n = end ? (size_t)(end - s) : strlen(s);
    if (n == 0 || n >= FAAS_NAME_MAX)
        return false;
    memcpy(name, s, n);
    name[n] = '\0';
    if (!faas_name_ok(name))
        return false;
    if (subpath)
        *subpath = end ? end : "/";
    return true;
}

enum faas_route faas_route_of(const char *method, const char *url, char name[FAAS_NAME_MAX],
                              const char **subpath)
{
    name[0] = '\0';
    bool get = strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0;
    if (strcmp(url, "/healthz") == 0)
        return get ? FAAS_ROUTE_HEALTH : FAAS_ROUTE_BAD_METHOD;
    if (strcmp(url, "/metrics") == 0)
        return get ? FAAS_ROUTE_METRICS : FAAS_ROUTE_BAD_METHOD;
    if (strcmp(url, "/system/functions") == 0 || strcmp(url, "/system/functions/") == 0) {
        if (get)
            return FAAS_ROUTE_LIST;
        if (strcmp(method, "POST") == 0)
            return FAAS_ROUTE_DEPLOY;
        if (strcmp(method, "PUT") == 0)
            return FAAS_ROUTE_UPDATE;
        if (strcmp(method, "DELETE") == 0)
            return FAAS_ROUTE_DELETE;
        return FAAS_ROUTE_BAD_METHOD;
    }
    const char *sub = NULL;
    if (named(url, "/system/function/", name, &sub)) {
        if (strcmp(sub, "/") != 0)
            return FAAS_ROUTE_NONE;
        return get ? FAAS_ROUTE_GET : FAAS_ROUTE_BAD_METHOD;
    }
    if (named(url, "/function/", name, subpath))
        return FAAS_ROUTE_INVOKE;
    if (named(url, "/async-function/", name, subpath))
        return strcmp(method, "POST") == 0 ? FAAS_ROUTE_ASYNC : FAAS_ROUTE_BAD_METHOD;
    name[0] = '\0';
    return FAAS_ROUTE_NONE;
}

bool faas_route_needs_token(enum faas_route route)
{
    switch (route) {
    case FAAS_ROUTE_LIST:
    case FAAS_ROUTE_DEPLOY:
    case FAAS_ROUTE_UPDATE:
    case FAAS_ROUTE_DELETE:
    case FAAS_ROUTE_GET:
        return true;
    default:
        return false;
    }
}

void faas_header_env_name(const char *header, char *out, size_t size)
{
    size_t j = 0;
    if (size == 0)
        return;
    const char *pre = "Http_";
    for (; *pre && j + 1 < size; pre++)
        out[j++] = *pre;
    bool start = true;
    for (const char *c = header; *c && j + 1 < size; c++) {
        unsigned char ch = (unsigned char)*c;
        if (ch == '-' || !isalnum(ch)) {
            out[j++] = '_';
            start = true;
            continue;
        }
        out[j++] = (char)(start ? toupper(ch) : tolower(ch));
        start = false;
    }
    out[j] = '\0';
}
