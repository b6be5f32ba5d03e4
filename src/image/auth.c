/* auth.c: registry credentials: the auth file (containers' auth.json, docker's config.json)
 * and the WWW-Authenticate challenge of a 401. */
#include <json-c/json.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "image/registry.h"

int img_www_auth_parse(const char *h, char *scheme, size_t sn, char *realm, size_t rn,
                       char *service, size_t svn, char *scope, size_t scn)
{
    *realm = *service = *scope = '\0';
    while (*h == ' ')
        h++;
    size_t n = strcspn(h, " ");
    if (n == 0 || n >= sn)
        return -1;
    memcpy(scheme, h, n);
    scheme[n] = '\0';
    const char *p = h + n;
    while (*p) {
        while (*p == ' ' || *p == ',')
            p++;
        const char *eq = strchr(p, '=');
        if (eq == NULL)
            break;
        size_t kn = (size_t)(eq - p);
        char val[1024];
        size_t vn = 0;
        const char *v = eq + 1;
        if (*v == '"') {
            for (v++; *v && *v != '"'; v++) {
                if (*v == '\\' && v[1])
                    v++;
                if (vn < sizeof val - 1)
                    val[vn++] = *v;
            }
            if (*v == '"')
                v++;
        } else {
            for (; *v && *v != ','; v++)
                if (vn < sizeof val - 1)
                    val[vn++] = *v;
        }
        val[vn] = '\0';
        char *dst = NULL;
        size_t dn = 0;
        if (kn == 5 && strncmp(p, "realm", 5) == 0)
            dst = realm, dn = rn;
        else if (kn == 7 && strncmp(p, "service", 7) == 0)
            dst = service, dn = svn;
        else if (kn == 5 && strncmp(p, "scope", 5) == 0)
            dst = scope, dn = scn;
        if (dst)
            snprintf(dst, dn, "%s", val);
        p = v;
    }
    return 0;
}

static int from_file(const char *path, const char *host, char *user, size_t un, char *pass,
                     size_t pn)
{
    struct json_object *o = json_object_from_file(path), *auths, *e, *a;
    if (o == NULL)
        return 0;
    int found = 0;
    char keys[3][300];
    snprintf(keys[0], sizeof keys[0], "%s", host);
    snprintf(keys[1], sizeof keys[1], "https://%s", host);
    snprintf(keys[2], sizeof keys[2], "%s",
             strcmp(host, "docker.io") == 0 ? "https://index.docker.io/v1/" : host);
    if (!json_object_object_get_ex(o, "auths", &auths))
        goto out;
    for (int k = 0; k < 3 && !found; k++) {
        if (!json_object_object_get_ex(auths, keys[k], &e) ||
            !json_object_object_get_ex(e, "auth", &a) || !json_object_is_type(a, json_type_string))
            continue;
        const char *b64 = json_object_get_string(a);
        size_t bl = strlen(b64);
        if (bl == 0 || bl > 4096)
            continue;
        unsigned char *dec = malloc(bl);
        if (dec == NULL)
            continue;
        int dl = EVP_DecodeBlock(dec, (const unsigned char *)b64, (int)bl);
        if (dl > 0) {
            while (dl > 0 && b64[bl - 1] == '=' && dec[dl - 1] == '\0')
                dl--, bl--; /* the padding decodes as NULs */
            char *colon = memchr(dec, ':', (size_t)dl);
            if (colon != NULL) {
                size_t ul = (size_t)(colon - (char *)dec), pl = (size_t)dl - ul - 1;
                if (ul < un && pl < pn) {
                    memcpy(user, dec, ul);
                    user[ul] = '\0';
                    memcpy(pass, colon + 1, pl);
                    pass[pl] = '\0';
                    found = 1;
                }
            }
        }
        free(dec);
    }
out:
    json_object_put(o);
    return found;
}

int img_auth_lookup(const char *file, const char *host, char *user, size_t un, char *pass,
                    size_t pn)
{
    if (file != NULL)
        return from_file(file, host, user, un, pass, pn);
    char path[4096];
    const char *e = getenv("REGISTRY_AUTH_FILE");
    if (e && *e && from_file(e, host, user, un, pass, pn))
        return 1;
    if ((e = getenv("XDG_RUNTIME_DIR")) && *e) {
        snprintf(path, sizeof path, "%s/containers/auth.json", e);
        if (from_file(path, host, user, un, pass, pn))
            return 1;
    }
    if ((e = getenv("HOME")) && *e) {
        snprintf(path, sizeof path, "%s/.docker/config.json", e);
        if (from_file(path, host, user, un, pass, pn))
            return 1;
    }
    return 0;
}
