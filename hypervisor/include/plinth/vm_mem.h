/* A VM's memory as a list of ranges (core/vm_mem.c): a leaf module that VM building, the
 * guest loaders and guest-memory access share. One description serves EPT and VT-d. */
#ifndef PLINTH_VM_MEM_H
#define PLINTH_VM_MEM_H

#include <plinth/types.h>

#define VM_MEM_MAX 64

#define VM_MEM_RAM 1  /* guest RAM: cached per the firmware's memory types */
#define VM_MEM_MMIO 2 /* device memory passed through, uncached unless the MTRRs say otherwise */

struct vm_mem {
	gpa_t gpa;
	hpa_t hpa;
	u64 size;
	u32 kind;
};

struct vm;

/* Adds a memory range; -ENOSPC when the table is full, -EINVAL when it overlaps another. */
int vm_mem_add(struct vm *vm, gpa_t gpa, hpa_t hpa, u64 size, u32 kind);
/* Takes [gpa, gpa + size) out of the one range that holds it all (the range shrinks or is split
 * in two): a hole in the VM's memory, for pages Plinth emulates. -EINVAL when no one range holds
 * it, -ENOSPC when a split finds the table full. */
int vm_mem_remove(struct vm *vm, gpa_t gpa, u64 size);
/* The range that holds [gpa, gpa + size) entirely, or NULL. */
const struct vm_mem *vm_mem_find(const struct vm *vm, gpa_t gpa, u64 size);
/* Points at guest-physical [gpa, gpa + size) when one RAM range of the VM holds it all (so it
 * is contiguous in Plinth's memory too); NULL otherwise (a hypercall then returns -EFAULT). */
void *vm_mem_ptr(const struct vm *vm, gpa_t gpa, u64 size);

/* Whether any byte of guest-physical [gpa, gpa + len) is RAM of the VM (a device's BAR there
 * would hide RAM). A range that wraps touches everything. */
bool vm_mem_touches_ram(const struct vm *vm, gpa_t gpa, u64 len);
/* The end of the VM's highest RAM range (0 without RAM): a partition's RAM need not be all of
 * [0, ram_size) (plinth/ram_layout.h). */
u64 vm_mem_ram_end(const struct vm *vm);
/* Whether every byte of guest-physical [gpa, gpa + len) is RAM of the VM, across ranges. */
bool vm_mem_is_ram(const struct vm *vm, gpa_t gpa, u64 len);
/* The host address of gpa and how many bytes from there (at most len) lie in the same RAM
 * range: guest memory translated piece by piece. -EFAULT when gpa is not the VM's RAM. */
int vm_mem_host_piece(const struct vm *vm, gpa_t gpa, u64 len, hpa_t *hpa, u64 *piece);
/* Copies into, out of, or zeroes guest-physical [gpa, gpa + len) across range boundaries.
 * -EFAULT, with nothing copied, when a byte of it is not the VM's RAM. */
int vm_mem_write(const struct vm *vm, gpa_t gpa, const void *src, u64 len);
int vm_mem_read(const struct vm *vm, gpa_t gpa, void *dst, u64 len);
int vm_mem_zero(const struct vm *vm, gpa_t gpa, u64 len);

#endif
