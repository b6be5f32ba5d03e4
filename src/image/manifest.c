/* manifest.c: OCI and Docker manifests, indexes and image configs (json-c): which kind a body
 * is, linux/amd64 from an index, a manifest's config and layers, a config's diff_ids. */
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "image/image.h"

static struct json_object *parse(const char *body, size_t len)
{
    if (len > 16 << 20)
        return NULL;
    struct json_tokener *tok = json_tokener_new();
    if (tok == NULL)
        return NULL;
    struct json_object *o = json_tokener_parse_ex(tok, body, (int)len);
    if (o != NULL && json_tokener_get_error(tok) != json_tokener_success) {
        json_object_put(o);
        o = NULL;
    }
    json_tokener_free(tok);
    if (o != NULL && !json_object_is_type(o, json_type_object)) {
        json_object_put(o);
        o = NULL;
    }
    return o;
}

static const char *str(struct json_object *o, const char *key)
{
    struct json_object *v;
    if (o == NULL || !json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
        return NULL;
    return json_object_get_string(v);
}

static enum img_media media_of_string(const char *t)
{
    if (t == NULL)
        return IMG_MT_UNKNOWN;
    size_t n = strcspn(t, "; ");
    static const struct {
        const char *s;
        enum img_media m;
    } types[] = {
        {IMG_MT_OCI_INDEX_S, IMG_MT_OCI_INDEX},
        {IMG_MT_OCI_MANIFEST_S, IMG_MT_OCI_MANIFEST},
        {IMG_MT_DOCKER_LIST_S, IMG_MT_DOCKER_LIST},
        {IMG_MT_DOCKER_V2_S, IMG_MT_DOCKER_V2},
        {"application/vnd.docker.distribution.manifest.v1+prettyjws", IMG_MT_SCHEMA1},
        {"application/vnd.docker.distribution.manifest.v1+json", IMG_MT_SCHEMA1},
    };
    for (size_t i = 0; i < sizeof types / sizeof *types; i++)
        if (strlen(types[i].s) == n && strncmp(t, types[i].s, n) == 0)
            return types[i].m;
    return IMG_MT_UNKNOWN;
}

enum img_media img_media_of(const char *content_type, const char *body, size_t len)
{
    enum img_media m = media_of_string(content_type);
    if (m != IMG_MT_UNKNOWN)
        return m;
    struct json_object *o = parse(body, len);
    if (o == NULL)
        return IMG_MT_UNKNOWN;
    m = media_of_string(str(o, "mediaType"));
    struct json_object *v;
    if (m == IMG_MT_UNKNOWN && json_object_object_get_ex(o, "schemaVersion", &v) &&
        json_object_get_int(v) == 1)
        m = IMG_MT_SCHEMA1;
    else if (m == IMG_MT_UNKNOWN && json_object_object_get_ex(o, "manifests", &v))
        m = IMG_MT_OCI_INDEX;
    else if (m == IMG_MT_UNKNOWN && json_object_object_get_ex(o, "layers", &v))
        m = IMG_MT_OCI_MANIFEST;
    json_object_put(o);
    return m;
}

static int desc_of(struct json_object *o, struct img_desc *d, const char *what, vmjail_error **err)
{
    memset(d, 0, sizeof *d);
    const char *dig = str(o, "digest"), *mt = str(o, "mediaType");
    struct json_object *sz;
    if (!img_digest_valid(dig))
        return vj_error(err, VMJAIL_ERR_INTERNAL, 0, "%s: no valid sha256 digest", what);
    if (!json_object_object_get_ex(o, "size", &sz) || !json_object_is_type(sz, json_type_int) ||
        json_object_get_int64(sz) < 0)
        return vj_error(err, VMJAIL_ERR_INTERNAL, 0, "%s %s: no valid size", what, dig);
    strcpy(d->digest, dig);
    if (mt != NULL)
        snprintf(d->media, sizeof d->media, "%s", mt);
    d->size = json_object_get_int64(sz);
    return 0;
}

int img_index_choose(const char *body, size_t len, struct img_desc *out, vmjail_error **err)
{
    struct json_object *o = parse(body, len), *ms;
    if (o == NULL)
        return vj_error(err, VMJAIL_ERR_INTERNAL, 0, "the image index is not a JSON object");
    int rc = -1;
    if (!json_object_object_get_ex(o, "manifests", &ms) || !json_object_is_type(ms, json_type_array)) {
        vj_error(err, VMJAIL_ERR_INTERNAL, 0, "the image index has no manifests array");
        goto out;
    }
    size_t n = json_object_array_length(ms);
    for (size_t i = 0; i < n; i++) {
        struct json_object *m = json_object_array_get_idx(ms, i), *p;
        if (!json_object_is_type(m, json_type_object) ||
            !json_object_object_get_ex(m, "platform", &p))
            continue;
        const char *os = str(p, "os"), *arch = str(p, "architecture");
        if (os == NULL || arch == NULL || strcmp(os, "linux") != 0 || strcmp(arch, "amd64") != 0)
            continue;
        enum img_media mt = media_of_string(str(m, "mediaType"));
        if (mt != IMG_MT_OCI_MANIFEST && mt != IMG_MT_DOCKER_V2)
            continue;
        rc = desc_of(m, out, "the index's linux/amd64 manifest", err);
        goto out;
    }
    vj_error(err, VMJAIL_ERR_NOTFOUND, 0, "the image index has no linux/amd64 image");
out:
    json_object_put(o);
    return rc;
}

int img_layer_compression(const char *media)
{
    static const struct {
        const char *s;
        int c;
    } t[] = {
        {"application/vnd.oci.image.layer.v1.tar", 0},
        {"application/vnd.oci.image.layer.v1.tar+gzip", 1},
        {"application/vnd.oci.image.layer.v1.tar+zstd", 2},
        {"application/vnd.docker.image.rootfs.diff.tar.gzip", 1},
        {"application/vnd.docker.image.rootfs.diff.tar", 0},
    };
    for (size_t i = 0; i < sizeof t / sizeof *t; i++)
        if (strcmp(media, t[i].s) == 0)
            return t[i].c;
    return -1;
}

int img_manifest_parse(const char *body, size_t len, struct img_manifest *m, vmjail_error **err)
{
    memset(m, 0, sizeof *m);
    struct json_object *o = parse(body, len), *c, *ls, *v;
    if (o == NULL)
        return vj_error(err, VMJAIL_ERR_INTERNAL, 0, "the image manifest is not a JSON object");
    int rc = -1;
    if (!json_object_object_get_ex(o, "schemaVersion", &v) || json_object_get_int(v) != 2) {
        vj_error(err, VMJAIL_ERR_INTERNAL, 0, "the image manifest is not schemaVersion 2");
        goto out;
    }
    if (!json_object_object_get_ex(o, "config", &c) || !json_object_is_type(c, json_type_object) ||
        desc_of(c, &m->config, "the manifest's config", err) < 0) {
        if (err && !*err)
            vj_error(err, VMJAIL_ERR_INTERNAL, 0, "the image manifest has no config");
        goto out;
    }
    if (!json_object_object_get_ex(o, "layers", &ls) || !json_object_is_type(ls, json_type_array)) {
        vj_error(err, VMJAIL_ERR_INTERNAL, 0, "the image manifest has no layers array");
        goto out;
    }
    size_t n = json_object_array_length(ls);
    if (n > 1000) {
        vj_error(err, VMJAIL_ERR_INTERNAL, 0, "the image manifest has %zu layers (at most 1000)", n);
        goto out;
    }
    m->layers = calloc(n ? n : 1, sizeof *m->layers);
    if (m->layers == NULL) {
        vj_error(err, VMJAIL_ERR_INTERNAL, 12, "manifest");
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        struct json_object *l = json_object_array_get_idx(ls, i);
        if (!json_object_is_type(l, json_type_object) ||
            desc_of(l, &m->layers[i], "a layer", err) < 0) {
            if (err && !*err)
                vj_error(err, VMJAIL_ERR_INTERNAL, 0, "layer %zu is not an object", i);
            goto out;
        }
        if (img_layer_compression(m->layers[i].media) < 0) {
            vj_error(err, VMJAIL_ERR_INTERNAL, 0, "layer %s: unsupported media type '%s'",
                     m->layers[i].digest, m->layers[i].media);
            goto out;
        }
        m->nlayers++;
    }
    rc = 0;
out:
    if (rc < 0)
        img_manifest_free(m);
    json_object_put(o);
    return rc;
}

void img_manifest_free(struct img_manifest *m)
{
    free(m->layers);
    m->layers = NULL;
    m->nlayers = 0;
}

static char **strings(struct json_object *o, const char *key)
{
    struct json_object *a;
    if (o == NULL || !json_object_object_get_ex(o, key, &a) || !json_object_is_type(a, json_type_array))
        return NULL;
    size_t n = json_object_array_length(a);
    char **v = calloc(n + 1, sizeof *v);
    if (v == NULL)
        return NULL;
    for (size_t i = 0, j = 0; i < n; i++) {
        struct json_object *e = json_object_array_get_idx(a, i);
        if (json_object_is_type(e, json_type_string))
            v[j++] = strdup(json_object_get_string(e));
    }
    return v;
}

static void free_strings(char **v)
{
    for (size_t i = 0; v && v[i]; i++)
        free(v[i]);
    free(v);
}

int img_config_parse(const char *body, size_t len, struct img_config *c, vmjail_error **err)
{
    memset(c, 0, sizeof *c);
    struct json_object *o = parse(body, len), *rf, *cfg = NULL;
    if (o == NULL)
        return vj_error(err, VMJAIL_ERR_INTERNAL, 0, "the image config is not a JSON object");
    int rc = -1;
    c->diff_ids = strings(json_object_object_get_ex(o, "rootfs", &rf) ? rf : NULL, "diff_ids");
    if (c->diff_ids == NULL) {
        vj_error(err, VMJAIL_ERR_INTERNAL, 0, "the image config has no rootfs.diff_ids");
        goto out;
    }
    for (; c->diff_ids[c->ndiff]; c->ndiff++)
        if (!img_digest_valid(c->diff_ids[c->ndiff])) {
            vj_error(err, VMJAIL_ERR_INTERNAL, 0, "the image config's diff_id %zu is not sha256",
                     c->ndiff);
            goto out;
        }
    const char *cr = str(o, "created");
    if (cr)
        snprintf(c->created, sizeof c->created, "%s", cr);
    json_object_object_get_ex(o, "config", &cfg);
    c->entrypoint = strings(cfg, "Entrypoint");
    c->cmd = strings(cfg, "Cmd");
    c->env = strings(cfg, "Env");
    const char *w = str(cfg, "WorkingDir"), *u = str(cfg, "User");
    c->workdir = w ? strdup(w) : NULL;
    c->user = u ? strdup(u) : NULL;
    struct json_object *ports;
    if (cfg && json_object_object_get_ex(cfg, "ExposedPorts", &ports) &&
        json_object_is_type(ports, json_type_object)) {
        size_t n = 0;
        c->exposed = calloc((size_t)json_object_object_length(ports) + 1, sizeof *c->exposed);
        json_object_object_foreach(ports, key, val) {
            (void)val;
            if (c->exposed)
                c->exposed[n++] = strdup(key);
        }
    }
    rc = 0;
out:
    if (rc < 0)
        img_config_free(c);
    json_object_put(o);
    return rc;
}

void img_config_free(struct img_config *c)
{
    free_strings(c->diff_ids);
    free_strings(c->entrypoint);
    free_strings(c->cmd);
    free_strings(c->env);
    free(c->workdir);
    free(c->user);
    free_strings(c->exposed);
    memset(c, 0, sizeof *c);
}
