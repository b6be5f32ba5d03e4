/* host_cache.h: facts about the host's KVM kept between sandboxes (host_cache.c). */
#ifndef VJ_HOST_CACHE_H
#define VJ_HOST_CACHE_H

#include <stddef.h>

struct kvm_cpuid2;

/* This boot's and this KVM's key ("" if the host gives none: then nothing is cached): the
 * boot id and the inode numbers of /sys/module/kvm and of the vendor module's directory,
 * which a new load of the module makes anew. */
void vj_host_cache_key(char *key, size_t size);
/* KVM's supported CPUID from DIR, if a file there has KEY, belongs to the caller, and nobody
 * else can write it or its directory; NULL otherwise.  The caller frees it. */
struct kvm_cpuid2 *vj_host_cache_load_cpuid(const char *dir, const char *key);
/* Keep C in DIR under KEY (made 0700 if missing; written whole, then renamed into place).
 * Failures are ignored: the cache only saves time. */
void vj_host_cache_store_cpuid(const char *dir, const char *key, const struct kvm_cpuid2 *c);

#endif
