build-dev/src/cli/cmd_resume.o: src/cli/cmd_resume.c src/cli/cli.h \
 include/vmjail.h src/oci/oci.h
src/cli/cli.h:
include/vmjail.h:
src/oci/oci.h:
