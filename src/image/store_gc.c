/* store_gc.c: the image store's images: finding one by name or ID, unpacking its layers into
 * the merged tree keyed by chain ID, removing a name and collecting what no name needs. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "image/image.h"

#define MAX_JSON (4u << 20)

int img_store_image(struct img_store *s, const struct img_desc *manifest, struct img_manifest *m,
                    struct img_config *c, vmjail_error **err)
{
    char *body;
    size_t len;
    if (img_store_read_blob(s, manifest->digest, MAX_JSON, &body, &len, err) < 0)
        return -1;
    int rc = img_manifest_parse(body, len, m, err);
    free(body);
    if (rc < 0)
        return vj_error_wrap(err, "manifest %s", manifest->digest);
    if (c == NULL)
        return 0;
    if (img_store_read_blob(s, m->config.digest, MAX_JSON, &body, &len, err) < 0 ||
        (rc = img_config_parse(body, len, c, err), free(body), rc) < 0) {
        img_manifest_free(m);
        return vj_error_wrap(err, "image config %s", m->config.digest);
    }
    if (c->ndiff != m->nlayers) {
        img_manifest_free(m);
        img_config_free(c);
        return vj_error(err, VMJAIL_ERR_INTERNAL, 0,
                        "image %s: the manifest has %zu layers, its config %zu diff_ids",
                        manifest->digest, m->nlayers, c->ndiff);
    }
    return 0;
}

/* The chain ID of the whole image (of "" when it has no layers). */
static void top_chain(const struct img_config *c, char out[IMG_DIGEST_LEN])
{
    out[0] = '\0';
    for (size_t i = 0; i < c->ndiff; i++) {
        char prev[IMG_DIGEST_LEN];
        strcpy(prev, out);
        img_chain_id(prev, c->diff_ids[i], out);
    }
    if (c->ndiff == 0)
        img_sha256("", 0, out);
}

int img_store_unpack(struct img_store *s, const struct img_desc *manifest, char **root_out,
                     vmjail_error **err)
{
    struct img_manifest m;
    struct img_config c;
    if (img_store_image(s, manifest, &m, &c, err) < 0)
        return -1;
    char chain[IMG_DIGEST_LEN], rel[100];
    top_chain(&c, chain);
    snprintf(rel, sizeof rel, "rootfs/%s", chain + 7);
    int rc = -1;
    if (faccessat(s->dirfd, rel, F_OK, AT_SYMLINK_NOFOLLOW) == 0)
        goto done;
    img_rm_rf_at(s->dirfd, "rootfs.tmp");
    if (mkdirat(s->dirfd, "rootfs.tmp", 0755) < 0) {
        vj_error(err, VMJAIL_ERR_INTERNAL, errno, "%s/rootfs.tmp", s->root);
        goto out;
    }
    int tfd = openat(s->dirfd, "rootfs.tmp", O_PATH | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
    if (tfd < 0) {
        vj_error(err, VMJAIL_ERR_INTERNAL, errno, "%s/rootfs.tmp", s->root);
        goto out;
    }
    for (size_t i = 0; i < m.nlayers; i++) {
        char p[200];
        img_store_blob_rel(m.layers[i].digest, p, sizeof p);
        int lfd = openat(s->dirfd, p, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        if (lfd < 0) {
            vj_error(err, VMJAIL_ERR_NOTFOUND, errno, "layer %s", m.layers[i].digest);
            close(tfd);
            goto clean;
        }
        int r = img_unpack_layer(tfd, lfd, c.diff_ids[i], !s->rootless, err);
        close(lfd);
        if (r < 0) {
            vj_error_wrap(err, "layer %s", m.layers[i].digest);
            close(tfd);
            goto clean;
        }
    }
    close(tfd);
    if (renameat(s->dirfd, "rootfs.tmp", s->dirfd, rel) < 0) {
        vj_error(err, VMJAIL_ERR_INTERNAL, errno, "%s/%s", s->root, rel);
        goto clean;
    }
    sync();
done:
    rc = 0;
    if (root_out) {
        size_t n = strlen(s->root) + strlen(rel) + 2;
        *root_out = malloc(n);
        if (*root_out)
            snprintf(*root_out, n, "%s/%s", s->root, rel);
    }
    goto out;
clean:
    img_rm_rf_at(s->dirfd, "rootfs.tmp");
out:
    img_manifest_free(&m);
    img_config_free(&c);
    return rc;
}

/* The config digest (the image ID) of the stored manifest D. */
static int config_of(struct img_store *s, const struct img_desc *d, char out[IMG_DIGEST_LEN])
{
    struct img_manifest m;
    vmjail_error *e = NULL;
    if (img_store_image(s, d, &m, NULL, &e) < 0) {
        vmjail_error_free(e);
        return -1;
    }
    strcpy(out, m.config.digest);
    img_manifest_free(&m);
    return 0;
}

/* IMAGE's index in the list: its name, the name it parses to, or a prefix (3 or more hex
 * digits) of its ID (the config digest) or of its manifest digest. */
static int find_index(struct img_store *s, struct img_entry *v, size_t n, const char *image,
                      vmjail_error **err)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(v[i].name, image) == 0)
            return (int)i;
    struct img_ref r;
    char name[700];
    vmjail_error *ignored = NULL;
    if (img_ref_parse(image, &r, &ignored) == 0) {
        img_ref_name(&r, name, sizeof name);
        for (size_t i = 0; i < n; i++)
            if (strcmp(v[i].name, name) == 0)
                return (int)i;
    }
    vmjail_error_free(ignored);
    const char *hex = strncmp(image, "sha256:", 7) == 0 ? image + 7 : image;
    size_t hl = strlen(hex);
    bool is_hex = hl >= 3 && hl <= 64 && strspn(hex, "0123456789abcdef") == hl;
    int found = -1;
    char found_id[IMG_DIGEST_LEN] = "";
    for (size_t i = 0; is_hex && i < n; i++) {
        char cid[IMG_DIGEST_LEN];
        bool match = config_of(s, &v[i].manifest, cid) == 0 &&
                     (strncmp(v[i].manifest.digest + 7, hex, hl) == 0 || strncmp(cid + 7, hex, hl) == 0);
        if (match) {
            /* Manifests of one config (a pull and a load of one image) are one image. */
            if (found >= 0 && strcmp(found_id, cid) != 0)
                return vj_error(err, VMJAIL_ERR_USAGE, 0, "'%s' names more than one image", image);
            if (found < 0) {
                found = (int)i;
                strcpy(found_id, cid);
            }
        }
    }
    if (found < 0)
        return vj_error(err, VMJAIL_ERR_NOTFOUND, 0, "no image '%s' in the store", image);
    return found;
}

