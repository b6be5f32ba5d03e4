# Makefile: builds libvmjail, the vmjail command, the test payloads, and runs the tests.
#
#   make            build build/vmjail, build/libvmjail.a and build/libvmjail.so
#   make install    install them (PREFIX=/usr/local, DESTDIR=, Debian's multiarch libdir)
#   make demo       install what is needed, build, run the bundled demo inside VMs
#   make check      install what is needed, build, run every test (unit + integration)
#   make syscall-doc  write docs/syscalls.md from the syscall table (make check checks it)
#   make compat       CPython's test suite, a subset, natively and in vmjail (compat-full: all of it)
#   make bench      run the benchmarks (bench/run, bench/fastpath, bench/podman), write docs/performance*.md
#   make CC=clang   any of the above with clang

CC ?= gcc
BUILD ?= build

WARN := -Wall -Wextra -Werror -Wshadow -Wpointer-arith -Wvla -Wstrict-prototypes \
        -Wmissing-prototypes -Wformat=2
# The project's own flags; CFLAGS (optimisation, sanitizers) may be set on the command line.
CFLAGS ?= -O2 -g
# Position-independent: the same objects make the static command and the shared library.
VJ_CFLAGS := -std=gnu11 $(WARN) -fstack-protector-strong -D_GNU_SOURCE -Iinclude -iquote src \
             -fvisibility=hidden -fPIC -MMD -MP
LDFLAGS ?=
LDLIBS ?= -ljson-c -lseccomp -lcap -pthread
# The command is linked statically: no dynamic loading at each start, and less memory
# (0.8 MiB of RSS less per sandbox).  Sanitizer builds cannot be static.
STATIC ?= -static

# libvmjail, one folder per part (docs/architecture.md): the public API (src/lib), the generic
# monitor (src/monitor), the ELF loader (src/loader), the platforms that run a payload
# (src/host/<platform>, each behind src/host/vm.h, chosen at run time by src/host/platform.c)
# and the CPU architecture (src/arch/$(ARCH), behind src/arch/arch.h).  A platform's files that
# hold one architecture's code are named *_<arch>.c; only $(ARCH)'s are built.  A new platform
# or architecture is a new folder, named here.
ARCH := x86_64
ARCHES := x86_64 aarch64
PLATFORMS := kvm process
OTHER_ARCH_SRCS = $(foreach a,$(filter-out $(ARCH),$(ARCHES)),%_$(a).c)
HOST_SRCS := $(wildcard src/host/*.c) \
             $(filter-out $(OTHER_ARCH_SRCS),$(foreach p,$(PLATFORMS),$(wildcard src/host/$(p)/*.c)))
LIB_SRCS := $(wildcard src/lib/*.c src/monitor/*.c src/loader/*.c src/arch/$(ARCH)/*.c src/image/*.c) \
            $(HOST_SRCS)
LIB_ASM := $(wildcard src/arch/$(ARCH)/*.S) $(foreach p,$(PLATFORMS),$(wildcard src/host/$(p)/*.S))
CLI_SRCS := $(filter-out src/cli/image_exec.c,$(wildcard src/cli/*.c))
OCI_SRCS := $(wildcard src/oci/*.c)
OCI_OBJS := $(OCI_SRCS:%.c=$(BUILD)/%.o)
LIB_OBJS := $(LIB_SRCS:%.c=$(BUILD)/%.o) $(LIB_ASM:%.S=$(BUILD)/%.o) $(OCI_OBJS)
CLI_OBJS := $(CLI_SRCS:%.c=$(BUILD)/%.o)
# The image store and registry client (src/image) need libcurl, libarchive and OpenSSL's
# libcrypto.  Debian 12 ships no static libcurl that links (libcurl.a wants Kerberos's, LDAP's
# and others' static libraries, not packaged), so the static command runs the image commands
# through vmjail-image, the same command line linked dynamically (src/cli/image_exec.c).
IMAGE_LIBS := -lcurl -larchive -lcrypto
IMAGE_CLI_SRCS := src/cli/cmd_pull.c src/cli/cmd_load.c src/cli/cmd_images.c src/cli/cmd_rmi.c \
                  src/cli/cmd_box.c $(wildcard src/cli/box_*.c)
# The functions-as-a-service gateway (src/faas: libmicrohttpd, json-c) and its commands serve
# and fn (libcurl) live in vmjail-image too: never in the static command or in libvmjail.
IMAGE_CLI_SRCS += src/cli/cmd_serve.c src/cli/cmd_fn.c
FAAS_OBJS := $(patsubst %.c,$(BUILD)/%.o,$(wildcard src/faas/*.c))
FAAS_A := $(BUILD)/libvmjail-faas.a
FAAS_LIBS := -lmicrohttpd
CLI_STATIC_OBJS := $(filter-out $(IMAGE_CLI_SRCS:%.c=$(BUILD)/%.o),$(CLI_OBJS)) \
                   $(BUILD)/src/cli/image_exec.o
UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(UNIT_SRCS:%.c=$(BUILD)/%)

# The library's version: its soname is libvmjail.so.$(SOVERSION).
VERSION := 0.1.0
SOVERSION := 0
# The shared library is not built with the sanitizers (their runtime is the program's).
all: $(BUILD)/vmjail $(BUILD)/libvmjail.a $(if $(STATIC),$(BUILD)/libvmjail.so $(BUILD)/vmjail-image)

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(VJ_CFLAGS) $(CFLAGS) -c -o $@ $<

$(BUILD)/%.o: %.S include/vmjail_abi.h
	@mkdir -p $(dir $@)
	$(CC) -Iinclude -c -o $@ $<

# The process platform's stub: a static program without libc, linked where the payload never
# maps (VJ_STUB_VA), built into vmjail (stub_image.S).  Never built with the sanitizers.
STUB_CFLAGS := -std=gnu11 -O2 $(WARN) -Iinclude -iquote src -static -nostdlib -fPIE \
               -fno-stack-protector -fno-builtin -ffreestanding -fno-asynchronous-unwind-tables \
               -Wl,-Ttext-segment=0x7ff000000000 -Wl,--no-relax -Wl,--build-id=none
$(BUILD)/stub: src/host/process/stub/stub.c src/host/process/stub_abi.h
	@mkdir -p $(dir $@)
	gcc $(STUB_CFLAGS) -o $@ $<
$(BUILD)/src/host/process/stub_image.o: src/host/process/stub_image.S $(BUILD)/stub
	@mkdir -p $(dir $@)
	$(CC) -c -DVJ_STUB_IMAGE='"$(BUILD)/stub"' -o $@ $<

# libvmjail: the monitor and the OCI runtime's container code (src/oci), which confined runs
# use; the command and the unit tests link it statically.
$(BUILD)/libvmjail.a: $(LIB_OBJS)
	@rm -f $@
	ar rcs $@ $^

# The shared library exports the public API (include/vmjail.h) only.
$(BUILD)/libvmjail.so.$(VERSION): $(LIB_OBJS)
	$(CC) $(CFLAGS) $(LDFLAGS) -shared -Wl,-soname,libvmjail.so.$(SOVERSION) -Wl,-z,defs \
	  -Wl,-z,text -o $@ $^ $(LDLIBS) $(IMAGE_LIBS)
$(BUILD)/libvmjail.so: $(BUILD)/libvmjail.so.$(VERSION)
	ln -sf libvmjail.so.$(VERSION) $(BUILD)/libvmjail.so.$(SOVERSION)
	ln -sf libvmjail.so.$(VERSION) $@

ifneq ($(STATIC),)
$(BUILD)/vmjail: $(CLI_STATIC_OBJS) $(BUILD)/libvmjail.a
	$(CC) $(VJ_CFLAGS) $(CFLAGS) $(LDFLAGS) $(STATIC) -o $@ $(CLI_STATIC_OBJS) $(BUILD)/libvmjail.a $(LDLIBS)
$(BUILD)/vmjail-image: $(CLI_OBJS) $(FAAS_A) $(BUILD)/libvmjail.a
	$(CC) $(VJ_CFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $(CLI_OBJS) $(FAAS_A) $(BUILD)/libvmjail.a $(LDLIBS) $(IMAGE_LIBS) $(FAAS_LIBS)
else
$(BUILD)/vmjail: $(CLI_OBJS) $(FAAS_A) $(BUILD)/libvmjail.a
	$(CC) $(VJ_CFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $(CLI_OBJS) $(FAAS_A) $(BUILD)/libvmjail.a $(LDLIBS) $(IMAGE_LIBS) $(FAAS_LIBS)
endif

$(FAAS_A): $(FAAS_OBJS)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/tests/unit/%: tests/unit/%.c $(FAAS_A) $(BUILD)/libvmjail.a tests/unit/tap.h
	@mkdir -p $(dir $@)
	$(CC) $(VJ_CFLAGS) $(CFLAGS) $(LDFLAGS) -Itests/unit -o $@ $< $(FAAS_A) $(BUILD)/libvmjail.a $(LDLIBS) $(IMAGE_LIBS)

# The library's sandbox handles driven as an embedder drives them (tests/integration/library).
API_TEST := $(BUILD)/tests/integration/sandbox_api
$(API_TEST): tests/integration/sandbox_api.c $(BUILD)/libvmjail.a
	@mkdir -p $(dir $@)
	$(CC) $(VJ_CFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $< $(BUILD)/libvmjail.a $(LDLIBS)

# docs/syscalls.md: every x86-64 call, how the monitor's table serves it and why one is refused,
# beside gVisor's documented table; generated from the table (scripts/syscall-dump prints it)
# by scripts/syscall-doc.  make check fails when the page is not what the table says.
SYSCALL_DUMP := $(BUILD)/scripts/syscall-dump
SYSCALL_DOC = $(SYSCALL_DUMP) >$(BUILD)/syscalls.tsv && \
	  ./scripts/syscall-doc $(BUILD)/syscalls.tsv docs/data/gvisor-amd64-syscalls.tsv $(CC)
$(SYSCALL_DUMP): scripts/syscall-dump.c $(BUILD)/libvmjail.a
	@mkdir -p $(dir $@)
	$(CC) $(VJ_CFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $< $(BUILD)/libvmjail.a $(LDLIBS)
syscall-doc: $(SYSCALL_DUMP)
	@$(SYSCALL_DOC) >docs/syscalls.md.new && mv docs/syscalls.md.new docs/syscalls.md
	@echo "wrote docs/syscalls.md"
check-syscall-doc: $(SYSCALL_DUMP)
	@$(SYSCALL_DOC) >$(BUILD)/syscalls.md
	@cmp -s $(BUILD)/syscalls.md docs/syscalls.md || { \
	  echo "check-syscall-doc: docs/syscalls.md is out of date with src/monitor/syscall_table.c or syscall_reasons.c: run make syscall-doc"; \
	  diff -u docs/syscalls.md $(BUILD)/syscalls.md | head -30; exit 1; }

# ---- test payloads: each C file built four ways -------------------------------------------
PAYLOAD_SRCS := $(wildcard tests/payloads/*.c)
PAYLOAD_NAMES := $(notdir $(PAYLOAD_SRCS:.c=))
PAYLOAD_CFLAGS := -O1 -g -Wall -Wno-unused-result -D_GNU_SOURCE -pthread
P := $(BUILD)/payloads
PAYLOADS := $(PAYLOAD_NAMES:%=$(P)/glibc/%) $(PAYLOAD_NAMES:%=$(P)/musl/%) \
            $(PAYLOAD_NAMES:%=$(P)/pie/%) $(PAYLOAD_NAMES:%=$(P)/dynamic/%)

$(P)/glibc/%: tests/payloads/%.c
	@mkdir -p $(dir $@)
	gcc $(PAYLOAD_CFLAGS) -static -o $@ $<
$(P)/musl/%: tests/payloads/%.c
	@mkdir -p $(dir $@)
	musl-gcc $(PAYLOAD_CFLAGS) -static -o $@ $<
$(P)/pie/%: tests/payloads/%.c
	@mkdir -p $(dir $@)
	gcc $(PAYLOAD_CFLAGS) -static-pie -fPIE -o $@ $<
$(P)/dynamic/%: tests/payloads/%.c
	@mkdir -p $(dir $@)
	gcc $(PAYLOAD_CFLAGS) -o $@ $<

# Go payloads: static (CGO_ENABLED=0), built when a Go toolchain is installed.
GO := $(shell command -v go 2>/dev/null)
GO_SRCS := $(wildcard tests/payloads/go/*.go)
GO_PAYLOADS := $(if $(GO),$(GO_SRCS:tests/payloads/go/%.go=$(P)/go/%))
$(P)/go/%: tests/payloads/go/%.go
	@mkdir -p $(dir $@) $(abspath $(BUILD))/gocache
	cd tests/payloads/go && CGO_ENABLED=0 GOCACHE=$(abspath $(BUILD))/gocache GO111MODULE=off \
	  $(GO) build -o $(abspath $@) $(notdir $<)

payloads: $(PAYLOADS) $(GO_PAYLOADS) $(API_TEST)

# ---- fuzzing (tests/fuzz): libFuzzer targets; every build replays their inputs ---------------
FUZZ_SRCS := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_NAMES := $(notdir $(FUZZ_SRCS:.c=))
REPLAY_BINS := $(FUZZ_NAMES:%=$(BUILD)/tests/fuzz/replay_%)

# The target's code run over files, without libFuzzer: the committed corpus and regression
# inputs, in make check (and under the sanitizers in make check-asan).
$(BUILD)/tests/fuzz/replay_%: tests/fuzz/%.c tests/fuzz/replay.c $(FAAS_A) $(BUILD)/libvmjail.a
	@mkdir -p $(dir $@)
	$(CC) $(VJ_CFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $< tests/fuzz/replay.c $(FAAS_A) $(BUILD)/libvmjail.a $(LDLIBS) $(IMAGE_LIBS)

# The libFuzzer binaries (the fuzz build only: every object built with -fsanitize=fuzzer-no-link).
$(BUILD)/tests/fuzz/%: tests/fuzz/%.c $(FAAS_A) $(BUILD)/libvmjail.a
	@mkdir -p $(dir $@)
	$(CC) $(VJ_CFLAGS) $(CFLAGS) -fsanitize=fuzzer $(LDFLAGS) -o $@ $< $(FAAS_A) $(BUILD)/libvmjail.a $(LDLIBS) $(IMAGE_LIBS)

check-fuzz-replay: $(REPLAY_BINS)
	@for n in $(FUZZ_NAMES); do printf 'replay %s: ' $$n; \
	  $(BUILD)/tests/fuzz/replay_$$n tests/fuzz/corpus/$$n tests/fuzz/regressions/$$n || exit 1; done

# make fuzz: each target for FUZZ_SECONDS (clang 19, libFuzzer, ASan + UBSan); CI runs a short
# fixed time (fuzz-ci).
FUZZ_SECONDS ?= 60
FUZZ_MAKE = $(MAKE) BUILD=build-fuzz CC=clang-19 STATIC= \
	  CFLAGS="-O1 -g -fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all" \
	  LDFLAGS="-fsanitize=address,undefined"
fuzz: asan-deps
	@$(FUZZ_MAKE) $(FUZZ_NAMES:%=build-fuzz/tests/fuzz/%) >/dev/null
	@echo "== fuzzing each target for $(FUZZ_SECONDS) s (tests/fuzz/run)"
	@./tests/fuzz/run build-fuzz $(FUZZ_SECONDS) $(FUZZ_NAMES)

fuzz-ci:
	@$(MAKE) fuzz FUZZ_SECONDS=20

# ---- what a fresh Debian 12 machine needs ----------------------------------------------------
DEPS := gcc make musl-tools busybox-static golang-go clang python3 perl sqlite3 \
        libjson-c-dev libseccomp-dev libcap-dev jq iproute2 util-linux runc podman containerd \
        passt pkgconf groff-base debootstrap uidmap gdb \
        libcurl4-openssl-dev libarchive-dev libssl-dev libmicrohttpd-dev docker-registry skopeo apache2-utils zstd
deps:
	@./scripts/install-deps $(DEPS)

# ---- installation: Debian's layout (multiarch libdir), for PREFIX=/usr or /usr/local --------
PREFIX ?= /usr/local
MULTIARCH := $(shell $(CC) -print-multiarch 2>/dev/null)
BINDIR ?= $(PREFIX)/bin
# vmjail-image, which the static command runs for the image commands: $(BINDIR)/../libexec/vmjail.
LIBEXECDIR ?= $(PREFIX)/libexec
LIBDIR ?= $(PREFIX)/lib$(if $(MULTIARCH),/$(MULTIARCH))
INCLUDEDIR ?= $(PREFIX)/include
MANDIR ?= $(PREFIX)/share/man
DOCDIR ?= $(PREFIX)/share/doc/vmjail
INSTALLED_DOCS := README.md docs/cli.md docs/security.md docs/architecture.md

install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(LIBDIR)/pkgconfig $(DESTDIR)$(INCLUDEDIR) \
	  $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man3 $(DESTDIR)$(DOCDIR)/examples
	install -m 0755 $(BUILD)/vmjail $(DESTDIR)$(BINDIR)/vmjail
	$(if $(STATIC),install -d $(DESTDIR)$(LIBEXECDIR)/vmjail && \
	  install -m 0755 $(BUILD)/vmjail-image $(DESTDIR)$(LIBEXECDIR)/vmjail/vmjail-image)
	install -m 0644 $(BUILD)/libvmjail.a $(BUILD)/libvmjail.so.$(VERSION) $(DESTDIR)$(LIBDIR)/
	ln -sf libvmjail.so.$(VERSION) $(DESTDIR)$(LIBDIR)/libvmjail.so.$(SOVERSION)
	ln -sf libvmjail.so.$(SOVERSION) $(DESTDIR)$(LIBDIR)/libvmjail.so
	install -m 0644 include/vmjail.h include/vmjail_abi.h $(DESTDIR)$(INCLUDEDIR)/
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@LIBDIR@|$(LIBDIR)|' -e 's|@INCLUDEDIR@|$(INCLUDEDIR)|' \
	  -e 's|@VERSION@|$(VERSION)|' vmjail.pc.in >$(DESTDIR)$(LIBDIR)/pkgconfig/vmjail.pc
	install -m 0644 man/vmjail.1 $(DESTDIR)$(MANDIR)/man1/
	install -m 0644 man/libvmjail.3 $(DESTDIR)$(MANDIR)/man3/
	install -m 0644 $(INSTALLED_DOCS) $(DESTDIR)$(DOCDIR)/
	install -m 0644 examples/*.c $(DESTDIR)$(DOCDIR)/examples/

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/vmjail $(DESTDIR)$(LIBEXECDIR)/vmjail/vmjail-image $(DESTDIR)$(LIBDIR)/libvmjail.a \
	  $(DESTDIR)$(LIBDIR)/libvmjail.so $(DESTDIR)$(LIBDIR)/libvmjail.so.$(SOVERSION) \
	  $(DESTDIR)$(LIBDIR)/libvmjail.so.$(VERSION) $(DESTDIR)$(LIBDIR)/pkgconfig/vmjail.pc \
	  $(DESTDIR)$(INCLUDEDIR)/vmjail.h $(DESTDIR)$(INCLUDEDIR)/vmjail_abi.h \
	  $(DESTDIR)$(MANDIR)/man1/vmjail.1 $(DESTDIR)$(MANDIR)/man3/libvmjail.3
	rm -rf $(DESTDIR)$(DOCDIR)

# Random and stressing system calls inside vmjail (trinity, stress-ng) for a bounded time, on the
# platform auto takes here (tests/stress/run; not part of make check).
STRESS_DEPS := trinity stress-ng
check-stress: deps all
	@./scripts/install-deps $(STRESS_DEPS)
	@./tests/stress/run $(BUILD) $(or $(VJ_PLATFORM),auto)
# CI's bounded run (.ci/run): the process platform on this machine, with a shorter budget (5 s
# per stressor set, 10000 random calls) and a fixed seed, so that a run can be repeated.  KVM's
# part (5000 calls on the emulated host's slower CPU) is `make check-stress-kvm-ci`, on demand:
# with its own boot of the emulated host it no longer fits CI's 75 minutes (docs/testing.md).
STRESS_CI_SEED := 1796562594
check-stress-ci: deps all
	@./scripts/install-deps $(STRESS_DEPS)
	@echo "== stress on the process platform, on this machine"
	@STRESS_SEED=$(STRESS_CI_SEED) STRESS_SYSCALLS=10000 STRESS_SECONDS=5 ./tests/stress/run $(BUILD) process
	@echo "NOT RUN: stress on KVM (make check-stress-kvm-ci; not in CI's time)"
check-stress-kvm-ci: deps all
	@./scripts/install-deps $(STRESS_DEPS)
	@echo "== stress on KVM"
	@STRESS_SEED=$(STRESS_CI_SEED) STRESS_SYSCALLS=5000 STRESS_SECONDS=5 $(WITH_KVM) ./tests/stress/run $(BUILD) kvm

# Real workloads (Redis, nginx, GNU tools in pipelines, Node.js, PostgreSQL, OpenJDK) natively and
# inside vmjail, compared, with load figures side by side (tests/workloads/README.md; not part
# of make check).
# The runner writes the markdown table of docs/compatibility.md's "Workloads" with
# WORKLOADS_DOC=FILE.
WORKLOAD_DEPS := redis-server redis-tools nginx-light wrk nodejs curl postgresql-15 openjdk-17-jdk-headless
check-workloads: deps all
	@./scripts/install-deps $(WORKLOAD_DEPS)
	@./tests/workloads/run $(BUILD) $(if $(WORKLOADS_DOC),--doc $(WORKLOADS_DOC)) $(WORKLOADS)

# What `make install` leaves, the example built against it with pkg-config and run, the man
# pages rendered without a warning (tests/install-check).
check-install: all payloads
	@./tests/install-check $(BUILD)

# ---- the two commands of the README ------------------------------------------------------------
# What needs KVM runs through scripts/with-kvm: here where /dev/kvm can be used, else inside the
# emulated KVM test host (tests/vmhost), which it says in one line.
WITH_KVM := ./scripts/with-kvm

$(BUILD)/demo/hello: demo/hello.c
	@mkdir -p $(dir $@)
	gcc -static -O2 -o $@ $<

demo: deps all $(BUILD)/demo/hello
	@./scripts/demo $(BUILD)

# The integration tests run every payload with the monitor under its seccomp filter
# (VJ_SECCOMP=1, as in containers); the sanitizer pass runs them without it (LeakSanitizer
# needs ptrace, which the filter refuses), so both paths are tested.
VJ_SECCOMP ?= 1
# The plain pass takes the default syscall path (auto: the fast path where the host allows;
# on the process platform, where auto means the exit path, poll: its fast path); the sanitizer
# pass the exit path: both paths pass every test.
VJ_SYSCALL_PATH ?=
# Unit tests (pure logic) run here; the integration tests here on the process platform, and
# the OCI runtime's (conformance, cgroup v2, podman, containerd) here on the platform auto
# takes; then both suites under KVM (here or in the emulated KVM test host).
check: deps all payloads $(UNIT_BINS) check-layout check-syscall-doc
	@echo "== unit tests, on this machine ($$(uname -r)): they need no KVM"
	@./tests/run-unit $(UNIT_BINS)
	@$(MAKE) --no-print-directory check-fuzz-replay
	@echo "== make install, pkg-config and the example program, on this machine"
	@./tests/install-check $(BUILD)
	@echo "== the image commands against a local docker-registry, on this machine (no KVM needed)"
	@./tests/images/run $(BUILD)
	@echo "== the functions-as-a-service gateway (vmjail serve, fn), on this machine (no KVM needed)"
	@./tests/faas/run $(BUILD)
	@echo "== integration tests on the process platform, on this machine (it needs no KVM)"
	@VJ_PLATFORM=process VJ_SECCOMP=$(VJ_SECCOMP) VJ_SYSCALL_PATH=$(or $(VJ_SYSCALL_PATH),poll) ./tests/integration/run $(BUILD)
	@echo "== OCI runtime tests on this machine, on the platform run.vmjail.platform=auto takes here: $$($(BUILD)/vmjail info | sed -n 's/^platform auto.*takes: //p')"
	@./tests/oci/run-all $(BUILD)
	@VJ_SECCOMP=$(VJ_SECCOMP) VJ_SYSCALL_PATH=$(VJ_SYSCALL_PATH) VJ_FLAVOURS="$(VJ_KVM_FLAVOURS)" $(WITH_KVM) ./tests/run-kvm-suites $(BUILD) integration oci

# The image commands (pull, load, images, rmi) against Debian's docker-registry on loopback,
# with images the test makes and pushes with skopeo (tests/images/run; part of make check).
check-images: deps all
	@./tests/images/run $(BUILD)

# vmjail serve and vmjail fn end to end (tests/faas/run; part of make check): under 60 s.
check-faas: deps all
	@./tests/faas/run $(BUILD)

# The OCI runtime: conformance cases (tests/oci/conformance), podman and containerd end to end,
# and the cgroup v2 path, all against $(BUILD)/vmjail.
check-oci: deps all
	@$(WITH_KVM) ./tests/run-kvm-suites $(BUILD) oci

check-unit: all $(UNIT_BINS) check-layout check-syscall-doc
	@./tests/run-unit $(UNIT_BINS)
	@$(MAKE) --no-print-directory check-fuzz-replay

# The tree's layout rules (docs/architecture.md): file sizes, first lines, what the generic
# parts may include, the component table against the folders; first that the check refuses a
# tree breaking each rule.
check-layout:
	@mkdir -p $(BUILD) && ./tests/layout-check --self-test >$(BUILD)/layout-self-test.log 2>&1 || \
	  { cat $(BUILD)/layout-self-test.log; exit 1; }
	@./tests/layout-check

check-unit-integration: deps all payloads $(UNIT_BINS) check-layout check-syscall-doc
	@echo "== unit tests, on this machine ($$(uname -r)): they need no KVM"
	@./tests/run-unit $(UNIT_BINS)
	@$(MAKE) --no-print-directory check-fuzz-replay
	@echo "== integration tests on the process platform, on this machine (it needs no KVM)"
	@VJ_PLATFORM=process VJ_SECCOMP=$(VJ_SECCOMP) VJ_SYSCALL_PATH=$(or $(VJ_SYSCALL_PATH),poll) ./tests/integration/run $(BUILD)
	@VJ_SECCOMP=$(VJ_SECCOMP) VJ_SYSCALL_PATH=$(VJ_SYSCALL_PATH) VJ_FLAVOURS="$(VJ_KVM_FLAVOURS)" VJ_SANDBOX_CASES=$(VJ_KVM_SANDBOX_CASES) $(WITH_KVM) ./tests/run-kvm-suites $(BUILD) integration

# Unit tests, or unit and integration tests, under AddressSanitizer and UBSan, built with clang
# 19: the monitor forks while its other threads run, and clang 14's ASan allocator is not
# fork-safe (a child deadlocked in it, about 1 run in 8 of execmt; none in 40 with clang 19).
ASAN_DEPS := clang-19 libclang-rt-19-dev
ASAN_MAKE = $(MAKE) BUILD=build-asan CC=clang-19 STATIC= \
	  CFLAGS="-O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all" \
	  LDFLAGS="-fsanitize=address,undefined"
asan-deps: deps
	@./scripts/install-deps $(ASAN_DEPS)

check-asan-unit: asan-deps
	$(ASAN_MAKE) check-unit
# The sanitizer pass: unit and integration tests (the OCI tests run in the plain pass: a
# container's monitor is always under the seccomp filter, which LeakSanitizer cannot work in).
# Every flavour of payload on the process platform; on KVM one (VJ_KVM_FLAVOURS): the code only
# KVM runs does not depend on the payload's libc or linking, every flavour runs on KVM in the
# plain pass, and the emulated KVM host's pass of all four took about 23 minutes of CI's 75;
# nor the sandbox cases there (VJ_KVM_SANDBOX_CASES=0): the confinement code is the same on both
# platforms and runs under the sanitizers on the process platform, and those cases took 10 to
# 27 s each in the emulated host under ASan (97 of them: most of that pass's 1553 s in CI19).
check-asan: asan-deps
	$(ASAN_MAKE) VJ_SECCOMP=0 VJ_SYSCALL_PATH=exit VJ_KVM_FLAVOURS=glibc VJ_KVM_SANDBOX_CASES=0 check-unit-integration

# The gdb stub's integration cases alone, all of them (tests/integration/gdb; make check runs
# a part of them where gdb is slow, as in the emulated KVM host).
check-gdb: all payloads
	@./tests/integration/gdb-run $(BUILD)

# CPython's own test suite, natively and in vmjail (minutes): writes docs/compatibility-cpython.md.
compat: deps all
	@./scripts/install-deps python3 libpython3.11-testsuite
	@./tests/compat/cpython $(BUILD)
# The whole suite (python3 -m test --list-tests), both ways, one run at a time (hours): writes
# docs/compatibility-cpython-full.md.
compat-full: deps all
	@./scripts/install-deps python3 libpython3.11-testsuite
	@COMPAT_FULL=1 ./tests/compat/cpython $(BUILD)

bench: deps all payloads
	@./scripts/install-deps $$(cat bench/deps)
	@./bench/run $(BUILD)
	@./bench/fastpath $(BUILD)
	@./bench/podman $(BUILD)

clean:
	rm -rf build build-asan build-clang

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)

.PHONY: check-gdb check-images check-faas check-layout check-syscall-doc syscall-doc check-fuzz-replay fuzz fuzz-ci all payloads deps asan-deps demo check check-oci check-unit check-unit-integration check-asan check-asan-unit check-stress check-stress-ci check-stress-kvm-ci check-workloads bench compat compat-full clean
