/* state.c: the gateway's state directory: one JSON file per function, their snapshots, and
 * the bearer token of the /system API (made at first start, mode 0600). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "faas/faas.h"
#include "lib/error.h"

int faas_state_default(char *out, size_t size)
{
    if (geteuid() == 0)
        return snprintf(out, size, "/var/lib/vmjail/faas") < (int)size ? 0 : -1;
    const char *x = getenv("XDG_DATA_HOME"), *h = getenv("HOME");
    int n = x && x[0] == '/' ? snprintf(out, size, "%s/vmjail/faas", x)
            : h             ? snprintf(out, size, "%s/.local/share/vmjail/faas", h)
                            : -1;
    return n > 0 && (size_t)n < size ? 0 : -1;
}

static int mkdirs(const char *path, vmjail_error **err)
{
    char p[4096];
    snprintf(p, sizeof p, "%s", path);
    for (char *s = p + 1;; s++) {
        if (*s == '/' || *s == '\0') {
            char c = *s;
            *s = '\0';
            if (mkdir(p, 0700) < 0 && errno != EEXIST)
                return vj_error(err, VMJAIL_ERR_INTERNAL, errno, "state directory %s", p);
            *s = c;
            if (c == '\0')
                return 0;
        }
    }
}

static int read_small(const char *path, char *buf, size_t size)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return -1;
    ssize_t n = read(fd, buf, size - 1);
    int e = errno;
    close(fd);
    if (n < 0) {
        errno = e;
        return -1;
    }
    buf[n] = '\0';
    return (int)n;
}

int faas_token_read(const char *dir, char *token, size_t size, vmjail_error **err)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/token", dir);
    int n = read_small(path, token, size);
    if (n < 0)
        return vj_error(err, errno == ENOENT ? VMJAIL_ERR_NOTFOUND : VMJAIL_ERR_INTERNAL, errno,
                        "the gateway's token %s", path);
    token[strcspn(token, "\r\n")] = '\0';
    return 0;
}

static int make_token(struct faas_state *st, vmjail_error **err)
{
    if (faas_token_read(st->dir, st->token, sizeof st->token, NULL) == 0 &&
        strlen(st->token) == 64)
        return 0;
    unsigned char r[32];
    if (getrandom(r, sizeof r, 0) != sizeof r)
        return vj_error(err, VMJAIL_ERR_INTERNAL, errno, "getrandom");
    for (size_t i = 0; i < sizeof r; i++)
        snprintf(st->token + 2 * i, 3, "%02x", r[i]);
    char path[4200], tmp[4300];
    snprintf(path, sizeof path, "%s/token", st->dir);
    snprintf(tmp, sizeof tmp, "%s.%d", path, (int)getpid());
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0)
        return vj_error(err, VMJAIL_ERR_INTERNAL, errno, "%s", tmp);
    char line[80];
    int n = snprintf(line, sizeof line, "%s\n", st->token);
    bool ok = write(fd, line, (size_t)n) == n && fsync(fd) == 0;
    close(fd);
    if (!ok || rename(tmp, path) < 0) {
        unlink(tmp);
        return vj_error(err, VMJAIL_ERR_INTERNAL, errno, "%s", path);
    }
    return 0;
}

int faas_state_open(struct faas_state *st, const char *dir, vmjail_error **err)
{
    memset(st, 0, sizeof *st);
    if (dir[0] != '/' || strlen(dir) > 3000)
        return vj_error(err, VMJAIL_ERR_USAGE, 0, "--state %s: not an absolute path", dir);
    snprintf(st->dir, sizeof st->dir, "%s", dir);
    char sub[4200];
    if (mkdirs(dir, err) < 0)
        return -1;
    snprintf(sub, sizeof sub, "%s/functions", dir);
    if (mkdirs(sub, err) < 0)
        return -1;
    snprintf(sub, sizeof sub, "%s/snapshots", dir);
    if (mkdirs(sub, err) < 0)
        return -1;
    return make_token(st, err);
}

void faas_snapshot_path(const struct faas_state *st, const char *name, char *out, size_t size)
{
    snprintf(out, size, "%s/snapshots/%s.snap", st->dir, name);
}

int faas_state_save(const struct faas_state *st, const struct faas_fn *fn, vmjail_error **err)
{
    char path[4200], tmp[4300];
    snprintf(path, sizeof path, "%s/functions/%s.json", st->dir, fn->name);
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    char *json = faas_fn_to_json(fn, NULL);
    if (json == NULL)
        return vj_error(err, VMJAIL_ERR_INTERNAL, ENOMEM, "save %s", fn->name);
    unlink(tmp);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
    size_t len = strlen(json);
    bool ok = fd >= 0 && write(fd, json, len) == (ssize_t)len && fsync(fd) == 0;
    int e = errno;
    if (fd >= 0)
        close(fd);
    free(json);
    if (!ok || rename(tmp, path) < 0) {
        e = ok ? errno : e;
        unlink(tmp);
        return vj_error(err, VMJAIL_ERR_INTERNAL, e, "save %s", path);
    }
    return 0;
}

int faas_state_remove(const struct faas_state *st, const char *name)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/functions/%s.json", st->dir, name);
    int rc = unlink(path);
    faas_snapshot_path(st, name, path, sizeof path);
    unlink(path);
    return rc;
}

int faas_state_load(const struct faas_state *st, void (*fn)(void *ctx, struct faas_fn *f),
                    void (*bad)(void *ctx, const char *file, const char *why), void *ctx)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/functions", st->dir);
    DIR *d = opendir(path);
    if (d == NULL)
        return -1;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        size_t n = strlen(e->d_name);
        if (n < 6 || strcmp(e->d_name + n - 5, ".json") != 0)
            continue;
        char file[4400];
        snprintf(file, sizeof file, "%s/%s", path, e->d_name);
        char *buf = malloc(1u << 20);
        int len = buf ? read_small(file, buf, 1u << 20) : -1;
        struct faas_fn f;
        vmjail_error *err = NULL;
        if (len < 0) {
            bad(ctx, file, strerror(errno));
        } else if (faas_fn_parse(buf, (size_t)len, &f, &err) < 0) {
            bad(ctx, file, vmjail_error_message(err));
            vmjail_error_free(err);
            faas_fn_free(&f);
        } else if (strlen(f.name) + 5 != n || strncmp(f.name, e->d_name, n - 5) != 0) {
            bad(ctx, file, "its service is not its file's name");
            faas_fn_free(&f);
        } else {
            fn(ctx, &f); /* F is the callee's now */
        }
        free(buf);
    }
    closedir(d);
    return 0;
}
