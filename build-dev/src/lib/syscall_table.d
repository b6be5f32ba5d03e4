build-dev/src/lib/syscall_table.o: src/lib/syscall_table.c \
 src/lib/syscall.h src/lib/proc.h src/lib/vm.h include/vmjail.h \
 src/lib/vma.h include/vmjail_abi.h
src/lib/syscall.h:
src/lib/proc.h:
src/lib/vm.h:
include/vmjail.h:
src/lib/vma.h:
include/vmjail_abi.h:
