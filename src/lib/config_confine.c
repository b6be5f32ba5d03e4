/* config_confine.c: the confinement part of the run configuration (root, volumes, tmpfs,
 * network, ports, identity, hostname, limits): a sandbox's options, checked as they are set. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/config.h"
#include "lib/error.h"

static int nomem(vmjail_error **err)
{
    return vj_error(err, VMJAIL_ERR_INTERNAL, ENOMEM, "configuration");
}

/* An absolute path inside that is not the root itself. */
static int check_guest_path(const char *what, const char *path, vmjail_error **err)
{
    if (path == NULL || path[0] != '/' || path[1] == '\0')
        return vj_error(err, VMJAIL_ERR_USAGE, 0, "%s: '%s' is not an absolute path inside", what,
                        path ? path : "(null)");
    return 0;
}

/* Note WHAT as set (once its value is checked): the first such option is named if no root
 * comes. */
static int needs_root(vmjail_config *c, const char *what, vmjail_error **err)
{
    if (c == NULL)
        return vj_error(err, VMJAIL_ERR_USAGE, 0, "no configuration");
    if (c->confine.first == NULL)
        c->confine.first = what;
    return 0;
}

int vmjail_config_set_root(vmjail_config *c, const char *dir, vmjail_error **err)
{
    if (c == NULL)
        return vj_error(err, VMJAIL_ERR_USAGE, 0, "no configuration");
    if (dir != NULL && dir[0] == '\0')
        return vj_error(err, VMJAIL_ERR_USAGE, 0, "root: an empty path");
    char *copy = NULL;
    if (dir && (copy = strdup(dir)) == NULL)
        return nomem(err);
    free(c->confine.root);
    c->confine.root = copy;
    return 0;
}

int vmjail_config_add_volume(vmjail_config *c, const char *host, const char *guest, int ro,
                             vmjail_error **err)
{
    if (check_guest_path("volume", guest, err) < 0)
        return -1;
    if (host == NULL || host[0] == '\0')
        return vj_error(err, VMJAIL_ERR_USAGE, 0, "volume: no host path for %s", guest);
    if (needs_root(c, "volume", err) < 0)
        return -1;
    struct vj_volume *v = realloc(c->confine.volumes, (c->confine.n_volumes + 1) * sizeof *v);
    if (v == NULL)
        return nomem(err);
    c->confine.volumes = v;
    struct vj_volume *n = &v[c->confine.n_volumes];
    n->host = strdup(host);
    n->guest = strdup(guest);
    n->read_only = ro != 0;
    if (n->host == NULL || n->guest == NULL) {
        free(n->host);
        free(n->guest);
        return nomem(err);
    }
    c->confine.n_volumes++;
    return 0;
}

int vmjail_config_add_tmpfs(vmjail_config *c, const char *guest, vmjail_error **err)
{
    if (check_guest_path("tmpfs", guest, err) < 0 || needs_root(c, "tmpfs", err) < 0)
        return -1;
    char **t = realloc(c->confine.tmpfs, (c->confine.n_tmpfs + 1) * sizeof *t);
    if (t == NULL)
        return nomem(err);
    c->confine.tmpfs = t;
    if ((t[c->confine.n_tmpfs] = strdup(guest)) == NULL)
        return nomem(err);
    c->confine.n_tmpfs++;
    return 0;
}

int vmjail_config_set_read_only(vmjail_config *c, int on, vmjail_error **err)
{
    if (needs_root(c, "read-only", err) < 0)
        return -1;
    c->confine.read_only = on != 0;
    return 0;
}

int vmjail_config_set_network(vmjail_config *c, int network, vmjail_error **err)
{
    if (network != VMJAIL_NETWORK_NONE && network != VMJAIL_NETWORK_HOST &&
        network != VMJAIL_NETWORK_NAT)
        return vj_error(err, VMJAIL_ERR_USAGE, EINVAL, "network: unknown kind %d", network);
    if (needs_root(c, "network", err) < 0)
        return -1;
    c->confine.network = network;
    return 0;
}

