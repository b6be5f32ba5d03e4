build-dev/src/lib/thread.o: src/lib/thread.c src/lib/thread.h \
 src/lib/proc.h src/lib/vm.h include/vmjail.h src/lib/vma.h \
 include/vmjail_abi.h src/lib/error.h src/lib/process.h src/lib/signal.h \
 src/lib/syscall.h src/lib/trace.h
src/lib/thread.h:
src/lib/proc.h:
src/lib/vm.h:
include/vmjail.h:
src/lib/vma.h:
include/vmjail_abi.h:
src/lib/error.h:
src/lib/process.h:
src/lib/signal.h:
src/lib/syscall.h:
src/lib/trace.h:
