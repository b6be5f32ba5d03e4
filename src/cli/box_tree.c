/* box_tree.c: a box's root: an overlay of its image's unpacked tree (shared, never written)
 * under a writable layer of the box's own, where the caller may mount one (root); otherwise
 * a copy of the tree.  Removed with the box, the overlay unmounted first. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli/box.h"
#include "cli/cli.h"
#include "image/image.h"
#include "oci/oci.h"

/* The overlay: DIR/ID/{upper,work} over TREE, mounted on DIR/ID/rootfs; DIR/ID/lower names
 * the tree, so that the store keeps it while the box exists (img_store_gc).  -1 if the
 * kernel or the caller cannot (then nothing is left mounted). */
static int overlay(const char *dir, const char *id, const char *tree)
{
    char upper[4200], work[4200], root[4200], lower[4200], opts[13000];
    box_path(upper, sizeof upper, dir, id, "upper");
    box_path(work, sizeof work, dir, id, "work");
    box_path(root, sizeof root, dir, id, "rootfs");
    box_path(lower, sizeof lower, dir, id, "lower");
    /* The options are comma-separated and lowerdir colon-separated: paths with either (a
     * --store of that name) cannot be said. */
    if (strpbrk(tree, ",:\\") || strpbrk(upper, ",:\\"))
        return -1;
    const char *chain = strrchr(tree, '/');
    chain = chain ? chain + 1 : tree;
    int fd = open(lower, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0)
        return -1;
    size_t cl = strlen(chain);
    bool ok = write(fd, chain, cl) == (ssize_t)cl;
    close(fd);
    snprintf(opts, sizeof opts, "lowerdir=%s,upperdir=%s,workdir=%s", tree, upper, work);
    if (!ok || (mkdir(upper, 0755) < 0 && errno != EEXIST) ||
        (mkdir(work, 0700) < 0 && errno != EEXIST) || (mkdir(root, 0755) < 0 && errno != EEXIST) ||
        mount("overlay", root, "overlay", MS_NODEV, opts) < 0) {
        unlink(lower);
        return -1;
    }
    return 0;
}

int box_tree_make(const char *dir, const char *id, const char *tree, bool *overlaid)
{
    *overlaid = geteuid() == 0 && overlay(dir, id, tree) == 0;
    if (*overlaid)
        return 0;
    /* A copy under the store (same file system: cp may reflink). */
    char copy[4200];
    box_path(copy, sizeof copy, dir, id, "rootfs");
    rmdir(copy); /* an overlay's mount point, if one was tried */
    char *cp[] = {"/bin/cp", "-a", "--reflink=auto", (char *)tree, copy, NULL};
    char said[512];
    int st;
    if (oci_run_helper(cp, said, sizeof said, &st) < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
        said[strcspn(said, "\n")] = '\0';
        cli_error("box run: copying %s failed%s%s", tree, said[0] ? ": " : "", said);
        return -1;
    }
    return 0;
}

void box_tree_release(const char *dir, const char *id)
{
    char root[4200];
    box_path(root, sizeof root, dir, id, "rootfs");
    umount2(root, MNT_DETACH | UMOUNT_NOFOLLOW); /* EINVAL where it is not a mount point */
}

int box_remove(const char *dir, const char *id)
{
    box_tree_release(dir, id);
    int dfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0)
        return -1;
    int r = img_rm_rf_at(dfd, id);
    int e = errno;
    close(dfd);
    errno = e;
    return r;
}
