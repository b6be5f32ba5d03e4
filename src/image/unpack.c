/* unpack.c: one layer applied onto a tree (libarchive) in one pass over its decompressed tar:
 * entries and whiteouts (which hide only what lower layers brought) in the tar's order, the
 * diff_id checked over the same bytes, every path resolved inside the tree (openat2
 * RESOLVE_IN_ROOT) and every final component acted on without following it. */
#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <search.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "image/image.h"

int img_rm_rf_at(int dirfd, const char *name)
{
    struct stat st;
    if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
        return errno == ENOENT ? 0 : -1;
    if (!S_ISDIR(st.st_mode))
        return unlinkat(dirfd, name, 0);
    if ((st.st_mode & 0700) != 0700)
        fchmodat(dirfd, name, (st.st_mode & 07777) | 0700, 0);
    int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return -1;
    DIR *d = fdopendir(fd);
    if (d == NULL) {
        close(fd);
        return -1;
    }
    struct dirent *de;
    int rc = 0;
    while ((de = readdir(d)) != NULL)
        if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..") && img_rm_rf_at(fd, de->d_name) < 0)
            rc = -1;
    closedir(d);
    if (unlinkat(dirfd, name, AT_REMOVEDIR) < 0)
        rc = -1;
    return rc;
}

/* The directory DIR (clean, relative) of the tree ROOT, resolved as if ROOT were "/";
 * created (0755) when missing and CREATE. */
static int dir_in_root(int root, const char *dir, bool create, int depth)
{
    if (*dir == '\0')
        return fcntl(root, F_DUPFD_CLOEXEC, 0);
    struct open_how how = {.flags = O_PATH | O_DIRECTORY | O_CLOEXEC,
                           .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV};
    int fd = (int)syscall(SYS_openat2, root, dir, &how, sizeof how);
    if (fd >= 0 || errno != ENOENT || !create || depth > 64)
        return fd;
    char parent[PATH_MAX];
    snprintf(parent, sizeof parent, "%s", dir);
    char *slash = strrchr(parent, '/');
    const char *base = slash ? slash + 1 : parent;
    if (slash)
        *slash = '\0';
    else
        parent[0] = '\0', base = dir;
    int pfd = dir_in_root(root, slash ? parent : "", true, depth + 1);
    if (pfd < 0)
        return -1;
    if (mkdirat(pfd, base, 0755) < 0 && errno != EEXIST) {
        int e = errno;
        close(pfd);
        errno = e;
        return -1;
    }
    close(pfd);
    return (int)syscall(SYS_openat2, root, dir, &how, sizeof how);
}

int img_open_in_root(int root, const char *path, int flags)
{
    struct open_how how = {.flags = (uint64_t)flags | O_CLOEXEC,
                           .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV};
    return (int)syscall(SYS_openat2, root, path, &how, sizeof how);
}

/* The layer's uncompressed bytes: read through libarchive's filters (gzip, zstd or none) as
 * one raw entry, handed to the tar reader, and hashed on the way when a diff_id is checked,
 * so that the layer is decompressed once. */
struct layer_stream {
    struct archive *raw;
    struct img_hash *hash; /* NULL: no diff_id to check */
};

static la_ssize_t layer_read(struct archive *tar, void *ctx, const void **buf)
{
    struct layer_stream *s = ctx;
    size_t n;
    la_int64_t off;
    int r = archive_read_data_block(s->raw, buf, &n, &off);
    if (r == ARCHIVE_EOF)
        return 0;
    if (r != ARCHIVE_OK) {
        archive_set_error(tar, EIO, "cannot decompress the layer: %s",
                          archive_error_string(s->raw));
        return -1;
    }
    if (s->hash)
        img_hash_update(s->hash, *buf, n);
    return (la_ssize_t)n;
}

/* Open layer FD into S and a tar reader over it (*TAR). */
static int layer_open(int fd, struct layer_stream *s, struct archive **tar, vmjail_error **err)
{
    struct archive_entry *e;
    s->raw = archive_read_new();
    *tar = archive_read_new();
    if (s->raw == NULL || *tar == NULL)
        return vj_error(err, VMJAIL_ERR_INTERNAL, ENOMEM, "libarchive");
    archive_read_support_filter_gzip(s->raw);
    archive_read_support_filter_zstd(s->raw);
    archive_read_support_format_raw(s->raw);
    archive_read_support_format_tar(*tar);
    if (lseek(fd, 0, SEEK_SET) < 0 || archive_read_open_fd(s->raw, fd, 65536) != ARCHIVE_OK ||
        archive_read_next_header(s->raw, &e) != ARCHIVE_OK)
        return vj_error(err, VMJAIL_ERR_INTERNAL, 0, "cannot read the layer: %s",
                        archive_error_string(s->raw) ? archive_error_string(s->raw) : "empty");
    if (archive_read_open(*tar, s, NULL, layer_read, NULL) != ARCHIVE_OK)
        return vj_error(err, VMJAIL_ERR_INTERNAL, 0, "cannot read the layer as a tar: %s",
                        archive_error_string(*tar));
    return 0;
}

/* After the tar's end: the rest of the stream hashed (a tar's padding counts), and the sum
 * compared with DIFF_ID. */
static int layer_check(struct layer_stream *s, const char *diff_id, vmjail_error **err)
{
    const void *buf;
    size_t n;
    la_int64_t off;
    int r;
    while ((r = archive_read_data_block(s->raw, &buf, &n, &off)) == ARCHIVE_OK)
        img_hash_update(s->hash, buf, n);
    char got[IMG_DIGEST_LEN];
    img_hash_final(s->hash, got);
    s->hash = NULL;
    if (r != ARCHIVE_EOF)
        return vj_error(err, VMJAIL_ERR_INTERNAL, 0, "cannot decompress the layer: %s",
                        archive_error_string(s->raw));
    if (strcmp(got, diff_id) != 0)
        return vj_error(err, VMJAIL_ERR_INTERNAL, 0,
                        "the uncompressed layer's sha256 is %s, not the config's diff_id %s", got,
                        diff_id);
    return 0;
}

static int split(const char *p, char *dir, size_t dn, const char **base)
{
    const char *slash = strrchr(p, '/');
    size_t dl = slash ? (size_t)(slash - p) : 0;
    if (dl + 1 > dn)
        return -1;
    memcpy(dir, p, dl);
    dir[dl] = '\0';
    *base = slash ? slash + 1 : p;
    return 0;
}

/* The paths this layer brings (its entries and their directories): a whiteout hides only
 * what the layers below brought (the OCI image spec), whatever the order of the tar. */
static int path_cmp(const void *a, const void *b)
{
    return strcmp(a, b);
}

static int layer_has(void *const *mine, const char *p)
{
    return tfind(p, mine, path_cmp) != NULL;
}

/* Record P and each directory above it. */
static int layer_add(void **mine, const char *p)
{
    char q[PATH_MAX];
    size_t n = strlen(p);
    if (n >= sizeof q)
        return -1;
    memcpy(q, p, n + 1);
    for (;;) {
        if (!layer_has(mine, q)) {
            char *k = strdup(q);
            if (k == NULL || tsearch(k, mine, path_cmp) == NULL) {
                free(k);
                return -1;
            }
        }
        char *slash = strrchr(q, '/');
        if (slash == NULL)
            return 0;
        *slash = '\0';
    }
}

/* In the directory DIR (clean, relative) of the tree: remove what this layer did not bring,
 * and the same below the directories it did. */