int vmjail_config_add_port(vmjail_config *c, unsigned host, unsigned guest, int udp,
                           vmjail_error **err)
{
    if (host == 0 || host > 65535 || guest == 0 || guest > 65535)
        return vj_error(err, VMJAIL_ERR_USAGE, 0, "publish: ports %u:%u are not 1 to 65535",
                        host, guest);
    if (needs_root(c, "publish", err) < 0)
        return -1;
    struct vj_port *p = realloc(c->confine.ports, (c->confine.n_ports + 1) * sizeof *p);
    if (p == NULL)
        return nomem(err);
    c->confine.ports = p;
    p[c->confine.n_ports++] = (struct vj_port){(uint16_t)host, (uint16_t)guest, udp != 0};
    return 0;
}

int vmjail_config_set_user(vmjail_config *c, uint32_t uid, uint32_t gid, vmjail_error **err)
{
    if (uid == UINT32_MAX || gid == UINT32_MAX)
        return vj_error(err, VMJAIL_ERR_USAGE, 0, "user: %u:%u is not an identity", uid, gid);
    if (needs_root(c, "user", err) < 0)
        return -1;
    c->confine.uid = uid;
    c->confine.gid = gid;
    return 0;
}

int vmjail_config_set_hostname(vmjail_config *c, const char *name, vmjail_error **err)
{
    size_t n = name ? strlen(name) : 0;
    if (n == 0 || n > 64 || strchr(name, '/'))
        return vj_error(err, VMJAIL_ERR_USAGE, 0, "hostname: '%s' is not 1 to 64 characters "
                        "without '/'", name ? name : "(null)");
    if (needs_root(c, "hostname", err) < 0)
        return -1;
    char *copy = strdup(name);
    if (copy == NULL)
        return nomem(err);
    free(c->confine.hostname);
    c->confine.hostname = copy;
    return 0;
}

int vmjail_config_set_pids_limit(vmjail_config *c, int64_t max, vmjail_error **err)
{
    if (max < 0)
        return vj_error(err, VMJAIL_ERR_USAGE, 0, "pids: %lld is not a count", (long long)max);
    if (needs_root(c, "pids", err) < 0)
        return -1;
    c->confine.pids = max;
    return 0;
}

int vmjail_config_set_cpus(vmjail_config *c, double cpus, vmjail_error **err)
{
    if (!(cpus >= 0 && cpus <= 4096))
        return vj_error(err, VMJAIL_ERR_USAGE, 0, "cpus: %g is not 0 to 4096", cpus);
    if (needs_root(c, "cpus", err) < 0)
        return -1;
    c->confine.cpus = cpus;
    return 0;
}

void vj_confine_free(struct vj_confine *c)
{
    free(c->root);
    for (size_t i = 0; i < c->n_volumes; i++) {
        free(c->volumes[i].host);
        free(c->volumes[i].guest);
    }
    free(c->volumes);
    for (size_t i = 0; i < c->n_tmpfs; i++)
        free(c->tmpfs[i]);
    free(c->tmpfs);
    free(c->ports);
    free(c->hostname);
    memset(c, 0, sizeof *c);
}

static char *dup_or_null(const char *s, bool *failed)
{
    char *d = s ? strdup(s) : NULL;
    if (s && d == NULL)
        *failed = true;
    return d;
}

int vj_confine_copy(struct vj_confine *to, const struct vj_confine *from)
{
    bool failed = false;
    *to = *from;
    to->root = dup_or_null(from->root, &failed);
    to->hostname = dup_or_null(from->hostname, &failed);
    to->volumes = calloc(from->n_volumes + 1, sizeof *to->volumes);
    to->tmpfs = calloc(from->n_tmpfs + 1, sizeof *to->tmpfs);
    to->ports = calloc(from->n_ports + 1, sizeof *to->ports);
    if (to->volumes == NULL || to->tmpfs == NULL || to->ports == NULL) {
        to->n_volumes = to->n_tmpfs = 0;
        failed = true;
    }
    for (size_t i = 0; !failed && i < from->n_volumes; i++) {
        to->volumes[i].host = dup_or_null(from->volumes[i].host, &failed);
        to->volumes[i].guest = dup_or_null(from->volumes[i].guest, &failed);
        to->volumes[i].read_only = from->volumes[i].read_only;
    }
    for (size_t i = 0; !failed && i < from->n_tmpfs; i++)
        to->tmpfs[i] = dup_or_null(from->tmpfs[i], &failed);
    if (to->ports && from->n_ports)
        memcpy(to->ports, from->ports, from->n_ports * sizeof *to->ports);
    if (failed) {
        vj_confine_free(to);
        return -1;
    }
    return 0;
}
