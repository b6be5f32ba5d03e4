/* cmd_features.c: `vmjail features`: what this runtime supports, as the JSON document of the
 * OCI runtime features spec. */
#include <stdio.h>

#include "cli/cli.h"

static const char features[] =
    "{\n"
    "  \"ociVersionMin\": \"1.0.0\",\n"
    "  \"ociVersionMax\": \"1.1.0\",\n"
    "  \"hooks\": [\"prestart\", \"createRuntime\", \"poststart\", \"poststop\"],\n"
    "  \"mountOptions\": [\"async\", \"atime\", \"bind\", \"defaults\", \"dev\", \"diratime\",\n"
    "    \"dirsync\", \"exec\", \"mand\", \"noatime\", \"nodev\", \"nodiratime\", \"noexec\",\n"
    "    \"nomand\", \"norelatime\", \"nostrictatime\", \"nosuid\", \"private\", \"rbind\",\n"
    "    \"relatime\", \"remount\", \"ro\", \"rprivate\", \"rshared\", \"rslave\", \"runbindable\",\n"
    "    \"rw\", \"shared\", \"slave\", \"strictatime\", \"suid\", \"sync\", \"unbindable\"],\n"
    "  \"linux\": {\n"
    "    \"namespaces\": [\"cgroup\", \"ipc\", \"mount\", \"network\", \"pid\", \"user\", \"uts\"],\n"
    "    \"cgroup\": {\"v1\": true, \"v2\": true, \"systemd\": false, \"systemdUser\": false},\n"
    "    \"seccomp\": {\"enabled\": false},\n"
    "    \"apparmor\": {\"enabled\": false},\n"
    "    \"selinux\": {\"enabled\": false}\n"
    "  },\n"
    "  \"annotations\": {\n"
    "    \"run.vmjail.memory\": \"guest memory of the container's VM, e.g. 512M (default 1G)\",\n"
    "    \"run.vmjail.platform\": \"kvm, process or auto (default): what runs the container's "
    "programs\",\n"
    "    \"run.vmjail.syscall-path\": \"auto (default), exit or poll: how system calls reach the "
    "monitor\",\n"
    "    \"run.vmjail.trace\": \"stderr: every system call of the container's first process "
    "traced to its stderr\",\n"
    "    \"run.vmjail.monitor.seccomp\": \"always on: the monitor runs under its own filter\"\n"
    "  }\n"
    "}\n";

int cmd_features(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fputs(features, stdout);
    return 0;
}
