build-dev/src/lib/exec.o: src/lib/exec.c src/lib/error.h include/vmjail.h \
 src/lib/loader.h src/lib/proc.h src/lib/vm.h src/lib/vma.h \
 include/vmjail_abi.h src/lib/mm.h src/lib/procfs.h src/lib/signal.h \
 src/lib/syscall.h src/lib/thread.h
src/lib/error.h:
include/vmjail.h:
src/lib/loader.h:
src/lib/proc.h:
src/lib/vm.h:
src/lib/vma.h:
include/vmjail_abi.h:
src/lib/mm.h:
src/lib/procfs.h:
src/lib/signal.h:
src/lib/syscall.h:
src/lib/thread.h:
