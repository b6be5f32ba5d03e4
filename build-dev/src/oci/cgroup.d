build-dev/src/oci/cgroup.o: src/oci/cgroup.c src/lib/error.h \
 include/vmjail.h src/oci/oci.h
src/lib/error.h:
include/vmjail.h:
src/oci/oci.h:
