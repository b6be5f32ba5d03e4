/* host_cache.c: facts about the host's KVM kept between sandboxes in a file: its supported
 * CPUID (KVM_GET_SUPPORTED_CPUID makes the host execute CPUID for every leaf, each an exit to
 * the outer hypervisor on a nested host: about 0.4 ms of every start on the development
 * host).  A file is used only for the boot and the KVM module load it was written under, and
 * only if it and its directory belong to the caller and nobody else can write them. */
#include "host/kvm/host_cache.h"

#include <fcntl.h>
#include <linux/kvm.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define CPUID_FILE "cpuid"
#define KEY_SIZE 128     /* the file starts with the key, NUL-padded to this size */
#define MAX_ENTRIES 4096

void vj_host_cache_key(char *key, size_t size)
{
    key[0] = '\0';
    char boot[64] = "";
    int fd = open("/proc/sys/kernel/random/boot_id", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return;
    ssize_t n = read(fd, boot, sizeof boot - 1);
    close(fd);
    if (n < 32)
        return;
    boot[n] = '\0';
    boot[strcspn(boot, "\n")] = '\0';
    struct stat kvm;
    if (stat("/sys/module/kvm", &kvm) < 0)
        return;
    unsigned long long vendor = 0;
    static const char *const vendors[] = {"/sys/module/kvm_intel", "/sys/module/kvm_amd",
                                          "/sys/module/kvm_pvm"};
    for (size_t i = 0; i < sizeof vendors / sizeof vendors[0]; i++) {
        struct stat st;
        if (stat(vendors[i], &st) == 0)
            vendor = vendor * 1000003u + (unsigned long long)st.st_ino;
    }
    snprintf(key, size, "vmjail-cpuid-1 %s %llu %llu", boot, (unsigned long long)kvm.st_ino,
             vendor);
}

/* The caller's own, and writable by nobody else. */
static int owned(int fd, mode_t type)
{
    struct stat st;
    return fstat(fd, &st) == 0 && (st.st_mode & S_IFMT) == type && st.st_uid == geteuid() &&
           !(st.st_mode & (S_IWGRP | S_IWOTH));
}

static int open_dir(const char *dir)
{
    int d = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (d >= 0 && !owned(d, S_IFDIR)) {
        close(d);
        d = -1;
    }
    return d;
}

struct kvm_cpuid2 *vj_host_cache_load_cpuid(const char *dir, const char *key)
{
    if (dir == NULL || key[0] == '\0' || strlen(key) >= KEY_SIZE)
        return NULL;
    int d = open_dir(dir);
    if (d < 0)
        return NULL;
    int fd = openat(d, CPUID_FILE, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    close(d);
    if (fd < 0)
        return NULL;
    struct kvm_cpuid2 *c = NULL;
    char head[KEY_SIZE];
    uint32_t nent;
    struct stat st;
    if (!owned(fd, S_IFREG) || fstat(fd, &st) < 0 || pread(fd, head, KEY_SIZE, 0) != KEY_SIZE ||
        memcmp(head, key, strlen(key) + 1) != 0 ||
        pread(fd, &nent, sizeof nent, KEY_SIZE) != sizeof nent || nent == 0 ||
        nent > MAX_ENTRIES ||
        (uint64_t)st.st_size != KEY_SIZE + sizeof nent + nent * sizeof c->entries[0])
        goto out;
    size_t bytes = nent * sizeof c->entries[0];
    c = calloc(1, sizeof *c + bytes);
    if (c == NULL)
        goto out;
    c->nent = nent;
    if (pread(fd, c->entries, bytes, KEY_SIZE + sizeof nent) != (ssize_t)bytes) {
        free(c);
        c = NULL;
    }
out:
    close(fd);
    return c;
}

void vj_host_cache_store_cpuid(const char *dir, const char *key, const struct kvm_cpuid2 *c)
{
    if (dir == NULL || key[0] == '\0' || strlen(key) >= KEY_SIZE || c->nent == 0 ||
        c->nent > MAX_ENTRIES)
        return;
    mkdir(dir, 0700);
    int d = open_dir(dir);
    if (d < 0)
        return;
    char tmp[64];
    snprintf(tmp, sizeof tmp, "%s.%d", CPUID_FILE, (int)getpid());
    int fd = openat(d, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) {
        close(d);
        return;
    }
    char head[KEY_SIZE] = {0};
    memcpy(head, key, strlen(key));
    uint32_t nent = c->nent;
    size_t bytes = nent * sizeof c->entries[0];
    bool ok = write(fd, head, KEY_SIZE) == KEY_SIZE &&
              write(fd, &nent, sizeof nent) == sizeof nent &&
              write(fd, c->entries, bytes) == (ssize_t)bytes;
    ok = close(fd) == 0 && ok;
    if (!ok || renameat(d, tmp, d, CPUID_FILE) < 0)
        unlinkat(d, tmp, 0);
    close(d);
}
