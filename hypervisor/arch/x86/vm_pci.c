/*
 * Partitions' PCI functions: who owns which (the configuration's devices lists and the VM that
 * owns the rest), what each owned function's BARs are (sized once at boot), the BARs mapped
 * into their VM's EPT and its I/O ports (the VM's configuration accesses are vm_pci_cfg.c's).
 *
 * The window: a partition that owns a function gets the host's segment 0 window (the MCFG) at the
 * same guest-physical address, left out of its EPT, so that every access is an EPT violation
 * emulated (vm_pci_cfg.c: loads and stores through emulate.c); vm_pci_mcfg gives it for the VM's MCFG.
 *
 * Decisions:
 *  - The host bridge (00:00.0) is READ_ONLY to a VM that owns any function and absent to one
 *    that owns none. Linux's type 1 probe (arch/x86/pci/direct.c, pci_sanity_check) wants a
 *    host bridge, a VGA function or an Intel or Compaq function on bus 0 when there is no DMI
 *    year from 2001 on, and a partition has no SMBIOS: without the bridge, a VM owning only a
 *    non-Intel function would find no PCI at all. Its reads tell nothing of other VMs; its
 *    writes (SMRAM, PAM, memory windows) would be the whole machine's and are dropped.
 *  - Owned memory BARs are mapped at guest-physical = host-physical, with the firmware's
 *    memory type (uncached in the PCI hole; the guest's WC over UC as for the default VM's
 *    MMIO), as the addresses the firmware gave them at boot. The EPT does not follow a moved
 *    BAR: a move is allowed only inside the VM's own BAR windows (pci_access.c's invariant),
 *    so the device still decodes nothing but the VM's. A memory BAR smaller than a page is not
 *    mapped (its page may hold another function's registers): touching it stops the VM.
 *  - MSI and MSI-X are vm_msi.c's: the pages of a BAR that hold an MSI-X table are taken out
 *    of the VM's memory again after this (vm_msi_setup.c), and emulated.
 */
#include <console_proto.h>
#include <plinth/arch.h>
#include <plinth/console.h>
#include <plinth/errno.h>
#include <plinth/string.h>
#include <x86/pci.h>
#include <x86/vm.h>
#include <x86/vm_pci.h>

#define PCI_FNS_MAX 64	     /* owned functions of all partitions */
#define PCI_RANGES_MAX 64    /* memory (I/O) ranges of one VM */
#define PCI_PRESENT_MAX 256  /* functions enumerated */
#define CAP_ID_MSI 0x05
#define MSI_FLAGS_64 BIT(7)
#define PAGE 4096
#define HOST_IDENTITY_LIMIT (4ULL << 30) /* Plinth's identity map of device memory */

struct vm_ranges {
	struct pci_range mmio[PCI_RANGES_MAX], io[PCI_RANGES_MAX];
	u32 mmio_count, io_count;
};

static u16 lists[VM_MAX][VM_DEVICES_MAX];
static struct pci_vm_devices configured[VM_MAX];
static u32 configured_count;
static u16 rest_vm = PCI_VM_NONE;
static struct pci_owner owner_table[1 + VM_MAX * VM_DEVICES_MAX];
static struct pci_ownership ownership;
static struct vm_pci_fn fns[PCI_FNS_MAX];
static u32 fn_count;
static struct vm_ranges ranges[VM_MAX];
static u16 present[PCI_PRESENT_MAX];
static u32 present_count;
static bool enumerated;
static struct pci_mmcfg window; /* the host's segment 0 MMCONFIG window; base 0: none */

void arch_pci_owners(u32 vm_id, const u16 *devices, u32 count, bool owns_rest)
{
	if (vm_id >= VM_MAX || count > VM_DEVICES_MAX)
		return;
	memcpy(lists[vm_id], devices, count * sizeof(u16));
	configured[vm_id] = (struct pci_vm_devices){ lists[vm_id], count };
	if (vm_id >= configured_count)
		configured_count = vm_id + 1;
	if (owns_rest)
		rest_vm = (u16)vm_id;
	/* The table cannot overflow: one entry per listed function, and the host bridge. */
	pci_ownership_build(&ownership, owner_table, ARRAY_SIZE(owner_table), configured, configured_count, rest_vm);
}

const struct pci_ownership *vm_pci_ownership(void)
{
	return &ownership;
}

static const u16 *present_functions(u32 *n)
{
	static struct pci_dev devs[PCI_PRESENT_MAX];
	u32 i;

	if (!enumerated) {
		present_count = pci_enumerate(devs, PCI_PRESENT_MAX);
		for (i = 0; i < present_count; i++)
			present[i] = PCI_BDF(devs[i].bus, devs[i].dev, devs[i].fn);
		enumerated = true;
	}
	*n = present_count;
	return present;
}

u32 vm_pci_functions_of(u16 vm_id, u16 *out, u32 max)
{
	u32 n;
	const u16 *p = present_functions(&n);

	return pci_owned_functions(&ownership, vm_id, p, n, out, max);
}

u32 vm_pci_functions(const struct vm *vm, u16 *out, u32 max)
{
	return vm_pci_functions_of((u16)vm->id, out, max);
}

static bool add_range(struct pci_range *r, u32 *count, u64 start, u64 size)
{
	if (*count == PCI_RANGES_MAX)
		return false;
	r[(*count)++] = (struct pci_range){ start, start + size };
	return true;
}

static const char *bar_name(u32 i)
{
	static const char *const names[] = { "BAR0", "BAR1", "BAR2", "BAR3", "BAR4", "BAR5", "ROM" };

	return names[i];
}

/* One owned BAR: into the VM's ranges, and a memory one into its memory (mapped by the EPT). */
static int assign_bar(struct vm *vm, const struct vm_pci_fn *f, u32 i)
{
	const struct pci_bar_state *b = &f->bars[i];
	struct vm_ranges *r = &ranges[vm->id];
	u8 bus = PCI_BDF_BUS(f->bdf), dev = PCI_BDF_DEV(f->bdf), fn = PCI_BDF_FN(f->bdf);
	bool io = b->kind == PCI_BAR_KIND_IO;
	const char *note = "";

	if (!b->base) {
		log_info(CONSOLE_FMT_VM_PCI_BAR, vm->name, bus, dev, fn, bar_name(i), io ? "I/O" : "mem", 0UL, b->size,
			 ", unassigned by the firmware: not mapped");
		return 0;
	}
	if (b->base + b->size < b->base) {
		log_warn("%s: not started: PCI %02x:%02x.%u %s at 0x%lx size 0x%lx wraps", vm->name, bus, dev, fn,
			 bar_name(i), b->base, b->size);
		return -EINVAL;
	}
	if (io) {
		if (!add_range(r->io, &r->io_count, b->base, b->size))
			return -ENOSPC;
	} else {
		if (vm_mem_touches_ram(vm, b->base, b->size)) {
			log_warn("%s: not started: PCI %02x:%02x.%u %s at 0x%lx-0x%lx lies in its RAM", vm->name, bus,
				 dev, fn, bar_name(i), b->base, b->base + b->size);
			return -EINVAL;
		}
		if (!add_range(r->mmio, &r->mmio_count, b->base, b->size))
			return -ENOSPC;
		if (b->size < PAGE) {
			note = ", smaller than a page: not mapped";
		} else if (vm_mem_add(vm, b->base, b->base, b->size, VM_MEM_MMIO)) {
			log_warn("%s: not started: PCI %02x:%02x.%u %s at 0x%lx-0x%lx overlaps its other memory",
				 vm->name, bus, dev, fn, bar_name(i), b->base, b->base + b->size);
			return -EINVAL;
		}
	}
	log_info(CONSOLE_FMT_VM_PCI_BAR, vm->name, bus, dev, fn, bar_name(i), io ? "I/O" : "mem", b->base,
		 b->base + b->size, note);
	return 0;
}

int vm_pci_assign(struct vm *vm)
{
	u16 own[PCI_FNS_MAX];
	u32 n = vm_pci_functions(vm, own, PCI_FNS_MAX), i, k;

	if (vm->id >= VM_MAX)
		return -EINVAL;
	memset(&ranges[vm->id], 0, sizeof(ranges[vm->id]));
	if (n > PCI_FNS_MAX || fn_count + n > PCI_FNS_MAX) {
		log_warn("%s: not started: it owns %u PCI functions; Plinth keeps %u for all VMs", vm->name, n,
			 PCI_FNS_MAX);
		return -ENOSPC;
	}
	for (i = 0; i < n; i++) {
		struct vm_pci_fn *f = &fns[fn_count];
		u8 bus = PCI_BDF_BUS(own[i]), dev = PCI_BDF_DEV(own[i]), fn = PCI_BDF_FN(own[i]);
		int msi;

		*f = (struct vm_pci_fn){ .bdf = own[i], .vm = (u16)vm->id };
		f->header_type = pci_config_read8(bus, dev, fn, PCI_REG_HEADER_TYPE) & 0x7f;
		f->command_at_boot = pci_config_read16(bus, dev, fn, PCI_REG_COMMAND);
		pci_size_bars(bus, dev, fn, f->bars);
		msi = pci_find_capability(bus, dev, fn, CAP_ID_MSI);
		f->msi_cap = (u8)msi;
		f->msi_64 = msi && (pci_config_read16(bus, dev, fn, (u8)(msi + 2)) & MSI_FLAGS_64);
		log_info(CONSOLE_FMT_VM_PCI_FUNCTION, vm->name, bus, dev, fn, pci_config_read16(bus, dev, fn, 0),
			 pci_config_read16(bus, dev, fn, 2));
		for (k = 0; k <= PCI_FILTER_ROM; k++) {
			int rc;

			if (f->bars[k].kind != PCI_BAR_KIND_MEM && f->bars[k].kind != PCI_BAR_KIND_IO)
				continue;
			rc = assign_bar(vm, f, k);
			if (rc == -ENOSPC)
				log_warn("%s: not started: its PCI BARs fill Plinth's %u ranges per VM", vm->name,
					 PCI_RANGES_MAX);
			if (rc)
				return rc;
		}
		fn_count++;
	}
	return 0;
}

bool vm_pci_owns_any(const struct vm *vm)
{
	return vm->device_count || vm->owns_rest;
}

const struct vm_pci_fn *vm_pci_fn(const struct vm *vm, u16 bdf)
{
	u32 i;

	for (i = 0; i < fn_count; i++)
		if (fns[i].bdf == bdf && fns[i].vm == vm->id)
			return &fns[i];
	return NULL;
}

void vm_pci_ranges(const struct vm *vm, struct vm_pci_ranges *out)
{
	*out = (struct vm_pci_ranges){ 0 };
	if (vm->id < VM_MAX)
		*out = (struct vm_pci_ranges){ ranges[vm->id].mmio, ranges[vm->id].io, ranges[vm->id].mmio_count,
					       ranges[vm->id].io_count };
}

const struct pci_mmcfg *vm_pci_window(void)
{
	return &window;
}

const struct pci_range *vm_pci_io_ranges(const struct vm *vm, u32 *count)
{
	*count = vm->id < VM_MAX ? ranges[vm->id].io_count : 0;
	return vm->id < VM_MAX ? ranges[vm->id].io : NULL;
}

bool vm_pci_mmio_owned(const struct vm *vm, u64 start, u64 size)
{
	return vm->id < VM_MAX && pci_range_inside(ranges[vm->id].mmio, ranges[vm->id].mmio_count, start, size);
}

void vm_pci_set_window(u64 base, u8 bus_end)
{
	/* Bus 0's base: the window of buses 0..bus_end, if Plinth's identity map reaches it all. */
	if (base && base + ((u64)bus_end + 1) * VM_PCI_WINDOW_BUS_SIZE <= HOST_IDENTITY_LIMIT)
		window = (struct pci_mmcfg){ base, 0, bus_end };
}

bool vm_pci_mcfg(const struct vm *vm, u64 *base, u8 *bus_start, u8 *bus_end)
{
	/* The VM's window is the host's, at the same guest-physical address, when it owns a function
	 * and the window is none of its RAM (its EPT leaves the window unmapped: every access exits). */
	if (!vm->partition || !vm_pci_owns_any(vm) || !window.base ||
	    vm_mem_touches_ram(vm, window.base, ((u64)window.bus_end + 1) * VM_PCI_WINDOW_BUS_SIZE))
		return false;
	*base = window.base;
	*bus_start = window.bus_start;
	*bus_end = window.bus_end;
	return true;
}

void vm_pci_acpi(const struct vm *vm, struct vm_acpi_config *c)
{
	u32 i;

	c->pci_root = vm->partition && vm_pci_owns_any(vm) && vm->id < VM_MAX;
	if (!c->pci_root)
		return;
	/* Bus 0 holds the host bridge the VM sees (read-only); Linux scans the root's first bus
	 * and what bridges below it lead to. */
	c->pci_bus_start = 0;
	c->pci_bus_end = 0;
	for (i = 0; i < fn_count; i++)
		if (fns[i].vm == vm->id)
			c->pci_bus_end = MAX(c->pci_bus_end, PCI_BDF_BUS(fns[i].bdf));
	c->pci_mmio = ranges[vm->id].mmio;
	c->pci_mmio_count = ranges[vm->id].mmio_count;
	c->pci_io = ranges[vm->id].io;
	c->pci_io_count = ranges[vm->id].io_count;
}
