build-dev/src/cli/global.o: src/cli/global.c src/cli/cli.h \
 include/vmjail.h
src/cli/cli.h:
include/vmjail.h:
