build-dev/src/lib/seccomp.o: src/lib/seccomp.c src/lib/error.h \
 include/vmjail.h src/lib/seccomp.h src/lib/syscall.h src/lib/proc.h \
 src/lib/vm.h src/lib/vma.h include/vmjail_abi.h
src/lib/error.h:
include/vmjail.h:
src/lib/seccomp.h:
src/lib/syscall.h:
src/lib/proc.h:
src/lib/vm.h:
src/lib/vma.h:
include/vmjail_abi.h:
