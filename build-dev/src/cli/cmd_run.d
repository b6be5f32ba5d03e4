build-dev/src/cli/cmd_run.o: src/cli/cmd_run.c src/cli/cli.h \
 include/vmjail.h
src/cli/cli.h:
include/vmjail.h:
