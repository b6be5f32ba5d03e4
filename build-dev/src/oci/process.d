build-dev/src/oci/process.o: src/oci/process.c src/lib/error.h \
 include/vmjail.h src/oci/oci.h
src/lib/error.h:
include/vmjail.h:
src/oci/oci.h:
