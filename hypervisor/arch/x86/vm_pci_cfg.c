/*
 * A partition's configuration accesses, by ports 0xcfc-0xcff (pci_filter.c decodes them with
 * its latch) and by its MMCONFIG window (exit_ept.c): decided by pci_access.c with the VM's
 * functions and ranges (vm_pci.c), then done on the hardware here - mechanism #1 under one lock,
 * since it is two port accesses every CPU shares; the extended space through the host's window.
 */
#include <console_proto.h>
#include <plinth/console.h>
#include <plinth/spinlock.h>
#include <plinth/string.h>
#include <x86/cpu.h>
#include <x86/emulate.h>
#include <x86/exit_io.h>
#include <x86/pci.h>
#include <x86/vcpu_events.h>
#include <x86/vm.h>
#include <x86/vm_msi.h>
#include <x86/vm_pci.h>
#include <x86/vmx.h>

#define PCI_CFG_SPACE_LEGACY 0x100 /* what mechanism #1 reaches; the rest needs the window */

static struct spinlock cfg_lock;

/* Mechanism #1 on the hardware: the address, then the data port, as one step for all CPUs. */
static u32 hw_address(u16 bdf, u16 reg)
{
	return PCI_CONFIG_ENABLE | (u32)bdf << 8 | (reg & 0xfc);
}

/* A register of the extended space (0x100-0xfff) through the host's window, which Plinth's
 * identity map covers (vm_pci_set_window keeps it below 4 GiB); NULL without one. */
static volatile void *ecam_reg(u16 bdf, u16 reg)
{
	const struct pci_mmcfg *w = vm_pci_window();

	if (!w->base || PCI_BDF_BUS(bdf) < w->bus_start || PCI_BDF_BUS(bdf) > w->bus_end)
		return NULL;
	return (volatile void *)(uintptr_t)(w->base + ((u64)bdf << 12) + reg);
}

u32 vm_pci_hw_read(u16 bdf, u16 reg, u8 width)
{
	u16 port = (u16)(PCI_CONFIG_DATA + (reg & 3));
	volatile void *p;
	u32 v;

	if (reg >= PCI_CFG_SPACE_LEGACY) {
		p = ecam_reg(bdf, reg);
		if (!p)
			return width == 4 ? 0xffffffffu : (1u << (8 * width)) - 1;
		return width == 1 ? *(volatile u8 *)p : width == 2 ? *(volatile u16 *)p : *(volatile u32 *)p;
	}
	spin_lock(&cfg_lock);
	outl(PCI_CONFIG_ADDRESS, hw_address(bdf, reg));
	v = exit_io_port_in(port, width);
	spin_unlock(&cfg_lock);
	return v;
}

void vm_pci_hw_write(u16 bdf, u16 reg, u8 width, u32 v)
{
	u16 port = (u16)(PCI_CONFIG_DATA + (reg & 3));
	volatile void *p;

	if (reg >= PCI_CFG_SPACE_LEGACY) {
		p = ecam_reg(bdf, reg);
		if (!p)
			return;
		if (width == 1)
			*(volatile u8 *)p = (u8)v;
		else if (width == 2)
			*(volatile u16 *)p = (u16)v;
		else
			*(volatile u32 *)p = v;
		return;
	}
	spin_lock(&cfg_lock);
	outl(PCI_CONFIG_ADDRESS, hw_address(bdf, reg));
	exit_io_port_out(port, width, v);
	spin_unlock(&cfg_lock);
}

/* The function as it is now: the boot sizes with the addresses, command and MSI registers the
 * device holds at this moment. */
