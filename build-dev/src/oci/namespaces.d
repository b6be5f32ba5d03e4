build-dev/src/oci/namespaces.o: src/oci/namespaces.c src/lib/error.h \
 include/vmjail.h src/oci/sync.h src/oci/oci.h
src/lib/error.h:
include/vmjail.h:
src/oci/sync.h:
src/oci/oci.h:
