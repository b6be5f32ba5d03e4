/* box_run.c: `vmjail box run`: a box made of an image of the store (its own copy of the
 * image's merged layers, its config's Entrypoint, Cmd, Env, WorkingDir and User), started
 * under its supervisor; attached (its output here, its exit status ours) or detached (-d). */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli/box.h"
#include "cli/cli.h"
#include "image/image.h"

static const char usage[] =
    "usage: vmjail box run [-d] [--name NAME] [--rm] [-i] [-t] [-e NAME=VALUE]... [-w DIR]\n"
    "                      [-u USER[:GROUP]] [--entrypoint PROG] [-v HOST:GUEST[:ro]]...\n"
    "                      [-p HOSTPORT:PORT[/udp]]... [-P] [--network MODE] IMAGE [CMD...]\n"
    "\n"
    "Runs IMAGE of the image store (vmjail pull, load) as a box: `vmjail run --root` on the\n"
    "box's own copy of the image's layers, with its config's Entrypoint and Cmd (CMD replaces\n"
    "Cmd), Env, WorkingDir and User, under a supervisor that keeps its output in the box's log\n"
    "and its exit status.  Attached (the default) its output is printed and its exit status is\n"
    "ours; -d prints the box's ID and returns.  The box stays (vmjail box ls -a, logs, rm)\n"
    "unless --rm.  -P publishes each of the config's ExposedPorts on a free host port.\n";

/* USER[:GROUP] as UID:GID, names looked up in the box's /etc/passwd and /etc/group. */
static int find_id(const char *root, const char *file, const char *name, long *id, long *gid)
{
    char *end;
    *id = strtol(name, &end, 10);
    if (*name && !*end)
        return 0;
    char path[4300], line[1024];
    snprintf(path, sizeof path, "%s/etc/%s", root, file);
    FILE *f = fopen(path, "re");
    size_t len = strlen(name);
    while (f && fgets(line, sizeof line, f)) {
        if (strncmp(line, name, len) != 0 || line[len] != ':')
            continue;
        char *p = strchr(line + len + 1, ':'); /* past the password */
        if (!p)
            break;
        *id = strtol(p + 1, &end, 10);
        if (gid && *end == ':')
            *gid = strtol(end + 1, NULL, 10);
        fclose(f);
        return 0;
    }
    if (f)
        fclose(f);
    return -1;
}

static int resolve_user(const char *root, const char *spec, char *out, size_t n)
{
    char user[256], *group;
    snprintf(user, sizeof user, "%s", spec);
    if ((group = strchr(user, ':')) != NULL)
        *group++ = '\0';
    long uid, gid = -1, g;
    if (find_id(root, "passwd", user, &uid, &gid) < 0) {
        cli_error("box run: no user '%s' in the image's /etc/passwd", user);
        return -1;
    }
    if (group && find_id(root, "group", group, &g, NULL) < 0) {
        cli_error("box run: no group '%s' in the image's /etc/group", group);
        return -1;
    }
    if (group)
        gid = g;
    snprintf(out, n, "%ld:%ld", uid, gid < 0 ? uid : gid);
    return 0;
}

static const char *const adjectives[] = {"brave", "calm", "eager", "fond", "gentle", "happy",
    "jolly", "keen", "lucid", "merry", "nimble", "proud", "quiet", "swift", "tidy", "witty"};
static const char *const nouns[] = {"otter", "heron", "lynx", "badger", "falcon", "marten",
    "newt", "puffin", "raven", "stoat", "tern", "vole", "wren", "yak", "zebu", "ibis"};

static bool name_taken(const char *dir, const char *name)
{
    struct box b;
    if (box_find(dir, name, &b, NULL) < 0)
        return false;
    bool taken = strcmp(b.id, name) == 0 || strcmp(b.name, name) == 0;
    box_free(&b);
    return taken;
}

/* The box's ID and name, its directory made (under boxes/.lock: names are unique). */
static int make_box(const char *dir, struct box *b, const char *name)
{
    char path[4300];
    snprintf(path, sizeof path, "%s/.lock", dir);
    int lk = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (lk < 0 || flock(lk, LOCK_EX) < 0) {
        cli_error("box run: %s: %s", path, strerror(errno));
        return -1;
    }
    unsigned char r[34];
    if (getrandom(r, sizeof r, 0) != (ssize_t)sizeof r) {
        cli_error("box run: getrandom: %s", strerror(errno));
        close(lk);
        return -1;
    }
    for (int i = 0; i < 32; i++)
        snprintf(b->id + 2 * i, 3, "%02x", r[i]);
    int rc = 0;
    if (name) {
        if (strlen(name) >= sizeof b->name || !strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", name[0]) ||
            strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") != strlen(name)) {
            cli_error("box run: '%s' is not a box name ([a-zA-Z0-9][a-zA-Z0-9_.-]*)", name);
            rc = -1;
        } else if (name_taken(dir, name)) {
            cli_error("box run: the name '%s' is taken (vmjail box rm %s)", name, name);
            rc = -1;
        } else {
            snprintf(b->name, sizeof b->name, "%s", name);
        }
    } else {
        for (int tries = 0; tries < 50; tries++) {
            snprintf(b->name, sizeof b->name, "%s_%s", adjectives[r[32] % 16], nouns[(r[32] / 16 + tries) % 16]);
            if (tries >= 16)
                snprintf(b->name + strlen(b->name), sizeof b->name - strlen(b->name), "%d", tries);
            if (!name_taken(dir, b->name))
                break;
        }
    }
    box_path(path, sizeof path, dir, b->id, "");
    if (rc == 0 && mkdir(path, 0700) < 0) {
        cli_error("box run: %s: %s", path, strerror(errno));
        rc = -1;
    }
    if (rc == 0 && box_save(dir, b, NULL) < 0) {
        cli_error("box run: cannot write the state of box %.12s", b->id);
        rc = -1;
    }
    close(lk);
    return rc;
}

static pid_t proxy_to;
static void proxy(int sig)
{
    if (proxy_to > 0)
        kill(proxy_to, sig);
}

/* A free port of the host (TCP or UDP), or 0. */
static int free_port(bool udp)
{
    int fd = socket(AF_INET, (udp ? SOCK_DGRAM : SOCK_STREAM) | SOCK_CLOEXEC, 0);
    struct sockaddr_in a = {.sin_family = AF_INET};
    socklen_t len = sizeof a;
    int port = 0;
    if (fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof a) == 0 &&
        getsockname(fd, (struct sockaddr *)&a, &len) == 0)
        port = ntohs(a.sin_port);
    if (fd >= 0)
        close(fd);
    return port;
}

/* The box's published ports, "HOSTPORT:PORT/tcp": -p's, then (-P) one per ExposedPorts key. */
static char **ports_of(const char **given, size_t n, char **exposed, bool all)
{
    size_t max = n + 1;
    for (size_t i = 0; all && exposed && exposed[i]; i++)
        max++;
    char **v = calloc(max, sizeof *v), buf[128];
    size_t k = 0;
    for (size_t i = 0; v && i < n; i++) {
        snprintf(buf, sizeof buf, "%s%s", given[i], strchr(given[i], '/') ? "" : "/tcp");
        v[k++] = strdup(buf);
    }
    for (size_t i = 0; v && all && exposed && exposed[i]; i++) {
        char *end;
        long port = strtol(exposed[i], &end, 10);
        bool udp = strcmp(end, "/udp") == 0;
        int host = free_port(udp);
        if (port <= 0 || port > 65535 || (*end && strcmp(end, "/tcp") != 0 && !udp) || host == 0)
            continue;
        snprintf(buf, sizeof buf, "%d:%ld/%s", host, port, udp ? "udp" : "tcp");
        v[k++] = strdup(buf);
    }
    return v;
}

struct run_opts {
    bool detach, rm, interactive, tty, publish_all;
    const char *name, *workdir, *entry, *user, *network;
    const char **envs, **vols, **ports;
    size_t nenv, nvol, nport;
};

static int on_run(int c, const char *arg, void *ctx)
{
    struct run_opts *o = ctx;
    switch (c) {
    case 'd': o->detach = true; break;
    case 'n': o->name = arg; break;
    case 'r': o->rm = true; break;
    case 'i': o->interactive = true; break;
    case 't': o->tty = true; break;
    case 'e': o->envs[o->nenv++] = arg; break;
    case 'w': o->workdir = arg; break;
    case 'u': o->user = arg; break;
    case 'E': o->entry = arg; break;
    case 'v': o->vols[o->nvol++] = arg; break;
    case 'p': o->ports[o->nport++] = arg; break;
    case 'N': o->network = arg; break;
    case 'P': o->publish_all = true; break;
    default: return -1;
    }
    return 0;
}

int box_cmd_run(int argc, char **argv)
{
    static const struct option longs[] = {
        {"detach", no_argument, NULL, 'd'},     {"name", required_argument, NULL, 'n'},
        {"rm", no_argument, NULL, 'r'},         {"interactive", no_argument, NULL, 'i'},
        {"tty", no_argument, NULL, 't'},        {"env", required_argument, NULL, 'e'},
        {"workdir", required_argument, NULL, 'w'}, {"user", required_argument, NULL, 'u'},
        {"entrypoint", required_argument, NULL, 'E'}, {"volume", required_argument, NULL, 'v'},
        {"publish", required_argument, NULL, 'p'}, {"network", required_argument, NULL, 'N'},
        {"publish-all", no_argument, NULL, 'P'},
        {"help", no_argument, NULL, 'h'},       {NULL, 0, NULL, 0},
    };
    struct run_opts o = {0};
    o.envs = calloc((size_t)argc + 1, sizeof *o.envs);
    o.vols = calloc((size_t)argc + 1, sizeof *o.vols);
    o.ports = calloc((size_t)argc + 1, sizeof *o.ports);
    int rc = EXIT_VMJAIL_ERROR;
    optind = cli_getopts(argc, argv, "+dite:w:u:v:p:Ph", longs, usage, on_run, &o);
    if (optind <= 0) {
        rc = optind < 0 ? EXIT_VMJAIL_ERROR : 0;
        goto out0;
    }
    if (optind >= argc) {
        cli_error("box run: an image expected (try 'vmjail box run --help')");
        goto out0;
    }
    if (o.tty && (o.detach || !isatty(0) || !isatty(1))) {
        cli_error("box run: -t needs a terminal on stdin and stdout, attached (not with -d)");
        goto out0;
    }
    char dir[4200];
    vmjail_error *err = NULL;
    if (box_dir(dir, sizeof dir, &err) < 0) {
        rc = cli_fail_container(err);
        goto out0;
    }
    const char *image = argv[optind];
    struct img_store *s;
    if ((rc = cli_store_open(true, &s)) != 0)
        goto out0;
    struct img_desc d;
    struct img_manifest m = {0};
    struct img_config cfg = {0};
    char *tree = NULL, copy[4300] = "";
    struct box b = {.exit_code = -1, .created = time(NULL), .rm = o.rm, .attached = !o.detach};
    snprintf(b.state, sizeof b.state, "created");
    snprintf(b.image, sizeof b.image, "%s", image);
    if (img_store_find(s, image, &d, &err) < 0 || img_store_unpack(s, &d, &tree, &err) < 0 ||
        img_store_image(s, &d, &m, &cfg, &err) < 0) {
        img_store_close(s);
        rc = cli_fail_container(err); /* 125: 126 and 127 are the program's, as podman's */
        goto out;
    }
    snprintf(b.image_id, sizeof b.image_id, "%.64s", m.config.digest + 7);
    img_manifest_free(&m);
    if (make_box(dir, &b, o.name) < 0) {
        img_store_close(s);
        rc = EXIT_VMJAIL_ERROR;
        goto out;
    }
    /* The box's root (an overlay of the tree, or a copy), made while the store is locked:
     * the tree is then marked as the box's (rmi keeps it); the run does not hold the lock. */
    bool overlaid;
    int trc = box_tree_make(dir, b.id, tree, &overlaid);
    img_store_close(s);
    if (trc != 0) {
        rc = EXIT_VMJAIL_ERROR;
        goto out_rm;
    }
    box_path(copy, sizeof copy, dir, b.id, "rootfs");
    char user[64] = "";
    const char *uspec = o.user ? o.user : cfg.user && cfg.user[0] ? cfg.user : NULL;
    if (uspec && resolve_user(copy, uspec, user, sizeof user) < 0) {
        rc = EXIT_VMJAIL_ERROR;
        goto out_rm;
    }
    /* vmjail run --root COPY --env ... --cwd W --user U --volume V --publish P -- ENTRY CMD */
    b.ports = ports_of(o.ports, o.nport, cfg.exposed, o.publish_all);
    size_t nports = 0;
    while (b.ports && b.ports[nports])
        nports++;
    size_t max = 24 + 2 * (o.nenv + o.nvol + nports) + (size_t)argc;
    for (size_t i = 0; cfg.env && cfg.env[i]; i++)
        max += 2;
    for (size_t i = 0; cfg.entrypoint && cfg.entrypoint[i]; i++)
        max++;
    for (size_t i = 0; cfg.cmd && cfg.cmd[i]; i++)
        max++;
    char **a = calloc(max, sizeof *a);
    size_t n = 0;
    a[n++] = "/proc/self/exe";
    a[n++] = "run";
    a[n++] = "--root";
    a[n++] = copy;
    for (size_t i = 0; cfg.env && cfg.env[i]; i++)
        a[n++] = "--env", a[n++] = cfg.env[i];
    for (size_t i = 0; i < o.nenv; i++)
        a[n++] = "--env", a[n++] = (char *)o.envs[i];
    const char *wd = o.workdir ? o.workdir : cfg.workdir && cfg.workdir[0] ? cfg.workdir : NULL;
    if (wd)
        a[n++] = "--cwd", a[n++] = (char *)wd;
    if (user[0])
        a[n++] = "--user", a[n++] = user;
    for (size_t i = 0; i < o.nvol; i++)
        a[n++] = "--volume", a[n++] = (char *)o.vols[i];
    if (o.network || nports)
        a[n++] = "--network", a[n++] = (char *)(o.network ? o.network : "nat");
    for (size_t i = 0; i < nports; i++) {
        char *tcp = strstr(b.ports[i], "/tcp"); /* vmjail run's --publish: TCP unless /udp */
        a[n++] = "--publish", a[n++] = strndup(b.ports[i], tcp ? (size_t)(tcp - b.ports[i]) : strlen(b.ports[i]));
    }
    a[n++] = "--";
    size_t first = n;
    if (o.entry)
        a[n++] = (char *)o.entry;
    else
        for (size_t i = 0; cfg.entrypoint && cfg.entrypoint[i]; i++)
            a[n++] = cfg.entrypoint[i];
    if (optind + 1 < argc)
        for (int i = optind + 1; i < argc; i++)
            a[n++] = argv[i];
    else
        for (size_t i = 0; cfg.cmd && cfg.cmd[i]; i++)
            a[n++] = cfg.cmd[i];
    if (n == first) {
        cli_error("box run: %s has no Entrypoint or Cmd, and no command was given", image);
        free(a);
        rc = EXIT_VMJAIL_ERROR;
        goto out_rm;
    }
    b.command = a + first; /* saved by the supervisor; not freed through b */
    int status_fd = -1;
    if (box_start(dir, &b, a, o.interactive, o.tty, o.detach ? NULL : &status_fd, &err) < 0) {
        b.command = NULL;
        free(a);
        rc = cli_fail_container(err);
        goto out_rm;
    }
    b.command = NULL;
    free(a);
    if (o.detach) {
        printf("%s\n", b.id);
        rc = 0;
        goto out;
    }
    /* Attached: signals go on to the payload, as podman's --sig-proxy. */
    proxy_to = b.pid;
    struct sigaction sa = {.sa_handler = proxy};
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    sigaction(SIGQUIT, &sa, NULL);
    unsigned char st[4];
    ssize_t got = 0, r;
    while (got < 4 && ((r = read(status_fd, st + got, (size_t)(4 - got))) > 0 || (r < 0 && errno == EINTR)))
        if (r > 0)
            got += r;
    close(status_fd);
    if (got == 4) {
        rc = st[0];
    } else {
        cli_error("box %.12s: its supervisor ended without its exit status", b.id);
        rc = EXIT_VMJAIL_ERROR;
    }
    goto out;
out_rm:
    if (b.id[0])
        box_remove(dir, b.id);
out:
    box_free(&b);
    img_config_free(&cfg);
    free(tree);
out0:
    free(o.envs);
    free(o.vols);
    free(o.ports);
    return rc;
}
