/* fault_resolve.c: the address and si_code of a payload memory fault the host reported
 * without them, found by decoding the faulting instruction (insn.c) and asking the payload's
 * address-space map which byte it refuses. */
#include <pthread.h>
#include <signal.h>
#include <sys/mman.h>

#include "arch/arch.h"
#include "arch/x86_64/insn.h"
#include "monitor/proc.h"

/* Can the payload make ACCESS's byte at ADDR, as the address space says?  Under mm_lock. */
static const struct vj_vma *usable(struct vj_proc *p, uint64_t addr, bool write, bool *ok)
{
    const struct vj_vma *v = vj_vmas_find(&p->vmas, addr);
    *ok = v && (write ? (v->prot & PROT_WRITE) : (v->prot & (PROT_READ | PROT_WRITE | PROT_EXEC)));
    return v;
}

void vj_arch_resolve_fault(struct vj_thread *t, const struct vj_user_regs *r, struct vj_fault *f)
{
    struct vj_proc *p = t->proc;
    struct vj_x86_state s = {
        .gpr = {r->rax, r->rcx, r->rdx, r->rbx, r->rsp, r->rbp, r->rsi, r->rdi, r->r8, r->r9,
                r->r10, r->r11, r->r12, r->r13, r->r14, r->r15},
        .rip = r->rip};
    uint8_t code[VJ_X86_MAX_INSN];
    size_t got = 0;
    /* The instruction, page by page: it may end at an inaccessible one. */
    while (got < sizeof code) {
        uint64_t at = r->rip + got, room = VJ_PAGE_SIZE - (at & (VJ_PAGE_SIZE - 1));
        size_t want = sizeof code - got < room ? sizeof code - got : (size_t)room;
        if (vj_copy_from_guest(p, code + got, at, want) < 0)
            break;
        got += want;
    }
    struct vj_x86_access acc[2];
    int n = got ? vj_x86_insn_accesses(code, got, &s, acc) : -2;
    if (n == -2) {
        /* Fetching the instruction faulted. */
        n = 1;
        acc[0] = (struct vj_x86_access){.addr = r->rip + got, .size = 1};
    } else if (n > 0) {
        vj_vcpu_get_tls_base(t->vcpu, false, &s.fs_base, NULL);
        vj_vcpu_get_tls_base(t->vcpu, true, &s.gs_base, NULL);
        n = vj_x86_insn_accesses(code, got, &s, acc);
    }
    if (n <= 0)
        return;
    pthread_mutex_lock(&p->mm_lock);
    /* The first byte of the first access the address space refuses is what CR2 would say. */
    for (int i = 0; i < n; i++) {
        uint64_t a = acc[i].addr, end = a + (acc[i].size ? acc[i].size : 1);
        while (a < end && a >= acc[i].addr) {
            bool ok;
            const struct vj_vma *v = usable(p, a, acc[i].write, &ok);
            if (!ok) {
                f->addr = a;
                f->code = v ? SEGV_ACCERR : SEGV_MAPERR;
                pthread_mutex_unlock(&p->mm_lock);
                return;
            }
            a = (a | (VJ_PAGE_SIZE - 1)) + 1;
        }
    }
    /* Every page is usable: a file mapping past the end of its file (SIGBUS), or the host
     * refused something else; the first access is the best guess. */
    const struct vj_vma *v = vj_vmas_find(&p->vmas, acc[0].addr);
    f->addr = acc[0].addr;
    if (v && v->kind == VJ_VMA_FILE) {
        f->signo = SIGBUS;
        f->code = BUS_ADRERR;
    }
    pthread_mutex_unlock(&p->mm_lock);
}