static int prune(int root, const char *dir, void *const *mine, int depth)
{
    int dfd = dir_in_root(root, dir, false, 0);
    if (dfd < 0)
        return errno == ENOENT || errno == ENOTDIR ? 0 : -1; /* nothing below to hide */
    int lfd = openat(dfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    DIR *d = lfd >= 0 ? fdopendir(lfd) : NULL;
    int rc = d ? 0 : -1;
    struct dirent *de;
    while (d && (de = readdir(d)) != NULL) {
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
            continue;
        char p[PATH_MAX];
        if (snprintf(p, sizeof p, "%s%s%s", dir, *dir ? "/" : "", de->d_name) >= (int)sizeof p) {
            rc = -1;
            continue;
        }
        struct stat st;
        if (!layer_has(mine, p)) {
            if (img_rm_rf_at(lfd, de->d_name) < 0)
                rc = -1;
        } else if (fstatat(lfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode)) {
            if (depth > PATH_MAX / 2 || prune(root, p, mine, depth + 1) < 0)
                rc = -1;
        }
    }
    if (d)
        closedir(d);
    else if (lfd >= 0)
        close(lfd);
    close(dfd);
    return rc;
}

/* The whiteout P (its kind W, the directory DIR it is in, the NAME it hides). */
static int apply_whiteout(int root, const char *p, enum img_whiteout w, const char *dir,
                          const char *name, void *const *mine, vmjail_error **err)
{
    if (w == IMG_WH_OPAQUE) {
        if (prune(root, dir, mine, 0) < 0)
            return vj_error(err, VMJAIL_ERR_INTERNAL, errno, "opaque whiteout %s", p);
        return 0;
    }
    char hidden[PATH_MAX];
    if (snprintf(hidden, sizeof hidden, "%s%s%s", dir, *dir ? "/" : "", name) >= (int)sizeof hidden)
        return vj_error(err, VMJAIL_ERR_INTERNAL, 0, "path too long in the layer");
    if (layer_has(mine, hidden)) /* this layer's own: only what lies below it is hidden */
        return prune(root, hidden, mine, 0) < 0
                   ? vj_error(err, VMJAIL_ERR_INTERNAL, errno, "whiteout %s", p)
                   : 0;
    int dfd = dir_in_root(root, dir, false, 0);
    if (dfd < 0)
        return 0; /* nothing below to hide */
    int rc = 0;
    if (img_rm_rf_at(dfd, name) < 0 && errno != ENOENT)
        rc = vj_error(err, VMJAIL_ERR_INTERNAL, errno, "whiteout %s", p);
    close(dfd);
    return rc;
}

static int write_data(struct archive *a, int fd)
{
    const void *buf;
    size_t n;
    la_int64_t off;
    int r;
    while ((r = archive_read_data_block(a, &buf, &n, &off)) == ARCHIVE_OK) {
        if (pwrite(fd, buf, n, off) != (ssize_t)n)
            return -1;
    }
    if (r != ARCHIVE_EOF) {
        errno = EIO;
        return -1;
    }
    struct stat st;
    if (fstat(fd, &st) == 0 && st.st_size < off)
        return ftruncate(fd, off);
    return 0;
}

static int extract_entry(int root, struct archive *a, struct archive_entry *e, const char *p,
                         bool owners, vmjail_error **err)
{
    char dir[PATH_MAX];
    const char *base;
    if (split(p, dir, sizeof dir, &base) < 0)
        return vj_error(err, VMJAIL_ERR_INTERNAL, 0, "path too long in the layer");
    int dfd = dir_in_root(root, dir, true, 0);
    if (dfd < 0)
        return vj_error(err, VMJAIL_ERR_INTERNAL, errno, "layer entry %s: directory %s", p, dir);
    mode_t type = archive_entry_filetype(e), mode = archive_entry_perm(e) & 07777;
    struct stat st;
    bool exists = fstatat(dfd, base, &st, AT_SYMLINK_NOFOLLOW) == 0;
    int rc = 0;
    if (exists && !(type == AE_IFDIR && S_ISDIR(st.st_mode)) && img_rm_rf_at(dfd, base) < 0) {
        rc = vj_error(err, VMJAIL_ERR_INTERNAL, errno, "layer entry %s: replacing", p);
        goto out;
    }
    if (!owners && type == AE_IFDIR)
        mode |= 0700; /* rootless: the tree must stay removable and writable by its owner */
    const char *hl = archive_entry_hardlink(e);
    if (hl != NULL) {
        char tp[PATH_MAX], tdir[PATH_MAX];
        const char *tbase;
        if (img_path_clean(hl, tp, sizeof tp) < 0 || split(tp, tdir, sizeof tdir, &tbase) < 0 ||
            *tp == '\0') {
            rc = vj_error(err, VMJAIL_ERR_INTERNAL, 0, "layer entry %s: bad link target '%s'", p, hl);
            goto out;
        }
        int tfd = dir_in_root(root, tdir, false, 0);
        if (tfd < 0 || linkat(tfd, tbase, dfd, base, 0) < 0)
            rc = vj_error(err, VMJAIL_ERR_INTERNAL, errno, "layer entry %s: hard link to %s", p, tp);
        if (tfd >= 0)
            close(tfd);
        goto out;
    }
    switch (type) {
    case AE_IFDIR:
        if (!exists || !S_ISDIR(st.st_mode))
            if (mkdirat(dfd, base, 0700) < 0) {
                rc = vj_error(err, VMJAIL_ERR_INTERNAL, errno, "layer entry %s", p);
                goto out;
            }
        break;
    case AE_IFREG: {
        int fd = openat(dfd, base, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (fd < 0 || write_data(a, fd) < 0) {
            rc = vj_error(err, VMJAIL_ERR_INTERNAL, errno, "layer entry %s", p);
            if (fd >= 0)
                close(fd);
            goto out;
        }
        close(fd);
        break;
    }
    case AE_IFLNK: {
        const char *t = archive_entry_symlink(e);
        if (t == NULL || symlinkat(t, dfd, base) < 0) {
            rc = vj_error(err, VMJAIL_ERR_INTERNAL, errno, "layer entry %s: symlink", p);
            goto out;
        }
        break;
    }
    case AE_IFIFO:
        if (mkfifoat(dfd, base, 0600) < 0) {
            rc = vj_error(err, VMJAIL_ERR_INTERNAL, errno, "layer entry %s: fifo", p);
            goto out;
        }
        break;
    case AE_IFCHR:
    case AE_IFBLK:
        if (!owners)
            goto out; /* no device nodes without root */
        if (mknodat(dfd, base, type | 0600, archive_entry_rdev(e)) < 0) {
            rc = vj_error(err, VMJAIL_ERR_INTERNAL, errno, "layer entry %s: device", p);
            goto out;
        }
        break;
    default:
        goto out; /* sockets and unknown types are skipped */
    }
    if (owners && fchownat(dfd, base, (uid_t)archive_entry_uid(e), (gid_t)archive_entry_gid(e),
                           AT_SYMLINK_NOFOLLOW) < 0) {
        rc = vj_error(err, VMJAIL_ERR_INTERNAL, errno, "layer entry %s: owner", p);
        goto out;
    }
    if (type != AE_IFLNK && fchmodat(dfd, base, mode, 0) < 0) {
        rc = vj_error(err, VMJAIL_ERR_INTERNAL, errno, "layer entry %s: mode", p);
        goto out;
    }
    struct timespec ts[2] = {{archive_entry_mtime(e), archive_entry_mtime_nsec(e)},
                             {archive_entry_mtime(e), archive_entry_mtime_nsec(e)}};
    utimensat(dfd, base, ts, AT_SYMLINK_NOFOLLOW);
out:
    close(dfd);
    return rc;
}

int img_unpack_layer(int root, int fd, const char *diff_id, bool owners, vmjail_error **err)
{
    struct layer_stream s = {.hash = diff_id ? img_hash_new() : NULL};
    struct archive *tar = NULL;
    struct archive_entry *e;
    void *mine = NULL;
    int r = ARCHIVE_FATAL, rc = layer_open(fd, &s, &tar, err);
    while (rc == 0 && (r = archive_read_next_header(tar, &e)) == ARCHIVE_OK) {
        char p[PATH_MAX], dir[PATH_MAX], name[NAME_MAX + 1];
        const char *path = archive_entry_pathname(e);
        if (path == NULL || img_path_clean(path, p, sizeof p) < 0) {
            rc = vj_error(err, VMJAIL_ERR_INTERNAL, 0, "bad path '%s' in the layer", path ? path : "");
            break;
        }
        if (*p == '\0')
            continue; /* the root itself */
        /* An image layer's whiteouts are applied, never extracted (an archive to load has
         * none: its entries are taken as they are). */
        enum img_whiteout w = diff_id ? img_whiteout_of(p, dir, sizeof dir, name, sizeof name)
                                      : IMG_WH_NONE;
        if (w != IMG_WH_NONE) {
            rc = apply_whiteout(root, p, w, dir, name, &mine, err);
            continue;
        }
        const char *base = strrchr(p, '/');
        if (diff_id && strncmp(base ? base + 1 : p, ".wh.", 4) == 0)
            continue; /* a malformed marker (".wh.", ".wh.."): nothing, and never a file */
        if (diff_id && layer_add(&mine, p) < 0)
            rc = vj_error(err, VMJAIL_ERR_INTERNAL, ENOMEM, "layer entry %s", p);
        else
            rc = extract_entry(root, tar, e, p, owners, err);
    }
    if (rc == 0 && r != ARCHIVE_EOF)
        rc = vj_error(err, VMJAIL_ERR_INTERNAL, 0, "bad tar: %s", archive_error_string(tar));
    if (rc == 0 && diff_id)
        rc = layer_check(&s, diff_id, err);
    if (s.hash) {
        char discard[IMG_DIGEST_LEN];
        img_hash_final(s.hash, discard);
    }
    tdestroy(mine, free);
    archive_read_free(tar);
    archive_read_free(s.raw);
    return rc;
}
