/* platform.c: which platform a container's VMs run on: the run.vmjail.platform annotation,
 * resolved once at create (auto: KVM where /dev/kvm opens, else the process platform) and kept
 * in the state, so that exec runs its process on the container's platform. */
#include <string.h>

#include "lib/error.h"
#include "oci/oci.h"

const char *oci_annotation(const struct oci_kv *ann, size_t n, const char *key)
{
    for (size_t i = 0; ann && i < n; i++)
        if (ann[i].key && strcmp(ann[i].key, key) == 0)
            return ann[i].value;
    return NULL;
}

int oci_platform_resolve(int platform, int *kvm_fd, vmjail_error **err)
{
    *kvm_fd = -1;
    if (platform == VMJAIL_PLATFORM_KVM || platform == VMJAIL_PLATFORM_AUTO) {
        /* Opened now, in the runtime's mount namespace: the container's /dev has no kvm. */
        *kvm_fd = vmjail_open_kvm(platform == VMJAIL_PLATFORM_KVM ? err : NULL);
        if (*kvm_fd >= 0)
            return VMJAIL_PLATFORM_KVM;
        if (platform == VMJAIL_PLATFORM_KVM)
            return -1;
    }
    if (vmjail_platform_usable(VMJAIL_PLATFORM_PROCESS, err) < 0)
        return -1;
    return VMJAIL_PLATFORM_PROCESS;
}

int oci_platform_of(const struct oci_kv *ann, size_t n, vmjail_error **err)
{
    const char *name = oci_annotation(ann, n, OCI_ANNOTATION_PLATFORM);
    if (name == NULL)
        return VMJAIL_PLATFORM_AUTO;
    int platform = vmjail_platform_by_name(name);
    if (platform < 0)
        return vj_error(err, VMJAIL_ERR_USAGE, 0, "annotation %s: '%s' is not kvm, process or auto",
                        OCI_ANNOTATION_PLATFORM, name);
    return platform;
}
