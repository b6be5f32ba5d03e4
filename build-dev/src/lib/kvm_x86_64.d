build-dev/src/lib/kvm_x86_64.o: src/lib/kvm_x86_64.c src/lib/cpu_x86_64.h \
 src/lib/error.h include/vmjail.h src/lib/kvm_x86_64.h src/lib/vm.h \
 include/vmjail_abi.h
src/lib/cpu_x86_64.h:
src/lib/error.h:
include/vmjail.h:
src/lib/kvm_x86_64.h:
src/lib/vm.h:
include/vmjail_abi.h:
