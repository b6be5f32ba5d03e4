build-dev/src/oci/container.o: src/oci/container.c src/lib/error.h \
 include/vmjail.h src/oci/oci.h src/oci/sync.h
src/lib/error.h:
include/vmjail.h:
src/oci/oci.h:
src/oci/sync.h:
