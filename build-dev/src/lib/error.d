build-dev/src/lib/error.o: src/lib/error.c src/lib/error.h \
 include/vmjail.h
src/lib/error.h:
include/vmjail.h:
