/* Virtual machines as the core sees them: memory, CPUs, boot image, state. One description of
 * a VM's memory serves EPT (and later the VT-d domain). The architecture's state hangs off
 * `arch`, opaque here. */
#ifndef PLINTH_VM_H
#define PLINTH_VM_H

#include <plinth/boot_info.h>
#include <plinth/types.h>

#define VM_MAX 4
#define VM_MEM_MAX 64
#define VM_NAME_LEN 16

#define VM_MEM_RAM 1  /* guest RAM: cached per the firmware's memory types */
#define VM_MEM_MMIO 2 /* device memory passed through, uncached unless the MTRRs say otherwise */

struct vm_mem {
	gpa_t gpa;
	hpa_t hpa;
	u64 size;
	u32 kind;
};

/* How the boot vCPU starts: 32-bit protected mode, flat segments, paging off, at entry,
 * with these register values and selectors (the multiboot 1 and Linux 32-bit boot protocol
 * states). A GDT the loader wrote in guest memory, or none (gdt_limit 0). */
struct vm_boot {
	u64 entry;
	u64 rax, rbx, rsi;
	u16 cs, ds;
	u64 gdt_base;
	u16 gdt_limit;
	const char *image_kind; /* "multiboot", "linux" for the log */
};

struct arch_vm;

struct vm {
	u32 id;
	char name[VM_NAME_LEN];
	struct vm_mem mem[VM_MEM_MAX];
	u32 mem_count;
	u64 cpu_mask; /* physical CPU indices; vCPU n runs on the n-th CPU in the mask */
	u32 vcpu_count;
	struct vm_boot boot;
	volatile bool stopped;
	struct arch_vm *arch;
};

extern struct vm vms[VM_MAX];
extern u32 vm_count;

/* Adds a memory range; -ENOSPC when the table is full, -EINVAL when it overlaps another. */
int vm_mem_add(struct vm *vm, gpa_t gpa, hpa_t hpa, u64 size, u32 kind);
/* The range that holds [gpa, gpa + size) entirely, or NULL. */
const struct vm_mem *vm_mem_find(const struct vm *vm, gpa_t gpa, u64 size);

/* The default VM: all CPUs, all RAM and MMIO outside Plinth's range, identity mapped,
 * booting the first module. Returns NULL (after saying why) when there is no guest. */
struct vm *vm_create_default(struct boot_info *bi, u32 ncpus);
/* The same VM's CPUs and memory only, without a boot image (the DMA self-test uses it). */
struct vm *vm_describe_default(const struct boot_info *bi, u32 ncpus);

/* Stops the VM with a reason: its vCPUs leave guest mode for good; Plinth goes on. */
void vm_stop(struct vm *vm, const char *fmt, ...) __printf(2, 3);

/* Architecture: build the VM's address space; start vCPU n on this CPU (does not return). */
int arch_vm_init(struct vm *vm);
__noreturn void arch_vcpu_run(struct vm *vm, u32 vcpu);
/* Kick the VM's other vCPUs out of guest mode so they see vm->stopped. */
void arch_vm_kick(struct vm *vm);
/* Prints the VM exits of each of the VM's vCPUs by reason. */
void arch_print_exit_stats(struct vm *vm);

/* Boot option debug_hypercalls: allows the hypercalls that break a VM on purpose (tests). */
extern bool vm_debug_hypercalls;
/* Boot option iommu=optional: run guests even without DMA isolation (no VT-d). */
extern bool vm_iommu_optional;

#endif