int img_store_find(struct img_store *s, const char *image, struct img_desc *out,
                   vmjail_error **err)
{
    struct img_entry *v;
    size_t n;
    if (img_store_list(s, &v, &n, err) < 0)
        return -1;
    int i = find_index(s, v, n, image, err);
    if (i >= 0)
        *out = v[i].manifest;
    free(v);
    return i < 0 ? -1 : 0;
}

int img_store_remove(struct img_store *s, const char *image, vmjail_error **err)
{
    struct img_entry *v;
    size_t n;
    if (img_store_list(s, &v, &n, err) < 0)
        return -1;
    int i = find_index(s, v, n, image, err);
    if (i < 0) {
        free(v);
        return -1;
    }
    /* An ID names every name of that image: all go; a name only itself. */
    bool by_name = strcmp(v[i].name, image) == 0;
    char digest[IMG_DIGEST_LEN], name[600];
    if (config_of(s, &v[i].manifest, digest) < 0)
        strcpy(digest, "-");
    strcpy(name, v[i].name);
    free(v);
    int fd = openat(s->dirfd, "index.json", O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    struct json_object *o = fd >= 0 ? json_object_from_fd(fd) : NULL, *ms, *keep;
    if (fd >= 0)
        close(fd);
    if (o == NULL || !json_object_object_get_ex(o, "manifests", &ms)) {
        json_object_put(o);
        return vj_error(err, VMJAIL_ERR_INTERNAL, 0, "%s/index.json is not an OCI index", s->root);
    }
    keep = json_object_new_array();
    for (size_t k = 0; k < json_object_array_length(ms); k++) {
        struct json_object *e = json_object_array_get_idx(ms, k), *a, *nm, *d;
        const char *en = json_object_object_get_ex(e, "annotations", &a) &&
                                 json_object_object_get_ex(a, "org.opencontainers.image.ref.name", &nm)
                             ? json_object_get_string(nm)
                             : "<none>";
        struct img_desc ed = {0};
        char cid[IMG_DIGEST_LEN] = "";
        if (json_object_object_get_ex(e, "digest", &d) && img_digest_valid(json_object_get_string(d))) {
            strcpy(ed.digest, json_object_get_string(d));
            if (config_of(s, &ed, cid) < 0)
                cid[0] = '\0';
        }
        bool drop = by_name ? strcmp(en, name) == 0 : strcmp(cid, digest) == 0;
        if (!by_name && !drop && strcmp(en, name) == 0)
            drop = true;
        if (!drop)
            json_object_array_add(keep, json_object_get(e));
    }
    json_object_object_add(o, "manifests", keep);
    const char *t = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
    char tmp[64];
    snprintf(tmp, sizeof tmp, "index.json.tmp-%d", (int)getpid());
    int w = openat(s->dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
    size_t len = strlen(t);
    bool ok = w >= 0 && write(w, t, len) == (ssize_t)len && fsync(w) == 0;
    if (w >= 0)
        close(w);
    json_object_put(o);
    if (!ok || renameat(s->dirfd, tmp, s->dirfd, "index.json") < 0) {
        int e = errno;
        unlinkat(s->dirfd, tmp, 0);
        return vj_error(err, VMJAIL_ERR_INTERNAL, e, "writing %s/index.json", s->root);
    }
    return img_store_gc(s, err);
}

static bool in(char (*set)[IMG_DIGEST_LEN], size_t n, const char *hex)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(set[i] + 7, hex) == 0)
            return true;
    return false;
}

