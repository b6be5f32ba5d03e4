/* vm_x86_64.c: the VM on Linux KVM for x86-64: guest memory and its slots, the CPUID and
 * system structures every vCPU shares, and the monitor's descriptors. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "arch/x86_64/cpu.h"
#include "host/kvm/host_cache.h"
#include "host/kvm/kvm_x86_64.h"
#include "host/mem_private.h"
#include "lib/error.h"
#include "vmjail_abi.h"

/* User-visible XSAVE components: x87, SSE, AVX, AVX-512 (opmask, ZMM_Hi256, Hi16_ZMM). */
#define XCR0_USER_MASK 0xe7ULL

int vj_kvm_fail(vmjail_error **err, const char *what)
{
    return vj_error(err, VMJAIL_ERR_INTERNAL, errno, "KVM: %s", what);
}

/* The monitor's descriptors go to the top 32 of the first 1024 (of fewer, if the limit is
 * lower), where payloads seldom reach: not to the top of a high limit, which would make the
 * descriptor table, copied at every fork and walked at every exit, that large. */
#define OWN_FD_CEILING 1024

static int move_fd_high(int fd)
{
    struct rlimit rl;
    int floor = OWN_FD_CEILING - 32;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < OWN_FD_CEILING && rl.rlim_cur > 64)
        floor = (int)rl.rlim_cur - 32;
    int hidden = fcntl(fd, F_DUPFD_CLOEXEC, floor);
    if (hidden >= 0) {
        close(fd);
        fd = hidden;
    }
    return fd;
}

static void mark_owned(struct vj_vm *vm, int fd)
{
    if (fd >= 0 && fd < VJ_FD_BITMAP_BITS)
        __atomic_or_fetch(&vm->owned_fds[fd / 64], 1ULL << (fd % 64), __ATOMIC_RELEASE);
}

int vj_kvm_own_fd(struct vj_vm *vm, int fd)
{
    fd = move_fd_high(fd);
    mark_owned(vm, fd);
    return fd;
}

/* /dev/kvm, opened once per process and kept: runs and forks after the caller lost access
 * to /dev/kvm (pivot_root, a device cgroup, seccomp) still create VMs. */
static int kvm_system_fd = -1;
static pthread_mutex_t kvm_system_lock = PTHREAD_MUTEX_INITIALIZER;

int vmjail_open_kvm(vmjail_error **err)
{
    pthread_mutex_lock(&kvm_system_lock);
    int fd = kvm_system_fd;
    if (fd < 0) {
        fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
        if (fd >= 0)
            kvm_system_fd = fd = move_fd_high(fd);
    }
    pthread_mutex_unlock(&kvm_system_lock);
    if (fd < 0) {
        int e = errno;
        /* One line that names what is missing: the device, or the right to use it. */
        if (e == ENOENT || e == ENODEV || e == ENXIO)
            return vj_error(err, VMJAIL_ERR_INTERNAL, e,
                            "no KVM on this host (see docs/hosts.md): open /dev/kvm");
        if (e == EACCES || e == EPERM)
            return vj_error(err, VMJAIL_ERR_INTERNAL, e,
                            "no permission to use KVM (see docs/hosts.md): open /dev/kvm");
        return vj_error(err, VMJAIL_ERR_INTERNAL, e, "open /dev/kvm");
    }
    return fd;
}

int vj_kvm_usable(vmjail_error **err)
{
    return vmjail_open_kvm(err) < 0 ? -1 : 0;
}

static void disown_fd(struct vj_vm *vm, int fd)
{
    if (fd >= 0 && fd < VJ_FD_BITMAP_BITS)
        __atomic_and_fetch(&vm->owned_fds[fd / 64], ~(1ULL << (fd % 64)), __ATOMIC_RELEASE);
}

bool vj_kvm_vm_owns_fd(const struct vj_vm *vm, int fd)
{
    if (vm == NULL || fd < 0 || fd >= VJ_FD_BITMAP_BITS)
        return false;
    return __atomic_load_n(&vm->owned_fds[fd / 64], __ATOMIC_ACQUIRE) & (1ULL << (fd % 64));
}

bool vj_kvm_vm_foreign_fd_target(const char *target)
{
    /* KVM's VM, vCPU and device descriptors are anonymous inodes named kvm-vm, kvm-vcpu:N, ... */
    return strncmp(target, "anon_inode:kvm", 14) == 0;
}

int vj_kvm_vm_fds(const struct vj_vm *vm, int *fds, int max)
{
    int n = 0;
    for (int w = 0; w < VJ_FD_BITMAP_BITS / 64; w++) {
        uint64_t bits = __atomic_load_n(&vm->owned_fds[w], __ATOMIC_ACQUIRE);
        while (bits && n < max) {
            int b = __builtin_ctzll(bits);
            fds[n++] = w * 64 + b;
            bits &= bits - 1;
        }
    }
    return n;
}

static int register_monitor_slot(struct vj_vm *vm, vmjail_error **err);

static int setup_memory(struct vj_vm *vm, uint64_t mem_size, vmjail_error **err)
{
    /* Reserve payload memory 2 MiB aligned, plus a 2 MiB inaccessible guard after it so that a
     * string the host kernel reads from guest memory can never run into monitor memory. */
    size_t total = mem_size + 2 * VJ_HUGE_PAGE_SIZE;
    uint8_t *r = mmap(NULL, total, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (r == MAP_FAILED)
        return vj_error(err, VMJAIL_ERR_INTERNAL, errno, "reserve %llu bytes of guest memory",
                        (unsigned long long)mem_size);
    vm->reservation = r;
    vm->reservation_size = total;
    vm->mem = (uint8_t *)(((uintptr_t)r + VJ_HUGE_PAGE_SIZE - 1) &
                          ~(uintptr_t)(VJ_HUGE_PAGE_SIZE - 1));
    vm->mem_size = mem_size;
    madvise(vm->mem, mem_size, MADV_HUGEPAGE);

    vm->mon = mmap(NULL, VJ_MONITOR_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
                   -1, 0);
    if (vm->mon == MAP_FAILED) {
        vm->mon = NULL;
        return vj_error(err, VMJAIL_ERR_INTERNAL, errno, "allocate the monitor region");
    }
    vm->mon_gpa = mem_size;
    /* Chunks of at least 16 MiB, and at most VJ_MAX_CHUNKS of them. */
    vm->chunk_shift = 24;
    while ((mem_size - 1) >> vm->chunk_shift >= VJ_MAX_CHUNKS)
        vm->chunk_shift++;
    return register_monitor_slot(vm, err);
}

/* Memory slot 0: the monitor region. */
static int register_monitor_slot(struct vj_vm *vm, vmjail_error **err)
{
    struct kvm_userspace_memory_region r = {
        .slot = 0, .guest_phys_addr = vm->mon_gpa, .memory_size = VJ_MONITOR_SIZE,
        .userspace_addr = (uint64_t)(uintptr_t)vm->mon};
    if (ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &r) < 0)
        return vj_kvm_fail(err, "set memory region");
    vm->nslots = 1;
    return 0;
}

static bool chunk_covered(const struct vj_vm *vm, uint64_t i)
{
    return vm->covered[i / 64] & (1ULL << (i % 64));
}

/* Give chunks [first, last] of payload memory one memory slot.  Under slot_lock. */
static int add_slot(struct vj_vm *vm, uint64_t first, uint64_t last)
{
    uint64_t lo = first << vm->chunk_shift, hi = (last + 1) << vm->chunk_shift;
    if (hi > vm->mem_size)
        hi = vm->mem_size;
    if (vm->nslots >= VJ_VDSO_SLOT(vm)) {
        errno = ENOMEM;
        return -1;
    }
    struct kvm_userspace_memory_region r = {
        .slot = vm->nslots, .guest_phys_addr = lo, .memory_size = hi - lo,
        .userspace_addr = (uint64_t)(uintptr_t)(vm->mem + lo)};
    if (ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &r) < 0)
        return -1;
    vm->nslots++;
    return 0;
}

/* Make guest memory [gpa, gpa + len) reachable by the guest (memory slots and page tables)
 * before it is mapped.  Memory never covered stays unreachable: a payload access there faults
 * as one to unmapped memory does.  Cheap once covered.  Returns 0 or a negative errno
 * (-ENOMEM: out of memory slots). */
static int cover(struct vj_vm *vm, uint64_t gpa, uint64_t len)
{
    if (vm == NULL || len == 0)
        return 0;
    if (gpa >= vm->mem_size || len > vm->mem_size - gpa)
        return -EINVAL;
    uint64_t first = gpa >> vm->chunk_shift, last = (gpa + len - 1) >> vm->chunk_shift;
    int r = 0;
    pthread_mutex_lock(&vm->slot_lock);
    for (uint64_t i = first; i <= last && r == 0; i++) {
        if (chunk_covered(vm, i))
            continue;
        uint64_t j = i; /* one slot for a run of uncovered chunks */
        while (j < last && !chunk_covered(vm, j + 1))
            j++;
        if (add_slot(vm, i, j) < 0) {
            r = -errno;
            break;
        }
        /* The slot first, then the page tables: the guest never reaches memory without one. */
        vj_cpu_map_payload(vm->mon, vm->mon_gpa, vm->pml4, i << vm->chunk_shift,
                           (j + 1) << vm->chunk_shift);
        for (uint64_t k = i; k <= j; k++)
            vm->covered[k / 64] |= 1ULL << (k % 64);
        i = j;
    }
    pthread_mutex_unlock(&vm->slot_lock);
    return r;
}

/* ---- guest memory: one private host reservation the guest sees as the monitor does ---- */

int vj_kvm_vm_mem_discard(struct vj_vm *vm, uint64_t gpa, uint64_t len)
{
    return vj_private_mem_discard(vm->mem, gpa, len);
}

int vj_kvm_vm_mem_anon(struct vj_vm *vm, uint64_t gpa, uint64_t len, int prot, bool shared)
{
    int r = cover(vm, gpa, len);
    return r < 0 ? r : vj_private_mem_anon(vm->mem, gpa, len, prot, shared);
}

int vj_kvm_vm_mem_file(struct vj_vm *vm, uint64_t gpa, uint64_t len, int prot, bool shared,
                       int fd, uint64_t offset)
{
    int r = cover(vm, gpa, len);
    return r < 0 ? r : vj_private_mem_file(vm->mem, gpa, len, prot, shared, fd, offset);
}

int vj_kvm_vm_mem_protect(struct vj_vm *vm, uint64_t gpa, uint64_t len, int prot)
{
    return vj_private_mem_protect(vm->mem, gpa, len, prot);
}

int vj_kvm_vm_mem_move(struct vj_vm *vm, uint64_t from, uint64_t to, uint64_t len)
{
    int r = cover(vm, to, len);
    return r < 0 ? r : vj_private_mem_move(vm->mem, from, to, len);
}

int vj_kvm_vm_mem_shm(struct vj_vm *vm, uint64_t gpa, uint64_t len, int prot, int shmid,
                      int shmflg, void *at, bool *discarded)
{
    (void)shmid, (void)shmflg;
    *discarded = false; /* a failed mremap leaves both mappings as they were */
    int r = cover(vm, gpa, len);
    return r < 0 ? r : vj_private_mem_shm(vm->mem, gpa, len, prot, at);
}

/* The guest's mapping is the monitor's: one attachment. */
int vj_kvm_vm_shm_views(const struct vj_vm *vm)
{
    (void)vm;
    return 1;
}

/* The payload's threads are the monitor's own (each vCPU runs on the host thread that drives
 * it, in the monitor's address space): the monitor's call is theirs.  An expedited barrier's
 * IPI makes a vCPU in guest mode exit, which serializes it as a return to user mode does. */
int vj_kvm_vm_membarrier(struct vj_vm *vm, int cmd, unsigned flags, int cpu_id)
{
    (void)vm;
    long r = syscall(SYS_membarrier, cmd, flags, cpu_id);
    return r < 0 ? -errno : (int)r;
}

/* The monitor's view is the guest's memory itself: nothing to do. */
int vj_kvm_vm_mem_prepare_write(struct vj_vm *vm, uint64_t gpa, uint64_t len, int prot)
{
    (void)vm, (void)gpa, (void)len, (void)prot;
    return 0;
}

int vj_kvm_vm_mem_advise(struct vj_vm *vm, uint64_t gpa, uint64_t len, int advice)
{
    return vj_private_mem_advise(vm->mem, gpa, len, advice);
}

/* In a fork's child: slots again for what the parent covered, a run of chunks per slot (the
 * page tables, copied with the monitor region, already map them). */
static int register_covered(struct vj_vm *vm, vmjail_error **err)
{
    uint64_t n = ((vm->mem_size - 1) >> vm->chunk_shift) + 1;
    for (uint64_t i = 0; i < n; i++) {
        if (!chunk_covered(vm, i))
            continue;
        uint64_t j = i;
        while (j + 1 < n && chunk_covered(vm, j + 1))
            j++;
        if (add_slot(vm, i, j) < 0)
            return vj_kvm_fail(err, "set memory region");
        i = j;
    }
    return 0;
}

/* XCR0 follows from leaf 0xd of the CPUID C, which the VM takes; FSGSBASE from leaf 7. */
static void take_cpuid(struct vj_vm *vm, struct kvm_cpuid2 *c)
{
    uint64_t xcr0 = 0;
    for (uint32_t i = 0; i < c->nent; i++) {
        if (c->entries[i].function == 0xd && c->entries[i].index == 0)
            xcr0 = c->entries[i].eax | ((uint64_t)c->entries[i].edx << 32);
        if (c->entries[i].function == 7 && c->entries[i].index == 0)
            vm->fsgsbase = (c->entries[i].ebx & 1) != 0; /* CPUID.(7,0):EBX.FSGSBASE */
    }
    vm->cpuid = c;
    vm->xcr0 = (xcr0 & XCR0_USER_MASK) | 1;
}

/* Fetch KVM's supported CPUID once (or take it from the host cache in CACHE_DIR, if not
 * NULL); every vCPU gets it. */
static int setup_cpuid(struct vj_vm *vm, int kvm_fd, const char *cache_dir, vmjail_error **err)
{
    char key[128] = "";
    if (cache_dir) {
        vj_host_cache_key(key, sizeof key);
        struct kvm_cpuid2 *c = vj_host_cache_load_cpuid(cache_dir, key);
        if (c) {
            take_cpuid(vm, c);
            return 0;
        }
    }
    for (int n = 128;; n *= 2) {
        struct kvm_cpuid2 *c = calloc(1, sizeof *c + (size_t)n * sizeof(struct kvm_cpuid_entry2));
        if (c == NULL)
            return vj_error(err, VMJAIL_ERR_INTERNAL, ENOMEM, "CPUID table");
        c->nent = (uint32_t)n;
        if (ioctl(kvm_fd, KVM_GET_SUPPORTED_CPUID, c) < 0) {
            free(c);
            if (errno == E2BIG && n < 4096)
                continue;
            return vj_kvm_fail(err, "get supported CPUID");
        }
        take_cpuid(vm, c);
        if (cache_dir)
            vj_host_cache_store_cpuid(cache_dir, key, c);
        return 0;
    }
}

