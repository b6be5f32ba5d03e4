/* test_stack.c: unit tests of the initial stack builder (src/loader/stack.c). */
#include <elf.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "loader/stack.h"
#include "tap.h"

#define TOP 0x7ffffff000ULL
#define CANARY 0xcc
#define PAD 64 /* canary bytes on each side of the buffer */

/* A stack buffer standing for guest [top - size, top). */
struct img {
    uint8_t *buf;
    size_t size;
    uint64_t top;
};

static bool in_img(const struct img *m, uint64_t g, uint64_t len)
{
    uint64_t lo = m->top - m->size;
    return g >= lo && g <= m->top && len <= m->top - g;
}

/* The 64-bit word at guest address G; *BAD is set if it is outside the image. */
static uint64_t word(const struct img *m, uint64_t g, bool *bad)
{
    uint64_t v = 0;
    if (!in_img(m, g, 8)) {
        *bad = true;
        return 0;
    }
    memcpy(&v, m->buf + (g - (m->top - m->size)), 8);
    return v;
}

/* The NUL-terminated string at guest address G, or NULL if it is not inside the image. */
static const char *str(const struct img *m, uint64_t g)
{
    if (!in_img(m, g, 1))
        return NULL;
    const char *s = (const char *)m->buf + (g - (m->top - m->size));
    size_t room = m->top - g;
    return memchr(s, '\0', room) ? s : NULL;
}

static const struct vj_auxv extra_auxv[] = {
    {AT_PAGESZ, 4096}, {AT_PHDR, 0x400040}, {AT_PHNUM, 9}, {AT_ENTRY, 0x401000},
    {AT_UID, 1000},    {AT_HWCAP, 0x178bfbff},
};
#define NEXTRA (sizeof extra_auxv / sizeof extra_auxv[0])

static struct vj_stack_input input(char *const *argv, char *const *envp)
{
    struct vj_stack_input in = {
        .argv = argv,
        .envp = envp,
        .execfn = "/usr/bin/prog",
        .platform = "x86_64",
        .auxv = extra_auxv,
        .nauxv = NEXTRA,
    };
    for (int i = 0; i < 16; i++)
        in.random[i] = (uint8_t)(0xa0 + i);
    return in;
}

static size_t count(char *const *v)
{
    size_t n = 0;
    while (v && v[n])
        n++;
    return n;
}

/* Check everything about a built stack; returns true if all is right.  NAME labels the tests. */
static bool check_layout(const char *name, const struct img *m, const struct vj_stack_input *in,
                         const struct vj_stack_layout *lay)
{
    bool bad = false, all = true;
    size_t argc = count(in->argv), envc = count(in->envp);
#define CHECK(cond, what)                                                                  \
    do {                                                                                   \
        if (!(cond)) {                                                                     \
            printf("#   %s: %s\n", name, what);                                            \
            all = false;                                                                   \
        }                                                                                  \
    } while (0)

    CHECK(lay->sp % 16 == 0, "sp 16-byte aligned");
    CHECK(in_img(m, lay->sp, 8), "sp inside the buffer");
    CHECK(word(m, lay->sp, &bad) == argc, "argc at sp");
    CHECK(lay->argv == lay->sp + 8, "argv right after argc");
    CHECK(lay->envp == lay->argv + 8 * (argc + 1), "envp right after argv's NULL");
    CHECK(lay->auxv == lay->envp + 8 * (envc + 1), "auxv right after envp's NULL");
    CHECK(lay->auxv_len == 16 * (in->nauxv + 4), "auxv_len: given entries + 4 pairs");

    uint64_t ptr_end = lay->auxv + lay->auxv_len; /* strings and random bytes lie above */
    uint64_t prev_end = 0;
    for (size_t i = 0; i < argc; i++) {
        uint64_t g = word(m, lay->argv + 8 * i, &bad);
        const char *s = str(m, g);
        CHECK(s && strcmp(s, in->argv[i]) == 0, "argv[i] points at its string");
        CHECK(g >= ptr_end, "argv string above the pointer area");
        CHECK(i == 0 || g == prev_end, "argv strings contiguous, in order");
        prev_end = g + strlen(in->argv[i]) + 1;
    }
    CHECK(word(m, lay->argv + 8 * argc, &bad) == 0, "argv NULL-terminated");
    for (size_t i = 0; i < envc; i++) {
        uint64_t g = word(m, lay->envp + 8 * i, &bad);
        const char *s = str(m, g);
        CHECK(s && strcmp(s, in->envp[i]) == 0, "envp[i] points at its string");
        CHECK(g >= ptr_end, "envp string above the pointer area");
        CHECK((i == 0 && argc == 0) || g == prev_end,
              "envp strings contiguous, right after the argv strings");
        prev_end = g + strlen(in->envp[i]) + 1;
    }
    CHECK(word(m, lay->envp + 8 * envc, &bad) == 0, "envp NULL-terminated");

    size_t npairs = lay->auxv_len / 16;
    for (size_t i = 0; i < in->nauxv && i < npairs; i++) {
        CHECK(word(m, lay->auxv + 16 * i, &bad) == in->auxv[i].type, "given auxv type in order");
        CHECK(word(m, lay->auxv + 16 * i + 8, &bad) == in->auxv[i].value, "given auxv value");
    }
    int seen_random = 0, seen_execfn = 0, seen_platform = 0;
    for (size_t i = in->nauxv; i + 1 < npairs; i++) {
        uint64_t t = word(m, lay->auxv + 16 * i, &bad), v = word(m, lay->auxv + 16 * i + 8, &bad);
        if (t == AT_RANDOM) {
            seen_random++;
            CHECK(in_img(m, v, 16) && v >= ptr_end, "AT_RANDOM inside the image");
            CHECK(in_img(m, v, 16) &&
                      memcmp(m->buf + (v - (m->top - m->size)), in->random, 16) == 0,
                  "AT_RANDOM points at the 16 random bytes");
        } else if (t == AT_EXECFN) {
            seen_execfn++;
            const char *s = str(m, v);
            CHECK(s && strcmp(s, in->execfn) == 0, "AT_EXECFN points at execfn");
        } else if (t == AT_PLATFORM) {
            seen_platform++;
            const char *s = str(m, v);
            CHECK(s && strcmp(s, "x86_64") == 0, "AT_PLATFORM points at \"x86_64\"");
        } else {
            CHECK(false, "unexpected auxv entry added by the builder");
        }
    }
    CHECK(seen_random == 1, "one AT_RANDOM");
    CHECK(seen_execfn == 1, "one AT_EXECFN");
    CHECK(seen_platform == 1, "one AT_PLATFORM");
    CHECK(npairs >= 1 && word(m, lay->auxv + 16 * (npairs - 1), &bad) == AT_NULL &&
              word(m, lay->auxv + 16 * (npairs - 1) + 8, &bad) == 0,
          "AT_NULL, 0 last");
    CHECK(!bad, "every pointer read lies inside the buffer");
#undef CHECK
    return all;
}

/* Build IN into a fresh heap buffer of exactly SIZE bytes (ASan sees any overflow), with
 * canaries around it for the plain build.  Returns the builder's result; *INTACT says the
 * canaries and the part of the buffer below sp survived. */
static int build(size_t size, uint64_t top, const struct vj_stack_input *in,
                 struct vj_stack_layout *lay, struct img *m, bool *intact)
{
    uint8_t *block = malloc(size + 2 * PAD);
    memset(block, CANARY, size + 2 * PAD);
    m->buf = block + PAD;
    m->size = size;
    m->top = top;
    memset(lay, 0, sizeof *lay);
    int r = vj_stack_build(m->buf, size, top, in, lay);
    *intact = true;
    for (size_t i = 0; i < PAD; i++)
        if (block[i] != CANARY || block[PAD + size + i] != CANARY)
            *intact = false;
    return r;
}

static void release(struct img *m)
{
    free(m->buf - PAD);
    m->buf = NULL;
}

static void test_typical(void)
{
    char *argv[] = {"prog", "arg1", "a longer argument with spaces", "", NULL};
    char *envp[] = {"A=1", "PATH=/usr/bin:/bin", "EMPTY=", NULL};
    struct vj_stack_input in = input(argv, envp);
    struct vj_stack_layout lay;
    struct img m;
    bool intact;
    int r = build(65536, TOP, &in, &lay, &m, &intact);
    is_int(r, 0, "typical stack builds");
    ok(intact, "nothing written outside the buffer");
    ok(check_layout("typical", &m, &in, &lay), "typical: layout as Linux lays it out");
    is_int(lay.sp % 16, 0, "typical: sp 16-byte aligned");
    ok(lay.sp < TOP && lay.sp >= TOP - 65536, "typical: sp inside [top - size, top)");
    ok(TOP - lay.sp < 1024, "typical: the used part is at the end of the buffer");
    /* The unused part of the buffer (below sp) is left alone. */
    bool untouched = true;
    for (uint64_t g = TOP - 65536; g < lay.sp; g++)
        if (m.buf[g - (TOP - 65536)] != CANARY)
            untouched = false;
    ok(untouched, "typical: bytes below sp untouched");
    release(&m);
}

static void test_empty(void)
{
    char *none[] = {NULL};
    struct vj_stack_layout lay;
    struct img m;
    bool intact;

    struct vj_stack_input in = input(none, none);
    is_int(build(4096, TOP, &in, &lay, &m, &intact), 0, "empty argv and envp");
    ok(intact, "empty: nothing written outside the buffer");
    ok(check_layout("empty", &m, &in, &lay), "empty: argc 0, NULL, NULL, auxv");
    bool bad = false;
    is_int(word(&m, lay.sp, &bad), 0, "empty: argc is 0");
    release(&m);

    in = input(NULL, NULL);
    is_int(build(4096, TOP, &in, &lay, &m, &intact), 0, "NULL argv and envp");
    ok(check_layout("NULL vectors", &m, &in, &lay), "NULL vectors: laid out as empty ones");
    release(&m);

    char *argv[] = {"only-argv", NULL};
    in = input(argv, NULL);
    in.auxv = NULL;
    in.nauxv = 0;
    is_int(build(4096, TOP, &in, &lay, &m, &intact), 0, "no extra auxv entries");
    ok(check_layout("no extra auxv", &m, &in, &lay), "no extra auxv: the builder's four pairs");
    is_int(lay.auxv_len, 64, "no extra auxv: auxv_len is 4 pairs");
    release(&m);
}

static void test_alignment(void)
{
    /* Every parity of argc + envc and string lengths, and tops not 16-byte aligned. */
    static char *strs[] = {"a", "bb", "ccc", "dddd", "eeeee", "ffffff", "g", "hh", NULL};
    static const uint64_t tops[] = {TOP, TOP - 8, TOP - 1, TOP - 13};
    bool all = true, intact_all = true;
    for (int na = 0; na <= 4; na++)
        for (int ne = 0; ne <= 4; ne++)
            for (size_t t = 0; t < sizeof tops / sizeof tops[0]; t++) {
                char *argv[5] = {NULL}, *envp[5] = {NULL};
                for (int i = 0; i < na; i++)
                    argv[i] = strs[i];
                for (int i = 0; i < ne; i++)
                    envp[i] = strs[4 + i];
                struct vj_stack_input in = input(argv, envp);
                in.nauxv = (size_t)(na + ne) % (NEXTRA + 1);
                struct vj_stack_layout lay;
                struct img m;
                bool intact;
                char name[64];
                snprintf(name, sizeof name, "argc %d envc %d top-%llu", na, ne,
                         (unsigned long long)(TOP - tops[t]));
                if (build(4096, tops[t], &in, &lay, &m, &intact) != 0 ||
                    !check_layout(name, &m, &in, &lay))
                    all = false;
                if (!intact)
                    intact_all = false;
                release(&m);
            }
    ok(all, "sp aligned and layout right for every argc/envc parity and top alignment");
    ok(intact_all, "and nothing written outside the buffer");
}

static void test_too_big(void)
{
    /* A huge environment: 2000 strings of 199 characters into 64 KiB. */
    enum { N = 2000, LEN = 199 };
    char **envp = calloc(N + 1, sizeof *envp);
    char *strings = malloc((size_t)N * (LEN + 1));
    for (int i = 0; i < N; i++) {
        envp[i] = strings + (size_t)i * (LEN + 1);
        memset(envp[i], 'e', LEN);
        envp[i][LEN] = '\0';
    }
    char *argv[] = {"prog", NULL};
    struct vj_stack_input in = input(argv, envp);
    struct vj_stack_layout lay;
    struct img m;
    bool intact;
    is_int(build(65536, TOP, &in, &lay, &m, &intact), -E2BIG, "huge environment: -E2BIG");
    ok(intact, "huge environment: nothing written outside the buffer");
    release(&m);
    is_int(build(1 << 20, TOP, &in, &lay, &m, &intact), 0, "the same in 1 MiB fits");
    ok(intact && check_layout("huge env in 1 MiB", &m, &in, &lay), "and is laid out right");
    release(&m);

    /* Strings that fit but pointers that do not: 4000 empty arguments in 8 KiB. */
    char **many = calloc(4001, sizeof *many);
    for (int i = 0; i < 4000; i++)
        many[i] = "";
    in = input(many, NULL);
    is_int(build(8192, TOP, &in, &lay, &m, &intact), -E2BIG,
           "4000 empty arguments in 8 KiB (the pointers do not fit): -E2BIG");
    ok(intact, "pointer overflow: nothing written outside the buffer");
    release(&m);

    /* A single string larger than the buffer. */
    char *longarg = malloc(10000);
    memset(longarg, 'x', 9999);
    longarg[9999] = '\0';
    char *argv2[] = {longarg, NULL};
    in = input(argv2, NULL);
    is_int(build(8192, TOP, &in, &lay, &m, &intact), -E2BIG, "one 10000-byte argument in 8 KiB");
    ok(intact, "long argument: nothing written outside the buffer");
    release(&m);
    char *fn = longarg;
    in = input(argv, NULL);
    in.execfn = fn;
    is_int(build(8192, TOP, &in, &lay, &m, &intact), -E2BIG, "a 10000-byte execfn in 8 KiB");
    release(&m);

    in = input(argv, NULL);
    is_int(build(0, TOP, &in, &lay, &m, &intact), -E2BIG, "size 0: -E2BIG");
    ok(intact, "size 0: nothing written");
    release(&m);

    free(longarg);
    free(many);
    free(strings);
    free(envp);
}

/* True if a build of IN in SIZE bytes succeeds; *INTACT is cleared if it wrote outside. */
static bool fits(size_t size, uint64_t top, const struct vj_stack_input *in, bool *intact,
                 bool *clean_fail)
{
    struct vj_stack_layout lay;
    struct img m;
    bool ok_;
    int r = build(size, top, in, &lay, &m, &ok_);
    release(&m);
    if (!ok_)
        *intact = false;
    if (r != 0 && r != -E2BIG)
        *clean_fail = false;
    return r == 0;
}

/* In a child process (an ASan report or a crash there fails one test, not the file): build IN
 * at every size from 0 to MAX and check that none writes outside its buffer. */
static void sweep_in_child(const char *name, const struct vj_stack_input *in, uint64_t top,
                           size_t max)
{
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        int bad = 0;
        for (size_t s = 0; s <= max; s++) {
            bool intact = true, clean = true;
            fits(s, top, in, &intact, &clean);
            if (!intact && bad++ == 0)
                printf("#   %s: a build in %zu bytes (guest base %% 16 = %llu) wrote before or "
                       "after its buffer\n",
                       name, s, (unsigned long long)((top - s) % 16));
        }
        fflush(stdout);
        _exit(bad ? 1 : 0);
    }
    int st = 0;
    waitpid(pid, &st, 0);
    ok(WIFEXITED(st) && WEXITSTATUS(st) == 0,
       "%s: no size in [0, %zu] writes outside the buffer (child %s %d)",
       name, max, WIFEXITED(st) ? "exit" : "signal", WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
}

/* Find the smallest size that works for IN; check the size below fails cleanly and the
 * layout at the edge is the one of a roomy buffer. */
static void edge(const char *name, const struct vj_stack_input *in, uint64_t top)
{
    struct vj_stack_layout lay, roomy;
    struct img m;
    bool intact, all_intact = true, fail_ok = true;
    is_int(build(1 << 16, top, in, &roomy, &m, &intact), 0, "%s: builds in 64 KiB", name);
    release(&m);

    /* Search sizes that put the buffer's guest base on a 16-byte boundary first (as the
     * loader's buffers are), then the 15 sizes below the first that works. */
    size_t s = (size_t)(top % 16), aligned_min = 0, min = 0;
    for (; s <= (1 << 16); s += 16)
        if (fits(s, top, in, &all_intact, &fail_ok)) {
            aligned_min = s;
            break;
        }
    ok(aligned_min > 0, "%s: smallest size with an aligned base: %zu", name, aligned_min);
    for (s = aligned_min >= 15 ? aligned_min - 15 : 0; s <= aligned_min; s++)
        if (fits(s, top, in, &all_intact, &fail_ok)) {
            min = s;
            break;
        }
    ok(min > 0 && min <= aligned_min, "%s: smallest size %zu", name, min);
    ok(fail_ok, "%s: every smaller size tried gives -E2BIG", name);
    ok(all_intact, "%s: no smaller size tried writes outside its buffer", name);

    is_int(build(min, top, in, &lay, &m, &intact), 0, "%s: size %zu works", name, min);
    ok(intact, "%s: at the edge nothing is written outside the buffer", name);
    ok(check_layout(name, &m, in, &lay), "%s: at the edge the layout is right", name);
    ok(lay.sp == roomy.sp && lay.auxv == roomy.auxv && lay.argv == roomy.argv &&
           lay.envp == roomy.envp && lay.auxv_len == roomy.auxv_len,
       "%s: at the edge the layout is the one of a roomy buffer", name);
    ok(min >= top - lay.sp, "%s: size %zu holds [sp, top) = %llu bytes", name, min,
       (unsigned long long)(top - lay.sp));
    release(&m);

    is_int(build(min - 1, top, in, &lay, &m, &intact), -E2BIG, "%s: size %zu fails", name,
           min - 1);
    ok(intact, "%s: size-1 writes nothing outside the buffer", name);
    release(&m);

    /* Every size below the edge, buffers of any alignment. */
    sweep_in_child(name, in, top, min);
}

/* Regression test (the bug it reproduced was fixed in 6925cd5): the strings take exactly 74
 * bytes, so they end at the buffer's first byte; the guest base top - 74 is not 16-byte aligned, the alignment before the random
 * bytes moves the cursor 6 bytes below the buffer, and push() (pos - base wraps) writes the
 * 16 random bytes at buf - 6.  Run in a child: under ASan this is a heap-buffer-overflow. */
static void test_regression_unaligned_base(void)
{
    char *argv[] = {"prog", "arg1", "argument two", NULL}; /* 5 + 5 + 13 */
    char *envp[] = {"HOME=/root", "TERM=xterm", NULL};      /* 11 + 11 */
    struct vj_stack_input in = input(argv, envp);           /* "/usr/bin/prog": 14 */
    in.nauxv = 0;                                           /* + 8 zero + 7 "x86_64" = 74 */
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        struct vj_stack_layout lay;
        struct img m;
        bool intact;
        int r = build(74, TOP, &in, &lay, &m, &intact);
        if (r != -E2BIG || !intact)
            printf("#   vj_stack_build(buf, 74, %#llx, ...) = %d, canary before buf %s\n",
                   (unsigned long long)TOP, r, intact ? "intact" : "overwritten");
        fflush(stdout);
        _exit(r == -E2BIG && intact ? 0 : 1);
    }
    int st = 0;
    waitpid(pid, &st, 0);
    ok(WIFEXITED(st) && WEXITSTATUS(st) == 0,
       "stack_build_unaligned_base (regression, fixed in 6925cd5): size 74 gives -E2BIG "
       "without writing below buf (child %s %d)",
       WIFEXITED(st) ? "exit" : "signal", WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
}

static void test_edges(void)
{
    char *argv[] = {"prog", "arg1", "argument two", NULL};
    char *envp[] = {"HOME=/root", "TERM=xterm", NULL};
    struct vj_stack_input in = input(argv, envp);
    edge("typical", &in, TOP);
    edge("typical, top-8", &in, TOP - 8);

    char *none[] = {NULL};
    in = input(none, none);
    edge("empty", &in, TOP);

    char *argv3[] = {"p", NULL};
    in = input(argv3, envp);
    in.nauxv = 1;
    edge("argc 1, envc 2, 1 auxv", &in, TOP);

    char *big[65];
    static char buf[64][40];
    for (int i = 0; i < 64; i++) {
        snprintf(buf[i], sizeof buf[i], "VAR%d=%.*s", i, i % 30, "vvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvv");
        big[i] = buf[i];
    }
    big[64] = NULL;
    in = input(argv, big);
    edge("64 variables", &in, TOP);
}

int main(void)
{
    test_typical();
    test_empty();
    test_alignment();
    test_too_big();
    test_edges();
    test_regression_unaligned_base();
    return done_testing();
}
