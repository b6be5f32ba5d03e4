build-dev/src/lib/trace.o: src/lib/trace.c src/lib/trace.h src/lib/proc.h \
 src/lib/vm.h include/vmjail.h src/lib/vma.h include/vmjail_abi.h \
 src/lib/syscall.h
src/lib/trace.h:
src/lib/proc.h:
src/lib/vm.h:
include/vmjail.h:
src/lib/vma.h:
include/vmjail_abi.h:
src/lib/syscall.h:
