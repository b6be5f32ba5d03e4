/* spec.c: a function's spec: parsed from and written as JSON (OpenFaaS's /system/functions
 * body, with vmjail's options as annotations or labels), names and sizes checked. */
#include <ctype.h>
#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "faas/faas.h"
#include "lib/error.h"

bool faas_name_ok(const char *name)
{
    size_t n = strlen(name);
    if (n == 0 || n >= FAAS_NAME_MAX || !isalnum((unsigned char)name[0]))
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = name[i];
        if (!(islower((unsigned char)c) || isdigit((unsigned char)c) || c == '-' || c == '_' ||
              c == '.'))
            return false;
    }
    return true;
}

uint64_t faas_parse_size(const char *s)
{
    if (s == NULL || !isdigit((unsigned char)*s))
        return 0;
    errno = 0;
    char *end;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || v == 0)
        return 0;
    uint64_t mul = 1;
    switch (*end) {
    case '\0':
        return v;
    case 'k': case 'K':
        mul = 1ull << 10;
        break;
    case 'm': case 'M':
        mul = 1ull << 20;
        break;
    case 'g': case 'G':
        mul = 1ull << 30;
        break;
    default:
        return 0;
    }
    end++;
    if (strcmp(end, "") && strcmp(end, "i") && strcmp(end, "B") && strcmp(end, "iB"))
        return 0;
    if (v > UINT64_MAX / mul)
        return 0;
    return v * mul;
}

#define bad(err, ...) vj_error(err, VMJAIL_ERR_USAGE, 0, __VA_ARGS__)

static int str_member(json_object *o, const char *key, char **out, vmjail_error **err)
{
    json_object *v;
    if (!json_object_object_get_ex(o, key, &v) || json_object_is_type(v, json_type_null))
        return 0;
    if (!json_object_is_type(v, json_type_string) || json_object_get_string_len(v) == 0)
        return bad(err, "\"%s\" must be a non-empty string", key);
    if (strlen(json_object_get_string(v)) != (size_t)json_object_get_string_len(v))
        return bad(err, "\"%s\" holds a NUL byte", key);
    *out = strdup(json_object_get_string(v));
    return *out ? 0 : vj_error(err, VMJAIL_ERR_INTERNAL, ENOMEM, "spec");
}

static int list_member(json_object *o, const char *key, char **out, size_t *n, bool absolute,
                       vmjail_error **err)
{
    json_object *v;
    if (!json_object_object_get_ex(o, key, &v) || json_object_is_type(v, json_type_null))
        return 0;
    if (!json_object_is_type(v, json_type_array))
        return bad(err, "\"%s\" must be an array of strings", key);
    size_t len = json_object_array_length(v);
    if (len > FAAS_MAX_LIST)
        return bad(err, "\"%s\" has too many entries", key);
    for (size_t i = 0; i < len; i++) {
        json_object *e = json_object_array_get_idx(v, i);
        if (!json_object_is_type(e, json_type_string))
            return bad(err, "\"%s\" must be an array of strings", key);
        const char *s = json_object_get_string(e);
        if (strlen(s) != (size_t)json_object_get_string_len(e))
            return bad(err, "\"%s\" holds a NUL byte", key);
        if (absolute && s[0] != '/')
            return bad(err, "\"%s\" must hold absolute paths", key);
        if ((out[(*n)++] = strdup(s)) == NULL)
            return vj_error(err, VMJAIL_ERR_INTERNAL, ENOMEM, "spec");
    }
    return 0;
}

/* One vmjail option from "annotations" or "labels": KEY or com.vmjail.KEY. */
static int option(struct faas_fn *fn, const char *key, json_object *v, vmjail_error **err)
{
    if (strncmp(key, "com.vmjail.", 11) == 0)
        key += 11;
    bool known = !strcmp(key, "timeout") || !strcmp(key, "max_inflight") ||
                 !strcmp(key, "max_body") || !strcmp(key, "snapshot_at");
    if (!known)
        return 0; /* other annotations are the caller's */
    char buf[32];
    const char *s;
    if (json_object_is_type(v, json_type_int))
        snprintf(buf, sizeof buf, "%lld", (long long)json_object_get_int64(v)), s = buf;
    else if (json_object_is_type(v, json_type_string))
        s = json_object_get_string(v);
    else
        return bad(err, "annotation \"%s\" must be a string or a number", key);
    if (!strcmp(key, "snapshot_at")) {
        if (strcmp(s, "read-stdin") && strcmp(s, "accept") && strcmp(s, "call") &&
            strcmp(s, "none"))
            return bad(err, "snapshot_at \"%s\" is not read-stdin, accept, call or none", s);
        snprintf(fn->snapshot_at, sizeof fn->snapshot_at, "%s", s);
        return 0;
    }
    uint64_t n = faas_parse_size(s);
    if (!strcmp(key, "max_body")) {
        if (n == 0 || n > (1ull << 30))
            return bad(err, "max_body \"%s\" is not a size from 1 to 1G", s);
        fn->max_body = n;
    } else if (!strcmp(key, "timeout")) {
        if (n == 0 || n > 86400 || strspn(s, "0123456789") != strlen(s))
            return bad(err, "timeout \"%s\" is not a number of seconds from 1 to 86400", s);
        fn->timeout = (unsigned)n;
    } else {
        if (n > 100000 || strspn(s, "0123456789") != strlen(s))
            return bad(err, "max_inflight \"%s\" is not a number from 0 to 100000", s);
        fn->max_inflight = (unsigned)n;
    }
    return 0;
}

static int options(struct faas_fn *fn, json_object *o, const char *key, vmjail_error **err)
{
    json_object *v;
    if (!json_object_object_get_ex(o, key, &v) || json_object_is_type(v, json_type_null))
        return 0;
    if (!json_object_is_type(v, json_type_object))
        return bad(err, "\"%s\" must be an object", key);
    json_object_object_foreach(v, k, val) {
        if (option(fn, k, val, err) < 0)
            return -1;
    }
    return 0;
}

static int env_vars(struct faas_fn *fn, json_object *o, vmjail_error **err)
{
    json_object *v;
    if (!json_object_object_get_ex(o, "envVars", &v) || json_object_is_type(v, json_type_null))
        return 0;
    if (!json_object_is_type(v, json_type_object))
        return bad(err, "\"%s\" must be an object of strings", "envVars");
    json_object_object_foreach(v, k, val) {
        if (!json_object_is_type(val, json_type_string))
            return bad(err, "envVars \"%s\" must be a string", k);
        if (k[0] == '\0' || strchr(k, '=') || strlen(json_object_get_string(val)) !=
                                                  (size_t)json_object_get_string_len(val))
            return bad(err, "envVars \"%s\" is not a variable's name and value", k);
        if (fn->nenv == FAAS_MAX_LIST)
            return bad(err, "\"%s\" has too many entries", "envVars");
        if (asprintf(&fn->env[fn->nenv], "%s=%s", k, json_object_get_string(val)) < 0) {
            fn->env[fn->nenv] = NULL;
            return vj_error(err, VMJAIL_ERR_INTERNAL, ENOMEM, "spec");
        }
        fn->nenv++;
    }
    return 0;
}

static int parse_object(json_object *o, struct faas_fn *fn, vmjail_error **err)
{
    if (!json_object_is_type(o, json_type_object))
        return bad(err, "the function spec is not a JSON %s", "object");
    char *name = NULL;
    if (str_member(o, "service", &name, err) < 0)
        return -1;
    if (name == NULL)
        return bad(err, "\"%s\" (the function's name) is missing", "service");
    bool ok = faas_name_ok(name);
    snprintf(fn->name, sizeof fn->name, "%s", name);
    free(name);
    if (!ok)
        return bad(err, "\"service\" is not a valid name (1-63 of a-z 0-9 . _ -)%s", "");
    if (str_member(o, "program", &fn->program, err) < 0 ||
        str_member(o, "image", &fn->image, err) < 0)
        return -1;
    if ((fn->program == NULL) == (fn->image == NULL))
        return bad(err, "give exactly one of \"%s\" and \"image\"", "program");
    if (fn->program && fn->program[0] != '/')
        return bad(err, "\"%s\" must be an absolute path", "program");
    if (list_member(o, "args", fn->args, &fn->nargs, false, err) < 0 ||
        list_member(o, "files", fn->files, &fn->nfiles, true, err) < 0 ||
        env_vars(fn, o, err) < 0 || options(fn, o, "labels", err) < 0 ||
        options(fn, o, "annotations", err) < 0)
        return -1;
    json_object *lim, *mem;
    if (json_object_object_get_ex(o, "limits", &lim) && !json_object_is_type(lim, json_type_null)) {
        if (!json_object_is_type(lim, json_type_object))
            return bad(err, "\"%s\" must be an object", "limits");
        if (json_object_object_get_ex(lim, "memory", &mem) &&
            !json_object_is_type(mem, json_type_null)) {
            fn->memory = json_object_is_type(mem, json_type_string)
                             ? faas_parse_size(json_object_get_string(mem))
                             : 0;
            if (fn->memory < (16ull << 20) || fn->memory % (2ull << 20) ||
                fn->memory > (256ull << 30))
                return bad(err, "limits.memory must be a size, a multiple of 2M from 16M to "
                                "256G%s", "");
        }
    }
    if (fn->image && strcmp(fn->snapshot_at, "read-stdin") == 0)
        snprintf(fn->snapshot_at, sizeof fn->snapshot_at, "none"); /* not with --root yet */
    return 0;
}

int faas_fn_parse(const char *json, size_t len, struct faas_fn *fn, vmjail_error **err)
{
    memset(fn, 0, sizeof *fn);
    fn->timeout = FAAS_DEFAULT_TIMEOUT;
    fn->max_body = FAAS_DEFAULT_MAX_BODY;
    snprintf(fn->snapshot_at, sizeof fn->snapshot_at, "read-stdin");
    if (len > (1u << 20))
        return bad(err, "the function spec is over %s", "1 MiB");
    json_tokener *tok = json_tokener_new();
    if (tok == NULL)
        return vj_error(err, VMJAIL_ERR_INTERNAL, ENOMEM, "spec");
    json_object *o = json_tokener_parse_ex(tok, json, (int)len);
    enum json_tokener_error je = json_tokener_get_error(tok);
    size_t used = json_tokener_get_parse_end(tok);
    json_tokener_free(tok);
    if (o == NULL || je != json_tokener_success) {
        json_object_put(o);
        return bad(err, "the function spec is not JSON: %s",
                   je == json_tokener_continue ? "it ends too soon" : json_tokener_error_desc(je));
    }
    for (; used < len; used++)
        if (!isspace((unsigned char)json[used])) {
            json_object_put(o);
            return bad(err, "the function spec has %s after its JSON value", "text");
        }
    int rc = parse_object(o, fn, err);
    json_object_put(o);
    return rc;
}

static json_object *str_array(char *const *v, size_t n)
{
    json_object *a = json_object_new_array();
    for (size_t i = 0; i < n; i++)
        json_object_array_add(a, json_object_new_string(v[i]));
    return a;
}

char *faas_fn_to_json(const struct faas_fn *fn, void *extra)
{
    json_object *o = json_object_new_object();
    json_object_object_add(o, "service", json_object_new_string(fn->name));
    json_object_object_add(o, "name", json_object_new_string(fn->name));
    if (fn->program)
        json_object_object_add(o, "program", json_object_new_string(fn->program));
    if (fn->image)
        json_object_object_add(o, "image", json_object_new_string(fn->image));
    json_object_object_add(o, "args", str_array(fn->args, fn->nargs));
    json_object_object_add(o, "files", str_array(fn->files, fn->nfiles));
    json_object *env = json_object_new_object();
    for (size_t i = 0; i < fn->nenv; i++) {
        char *eq = strchr(fn->env[i], '=');
        char *k = strndup(fn->env[i], (size_t)(eq - fn->env[i]));
        if (k)
            json_object_object_add(env, k, json_object_new_string(eq + 1));
        free(k);
    }
    json_object_object_add(o, "envVars", env);
    json_object *ann = json_object_new_object();
    json_object_object_add(ann, "com.vmjail.timeout", json_object_new_int64(fn->timeout));
    json_object_object_add(ann, "com.vmjail.max_inflight",
                           json_object_new_int64(fn->max_inflight));
    json_object_object_add(ann, "com.vmjail.max_body", json_object_new_int64((int64_t)fn->max_body));
    json_object_object_add(ann, "com.vmjail.snapshot_at", json_object_new_string(fn->snapshot_at));
    json_object_object_add(o, "annotations", ann);
    if (fn->memory) {
        json_object *lim = json_object_new_object();
        char m[32];
        snprintf(m, sizeof m, "%lluM", (unsigned long long)(fn->memory >> 20));
        json_object_object_add(lim, "memory", json_object_new_string(m));
        json_object_object_add(o, "limits", lim);
    }
    if (extra) {
        json_object_object_foreach((json_object *)extra, k, v)
            json_object_object_add(o, k, json_object_get(v));
    }
    char *s = strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
                                                           JSON_C_TO_STRING_NOSLASHESCAPE));
    json_object_put(o);
    return s;
}

int faas_fn_copy(const struct faas_fn *from, struct faas_fn *to, vmjail_error **err)
{
    char *s = faas_fn_to_json(from, NULL);
    if (s == NULL)
        return vj_error(err, VMJAIL_ERR_INTERNAL, ENOMEM, "spec");
    int rc = faas_fn_parse(s, strlen(s), to, err);
    free(s);
    return rc;
}

void faas_fn_free(struct faas_fn *fn)
{
    free(fn->program);
    free(fn->image);
    for (size_t i = 0; i < fn->nargs; i++)
        free(fn->args[i]);
    for (size_t i = 0; i < fn->nfiles; i++)
        free(fn->files[i]);
    for (size_t i = 0; i < fn->nenv; i++)
        free(fn->env[i]);
    memset(fn, 0, sizeof *fn);
}
