build-dev/src/lib/cpu_x86_64.o: src/lib/cpu_x86_64.c src/lib/cpu_x86_64.h \
 include/vmjail_abi.h
src/lib/cpu_x86_64.h:
include/vmjail_abi.h:
