build-dev/src/cli/cmd_pause.o: src/cli/cmd_pause.c src/cli/cli.h \
 include/vmjail.h src/oci/oci.h
src/cli/cli.h:
include/vmjail.h:
src/oci/oci.h:
