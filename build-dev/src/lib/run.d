build-dev/src/lib/run.o: src/lib/run.c src/lib/config.h include/vmjail.h \
 src/lib/error.h src/lib/loader.h src/lib/proc.h src/lib/vm.h \
 src/lib/vma.h include/vmjail_abi.h src/lib/mm.h src/lib/process.h \
 src/lib/seccomp.h src/lib/procfs.h src/lib/syscall.h src/lib/thread.h \
 src/lib/trace.h
src/lib/config.h:
include/vmjail.h:
src/lib/error.h:
src/lib/loader.h:
src/lib/proc.h:
src/lib/vm.h:
src/lib/vma.h:
include/vmjail_abi.h:
src/lib/mm.h:
src/lib/process.h:
src/lib/seccomp.h:
src/lib/procfs.h:
src/lib/syscall.h:
src/lib/thread.h:
src/lib/trace.h:
