/* test_unpack.c: unit tests of img_unpack_layer on layers the test writes with libarchive:
 * entries of every kind, whiteouts (file, opaque, in the same layer as the entries they must
 * not hide), the diff_id check, compressed layers, and hostile or corrupt ones. */
#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "image/image.h"
#include "tap.h"

static char tmp[64];

/* One entry of a layer: KIND 'd' directory, 'f' file (DATA), 'l' symlink (to DATA),
 * 'h' hard link (to DATA). */
struct ent {
    char kind;
    const char *path, *data;
};

/* Write ENTS as a tar (through FILTER: 0 none, 'g' gzip, 'z' zstd) to the file NAME; its
 * uncompressed sha256 into DIGEST. */
static int write_layer(const char *name, const struct ent *ents, char filter,
                       char digest[IMG_DIGEST_LEN])
{
    char path[128];
    snprintf(path, sizeof path, "%s/%s", tmp, name);
    for (int pass = 0; pass < 2; pass++) { /* 0: plain, to hash; 1: as asked */
        struct archive *a = archive_write_new();
        archive_write_set_format_pax_restricted(a);
        if (pass == 1 && filter == 'g')
            archive_write_add_filter_gzip(a);
        if (pass == 1 && filter == 'z')
            archive_write_add_filter_zstd(a);
        if (archive_write_open_filename(a, path) != ARCHIVE_OK)
            return -1;
        for (const struct ent *e = ents; e->path; e++) {
            struct archive_entry *ae = archive_entry_new();
            archive_entry_set_pathname(ae, e->path);
            archive_entry_set_mtime(ae, 1700000000, 0);
            size_t n = e->kind == 'f' ? strlen(e->data) : 0;
            archive_entry_set_size(ae, (la_int64_t)n);
            switch (e->kind) {
            case 'd':
                archive_entry_set_filetype(ae, AE_IFDIR);
                archive_entry_set_perm(ae, 0755);
                break;
            case 'f':
                archive_entry_set_filetype(ae, AE_IFREG);
                archive_entry_set_perm(ae, 0644);
                break;
            case 'l':
                archive_entry_set_filetype(ae, AE_IFLNK);
                archive_entry_set_perm(ae, 0777);
                archive_entry_set_symlink(ae, e->data);
                break;
            case 'h':
                archive_entry_set_filetype(ae, AE_IFREG);
                archive_entry_set_perm(ae, 0644);
                archive_entry_set_hardlink(ae, e->data);
                break;
            }
            archive_write_header(a, ae);
            if (n)
                archive_write_data(a, e->data, n);
            archive_entry_free(ae);
        }
        archive_write_close(a);
        archive_write_free(a);
        if (pass == 0) {
            int fd = open(path, O_RDONLY);
            if (fd < 0)
                return -1;
            struct img_hash *h = img_hash_new();
            char buf[4096];
            ssize_t r;
            while ((r = read(fd, buf, sizeof buf)) > 0)
                img_hash_update(h, buf, (size_t)r);
            close(fd);
            img_hash_final(h, digest);
        }
    }
    return 0;
}

/* Unpack layer NAME into ROOT (checking DIFF_ID when not NULL): 0 or -1 with *ERR. */
static int unpack(int root, const char *name, const char *diff_id, vmjail_error **err)
{
    char path[128];
    snprintf(path, sizeof path, "%s/%s", tmp, name);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    int rc = img_unpack_layer(root, fd, diff_id, false, err);
    close(fd);
    return rc;
}

/* The tree under DIR (relative to tmp) as "path[/|@target|=data] ..." in sorted order. */
static void collect(const char *base, const char *rel, char *out, size_t n)
{
    char dir[512];
    snprintf(dir, sizeof dir, "%s%s%s", base, *rel ? "/" : "", rel);
    struct dirent **list;
    int k = scandir(dir, &list, NULL, alphasort);
    for (int i = 0; i < k; i++) {
        const char *d = list[i]->d_name;
        if (strcmp(d, ".") && strcmp(d, "..")) {
            char r[512], full[1024];
            snprintf(r, sizeof r, "%s%s%s", rel, *rel ? "/" : "", d);
            snprintf(full, sizeof full, "%s/%s", base, r);
            struct stat st;
            lstat(full, &st);
            size_t l = strlen(out);
            if (S_ISDIR(st.st_mode)) {
                snprintf(out + l, n - l, "%s/ ", r);
                collect(base, r, out, n);
            } else if (S_ISLNK(st.st_mode)) {
                char t[256] = "";
                ssize_t tl = readlink(full, t, sizeof t - 1);
                t[tl > 0 ? tl : 0] = '\0';
                snprintf(out + l, n - l, "%s@%s ", r, t);
            } else {
                char data[64] = "";
                int fd = open(full, O_RDONLY);
                ssize_t dl = fd >= 0 ? read(fd, data, sizeof data - 1) : 0;
                data[dl > 0 ? dl : 0] = '\0';
                if (fd >= 0)
                    close(fd);
                snprintf(out + l, n - l, "%s=%s%s ", r, data, st.st_nlink > 1 ? "(linked)" : "");
            }
        }
        free(list[i]);
    }
    if (k >= 0)
        free(list);
}

static int new_root(const char *name)
{
    char p[128];
    snprintf(p, sizeof p, "%s/%s", tmp, name);
    mkdir(p, 0755);
    return open(p, O_PATH | O_DIRECTORY | O_CLOEXEC);
}

static void tree_is(const char *name, const char *want, const char *what)
{
    char base[128], got[4096] = "";
    snprintf(base, sizeof base, "%s/%s", tmp, name);
    collect(base, "", got, sizeof got);
    ok(strcmp(got, want) == 0, "%s (tree: %s)", what, got);
    if (strcmp(got, want))
        printf("#   want:       %s\n", want);
}

static void whiteouts(char filter)
{
    static const struct ent l1[] = {
        {'d', "etc", NULL}, {'f', "etc/a", "A"}, {'f', "etc/b", "B"}, {'h', "etc/h", "etc/b"},
        {'l', "l", "etc/b"}, {'d', "o", NULL}, {'f', "o/x", "X"}, {'d', "o/sub", NULL},
        {'f', "o/sub/y", "Y"}, {'d', "gone", NULL}, {'f', "gone/g", "G"}, {0, NULL, NULL},
    };
    /* o/z comes before the opaque marker, o/w after it: both are this layer's and stay; so
     * does p, whited out in the same layer that brings it. */
    static const struct ent l2[] = {
        {'f', "etc/.wh.a", ""}, {'f', ".wh.gone", ""}, {'d', "o", NULL}, {'f', "o/z", "Z"},
        {'d', "o/sub", NULL}, {'f', "o/sub/q", "Q"}, {'f', "o/.wh..wh..opq", ""},
        {'f', "o/w", "W"}, {'f', "p", "P"}, {'f', ".wh.p", ""}, {0, NULL, NULL},
    };
    char d1[IMG_DIGEST_LEN], d2[IMG_DIGEST_LEN], root[16];
    snprintf(root, sizeof root, "wh-%c", filter ? filter : 'n');
    ok(write_layer("l1", l1, filter, d1) == 0 && write_layer("l2", l2, filter, d2) == 0,
       "layers written (filter %c)", filter ? filter : '-');
    int r = new_root(root);
    vmjail_error *err = NULL;
    ok(unpack(r, "l1", d1, &err) == 0, "layer 1 unpacked (%s)", err ? vmjail_error_message(err) : "");
    tree_is(root, "etc/ etc/a=A etc/b=B(linked) etc/h=B(linked) gone/ gone/g=G l@etc/b o/ o/sub/ "
            "o/sub/y=Y o/x=X ",
            "layer 1: directories, files, a hard link, a symlink");
    ok(unpack(r, "l2", d2, &err) == 0, "layer 2 unpacked (%s)", err ? vmjail_error_message(err) : "");
    tree_is(root, "etc/ etc/b=B(linked) etc/h=B(linked) l@etc/b o/ o/sub/ o/sub/q=Q o/w=W o/z=Z p=P ",
            "layer 2: a file and a directory whited out, o opaque (its lower entries gone, this "
            "layer's kept, before and after the marker), p kept (whited out in its own layer)");
    vmjail_error_free(err);
    close(r);
}

static void refused(void)
{
    static const struct ent l[] = {{'f', "f", "F"}, {0, NULL, NULL}};
    char d[IMG_DIGEST_LEN];
    write_layer("lf", l, 'g', d);
    int r = new_root("bad-digest");
    vmjail_error *err = NULL;
    d[10] = d[10] == '0' ? '1' : '0';
    ok(unpack(r, "lf", d, &err) < 0 && err && strstr(vmjail_error_message(err), "diff_id"),
       "a layer whose sha256 is not the diff_id is refused (%s)",
       err ? vmjail_error_message(err) : "accepted");
    vmjail_error_free(err);
    err = NULL;
    close(r);

    /* Symlinks to the host's / and above, and files written through them: they land inside
     * the tree; a ../ path is refused. */
    static const struct ent esc[] = {
        {'l', "up", "/"}, {'l', "dots", "../../../.."}, {'f', "up/esc-a", "1"},
        {'f', "dots/esc-b", "2"}, {0, NULL, NULL},
    };
    write_layer("lesc", esc, 0, d);
    r = new_root("escape");
    int rc = unpack(r, "lesc", d, &err);
    ok(rc == 0 && access("/esc-a", F_OK) < 0 && access("/esc-b", F_OK) < 0,
       "entries through symlinks out of the tree stay in it (%s)", err ? vmjail_error_message(err) : "");
    tree_is("escape", "dots@../../../.. esc-a=1 esc-b=2 up@/ ", "the escaping entries are in the tree");
    vmjail_error_free(err);
    err = NULL;
    static const struct ent dotdot[] = {{'f', "../esc-c", "3"}, {0, NULL, NULL}};
    write_layer("ldotdot", dotdot, 0, d);
    char p[128];
    snprintf(p, sizeof p, "%s/esc-c", tmp);
    ok(unpack(r, "ldotdot", d, &err) < 0 && err && strstr(vmjail_error_message(err), "bad path") &&
           access(p, F_OK) < 0,
       "a ../ path refused (%s)", err ? vmjail_error_message(err) : "accepted");
    vmjail_error_free(err);
    err = NULL;
    close(r);

    /* Malformed whiteout markers: neither applied nor extracted. */
    static const struct ent l1[] = {{'f', "keep", "K"}, {0, NULL, NULL}};
    static const struct ent l2[] = {{'f', ".wh.", ""}, {'f', ".wh..", ""}, {0, NULL, NULL}};
    char d1[IMG_DIGEST_LEN];
    write_layer("lm1", l1, 0, d1);
    write_layer("lm2", l2, 0, d);
    r = new_root("malformed");
    ok(unpack(r, "lm1", d1, &err) == 0 && unpack(r, "lm2", d, &err) == 0, "layers with malformed "
       "markers unpacked (%s)", err ? vmjail_error_message(err) : "");
    tree_is("malformed", "keep=K ", "malformed markers: nothing hidden, nothing extracted");
    vmjail_error_free(err);
    err = NULL;
    close(r);

    /* Garbage, and a truncated gzip layer. */
    snprintf(p, sizeof p, "%s/garbage", tmp);
    int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    for (int i = 0; i < 300; i++)
        (void)!write(fd, "not a tar at all\n", 17);
    close(fd);
    r = new_root("garbage-root");
    ok(unpack(r, "garbage", NULL, &err) < 0 && err, "garbage refused (%s)",
       err ? vmjail_error_message(err) : "accepted");
    vmjail_error_free(err);
    err = NULL;
    static const struct ent big[] = {{'f', "a", "0123456789abcdef0123456789abcdef"},
                                     {'f', "b", "x"}, {0, NULL, NULL}};
    write_layer("ltrunc", big, 'g', d);
    snprintf(p, sizeof p, "%s/ltrunc", tmp);
    struct stat st;
    stat(p, &st);
    (void)!truncate(p, st.st_size / 2);
    ok(unpack(r, "ltrunc", d, &err) < 0 && err, "a truncated gzip layer refused (%s)",
       err ? vmjail_error_message(err) : "accepted");
    vmjail_error_free(err);
    close(r);
}

int main(void)
{
    snprintf(tmp, sizeof tmp, "/tmp/vj-unpack-XXXXXX");
    if (!mkdtemp(tmp)) {
        perror("mkdtemp");
        return 1;
    }
    whiteouts(0);
    whiteouts('g');
    whiteouts('z');
    refused();
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", tmp);
    (void)!system(cmd);
    return done_testing();
}
