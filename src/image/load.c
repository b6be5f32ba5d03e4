/* load.c: `vmjail load`: a docker-archive (manifest.json, legacy or Docker 25's), an OCI
 * archive, or an OCI layout directory, copied into the store blob by blob (each checked),
 * unpacked, then named. */
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "image/image.h"

/* Copy the file REL of the tree DIR into the store as a blob; its digest and size out, and
 * checked against WANT when it is not NULL. */
static int copy_blob(struct img_store *s, int dir, const char *rel, const char *want,
                     char digest[IMG_DIGEST_LEN], int64_t *size, vmjail_error **err)
{
    char clean[4096], tmp[64], final[200];
    if (img_path_clean(rel, clean, sizeof clean) < 0 || clean[0] == '\0')
        return vj_error(err, VMJAIL_ERR_INTERNAL, 0, "bad path '%s' in the archive", rel);
    int in = img_open_in_root(dir, clean, O_RDONLY | O_NOFOLLOW);
    if (in < 0)
        return vj_error(err, VMJAIL_ERR_NOTFOUND, errno, "%s in the archive", clean);
    snprintf(tmp, sizeof tmp, "tmp/load-%d", (int)getpid());
    int out = openat(s->dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
    if (out < 0) {
        close(in);
        return vj_error(err, VMJAIL_ERR_INTERNAL, errno, "%s/%s", s->root, tmp);
    }
    struct img_hash *h = img_hash_new();
    char buf[65536];
    ssize_t n;
    int64_t total = 0;
    int rc = 0;
    while ((n = read(in, buf, sizeof buf)) > 0) {
        if (write(out, buf, (size_t)n) != n) {
            rc = -1;
            break;
        }
        img_hash_update(h, buf, (size_t)n);
        total += n;
    }
    img_hash_final(h, digest);
    if (n < 0 || rc < 0 || fsync(out) < 0)
        rc = vj_error(err, VMJAIL_ERR_INTERNAL, errno, "copying %s", clean);
    close(in);
    close(out);
    if (rc == 0 && want && strcmp(want, digest) != 0)
        rc = vj_error(err, VMJAIL_ERR_INTERNAL, 0, "%s: its sha256 is %s, not %s: refused", clean,
                      digest, want);
    img_store_blob_rel(digest, final, sizeof final);
    if (rc == 0 && renameat(s->dirfd, tmp, s->dirfd, final) < 0)
        rc = vj_error(err, VMJAIL_ERR_INTERNAL, errno, "storing %s", clean);
    if (rc < 0)
        unlinkat(s->dirfd, tmp, 0);
    *size = total;
    return rc;
}

static int read_small(int dir, const char *rel, char **out, size_t *len)
{
    int fd = img_open_in_root(dir, rel, O_RDONLY | O_NOFOLLOW);
    if (fd < 0)
        return -1;
    struct stat st;
    if (fstat(fd, &st) < 0 || st.st_size > (16 << 20) || (*out = malloc((size_t)st.st_size + 1)) == NULL) {
        close(fd);
        return -1;
    }
    ssize_t n = read(fd, *out, (size_t)st.st_size);
    close(fd);
    if (n != st.st_size) {
        free(*out);
        return -1;
    }
    (*out)[n] = '\0';
    *len = (size_t)n;
    return 0;
}

/* Unpack the stored manifest D and name it NAME (normalised when it parses as a reference). */
static int finish(struct img_store *s, const struct img_desc *d, const char *name,
                  void (*loaded)(const char *, void *), void *arg, vmjail_error **err)
{
    if (img_store_unpack(s, d, NULL, err) < 0)
        return -1;
    char full[700];
    struct img_ref r;
    vmjail_error *e = NULL;
    if (name == NULL || *name == '\0')
        snprintf(full, sizeof full, "%s", d->digest);
    else if (img_ref_parse(name, &r, &e) == 0)
        img_ref_name(&r, full, sizeof full);
    else
        snprintf(full, sizeof full, "%s", name);
    vmjail_error_free(e);
    if (img_store_tag(s, full, d, err) < 0)
        return -1;
    if (loaded)
        loaded(full, arg);
    return 0;
}

static int blob_path(const char *digest, char *out, size_t n)
{
    if (!img_digest_valid(digest))
        return -1;
    snprintf(out, n, "blobs/sha256/%.64s", digest + 7);
    return 0;
}

/* An OCI layout: every image its index.json names (linux/amd64 from a nested index). */
static int load_oci(struct img_store *s, int dir, void (*loaded)(const char *, void *), void *arg,
                    vmjail_error **err)
{
    char *body;
    size_t len;
    if (read_small(dir, "index.json", &body, &len) < 0)
        return vj_error(err, VMJAIL_ERR_INTERNAL, errno, "index.json");
    struct json_object *o = json_tokener_parse(body), *ms;
    free(body);
    int rc = -1;
    if (o == NULL || !json_object_object_get_ex(o, "manifests", &ms) ||
        !json_object_is_type(ms, json_type_array)) {
        vj_error(err, VMJAIL_ERR_INTERNAL, 0, "index.json is not an OCI index");
        goto out;
    }
    for (size_t i = 0; i < json_object_array_length(ms); i++) {
        struct json_object *e = json_object_array_get_idx(ms, i), *v, *a, *nm;
        const char *dg = json_object_object_get_ex(e, "digest", &v) ? json_object_get_string(v) : NULL;
        const char *name = json_object_object_get_ex(e, "annotations", &a) &&
                                   json_object_object_get_ex(a, "org.opencontainers.image.ref.name", &nm)
                               ? json_object_get_string(nm)
                               : NULL;
        struct img_desc d = {0};
        char p[200], next[IMG_DIGEST_LEN];
        for (int depth = 0;; depth++) {
            if (depth > 4 || blob_path(dg, p, sizeof p) < 0) {
                vj_error(err, VMJAIL_ERR_INTERNAL, 0, "index.json: entry %zu has no valid digest", i);
                goto out;
            }
            if (copy_blob(s, dir, p, dg, d.digest, &d.size, err) < 0)
                goto out;
            char *mb;
            size_t ml;
            if (img_store_read_blob(s, d.digest, 4 << 20, &mb, &ml, err) < 0)
                goto out;
            enum img_media mt = img_media_of(NULL, mb, ml);
            struct img_desc chosen;
            if (mt == IMG_MT_OCI_INDEX || mt == IMG_MT_DOCKER_LIST) {
                int r = img_index_choose(mb, ml, &chosen, err);
                free(mb);
                if (r < 0)
                    goto out;
                strcpy(next, chosen.digest);
                dg = next;
                continue;
            }
            struct img_manifest m;
            int r = img_manifest_parse(mb, ml, &m, err);
            free(mb);
            if (r < 0)
                goto out;
            snprintf(d.media, sizeof d.media, "%s", mt == IMG_MT_DOCKER_V2 ? IMG_MT_DOCKER_V2_S : IMG_MT_OCI_MANIFEST_S);
            char got[IMG_DIGEST_LEN];
            int64_t sz;
            r = blob_path(m.config.digest, p, sizeof p) < 0 ? -1 : copy_blob(s, dir, p, m.config.digest, got, &sz, err);
            for (size_t l = 0; r == 0 && l < m.nlayers; l++)
                r = blob_path(m.layers[l].digest, p, sizeof p) < 0 ? -1
                    : copy_blob(s, dir, p, m.layers[l].digest, got, &sz, err);
            img_manifest_free(&m);
            if (r < 0)
                goto out;
            break;
        }
        if (finish(s, &d, name, loaded, arg, err) < 0)
            goto out;
    }
    rc = 0;
out:
    json_object_put(o);
    return rc;
}

static const char *layer_media(int dir, const char *rel)
{
    unsigned char m[4] = {0};
    int fd = img_open_in_root(dir, rel, O_RDONLY | O_NOFOLLOW);
    if (fd >= 0) {
        if (read(fd, m, 4) < 0)
            m[0] = 0;
        close(fd);
    }
    if (m[0] == 0x1f && m[1] == 0x8b)
        return "application/vnd.oci.image.layer.v1.tar+gzip";
    if (m[0] == 0x28 && m[1] == 0xb5 && m[2] == 0x2f && m[3] == 0xfd)
        return "application/vnd.oci.image.layer.v1.tar+zstd";
    return "application/vnd.oci.image.layer.v1.tar";
}

/* A legacy docker-archive: manifest.json's Config and Layers made an OCI manifest. */
static int load_docker(struct img_store *s, int dir, void (*loaded)(const char *, void *), void *arg,
                       vmjail_error **err)
{
    char *body;
    size_t len;
    if (read_small(dir, "manifest.json", &body, &len) < 0)
        return vj_error(err, VMJAIL_ERR_INTERNAL, 0, "neither index.json nor manifest.json: not an image archive");
    struct json_object *o = json_tokener_parse(body);
    free(body);
    int rc = -1;
    if (o == NULL || !json_object_is_type(o, json_type_array)) {
        vj_error(err, VMJAIL_ERR_INTERNAL, 0, "manifest.json is not a docker-archive manifest");
        goto out;
    }
    for (size_t i = 0; i < json_object_array_length(o); i++) {
        struct json_object *e = json_object_array_get_idx(o, i), *cfg, *ls, *tags;
        if (!json_object_object_get_ex(e, "Config", &cfg) || !json_object_object_get_ex(e, "Layers", &ls) ||
            !json_object_is_type(ls, json_type_array) || json_object_array_length(ls) > 1000) {
            vj_error(err, VMJAIL_ERR_INTERNAL, 0, "manifest.json: entry %zu has no Config or Layers", i);
            goto out;
        }
        struct json_object *m = json_object_new_object(), *c = json_object_new_object(),
                           *la = json_object_new_array();
        char dg[IMG_DIGEST_LEN];
        int64_t sz;
        int r = copy_blob(s, dir, json_object_get_string(cfg), NULL, dg, &sz, err);
        json_object_object_add(m, "schemaVersion", json_object_new_int(2));
        json_object_object_add(m, "mediaType", json_object_new_string(IMG_MT_OCI_MANIFEST_S));
        json_object_object_add(c, "mediaType", json_object_new_string("application/vnd.oci.image.config.v1+json"));
        json_object_object_add(c, "digest", json_object_new_string(dg));
        json_object_object_add(c, "size", json_object_new_int64(sz));
        json_object_object_add(m, "config", c);
        for (size_t l = 0; r == 0 && l < json_object_array_length(ls); l++) {
            const char *rel = json_object_get_string(json_object_array_get_idx(ls, l));
            char clean[4096];
            if (rel == NULL || img_path_clean(rel, clean, sizeof clean) < 0) {
                r = vj_error(err, VMJAIL_ERR_INTERNAL, 0, "manifest.json: bad layer path");
                break;
            }
            const char *mt = layer_media(dir, clean);
            r = copy_blob(s, dir, clean, NULL, dg, &sz, err);
            struct json_object *d = json_object_new_object();
            json_object_object_add(d, "mediaType", json_object_new_string(mt));
            json_object_object_add(d, "digest", json_object_new_string(dg));
            json_object_object_add(d, "size", json_object_new_int64(sz));
            json_object_array_add(la, d);
        }
        json_object_object_add(m, "layers", la);
        struct img_desc d = {.size = 0};
        snprintf(d.media, sizeof d.media, IMG_MT_OCI_MANIFEST_S);
        if (r == 0) {
            const char *t = json_object_to_json_string_ext(m, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
            d.size = (int64_t)strlen(t);
            r = img_store_put_blob(s, t, strlen(t), d.digest, err);
        }
        json_object_put(m);
        if (r < 0)
            goto out;
        bool named = false;
        if (json_object_object_get_ex(e, "RepoTags", &tags) && json_object_is_type(tags, json_type_array))
            for (size_t t = 0; t < json_object_array_length(tags); t++, named = true)
                if (finish(s, &d, json_object_get_string(json_object_array_get_idx(tags, t)), loaded, arg, err) < 0)
                    goto out;
        if (!named && finish(s, &d, NULL, loaded, arg, err) < 0)
            goto out;
    }
    rc = 0;
out:
    json_object_put(o);
    return rc;
}

int img_load(struct img_store *s, const char *path, void (*loaded)(const char *name, void *),
             void *arg, vmjail_error **err)
{
    struct stat st;
    if (stat(path, &st) < 0)
        return vj_error(err, VMJAIL_ERR_NOTFOUND, errno, "%s", path);
    int dir = -1, rc = -1;
    char tmpdir[64];
    snprintf(tmpdir, sizeof tmpdir, "tmp/load-%d.d", (int)getpid());
    if (S_ISDIR(st.st_mode)) {
        dir = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (dir < 0)
            return vj_error(err, VMJAIL_ERR_INTERNAL, errno, "%s", path);
    } else {
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
            return vj_error(err, VMJAIL_ERR_NOTFOUND, errno, "%s", path);
        img_rm_rf_at(s->dirfd, tmpdir);
        if (mkdirat(s->dirfd, tmpdir, 0700) < 0 ||
            (dir = openat(s->dirfd, tmpdir, O_PATH | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW)) < 0) {
            vj_error(err, VMJAIL_ERR_INTERNAL, errno, "%s/%s", s->root, tmpdir);
            close(fd);
            goto out;
        }
        int r = img_unpack_layer(dir, fd, NULL, false, err);
        close(fd);
        if (r < 0) {
            vj_error_wrap(err, "%s", path);
            goto out;
        }
    }
    if (faccessat(dir, "index.json", F_OK, AT_SYMLINK_NOFOLLOW) == 0)
        rc = load_oci(s, dir, loaded, arg, err);
    else
        rc = load_docker(s, dir, loaded, arg, err);
    if (rc < 0)
        vj_error_wrap(err, "%s", path);
out:
    if (dir >= 0)
        close(dir);
    if (!S_ISDIR(st.st_mode))
        img_rm_rf_at(s->dirfd, tmpdir);
    return rc;
}
