/* mem_private.h: guest memory as one private host reservation that the monitor and the guest
 * share (the KVM platform's): the operations vm.h's vj_vm_mem_* perform on it, given the host
 * address MEM of guest address 0. */
#ifndef VJ_MEM_PRIVATE_H
#define VJ_MEM_PRIVATE_H

#include <stdbool.h>
#include <stdint.h>

int vj_private_mem_discard(uint8_t *mem, uint64_t gpa, uint64_t len);
int vj_private_mem_anon(uint8_t *mem, uint64_t gpa, uint64_t len, int prot, bool shared);
int vj_private_mem_file(uint8_t *mem, uint64_t gpa, uint64_t len, int prot, bool shared, int fd,
                        uint64_t offset);
int vj_private_mem_protect(uint8_t *mem, uint64_t gpa, uint64_t len, int prot);
int vj_private_mem_move(uint8_t *mem, uint64_t from, uint64_t to, uint64_t len);
int vj_private_mem_advise(uint8_t *mem, uint64_t gpa, uint64_t len, int advice);
int vj_private_mem_shm(uint8_t *mem, uint64_t gpa, uint64_t len, int prot, void *at);

#endif
