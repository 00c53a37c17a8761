/*
 * Partitions: the VMs of a configuration blob, each on its own CPUs with RAM carved out of free
 * host RAM (core/ram_place.c) at guest-physical 0 upwards, or at guest-physical = host-physical
 * above 1 MiB when its devices' DMA is not remapped (core/ram_layout.c), its own EPT, VPID and
 * DMA domain, its kernel from its module, its emulated COM1. The blob was checked by the tools, and is
 * checked again here against this machine (core/config.c): a refused blob starts no VM.
 *
 * A VM's RAM is not cleared before its kernel is loaded: RAM a partition gets held only what
 * the firmware and GRUB left (every module is outside the free RAM), or its own previous run.
 */
#include <console_proto.h>
#include <plinth/arch.h>
#include <plinth/config.h>
#include <plinth/console.h>
#include <plinth/errno.h>
#include <plinth/format.h>
#include <plinth/loader.h>
#include <plinth/memory.h>
#include <plinth/partition.h>
#include <plinth/ram_layout.h>
#include <plinth/ram_place.h>
#include <plinth/string.h>
#include <plinth/vm.h>


bool partition_configured(const struct boot_info *bi)
{
	return bi->module_count &&
	       config_is_blob((const void *)(uintptr_t)bi->modules[0].start, bi->modules[0].end - bi->modules[0].start);
}

static u32 popcount(u64 mask)
{
	u32 n = 0;

	for (; mask; mask &= mask - 1)
		n++;
	return n;
}

/* Whether the VM's RAM goes at guest-physical = host-physical (plinth/ram_layout.h): it owns
 * PCI functions, nothing remaps their DMA (no VT-d: the boot option iommu=optional lets such a
 * VM run, vm_isolate_dma), so a device uses the guest-physical addresses its driver gives it as
 * host-physical ones; only a relocatable kernel runs where that RAM is. One line says which. */
static bool identity_layout(const struct vm *vm)
{
	if ((!vm->device_count && !vm->owns_rest) || arch_dma_isolation_present())
		return false;
	if (loader_relocatable(partition_boot, vm->kernel_module)) {
		log_info(CONSOLE_FMT_VM_RAM_IDENTITY, vm->name);
		return true;
	}
	log_warn(CONSOLE_FMT_VM_RAM_DMA_UNREACHABLE, vm->name);
	return false;
}

/* The VM's RAM: placed in host RAM (below 4 GiB first for an identity layout, where a Linux
 * kernel starting in 32-bit mode and its initrd must lie), then laid out and added to its
 * ranges. False after one line when it cannot be. A restart keeps these ranges. */
static bool build_ram(struct vm *vm, const struct config_vm *c, struct ram_place *p)
{
	static struct ram_layout layout;
	bool identity = identity_layout(vm);
	u32 i;

	if ((!identity || ram_place_below(&ram, c->memory, 4 * GIB, p)) && ram_place(&ram, c->memory, p)) {
		log_warn(CONSOLE_FMT_VM_NOT_BUILT, vm->name, "its RAM does not fit in the free 2 MiB-aligned host RAM");
		return false;
	}
	if (ram_layout(p, identity, &layout)) {
		ram_place_release(&ram, p);
		log_warn(CONSOLE_FMT_VM_NOT_BUILT, vm->name, "its RAM chunks cannot be laid out");
		return false;
	}
	for (i = 0; i < layout.count; i++) {
		const struct ram_layout_range *r = &layout.range[i];

		if (vm_mem_add(vm, r->gpa, r->hpa, r->size, VM_MEM_RAM)) {
			ram_place_release(&ram, p);
			log_warn(CONSOLE_FMT_VM_NOT_BUILT, vm->name, "its RAM chunks do not fit its range table");
			return false;
		}
		log_info(CONSOLE_FMT_VM_RAM, vm->name, r->gpa, r->gpa + r->size, r->hpa, r->hpa + r->size);
	}
	return true;
}

/* RAM, console and image of VM n; false (after one line) when it cannot be built. */
static bool build(struct vm *vm, const struct config_vm *c, u32 n)
{
	static struct ram_place p;
	char why[96];
	u32 i;

	memset(vm, 0, sizeof(*vm));
	vm->id = n;
	memcpy(vm->name, c->name, VM_NAME_LEN);
	vm->cpu_mask = c->cpu_mask;
	vm->vcpu_count = popcount(c->cpu_mask);
	vm->partition = true;
	vm->ram_size = c->memory;
	vm->kernel_module = c->kernel_module;
	vm->initrd_module = c->initrd_module;
	vm->on_reset = c->on_reset == VMCONFIG_ON_RESET_STOP ? VM_ON_RESET_STOP : VM_ON_RESET_RESTART;
	vm->owns_rest = c->owns_rest;
	vm->device_count = c->device_count;
	memcpy(vm->devices, c->devices, sizeof(vm->devices));
	vuart_reset(&vm->uart);
	for (i = 0; i < vm->device_count; i++) {
		if (!arch_pci_function_present(vm->devices[i])) {
			format(why, sizeof(why), "its PCI function %02x:%02x.%u does not exist (vendor ID reads 0xffff)",
			       vm->devices[i] >> 8, (vm->devices[i] >> 3) & 0x1f, vm->devices[i] & 7);
			log_warn(CONSOLE_FMT_VM_NOT_BUILT, vm->name, why);
			return false;
		}
	}
	if (!build_ram(vm, c, &p))
		return false;
	/* The loaders say why they refuse; the VM never runs, so its RAM goes back. */
	if (loader_load(vm, partition_boot, vm->kernel_module)) {
		ram_place_release(&ram, &p);
		log_warn(CONSOLE_FMT_VM_NOT_BUILT, vm->name, "its kernel did not load");
		return false;
	}
	/* Its platform (ACPI tables) after its address space: the tables describe the PCI BARs
	 * that arch_vm_init sizes and maps. The loaders leave the tables' place alone (the low
	 * hole of plinth/guest_map.h). */
	if (arch_vm_init(vm) || vm_isolate_dma(vm)) {
		log_warn(CONSOLE_FMT_VM_NOT_BUILT, vm->name, "its address space or DMA domain could not be built");
		return false;
	}
	if (arch_vm_platform_write(vm)) {
		log_warn(CONSOLE_FMT_VM_NOT_BUILT, vm->name, "its ACPI tables could not be written");
		return false;
	}
	log_info(CONSOLE_FMT_VM_READY, vm->name, vm->cpu_mask, vm->ram_size / MIB, p.count, n + 1);
	vm->built = true;
	return true;
}

u32 partition_create(struct boot_info *bi, u32 ncpus)
{
	static struct config cfg;
	struct config_limits lim = { ncpus >= 64 ? ~0ULL : BIT(ncpus) - 1, bi->module_count, 0,
				     ram_place_capacity(&ram) };
	u64 cpus = 0, memory = 0;
	u32 i, ready = 0;

	partition_boot = bi;
	if (config_parse((const void *)(uintptr_t)bi->modules[0].start, bi->modules[0].end - bi->modules[0].start,
			 &lim, &cfg)) {
		log_warn(CONSOLE_FMT_CONFIG_REFUSED, cfg.error);
		return 0;
	}
	for (i = 0; i < cfg.vm_count; i++) {
		cpus |= cfg.vms[i].cpu_mask;
		memory += cfg.vms[i].memory;
	}
	log_info(CONSOLE_FMT_CONFIG_ACCEPTED, cfg.vm_count, cpus, memory / MIB);
	arch_partitions_platform_init();
	/* Every VM's functions first: the one that owns the rest owns what no other lists. */
	for (i = 0; i < cfg.vm_count; i++)
		arch_pci_owners(i, cfg.vms[i].devices, cfg.vms[i].device_count, cfg.vms[i].owns_rest);
	for (i = 0; i < cfg.vm_count; i++)
		ready += build(&vms[i], &cfg.vms[i], i);
	vm_count = cfg.vm_count;
	return ready;
}
