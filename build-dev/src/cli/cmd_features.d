build-dev/src/cli/cmd_features.o: src/cli/cmd_features.c src/cli/cli.h \
 include/vmjail.h
src/cli/cli.h:
include/vmjail.h:
