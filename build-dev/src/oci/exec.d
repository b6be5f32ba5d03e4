build-dev/src/oci/exec.o: src/oci/exec.c src/lib/error.h include/vmjail.h \
 src/oci/oci.h src/oci/sync.h
src/lib/error.h:
include/vmjail.h:
src/oci/oci.h:
src/oci/sync.h:
