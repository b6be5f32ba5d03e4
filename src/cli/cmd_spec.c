/* cmd_spec.c: `vmjail spec`: write a default config.json (the same defaults as runc's) into
 * the bundle directory. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"

static const char default_spec[] =
    "{\n"
    "  \"ociVersion\": \"1.0.2-dev\",\n"
    "  \"process\": {\n"
    "    \"terminal\": true,\n"
    "    \"user\": {\n"
    "      \"uid\": 0,\n"
    "      \"gid\": 0\n"
    "    },\n"
    "    \"args\": [\n"
    "      \"sh\"\n"
    "    ],\n"
    "    \"env\": [\n"
    "      \"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\",\n"
    "      \"TERM=xterm\"\n"
    "    ],\n"
    "    \"cwd\": \"/\",\n"
    "    \"capabilities\": {\n"
    "      \"bounding\": [\n"
    "        \"CAP_AUDIT_WRITE\",\n"
    "        \"CAP_KILL\",\n"
    "        \"CAP_NET_BIND_SERVICE\"\n"
    "      ],\n"
    "      \"effective\": [\n"
    "        \"CAP_AUDIT_WRITE\",\n"
    "        \"CAP_KILL\",\n"
    "        \"CAP_NET_BIND_SERVICE\"\n"
    "      ],\n"
    "      \"permitted\": [\n"
    "        \"CAP_AUDIT_WRITE\",\n"
    "        \"CAP_KILL\",\n"
    "        \"CAP_NET_BIND_SERVICE\"\n"
    "      ],\n"
    "      \"ambient\": [\n"
    "        \"CAP_AUDIT_WRITE\",\n"
    "        \"CAP_KILL\",\n"
    "        \"CAP_NET_BIND_SERVICE\"\n"
    "      ]\n"
    "    },\n"
    "    \"rlimits\": [\n"
    "      {\n"
    "        \"type\": \"RLIMIT_NOFILE\",\n"
    "        \"hard\": 1024,\n"
    "        \"soft\": 1024\n"
    "      }\n"
    "    ],\n"
    "    \"noNewPrivileges\": true\n"
    "  },\n"
    "  \"root\": {\n"
    "    \"path\": \"rootfs\",\n"
    "    \"readonly\": true\n"
    "  },\n"
    "  \"hostname\": \"runc\",\n"
    "  \"mounts\": [\n"
    "    {\n"
    "      \"destination\": \"/proc\",\n"
    "      \"type\": \"proc\",\n"
    "      \"source\": \"proc\"\n"
    "    },\n"
    "    {\n"
    "      \"destination\": \"/dev\",\n"
    "      \"type\": \"tmpfs\",\n"
    "      \"source\": \"tmpfs\",\n"
    "      \"options\": [\n"
    "        \"nosuid\",\n"
    "        \"strictatime\",\n"
    "        \"mode=755\",\n"
    "        \"size=65536k\"\n"
    "      ]\n"
    "    },\n"
    "    {\n"
    "      \"destination\": \"/dev/pts\",\n"
    "      \"type\": \"devpts\",\n"
    "      \"source\": \"devpts\",\n"
    "      \"options\": [\n"
    "        \"nosuid\",\n"
    "        \"noexec\",\n"
    "        \"newinstance\",\n"
    "        \"ptmxmode=0666\",\n"
    "        \"mode=0620\",\n"
    "        \"gid=5\"\n"
    "      ]\n"
    "    },\n"
    "    {\n"
    "      \"destination\": \"/dev/shm\",\n"
    "      \"type\": \"tmpfs\",\n"
    "      \"source\": \"shm\",\n"
    "      \"options\": [\n"
    "        \"nosuid\",\n"
    "        \"noexec\",\n"
    "        \"nodev\",\n"
    "        \"mode=1777\",\n"
    "        \"size=65536k\"\n"
    "      ]\n"
    "    },\n"
    "    {\n"
    "      \"destination\": \"/dev/mqueue\",\n"
    "      \"type\": \"mqueue\",\n"
    "      \"source\": \"mqueue\",\n"
    "      \"options\": [\n"
    "        \"nosuid\",\n"
    "        \"noexec\",\n"
    "        \"nodev\"\n"
    "      ]\n"
    "    },\n"
    "    {\n"
    "      \"destination\": \"/sys\",\n"
    "      \"type\": \"sysfs\",\n"
    "      \"source\": \"sysfs\",\n"
    "      \"options\": [\n"
    "        \"nosuid\",\n"
    "        \"noexec\",\n"
    "        \"nodev\",\n"
    "        \"ro\"\n"
    "      ]\n"
    "    },\n"
    "    {\n"
    "      \"destination\": \"/sys/fs/cgroup\",\n"
    "      \"type\": \"cgroup\",\n"
    "      \"source\": \"cgroup\",\n"
    "      \"options\": [\n"
    "        \"nosuid\",\n"
    "        \"noexec\",\n"
    "        \"nodev\",\n"
    "        \"relatime\",\n"
    "        \"ro\"\n"
    "      ]\n"
    "    }\n"
    "  ],\n"
    "  \"linux\": {\n"
    "    \"resources\": {\n"
    "      \"devices\": [\n"
    "        {\n"
    "          \"allow\": false,\n"
    "          \"access\": \"rwm\"\n"
    "        }\n"
    "      ]\n"
    "    },\n"
    "    \"namespaces\": [\n"
    "      {\n"
    "        \"type\": \"pid\"\n"
    "      },\n"
    "      {\n"
    "        \"type\": \"network\"\n"
    "      },\n"
    "      {\n"
    "        \"type\": \"ipc\"\n"
    "      },\n"
    "      {\n"
    "        \"type\": \"uts\"\n"
    "      },\n"
    "      {\n"
    "        \"type\": \"mount\"\n"
    "      }\n"
    "    ],\n"
    "    \"maskedPaths\": [\n"
    "      \"/proc/acpi\",\n"
    "      \"/proc/asound\",\n"
    "      \"/proc/kcore\",\n"
    "      \"/proc/keys\",\n"
    "      \"/proc/latency_stats\",\n"
    "      \"/proc/timer_list\",\n"
    "      \"/proc/timer_stats\",\n"
    "      \"/proc/sched_debug\",\n"
    "      \"/sys/firmware\",\n"
    "      \"/proc/scsi\"\n"
    "    ],\n"
    "    \"readonlyPaths\": [\n"
    "      \"/proc/bus\",\n"
    "      \"/proc/fs\",\n"
    "      \"/proc/irq\",\n"
    "      \"/proc/sys\",\n"
    "      \"/proc/sysrq-trigger\"\n"
    "    ]\n"
    "  }\n"
    "}\n";

int cmd_spec(int argc, char **argv)
{
    static const struct option opts[] = {
        {"bundle", required_argument, NULL, 'b'},
        {"rootless", no_argument, NULL, 'r'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *bundle = ".";
    opterr = 0;
    optind = 1;
    int c;
    while ((c = getopt_long_only(argc, argv, "+b:h", opts, NULL)) != -1) {
        if (c == 'b') {
            bundle = optarg;
        } else if (c == 'h') {
            printf("usage: vmjail spec [--bundle DIR]\n\nWrites a default config.json "
                   "(root \"rootfs\", running sh) into DIR.\n");
            return 0;
        } else if (c == 'r') {
            cli_error("spec: --rootless is not supported yet");
            return EXIT_VMJAIL_ERROR;
        } else {
            cli_error("spec: unknown option '%s'", argv[optind - 1]);
            return EXIT_VMJAIL_ERROR;
        }
    }
    char path[4096];
    snprintf(path, sizeof path, "%s/config.json", bundle);
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0) {
        cli_error("spec: %s: %s", path, errno == EEXIST ? "already exists" : strerror(errno));
        return EXIT_VMJAIL_ERROR;
    }
    size_t len = strlen(default_spec);
    if (write(fd, default_spec, len) != (ssize_t)len || close(fd) < 0) {
        cli_error("spec: write %s: %s", path, strerror(errno));
        return EXIT_VMJAIL_ERROR;
    }
    return 0;
}
