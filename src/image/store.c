/* store.c: the image store: an OCI image layout (oci-layout, index.json naming each image,
 * blobs/sha256/HEX) under a lock file, every write a temporary name renamed into place. */
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "image/image.h"

const char *img_store_default(char *buf, size_t n)
{
    const char *e = getenv("VMJAIL_STORE");
    if (e && *e)
        snprintf(buf, n, "%s", e);
    else if (geteuid() == 0)
        snprintf(buf, n, "/var/lib/vmjail");
    else if ((e = getenv("XDG_DATA_HOME")) && *e)
        snprintf(buf, n, "%s/vmjail", e);
    else
        snprintf(buf, n, "%s/.local/share/vmjail", getenv("HOME") ? getenv("HOME") : "/");
    return buf;
}

static int mkdir_p(const char *path)
{
    char tmp[4096];
    if (snprintf(tmp, sizeof tmp, "%s", path) >= (int)sizeof tmp)
        return -1;
    for (char *p = tmp + 1; *p; p++)
        if (*p == '/') {
            *p = '\0';
            if (mkdir(tmp, 0755) < 0 && errno != EEXIST)
                return -1;
            *p = '/';
        }
    return mkdir(tmp, 0700) < 0 && errno != EEXIST ? -1 : 0;
}

/* Write BUF to the store-relative PATH: PATH.tmp-PID, fsync, rename. */
static int write_atomic(struct img_store *s, const char *path, const void *buf, size_t n)
{
    char tmp[600];
    snprintf(tmp, sizeof tmp, "%s.tmp-%d", path, (int)getpid());
    int fd = openat(s->dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
    if (fd < 0)
        return -1;
    const char *p = buf;
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            goto fail;
        }
        p += w;
        n -= (size_t)w;
    }
    if (fsync(fd) < 0)
        goto fail;
    close(fd);
    if (renameat(s->dirfd, tmp, s->dirfd, path) < 0) {
        int e = errno;
        unlinkat(s->dirfd, tmp, 0);
        errno = e;
        return -1;
    }
    return 0;
fail:;
    int e = errno;
    close(fd);
    unlinkat(s->dirfd, tmp, 0);
    errno = e;
    return -1;
}

int img_store_open(const char *root, bool write, struct img_store **out, vmjail_error **err)
{
    *out = NULL;
    if (mkdir_p(root) < 0)
        return vj_error(err, VMJAIL_ERR_INTERNAL, errno, "image store %s", root);
    struct img_store *s = calloc(1, sizeof *s);
    if (s == NULL || (s->root = strdup(root)) == NULL) {
        free(s);
        return vj_error(err, VMJAIL_ERR_INTERNAL, ENOMEM, "image store");
    }
    s->lockfd = -1;
    s->rootless = geteuid() != 0;
    s->dirfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (s->dirfd < 0)
        goto fail;
    s->lockfd = openat(s->dirfd, "lock", O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (s->lockfd < 0 || flock(s->lockfd, write ? LOCK_EX : LOCK_SH) < 0)
        goto fail;
    if (write) {
        static const char *const dirs[] = {"blobs", "blobs/sha256", "rootfs", "tmp"};
        for (size_t i = 0; i < sizeof dirs / sizeof *dirs; i++)
            if (mkdirat(s->dirfd, dirs[i], 0755) < 0 && errno != EEXIST)
                goto fail;
        static const char layout[] = "{\"imageLayoutVersion\":\"1.0.0\"}";
        if (faccessat(s->dirfd, "oci-layout", F_OK, 0) < 0 &&
            write_atomic(s, "oci-layout", layout, sizeof layout - 1) < 0)
            goto fail;
        static const char index[] = "{\"schemaVersion\":2,\"manifests\":[]}";
        if (faccessat(s->dirfd, "index.json", F_OK, 0) < 0 &&
            write_atomic(s, "index.json", index, sizeof index - 1) < 0)
            goto fail;
        /* What an interrupted unpack left (the lock is ours: no other writer). */
        img_rm_rf_at(s->dirfd, "rootfs.tmp");
    }
    *out = s;
    return 0;
fail:;
    int e = errno;
    img_store_close(s);
    return vj_error(err, VMJAIL_ERR_INTERNAL, e, "image store %s", root);
}

void img_store_close(struct img_store *s)
{
    if (s == NULL)
        return;
    if (s->lockfd >= 0)
        close(s->lockfd);
    if (s->dirfd >= 0)
        close(s->dirfd);
    free(s->root);
    free(s);
}

void img_store_blob_rel(const char *digest, char *buf, size_t n)
{
    snprintf(buf, n, "blobs/sha256/%.64s", digest + 7);
}

bool img_store_has_blob(struct img_store *s, const char *digest)
{
    char p[200];
    img_store_blob_rel(digest, p, sizeof p);
    return faccessat(s->dirfd, p, F_OK, 0) == 0;
}

static int read_all(int fd, size_t max, char **out, size_t *len)
{
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap + 1);
    if (buf == NULL)
        return -1;
    for (;;) {
        if (n == cap) {
            if (cap >= max) {
                free(buf);
                errno = EFBIG;
                return -1;
            }
            cap *= 2;
            char *nb = realloc(buf, cap + 1);
            if (nb == NULL) {
                free(buf);
                return -1;
            }
            buf = nb;
        }
        ssize_t r = read(fd, buf + n, cap - n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            free(buf);
            return -1;
        }
        if (r == 0)
            break;
        n += (size_t)r;
    }
    buf[n] = '\0';
    *out = buf;
    *len = n;
    return 0;
}

int img_store_read_blob(struct img_store *s, const char *digest, size_t max, char **out,
                        size_t *len, vmjail_error **err)
{
    char p[200], got[IMG_DIGEST_LEN];
    img_store_blob_rel(digest, p, sizeof p);
    int fd = openat(s->dirfd, p, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return vj_error(err, VMJAIL_ERR_NOTFOUND, errno, "blob %s", digest);
    int rc = read_all(fd, max, out, len);
    close(fd);
    if (rc < 0)
        return vj_error(err, VMJAIL_ERR_INTERNAL, errno, "blob %s", digest);
    img_sha256(*out, *len, got);
    if (strcmp(got, digest) != 0) {
        free(*out);
        *out = NULL;
        return vj_error(err, VMJAIL_ERR_INTERNAL, 0, "blob %s in the store is damaged (its sha256 is %s)",
                        digest, got);
    }
    return 0;
}

int img_store_put_blob(struct img_store *s, const void *buf, size_t n, char out[IMG_DIGEST_LEN],
                       vmjail_error **err)
{
    char p[200];
    img_sha256(buf, n, out);
    img_store_blob_rel(out, p, sizeof p);
    if (faccessat(s->dirfd, p, F_OK, 0) == 0)
        return 0;
    if (write_atomic(s, p, buf, n) < 0)
        return vj_error(err, VMJAIL_ERR_INTERNAL, errno, "writing blob %s", out);
    return 0;
}

int img_store_commit_blob(struct img_store *s, const char *tmp, const char *digest,
                          vmjail_error **err)
{
    char p[200], got[IMG_DIGEST_LEN];
    int fd = openat(s->dirfd, tmp, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return vj_error(err, VMJAIL_ERR_INTERNAL, errno, "%s", tmp);
    struct img_hash *h = img_hash_new();
    char buf[65536];
    ssize_t r;
    while ((r = read(fd, buf, sizeof buf)) > 0)
        img_hash_update(h, buf, (size_t)r);
    img_hash_final(h, got);
    if (r < 0 || fsync(fd) < 0) {
        int e = errno;
        close(fd);
        return vj_error(err, VMJAIL_ERR_INTERNAL, e, "%s", tmp);
    }
    close(fd);
    if (strcmp(got, digest) != 0) {
        unlinkat(s->dirfd, tmp, 0);
        return vj_error(err, VMJAIL_ERR_INTERNAL, 0, "blob %s does not match its digest (its sha256 is %s)",
                        digest, got);
    }
    img_store_blob_rel(digest, p, sizeof p);
    if (renameat(s->dirfd, tmp, s->dirfd, p) < 0)
        return vj_error(err, VMJAIL_ERR_INTERNAL, errno, "storing blob %s", digest);
    return 0;
}

/* index.json as a json-c object (the caller puts it). */
static struct json_object *read_index(struct img_store *s, vmjail_error **err)
{
    int fd = openat(s->dirfd, "index.json", O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0 && errno == ENOENT)
        return json_tokener_parse("{\"schemaVersion\":2,\"manifests\":[]}");
    char *buf;
    size_t n;
    if (fd < 0 || read_all(fd, 64 << 20, &buf, &n) < 0) {
        vj_error(err, VMJAIL_ERR_INTERNAL, errno, "%s/index.json", s->root);
        if (fd >= 0)
            close(fd);
        return NULL;
    }
    close(fd);
    struct json_object *o = json_tokener_parse(buf), *m;
    free(buf);
    if (o == NULL || !json_object_object_get_ex(o, "manifests", &m) ||
        !json_object_is_type(m, json_type_array)) {
        json_object_put(o);
        vj_error(err, VMJAIL_ERR_INTERNAL, 0, "%s/index.json is not an OCI index", s->root);
        return NULL;
    }
    return o;
}

static int write_index(struct img_store *s, struct json_object *o, vmjail_error **err)
{
    const char *t = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
    if (write_atomic(s, "index.json", t, strlen(t)) < 0)
        return vj_error(err, VMJAIL_ERR_INTERNAL, errno, "writing %s/index.json", s->root);
    return 0;
}

static const char REF_NAME[] = "org.opencontainers.image.ref.name";

static const char *entry_name(struct json_object *e)
{
    struct json_object *a, *n;
    if (json_object_object_get_ex(e, "annotations", &a) && json_object_object_get_ex(a, REF_NAME, &n) &&
        json_object_is_type(n, json_type_string))
        return json_object_get_string(n);
    return NULL;
}

int img_store_tag(struct img_store *s, const char *name, const struct img_desc *d,
                  vmjail_error **err)
{
    struct json_object *o = read_index(s, err), *ms;
    if (o == NULL)
        return -1;
    json_object_object_get_ex(o, "manifests", &ms);
    struct json_object *a = json_object_new_object(), *e = json_object_new_object();
    json_object_object_add(a, REF_NAME, json_object_new_string(name));
    json_object_object_add(e, "mediaType", json_object_new_string(d->media[0] ? d->media : IMG_MT_OCI_MANIFEST_S));
    json_object_object_add(e, "digest", json_object_new_string(d->digest));
    json_object_object_add(e, "size", json_object_new_int64(d->size));
    json_object_object_add(e, "annotations", a);
    size_t n = json_object_array_length(ms), i;
    for (i = 0; i < n; i++) {
        const char *en = entry_name(json_object_array_get_idx(ms, i));
        if (en && strcmp(en, name) == 0)
            break;
    }
    if (i < n)
        json_object_array_put_idx(ms, i, e);
    else
        json_object_array_add(ms, e);
    int rc = write_index(s, o, err);
    json_object_put(o);
    return rc;
}

int img_store_list(struct img_store *s, struct img_entry **out, size_t *count, vmjail_error **err)
{
    *out = NULL;
    *count = 0;
    struct json_object *o = read_index(s, err), *ms;
    if (o == NULL)
        return -1;
    json_object_object_get_ex(o, "manifests", &ms);
    size_t n = json_object_array_length(ms);
    struct img_entry *v = calloc(n ? n : 1, sizeof *v);
    if (v == NULL) {
        json_object_put(o);
        return vj_error(err, VMJAIL_ERR_INTERNAL, ENOMEM, "index");
    }
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        struct json_object *e = json_object_array_get_idx(ms, i);
        vmjail_error *ignored = NULL;
        if (!json_object_is_type(e, json_type_object))
            continue;
        const char *nm = entry_name(e);
        struct json_object *dig, *sz, *mt;
        if (!json_object_object_get_ex(e, "digest", &dig) ||
            !img_digest_valid(json_object_get_string(dig))) {
            vmjail_error_free(ignored);
            continue;
        }
        snprintf(v[k].name, sizeof v[k].name, "%s", nm ? nm : "<none>");
        snprintf(v[k].manifest.digest, IMG_DIGEST_LEN, "%s", json_object_get_string(dig));
        if (json_object_object_get_ex(e, "size", &sz))
            v[k].manifest.size = json_object_get_int64(sz);
        if (json_object_object_get_ex(e, "mediaType", &mt))
            snprintf(v[k].manifest.media, sizeof v[k].manifest.media, "%s", json_object_get_string(mt));
        k++;
    }
    json_object_put(o);
    *out = v;
    *count = k;
    return 0;
}
