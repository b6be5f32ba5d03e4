build-dev/src/cli/cmd_create.o: src/cli/cmd_create.c src/cli/cli.h \
 include/vmjail.h src/oci/oci.h
src/cli/cli.h:
include/vmjail.h:
src/oci/oci.h:
