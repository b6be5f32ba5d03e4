build-dev/src/lib/config.o: src/lib/config.c src/lib/config.h \
 include/vmjail.h src/lib/error.h include/vmjail_abi.h
src/lib/config.h:
include/vmjail.h:
src/lib/error.h:
include/vmjail_abi.h:
