/* test_cgroup_devices.c: unit tests of the cgroup v2 device program (cgroup_devices.c): its
 * shape (what the kernel's verifier wants) and its verdicts, run in a small interpreter of the
 * instructions it emits; loaded into this kernel too where bpf() is allowed. */
#include <errno.h>
#include <linux/bpf.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "oci/oci.h"
#include "tap.h"

enum { BLK = BPF_DEVCG_DEV_BLOCK, CHR = BPF_DEVCG_DEV_CHAR };
enum { M = BPF_DEVCG_ACC_MKNOD, R = BPF_DEVCG_ACC_READ, W = BPF_DEVCG_ACC_WRITE };

#define DENY_ALL {false, 'a', -1, -1, "rwm"}
#define ALLOW_ALL {true, 'a', -1, -1, "rwm"}

struct prog {
    struct bpf_insn *insns;
    int n;
};

static struct prog build(const struct oci_device_rule *rules, size_t n)
{
    struct prog p = {NULL, -1};
    vmjail_error *err = NULL;
    p.n = oci_devices_program(rules, n, &p.insns, &err);
    if (p.n < 0)
        printf("# %s\n", vmjail_error_message(err));
    vmjail_error_free(err);
    return p;
}

/* Run P on a device access as the kernel would; returns R0, or -1 for an instruction this
 * interpreter does not know (so not one the builder should emit), a read outside the context,
 * a jump outside the program or one backwards. */
static int run(const struct prog *p, uint32_t type, uint32_t access, uint32_t major,
               uint32_t minor)
{
    struct bpf_cgroup_dev_ctx ctx = {access << 16 | type, major, minor};
    uint64_t reg[11] = {0};
    reg[1] = (uintptr_t)&ctx;
    for (int pc = 0; pc >= 0 && pc < p->n; pc++) {
        const struct bpf_insn *i = &p->insns[pc];
        uint64_t src = BPF_SRC(i->code) == BPF_X ? reg[i->src_reg] : (uint64_t)(int64_t)i->imm;
        uint64_t *dst = &reg[i->dst_reg];
        switch (i->code) {
        case BPF_LDX | BPF_MEM | BPF_W: {
            uint64_t a = reg[i->src_reg] + (uint64_t)(int64_t)i->off;
            if (a < (uintptr_t)&ctx || a + 4 > (uintptr_t)(&ctx + 1) || a % 4)
                return -1;
            *dst = *(const uint32_t *)(uintptr_t)a;
            break;
        }
        case BPF_ALU | BPF_AND | BPF_K:
        case BPF_ALU | BPF_AND | BPF_X:
            *dst = (uint32_t)(*dst & src);
            break;
        case BPF_ALU | BPF_RSH | BPF_K:
            *dst = (uint32_t)*dst >> (src & 31);
            break;
        case BPF_ALU | BPF_MOV | BPF_K:
        case BPF_ALU | BPF_MOV | BPF_X:
            *dst = (uint32_t)src;
            break;
        case BPF_JMP | BPF_JNE | BPF_K:
        case BPF_JMP | BPF_JEQ | BPF_K:
            if (i->off < 0)
                return -1;
            if ((*dst == src) == (BPF_OP(i->code) == BPF_JEQ))
                pc += i->off;
            break;
        case BPF_JMP | BPF_EXIT:
            return (int)reg[0];
        default:
            return -1;
        }
    }
    return -1;
}

/* The verifier's rules the builder must keep: jumps forward inside the program, every
 * instruction reachable, the last one an exit, every exit after a "mov r0, 0 or 1". */
static bool verifier_shape(const struct prog *p)
{
    if (p->n <= 0 || p->insns[p->n - 1].code != (BPF_JMP | BPF_EXIT))
        return false;
    bool *reach = calloc((size_t)p->n, sizeof *reach), good = reach != NULL;
    if (good)
        reach[0] = true;
    for (int pc = 0; good && pc < p->n; pc++) {
        const struct bpf_insn *i = &p->insns[pc];
        good = reach[pc];
        if (i->code == (BPF_JMP | BPF_EXIT)) {
            const struct bpf_insn *m = pc > 0 ? &p->insns[pc - 1] : NULL;
            good = good && m && m->code == (BPF_ALU | BPF_MOV | BPF_K) && m->dst_reg == 0 &&
                   (m->imm == 0 || m->imm == 1);
            continue;
        }
        if (BPF_CLASS(i->code) == BPF_JMP) {
            good = good && i->off >= 0 && pc + 1 + i->off < p->n;
            if (good)
                reach[pc + 1 + i->off] = true;
        }
        if (pc + 1 < p->n)
            reach[pc + 1] = true;
    }
    free(reach);
    return good;
}

/* ---- the cases ---------------------------------------------------------------------------- */

static void test_deny_all_then_allow(void)
{
    const struct oci_device_rule rules[] = {DENY_ALL, {true, 'c', 1, 3, "rwm"},
                                            {true, 'c', 10, 229, "rwm"}};
    struct prog p = build(rules, 3);
    ok(p.n > 0 && verifier_shape(&p), "deny-all, allow c 1:3, c 10:229: the verifier's shape");
    /* The prologue loads the context, the first block is the last rule (tun, 10:200). */
    ok(p.n > 10 && p.insns[0].code == (BPF_LDX | BPF_MEM | BPF_W) && p.insns[6].imm == CHR &&
           p.insns[7].imm == 10 && p.insns[8].imm == 200 && p.insns[9].imm == 1,
       "the prologue, then the last rule first");
    ok(p.n > 2 && p.insns[p.n - 2].code == (BPF_ALU | BPF_MOV | BPF_K) &&
           p.insns[p.n - 2].imm == 0,
       "the default after a deny-all is deny");
    is_int(run(&p, CHR, R | W, 10, 229), 1, "c 10:229 rw: allowed by its rule");
    is_int(run(&p, CHR, R, 1, 3), 1, "c 1:3 r: allowed");
    is_int(run(&p, CHR, R | W, 10, 230), 0, "c 10:230 rw: denied");
    is_int(run(&p, CHR, M, 10, 230), 1, "c 10:230 mknod: allowed (the default c *:* m)");
    is_int(run(&p, BLK, R, 10, 229), 0, "b 10:229 r: a block device, denied (the rule is char)");
    is_int(run(&p, BLK, M, 8, 0), 1, "b 8:0 mknod: allowed (b *:* m)");
    is_int(run(&p, BLK, R | W, 8, 0), 0, "b 8:0 rw: denied");
    free(p.insns);
}

static void test_defaults(void)
{
    const struct oci_device_rule rules[] = {DENY_ALL};
    struct prog p = build(rules, 1);
    ok(p.n > 0 && verifier_shape(&p), "deny-all alone: the verifier's shape");
    static const uint32_t allowed[][2] = {{1, 3}, {1, 5}, {1, 7}, {1, 8}, {1, 9}, {5, 0},
                                          {5, 1}, {5, 2}, {136, 0}, {136, 42}, {10, 200}};
    int n_allowed = 0;
    for (size_t i = 0; i < sizeof allowed / sizeof allowed[0]; i++)
        n_allowed += run(&p, CHR, R | W, allowed[i][0], allowed[i][1]) == 1;
    is_int(n_allowed, 11, "every default device opens rw under deny-all");
    is_int(run(&p, CHR, R | W, 10, 232), 0, "c 10:232 (kvm) rw: denied");
    is_int(run(&p, CHR, R, 5, 3), 0, "c 5:3: denied");
    is_int(run(&p, BLK, R, 1, 3), 0, "b 1:3: denied (null is a char device)");
    is_int(oci_n_default_device_rules, 12, "runc's default list: 12 rules");
    free(p.insns);
}

static void test_wildcard_major(void)
{
    const struct oci_device_rule rules[] = {DENY_ALL, {true, 'c', -1, 5, "r"},
                                            {true, 'b', 8, -1, "rw"}};
    struct prog p = build(rules, 3);
    ok(p.n > 0 && verifier_shape(&p), "wildcard major and minor: the verifier's shape");
    is_int(run(&p, CHR, R, 7, 5), 1, "c *:5 r: c 7:5 read allowed");
    is_int(run(&p, CHR, W, 7, 5), 0, "c *:5 r: c 7:5 write denied");
    is_int(run(&p, CHR, R | W, 7, 5), 0, "c *:5 r: c 7:5 rw denied");
    is_int(run(&p, CHR, R, 7, 6), 0, "c *:5 r: c 7:6 denied");
    is_int(run(&p, BLK, R, 7, 5), 0, "c *:5 r: b 7:5 denied");
    is_int(run(&p, BLK, R | W, 8, 17), 1, "b 8:* rw: b 8:17 rw allowed");
    is_int(run(&p, CHR, R, 8, 17), 0, "b 8:* rw: c 8:17 denied");
    free(p.insns);
}

static void test_last_match_wins(void)
{
    const struct oci_device_rule later_deny[] = {DENY_ALL, {true, 'c', 10, -1, "rwm"},
                                                 {false, 'c', 10, 229, "rwm"}};
    struct prog p = build(later_deny, 3);
    is_int(run(&p, CHR, R, 10, 229), 0, "allow c 10:*, then deny c 10:229: 10:229 denied");
    is_int(run(&p, CHR, R, 10, 1), 1, "allow c 10:*, then deny c 10:229: 10:1 allowed");
    free(p.insns);
    const struct oci_device_rule later_allow[] = {DENY_ALL, {false, 'c', 10, 229, "rwm"},
                                                  {true, 'c', 10, -1, "rwm"}};
    p = build(later_allow, 3);
    is_int(run(&p, CHR, R, 10, 229), 1, "deny c 10:229, then allow c 10:*: 10:229 allowed");
    free(p.insns);
}

/* Each access bit has its own last matching rule. */
static void test_access_bits(void)
{
    const struct oci_device_rule split[] = {DENY_ALL, {true, 'c', 10, 229, "r"},
                                            {true, 'c', 10, 229, "w"}};
    struct prog p = build(split, 3);
    ok(p.n > 0 && verifier_shape(&p), "partial accesses: the verifier's shape");
    is_int(run(&p, CHR, R | W, 10, 229), 1, "allow r, allow w: rw allowed");
    free(p.insns);
    const struct oci_device_rule no_write[] = {DENY_ALL, {true, 'c', 10, 229, "rwm"},
                                               {false, 'c', 10, 229, "w"}};
    p = build(no_write, 3);
    ok(p.n > 0 && verifier_shape(&p), "a partial deny: the verifier's shape");
    is_int(run(&p, CHR, R, 10, 229), 1, "allow rwm, deny w: r allowed");
    is_int(run(&p, CHR, R | W, 10, 229), 0, "allow rwm, deny w: rw denied");
    free(p.insns);
}

/* Type 'a' resets the list, as on v1: its allow or deny becomes the default. */
static void test_resets(void)
{
    const struct oci_device_rule blacklist[] = {{false, 'c', 10, 229, "w"}};
    struct prog p = build(blacklist, 1);
    ok(p.n > 0 && verifier_shape(&p), "no reset: the verifier's shape");
    is_int(run(&p, CHR, R | W, 10, 230), 1, "no reset: the default is allow (v1's parent)");
    is_int(run(&p, CHR, R, 10, 229), 1, "deny c 10:229 w: read allowed");
    is_int(run(&p, CHR, W, 10, 229), 0, "deny c 10:229 w: write denied");
    free(p.insns);
    const struct oci_device_rule dropped[] = {{true, 'c', 10, 229, "rwm"}, DENY_ALL};
    p = build(dropped, 2);
    is_int(run(&p, CHR, R, 10, 229), 0, "allow c 10:229, then deny-all: denied");
    free(p.insns);
    const struct oci_device_rule reopened[] = {DENY_ALL, {true, 'c', 10, 229, "rwm"}, ALLOW_ALL};
    p = build(reopened, 3);
    ok(p.n > 0 && verifier_shape(&p), "deny-all, allow-all: the verifier's shape");
    is_int(run(&p, BLK, R | W, 8, 0), 1, "deny-all, ..., allow-all: b 8:0 allowed");
    free(p.insns);
    const struct oci_device_rule bad[] = {{true, 'x', 1, 3, "rwm"}};
    p = build(bad, 1);
    is_int(p.n, -1, "a rule of type 'x': an error, no program");
}

/* The kernel's verifier itself, where this process may load BPF programs (root with bpf()
 * allowed); the emulated test host's conformance run loads it in any case. */
static void test_kernel_loads(void)
{
    const struct oci_device_rule rules[] = {DENY_ALL, {true, 'c', -1, 5, "r"},
                                            {false, 'c', 10, 229, "w"}, {true, 'b', 8, -1, "rwm"}};
    struct prog p = build(rules, 4);
    static char log[256 * 1024];
    union bpf_attr a;
    memset(&a, 0, sizeof a);
    a.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
    a.insns = (uintptr_t)p.insns;
    a.insn_cnt = (uint32_t)p.n;
    a.license = (uintptr_t) "GPL";
    int fd = p.n > 0 ? (int)syscall(SYS_bpf, BPF_PROG_LOAD, &a, sizeof a) : -1, e = errno;
    if (fd < 0 && (e == EPERM || e == ENOSYS)) {
        printf("ok %d - the kernel loads the program # SKIP bpf() not allowed here\n", ++tap_n);
    } else {
        if (fd < 0 && p.n > 0) { /* again, for the verifier's log */
            a.log_buf = (uintptr_t)log;
            a.log_size = sizeof log;
            a.log_level = 1;
            syscall(SYS_bpf, BPF_PROG_LOAD, &a, sizeof a);
        }
        ok(fd >= 0, "the kernel's verifier accepts the program (%d instructions)%s%s%s", p.n,
           fd < 0 ? ": " : "", fd < 0 ? strerror(e) : "", fd < 0 ? log : "");
    }
    if (fd >= 0)
        close(fd);
    free(p.insns);
}

int main(void)
{
    test_deny_all_then_allow();
    test_defaults();
    test_wildcard_major();
    test_last_match_wins();
    test_access_bits();
    test_resets();
    test_kernel_loads();
    return done_testing();
}