static void state_now(const struct vm *vm, const struct vm_pci_fn *f, struct pci_fn_state *st)
{
	u16 rom = f->header_type == 1 ? PCI_REG_BRIDGE_ROM : PCI_REG_ROM;
	u32 i, lo;

	st->header_type = f->header_type;
	st->command = (u16)vm_pci_hw_read(f->bdf, PCI_REG_COMMAND, 2);
	memcpy(st->bars, f->bars, sizeof(st->bars));
	for (i = 0; i < PCI_FILTER_ROM; i++) {
		struct pci_bar_state *b = &st->bars[i];

		if (b->kind != PCI_BAR_KIND_MEM && b->kind != PCI_BAR_KIND_IO)
			continue;
		lo = vm_pci_hw_read(f->bdf, (u16)(PCI_REG_BAR0 + 4 * i), 4);
		b->base = b->kind == PCI_BAR_KIND_IO ? lo & ~3u : lo & ~0xfu;
		if (b->is64)
			b->base |= (u64)vm_pci_hw_read(f->bdf, (u16)(PCI_REG_BAR0 + 4 * i + 4), 4) << 32;
	}
	if (st->bars[PCI_FILTER_ROM].kind == PCI_BAR_KIND_MEM) {
		lo = vm_pci_hw_read(f->bdf, rom, 4);
		st->bars[PCI_FILTER_ROM].base = lo & 0xfffff800u;
		st->bars[PCI_FILTER_ROM].rom_on = lo & 1;
	}
	st->msi_cap = f->msi_cap;
	st->msi_64 = f->msi_64;
	if (f->msi_cap) {
		st->msi_ctrl = (u16)vm_pci_hw_read(f->bdf, (u16)(f->msi_cap + 2), 2);
		st->msi_addr = vm_pci_hw_read(f->bdf, (u16)(f->msi_cap + 4), 4);
		if (f->msi_64)
			st->msi_addr |= (u64)vm_pci_hw_read(f->bdf, (u16)(f->msi_cap + 8), 4) << 32;
		st->msi_data = (u16)vm_pci_hw_read(f->bdf, (u16)(f->msi_cap + (f->msi_64 ? 0x0c : 0x08)), 2);
	}
	vm_msi_fn_state(vm, f->bdf, st);
}

static u32 all_ones(u8 width)
{
	return width == 4 ? 0xffffffffu : (1u << (8 * width)) - 1;
}

u32 vm_pci_cfg_read(struct vcpu *v, const struct pci_cfg_access *a)
{
	const struct vm *vm = v->vm;

	if (pci_cfg_read_check(vm_pci_ownership(), (u16)vm->id, a) != PCI_CFG_PASS)
		return all_ones(a->width);
	if (!pci_owns(vm_pci_ownership(), (u16)vm->id, a->bdf) && !vm_pci_owns_any(vm))
		return all_ones(a->width); /* the host bridge, to a VM without PCI functions */
	if (vm_msi_remapping() && pci_owns(vm_pci_ownership(), (u16)vm->id, a->bdf))
		return vm_msi_cap_read(vm, a, vm_pci_hw_read(a->bdf, a->reg, a->width));
	return vm_pci_hw_read(a->bdf, a->reg, a->width);
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
	const struct vm_pci_fn *f = vm_pci_fn(vm, a->bdf);
	struct vm_pci_ranges r;
	struct pci_fn_state st;
	u32 value = a->value, ids[PLINTH_MAX_CPUS], n = 0;
	int rc;

	vm_pci_ranges(vm, &r);
	if (f)
		state_now(vm, f, &st);
	rc = pci_cfg_write_check(vm_pci_ownership(), (u16)vm->id, a, f ? &st : NULL, r.mmio, r.mmio_count, r.io, r.io_count);
	if (rc == PCI_CFG_CHECK_MSI && vm_msi_remapping()) {
		vm_msi_cap_write(v, a, &st); /* the device keeps Plinth's pair */
		return;
	}
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
			dropped(v, a, value, "decoding, MSI or MSI-X stays off while a BAR, the MSI pair or the MSI-X table is not where the VM may have it");
		vm_pci_hw_write(a->bdf, a->reg, a->width, a->value);
	} else if (rc == PCI_CFG_DROP) {
		dropped(v, a, value, f ? "a BAR would leave the VM's ranges, or a register it may not write" :
					 "the function is read-only to partitions");
	}
	/* ABSENT: not the VM's function; dropped without a word (probing touches many). */
}

static bool in_window(const struct vm *vm, gpa_t gpa)
{
	u64 base;
	u8 start, end;

	return vm_pci_mcfg(vm, &base, &start, &end) && gpa >= base && gpa - base < ((u64)end + 1) * VM_PCI_WINDOW_BUS_SIZE;
}

/* A store into the window: decoded, checked and done as the port path's, or dropped when it is
 * not a configuration access (8 bytes, across a dword). */
static void ecam_store(struct vcpu *v, gpa_t gpa)
{
	struct pci_cfg_access a;
	struct store st;
	u64 old = ~0ULL;

	if (vcpu_in_event_delivery(v) || emulate_decode_store(v, &st)) {
		vcpu_stop_vm(v, false, "vCPU %u wrote its MMCONFIG window at 0x%lx with an access Plinth cannot emulate (guest rip 0x%lx)",
			     v->id, gpa, vmcs_read(VMCS_GUEST_RIP));
		return;
	}
	if (st.size <= 4 && pci_cfg_mmio_decode(vm_pci_window(), gpa, (u8)st.size, &a) == PCI_CFG_PASS) {
		if (st.kind == STORE_XCHG)
			old = vm_pci_cfg_read(v, &a);
		a.value = (u32)st.value;
		vm_pci_cfg_write(v, &a);
	}
	emulate_complete_store(v, &st, old);
}

static void ecam_load(struct vcpu *v, gpa_t gpa)
{
	struct pci_cfg_access a;
	struct load ld;
	u64 value = ~0ULL;

	if (vcpu_in_event_delivery(v) || emulate_decode_load(v, &ld)) {
		vcpu_stop_vm(v, false, "vCPU %u read its MMCONFIG window at 0x%lx with an access Plinth cannot emulate (guest rip 0x%lx)",
			     v->id, gpa, vmcs_read(VMCS_GUEST_RIP));
		return;
	}
	if (ld.size <= 4 && pci_cfg_mmio_decode(vm_pci_window(), gpa, (u8)ld.size, &a) == PCI_CFG_PASS)
		value = vm_pci_cfg_read(v, &a);
	emulate_complete_load(v, &ld, value);
}

bool vm_pci_ecam_access(struct vcpu *v, gpa_t gpa, bool write)
{
	if (!in_window(v->vm, gpa))
		return false;
	if (write)
		ecam_store(v, gpa);
	else
		ecam_load(v, gpa);
	return true;
}

/* Stopping and restarting a VM's functions. Bus mastering off ends the function's DMA and its
 * MSIs (both are memory writes it initiates, PCI Local Bus 3.0, 6.2.2 and 6.8); Interrupt
 * Disable ends its INTx (its pin is masked too, vm_ioapic_quiesce). A function with no reset
 * of its own (no FLR on the e1000) keeps its registers otherwise; the next start writes back
 * the firmware's BARs and command before the guest runs. */
#define COMMAND_IO BIT(0)
#define COMMAND_MEMORY BIT(1)
#define COMMAND_MASTER BIT(2)
#define COMMAND_INTX_DISABLE BIT(10)

static void each_function(struct vm *vm, void (*fn)(struct vm *vm, const struct vm_pci_fn *f))
{
	u16 own[VM_DEVICES_MAX * 4];
	u32 n = vm_pci_functions(vm, own, ARRAY_SIZE(own)), i;

	for (i = 0; i < n && i < ARRAY_SIZE(own); i++) {
		const struct vm_pci_fn *f = vm_pci_fn(vm, own[i]);

		if (f)
			fn(vm, f);
	}
}

static void quiesce_one(struct vm *vm, const struct vm_pci_fn *f)
{
	u16 before = (u16)vm_pci_hw_read(f->bdf, PCI_REG_COMMAND, 2);
	u16 after = (u16)((before & ~COMMAND_MASTER) | COMMAND_INTX_DISABLE);

	vm_pci_hw_write(f->bdf, PCI_REG_COMMAND, 2, after);
	log_info(CONSOLE_FMT_VM_PCI_QUIESCED, vm->name, PCI_BDF_BUS(f->bdf), PCI_BDF_DEV(f->bdf), PCI_BDF_FN(f->bdf), before, after);
}

void vm_pci_quiesce(struct vm *vm)
{
	if (!vm->partition || __atomic_exchange_n(&vm->arch->pci_quiesced, true, __ATOMIC_ACQ_REL))
		return;
	each_function(vm, quiesce_one);
}

static void reset_one(struct vm *vm, const struct vm_pci_fn *f)
{
	u32 i;

	(void)vm;
	vm_pci_hw_write(f->bdf, PCI_REG_COMMAND, 2, f->command_at_boot & ~(COMMAND_IO | COMMAND_MEMORY | COMMAND_MASTER));
	for (i = 0; i < PCI_FILTER_ROM; i++) {
		const struct pci_bar_state *b = &f->bars[i];

		if (b->kind != PCI_BAR_KIND_MEM && b->kind != PCI_BAR_KIND_IO)
			continue;
		vm_pci_hw_write(f->bdf, (u16)(PCI_REG_BAR0 + 4 * i), 4, (u32)b->base);
		if (b->is64)
			vm_pci_hw_write(f->bdf, (u16)(PCI_REG_BAR0 + 4 * ++i), 4, (u32)(b->base >> 32));
	}
	vm_pci_hw_write(f->bdf, PCI_REG_COMMAND, 2, f->command_at_boot);
}

void vm_pci_reset_functions(struct vm *vm)
{
	if (!vm->partition)
		return;
	each_function(vm, reset_one);
	__atomic_store_n(&vm->arch->pci_quiesced, false, __ATOMIC_RELEASE);
}
