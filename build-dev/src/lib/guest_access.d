build-dev/src/lib/guest_access.o: src/lib/guest_access.c src/lib/proc.h \
 src/lib/vm.h include/vmjail.h src/lib/vma.h include/vmjail_abi.h
src/lib/proc.h:
src/lib/vm.h:
include/vmjail.h:
src/lib/vma.h:
include/vmjail_abi.h:
