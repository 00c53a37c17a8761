/* A VM's memory as a list of ranges (core/vm_mem.c): a leaf module that VM building, the
 * guest loaders and guest-memory access share. One description serves EPT and VT-d. */
#ifndef PLINTH_VM_MEM_H
#define PLINTH_VM_MEM_H

#include <plinth/types.h>

#define VM_MEM_MAX 64

#define VM_MEM_RAM 1  /* guest RAM: cached per the firmware's memory types */
#define VM_MEM_MMIO 2 /* device memory passed through, uncached unless the MTRRs say otherwise */

/* Plinth's page tables identity-map the low 4 GiB (boot/entry.S): what it can reach. */
#define VM_MEM_HOST_LIMIT (4 * GIB)

struct vm_mem {
	gpa_t gpa;
	hpa_t hpa;
	u64 size;
	u32 kind;
};

struct vm;

/* Adds a memory range; -ENOSPC when the table is full, -EINVAL when it overlaps another. */
int vm_mem_add(struct vm *vm, gpa_t gpa, hpa_t hpa, u64 size, u32 kind);
/* The range that holds [gpa, gpa + size) entirely, or NULL. */
const struct vm_mem *vm_mem_find(const struct vm *vm, gpa_t gpa, u64 size);
/* Points at guest-physical [gpa, gpa + size) when it is RAM of the VM that Plinth reaches;
 * NULL otherwise (a hypercall then returns -EFAULT to the guest). */
void *vm_mem_ptr(const struct vm *vm, gpa_t gpa, u64 size);

#endif
