build-dev/src/cli/cmd_oci_run.o: src/cli/cmd_oci_run.c src/cli/cli.h \
 include/vmjail.h src/oci/oci.h
src/cli/cli.h:
include/vmjail.h:
src/oci/oci.h:
