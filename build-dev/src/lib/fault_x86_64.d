build-dev/src/lib/fault_x86_64.o: src/lib/fault_x86_64.c \
 src/lib/fault_x86_64.h src/lib/vm.h include/vmjail.h
src/lib/fault_x86_64.h:
src/lib/vm.h:
include/vmjail.h:
