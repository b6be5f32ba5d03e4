/* cgroup_devices.c: device rules on cgroup v2, as an eBPF program on the container's cgroup. */
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "lib/error.h"
#include "oci/oci.h"

/* The devices every container gets after its own rules (runc's default list, on v1 and v2):
 * mknod of any device (the node, not its use), then null, zero, full, random, urandom, tty,
 * console, ptmx, the pts slaves and tun. */
const struct oci_device_rule oci_default_device_rules[] = {
    {true, 'c', -1, -1, "m"},    {true, 'b', -1, -1, "m"},    {true, 'c', 1, 3, "rwm"},
    {true, 'c', 1, 5, "rwm"},    {true, 'c', 1, 7, "rwm"},    {true, 'c', 1, 8, "rwm"},
    {true, 'c', 1, 9, "rwm"},    {true, 'c', 5, 0, "rwm"},    {true, 'c', 5, 1, "rwm"},
    {true, 'c', 5, 2, "rwm"},    {true, 'c', 136, -1, "rwm"}, {true, 'c', 10, 200, "rwm"},
};
const size_t oci_n_default_device_rules =
    sizeof oci_default_device_rules / sizeof oci_default_device_rules[0];

/* ---- building the program ------------------------------------------------------------------
 *
 * The kernel runs the program at each open (read/write) and mknod of a device node in the
 * cgroup, with a struct bpf_cgroup_dev_ctx: the device's type and the access asked for (both
 * bit sets), its major and minor.  R0 = 1 allows, 0 refuses.
 *
 * The rules keep cgroup v1's meaning (what apply_v1 writes to devices.allow/deny): a rule of
 * type 'a' is a reset, as the kernel's v1 controller and runc's emulator take it (its numbers
 * and access ignored): the default becomes allow or deny and the rules before it no longer
 * count; with no such rule the default is allow (a new v1 cgroup inherits its parent's
 * allow-all).  Of the rules after it, the last one that matches decides, as in runc's
 * devicefilter: they are emitted in reverse order, each returning early.  It decides per
 * access bit: an open asking "rw" of a device allowed "r" by one rule and "w" by another is
 * allowed; one with "w" denied by the last match is refused.  So R3 holds the access bits not
 * yet decided: an allow rule clears its bits (allowed once none are left), a deny rule
 * refuses if any of its bits is still undecided. */

#define ACC_ALL (BPF_DEVCG_ACC_READ | BPF_DEVCG_ACC_WRITE | BPF_DEVCG_ACC_MKNOD)

/* The registers: R1 the context (then a scratch register), R2 the device type, R3 the access
 * bits not yet decided, R4 the major, R5 the minor; R0 the verdict. */
enum { R0, R1, R2, R3, R4, R5 };

struct program {
    struct bpf_insn *insns;
    size_t n, cap;
};

static struct bpf_insn insn(uint8_t code, uint8_t dst, uint8_t src, int16_t off, int32_t imm)
{
    return (struct bpf_insn){.code = code, .dst_reg = dst, .src_reg = src, .off = off, .imm = imm};
}

/* Append INS; returns its index, or -1 without memory. */
static long emit(struct program *p, struct bpf_insn ins)
{
    if (p->n == p->cap) {
        size_t cap = p->cap ? p->cap * 2 : 64;
        struct bpf_insn *v = realloc(p->insns, cap * sizeof *v);
        if (v == NULL)
            return -1;
        p->insns = v;
        p->cap = cap;
    }
    p->insns[p->n] = ins;
    return (long)p->n++;
}

static uint32_t access_bits(const char *access)
{
    uint32_t bits = 0;
    for (const char *c = access; *c; c++)
        bits |= *c == 'r' ? BPF_DEVCG_ACC_READ : *c == 'w' ? BPF_DEVCG_ACC_WRITE
              : *c == 'm' ? BPF_DEVCG_ACC_MKNOD : 0;
    return bits;
}

static bool is_reset(const struct oci_device_rule *d)
{
    return d->type == 'a';
}

/* Load the context's fields into R2..R5. */
static int emit_prologue(struct program *p)
{
    const int16_t access = offsetof(struct bpf_cgroup_dev_ctx, access_type),
                  major = offsetof(struct bpf_cgroup_dev_ctx, major),
                  minor = offsetof(struct bpf_cgroup_dev_ctx, minor);
    const struct bpf_insn prologue[] = {
        insn(BPF_LDX | BPF_MEM | BPF_W, R2, R1, access, 0),
        insn(BPF_ALU | BPF_AND | BPF_K, R2, 0, 0, 0xffff), /* the type: low 16 bits */
        insn(BPF_LDX | BPF_MEM | BPF_W, R3, R1, access, 0),
        insn(BPF_ALU | BPF_RSH | BPF_K, R3, 0, 0, 16), /* the access: high 16 bits */
        insn(BPF_LDX | BPF_MEM | BPF_W, R4, R1, major, 0),
        insn(BPF_LDX | BPF_MEM | BPF_W, R5, R1, minor, 0),
    };
    for (size_t i = 0; i < sizeof prologue / sizeof prologue[0]; i++)
        if (emit(p, prologue[i]) < 0)
            return -1;
    return 0;
}

static int emit_return(struct program *p, int verdict)
{
    if (emit(p, insn(BPF_ALU | BPF_MOV | BPF_K, R0, 0, 0, verdict)) < 0 ||
        emit(p, insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0)) < 0)
        return -1;
    return 0;
}

/* The jumps of one rule's block to the next block, patched once the block is complete. */
struct block {
    long to_next[4];
    size_t n;
    bool failed;
};

static void jump_to_next(struct program *p, struct block *b, uint8_t op, uint8_t reg, int32_t imm)
{
    long at = emit(p, insn(BPF_JMP | op | BPF_K, reg, 0, 0, imm));
    if (at < 0)
        b->failed = true;
    else
        b->to_next[b->n++] = at;
}

static void emit_alu(struct program *p, struct block *b, struct bpf_insn ins)
{
    if (emit(p, ins) < 0)
        b->failed = true;
}

/* The block of one rule (of type 'b' or 'c'): jumps to the next block when the rule does not
 * match or leaves the verdict to the rules before it; else returns its verdict.  It always
 * starts with a test, so no instruction after a return is unreachable (the verifier refuses
 * those). */
static int emit_rule(struct program *p, const struct oci_device_rule *d, uint32_t access)
{
    struct block b = {.n = 0};
    jump_to_next(p, &b, BPF_JNE, R2, d->type == 'b' ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR);
    if (d->major >= 0)
        jump_to_next(p, &b, BPF_JNE, R4, (int32_t)d->major);
    if (d->minor >= 0)
        jump_to_next(p, &b, BPF_JNE, R5, (int32_t)d->minor);
    if (access != ACC_ALL && d->allow) {
        /* Its bits are allowed; the others are left to the rules before it. */
        emit_alu(p, &b, insn(BPF_ALU | BPF_AND | BPF_K, R3, 0, 0, (int32_t)(ACC_ALL & ~access)));
        jump_to_next(p, &b, BPF_JNE, R3, 0);
    } else if (access != ACC_ALL) {
        /* Refused if one of its bits is still undecided. */
        emit_alu(p, &b, insn(BPF_ALU | BPF_MOV | BPF_X, R1, R3, 0, 0));
        emit_alu(p, &b, insn(BPF_ALU | BPF_AND | BPF_K, R1, 0, 0, (int32_t)access));
        jump_to_next(p, &b, BPF_JEQ, R1, 0);
    }
    if (b.failed || emit_return(p, d->allow) < 0)
        return -1;
    for (size_t i = 0; i < b.n; i++)
        p->insns[b.to_next[i]].off = (int16_t)(p->n - (size_t)b.to_next[i] - 1);
    return 0;
}

static int check_rule(const struct oci_device_rule *d, vmjail_error **err)
{
    if (d->type != 'a' && d->type != 'b' && d->type != 'c')
        return vj_error(err, VMJAIL_ERR_USAGE, 0, "linux.resources.devices: type '%c'", d->type);
    if (d->major > INT32_MAX || d->minor > INT32_MAX)
        return vj_error(err, VMJAIL_ERR_USAGE, 0, "linux.resources.devices: %lld:%lld",
                        (long long)d->major, (long long)d->minor);
    return 0;
}

/* Rule I of the config's rules followed by the defaults. */
static const struct oci_device_rule *rule_at(const struct oci_device_rule *rules, size_t n,
                                             size_t i)
{
    return i < n ? &rules[i] : &oci_default_device_rules[i - n];
}

int oci_devices_program(const struct oci_device_rule *rules, size_t n, struct bpf_insn **out,
                        vmjail_error **err)
{
    size_t total = n + oci_n_default_device_rules, first = 0;
    bool default_allow = true;
    for (size_t i = 0; i < total; i++) {
        const struct oci_device_rule *d = rule_at(rules, n, i);
        if (check_rule(d, err) < 0)
            return -1;
        if (is_reset(d)) {
            first = i + 1;
            default_allow = d->allow;
        }
    }
    struct program p = {0};
    int r = emit_prologue(&p);
    for (size_t i = total; r == 0 && i-- > first;) {
        const struct oci_device_rule *d = rule_at(rules, n, i);
        uint32_t access = access_bits(d->access);
        if (access != 0) /* a rule for no access matches nothing */
            r = emit_rule(&p, d, access);
    }
    if (r == 0)
        r = emit_return(&p, default_allow);
    if (r < 0) {
        free(p.insns);
        return vj_error(err, VMJAIL_ERR_INTERNAL, ENOMEM, "cgroup: the device program");
    }
    *out = p.insns;
    return (int)p.n;
}

/* ---- loading and attaching it -------------------------------------------------------------- */

#define VERIFIER_LOG_SIZE (256 * 1024) /* room for the log of a refused program */

static int sys_bpf(int cmd, union bpf_attr *attr)
{
    return (int)syscall(SYS_bpf, cmd, attr, sizeof *attr);
}

static int load(const struct bpf_insn *insns, int n, char *log, size_t log_size)
{
    union bpf_attr a;
    memset(&a, 0, sizeof a);
    a.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
    a.insns = (uintptr_t)insns;
    a.insn_cnt = (uint32_t)n;
    a.license = (uintptr_t) "GPL";
    if (log) {
        a.log_buf = (uintptr_t)log;
        a.log_size = (uint32_t)log_size;
        a.log_level = 1;
        log[0] = '\0';
    }
    return sys_bpf(BPF_PROG_LOAD, &a);
}

/* The last line of LOG, trailing newlines trimmed. */
static char *last_line(char *log)
{
    size_t len = strlen(log);
    while (len && (log[len - 1] == '\n' || log[len - 1] == ' '))
        log[--len] = '\0';
    char *nl = strrchr(log, '\n');
    return nl ? nl + 1 : log;
}

/* The verifier's reason in LOG: its last line, or the one before "processed N insns ..." (the
 * statistics it ends with, failed or not). */
static const char *log_reason(char *log)
{
    char *last = last_line(log);
    if (strncmp(last, "processed ", 10) == 0 && last != log) {
        last[-1] = '\0';
        last = last_line(log);
    }
    return last[0] ? last : "no verifier log";
}

static int no_bpf_error(int e, const char *what, vmjail_error **err)
{
    return vj_error(err, VMJAIL_ERR_INTERNAL, e,
                    "cgroup: device rules on cgroup v2 need an eBPF device program, and this host "
                    "refuses %s", what);
}

/* Load the program; on failure load it again with the verifier's log, so the error says why. */
static int load_program(const struct bpf_insn *insns, int n, vmjail_error **err)
{
    int fd = load(insns, n, NULL, 0);
    if (fd >= 0)
        return fd;
    int e = errno;
    if (e == EPERM || e == ENOSYS)
        return no_bpf_error(e, "bpf(BPF_PROG_LOAD)", err);
    char *log = malloc(VERIFIER_LOG_SIZE);
    if (log == NULL)
        return vj_error(err, VMJAIL_ERR_INTERNAL, e, "cgroup: load the device program");
    fd = load(insns, n, log, VERIFIER_LOG_SIZE);
    if (fd < 0)
        vj_error(err, VMJAIL_ERR_INTERNAL, e,
                 "cgroup: load the device program (%d instructions): %s", n, log_reason(log));
    free(log);
    return fd;
}

static int attach_program(int prog_fd, const char *dir, vmjail_error **err)
{
    int dir_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir_fd < 0)
        return vj_error(err, VMJAIL_ERR_INTERNAL, errno, "cgroup: open %s", dir);
    union bpf_attr a;
    memset(&a, 0, sizeof a);
    a.target_fd = (uint32_t)dir_fd;
    a.attach_bpf_fd = (uint32_t)prog_fd;
    a.attach_type = BPF_CGROUP_DEVICE;
    /* Like runc: programs of the ancestors (systemd's, say) keep running too, and a later
     * program can be added below. */
    a.attach_flags = BPF_F_ALLOW_MULTI;
    int r = sys_bpf(BPF_PROG_ATTACH, &a);
    int e = errno;
    close(dir_fd);
    if (r < 0 && e == EPERM)
        return no_bpf_error(e, "bpf(BPF_PROG_ATTACH)", err);
    if (r < 0)
        return vj_error(err, VMJAIL_ERR_INTERNAL, e, "cgroup: attach the device program to %s",
                        dir);
    return 0;
}

int oci_cgroup_devices_attach(const char *dir, const struct oci_device_rule *rules, size_t n,
                              vmjail_error **err)
{
    struct bpf_insn *insns = NULL;
    int count = oci_devices_program(rules, n, &insns, err);
    if (count < 0)
        return -1;
    int prog_fd = load_program(insns, count, err);
    free(insns);
    if (prog_fd < 0)
        return -1;
    /* The cgroup holds the program once attached; our descriptor is no longer needed. */
    int r = attach_program(prog_fd, dir, err);
    close(prog_fd);
    return r;
}
