build-dev/src/cli/cmd_kill.o: src/cli/cmd_kill.c src/cli/cli.h \
 include/vmjail.h src/oci/oci.h
src/cli/cli.h:
include/vmjail.h:
src/oci/oci.h:
