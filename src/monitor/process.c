/* process.c: new payload processes: fork, vfork and clone without CLONE_VM.  The monitor
 * forks itself; the child gets a copy-on-write copy of guest memory for free, builds a new VM
 * over it, and continues the calling thread on a fresh vCPU with the parent's registers; and
 * the waits for those children. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/error.h"
#include "monitor/coredump.h"
#include "monitor/gdb.h"
#include "monitor/fastcall.h"
#include "monitor/ipc.h"
#include "monitor/proc_life.h"
#include "monitor/process.h"
#include "monitor/procfs.h"
#include "monitor/signal.h"
#include "monitor/sys.h"
#include "monitor/syscall.h"

/* Flags a new process may ask for (others are refused): the exit signal in the low byte,
 * vfork (served as a fork: the parent does not wait), the tid words. */
#define FORK_FLAGS                                                                          \
    (0xffULL | CLONE_VFORK | CLONE_VM | CLONE_PARENT_SETTID | CLONE_CHILD_SETTID |          \
     CLONE_CHILD_CLEARTID | CLONE_SETTLS)

/* In the child: the calling thread is the only one; the others' structures go. */
static void keep_only(struct vj_proc *p, struct vj_thread *t)
{
    for (size_t i = 0; i < p->nthreads; i++)
        if (p->threads[i] != t) {
            vj_fast_forget(p->threads[i]);
            vj_signal_thread_free(p->threads[i]);
            free(p->threads[i]);
        }
    p->threads[0] = t;
    p->nthreads = 1;
    p->live = 1;
    t->host = pthread_self();
    t->tid = (pid_t)syscall(SYS_gettid);
    t->exited = false;
}

/* The child's side of fork: a new VM, the parent's thread continued on its vCPU. */
static int child(struct vj_proc *p, struct vj_thread *t, const struct vj_vcpu_snapshot *s,
                 vmjail_error **err)
{
    pthread_mutex_init(&p->mm_lock, NULL);
    pthread_mutex_init(&p->lock, NULL);
    pthread_cond_init(&p->ended, NULL);
    keep_only(p, t);
    p->forked = true;
    p->snap_req = NULL; /* a snapshot's mark is its first process's (snapshot.h) */
    if (vj_vm_rebuild_in_child(p->vm, s, err) < 0)
        return -1;
    /* After the rebuild: where guest memory (and the low window in it) is shared with the
     * parent until then, clearing the slots before would clear the parent's. */
    vj_fast_after_fork(p, t);
    vj_gdb_forget_in_child(p, t); /* gdb stays with the parent */
    /* The child's guest memory takes the address space's protections again (a platform whose
     * guest is another process starts the child's with everything inaccessible). */
    for (size_t i = 0; i < p->vmas.n; i++) {
        const struct vj_vma *v = &p->vmas.v[i];
        if (vj_vm_mem_protect(p->vm, v->start, v->end - v->start, v->prot) < 0)
            return vj_error(err, VMJAIL_ERR_INTERNAL, 0, "protect the child's guest memory");
    }
    t->vcpu = vj_vm_first_vcpu(p->vm);
    t->sigreturned = true; /* the registers are set: no syscall return */
    vj_ipc_after_fork(p);
    return vj_signals_after_fork(p) < 0 ? vj_error(err, VMJAIL_ERR_INTERNAL, EAGAIN, "signals")
                                        : 0;
}

int64_t vj_proc_fork(struct vj_proc *p, uint64_t flags, uint64_t newsp, uint64_t parent_tid,
                     uint64_t child_tid, uint64_t tls)
{
    if (flags & ~FORK_FLAGS)
        return -EINVAL;
    if ((flags & CLONE_VM) && !(flags & CLONE_VFORK))
        return -EINVAL; /* shared memory between processes: not served */
    struct vj_thread *t = vj_self;
    struct vj_vcpu_snapshot *s = malloc(sizeof *s);
    if (s == NULL)
        return -ENOMEM;
    if (vj_vcpu_snapshot(t->vcpu, s, NULL) < 0) {
        free(s);
        return -EAGAIN;
    }
    s->regs.rax = 0;
    if (newsp)
        s->regs.rsp = newsp;
    if (flags & CLONE_SETTLS)
        s->fs_base = tls;

    /* Hold the address space and the thread list still across the fork, so that the child's
     * copy is consistent. */
    pthread_mutex_lock(&p->mm_lock);
    pthread_mutex_lock(&p->lock);
    if (vj_vm_fork_prepare(p->vm, NULL) < 0) {
        pthread_mutex_unlock(&p->lock);
        pthread_mutex_unlock(&p->mm_lock);
        free(s);
        return -ENOMEM;
    }
    vj_core_marks_init(); /* before the first fork, so that every monitor shares them */
    pid_t pid = fork();
    if (pid != 0) {
        int e = errno;
        vj_vm_fork_parent(p->vm);
        pthread_mutex_unlock(&p->lock);
        pthread_mutex_unlock(&p->mm_lock);
        free(s);
        if (pid < 0)
            return -e;
        if (flags & CLONE_PARENT_SETTID)
            vj_copy_to_guest(p, parent_tid, &pid, sizeof pid);
        return pid;
    }
    vmjail_error *err = NULL;
    int r = child(p, t, s, &err);
    free(s);
    if (r < 0) {
        /* The child cannot run: it dies as a process that failed to start. */
        vmjail_error_free(err);
        _exit(127);
    }
    pid_t self = getpid();
    if (flags & CLONE_CHILD_SETTID)
        vj_copy_to_guest(p, child_tid, &self, sizeof self);
    if (flags & CLONE_CHILD_CLEARTID)
        t->clear_child_tid = child_tid;
    return 0;
}

int64_t vj_sys_fork(struct vj_proc *p, const uint64_t a[6])
{
    (void)a;
    return vj_proc_fork(p, SIGCHLD, 0, 0, 0, 0);
}

int64_t vj_sys_vfork(struct vj_proc *p, const uint64_t a[6])
{
    (void)a;
    return vj_proc_fork(p, CLONE_VFORK | SIGCHLD, 0, 0, 0, 0);
}

/* Are all this process's children vmjail's helpers (or has it none)?  Each thread's children
 * are listed apart. */
static bool only_helpers(void)
{
    DIR *tasks = opendir("/proc/self/task");
    if (tasks == NULL)
        return false;
    bool only = true;
    struct dirent *t;
    while (only && (t = readdir(tasks)) != NULL) {
        if (t->d_name[0] == '.')
            continue;
        char path[64];
        snprintf(path, sizeof path, "/proc/self/task/%.20s/children", t->d_name);
        FILE *f = fopen(path, "re");
        if (f == NULL)
            continue;
        int pid;
        while (only && fscanf(f, "%d", &pid) == 1)
            only = vj_procfs_is_helper(AT_FDCWD, pid);
        fclose(f);
    }
    closedir(tasks);
    return only;
}

/* Does this process take orphans (a pid namespace's first process, a subreaper)? */
static bool reaps_orphans(void)
{
    int sub = 0;
    return getpid() == 1 || (prctl(PR_GET_CHILD_SUBREAPER, &sub, 0, 0, 0) == 0 && sub);
}

/* wait4 and waitid: the host's, for the payload's children only.  Each is a host process the
 * monitor forked (exit signal SIGCHLD, whatever the payload asked for).  The monitor's own
 * helpers are clone children with no exit signal (the process platform's stub keeper, the
 * teardown helper): what __WALL and __WCLONE would add, so __WALL is dropped (it adds nothing
 * of the payload's) and __WCLONE alone finds no child.  Where this process takes orphans, the
 * helpers that ended payload processes left come here with the exit signal SIGCHLD: a wait
 * for any child looks first (WNOWAIT), reaps theirs itself, and waits for the payload's child
 * it found by its id.  (Some may still run: a wait with WNOHANG then says 0, not ECHILD.) */
static int64_t wait_children(struct vj_proc *p, uint64_t nr, const uint64_t a[6], int opt)
{
    uint64_t b[6];
    memcpy(b, a, sizeof b);
    if ((b[opt] & __WCLONE) && !(b[opt] & __WALL))
        return -ECHILD;
    b[opt] &= ~(uint64_t)(__WALL | __WCLONE);
    const struct vj_syscall_desc *d = vj_syscall_lookup(nr);
    idtype_t type = P_PID;
    id_t id = 0;
    int options = (int)b[opt];
    if (nr == SYS_wait4) {
        pid_t pid = (pid_t)b[0];
        type = pid == -1 ? P_ALL : pid <= 0 ? P_PGID : P_PID;
        id = (id_t)(pid < -1 ? -pid : pid == 0 ? getpgid(0) : pid);
        options = WEXITED | (options & (WNOHANG | WCONTINUED)) |
                  (options & WUNTRACED ? WSTOPPED : 0);
    } else {
        type = (idtype_t)b[0];
        id = (id_t)b[1];
    }
    if (type == P_PID || type == P_PIDFD || !reaps_orphans())
        return vj_syscall_pass(p, nr, d, b);
    for (;;) {
        siginfo_t si;
        memset(&si, 0, sizeof si);
        if (waitid(type, id, &si, options | WNOWAIT) < 0)
            return -errno;
        if (si.si_pid == 0) /* WNOHANG, and nothing yet: is there a child of the payload's? */
            return only_helpers() ? -ECHILD : vj_syscall_pass(p, nr, d, b);
        if (!vj_procfs_is_helper(AT_FDCWD, si.si_pid)) {
            if (nr == SYS_wait4) {
                b[0] = (uint64_t)si.si_pid;
            } else {
                b[0] = P_PID;
                b[1] = (uint64_t)si.si_pid;
            }
            return vj_syscall_pass(p, nr, d, b);
        }
        /* A helper's: reaped (or its stop or continue taken), and on to the next child. */
        waitid(P_PID, (id_t)si.si_pid, &si, (options & ~WNOHANG) | WNOHANG);
    }
}

/* The host saw a forked monitor die of its signal without a core (the monitor never dumps
 * itself): where that payload process wrote its core file, the status says so as Linux's
 * does (WCOREDUMP, CLD_DUMPED). */
int64_t vj_sys_wait4(struct vj_proc *p, const uint64_t a[6])
{
    int64_t r = wait_children(p, SYS_wait4, a, 2);
    int status;
    if (r > 0 && a[1] && vj_copy_from_guest(p, &status, a[1], sizeof status) == 0 &&
        WIFSIGNALED(status) && !WCOREDUMP(status) && vj_core_take_mark((pid_t)r, false)) {
        status |= 0x80;
        vj_copy_to_guest(p, a[1], &status, sizeof status);
    }
    return r;
}

int64_t vj_sys_waitid(struct vj_proc *p, const uint64_t a[6])
{
    int64_t r = wait_children(p, SYS_waitid, a, 3);
    siginfo_t si;
    if (r == 0 && a[2] && vj_copy_from_guest(p, &si, a[2], sizeof si) == 0 &&
        si.si_signo == SIGCHLD && si.si_code == CLD_KILLED &&
        vj_core_take_mark(si.si_pid, (a[3] & WNOWAIT) != 0)) {
        si.si_code = CLD_DUMPED;
        vj_copy_to_guest(p, a[2], &si, sizeof si);
    }
    return r;
}

void vj_proc_exit_host(struct vj_proc *p)
{
    vj_ipc_end(p); /* its SysV attachments go before its parent can see it end */
    /* A forked payload process is a host process of its own: it ends as the payload ended,
     * by the same signal if one ended it (without a core file of the monitor). */
    if (p->result.signaled) {
        struct rlimit none = {0, 0};
        setrlimit(RLIMIT_CORE, &none);
        signal(p->result.signal, SIG_DFL);
        sigset_t s;
        sigemptyset(&s);
        sigaddset(&s, p->result.signal);
        pthread_sigmask(SIG_UNBLOCK, &s, NULL);
        raise(p->result.signal);
    }
    _exit(p->result.signaled ? 128 + p->result.signal : p->result.exit_code);
}
