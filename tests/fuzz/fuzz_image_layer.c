/* fuzz_image_layer.c: libFuzzer target for the layer unpacker (src/image/unpack.c): the input
 * is a layer blob (plain, gzip or zstd tar) applied onto a small tree, as an image layer (its
 * whiteouts applied, a diff_id checked) or as an archive to load; nothing may land outside
 * the tree, whatever the input. */
#include <dirent.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "image/image.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int base = -1;
static char base_path[] = "/tmp/vj-fuzz-layer-XXXXXX";

static void remove_base(void)
{
    img_rm_rf_at(base, "t");
    unlinkat(base, "outside", AT_REMOVEDIR);
    rmdir(base_path);
}

/* The number of entries of directory NAME in base, other than . and .. */
static int entries(const char *name)
{
    int fd = openat(base, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
    if (d == NULL)
        abort();
    int n = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL)
        n += strcmp(de->d_name, ".") && strcmp(de->d_name, "..");
    closedir(d);
    return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (base < 0) {
        if (mkdtemp(base_path) == NULL ||
            (base = open(base_path, O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0 ||
            mkdirat(base, "outside", 0755) < 0)
            abort();
        atexit(remove_base);
    }
    int layer = memfd_create("layer", MFD_CLOEXEC);
    if (layer < 0 || write(layer, data, size) != (ssize_t)size)
        abort();
    /* A tree with something below for whiteouts to hide. */
    img_rm_rf_at(base, "t");
    if (mkdirat(base, "t", 0755) < 0 || mkdirat(base, "t/d", 0755) < 0)
        abort();
    int f = openat(base, "t/d/f", O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
    if (f < 0)
        abort();
    close(f);
    int root = openat(base, "t", O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (root < 0)
        abort();
    const char *diff_id = size && (data[size - 1] & 1)
                              ? NULL
                              : "sha256:0000000000000000000000000000000000000000000000000000000000000000";
    vmjail_error *err = NULL;
    if (img_unpack_layer(root, layer, diff_id, false, &err) < 0 && err == NULL)
        abort(); /* a failure always says why */
    vmjail_error_free(err);
    close(root);
    close(layer);
    if (img_rm_rf_at(base, "t") < 0 || entries(".") != 1 || entries("outside") != 0)
        abort(); /* something was written beside the tree */
    return 0;
}
