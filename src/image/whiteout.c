/* whiteout.c: a layer entry's path made clean, and what an OCI whiteout (.wh.NAME, the opaque
 * .wh..wh..opq) hides. */
#include <string.h>

#include "image/image.h"

int img_path_clean(const char *in, char *out, size_t n)
{
    size_t o = 0;
    const char *p = in;
    while (*p) {
        while (*p == '/')
            p++;
        const char *e = p + strcspn(p, "/");
        size_t len = (size_t)(e - p);
        if (len == 0)
            break;
        if (len == 2 && p[0] == '.' && p[1] == '.')
            return -1;
        if (!(len == 1 && p[0] == '.')) {
            if (o + (o ? 1 : 0) + len + 1 > n)
                return -1;
            if (o)
                out[o++] = '/';
            memcpy(out + o, p, len);
            o += len;
        }
        p = e;
    }
    if (n == 0)
        return -1;
    out[o] = '\0';
    return 0;
}

enum img_whiteout img_whiteout_of(const char *p, char *dir, size_t dn, char *name, size_t nn)
{
    const char *slash = strrchr(p, '/');
    const char *base = slash ? slash + 1 : p;
    size_t dl = slash ? (size_t)(slash - p) : 0;
    if (strncmp(base, ".wh.", 4) != 0 || dl + 1 > dn)
        return IMG_WH_NONE;
    memcpy(dir, p, dl);
    dir[dl] = '\0';
    if (strcmp(base, ".wh..wh..opq") == 0)
        return IMG_WH_OPAQUE;
    const char *hidden = base + 4;
    size_t hl = strlen(hidden);
    if (hl == 0 || hl + 1 > nn || strcmp(hidden, ".") == 0 || strcmp(hidden, "..") == 0)
        return IMG_WH_NONE;
    memcpy(name, hidden, hl + 1);
    return IMG_WH_FILE;
}
