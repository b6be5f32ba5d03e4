/* ipc16.c: issue 16's IPC calls: SysV message queues, semaphores and shared memory (an
 * attachment inherited by a fork's child, dropped by an exec, fragments that shmdt finds,
 * shm_nattch through it all), POSIX message queues with their notifications (a signal, and
 * SIGEV_THREAD's netlink form), membarrier; success and error paths.  Every object is
 * IPC_PRIVATE or named after the pid, removed before the end, and only relations of ids,
 * keys and pids are printed, so the output is the same on every run. */
#include <errno.h>
#include <fcntl.h>
#include <mqueue.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define BAD ((void *)1)
/* <linux/membarrier.h>'s commands (musl's headers have no linux/). */
#define MEMBARRIER_CMD_QUERY 0
#define MEMBARRIER_CMD_GLOBAL 1
#define MEMBARRIER_CMD_GLOBAL_EXPEDITED 2
#define MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED 4
#define MEMBARRIER_CMD_PRIVATE_EXPEDITED 8
#define MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED 16
#define MEMBARRIER_CMD_PRIVATE_EXPEDITED_SYNC_CORE 32
#define MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED_SYNC_CORE 64
#define MEMBARRIER_CMD_GET_REGISTRATIONS 512
#define IPC_64_ 0x100
#define PG 4096

static char self[4096];

static const char *en(long r)
{
    if (r >= 0)
        return "ok";
    switch (errno) {
    case EINVAL: return "EINVAL";
    case EFAULT: return "EFAULT";
    case EACCES: return "EACCES";
    case EPERM: return "EPERM";
    case EAGAIN: return "EAGAIN";
    case ENOMSG: return "ENOMSG";
    case E2BIG: return "E2BIG";
    case EIDRM: return "EIDRM";
    case EFBIG: return "EFBIG";
    case ERANGE: return "ERANGE";
    case EBADF: return "EBADF";
    case EBUSY: return "EBUSY";
    case ENOENT: return "ENOENT";
    case EEXIST: return "EEXIST";
    case EMSGSIZE: return "EMSGSIZE";
    case ETIMEDOUT: return "ETIMEDOUT";
    case ENOMEM: return "ENOMEM";
    case ENOSYS: return "ENOSYS";
    case EINTR: return "EINTR";
    default: return "other";
    }
}

/* WHAT: ok or the errno's name (the value itself only where it is deterministic). */
static void say(const char *what, long r)
{
    printf("%s: %s\n", what, en(r));
}

static void sayv(const char *what, long r)
{
    if (r >= 0)
        printf("%s: %ld\n", what, r);
    else
        say(what, r);
}

static void sayp(const char *what, void *p)
{
    printf("%s: %s\n", what, p == (void *)-1 ? en(-1) : "ok");
}

static void wait_child(pid_t c, const char *what)
{
    int st;
    waitpid(c, &st, 0);
    printf("%s: status %d\n", what, WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
}

/* ---- SysV message queues ------------------------------------------------------------------ */

struct msg {
    long type;
    char text[64];
};

static void test_msg(void)
{
    int q = msgget(IPC_PRIVATE, 0600);
    say("msgget", q);
    struct msg m = {1, "hello"};
    say("msgsnd type 1", msgsnd(q, &m, 6, 0));
    m.type = 2;
    strcpy(m.text, "world!");
    say("msgsnd type 2", msgsnd(q, &m, 7, 0));
    struct msqid_ds ds;
    say("msgctl IPC_STAT", msgctl(q, IPC_STAT, &ds));
    printf("qnum %lu cbytes %lu mode %o lspid is me %d key private %d\n",
           (unsigned long)ds.msg_qnum, (unsigned long)ds.__msg_cbytes,
           (unsigned)ds.msg_perm.mode & 0777, ds.msg_lspid == getpid(), ds.msg_perm.__key == 0);
    memset(&m, 0, sizeof m);
    sayv("msgrcv type 2", msgrcv(q, &m, sizeof m.text, 2, 0));
    printf("got type %ld \"%s\"\n", m.type, m.text);
    say("msgrcv too small", msgrcv(q, &m, 3, 0, IPC_NOWAIT));
    memset(&m, 0, sizeof m);
    sayv("msgrcv MSG_NOERROR", msgrcv(q, &m, 3, 0, IPC_NOWAIT | MSG_NOERROR));
    printf("got type %ld \"%s\"\n", m.type, m.text);
    say("msgrcv empty", msgrcv(q, &m, sizeof m.text, 0, IPC_NOWAIT));
    say("msgsnd bad buffer", syscall(SYS_msgsnd, q, BAD, 6, 0));
    m.type = 0;
    say("msgsnd type 0", msgsnd(q, &m, 6, 0));
    m.type = 1;
    say("msgsnd over msgmax", syscall(SYS_msgsnd, q, &m, 1 << 30, 0));
    say("msgsnd negative size", syscall(SYS_msgsnd, q, &m, -1L, 0));
    say("msgsnd to a bad id", msgsnd(-1, &m, 6, 0));
    say("msgsnd again", msgsnd(q, &m, 6, 0));
    say("msgrcv into a bad buffer", syscall(SYS_msgrcv, q, BAD, 64, 0, IPC_NOWAIT));
    say("msgctl IPC_STAT", msgctl(q, IPC_STAT, &ds));
    printf("qnum after the bad receive %lu\n", (unsigned long)ds.msg_qnum);
    ds.msg_perm.mode = 0640;
    say("msgctl IPC_SET", msgctl(q, IPC_SET, &ds));
    msgctl(q, IPC_STAT, &ds);
    printf("mode now %o\n", (unsigned)ds.msg_perm.mode & 0777);
    say("msgctl IPC_SET bad buffer", syscall(SYS_msgctl, q, IPC_SET, BAD));
    say("msgctl IPC_STAT bad buffer", syscall(SYS_msgctl, q, IPC_STAT, BAD));
    say("msgctl IPC_STAT|IPC_64", syscall(SYS_msgctl, q, IPC_STAT | IPC_64_, &ds));
    say("msgctl unknown command", syscall(SYS_msgctl, q, 99, &ds));
    say("msgctl bad id", msgctl(-1, IPC_STAT, &ds));
    struct msginfo mi;
    say("msgctl IPC_INFO", msgctl(0, IPC_INFO, (struct msqid_ds *)&mi));
    say("msgctl MSG_INFO", msgctl(0, MSG_INFO, (struct msqid_ds *)&mi));
    say("msgctl IPC_INFO bad buffer", syscall(SYS_msgctl, 0, IPC_INFO, BAD));
    /* A receive that blocks until a child sends. */
    fflush(stdout);
    pid_t c = fork();
    if (c == 0) {
        usleep(50000);
        struct msg k = {7, "from the child"};
        _exit(msgsnd(q, &k, 15, 0) == 0 ? 0 : 1);
    }
    memset(&m, 0, sizeof m);
    sayv("msgrcv blocking", msgrcv(q, &m, sizeof m.text, 7, 0));
    printf("got type %ld \"%s\"\n", m.type, m.text);
    wait_child(c, "sender");
    say("msgctl IPC_RMID", msgctl(q, IPC_RMID, NULL));
    say("msgsnd after IPC_RMID", msgsnd(q, &m, 6, 0));
    say("msgctl IPC_RMID again", msgctl(q, IPC_RMID, NULL));
}

/* ---- SysV semaphores ---------------------------------------------------------------------- */

static void show_sems(int s, const char *what)
{
    unsigned short v[3] = {0};
    semctl(s, 0, GETALL, v);
    printf("%s: %u %u %u\n", what, v[0], v[1], v[2]);
}

static void test_sem(void)
{
    int s = semget(IPC_PRIVATE, 3, 0600);
    say("semget", s);
    unsigned short init[3] = {1, 2, 3};
    say("semctl SETALL", semctl(s, 0, SETALL, init));
    show_sems(s, "GETALL");
    sayv("semctl GETVAL 1", semctl(s, 1, GETVAL));
    say("semctl SETVAL 2 = 7", semctl(s, 2, SETVAL, 7));
    sayv("semctl GETVAL 2", semctl(s, 2, GETVAL));
    say("semctl SETVAL out of range", semctl(s, 2, SETVAL, 40000));
    struct sembuf op = {0, -1, 0};
    say("semop sem 0 -1", semop(s, &op, 1));
    printf("GETPID is me %d\n", semctl(s, 0, GETPID) == getpid());
    sayv("semctl GETNCNT", semctl(s, 0, GETNCNT));
    sayv("semctl GETZCNT", semctl(s, 0, GETZCNT));
    op.sem_flg = IPC_NOWAIT;
    say("semop would block", semop(s, &op, 1));
    struct timespec ts = {0, 20 * 1000 * 1000};
    op.sem_flg = 0;
    say("semtimedop times out", semtimedop(s, &op, 1, &ts));
    struct sembuf two[2] = {{1, -1, 0}, {2, 1, 0}};
    say("semop two at once", semop(s, two, 2));
    show_sems(s, "after");
    say("semop none", syscall(SYS_semop, s, two, 0));
    say("semop too many", syscall(SYS_semop, s, two, 0x7fffffff));
    say("semop count with high bits", syscall(SYS_semop, s, two, 0x100000000ULL | 1));
    say("semop bad array", syscall(SYS_semop, s, BAD, 1));
    say("semtimedop bad timeout", syscall(SYS_semtimedop, s, two, 1, BAD));
    struct sembuf far = {5, 1, 0};
    say("semop sem out of range", semop(s, &far, 1));
    say("semop bad id", semop(-1, two, 1));
    struct semid_ds ds;
    say("semctl IPC_STAT", semctl(s, 0, IPC_STAT, &ds));
    printf("nsems %lu mode %o\n", (unsigned long)ds.sem_nsems, (unsigned)ds.sem_perm.mode & 0777);
    ds.sem_perm.mode = 0640;
    say("semctl IPC_SET", semctl(s, 0, IPC_SET, &ds));
    semctl(s, 0, IPC_STAT, &ds);
    printf("mode now %o\n", (unsigned)ds.sem_perm.mode & 0777);
    struct seminfo si;
    say("semctl IPC_INFO", semctl(0, 0, IPC_INFO, &si));
    say("semctl SEM_INFO", semctl(0, 0, SEM_INFO, &si));
    say("semctl GETALL bad array", syscall(SYS_semctl, s, 0, GETALL, BAD));
    say("semctl SETALL bad array", syscall(SYS_semctl, s, 0, SETALL, BAD));
    say("semctl IPC_STAT bad buffer", syscall(SYS_semctl, s, 0, IPC_STAT, BAD));
    say("semctl IPC_STAT|IPC_64", syscall(SYS_semctl, s, 0, IPC_STAT | IPC_64_, &ds));
    say("semctl unknown command", syscall(SYS_semctl, s, 0, 99, &ds));
    say("semctl bad id", syscall(SYS_semctl, -1, 0, GETVAL, 0));
    /* SEM_UNDO: a child's adjustment is undone when it exits. */
    fflush(stdout);
    pid_t c = fork();
    if (c == 0) {
        struct sembuf up = {0, 5, SEM_UNDO};
        _exit(semop(s, &up, 1) == 0 && semctl(s, 0, GETVAL) == 5 ? 0 : 1);
    }
    wait_child(c, "SEM_UNDO child");
    sayv("semctl GETVAL 0 after it", semctl(s, 0, GETVAL));
    /* A wait that a child ends. */
    fflush(stdout);
    c = fork();
    if (c == 0) {
        usleep(50000);
        struct sembuf up = {0, 1, 0};
        _exit(semop(s, &up, 1) == 0 ? 0 : 1);
    }
    op = (struct sembuf){0, -1, 0};
    say("semop blocking", semop(s, &op, 1));
    wait_child(c, "poster");
    say("semctl IPC_RMID", semctl(s, 0, IPC_RMID));
    say("semop after IPC_RMID", semop(s, &op, 1));
}

/* ---- SysV shared memory ------------------------------------------------------------------- */

static unsigned long nattch(int id)
{
    struct shmid_ds ds;
    if (shmctl(id, IPC_STAT, &ds) < 0)
        return 999;
    return ds.shm_nattch;
}

/* The permissions of this process's SysV mappings in /proc/self/maps, sorted. */
static void show_maps(const char *what)
{
    FILE *f = fopen("/proc/self/maps", "r");
    char line[512], perms[8][8];
    int n = 0;
    while (f && fgets(line, sizeof line, f))
        if (strstr(line, "/SYSV") && n < 8)
            sscanf(line, "%*s %7s", perms[n++]);
    if (f)
        fclose(f);
    for (int i = 0; i < n; i++)
        for (int j = i + 1; j < n; j++)
            if (strcmp(perms[j], perms[i]) < 0) {
                char t[8];
                strcpy(t, perms[i]);
                strcpy(perms[i], perms[j]);
                strcpy(perms[j], t);
            }
    printf("%s: %d SysV mappings:", what, n);
    for (int i = 0; i < n; i++)
        printf(" %s", perms[i]);
    printf("\n");
}

/* A free page-aligned range of LEN bytes. */
static char *free_range(size_t len)
{
    char *p = mmap(NULL, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    munmap(p, len);
    return p;
}

static void test_shm(void)
{
    int id = shmget(IPC_PRIVATE, 10000, 0600);
    say("shmget 10000 bytes", id);
    struct shmid_ds ds;
    say("shmctl IPC_STAT", shmctl(id, IPC_STAT, &ds));
    printf("segsz %lu nattch %lu cpid is me %d mode %o\n", (unsigned long)ds.shm_segsz,
           (unsigned long)ds.shm_nattch, ds.shm_cpid == getpid(), (unsigned)ds.shm_perm.mode & 0777);
    char *a = shmat(id, NULL, 0);
    sayp("shmat", a);
    strcpy(a, "written through a");
    strcpy(a + 9990, "end");
    shmctl(id, IPC_STAT, &ds);
    printf("nattch %lu lpid is me %d\n", (unsigned long)ds.shm_nattch, ds.shm_lpid == getpid());
    char *b = shmat(id, NULL, SHM_RDONLY);
    sayp("shmat SHM_RDONLY", b);
    printf("b reads \"%s\" and \"%s\", nattch %lu\n", b, b + 9990, nattch(id));
    say("mprotect the read-only one writable", mprotect(b, PG, PROT_READ | PROT_WRITE));
    show_maps("maps");
    say("shmat over a without SHM_REMAP", (long)shmat(id, a, 0) == -1 ? -1 : 0);
    char *c = shmat(id, b, SHM_REMAP);
    printf("shmat SHM_REMAP over b: %s, at b %d, reads \"%s\", nattch %lu\n",
           c == (void *)-1 ? en(-1) : "ok", c == b, c, nattch(id));
    show_maps("maps");
    char *d = free_range(4 * PG);
    char *e = shmat(id, d + 123, SHM_RND);
    printf("shmat SHM_RND: %s, rounded down %d\n", e == (void *)-1 ? en(-1) : "ok", e == d);
    say("shmat misaligned", (long)shmat(id, d + 123, 0) == -1 ? -1 : 0);
    say("shmat SHM_REMAP without an address", (long)shmat(id, NULL, SHM_REMAP) == -1 ? -1 : 0);
    say("shmat bad id", (long)shmat(-1, NULL, 0) == -1 ? -1 : 0);
    say("shmat unknown id", (long)shmat(id ^ 0x40000000, NULL, 0) == -1 ? -1 : 0);
    printf("nattch %lu\n", nattch(id));
    /* Fragments: the first page unmapped, another made read-only (a split: Linux counts it),
     * then shmdt at the attachment's start finds the rest. */
    say("munmap the first page of e", munmap(e, PG));
    printf("nattch %lu\n", nattch(id));
    say("mprotect its third page", mprotect(e + 2 * PG, PG, PROT_READ));
    printf("nattch %lu\n", nattch(id));
    say("shmdt at its start", shmdt(e));
    printf("nattch %lu\n", nattch(id));
    say("shmdt there again", shmdt(e));
    say("shmdt misaligned", shmdt(a + 1));
    say("shmdt not attached", shmdt(d + PG));
    /* A fork's child has the attachments and shares the memory. */
    fflush(stdout);
    pid_t k = fork();
    if (k == 0) {
        printf("child: a reads \"%s\", nattch %lu\n", a, nattch(id));
        strcpy(a, "written by the child");
        fflush(stdout);
        _exit(0);
    }
    wait_child(k, "child");
    printf("parent: a reads \"%s\", nattch %lu\n", a, nattch(id));
    /* An exec drops them. */
    fflush(stdout);
    k = fork();
    if (k == 0) {
        char arg[32];
        snprintf(arg, sizeof arg, "%d", id);
        execl(self, "ipc16", "after-exec", arg, (char *)NULL);
        _exit(127);
    }
    wait_child(k, "exec'd child");
    printf("nattch %lu\n", nattch(id));
    say("shmctl IPC_STAT bad buffer", syscall(SYS_shmctl, id, IPC_STAT, BAD));
    say("shmctl IPC_STAT no buffer", syscall(SYS_shmctl, id, IPC_STAT, NULL));
    say("shmctl IPC_STAT|IPC_64", syscall(SYS_shmctl, id, IPC_STAT | IPC_64_, &ds));
    say("shmctl unknown command", syscall(SYS_shmctl, id, 99, &ds));
    say("shmctl bad id", shmctl(-1, IPC_STAT, &ds));
    struct shminfo info;
    say("shmctl IPC_INFO", shmctl(0, IPC_INFO, (struct shmid_ds *)&info));
    struct shm_info sinfo;
    say("shmctl SHM_INFO", shmctl(0, SHM_INFO, (struct shmid_ds *)&sinfo));
    say("shmctl SHM_INFO bad buffer", syscall(SYS_shmctl, 0, SHM_INFO, BAD));
    shmctl(id, IPC_STAT, &ds);
    ds.shm_perm.mode = 0700; /* SHM_EXEC below needs x, without capabilities */
    say("shmctl IPC_SET", shmctl(id, IPC_SET, &ds));
    shmctl(id, IPC_STAT, &ds);
    printf("mode now %o\n", (unsigned)ds.shm_perm.mode & 0777);
    say("shmctl IPC_SET bad buffer", syscall(SYS_shmctl, id, IPC_SET, BAD));
    /* Removed while attached: it stays until the last detach, and Linux still attaches it. */
    say("shmctl IPC_RMID", shmctl(id, IPC_RMID, NULL));
    shmctl(id, IPC_STAT, &ds);
    printf("marked for destruction %d, nattch %lu\n", (ds.shm_perm.mode & SHM_DEST) != 0,
           (unsigned long)ds.shm_nattch);
    char *f = shmat(id, NULL, SHM_RDONLY | SHM_EXEC);
    printf("shmat after IPC_RMID: %s, reads \"%s\"\n", f == (void *)-1 ? en(-1) : "ok",
           f == (void *)-1 ? "" : f);
    show_maps("maps");
    say("shmdt a", shmdt(a));
    say("shmdt c", shmdt(c));
    say("shmdt f", shmdt(f));
    say("shmctl IPC_STAT once detached", shmctl(id, IPC_STAT, &ds));
    show_maps("maps");
    /* A second segment, attached where a file mapping was, left attached at exit. */
    int id2 = shmget(IPC_PRIVATE, 2 * PG, 0600);
    char *g = mmap(NULL, 2 * PG, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    char *h = shmat(id2, g, SHM_REMAP);
    printf("shmat over a mapping: %s, at it %d\n", h == (void *)-1 ? en(-1) : "ok", h == g);
    fflush(stdout);
    k = fork();
    if (k == 0)
        _exit(nattch(id2) == 2 ? 0 : 1); /* exits attached */
    wait_child(k, "child exiting attached");
    printf("nattch %lu\n", nattch(id2));
    say("shmctl IPC_RMID", shmctl(id2, IPC_RMID, NULL));
    say("shmdt", shmdt(h));
}

static void after_exec(int id)
{
    printf("after exec: nattch %lu\n", nattch(id));
    long r = syscall(SYS_membarrier, MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0, 0);
    say("after exec: membarrier PRIVATE_EXPEDITED", r);
}

/* ---- POSIX message queues ----------------------------------------------------------------- */

static int notified_pipe[2];

static void on_notify(union sigval v)
{
    char c = (char)v.sival_int;
    write(notified_pipe[1], &c, 1);
}

static void test_mq(void)
{
    char name[64];
    snprintf(name, sizeof name, "/vj-ipc16-%d", (int)getpid());
    struct mq_attr at = {0, 4, 64, 0};
    mqd_t q = mq_open(name, O_CREAT | O_EXCL | O_RDWR, 0600, &at);
    say("mq_open O_CREAT", q);
    say("mq_open O_EXCL again", mq_open(name, O_CREAT | O_EXCL | O_RDWR, 0600, &at));
    say("mq_getattr", mq_getattr(q, &at));
    printf("maxmsg %ld msgsize %ld curmsgs %ld\n", at.mq_maxmsg, at.mq_msgsize, at.mq_curmsgs);
    say("mq_send prio 1", mq_send(q, "low", 4, 1));
    say("mq_send prio 5", mq_send(q, "high", 5, 5));
    char buf[64];
    unsigned prio = 0;
    sayv("mq_receive", mq_receive(q, buf, sizeof buf, &prio));
    printf("got \"%s\" prio %u\n", buf, prio);
    sayv("mq_receive", mq_receive(q, buf, sizeof buf, &prio));
    printf("got \"%s\" prio %u\n", buf, prio);
    struct timespec past = {1, 0};
    say("mq_timedreceive past deadline", mq_timedreceive(q, buf, sizeof buf, NULL, &past));
    struct mq_attr nb = {O_NONBLOCK, 0, 0, 0}, old;
    say("mq_setattr O_NONBLOCK", mq_setattr(q, &nb, &old));
    printf("old flags %ld\n", old.mq_flags);
    say("mq_receive empty", mq_receive(q, buf, sizeof buf, NULL));
    say("mq_send too long", mq_send(q, buf, 65, 0));
    say("mq_send bad prio", mq_send(q, buf, 1, 1u << 31));
    say("mq_receive too small", mq_receive(q, buf, 8, NULL));
    say("mq_send bad buffer", syscall(SYS_mq_timedsend, q, BAD, 4, 0, NULL));
    say("mq_send", mq_send(q, "x", 2, 0));
    say("mq_receive bad buffer", syscall(SYS_mq_timedreceive, q, BAD, 64, NULL, NULL));
    say("mq_send", mq_send(q, "y", 2, 0));
    say("mq_receive bad prio", syscall(SYS_mq_timedreceive, q, buf, 64, BAD, NULL));
    say("mq_send bad deadline", syscall(SYS_mq_timedsend, q, "x", 2, 0, BAD));
    say("mq_getsetattr bad", syscall(SYS_mq_getsetattr, q, BAD, NULL));
    say("mq_send bad descriptor", mq_send(999, "x", 2, 0));
    say("mq_open bad name", syscall(SYS_mq_open, BAD, O_RDWR, 0, NULL));
    say("mq_open bad attr", syscall(SYS_mq_open, name + 1, O_RDWR | O_CREAT, 0600, BAD));
    struct mq_attr zero = {0, 0, 64, 0};
    say("mq_open maxmsg 0", syscall(SYS_mq_open, "vj-ipc16-none", O_RDWR | O_CREAT, 0600, &zero));
    say("mq_open missing", syscall(SYS_mq_open, "vj-ipc16-none", O_RDWR, 0, NULL));
    say("mq_unlink missing", mq_unlink("/vj-ipc16-none"));
    nb.mq_flags = 0;
    mq_setattr(q, &nb, NULL);
    /* A signal when a message arrives on the empty queue: SI_MESGQ, the value given, the
     * sender's pid. */
    sigset_t usr1;
    sigemptyset(&usr1);
    sigaddset(&usr1, SIGUSR1);
    sigprocmask(SIG_BLOCK, &usr1, NULL);
    struct sigevent ev = {0};
    ev.sigev_notify = SIGEV_SIGNAL;
    ev.sigev_signo = SIGUSR1;
    ev.sigev_value.sival_int = 42;
    say("mq_notify SIGEV_SIGNAL", mq_notify(q, &ev));
    say("mq_notify again", mq_notify(q, &ev));
    fflush(stdout);
    pid_t k = fork();
    if (k == 0)
        _exit(mq_notify(q, &ev) < 0 && errno == EBUSY ? 0 : 1);
    wait_child(k, "child's mq_notify (EBUSY)");
    say("mq_send", mq_send(q, "ping", 5, 0));
    siginfo_t si;
    struct timespec wait = {5, 0};
    int s = sigtimedwait(&usr1, &si, &wait);
    printf("signal %s, SI_MESGQ %d, value %d, sender is me %d\n", s == SIGUSR1 ? "SIGUSR1" : en(s),
           si.si_code == SI_MESGQ, si.si_value.sival_int, si.si_pid == getpid());
    sayv("mq_receive", mq_receive(q, buf, sizeof buf, NULL));
    say("mq_notify after it fired", mq_notify(q, &ev));
    say("mq_notify NULL", mq_notify(q, NULL));
    say("mq_send", mq_send(q, "quiet", 6, 0));
    printf("no signal after NULL: %d\n", sigtimedwait(&usr1, &si, &(struct timespec){0, 50000000}) < 0);
    mq_receive(q, buf, sizeof buf, NULL);
    ev.sigev_signo = 0; /* Linux accepts it and sends nothing */
    say("mq_notify signal 0", mq_notify(q, &ev));
    mq_send(q, "zero", 5, 0);
    mq_receive(q, buf, sizeof buf, NULL);
    ev.sigev_signo = 100;
    say("mq_notify signal 100", mq_notify(q, &ev));
    ev.sigev_notify = 99;
    say("mq_notify bad kind", mq_notify(q, &ev));
    say("mq_notify bad sigevent", syscall(SYS_mq_notify, q, BAD));
    ev.sigev_notify = SIGEV_NONE;
    say("mq_notify SIGEV_NONE", mq_notify(q, &ev));
    say("mq_notify NULL", mq_notify(q, NULL));
    /* SIGEV_THREAD: the C library's thread, told through a netlink socket. */
    pipe(notified_pipe);
    ev = (struct sigevent){0};
    ev.sigev_notify = SIGEV_THREAD;
    ev.sigev_notify_function = on_notify;
    ev.sigev_value.sival_int = 'T';
    say("mq_notify SIGEV_THREAD", mq_notify(q, &ev));
    say("mq_send", mq_send(q, "thread", 7, 0));
    char c = 0;
    read(notified_pipe[0], &c, 1);
    printf("notified in a thread with '%c'\n", c);
    say("mq_close", mq_close(q));
    say("mq_unlink", mq_unlink(name));
    say("mq_open after unlink", syscall(SYS_mq_open, name + 1, O_RDWR, 0, NULL));
    sigprocmask(SIG_UNBLOCK, &usr1, NULL);
}

/* ---- membarrier --------------------------------------------------------------------------- */

static volatile int stop_spin;

static void *spin(void *arg)
{
    while (!stop_spin)
        ;
    return arg;
}

static long mb(int cmd, unsigned flags)
{
    return syscall(SYS_membarrier, cmd, flags, 0);
}

static void test_membarrier(void)
{
    long q = mb(MEMBARRIER_CMD_QUERY, 0);
    /* The commands vmjail serves (not the rseq ones, whose answers differ: no rseq there). */
    printf("membarrier QUERY: %s, commands %#lx\n", en(q), q < 0 ? 0 : q & 0x27f);
    say("membarrier PRIVATE_EXPEDITED unregistered", mb(MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0));
    say("membarrier REGISTER_PRIVATE_EXPEDITED", mb(MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED, 0));
    pthread_t t;
    pthread_create(&t, NULL, spin, NULL);
    say("membarrier PRIVATE_EXPEDITED", mb(MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0));
    if (q >= 0 && (q & MEMBARRIER_CMD_PRIVATE_EXPEDITED_SYNC_CORE)) {
        say("membarrier PRIVATE_EXPEDITED_SYNC_CORE unregistered",
            mb(MEMBARRIER_CMD_PRIVATE_EXPEDITED_SYNC_CORE, 0));
        say("membarrier REGISTER_PRIVATE_EXPEDITED_SYNC_CORE",
            mb(MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED_SYNC_CORE, 0));
        say("membarrier PRIVATE_EXPEDITED_SYNC_CORE", mb(MEMBARRIER_CMD_PRIVATE_EXPEDITED_SYNC_CORE, 0));
    }
    if (q >= 0 && (q & MEMBARRIER_CMD_GLOBAL))
        say("membarrier GLOBAL", mb(MEMBARRIER_CMD_GLOBAL, 0));
    say("membarrier REGISTER_GLOBAL_EXPEDITED", mb(MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED, 0));
    say("membarrier GLOBAL_EXPEDITED", mb(MEMBARRIER_CMD_GLOBAL_EXPEDITED, 0));
    stop_spin = 1;
    pthread_join(t, NULL);
    if (q >= 0 && (q & MEMBARRIER_CMD_GET_REGISTRATIONS))
        sayv("membarrier GET_REGISTRATIONS", mb(MEMBARRIER_CMD_GET_REGISTRATIONS, 0));
    say("membarrier bad flags", mb(MEMBARRIER_CMD_PRIVATE_EXPEDITED, 1));
    say("membarrier bad command", mb(3, 0));
    say("membarrier unknown command", mb(1 << 20, 0));
    fflush(stdout);
    pid_t k = fork();
    if (k == 0) /* registrations are inherited */
        _exit(mb(MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0) == 0 ? 0 : 1);
    wait_child(k, "child's PRIVATE_EXPEDITED");
}

int main(int argc, char **argv)
{
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n > 0)
        self[n] = '\0';
    if (argc == 3 && strcmp(argv[1], "after-exec") == 0) {
        after_exec(atoi(argv[2]));
        return 0;
    }
    setvbuf(stdout, NULL, _IOFBF, 1 << 16);
    test_msg();
    test_sem();
    test_shm();
    test_mq();
    test_membarrier();
    /* The exec'd child of test_shm, with membarrier registered in the parent first. */
    int id = shmget(IPC_PRIVATE, PG, 0600);
    fflush(stdout);
    pid_t k = fork();
    if (k == 0) {
        char arg[32];
        snprintf(arg, sizeof arg, "%d", id);
        execl(self, "ipc16", "after-exec", arg, (char *)NULL);
        _exit(127);
    }
    wait_child(k, "exec'd child");
    shmctl(id, IPC_RMID, NULL);
    return 0;
}
