build-dev/src/cli/cmd_spec.o: src/cli/cmd_spec.c src/cli/cli.h \
 include/vmjail.h
src/cli/cli.h:
include/vmjail.h:
