/* fuzz_sigreturn.c: libFuzzer target for the signal-frame reader (rt_sigreturn,
 * src/arch/x86_64/signal_frame.c): a hostile frame, and the XSAVE area it points to, in a fake
 * guest memory, read on a platform of the target's own whose vCPU takes any FPU state. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "arch/arch.h"
#include "host/platform.h"
#include "lib/error.h"
#include "monitor/proc.h"
#include "vmjail_abi.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define PG 4096ULL
#define MEM_SIZE (8ULL << 20)
#define GUARD (2ULL << 20)
#define STACK ((uint64_t)VJ_GUEST_MIN) /* 16 read/write pages */
#define STACK_SIZE (16 * PG)

/* x87, SSE and AVX, in the standard XSAVE layout. */
static uint64_t fpu_features(const struct vj_vm *vm)
{
    (void)vm;
    return 7;
}
static uint32_t fpu_size(const struct vj_vm *vm)
{
    (void)vm;
    return 832;
}
static bool fpu_component(const struct vj_vm *vm, int i, uint32_t *offset, uint32_t *size)
{
    (void)vm;
    if (i != 2)
        return false;
    *offset = 576;
    *size = 256;
    return true;
}
static int set_fpu(struct vj_vcpu *c, const struct vj_fpu *f, vmjail_error **err)
{
    (void)c, (void)f, (void)err;
    return 0;
}
static const struct vj_platform fake = {.name = "fuzz",
                                        .vm_fpu_features = fpu_features,
                                        .vm_fpu_size = fpu_size,
                                        .vm_fpu_component = fpu_component,
                                        .vcpu_set_fpu = set_fpu};

static struct vj_proc P;
static struct vj_thread T;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (P.mem == NULL) {
        void *r = mmap(NULL, MEM_SIZE + GUARD, PROT_NONE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        if (r == MAP_FAILED || mprotect((uint8_t *)r + STACK, STACK_SIZE, PROT_READ | PROT_WRITE)) {
            perror("fuzz_sigreturn setup");
            exit(2);
        }
        P.mem = r;
        P.mem_size = MEM_SIZE;
        P.trace_fd = -1;
        T.proc = &P;
        vj_platform_use(&fake);
    }
    /* The first 2 bytes place the stack pointer in the stack (or just past it); the rest is the
     * stack's contents from there on. */
    if (size < 2)
        return 0;
    uint16_t off = (uint16_t)(data[0] | data[1] << 8);
    data += 2;
    size -= 2;
    memset(P.mem + STACK, 0, STACK_SIZE);
    uint64_t rsp = STACK + 8 + off % (STACK_SIZE + 64);
    uint64_t room = rsp - 8 < STACK + STACK_SIZE ? STACK + STACK_SIZE - (rsp - 8) : 0;
    memcpy(P.mem + rsp - 8, data, size < room ? size : room);
    struct vj_user_regs regs = {.rsp = rsp, .rflags = 0x202};
    uint64_t mask;
    stack_t ss;
    vmjail_error *err = NULL;
    if (vj_arch_rt_sigreturn(&T, &regs, &mask, &ss, &err) == -1)
        vmjail_error_free(err);
    return 0;
}
