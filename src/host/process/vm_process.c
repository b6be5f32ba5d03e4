/* vm_process.c: the VM on the process platform: guest memory in a memfd that the monitor maps
 * at vj_vm_mem() and the stub at guest addresses (the stub itself: stub_process.c), fork's
 * copy of it, the low window, and the monitor's own descriptors. */
#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/shm.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "arch/arch.h"
#include "host/host_vdso.h"
#include "host/process/process_platform.h"
#include "lib/error.h"
#include "vmjail_abi.h"

#define GUARD (2ULL << 20)

/* ---- the monitor's descriptors --------------------------------------------------------- */

/* The monitor's descriptors share the table with the payload's, so they go high, where a
 * payload's lowest free number never is: the top 64 the bitmap names, and when those are taken
 * (each read-only or shared file mapping keeps one: python3 with its extension modules has more
 * than 64), the next 64 down, to half the bitmap.  Past that they stay where they are. */
static int own(struct vj_vm *vm, int fd)
{
    for (int floor = VJ_PROC_FD_BITS - 64; fd >= 0 && fd < floor && floor >= VJ_PROC_FD_BITS / 2;
         floor -= 64) {
        int high = fcntl(fd, F_DUPFD_CLOEXEC, floor);
        if (high >= 0 && high < VJ_PROC_FD_BITS) {
            close(fd);
            fd = high;
            break;
        }
        if (high >= 0)
            close(high);
    }
    if (fd >= 0 && fd < VJ_PROC_FD_BITS)
        __atomic_or_fetch(&vm->owned_fds[fd / 64], 1ULL << (fd % 64), __ATOMIC_RELEASE);
    return fd;
}

bool vj_process_vm_owns_fd(const struct vj_vm *vm, int fd)
{
    if (vm == NULL || fd < 0 || fd >= VJ_PROC_FD_BITS)
        return false;
    return __atomic_load_n(&vm->owned_fds[fd / 64], __ATOMIC_ACQUIRE) & (1ULL << (fd % 64));
}

int vj_process_vm_own_fd(struct vj_vm *vm, int fd)
{
    return own(vm, fd);
}

void vj_process_vm_disown_fd(struct vj_vm *vm, int fd)
{
    if (fd >= 0 && fd < VJ_PROC_FD_BITS)
        __atomic_and_fetch(&vm->owned_fds[fd / 64], ~(1ULL << (fd % 64)), __ATOMIC_RELEASE);
}

bool vj_process_vm_foreign_fd_target(const char *target)
{
    return strncmp(target, "/memfd:vmjail-", 14) == 0;
}

int vj_process_vm_fds(const struct vj_vm *vm, int *fds, int max)
{
    int n = 0;
    for (int fd = 0; fd < VJ_PROC_FD_BITS && n < max; fd++)
        if (vj_process_vm_owns_fd(vm, fd))
            fds[n++] = fd;
    return n;
}

/* ---- guest memory ------------------------------------------------------------------------- */

/* Give guest memory's pages in [gpa, gpa + len) back: they read as zeros again. */
static int punch(struct vj_vm *vm, uint64_t gpa, uint64_t len)
{
    return fallocate(vm->mem_fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t)gpa,
                     (off_t)len) < 0 ? -errno : 0;
}

static int both_protect(struct vj_vm *vm, uint64_t gpa, uint64_t len, int prot)
{
    if (mprotect(vm->mem + gpa, len, vj_host_prot(prot)) < 0)
        return -errno;
    return vj_process_ask(vm, VJ_STUB_REQ_PROTECT, gpa, len, (uint64_t)prot);
}

int vj_process_vm_mem_discard(struct vj_vm *vm, uint64_t gpa, uint64_t len)
{
    int r = vj_process_shared_clear(vm, gpa, len);
    if (r == 0)
        r = punch(vm, gpa, len);
    return r < 0 ? r : both_protect(vm, gpa, len, PROT_NONE);
}

int vj_process_vm_mem_anon(struct vj_vm *vm, uint64_t gpa, uint64_t len, int prot, bool shared)
{
    if (shared) {
        /* Memory of its own, which a fork's child maps too. */
        int fd = memfd_create("vmjail-shared", MFD_CLOEXEC);
        int r = fd < 0 ? -errno : ftruncate(fd, (off_t)len) < 0 ? -errno : punch(vm, gpa, len);
        if (r == 0)
            r = vj_process_shared_map(vm, gpa, len, prot, fd, 0, false);
        if (fd >= 0)
            close(fd);
        return r;
    }
    int r = vj_process_shared_clear(vm, gpa, len);
    return r < 0 ? r : both_protect(vm, gpa, len, prot); /* discarded memory reads as zeros */
}

/* A private file mapping becomes a copy of the file's pages (zeros past its end). */
int vj_process_vm_mem_file(struct vj_vm *vm, uint64_t gpa, uint64_t len, int prot, bool shared,
                           int fd, uint64_t offset)
{
    int r = punch(vm, gpa, len);
    /* Shared, or not writable: the file's own pages, in both views (nothing copied). */
    if (r == 0 && (shared || !(prot & PROT_WRITE)))
        return vj_process_shared_map(vm, gpa, len, prot, fd, offset, !shared);
    if (r == 0)
        r = vj_process_shared_clear(vm, gpa, len);
    if (r < 0)
        return r;
    if (mprotect(vm->mem + gpa, len, PROT_READ | PROT_WRITE) < 0)
        return -errno;
    for (uint64_t done = 0; done < len;) {
        ssize_t n = pread(fd, vm->mem + gpa + done, len - done, (off_t)(offset + done));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            int e = -errno;
            mprotect(vm->mem + gpa, len, PROT_NONE);
            return e;
        }
        if (n == 0)
            break;
        done += (uint64_t)n;
    }
    return both_protect(vm, gpa, len, prot);
}

int vj_process_vm_mem_protect(struct vj_vm *vm, uint64_t gpa, uint64_t len, int prot)
{
    int r = prot & PROT_WRITE ? vj_process_private_to_copy(vm, gpa, len) : 0;
    return r < 0 ? r : both_protect(vm, gpa, len, prot);
}

/* The monitor writes there through its view (code patching): where a private file mapping is,
 * guest memory's own pages first, so that the stub sees the bytes written. */
int vj_process_vm_mem_prepare_write(struct vj_vm *vm, uint64_t gpa, uint64_t len, int prot)
{
    if (!vj_process_shared_meets(vm, gpa, len))
        return 0;
    int r = vj_process_private_to_copy(vm, gpa, len);
    return r < 0 ? r : both_protect(vm, gpa, len, prot);
}

int vj_process_vm_mem_move(struct vj_vm *vm, uint64_t from, uint64_t to, uint64_t len)
{
    if (vj_process_shared_meets(vm, from, len) || vj_process_shared_meets(vm, to, len))
        return -ENOTSUP; /* later: moving a shared mapping */
    loff_t in = (loff_t)from, out = (loff_t)to;
    for (uint64_t left = len; left;) {
        ssize_t n = copy_file_range(vm->mem_fd, &in, vm->mem_fd, &out, left, 0);
        if (n <= 0)
            return n < 0 ? -errno : -EIO;
        left -= (uint64_t)n;
    }
    /* The destination takes the source's protection (both are the same mapping's). */
    int prot = PROT_READ | PROT_WRITE;
    return both_protect(vm, to, len, prot);
}

int vj_process_vm_mem_advise(struct vj_vm *vm, uint64_t gpa, uint64_t len, int advice)
{
    switch (advice) {
    case MADV_DONTNEED:
    case MADV_FREE:
    case MADV_REMOVE:
    case MADV_PAGEOUT:
        /* Private memory reads as zeros afterwards, as Linux's does; a shared mapping keeps
         * its contents (they are the file's or the shared memory's). */
        return vj_process_shared_meets(vm, gpa, len) ? 0 : punch(vm, gpa, len);
    case MADV_POPULATE_READ:
    case MADV_POPULATE_WRITE:
        return madvise(vm->mem + gpa, len, advice) < 0 ? -errno : 0;
    default:
        return 0; /* hints */
    }
}

/* The stub attaches the segment first: if it cannot (its permissions, a segment gone), nothing
 * changed.  Then the range's old mappings are forgotten (the stub's were replaced), guest
 * memory's pages under it given back, and the monitor's attachment becomes its view. */
int vj_process_vm_mem_shm(struct vj_vm *vm, uint64_t gpa, uint64_t len, int prot, int shmid,
                          int shmflg, void *at, bool *discarded)
{
    uint32_t flags = (shmflg & SHM_RDONLY ? VJ_STUB_SHM_RDONLY : 0) |
                     (shmflg & SHM_EXEC ? VJ_STUB_SHM_EXEC : 0);
    *discarded = false;
    int r = vj_process_ask(vm, VJ_STUB_REQ_SHMAT, gpa, len, vj_process_shm_arg(prot, flags, shmid));
    if (r < 0)
        return r;
    r = vj_process_shared_forget(vm, gpa, len);
    if (r == 0)
        r = punch(vm, gpa, len);
    if (r == 0 &&
        mremap(at, len, len, MREMAP_MAYMOVE | MREMAP_FIXED, vm->mem + gpa) == MAP_FAILED)
        r = -errno;
    if (r == 0) {
        mprotect(vm->mem + gpa, len, vj_host_prot(prot)); /* SHM_EXEC's PROT_EXEC off */
        r = vj_process_shared_add_shm(vm, gpa, len, shmid, flags);
    }
    if (r < 0) {
        vj_process_give_back(vm, gpa, gpa + len);
        *discarded = true;
    }
    return r;
}

/* The stub's process maps the segment beside the monitor's view. */
int vj_process_vm_shm_views(const struct vj_vm *vm)
{
    (void)vm;
    return 2;
}

/* The payload's threads are the stub's: its control thread makes the call in their process
 * (registrations are its process's; an expedited barrier reaches the CPUs that run them). */
int vj_process_vm_membarrier(struct vj_vm *vm, int cmd, unsigned flags, int cpu_id)
{
    return vj_process_ask(vm, VJ_STUB_REQ_MEMBARRIER, (uint32_t)cmd, flags, (uint32_t)cpu_id);
}

/* Make the low window's fast-call code readable and executable and its slots writable, in the
 * stub (the monitor's view is read-write from the start). */
static int map_low(struct vj_vm *vm)
{
    int r = vj_process_ask(vm, VJ_STUB_REQ_PROTECT, VJ_LOW_VA + VJ_LOW_FAST_CODE,
                           VJ_LOW_FAST_CODE_SIZE, PROT_READ | PROT_EXEC);
    return r < 0 ? r
                 : vj_process_ask(vm, VJ_STUB_REQ_PROTECT, VJ_LOW_VA + VJ_LOW_FAST_SLOTS,
                                  VJ_LOW_FAST_SLOTS_SIZE, PROT_READ | PROT_WRITE);
}

/* The monitor's view of the low window's code and slots: read-write (the memory's first pages
 * are guest memory's, mapped without access with the rest). */
static int open_low(struct vj_vm *vm)
{
    return mprotect(vm->mem + VJ_LOW_VA, VJ_LOW_FAST_CODE_SIZE + VJ_LOW_FAST_SLOTS_SIZE,
                    PROT_READ | PROT_WRITE);
}

/* Start the stub and wait for its first thread, which stops at its start, waiting for its
 * first registers. */
static int start_first(struct vj_vm *vm, vmjail_error **err)
{
    vm->first = (struct vj_vcpu){.vm = vm, .id = 0,
                                 .ctx = (struct vj_stub_ctx *)(vm->ctl + VJ_STUB_CTX_OFF)};
    vm->vcpus[0] = &vm->first;
    vm->nvcpus = 1;
    struct vj_stub_head *h = (struct vj_stub_head *)vm->ctl;
    h->mem_size = vm->mem_size;
    h->spins = vj_process_spins();
    const struct vj_host_vdso *host = vj_host_vdso();
    h->vdso_segs = host ? (uint32_t)host->segs : 0;
    for (uint32_t k = 0; k < h->vdso_segs; k++)
        h->vdso[k].from = (int64_t)(host->seg[k].start - host->ehdr),
        h->vdso[k].size = host->seg[k].end - host->seg[k].start,
        h->vdso[k].to = VJ_LOW_VA + VJ_LOW_VDSO + (host->seg[k].start - host->lo);
    if (vj_process_stub_start(vm, err) < 0)
        return -1;
    if (!vj_process_wait_stopped(vm, vm->first.ctx, false, vj_process_spins(), NULL) ||
        __atomic_load_n(&vm->first.ctx->kind, __ATOMIC_ACQUIRE) != VJ_STUB_KIND_START) {
        return vj_error(err, VMJAIL_ERR_INTERNAL, 0, "process platform: the stub did not start");
    }
    vm->first.tid = (pid_t)vm->first.ctx->tid;
    vm->first.held = true;
    /* Read before any payload code runs (it could write the header afterwards). */
    vm->vdso_ehdr = __atomic_load_n(&h->vdso_moved, __ATOMIC_ACQUIRE) && host
                        ? VJ_LOW_VA + VJ_LOW_VDSO + (host->ehdr - host->lo)
                        : 0;
    vm->vdso_size = vm->vdso_ehdr ? host->hi - host->lo : 0;
    if (vm->low_mapped && map_low(vm) < 0)
        return vj_error(err, VMJAIL_ERR_INTERNAL, 0, "process platform: the low window");
    return 0;
}

/* The host lets a process trap its own system calls (seccomp's SECCOMP_RET_TRAP) and
 * watch another's end (pidfd_open, Linux 5.3). */
int vj_process_usable(vmjail_error **err)
{
    if (prctl(PR_GET_SECCOMP) < 0)
        return vj_error(err, VMJAIL_ERR_INTERNAL, errno, "process platform: seccomp");
    int fd = (int)syscall(SYS_pidfd_open, getpid(), 0);
    if (fd < 0)
        return vj_error(err, VMJAIL_ERR_INTERNAL, errno, "process platform: pidfd_open");
    close(fd);
    return 0;
}

/* ---- the VM ------------------------------------------------------------------------------- */

int vj_process_vm_create(uint64_t mem_size, const char *cache_dir, struct vj_vm **out,
                         vmjail_error **err)
{
    (void)cache_dir;
    struct vj_vm *vm = calloc(1, sizeof *vm);
    if (vm == NULL)
        return vj_error(err, VMJAIL_ERR_INTERNAL, ENOMEM, "allocate the VM");
    vm->mem_fd = vm->ctl_fd = vm->fork_mem_fd = vm->stub_fd = vm->keeper_fd = vm->watch_fd =
        vm->sock_fd = -1;
    pthread_mutex_init(&vm->req_lock, NULL);
    pthread_mutex_init(&vm->lock, NULL);
    vm->mem_size = mem_size;
    vm->reservation_size = mem_size + 2 * GUARD;
    vm->reservation = mmap(NULL, vm->reservation_size, PROT_NONE,
                           MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (vm->reservation == MAP_FAILED) {
        vm->reservation = NULL;
        vj_error(err, VMJAIL_ERR_INTERNAL, errno, "reserve guest memory");
        goto fail;
    }
    vm->mem = (uint8_t *)(((uintptr_t)vm->reservation + GUARD - 1) & ~(uintptr_t)(GUARD - 1));
    vm->mem_fd = memfd_create("vmjail-guest", MFD_CLOEXEC);
    vm->ctl_fd = memfd_create("vmjail-ctl", MFD_CLOEXEC);
    if (vm->mem_fd < 0 || vm->ctl_fd < 0 || ftruncate(vm->mem_fd, (off_t)mem_size) < 0 ||
        ftruncate(vm->ctl_fd, VJ_STUB_CTL_SIZE) < 0 ||
        mmap(vm->mem, mem_size, PROT_NONE, MAP_SHARED | MAP_FIXED, vm->mem_fd, 0) == MAP_FAILED ||
        open_low(vm) < 0) {
        vj_error(err, VMJAIL_ERR_INTERNAL, errno, "process platform: guest memory");
        goto fail;
    }
    vj_fast_code_install(vm->mem + VJ_LOW_VA + VJ_LOW_FAST_CODE);
    vm->mem_fd = own(vm, vm->mem_fd);
    vm->ctl_fd = own(vm, vm->ctl_fd);
    vm->ctl = mmap(NULL, VJ_STUB_CTL_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, vm->ctl_fd, 0);
    if (vm->ctl == MAP_FAILED) {
        vm->ctl = NULL;
        vj_error(err, VMJAIL_ERR_INTERNAL, errno, "process platform: the control region");
        goto fail;
    }
    if (start_first(vm, err) < 0)
        goto fail;
    *out = vm;
    return 0;
fail:
    vj_process_vm_destroy(vm);
    return -1;
}

void vj_process_vm_destroy(struct vj_vm *vm)
{
    if (vm == NULL)
        return;
    vj_process_stub_end(vm);
    vj_process_shared_free(vm);
    if (vm->ctl)
        munmap(vm->ctl, VJ_STUB_CTL_SIZE);
    if (vm->reservation)
        munmap(vm->reservation, vm->reservation_size);
    if (vm->mem_fd >= 0)
        close(vm->mem_fd);
    if (vm->ctl_fd >= 0)
        close(vm->ctl_fd);
    for (int i = 1; i < vm->nvcpus; i++)
        free(vm->vcpus[i]);
    pthread_mutex_destroy(&vm->req_lock);
    pthread_mutex_destroy(&vm->lock);
    free(vm);
}

/* The records only: guest memory, the descriptors (the stub's, the shared mappings') stay
 * for the helper; the stub ends when this process does (its watch pipe). */
void vj_process_vm_forget(struct vj_vm *vm)
{
    for (int i = 1; i < vm->nvcpus; i++)
        free(vm->vcpus[i]);
    free(vm->shared);
    pthread_mutex_destroy(&vm->req_lock);
    pthread_mutex_destroy(&vm->lock);
    free(vm);
}

/* Copy the data of guest memory FROM into TO, extent by extent: the cost is what the payload
 * touched, not the size of guest memory. */
static int copy_extents(int from, int to, uint64_t size)
{
    off_t at = 0;
    while ((uint64_t)at < size) {
        off_t data = lseek(from, at, SEEK_DATA);
        if (data < 0)
            return errno == ENXIO ? 0 : -errno;
        off_t hole = lseek(from, data, SEEK_HOLE);
        if (hole < 0)
            return -errno;
        loff_t in = data, out = data;
        for (uint64_t left = (uint64_t)(hole - data); left;) {
            ssize_t n = copy_file_range(from, &in, to, &out, left, 0);
            if (n <= 0)
                return n < 0 ? -errno : -EIO;
            left -= (uint64_t)n;
        }
        at = hole;
    }
    return 0;
}

/* The child's guest memory, copied now, while the forking thread is stopped. */
int vj_process_vm_fork_prepare(struct vj_vm *vm, vmjail_error **err)
{
    int mem = memfd_create("vmjail-guest", MFD_CLOEXEC);
    int r = mem < 0 || ftruncate(mem, (off_t)vm->mem_size) < 0
                ? -errno
                : copy_extents(vm->mem_fd, mem, vm->mem_size);
    if (r < 0) {
        if (mem >= 0)
            close(mem);
        return vj_error(err, VMJAIL_ERR_INTERNAL, -r, "process platform: copy guest memory");
    }
    vm->fork_mem_fd = own(vm, mem);
    return 0;
}

void vj_process_vm_fork_parent(struct vj_vm *vm)
{
    vj_process_vm_disown_fd(vm, vm->fork_mem_fd);
    close(vm->fork_mem_fd);
    vm->fork_mem_fd = -1;
}

/* In the child of a host fork: the parent's stub, guest memory and control region are the
 * parent's; the copy of guest memory vj_vm_fork_prepare made, a control region and a stub of
 * the child's own, its first
 * thread to continue from S.  Guest memory starts inaccessible to the new stub: the caller
 * applies the address space's protections again (vj_vm_mem_protect). */
int vj_process_vm_rebuild_in_child(struct vj_vm *vm, const struct vj_vcpu_snapshot *s,
                                   vmjail_error **err)
{
    pthread_mutex_init(&vm->req_lock, NULL);
    pthread_mutex_init(&vm->lock, NULL);
    for (int i = 1; i < vm->nvcpus; i++)
        free(vm->vcpus[i]);
    vm->nvcpus = 0;
    /* The parent's stub is the parent's: its pidfd and watch pipe go (the pipe's write end
     * held here would keep the parent's stub alive after the parent ended). */
    vm->stub = -1;
    vj_process_stub_end(vm);
    int mem = vm->fork_mem_fd, ctl = memfd_create("vmjail-ctl", MFD_CLOEXEC);
    vj_process_vm_disown_fd(vm, mem);
    vm->fork_mem_fd = -1;
    int r = mem < 0 || ctl < 0 || ftruncate(ctl, VJ_STUB_CTL_SIZE) < 0 ? -EBADF : 0;
    if (r < 0 || (r = vj_process_shared_view(vm, mem)) < 0 || open_low(vm) < 0 ||
        mmap(vm->ctl, VJ_STUB_CTL_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, ctl, 0) ==
            MAP_FAILED) {
        if (r == 0)
            r = -errno;
        if (mem >= 0)
            close(mem);
        if (ctl >= 0)
            close(ctl);
        return vj_error(err, VMJAIL_ERR_INTERNAL, -r, "process platform: copy guest memory");
    }
    vj_process_vm_disown_fd(vm, vm->mem_fd);
    vj_process_vm_disown_fd(vm, vm->ctl_fd);
    close(vm->mem_fd);
    close(vm->ctl_fd);
    vm->mem_fd = own(vm, mem);
    vm->ctl_fd = own(vm, ctl);
    if (start_first(vm, err) < 0)
        return -1;
    int e = vj_process_shared_rebuild(vm);
    if (e < 0)
        return vj_error(err, VMJAIL_ERR_INTERNAL, -e, "process platform: shared mappings");
    struct vj_stub_ctx *c = vm->first.ctx;
    const struct vj_user_regs *u = &s->regs;
    c->regs = (struct vj_stub_regs){.r8 = u->r8, .r9 = u->r9, .r10 = u->r10, .r11 = u->r11,
                                    .r12 = u->r12, .r13 = u->r13, .r14 = u->r14, .r15 = u->r15,
                                    .rdi = u->rdi, .rsi = u->rsi, .rbp = u->rbp, .rbx = u->rbx,
                                    .rdx = u->rdx, .rax = u->rax, .rcx = u->rcx, .rsp = u->rsp,
                                    .rip = u->rip, .rflags = u->rflags, .fs_base = s->fs_base,
                                    .gs_base = s->gs_base};
    memcpy((uint8_t *)c + VJ_STUB_CTX_FPU, s->fpu.area, 0x1000);
    c->fpu_load = 1;
    vm->first.started = true;
    return 0;
}

uint8_t *vj_process_vm_mem(const struct vj_vm *vm)
{
    return vm->mem;
}

uint64_t vj_process_vm_mem_size(const struct vj_vm *vm)
{
    return vm->mem_size;
}

enum vj_host_kind vj_process_vm_host_kind(const struct vj_vm *vm)
{
    (void)vm;
    return VJ_HOST_CPL3;
}

uint64_t vj_process_vm_vdso(const struct vj_vm *vm)
{
    return vm->vdso_ehdr;
}

bool vj_process_vm_vdso_range(const struct vj_vm *vm, uint64_t *data, uint64_t *end)
{
    *data = VJ_LOW_VA + VJ_LOW_VDSO;
    *end = *data + vm->vdso_size;
    return vm->vdso_ehdr != 0;
}

bool vj_process_vm_fast_capable(const struct vj_vm *vm)
{
    (void)vm;
    return false;
}

/* Not yet: here each payload thread has a stub thread, a monitor thread that drives it and, on
 * the fast path, a poller: three to share the CPUs, where on KVM the payload runs on the
 * thread that drives it.  On a 2-CPU host python3 -c pass took 146 ms with the poller against
 * 95 ms trapped (29 ms natively), so auto takes the trapped path; --syscall-path poll asks for
 * the fast path. */
bool vj_process_vm_fast_by_default(const struct vj_vm *vm)
{
    (void)vm;
    return false;
}

pid_t vj_process_vm_payload_process(const struct vj_vm *vm)
{
    return vm->stub;
}

bool vj_process_vm_slot_in_gs(const struct vj_vm *vm)
{
    (void)vm;
    return false;
}

uint8_t *vj_process_vm_low(struct vj_vm *vm)
{
    return vm->mem + VJ_LOW_VA;
}

void vj_process_vm_map_low(struct vj_vm *vm)
{
    if (!vm->low_mapped && map_low(vm) == 0)
        vm->low_mapped = true;
}

struct vj_vcpu *vj_process_vm_first_vcpu(struct vj_vm *vm)
{
    return &vm->first;
}
