/* test_host_cache.c: unit tests of the host cache (src/host/kvm/host_cache.c): what it keeps comes
 * back only under the same key, from files and a directory nobody else can write. */
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "host/kvm/host_cache.h"
#include "tap.h"

static struct kvm_cpuid2 *table(uint32_t n)
{
    struct kvm_cpuid2 *c = calloc(1, sizeof *c + n * sizeof c->entries[0]);
    c->nent = n;
    for (uint32_t i = 0; i < n; i++) {
        c->entries[i].function = i;
        c->entries[i].eax = 0x1000 + i;
        c->entries[i].edx = 0xabc00000u + i;
    }
    return c;
}

static bool same(const struct kvm_cpuid2 *a, const struct kvm_cpuid2 *b)
{
    return a && b && a->nent == b->nent &&
           memcmp(a->entries, b->entries, a->nent * sizeof a->entries[0]) == 0;
}

int main(void)
{
    char key[128];
    vj_host_cache_key(key, sizeof key);
    struct stat st;
    if (stat("/sys/module/kvm", &st) == 0)
        ok(strncmp(key, "vmjail-cpuid-1 ", 15) == 0 && strlen(key) > 40,
           "a host with KVM has a key: boot id and module loads (%s)", key);
    else
        ok(key[0] == '\0', "a host without KVM has no key (nothing is cached)");

    char dir[] = "/tmp/vj-host-cache-XXXXXX";
    ok(mkdtemp(dir) != NULL, "a scratch directory");
    char sub[64], file[96];
    snprintf(sub, sizeof sub, "%s/cache", dir);
    snprintf(file, sizeof file, "%s/cpuid", sub);
    struct kvm_cpuid2 *c = table(75);

    ok(vj_host_cache_load_cpuid(sub, "k1") == NULL, "nothing cached yet");
    vj_host_cache_store_cpuid(sub, "k1", c);
    ok(stat(sub, &st) == 0 && (st.st_mode & 0777) == 0700, "the directory is made 0700");
    ok(stat(file, &st) == 0 && (st.st_mode & 0777) == 0600, "the file is 0600");
    struct kvm_cpuid2 *back = vj_host_cache_load_cpuid(sub, "k1");
    ok(same(c, back), "the table comes back whole under its key");
    free(back);
    ok(vj_host_cache_load_cpuid(sub, "k2") == NULL, "not under another key (another boot)");
    ok(vj_host_cache_load_cpuid(sub, "k") == NULL, "nor under a prefix of the key");
    ok(vj_host_cache_load_cpuid(sub, "") == NULL, "nor with no key");
    ok(vj_host_cache_load_cpuid(NULL, "k1") == NULL, "nor with no directory");

    chmod(file, 0620);
    ok(vj_host_cache_load_cpuid(sub, "k1") == NULL, "a file its group can write is refused");
    chmod(file, 0600);
    chmod(sub, 0770);
    ok(vj_host_cache_load_cpuid(sub, "k1") == NULL, "a directory its group can write is refused");
    chmod(sub, 0700);

    ok(truncate(file, 128 + 4 + 10) == 0, "cut the file short");
    ok(vj_host_cache_load_cpuid(sub, "k1") == NULL, "a short file is refused");
    int fd = open(file, O_WRONLY | O_TRUNC);
    char junk[128 + 4] = "k1";
    uint32_t huge = 1u << 20;
    memcpy(junk + 128, &huge, 4);
    ok(fd >= 0 && write(fd, junk, sizeof junk) == (ssize_t)sizeof junk, "a file claiming 2^20 entries");
    close(fd);
    ok(vj_host_cache_load_cpuid(sub, "k1") == NULL, "is refused");

    char other[96]; /* a good file, then a symbolic link to it in its place */
    unlink(file);
    snprintf(other, sizeof other, "%s/cache/real", dir);
    vj_host_cache_store_cpuid(sub, "k1", c);
    ok(rename(file, other) == 0 && symlink(other, file) == 0, "replace the file by a symbolic link");
    ok(vj_host_cache_load_cpuid(sub, "k1") == NULL, "a symbolic link is not followed");
    unlink(file);
    vj_host_cache_store_cpuid(sub, "k1", c);
    back = vj_host_cache_load_cpuid(sub, "k1");
    ok(same(c, back), "storing again replaces it");
    free(back);

    struct kvm_cpuid2 *empty = table(0);
    unlink(file);
    vj_host_cache_store_cpuid(sub, "k1", empty);
    ok(stat(file, &st) < 0, "an empty table is not kept");

    unlink(other);
    rmdir(sub);
    rmdir(dir);
    free(c);
    free(empty);
    return done_testing();
}
