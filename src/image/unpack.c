/* unpack.c: one layer applied onto a tree (libarchive): its diff_id checked over the
 * uncompressed tar, then its whiteouts, then its entries, every path resolved inside the tree
 * (openat2 RESOLVE_IN_ROOT) and every final component acted on without following it. */
#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
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

static struct archive *open_layer(int fd, bool raw)
{
    if (lseek(fd, 0, SEEK_SET) < 0)
        return NULL;
    struct archive *a = archive_read_new();
    if (a == NULL)
        return NULL;
    archive_read_support_filter_gzip(a);
    archive_read_support_filter_zstd(a);
    if (raw)
        archive_read_support_format_raw(a);
    else
        archive_read_support_format_tar(a);
    if (archive_read_open_fd(a, fd, 65536) != ARCHIVE_OK) {
        archive_read_free(a);
        return NULL;
    }
    return a;
}

static int check_diff_id(int fd, const char *diff_id, vmjail_error **err)
{
    struct archive *a = open_layer(fd, true);
    struct archive_entry *e;
    if (a == NULL || archive_read_next_header(a, &e) != ARCHIVE_OK) {
        int rc = vj_error(err, VMJAIL_ERR_INTERNAL, 0, "cannot read the layer: %s",
                          a ? archive_error_string(a) : "libarchive");
        archive_read_free(a);
        return rc;
    }
    struct img_hash *h = img_hash_new();
    const void *buf;
    size_t n;
    la_int64_t off;
    int r;
    while ((r = archive_read_data_block(a, &buf, &n, &off)) == ARCHIVE_OK)
        img_hash_update(h, buf, n);
    char got[IMG_DIGEST_LEN];
    img_hash_final(h, got);
    if (r != ARCHIVE_EOF) {
        r = vj_error(err, VMJAIL_ERR_INTERNAL, 0, "cannot decompress the layer: %s",
                     archive_error_string(a));
        archive_read_free(a);
        return r;
    }
    archive_read_free(a);
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

/* Whiteouts of the layer, applied to the tree before any of its entries. */
static int apply_whiteouts(int root, int fd, vmjail_error **err)
{
    struct archive *a = open_layer(fd, false);
    struct archive_entry *e;
    int r, rc = 0;
    if (a == NULL)
        return vj_error(err, VMJAIL_ERR_INTERNAL, 0, "cannot read the layer as a tar");
    while ((r = archive_read_next_header(a, &e)) == ARCHIVE_OK) {
        char p[PATH_MAX], dir[PATH_MAX], name[NAME_MAX + 1];
        const char *path = archive_entry_pathname(e);
        if (path == NULL || img_path_clean(path, p, sizeof p) < 0) {
            rc = vj_error(err, VMJAIL_ERR_INTERNAL, 0, "bad path '%s' in the layer", path ? path : "");
            break;
        }
        enum img_whiteout w = img_whiteout_of(p, dir, sizeof dir, name, sizeof name);
        if (w == IMG_WH_NONE)
            continue;
        int dfd = dir_in_root(root, dir, false, 0);
        if (dfd < 0)
            continue; /* nothing below to hide */
        if (w == IMG_WH_FILE) {
            if (img_rm_rf_at(dfd, name) < 0)
                rc = vj_error(err, VMJAIL_ERR_INTERNAL, errno, "whiteout %s", p);
        } else {
            int lfd = openat(dfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
            DIR *d = lfd >= 0 ? fdopendir(lfd) : NULL;
            struct dirent *de;
            while (d && (de = readdir(d)) != NULL)
                if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..") &&
                    img_rm_rf_at(lfd, de->d_name) < 0)
                    rc = vj_error(err, VMJAIL_ERR_INTERNAL, errno, "opaque whiteout %s", p);
            if (d)
                closedir(d);
            else if (lfd >= 0)
                close(lfd);
        }
        close(dfd);
        if (rc < 0)
            break;
    }
    if (rc == 0 && r != ARCHIVE_EOF)
        rc = vj_error(err, VMJAIL_ERR_INTERNAL, 0, "bad tar: %s", archive_error_string(a));
    archive_read_free(a);
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
    if (diff_id != NULL && (check_diff_id(fd, diff_id, err) < 0 || apply_whiteouts(root, fd, err) < 0))
        return -1;
    struct archive *a = open_layer(fd, false);
    struct archive_entry *e;
    int r, rc = 0;
    if (a == NULL)
        return vj_error(err, VMJAIL_ERR_INTERNAL, 0, "cannot read the layer as a tar");
    while ((r = archive_read_next_header(a, &e)) == ARCHIVE_OK) {
        char p[PATH_MAX];
        const char *path = archive_entry_pathname(e);
        if (path == NULL || img_path_clean(path, p, sizeof p) < 0) {
            rc = vj_error(err, VMJAIL_ERR_INTERNAL, 0, "bad path '%s' in the layer", path ? path : "");
            break;
        }
        const char *base = strrchr(p, '/');
        base = base ? base + 1 : p;
        if (*p == '\0' || (diff_id != NULL && strncmp(base, ".wh.", 4) == 0))
            continue; /* the root itself; whiteout markers are never extracted */
        if ((rc = extract_entry(root, a, e, p, owners, err)) < 0)
            break;
    }
    if (rc == 0 && r != ARCHIVE_EOF)
        rc = vj_error(err, VMJAIL_ERR_INTERNAL, 0, "bad tar: %s", archive_error_string(a));
    archive_read_free(a);
    return rc;
}
