/* Virtual machines as the core sees them: memory, CPUs, boot image, state. The architecture's
 * state hangs off `arch`, opaque here. */
#ifndef PLINTH_VM_H
#define PLINTH_VM_H

#include <plinth/boot_info.h>
#include <plinth/spinlock.h>
#include <plinth/types.h>
#include <plinth/vm_mem.h>
#include <plinth/vuart.h>
#include <vmconfig.h>

#define VM_MAX VMCONFIG_VM_MAX /* a configuration's VMs, or the default VM */
#define VM_NAME_LEN 16
#define VM_DEVICES_MAX VMCONFIG_DEVICES_MAX /* PCI functions one partition may own */

/* What a partition's reset request (reboot) does: restart it (the default) or stop it. */
#define VM_ON_RESET_RESTART VMCONFIG_ON_RESET_RESTART
#define VM_ON_RESET_STOP VMCONFIG_ON_RESET_STOP

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
	/* The VM owns its CPUs' interrupt controllers once the guest has started them all (the
	 * default VM, which has every CPU): IPIs and EOIs then go to the hardware without Plinth.
	 * Otherwise Plinth filters every IPI to the VM's own CPUs (the arch says how). */
	bool interrupts_passthrough;
	struct arch_vm *arch;
	/* A VM of a configuration (a partition, core/partition.c): ram_size bytes of RAM, at
	 * guest-physical 0 upwards or, for a VM whose devices' DMA is not remapped, at
	 * guest-physical = host-physical above 1 MiB (plinth/ram_layout.h), its kernel (and initrd) from its own modules, which Plinth keeps for a
	 * restart, and its emulated COM1 (uart, under uart_lock: its vCPUs write it, CPU 0 feeds
	 * it input). The default VM has none of these. */
	bool partition;
	bool built; /* ready to launch: memory, image, EPT, vCPUs */
	u64 ram_size;
	u32 kernel_module, initrd_module;
	struct vuart uart;
	struct spinlock uart_lock;
	u32 starts; /* launches so far: 1 after the first, + 1 per restart */
	bool restarting; /* partition_restart under way, until launch_restart has started it */
	u8 on_reset;	/* VM_ON_RESET_*, from the configuration */
	bool owns_rest; /* it owns every PCI function and I/O port no other VM owns */
	u32 device_count;
	u16 devices[VM_DEVICES_MAX]; /* the PCI functions it owns, bus << 8 | dev << 3 | fn */
};

extern struct vm vms[VM_MAX];
extern u32 vm_count;

/* The default VM: all CPUs, all RAM and MMIO outside Plinth's range, identity mapped,
 * booting the first module. Returns NULL (after saying why) when there is no guest. */
struct vm *vm_create_default(struct boot_info *bi, u32 ncpus);
/* The same VM's CPUs and memory only, without a boot image (the DMA self-test uses it). */
struct vm *vm_describe_default(const struct boot_info *bi, u32 ncpus);

/* Puts the VM behind DMA isolation. Without the hardware, a guest runs only with the boot
 * option iommu=optional: 0, or -ENODEV after saying why. */
int vm_isolate_dma(struct vm *vm);
/* Boot option iommu_selftest: the DMA self-test against the default VM's description, when
 * there is DMA remapping hardware to test. */
void vm_dma_selftest(const struct boot_info *bi, u32 ncpus);

/* Stops the VM with a reason: its vCPUs leave guest mode for good, then the report; Plinth
 * goes on. False when another vCPU stopped it first (its report stands). */
bool vm_stop(struct vm *vm, const char *fmt, ...) __printf(2, 3);

#endif
