build-dev/src/lib/syscall.o: src/lib/syscall.c src/lib/syscall.h \
 src/lib/proc.h src/lib/vm.h include/vmjail.h src/lib/vma.h \
 include/vmjail_abi.h src/lib/procfs.h src/lib/signal.h src/lib/trace.h
src/lib/syscall.h:
src/lib/proc.h:
src/lib/vm.h:
include/vmjail.h:
src/lib/vma.h:
include/vmjail_abi.h:
src/lib/procfs.h:
src/lib/signal.h:
src/lib/trace.h:
