# tests/oci/lib.sh: shared by the tests/oci scripts (sourced by bash, not run).
#
# TAP output (tap_ok, tap_not_ok, tap_skip, tap_todo, tap_diag, tap_done), the scratch directory with
# its cleanup (oci_tmpdir, oci_on_exit), the test rootfs (oci_rootfs: builds it once with
# mkrootfs, or takes OCI_ROOTFS_OUT, a directory mkrootfs already filled), and the way a runtime
# is invoked (oci_runtime_setup: wrapper and flags for the runtimes that need them here).

OCI_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TAP_N=0
TAP_PASS=0
TAP_FAIL=0
TAP_SKIP=0
TAP_TODO=0

tap_diag() {  # lines of text -> "# ..." lines
    sed 's/^/# /'
}
tap_ok() { TAP_N=$((TAP_N + 1)); TAP_PASS=$((TAP_PASS + 1)); echo "ok $TAP_N - $*"; }
tap_not_ok() { TAP_N=$((TAP_N + 1)); TAP_FAIL=$((TAP_FAIL + 1)); echo "not ok $TAP_N - $*"; }
tap_skip() {  # description reason
    TAP_N=$((TAP_N + 1)); TAP_SKIP=$((TAP_SKIP + 1)); echo "ok $TAP_N - $1 # SKIP $2"
}
tap_todo() {  # description reason: a failure already known, which does not fail the run
    TAP_N=$((TAP_N + 1)); TAP_TODO=$((TAP_TODO + 1)); echo "not ok $TAP_N - $1 # TODO $2"
}
# tap_done: the plan, then the closing count line; returns 1 if anything failed.
tap_done() {
    echo "1..$TAP_N"
    [ "$TAP_TODO" -eq 0 ] || echo "# $TAP_TODO known deviations (TODO) are counted apart"
    echo "$TAP_PASS passed, $TAP_FAIL failed, $TAP_SKIP skipped"
    [ "$TAP_FAIL" -eq 0 ]
}

# oci_tmpdir PREFIX: makes OCI_TMP (under $TMPDIR or /tmp) and removes it on exit, after the
# functions registered with oci_on_exit have run (last registered first).
OCI_EXIT_FUNCS=""
oci_on_exit() { OCI_EXIT_FUNCS="$1 $OCI_EXIT_FUNCS"; }
oci_cleanup() {
    local f
    for f in $OCI_EXIT_FUNCS; do "$f" || true; done
    if [ -n "${OCI_TMP:-}" ] && [ -d "$OCI_TMP" ]; then
        # nothing of ours should still be mounted there; never cross into a mount
        grep -F " $OCI_TMP/" /proc/self/mounts | cut -d' ' -f2 | sort -r |
            while read -r m; do umount -l "$m" 2>/dev/null || true; done
        if [ -z "${OCI_KEEP:-}" ]; then
            rm -rf --one-file-system "$OCI_TMP"
        else
            echo "# kept $OCI_TMP" >&2
        fi
    fi
}
oci_tmpdir() {
    OCI_TMP=$(mktemp -d "${TMPDIR:-/tmp}/$1.XXXXXX")
    trap oci_cleanup EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
}

# oci_rootfs: sets OCI_ROOTFS_OUT to a directory holding rootfs/, rootfs.tar.gz and
# image-oci.tar (building them into $OCI_TMP/img unless OCI_ROOTFS_OUT is set already).
oci_rootfs() {
    if [ -n "${OCI_ROOTFS_OUT:-}" ] && [ -d "$OCI_ROOTFS_OUT/rootfs" ]; then
        return 0
    fi
    OCI_ROOTFS_OUT=$OCI_TMP/img
    "$OCI_DIR/mkrootfs" "$OCI_ROOTFS_OUT" ${OCI_PAYLOAD_DIR:+"$OCI_PAYLOAD_DIR"} >/dev/null
}

# oci_runtime_setup RUNTIME: checks the runtime and sets OCI_RUNTIME (absolute path),
# OCI_RUNTIME_WRAP (a command the runtime is run through; words split on blanks) and
# OCI_RUNTIME_FLAGS (global flags put before the command). Both may be given by the caller;
# unset, they get what this host needs for the runtime:
#   crun on a cgroup v1 host with a cgroup2 mount at /sys/fs/cgroup/unified ("hybrid"):
#       run through tests/oci/unshare-nounified (crun refuses hybrid hosts)
#   runsc: --platform=ptrace (its kvm platform does not start here) --network=none (its
#       own network stack refuses to start in the host's network namespace)
oci_runtime_setup() {
    local rt=$1
    if [ "${rt#*/}" = "$rt" ]; then
        OCI_RUNTIME=$(command -v "$rt") || { echo "$rt: not found" >&2; return 1; }
    else
        OCI_RUNTIME=$(cd "$(dirname "$rt")" && pwd)/$(basename "$rt")
    fi
    [ -x "$OCI_RUNTIME" ] || { echo "$OCI_RUNTIME: not executable" >&2; return 1; }
    local base
    base=$(basename "$OCI_RUNTIME")
    if [ -z "${OCI_RUNTIME_WRAP+set}" ]; then
        OCI_RUNTIME_WRAP=""
        if [ "$base" = crun ] && grep -q ' /sys/fs/cgroup/unified cgroup2 ' /proc/self/mounts; then
            OCI_RUNTIME_WRAP=$OCI_DIR/unshare-nounified
        fi
    fi
    if [ -z "${OCI_RUNTIME_FLAGS+set}" ]; then
        OCI_RUNTIME_FLAGS=""
        if [ "$base" = runsc ]; then
            OCI_RUNTIME_FLAGS="--platform=ptrace --network=none"
        fi
    fi
    export OCI_RUNTIME OCI_RUNTIME_WRAP OCI_RUNTIME_FLAGS
}

# oci_runtime_exe: a single executable that runs the runtime with its wrapper and flags (for
# podman's --runtime and ctr's --runc-binary, which take one path): $OCI_TMP/runtime
oci_runtime_exe() {
    if [ -z "$OCI_RUNTIME_WRAP" ] && [ -z "$OCI_RUNTIME_FLAGS" ]; then
        echo "$OCI_RUNTIME"
        return
    fi
    # the wrapper keeps the runtime's name last in the path: podman and the containerd shim
    # look at it only to find the binary
    local d="$OCI_TMP/runtime-bin"
    mkdir -p "$d"
    {
        echo '#!/bin/sh'
        echo "# runs $OCI_RUNTIME as tests/oci configured it"
        echo "exec $OCI_RUNTIME_WRAP '$OCI_RUNTIME' $OCI_RUNTIME_FLAGS \"\$@\""
    } > "$d/$(basename "$OCI_RUNTIME")"
    chmod +x "$d/$(basename "$OCI_RUNTIME")"
    echo "$d/$(basename "$OCI_RUNTIME")"
}
