/* test_oci.c: unit tests of the OCI runtime's pure parts: config.json parsing (good, partial
 * and hostile documents), mount options, container ids and state status names. */
#include <sched.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <unistd.h>

#include "oci/oci.h"
#include "tap.h"

static struct oci_spec *parse(const char *json, vmjail_error **err)
{
    struct oci_spec *s = NULL;
    if (oci_spec_parse(json, "/bundle", &s, err) < 0)
        return NULL;
    return s;
}

/* The document must be refused with a message containing WANT. */
static void refused(const char *json, const char *want, const char *what)
{
    vmjail_error *err = NULL;
    struct oci_spec *s = parse(json, &err);
    ok(s == NULL && err && strstr(vmjail_error_message(err), want), "refused: %s (%s)", what,
       err ? vmjail_error_message(err) : "accepted");
    oci_spec_free(s);
    vmjail_error_free(err);
}

static void test_full(void)
{
    const char *json =
        "{\"ociVersion\":\"1.0.2\",\"process\":{\"terminal\":true,\"consoleSize\":{\"height\":"
        "24,\"width\":80},\"user\":{\"uid\":1000,\"gid\":100,\"additionalGids\":[5,6],\"umask\":"
        "18},\"args\":[\"sh\",\"-c\",\"x\"],\"env\":[\"PATH=/bin\",\"A=b\"],\"cwd\":\"/tmp\","
        "\"capabilities\":{\"bounding\":[\"CAP_KILL\",\"CAP_CHOWN\",\"CAP_NOT_A_CAP\"],"
        "\"effective\":[\"CAP_KILL\"]},\"rlimits\":[{\"type\":\"RLIMIT_NOFILE\",\"hard\":1024,"
        "\"soft\":512}],\"noNewPrivileges\":true,\"oomScoreAdj\":-5},\"root\":{\"path\":"
        "\"rootfs\",\"readonly\":true},\"hostname\":\"h\",\"mounts\":[{\"destination\":\"/proc\","
        "\"type\":\"proc\",\"source\":\"proc\"},{\"destination\":\"/dev\",\"type\":\"tmpfs\","
        "\"source\":\"tmpfs\",\"options\":[\"nosuid\",\"mode=755\",\"size=65536k\"]}],"
        "\"hooks\":{\"prestart\":[{\"path\":\"/bin/true\",\"args\":[\"true\"],\"timeout\":3}],"
        "\"poststop\":[{\"path\":\"/bin/false\"}]},\"annotations\":{\"a\":\"1\",\"b\":\"2\"},"
        "\"linux\":{\"namespaces\":[{\"type\":\"pid\"},{\"type\":\"mount\"},{\"type\":\"network\","
        "\"path\":\"/var/run/netns/x\"},{\"type\":\"user\"}],\"uidMappings\":[{\"containerID\":0,"
        "\"hostID\":100000,\"size\":65536}],\"resources\":{\"memory\":{\"limit\":67108864},"
        "\"cpu\":{\"shares\":512,\"quota\":50000,\"period\":100000},\"pids\":{\"limit\":64},"
        "\"devices\":[{\"allow\":false,\"access\":\"rwm\"},{\"allow\":true,\"type\":\"c\","
        "\"major\":1,\"minor\":3,\"access\":\"rw\"}]},\"cgroupsPath\":\"/x/y\",\"devices\":[{"
        "\"path\":\"/dev/fuse\",\"type\":\"c\",\"major\":10,\"minor\":229,\"fileMode\":438}],"
        "\"maskedPaths\":[\"/proc/kcore\"],\"readonlyPaths\":[\"/proc/sys\"],\"sysctl\":{"
        "\"net.ipv4.ip_forward\":\"1\"}}}";
    vmjail_error *err = NULL;
    struct oci_spec *s = parse(json, &err);
    ok(s != NULL, "a full config parses%s%s", err ? ": " : "", err ? vmjail_error_message(err) : "");
    if (s == NULL)
        return;
    is_str(s->root_path, "/bundle/rootfs", "a relative root.path is made absolute");
    ok(s->root_readonly, "root.readonly");
    ok(s->process.terminal && s->process.console_height == 24 && s->process.console_width == 80,
       "terminal and console size");
    is_int(s->process.uid, 1000, "uid");
    is_int(s->process.gid, 100, "gid");
    is_int(s->process.n_additional_gids, 2, "additional gids");
    ok(s->process.has_umask && s->process.umask == 18, "umask");
    is_str(s->process.args[2], "x", "args");
    is_str(oci_env_get(s->process.env, "A"), "b", "env lookup");
    ok(oci_env_get(s->process.env, "AB") == NULL, "env lookup needs the whole name");
    is_str(s->process.cwd, "/tmp", "cwd");
    is_int(s->process.caps.bounding, (1ULL << 5) | (1ULL << 0), "capability names (unknown ones ignored)");
    is_int(s->process.caps.effective, 1ULL << 5, "effective set");
    ok(s->process.n_rlimits == 1 && s->process.rlimits[0].resource == RLIMIT_NOFILE &&
           s->process.rlimits[0].soft == 512 && s->process.rlimits[0].hard == 1024,
       "rlimits");
    ok(s->process.no_new_privileges, "noNewPrivileges");
    ok(s->process.has_oom_score_adj && s->process.oom_score_adj == -5, "oomScoreAdj");
    is_str(s->hostname, "h", "hostname");
    is_int(s->n_mounts, 2, "mounts");
    is_str(s->mounts[1].options[1], "mode=755", "mount options");
    is_int(s->hooks[OCI_HOOK_PRESTART].n, 1, "prestart hooks");
    is_int(s->hooks[OCI_HOOK_PRESTART].v[0].timeout, 3, "hook timeout");
    is_int(s->hooks[OCI_HOOK_POSTSTOP].n, 1, "poststop hooks");
    is_int(s->hooks[OCI_HOOK_POSTSTART].n, 0, "no poststart hooks");
    is_int(s->n_annotations, 2, "annotations");
    is_int(s->n_namespaces, 4, "namespaces");
    const struct oci_namespace *net = oci_spec_namespace(s, CLONE_NEWNET);
    ok(net && net->path && strcmp(net->path, "/var/run/netns/x") == 0, "a namespace to join");
    ok(oci_spec_namespace(s, CLONE_NEWUTS) == NULL, "no uts namespace");
    ok(s->n_uid_mappings == 1 && s->uid_mappings[0].host_id == 100000, "uid mappings");
    is_int(s->resources.memory_limit, 67108864, "memory limit");
    is_int(s->resources.memory_swap, -1, "no swap limit");
    is_int(s->resources.cpu_shares, 512, "cpu shares");
    is_int(s->resources.cpu_quota, 50000, "cpu quota");
    is_int(s->resources.pids_limit, 64, "pids limit");
    ok(s->resources.n_devices == 2 && !s->resources.devices[0].allow &&
           s->resources.devices[0].type == 'a' && s->resources.devices[1].major == 1 &&
           s->resources.devices[1].minor == 3 && strcmp(s->resources.devices[1].access, "rw") == 0,
       "device rules");
    is_str(s->cgroups_path, "/x/y", "cgroupsPath");
    ok(s->n_devices == 1 && s->devices[0].type == 'c' && s->devices[0].major == 10 &&
           s->devices[0].has_mode && s->devices[0].mode == 438,
       "devices");
    is_str(s->masked_paths[0], "/proc/kcore", "maskedPaths");
    is_str(s->readonly_paths[0], "/proc/sys", "readonlyPaths");
    ok(s->n_sysctl == 1 && strcmp(s->sysctl[0].value, "1") == 0, "sysctl");
    oci_spec_free(s);
}

static void test_minimal(void)
{
    vmjail_error *err = NULL;
    struct oci_spec *s = parse("{\"process\":{\"args\":[\"/hello\"]},\"root\":{\"path\":\"/r\"}}",
                               &err);
    ok(s != NULL, "a minimal config parses");
    if (s == NULL)
        return;
    is_str(s->process.cwd, "/", "cwd defaults to /");
    ok(s->process.env && s->process.env[0] == NULL, "env defaults to empty");
    ok(s->masked_paths && s->masked_paths[0] == NULL, "no masked paths");
    is_int(s->resources.pids_limit, 0, "no pids limit");
    oci_spec_free(s);
}

static void test_refused(void)
{
    refused("", "config.json", "an empty document");
    refused("{\"process\":", "config.json", "a truncated document");
    refused("[1,2]", "not a JSON object", "an array");
    refused("{\"root\":{\"path\":\"/r\"}}", "process: missing", "no process");
    refused("{\"process\":{\"args\":[]},\"root\":{\"path\":\"/r\"}}", "process.args", "no args");
    refused("{\"process\":{\"args\":[1]},\"root\":{\"path\":\"/r\"}}", "process.args", "args not strings");
    refused("{\"process\":{\"args\":\"sh\"},\"root\":{\"path\":\"/r\"}}", "process.args",
            "args a string");
    refused("{\"process\":{\"args\":[\"sh\"]}}", "root.path", "no root");
    refused("{\"process\":{\"args\":[\"sh\"],\"cwd\":\"tmp\"},\"root\":{\"path\":\"/r\"}}",
            "process.cwd", "relative cwd");
    refused("{\"process\":{\"args\":[\"sh\"],\"user\":{\"uid\":-1}},\"root\":{\"path\":\"/r\"}}",
            "process.user.uid", "negative uid");
    refused("{\"process\":{\"args\":[\"sh\"],\"user\":{\"uid\":\"0\"}},\"root\":{\"path\":\"/r\"}}",
            "process.user.uid", "uid a string");
    refused("{\"process\":{\"args\":[\"sh\"],\"rlimits\":[{\"type\":\"RLIMIT_BOGUS\"}]},"
            "\"root\":{\"path\":\"/r\"}}",
            "unknown type", "unknown rlimit");
    refused("{\"process\":{\"args\":[\"sh\"]},\"root\":{\"path\":\"/r\"},\"linux\":{"
            "\"namespaces\":[{\"type\":\"time-travel\"}]}}",
            "unknown type", "unknown namespace");
    refused("{\"process\":{\"args\":[\"sh\"]},\"root\":{\"path\":\"/r\"},\"linux\":{"
            "\"namespaces\":[{\"type\":\"pid\"},{\"type\":\"pid\"}]}}",
            "listed twice", "a namespace twice");
    refused("{\"process\":{\"args\":[\"sh\"]},\"root\":{\"path\":\"/r\"},\"mounts\":[{"
            "\"destination\":\"proc\"}]}",
            "mounts[].destination", "a relative mount destination");
    refused("{\"process\":{\"args\":[\"sh\"]},\"root\":{\"path\":\"/r\"},\"hooks\":{"
            "\"prestart\":[{\"path\":\"true\"}]}}",
            "hooks[].path", "a relative hook path");
    refused("{\"process\":{\"args\":[\"sh\"]},\"root\":{\"path\":\"/r\"},\"linux\":{"
            "\"uidMappings\":[{\"containerID\":0,\"hostID\":0,\"size\":1}]}}",
            "without a user namespace", "id maps without a user namespace");
    refused("{\"process\":{\"args\":[\"sh\"]},\"root\":{\"path\":\"/r\"},\"linux\":{"
            "\"resources\":{\"devices\":[{\"allow\":true,\"type\":\"x\"}]}}}",
            "devices[].type", "a bad device rule type");
    refused("{\"process\":{\"args\":[\"sh\"]},\"root\":{\"path\":\"/r\"},\"annotations\":{"
            "\"a\":1}}",
            "annotations", "a non-string annotation");
}

static void test_mount_options(void)
{
    char *opts[] = {"nosuid", "ro", "rw", "nodev", "rslave", "mode=755", "size=1m", "rbind",
                    NULL};
    unsigned long flags, prop;
    bool rec;
    char data[64];
    is_int(oci_mount_options(opts, &flags, &prop, data, sizeof data, &rec), 0, "options parse");
    is_int(flags, MS_NOSUID | MS_NODEV | MS_BIND | MS_REC, "flags: rw clears ro");
    is_int(prop, MS_SLAVE | MS_REC, "propagation");
    is_str(data, "mode=755,size=1m", "the rest is data");
    ok(rec, "rbind is recursive");
    char *many[] = {"aaaaaaaaaaaaaaaaaaaa", "bbbbbbbbbbbbbbbbbbbbbbbbbbbbb", "ccccccccccccccccccc", NULL};
    is_int(oci_mount_options(many, &flags, &prop, data, 32, &rec), -1, "data that does not fit");
}

static void test_ids(void)
{
    ok(oci_id_check("abc-1_2.3", NULL) == 0, "a plain id");
    ok(oci_id_check("../etc", NULL) < 0, "an id with a slash");
    ok(oci_id_check("..", NULL) < 0, "..");
    ok(oci_id_check("", NULL) < 0, "empty");
    ok(oci_id_check("a b", NULL) < 0, "a space");
    ok(oci_id_check("a\nb", NULL) < 0, "a newline");
    is_str(oci_status_name(OCI_CREATED), "created", "status names");
    is_str(oci_status_name(OCI_STOPPED), "stopped", "status names");
    ok(oci_pid_start_time(getpid()) != 0, "our own start time");
    ok(oci_pid_start_time(0) == 0, "pid 0 has none");
}

/* cgroup.controllers lists "cpuset cpu ...": finding "cpu" inside "cpuset" is not "cpu"
 * (that slip left the cpu controller off on pure cgroup v2 hosts). */
static void test_word_in(void)
{
    ok(oci_word_in("cpuset cpu io memory pids\n", "cpu"), "cpu after cpuset");
    ok(!oci_word_in("cpuset io memory\n", "cpu"), "cpu only inside cpuset");
    ok(oci_word_in("cpuset io memory\n", "cpuset"), "the first word");
    ok(oci_word_in("cpuset io memory\n", "memory"), "the last word, before the newline");
    ok(oci_word_in("io memory", "memory"), "the last word, at the end");
    ok(!oci_word_in("iomemory pids", "memory"), "inside a word");
    ok(!oci_word_in("", "io"), "an empty list");
    ok(!oci_word_in("io", ""), "an empty word");
}

/* run.vmjail.platform: each name, none (auto), and a wrong one refused with one message. */
static void test_platform_annotation(void)
{
    static const struct {
        const char *value;
        int want;
    } cases[] = {{"kvm", VMJAIL_PLATFORM_KVM},
                 {"process", VMJAIL_PLATFORM_PROCESS},
                 {"auto", VMJAIL_PLATFORM_AUTO}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct oci_kv kv[2] = {{(char *)"run.vmjail.memory", (char *)"64M"},
                               {(char *)OCI_ANNOTATION_PLATFORM, (char *)cases[i].value}};
        vmjail_error *err = NULL;
        is_int(oci_platform_of(kv, 2, &err), cases[i].want, "platform annotation %s",
               cases[i].value);
        vmjail_error_free(err);
    }
    struct oci_kv other = {(char *)"org.example", (char *)"process"};
    is_int(oci_platform_of(&other, 1, NULL), VMJAIL_PLATFORM_AUTO, "no platform annotation: auto");
    is_int(oci_platform_of(NULL, 0, NULL), VMJAIL_PLATFORM_AUTO, "no annotations: auto");
    const char *bad[] = {"KVM", "", "process ", "qemu"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct oci_kv kv = {(char *)OCI_ANNOTATION_PLATFORM, (char *)bad[i]};
        vmjail_error *err = NULL;
        int r = oci_platform_of(&kv, 1, &err);
        ok(r < 0 && err && strstr(vmjail_error_message(err), "run.vmjail.platform") &&
               strstr(vmjail_error_message(err), "is not kvm, process or auto"),
           "platform annotation '%s' refused (%s)", bad[i], err ? vmjail_error_message(err) : "taken");
        vmjail_error_free(err);
    }
    struct oci_kv kv = {(char *)OCI_ANNOTATION_MEMORY, (char *)"512M"};
    ok(oci_annotation(&kv, 1, OCI_ANNOTATION_MEMORY) == kv.value &&
           oci_annotation(&kv, 1, OCI_ANNOTATION_PLATFORM) == NULL,
       "oci_annotation finds a key, and not another");
}

int main(void)
{
    test_word_in();
    test_full();
    test_minimal();
    test_refused();
    test_mount_options();
    test_ids();
    test_platform_annotation();
    return done_testing();
}