/* Remove the entries of the store-relative DIR whose name is not in SET. */
static void sweep(struct img_store *s, const char *dir, char (*set)[IMG_DIGEST_LEN], size_t n)
{
    int fd = openat(s->dirfd, dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
    DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
    if (d == NULL) {
        if (fd >= 0)
            close(fd);
        return;
    }
    struct dirent *de;
    while ((de = readdir(d)) != NULL)
        if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..") && !in(set, n, de->d_name))
            img_rm_rf_at(dirfd(d), de->d_name);
    closedir(d);
}

/* Add to the N of SET (room for CAP) the trees boxes stand on: boxes/ID/lower names the tree
 * under a box's overlay (src/cli/box_tree.c), kept while the box exists.  The new N. */
static size_t box_trees(struct img_store *s, char (**set)[IMG_DIGEST_LEN], size_t n, size_t *cap)
{
    int fd = openat(s->dirfd, "boxes", O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
    DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
    if (d == NULL) {
        if (fd >= 0)
            close(fd);
        return n;
    }
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        char rel[NAME_MAX + 8], hex[IMG_DIGEST_LEN];
        snprintf(rel, sizeof rel, "%s/lower", de->d_name);
        int lf = de->d_name[0] == '.' ? -1 : openat(dirfd(d), rel, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        ssize_t got = lf >= 0 ? read(lf, hex, 64) : -1;
        if (lf >= 0)
            close(lf);
        if (got != 64 || strspn(hex, "0123456789abcdef") < 64)
            continue;
        if (n == *cap) {
            void *bigger = realloc(*set, (*cap = *cap * 2 + 4) * sizeof **set);
            if (bigger == NULL)
                break;
            *set = bigger;
        }
        snprintf((*set)[n++], IMG_DIGEST_LEN, "sha256:%.64s", hex);
    }
    closedir(d);
    return n;
}

int img_store_gc(struct img_store *s, vmjail_error **err)
{
    struct img_entry *v;
    size_t n;
    if (img_store_list(s, &v, &n, err) < 0)
        return -1;
    size_t cap = 16, k = 0, kc = 0;
    char(*keep)[IMG_DIGEST_LEN] = malloc(cap * sizeof *keep);
    char(*chains)[IMG_DIGEST_LEN] = calloc(n ? n : 1, sizeof *chains);
    int rc = -1;
    if (keep == NULL || chains == NULL) {
        vj_error(err, VMJAIL_ERR_INTERNAL, ENOMEM, "image store");
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        struct img_manifest m;
        struct img_config c;
        if (img_store_image(s, &v[i].manifest, &m, &c, err) < 0) {
            /* Keep everything rather than lose what a damaged entry needs. */
            vj_error_wrap(err, "nothing removed from the store");
            goto out;
        }
        if (k + m.nlayers + 2 > cap) {
            cap = (k + m.nlayers + 2) * 2;
            void *nk = realloc(keep, cap * sizeof *keep);
            if (nk == NULL) {
                img_manifest_free(&m);
                img_config_free(&c);
                vj_error(err, VMJAIL_ERR_INTERNAL, ENOMEM, "image store");
                goto out;
            }
            keep = nk;
        }
        strcpy(keep[k++], v[i].manifest.digest);
        strcpy(keep[k++], m.config.digest);
        for (size_t l = 0; l < m.nlayers; l++)
            strcpy(keep[k++], m.layers[l].digest);
        top_chain(&c, chains[kc++]);
        img_manifest_free(&m);
        img_config_free(&c);
    }
    sweep(s, "blobs/sha256", keep, k);
    size_t ccap = n ? n : 1;
    kc = box_trees(s, &chains, kc, &ccap);
    sweep(s, "rootfs", chains, kc);
    rc = 0;
out:
    free(keep);
    free(chains);
    free(v);
    return rc;
}