int vj_kvm_vm_create(uint64_t mem_size, const char *cache_dir, struct vj_vm **out,
                     vmjail_error **err)
{
    struct vj_vm *vm = calloc(1, sizeof *vm);
    if (vm == NULL)
        return vj_error(err, VMJAIL_ERR_INTERNAL, ENOMEM, "allocate the VM");
    vm->vm_fd = -1;
    pthread_mutex_init(&vm->lock, NULL);
    pthread_mutex_init(&vm->slot_lock, NULL);
    struct vj_vcpu *first = NULL;
    int kvm_fd = vmjail_open_kvm(err);
    if (kvm_fd < 0)
        goto fail;
    mark_owned(vm, kvm_fd);
    if (ioctl(kvm_fd, KVM_GET_API_VERSION, 0) != KVM_API_VERSION) {
        vj_error(err, VMJAIL_ERR_INTERNAL, 0, "KVM: unsupported API version");
        goto fail;
    }
    if (ioctl(kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_SYNC_REGS) <= 0) {
        vj_error(err, VMJAIL_ERR_INTERNAL, 0, "KVM: the host lacks KVM_CAP_SYNC_REGS");
        goto fail;
    }
    int sz = ioctl(kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
    if (sz <= 0) {
        vj_kvm_fail(err, "get vCPU mmap size");
        goto fail;
    }
    vm->run_size = (size_t)sz;
    vm->vm_fd = ioctl(kvm_fd, KVM_CREATE_VM, 0UL);
    if (vm->vm_fd < 0) {
        vj_kvm_fail(err, "create VM");
        goto fail;
    }
    vm->vm_fd = vj_kvm_own_fd(vm, vm->vm_fd);
    int nslots = ioctl(kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_NR_MEMSLOTS);
    vm->max_slots = nslots > 0 ? (uint32_t)nslots : 32; /* the API's documented minimum */
    if (setup_memory(vm, mem_size, err) < 0 || setup_cpuid(vm, kvm_fd, cache_dir, err) < 0)
        goto fail;
    uint64_t pml4 = vj_cpu_build(vm->mon, vm->mon_gpa, mem_size, true);
    if (pml4 == 0) {
        vj_error(err, VMJAIL_ERR_INTERNAL, 0, "guest page tables do not fit");
        goto fail;
    }
    vm->pml4 = pml4;
    vj_kvm_user_sregs(&vm->user_sregs, pml4, vm->fsgsbase);
    if (vj_kvm_vcpu_new(vm, 0, 0, NULL, &first, err) < 0 || vj_kvm_probe_host(first, err) < 0)
        goto fail;
    vj_kvm_vdso_map(vm);
    /* Where syscall enters CPL0 the stub's OUT runs at CPL0: deny the port to CPL3 code. */
    vj_cpu_set_syscall_port(vm->mon, vm->host_kind == VJ_HOST_CPL3);
    *out = vm;
    return 0;
fail:
    vj_kvm_vm_destroy(vm);
    return -1;
}

void vj_kvm_vm_destroy(struct vj_vm *vm)
{
    if (vm == NULL)
        return;
    for (int i = 0; i < vm->nvcpus; i++) {
        disown_fd(vm, vm->vcpus[i]->fd);
        vj_kvm_vcpu_free(vm->vcpus[i]);
    }
    vm->nvcpus = 0;
    if (vm->vm_fd >= 0) {
        disown_fd(vm, vm->vm_fd);
        close(vm->vm_fd);
    }
    if (vm->mon)
        munmap(vm->mon, VJ_MONITOR_SIZE);
    if (vm->reservation)
        munmap(vm->reservation, vm->reservation_size);
    vj_kvm_vm_forget(vm);
}

uint8_t *vj_kvm_vm_mem(const struct vj_vm *vm)
{
    return vm->mem;
}

uint64_t vj_kvm_vm_mem_size(const struct vj_vm *vm)
{
    return vm->mem_size;
}

enum vj_host_kind vj_kvm_vm_host_kind(const struct vj_vm *vm)
{
    return vm->host_kind;
}

bool vj_kvm_vm_fast_capable(const struct vj_vm *vm)
{
    return vm->rdpid || vj_kvm_gs_holds_index(vm);
}

bool vj_kvm_vm_slot_in_gs(const struct vj_vm *vm)
{
    return vm->gs_index;
}

void vj_kvm_vm_forget(struct vj_vm *vm)
{
    for (int i = 0; i < vm->nvcpus; i++)
        free(vm->vcpus[i]);
    free(vm->cpuid);
    pthread_mutex_destroy(&vm->slot_lock);
    pthread_mutex_destroy(&vm->lock);
    free(vm);
}

uint64_t vj_kvm_vm_vdso(const struct vj_vm *vm)
{
    return vm->vdso_ehdr;
}

bool vj_kvm_vm_vdso_range(const struct vj_vm *vm, uint64_t *data, uint64_t *end)
{
    *data = VJ_LOW_VA + VJ_LOW_VDSO;
    *end = *data + vm->vdso_size;
    return vm->vdso_ehdr != 0;
}

uint8_t *vj_kvm_vm_low(struct vj_vm *vm)
{
    return vm->mon + VJ_MON_LOW;
}

void vj_kvm_vm_map_low(struct vj_vm *vm)
{
    vj_cpu_map_low(vm->mon, vm->mon_gpa, vm->pml4);
}

int vj_kvm_vcpu_id(const struct vj_vcpu *c)
{
    return c->id;
}

bool vj_kvm_vm_fast_by_default(const struct vj_vm *vm)
{
    (void)vm;
    return true;
}

/* The payload's code runs in KVM_RUN on the monitor's own threads. */
pid_t vj_kvm_vm_payload_process(const struct vj_vm *vm)
{
    (void)vm;
    return 0;
}

/* The payload's code runs in KVM_RUN on the thread that drives the vCPU: the caller. */
int vj_kvm_vcpu_open_task_file(struct vj_vcpu *c, const char *name)
{
    (void)c;
    char path[64];
    snprintf(path, sizeof path, "/proc/thread-self/%s", name);
    return open(path, O_RDONLY | O_CLOEXEC);
}

struct vj_vcpu *vj_kvm_vm_first_vcpu(struct vj_vm *vm)
{
    return vm->vcpus[0];
}

int vj_kvm_vcpu_get(struct vj_vm *vm, struct vj_vcpu **out, vmjail_error **err)
{
    pthread_mutex_lock(&vm->lock);
    struct vj_vcpu *c = vm->idle;
    if (c)
        vm->idle = c->next_idle;
    pthread_mutex_unlock(&vm->lock);
    if (c) {
        *out = c;
        return 0;
    }
    return vj_kvm_vcpu_new(vm, 0, 0, NULL, out, err);
}

void vj_kvm_vcpu_put(struct vj_vcpu *c)
{
    pthread_mutex_lock(&c->vm->lock);
    c->next_idle = c->vm->idle;
    c->vm->idle = c;
    pthread_mutex_unlock(&c->vm->lock);
}

/* The host fork's copy-on-write copy is the child's guest memory: nothing to do before. */
int vj_kvm_vm_fork_prepare(struct vj_vm *vm, vmjail_error **err)
{
    (void)vm, (void)err;
    return 0;
}

void vj_kvm_vm_fork_parent(struct vj_vm *vm)
{
    (void)vm;
}

int vj_kvm_vm_rebuild_in_child(struct vj_vm *vm, const struct vj_vcpu_snapshot *s,
                               vmjail_error **err)
{
    /* The parent's VM and vCPUs are unusable here (KVM ties them to the parent's address
     * space); their run areas are shared with the parent and must not be touched. */
    for (int i = 0; i < vm->nvcpus; i++) {
        disown_fd(vm, vm->vcpus[i]->fd);
        vj_kvm_vcpu_free(vm->vcpus[i]);
        vm->vcpus[i] = NULL;
    }
    vm->nvcpus = 0;
    vm->idle = NULL;
    disown_fd(vm, vm->vm_fd);
    close(vm->vm_fd);
    pthread_mutex_init(&vm->lock, NULL);
    pthread_mutex_init(&vm->slot_lock, NULL);
    int kvm_fd = vmjail_open_kvm(err);
    if (kvm_fd < 0)
        return -1;
    vm->vm_fd = ioctl(kvm_fd, KVM_CREATE_VM, 0UL);
    if (vm->vm_fd < 0)
        return vj_kvm_fail(err, "create VM");
    vm->vm_fd = vj_kvm_own_fd(vm, vm->vm_fd);
    /* Same host memory: the child's copy-on-write copy of the parent's guest memory. */
    if (register_monitor_slot(vm, err) < 0 || register_covered(vm, err) < 0)
        return -1;
    if (vj_kvm_vdso_slot(vm) < 0)
        return vj_kvm_fail(err, "set the vDSO's memory region");
    struct vj_vcpu *first;
    if (vj_kvm_vcpu_new(vm, s->fs_base, s->gs_base, &s->fpu, &first, err) < 0)
        return -1;
    /* A fresh vCPU is at CPL3 in user mode: the synced registers alone resume the payload. */
    return vj_kvm_vcpu_set_user_regs(first, &s->regs, err);
}
