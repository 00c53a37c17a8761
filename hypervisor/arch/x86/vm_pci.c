/*
 * Partitions' PCI functions: who owns which (the configuration's devices lists and the VM that
 * owns the rest), what each owned function's BARs are (sized once at boot), the BARs mapped
 * into their VM's EPT and its I/O ports, and the VM's configuration accesses through ports
 * 0xcf8/0xcfc, decided by pci_access.c and done here under one lock (mechanism #1 is two port
 * accesses that every CPU shares).
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
 *  - MSI writes are checked against the VM's APIC IDs (pci_msi_write_check); interrupt
 *    routing proper comes with the next issue.
 */
#include <console_proto.h>
#include <plinth/arch.h>
#include <plinth/console.h>
#include <plinth/errno.h>
#include <plinth/spinlock.h>
#include <plinth/string.h>
#include <x86/cpu.h>
#include <x86/pci.h>
#include <x86/vm.h>
#include <x86/vm_pci.h>

#define PCI_FNS_MAX 64	     /* owned functions of all partitions */
#define PCI_RANGES_MAX 64    /* memory (I/O) ranges of one VM */
#define PCI_PRESENT_MAX 256  /* functions enumerated */
#define CAP_ID_MSI 0x05
#define MSI_FLAGS_64 BIT(7)
#define PAGE 4096

struct owned_fn {
	u16 bdf, vm;
	u8 header_type;
	u8 msi_cap;
	bool msi_64;
	struct pci_bar_state bars[PCI_FILTER_ROM + 1]; /* kinds and sizes; base as at boot */
};

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
static struct owned_fn fns[PCI_FNS_MAX];
static u32 fn_count;
static struct vm_ranges ranges[VM_MAX];
static u16 present[PCI_PRESENT_MAX];
static u32 present_count;
static bool enumerated;
static struct spinlock cfg_lock;

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

u32 vm_pci_functions(const struct vm *vm, u16 *out, u32 max)
{
	u32 n;
	const u16 *p = present_functions(&n);

	return pci_owned_functions(&ownership, (u16)vm->id, p, n, out, max);
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
static int assign_bar(struct vm *vm, const struct owned_fn *f, u32 i)
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
		if (b->base < vm->ram_size) {
			log_warn("%s: not started: PCI %02x:%02x.%u %s at 0x%lx-0x%lx lies in its RAM (0-0x%lx)", vm->name,
				 bus, dev, fn, bar_name(i), b->base, b->base + b->size, vm->ram_size);
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
		struct owned_fn *f = &fns[fn_count];
		u8 bus = PCI_BDF_BUS(own[i]), dev = PCI_BDF_DEV(own[i]), fn = PCI_BDF_FN(own[i]);
		int msi;

		*f = (struct owned_fn){ .bdf = own[i], .vm = (u16)vm->id };
		f->header_type = pci_config_read8(bus, dev, fn, PCI_REG_HEADER_TYPE) & 0x7f;
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

const struct pci_range *vm_pci_io_ranges(const struct vm *vm, u32 *count)
{
	*count = vm->id < VM_MAX ? ranges[vm->id].io_count : 0;
	return vm->id < VM_MAX ? ranges[vm->id].io : NULL;
}

bool vm_pci_mmio_owned(const struct vm *vm, u64 start, u64 size)
{
	return vm->id < VM_MAX && pci_range_inside(ranges[vm->id].mmio, ranges[vm->id].mmio_count, start, size);
}

static const struct owned_fn *owned(const struct vm *vm, u16 bdf)
{
	u32 i;

	for (i = 0; i < fn_count; i++)
		if (fns[i].bdf == bdf && fns[i].vm == vm->id)
			return &fns[i];
	return NULL;
}

/* Mechanism #1 on the hardware: the address, then the data port, as one step for all CPUs. */
static u32 hw_address(u16 bdf, u16 reg)
{
	return PCI_CONFIG_ENABLE | (u32)bdf << 8 | (reg & 0xfc);
}

static u32 hw_read(u16 bdf, u16 reg, u8 width)
{
	u16 port = (u16)(PCI_CONFIG_DATA + (reg & 3));
	u32 v;

	spin_lock(&cfg_lock);
	outl(PCI_CONFIG_ADDRESS, hw_address(bdf, reg));
	v = width == 1 ? inb(port) : width == 2 ? inw(port) : inl(port);
	spin_unlock(&cfg_lock);
	return v;
}

static void hw_write(u16 bdf, u16 reg, u8 width, u32 v)
{
	u16 port = (u16)(PCI_CONFIG_DATA + (reg & 3));

	spin_lock(&cfg_lock);
	outl(PCI_CONFIG_ADDRESS, hw_address(bdf, reg));
	if (width == 1)
		outb(port, (u8)v);
	else if (width == 2)
		outw(port, (u16)v);
	else
		outl(port, v);
	spin_unlock(&cfg_lock);
}

/* The function as it is now: the boot sizes with the addresses, command and MSI registers the
 * device holds at this moment. */
static void state_now(const struct owned_fn *f, struct pci_fn_state *st)
{
	u16 rom = f->header_type == 1 ? PCI_REG_BRIDGE_ROM : PCI_REG_ROM;
	u32 i, lo;

	st->header_type = f->header_type;
	st->command = (u16)hw_read(f->bdf, PCI_REG_COMMAND, 2);
	memcpy(st->bars, f->bars, sizeof(st->bars));
	for (i = 0; i < PCI_FILTER_ROM; i++) {
		struct pci_bar_state *b = &st->bars[i];

		if (b->kind != PCI_BAR_KIND_MEM && b->kind != PCI_BAR_KIND_IO)
			continue;
		lo = hw_read(f->bdf, (u16)(PCI_REG_BAR0 + 4 * i), 4);
		b->base = b->kind == PCI_BAR_KIND_IO ? lo & ~3u : lo & ~0xfu;
		if (b->is64)
			b->base |= (u64)hw_read(f->bdf, (u16)(PCI_REG_BAR0 + 4 * i + 4), 4) << 32;
	}
	if (st->bars[PCI_FILTER_ROM].kind == PCI_BAR_KIND_MEM) {
		lo = hw_read(f->bdf, rom, 4);
		st->bars[PCI_FILTER_ROM].base = lo & 0xfffff800u;
		st->bars[PCI_FILTER_ROM].rom_on = lo & 1;
	}
	st->msi_cap = f->msi_cap;
	st->msi_64 = f->msi_64;
	if (f->msi_cap) {
		st->msi_ctrl = (u16)hw_read(f->bdf, (u16)(f->msi_cap + 2), 2);
		st->msi_addr = hw_read(f->bdf, (u16)(f->msi_cap + 4), 4);
		if (f->msi_64)
			st->msi_addr |= (u64)hw_read(f->bdf, (u16)(f->msi_cap + 8), 4) << 32;
		st->msi_data = (u16)hw_read(f->bdf, (u16)(f->msi_cap + (f->msi_64 ? 0x0c : 0x08)), 2);
	}
}

static bool owns_any(const struct vm *vm)
{
	return vm->device_count || vm->owns_rest;
}

static u32 all_ones(u8 width)
{
	return width == 4 ? 0xffffffffu : (1u << (8 * width)) - 1;
}

u32 vm_pci_cfg_read(struct vcpu *v, const struct pci_cfg_access *a)
{
	const struct vm *vm = v->vm;

	if (pci_cfg_read_check(&ownership, (u16)vm->id, a) != PCI_CFG_PASS)
		return all_ones(a->width);
	if (!pci_owns(&ownership, (u16)vm->id, a->bdf) && !owns_any(vm))
		return all_ones(a->width); /* the host bridge, to a VM without PCI functions */
	return hw_read(a->bdf, a->reg, a->width);
}

static void dropped(struct vcpu *v, const struct pci_cfg_access *a, u32 value, const char *why)
{
	if (v->vm->arch->pci_config_logged)
		return;
	v->vm->arch->pci_config_logged = true;
	log_warn(CONSOLE_FMT_VM_PCI_WRITE_DROPPED, v->vm->name, v->id, value, PCI_BDF_BUS(a->bdf),
		 PCI_BDF_DEV(a->bdf), PCI_BDF_FN(a->bdf), a->reg, why);
}

void vm_pci_cfg_write(struct vcpu *v, struct pci_cfg_access *a)
{
	const struct vm *vm = v->vm;
	const struct owned_fn *f = owned(vm, a->bdf);
	const struct vm_ranges *r = &ranges[vm->id];
	struct pci_fn_state st;
	u32 value = a->value, ids[PLINTH_MAX_CPUS], n = 0;
	int rc;

	if (f)
		state_now(f, &st);
	rc = pci_cfg_write_check(&ownership, (u16)vm->id, a, f ? &st : NULL, r->mmio, r->mmio_count, r->io,
				 r->io_count);
	if (rc == PCI_CFG_CHECK_MSI) {
		while (n < vm->vcpu_count && vm->arch->vcpus[n]) {
			ids[n] = vm->arch->vcpus[n]->apic_id;
			n++;
		}
		rc = pci_msi_write_check(a, &st, ids, n);
		if (rc == PCI_CFG_DROP) {
			dropped(v, a, value, "its MSI would aim outside the VM's CPUs");
			return;
		}
	}
	if (rc == PCI_CFG_PASS) {
		if (a->value != value)
			dropped(v, a, value, "decoding or MSI stays off while a BAR or the MSI pair is outside the VM");
		hw_write(a->bdf, a->reg, a->width, a->value);
	} else if (rc == PCI_CFG_DROP) {
		dropped(v, a, value, f ? "a BAR would leave the VM's ranges, or a register it may not write" :
					 "the function is read-only to partitions");
	}
	/* ABSENT: not the VM's function; dropped without a word (probing touches many). */
}
