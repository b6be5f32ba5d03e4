# tests/workloads/lib.sh: helpers the workload scripts source (tests/workloads/README.md).
#
# A workload script calls `wl_init NAME BUILD_DIR` first, then uses:
#   wl_vmjail ARGS...        run ARGS inside `vmjail run` (VJ_PLATFORM, VJ_SYSCALL_PATH,
#                            VJ_SECCOMP add --platform, --syscall-path, --seccomp)
#   wl_start TAG PORT CMD... start a server listening on PORT (- for none) in the background;
#                            its pid (and, when it stops, every process below it) is tracked
#                            and stopped on any exit
#   wl_stop TAG [SIGNAL]     stop it (SIGNAL, default TERM; KILL after WL_STOP_SECONDS), then
#                            check that none of its processes is left and its port is closed
#                            (a FAIL check line TAG-stop if not); $T/TAG.status: its status
#   wl_procs TAG; wl_reap TAG PROCS   the same when the server is asked to stop another way
#                            (its own shutdown command): its processes before, then the wait
#   wl_free_port             a TCP port nothing listens on, on 127.0.0.1
#   wl_wait_port PORT SECS   wait until something listens on 127.0.0.1:PORT
#   wl_port_free PORT        status 0 if nothing listens on PORT
#   wl_compare CHECK NATIVE_FILE VMJAIL_FILE WHAT   a check line: ok, or FAIL with the diff
#   wl_ok CHECK WHAT / wl_fail CHECK WHY             a check line
#   wl_load METRIC NATIVE VMJAIL UNIT                a load line
#   wl_need CMD...           exit 77 (cannot run here) if a command is missing
#   wl_median N...           the median of numbers
# It sets $T (a temporary directory, removed on exit), $VMJAIL and $WL (the workload's name),
# and ends the script with wl_exit: 0 when every check was ok, 1 otherwise.
set -u

wl_init() {
    WL=$1
    local build=${2:-}
    [ -n "$build" ] || { echo "usage: tests/workloads/$WL BUILD_DIR" >&2; exit 2; }
    BUILD=$(cd "$build" 2>/dev/null && pwd -P) || { echo "$WL: no such directory: $build" >&2; exit 2; }
    VMJAIL=$BUILD/vmjail
    [ -x "$VMJAIL" ] || { echo "$WL: $VMJAIL not built (make all)" >&2; exit 2; }
    VJ_ARGS=()
    [ -n "${VJ_PLATFORM:-}" ] && VJ_ARGS+=(--platform "$VJ_PLATFORM")
    [ -n "${VJ_SYSCALL_PATH:-}" ] && VJ_ARGS+=(--syscall-path "$VJ_SYSCALL_PATH")
    [ "${VJ_SECCOMP:-}" = 1 ] && VJ_ARGS+=(--seccomp)
    WL_STOP_SECONDS=${WL_STOP_SECONDS:-10}
    WL_FAILED=0
    WL_TAGS=()
    T=$(mktemp -d "${TMPDIR:-/tmp}/vjwl-$WL.XXXXXX") || exit 2
    T=$(cd "$T" && pwd -P)
    trap wl_cleanup EXIT
    trap 'exit 1' INT TERM HUP
}

wl_vmjail() { "$VMJAIL" run "${VJ_ARGS[@]}" -- "$@"; }

wl_need() {
    local c
    for c in "$@"; do
        command -v "$c" >/dev/null 2>&1 || { echo "$WL: cannot run here: $c is not installed (make check-workloads installs it)"; exit 77; }
    done
}

wl_ok() { echo "check $WL/$1: ok${2:+ ($2)}"; }
wl_fail() { WL_FAILED=1; echo "check $WL/$1: FAIL ($2)"; }

# wl_compare CHECK NATIVE VMJAIL WHAT: identical files, or FAIL with the first differing lines.
wl_compare() {
    local check=$1 native=$2 inside=$3 what=$4 d
    if cmp -s "$native" "$inside"; then
        wl_ok "$check" "$what"
    else
        d=$(diff -u --label native --label vmjail "$native" "$inside" | sed -n '3,40p' | sed 's/^/    /')
        wl_fail "$check" "differs from native:
$d
  )"
    fi
}

wl_load() { echo "load $WL/$1: native=$2 vmjail=$3 unit=$4"; }

wl_median() { printf '%s\n' "$@" | sort -g | awk '{v[NR]=$1} END {if (NR % 2) print v[(NR+1)/2]; else print (v[NR/2]+v[NR/2+1])/2}'; }

wl_port_free() { ! ss -Htln "sport = :$1" | grep -q .; }

wl_free_port() {
    local p i
    for i in $(seq 1 200); do
        p=$((20000 + RANDOM % 40000))
        wl_port_free "$p" && ! ss -Htan "sport = :$p" | grep -q . && { echo "$p"; return 0; }
    done
    echo "$WL: no free port found" >&2
    return 1
}

wl_wait_port() {
    local port=$1 secs=$2 i
    for i in $(seq 1 $((secs * 10))); do
        ss -Htln "sport = :$port" | grep -q . && return 0
        sleep 0.1
    done
    return 1
}

# The pids of every process below PID (children first seen, recursively).
wl_descendants() {
    local c
    for c in $(pgrep -P "$1"); do echo "$c"; wl_descendants "$c"; done
}

# alive PID: the process exists and is not a zombie (an orphan's zombie is init's to reap).
wl_alive() { local s; s=$(ps -o stat= -p "$1" 2>/dev/null) && [ -n "$s" ] && [ "${s#Z}" = "$s" ]; }

wl_start() {
    local tag=$1 port=$2; shift 2
    # The command itself is the background job (not a subshell running a function): its pid is
    # the one signalled.
    [ "$1" = wl_vmjail ] && { shift; set -- "$VMJAIL" run "${VJ_ARGS[@]}" -- "$@"; }
    "$@" &
    eval "WL_PID_$tag=$! WL_PORT_$tag=$port"
    WL_TAGS+=("$tag")
}

wl_pid() { eval "echo \${WL_PID_$1:-}"; }

# wl_stop TAG [SIGNAL]: signal the server, wait for it, KILL after WL_STOP_SECONDS; every process
# that was below it must be gone.  Prints the server's exit status to $T/TAG.status.
wl_stop() {
    local tag=$1 sig=${2:-TERM} pid procs p i left="" rc
    pid=$(wl_pid "$tag")
    [ -n "$pid" ] || return 0
    procs="$pid $(wl_descendants "$pid")"
    kill -s "$sig" "$pid" 2>/dev/null
    wl_reap "$tag" "$procs"
}

# wl_reap TAG PROCS: wait for a server that was asked to stop (by a signal or its own
# command); KILL it after WL_STOP_SECONDS; check that none of PROCS is left and that its port
# is closed.
wl_reap() {
    local tag=$1 procs=$2 pid p i left="" rc port
    pid=$(wl_pid "$tag")
    [ -n "$pid" ] || return 0
    for i in $(seq 1 $((WL_STOP_SECONDS * 10))); do
        kill -0 "$pid" 2>/dev/null || break
        wl_alive "$pid" || break
        sleep 0.1
    done
    if wl_alive "$pid"; then
        wl_fail "$tag-stop" "did not stop within $WL_STOP_SECONDS s: killed"
        kill -KILL "$pid" 2>/dev/null
    fi
    wait "$pid" 2>/dev/null; rc=$?
    echo "$rc" >"$T/$tag.status"
    eval "WL_PID_$tag="
    for i in $(seq 1 30); do
        left=""
        for p in $procs; do wl_alive "$p" && left="$left $p"; done
        [ -z "$left" ] && break
        sleep 0.1
    done
    if [ -n "$left" ]; then
        wl_fail "$tag-stop" "processes left behind:$(for p in $left; do printf ' %s' "$(ps -o pid=,comm= -p "$p")"; done); killed"
        for p in $left; do kill -KILL "$p" 2>/dev/null; done
    fi
    eval "port=\${WL_PORT_$tag:-}"
    if [ -n "$port" ] && [ "$port" != - ]; then
        for i in $(seq 1 30); do wl_port_free "$port" && break; sleep 0.1; done
        wl_port_free "$port" || wl_fail "$tag-stop" "port $port still listened on after it stopped"
    fi
    return 0
}

# wl_procs TAG: the server's process and every process below it now (for wl_reap).
wl_procs() { local pid; pid=$(wl_pid "$1"); [ -n "$pid" ] && echo "$pid $(wl_descendants "$pid")"; }

wl_cleanup() {
    local rc=$? tag pid
    for tag in "${WL_TAGS[@]}"; do
        pid=$(wl_pid "$tag")
        [ -n "$pid" ] && wl_stop "$tag" KILL
    done
    rm -rf "$T"
    [ -e "$T" ] && { echo "$WL: could not remove $T"; WL_FAILED=1; }
    [ "$rc" = 0 ] && [ "$WL_FAILED" = 1 ] && rc=1
    exit "$rc"
}

wl_exit() { exit "$WL_FAILED"; }
