/* fastcall.h: the fast syscall path: syscalls a payload thread makes from patched sites are
 * posted in its vCPU's slot in the low window and served by a monitor thread (its poller)
 * while the vCPU spins, with no VM exit.  The exit path stays the fallback for every call
 * the poller does not serve, for idle threads, and for the delivery of signals. */
#ifndef VJ_FASTCALL_H
#define VJ_FASTCALL_H

#include <stdbool.h>
#include <stdint.h>

#include "monitor/proc.h"

struct vj_fast_thread;

/* Turn the fast path on for P if MODE (VMJAIL_SYSCALL_PATH_*) and the host allow it; maps the
 * low window.  Returns true if it is on. */
bool vj_fast_init(struct vj_proc *p, int mode);

/* The call the payload thread T made through the exit path (STOP is its stop) just completed:
 * learn from it (patch its site), and wake T's poller if T is making calls often enough. */
void vj_fast_after_syscall(struct vj_thread *t, const struct vj_stop *stop);

/* T stopped at the VJ_NR_FAST_WAIT syscall: wait for the answer to the call it posted (serving
 * it here if the poller left it), make SC that call (for restarts and tracing), and return its
 * result.  -ENOSYS, SC unchanged, if T has no call in flight. */
int64_t vj_fast_wait(struct vj_thread *t, struct vj_syscall *sc);

/* T was stopped (vj_vcpu_interrupt) with its vCPU inside the fast-call code: move it out, as
 * if it had stopped just before its syscall instruction or just after the call.  Returns true
 * and fills STOP (a syscall stop) and *R if a posted call completed: the caller treats it as a
 * syscall that returned *R.  Returns false otherwise (the vCPU is set to make its call at
 * the site, or to return from it).  Fails (-1) only if the vCPU state cannot be set. */
int vj_fast_settle(struct vj_thread *t, struct vj_stop *stop, int64_t *r);

/* A second vCPU is about to run payload code in P: where the vCPUs share slot 0, no call is
 * posted from now on (every patched site makes its call through the exit path). */
void vj_fast_before_thread(struct vj_proc *p);
/* T ends: stop its poller. */
void vj_fast_thread_end(struct vj_thread *t);
/* The new program replaces the old (exec): patched sites are gone with it. */
void vj_fast_after_exec(struct vj_proc *p);
/* The payload sets its GS base: where the fast-call code found its slot there, it posts no
 * more calls (until an exec). */
void vj_fast_gs_taken(struct vj_proc *p);
/* In a fork's child: the parent's pollers are not here; T is the only thread. */
void vj_fast_after_fork(struct vj_proc *p, struct vj_thread *t);
/* In a fork's child: T (not the forking thread) is not here; its poller's record goes. */
void vj_fast_forget(struct vj_thread *t);

/* Does another thread want a core of the payload's: over WALL_NS its spinning poller ran
 * CPU_NS and was preempted PREEMPTED times, its thread waited WAITED_NS for a CPU?  (The
 * poller then steps aside.) */
bool vj_fast_contended(uint64_t wall_ns, uint64_t cpu_ns, long preempted, uint64_t waited_ns);

/* ---- the architecture's part (src/arch/x86_64/fastcall_site.c) ---- */

/* What the registers held at a syscall stop, for checking that the bytes before the syscall
 * instruction are the instruction they look like. */
struct vj_fast_site_regs {
    uint64_t rax, rdx, rbx, rbp, rsi, rdi, r9; /* rax: the call's number */
    uint64_t stack8;  /* the 8 bytes at rsp + 8, if STACK8_OK */
    bool stack8_ok;
};
/* If the LEN code bytes CODE end with a syscall instruction (at CODE + LEN - 2) that one
 * 5-byte instruction the site can do without precedes (moved into the trampoline), return the
 * offset of that instruction in CODE; else -1.  Pure. */
int vj_fast_site_decode(const uint8_t *code, int len, const struct vj_fast_site_regs *r);
/* Size of one trampoline, and the trampoline for the site whose 5-byte instruction INSN is at
 * SITE, placed at guest address AT and jumping to ENTRY, into OUT; the patch for the site (a
 * jump to AT) into PATCH.  Returns false if SITE and AT are too far apart. */
#define VJ_FAST_TRAMP_SIZE 32
#define VJ_FAST_PATCH_SIZE 5
bool vj_fast_site_build(uint64_t site, const uint8_t insn[VJ_FAST_PATCH_SIZE], uint64_t at,
                        uint64_t entry, uint8_t out[VJ_FAST_TRAMP_SIZE],
                        uint8_t patch[VJ_FAST_PATCH_SIZE]);
/* Where the fast-call code stands at offset OFF (for vj_fast_settle). */
enum vj_fast_point {
    VJ_FAST_BEFORE_POST, /* nothing posted: rax is the number, rcx the return address */
    VJ_FAST_SAVED,       /* posting: posted if the slot has REQ; rax and rcx are in the slot */
    VJ_FAST_POSTED,      /* posted: the call is the poller's */
    VJ_FAST_CONSUMED,    /* answered: rax is the result */
    VJ_FAST_NOT_POSTED,  /* not posted: the number is in the slot, rcx is the return address */
    VJ_FAST_AT_SITE,     /* going to the site's syscall: rax is the number */
    VJ_FAST_OUTSIDE,     /* not in the fast-call code */
};
enum vj_fast_point vj_fast_point_at(uint64_t off);
/* In the copy CODE of the fast-call image (the low window's VJ_LOW_FAST_CODE), make every vCPU
 * use slot 0 (where rdpid does not give the vCPU's index). */
void vj_fast_code_use_slot0(uint8_t *code);
/* ... or to read it from the GS base (where the monitor keeps each vCPU's index there). */
void vj_fast_code_use_gs(uint8_t *code);
/* Size of the fast-call code (copied to the low window at VJ_LOW_FAST_CODE). */
uint64_t vj_fast_code_size(void);

#endif
