build-dev/src/lib/process.o: src/lib/process.c src/lib/error.h \
 include/vmjail.h src/lib/process.h src/lib/proc.h src/lib/vm.h \
 src/lib/vma.h include/vmjail_abi.h src/lib/signal.h src/lib/syscall.h \
 src/lib/thread.h
src/lib/error.h:
include/vmjail.h:
src/lib/process.h:
src/lib/proc.h:
src/lib/vm.h:
src/lib/vma.h:
include/vmjail_abi.h:
src/lib/signal.h:
src/lib/syscall.h:
src/lib/thread.h:
