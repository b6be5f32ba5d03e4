/* util.c: small file, string and helper-program functions of the OCI runtime. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lib/error.h"
#include "oci/oci.h"

int oci_write_file(const char *path, const char *text, vmjail_error **err)
{
    int fd = open(path, O_WRONLY | O_CLOEXEC | O_TRUNC | O_CREAT, 0644);
    if (fd < 0)
        return vj_error(err, VMJAIL_ERR_INTERNAL, errno, "open %s", path);
    size_t len = strlen(text), done = 0;
    while (done < len) {
        ssize_t n = write(fd, text + done, len - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            int e = errno;
            close(fd);
            return vj_error(err, VMJAIL_ERR_INTERNAL, e, "write %s", path);
        }
        done += (size_t)n;
    }
    if (close(fd) < 0)
        return vj_error(err, VMJAIL_ERR_INTERNAL, errno, "write %s", path);
    return 0;
}

int oci_write_pid_file(const char *path, pid_t pid, vmjail_error **err)
{
    char text[32], tmp[4096];
    snprintf(text, sizeof text, "%d", (int)pid);
    if (snprintf(tmp, sizeof tmp, "%s.vmjail-tmp", path) >= (int)sizeof tmp)
        return vj_error(err, VMJAIL_ERR_USAGE, ENAMETOOLONG, "--pid-file %s", path);
    if (oci_write_file(tmp, text, err) < 0)
        return -1;
    if (rename(tmp, path) < 0) {
        unlink(tmp);
        return vj_error(err, VMJAIL_ERR_INTERNAL, errno, "--pid-file %s", path);
    }
    return 0;
}

bool oci_word_in(const char *list, const char *word)
{
    size_t n = strlen(word);
    if (n == 0)
        return false;
    for (const char *p = list; (p = strstr(p, word)) != NULL; p++) {
        bool starts = p == list || isspace((unsigned char)p[-1]);
        bool ends = p[n] == '\0' || isspace((unsigned char)p[n]);
        if (starts && ends)
            return true;
    }
    return false;
}

char *oci_read_file(const char *path, size_t *len, vmjail_error **err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        vj_error(err, errno == ENOENT ? VMJAIL_ERR_NOTFOUND : VMJAIL_ERR_INTERNAL, errno,
                 "open %s", path);
        return NULL;
    }
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    while (buf) {
        if (n + 1 >= cap) {
            char *b = cap > (64u << 20) ? NULL : realloc(buf, cap * 2);
            if (b == NULL) {
                free(buf);
                buf = NULL;
                errno = EFBIG;
                break;
            }
            buf = b;
            cap *= 2;
        }
        ssize_t r = read(fd, buf + n, cap - n - 1);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            free(buf);
            buf = NULL;
            break;
        }
        if (r == 0)
            break;
        n += (size_t)r;
    }
    int e = errno;
    close(fd);
    if (buf == NULL) {
        vj_error(err, VMJAIL_ERR_INTERNAL, e ? e : ENOMEM, "read %s", path);
        return NULL;
    }
    buf[n] = '\0';
    if (len)
        *len = n;
    return buf;
}

int oci_mkdir_p(const char *path, mode_t mode)
{
    char buf[4096];
    if (snprintf(buf, sizeof buf, "%s", path) >= (int)sizeof buf) {
        errno = ENAMETOOLONG;
        return -1;
    }
    for (char *p = buf + 1;; p++) {
        if (*p == '/' || *p == '\0') {
            char c = *p;
            *p = '\0';
            if (mkdir(buf, mode) < 0 && errno != EEXIST)
                return -1;
            *p = c;
            if (c == '\0')
                break;
        }
    }
    return 0;
}

void oci_free_strv(char **v)
{
    for (char **p = v; p && *p; p++)
        free(*p);
    free(v);
}

void oci_now_rfc3339(char *buf, size_t size)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    char sec[32];
    strftime(sec, sizeof sec, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(buf, size, "%s.%09ldZ", sec, ts.tv_nsec);
}

int oci_run_helper(char *const argv[], char *text, size_t size, int *status)
{
    int out[2];
    if (pipe2(out, O_CLOEXEC) < 0)
        return -1;
    fflush(NULL);
    pid_t child = fork();
    if (child < 0) {
        int e = errno;
        close(out[0]);
        close(out[1]);
        errno = e;
        return -1;
    }
    if (child == 0) {
        int null = open("/dev/null", O_RDWR);
        if (null < 0 || dup2(null, 0) < 0 || dup2(out[1], 1) < 0 || dup2(out[1], 2) < 0)
            _exit(127);
        execvp(argv[0], argv);
        _exit(127);
    }
    close(out[1]);
    size_t n = 0;
    ssize_t k;
    while (n < size - 1 && (k = read(out[0], text + n, size - 1 - n)) != 0) {
        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0)
            break;
        n += (size_t)k;
    }
    text[n] = '\0';
    close(out[0]);
    while (waitpid(child, status, 0) < 0 && errno == EINTR)
        ;
    return 0;
}
