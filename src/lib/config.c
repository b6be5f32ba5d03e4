/* config.c: the run configuration handle of the public API (vmjail_config). */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>

#include "lib/config.h"
#include "lib/error.h"
#include "host/vm.h"
#include "vmjail_abi.h"

#define DEFAULT_MEMORY (1ULL << 30)
#define MIN_MEMORY (16ULL << 20)

static int nomem(vmjail_error **err)
{
    return vj_error(err, VMJAIL_ERR_INTERNAL, ENOMEM, "configuration");
}

static void free_strv(char **v)
{
    for (size_t i = 0; v && v[i]; i++)
        free(v[i]);
    free(v);
}

static char **dup_strv(char *const *v, size_t n)
{
    char **d = calloc(n + 1, sizeof *d);
    for (size_t i = 0; d && i < n; i++)
        if ((d[i] = strdup(v[i])) == NULL) {
            free_strv(d);
            return NULL;
        }
    return d;
}

vmjail_config *vmjail_config_new(vmjail_error **err)
{
    vmjail_config *c = calloc(1, sizeof *c);
    if (c == NULL || (c->envp = calloc(1, sizeof *c->envp)) == NULL) {
        free(c);
        nomem(err);
        return NULL;
    }
    c->memory = DEFAULT_MEMORY;
    c->trace_fd = -1;
    c->platform = VMJAIL_PLATFORM_AUTO;
    return c;
}

void vmjail_config_free(vmjail_config *c)
{
    if (c == NULL)
        return;
    free(c->program);
    free_strv(c->argv);
    free_strv(c->envp);
    free(c->cwd);
    free(c->host_cache);
    free(c->core_path);
    free(c->snap_file);
    free(c->restore_file);
    free(c->gdb);
    vj_confine_free(&c->confine);
    free(c);
}

static size_t strv_len(char *const *v)
{
    size_t n = 0;
    while (v && v[n])
        n++;
    return n;
}

struct vmjail_config *vj_config_copy(const struct vmjail_config *c)
{
    struct vmjail_config *d = calloc(1, sizeof *d);
    if (d == NULL)
        return NULL;
    *d = *c;
    d->program = NULL;
    d->argv = d->envp = NULL;
    d->cwd = d->host_cache = d->core_path = d->snap_file = d->restore_file = d->gdb = NULL;
    memset(&d->confine, 0, sizeof d->confine);
    bool ok = (c->program == NULL || (d->program = strdup(c->program)) != NULL) &&
              (c->argv == NULL || (d->argv = dup_strv(c->argv, strv_len(c->argv))) != NULL) &&
              (d->envp = dup_strv(c->envp, strv_len(c->envp))) != NULL &&
              (c->cwd == NULL || (d->cwd = strdup(c->cwd)) != NULL) &&
              (c->host_cache == NULL || (d->host_cache = strdup(c->host_cache)) != NULL) &&
              (c->core_path == NULL || (d->core_path = strdup(c->core_path)) != NULL) &&
              (c->snap_file == NULL || (d->snap_file = strdup(c->snap_file)) != NULL) &&
              (c->restore_file == NULL || (d->restore_file = strdup(c->restore_file)) != NULL) &&
              (c->gdb == NULL || (d->gdb = strdup(c->gdb)) != NULL) &&
              vj_confine_copy(&d->confine, &c->confine) == 0;
    if (!ok) {
        vmjail_config_free(d);
        return NULL;
    }
    return d;
}

int vmjail_config_set_program(vmjail_config *c, const char *program, int argc,
                              char *const argv[], vmjail_error **err)
{
    if (program == NULL || argc < 1 || argv == NULL)
        return vj_error(err, VMJAIL_ERR_USAGE, 0, "no program given");
    char *p = strdup(program);
    char **v = dup_strv(argv, (size_t)argc);
    if (p == NULL || v == NULL) {
        free(p);
        free_strv(v);
        return nomem(err);
    }
    free(c->program);
    free_strv(c->argv);
    c->program = p;
    c->argv = v;
    return 0;
}

int vmjail_config_set_memory(vmjail_config *c, uint64_t bytes, vmjail_error **err)
{
    if (bytes < MIN_MEMORY || bytes > VJ_GUEST_MAX_MEMORY || bytes % VJ_HUGE_PAGE_SIZE)
        return vj_error(err, VMJAIL_ERR_USAGE, 0,
                        "memory size must be a multiple of 2 MiB from 16 MiB to 256 GiB");
    c->memory = bytes;
    return 0;
}

int vmjail_config_set_env(vmjail_config *c, char *const envp[], vmjail_error **err)
{
    size_t n = 0;
    while (envp && envp[n])
        n++;
    char **v = dup_strv(envp, n);
    if (v == NULL)
        return nomem(err);
    free_strv(c->envp);
    c->envp = v;
    return 0;
}

int vmjail_config_add_env(vmjail_config *c, const char *nv, vmjail_error **err)
{
    const char *eq = strchr(nv, '=');
    if (eq == NULL || eq == nv)
        return vj_error(err, VMJAIL_ERR_USAGE, 0, "environment entry '%s' is not NAME=VALUE", nv);
    size_t klen = (size_t)(eq - nv) + 1, n = 0;
    char *copy = strdup(nv);
    if (copy == NULL)
        return nomem(err);
    for (n = 0; c->envp[n]; n++)
        if (strncmp(c->envp[n], nv, klen) == 0) {
            free(c->envp[n]);
            c->envp[n] = copy;
            return 0;
        }
    char **v = realloc(c->envp, (n + 2) * sizeof *v);
    if (v == NULL) {
        free(copy);
        return nomem(err);
    }
    v[n] = copy;
    v[n + 1] = NULL;
    c->envp = v;
    return 0;
}

int vmjail_config_set_cwd(vmjail_config *c, const char *dir, vmjail_error **err)
{
    char *d = strdup(dir);
    if (d == NULL)
        return nomem(err);
    free(c->cwd);
    c->cwd = d;
    return 0;
}

int vmjail_config_set_trace_fd(vmjail_config *c, int fd, vmjail_error **err)
{
    if (fd < -1)
        return vj_error(err, VMJAIL_ERR_USAGE, 0, "bad trace descriptor %d", fd);
    c->trace_fd = fd;
    return 0;
}

int vmjail_config_keep_fd(vmjail_config *c, int fd, vmjail_error **err)
{
    if (c == NULL)
        return vj_error(err, VMJAIL_ERR_USAGE, 0, "no configuration");
    if (fd < 0 || fcntl(fd, F_GETFD) < 0)
        return vj_error(err, VMJAIL_ERR_USAGE, EBADF, "keep descriptor %d", fd);
    if (c->n_kept_fds == (int)(sizeof c->kept_fds / sizeof c->kept_fds[0]))
        return vj_error(err, VMJAIL_ERR_USAGE, 0, "keep descriptor %d: more than %d", fd,
                        c->n_kept_fds);
    c->kept_fds[c->n_kept_fds++] = fd;
    return 0;
}

int vmjail_config_set_seccomp(vmjail_config *c, int on, vmjail_error **err)
{
    if (c == NULL)
        return vj_error(err, VMJAIL_ERR_USAGE, 0, "no configuration");
    c->seccomp = on != 0;
    return 0;
}

int vmjail_config_set_host_cache(vmjail_config *c, const char *dir, vmjail_error **err)
{
    if (c == NULL)
        return vj_error(err, VMJAIL_ERR_USAGE, 0, "no configuration");
    char *copy = NULL;
    if (dir && (copy = strdup(dir)) == NULL)
        return vj_error(err, VMJAIL_ERR_INTERNAL, ENOMEM, "host cache directory");
    free(c->host_cache);
    c->host_cache = copy;
    return 0;
}

int vmjail_config_set_core_dump(vmjail_config *c, const char *path, vmjail_error **err)
{
    if (c == NULL)
        return vj_error(err, VMJAIL_ERR_USAGE, 0, "no configuration");
    if (path != NULL && path[0] == '\0')
        return vj_error(err, VMJAIL_ERR_USAGE, 0, "--core-dump: an empty path");
    char *copy = NULL;
    if (path && (copy = strdup(path)) == NULL)
        return vj_error(err, VMJAIL_ERR_INTERNAL, ENOMEM, "core dump path");
    free(c->core_path);
    c->core_path = copy;
    return 0;
}

int vmjail_config_set_gdb_listen(vmjail_config *c, const char *hostport, vmjail_error **err)
{
    int r = vmjail_config_set_gdb(c, hostport, err);
    if (r == 0)
        c->gdb_listen = hostport != NULL;
    return r;
}

int vmjail_config_set_gdb(vmjail_config *c, const char *hostport, vmjail_error **err)
{
    if (c == NULL)
        return vj_error(err, VMJAIL_ERR_USAGE, 0, "no configuration");
    if (hostport != NULL && strchr(hostport, ':') == NULL)
        return vj_error(err, VMJAIL_ERR_USAGE, 0, "--gdb: '%s' is not HOST:PORT", hostport);
    char *copy = NULL;
    if (hostport && (copy = strdup(hostport)) == NULL)
        return vj_error(err, VMJAIL_ERR_INTERNAL, ENOMEM, "--gdb");
    free(c->gdb);
    c->gdb = copy;
    c->gdb_listen = false;
    return 0;
}

int vmjail_config_set_exit_after_run(vmjail_config *c, int on, vmjail_error **err)
{
    if (c == NULL)
        return vj_error(err, VMJAIL_ERR_USAGE, 0, "no configuration");
    c->exit_after_run = on != 0;
    return 0;
}

int vmjail_config_set_proctitle(vmjail_config *c, int on, vmjail_error **err)
{
    if (c == NULL)
        return vj_error(err, VMJAIL_ERR_USAGE, 0, "no configuration");
    c->proctitle = on != 0;
    return 0;
}

int vmjail_config_set_syscall_path(vmjail_config *c, int path, vmjail_error **err)
{
    if (c == NULL)
        return vj_error(err, VMJAIL_ERR_USAGE, 0, "no configuration");
    if (path != VMJAIL_SYSCALL_PATH_AUTO && path != VMJAIL_SYSCALL_PATH_EXIT &&
        path != VMJAIL_SYSCALL_PATH_POLL)
        return vj_error(err, VMJAIL_ERR_USAGE, EINVAL, "unknown syscall path %d", path);
    c->syscall_path = path;
    return 0;
}

int vmjail_platform_usable(int platform, vmjail_error **err)
{
    return vj_vm_platform_usable(platform, err);
}

/* Named values (the syscall paths, the platforms): NAMES[i] names value i. */
#define N_NAMES(names) ((int)(sizeof(names) / sizeof(names)[0]))

/* The value NAME names among the N NAMES, or -1. */
static int value_named(const char *const *names, int n, const char *name)
{
    for (int i = 0; name && i < n; i++)
        if (strcmp(name, names[i]) == 0)
            return i;
    return -1;
}

/* The name of VALUE among the N NAMES, or "auto" for one out of range. */
static const char *name_of(const char *const *names, int n, int value)
{
    return value >= 0 && value < n ? names[value] : "auto";
}

static const char *const syscall_path_names[] = {[VMJAIL_SYSCALL_PATH_AUTO] = "auto",
                                                  [VMJAIL_SYSCALL_PATH_EXIT] = "exit",
                                                  [VMJAIL_SYSCALL_PATH_POLL] = "poll"};
static const char *const platform_names[] = {[VMJAIL_PLATFORM_KVM] = "kvm",
                                              [VMJAIL_PLATFORM_PROCESS] = "process",
                                              [VMJAIL_PLATFORM_AUTO] = "auto"};

int vmjail_syscall_path_by_name(const char *name)
{
    return value_named(syscall_path_names, N_NAMES(syscall_path_names), name);
}

const char *vj_syscall_path_name(int path)
{
    return name_of(syscall_path_names, N_NAMES(syscall_path_names), path);
}

int vmjail_platform_by_name(const char *name)
{
    return value_named(platform_names, N_NAMES(platform_names), name);
}

const char *vj_platform_name(int platform)
{
    return name_of(platform_names, N_NAMES(platform_names), platform);
}

int vmjail_config_set_platform(vmjail_config *c, int platform, vmjail_error **err)
{
    if (c == NULL)
        return vj_error(err, VMJAIL_ERR_USAGE, 0, "no configuration");
    if (platform != VMJAIL_PLATFORM_KVM && platform != VMJAIL_PLATFORM_PROCESS &&
        platform != VMJAIL_PLATFORM_AUTO)
        return vj_error(err, VMJAIL_ERR_USAGE, EINVAL, "unknown platform %d", platform);
    c->platform = platform;
    return 0;
}
