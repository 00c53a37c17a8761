/*
 * Partitions' MSIs at build (x86/vm_msi.h): each owned function's MSI capability turned off and
 * its MSI-X table decoded (x86/msix.h), its pages taken out of the VM's memory and every entry
 * masked, before anything maps that memory; and, once, whether partitions use interrupt
 * remapping. Apart from vm_msi.c and vm_msix.c because they are exit-path code and this is VM
 * building. Plinth reaches a table through its identity map (hostmap_mmio adds it when it lies
 * above what is mapped).
 */
#include <console_proto.h>
#include <plinth/console.h>
#include <plinth/errno.h>
#include <plinth/memory.h>
#include <plinth/vm_mem.h>
#include <x86/hostmap.h>
#include <x86/pci.h>
#include <x86/vm.h>
#include <x86/vm_ioapic.h>
#include <x86/vm_msi.h>
#include <x86/vm_pci.h>
#include <x86/vtd.h>

#define OWNED_MAX 64 /* vm_pci.c's PCI_FNS_MAX */

static bool decided;

/* The table of f (its cap set) decoded and trapped: 0 (MSI-X then usable, or off after one line
 * why), or -errno after one line. */
static int msix_setup(struct vm *vm, struct vm_msi_fn *f, const struct pci_bar_state *bars)
{
	u16 bdf = f->bdf;
	u8 bus = PCI_BDF_BUS(bdf), dev = PCI_BDF_DEV(bdf), fn = PCI_BDF_FN(bdf);
	u16 ctrl = (u16)vm_pci_hw_read(bdf, (u16)(f->msix_cap + MSIX_CTRL), 2);
	u32 table = vm_pci_hw_read(bdf, (u16)(f->msix_cap + MSIX_TABLE), 4);
	u32 pba = vm_pci_hw_read(bdf, (u16)(f->msix_cap + MSIX_PBA), 4);
	const char *why;
	int rc;

	if (msix_layout_decode(ctrl, table, pba, bars, &f->lay, &why)) {
		log_warn(CONSOLE_FMT_VM_MSIX_OFF, vm->name, bus, dev, fn, why);
		return 0;
	}
	f->trap = bars[f->lay.table_bar].base + f->lay.trap_off;
	f->table = bars[f->lay.table_bar].base + f->lay.table_off;
	f->vec_pages = (u32)(ALIGN_UP((u64)f->lay.entries * sizeof(*f->vec), PMM_PAGE_SIZE) / PMM_PAGE_SIZE);
	f->vec = pages_try_alloc(f->vec_pages);
	if (!f->vec) {
		log_warn("%s: not started: no room in Plinth's pool for the %u MSI-X entries of PCI %02x:%02x.%u", vm->name,
			 f->lay.entries, bus, dev, fn);
		return -ENOMEM;
	}
	rc = vm_mem_remove(vm, f->trap, f->lay.trap_size);
	if (rc) {
		log_warn("%s: not started: the MSI-X table pages 0x%lx-0x%lx of PCI %02x:%02x.%u cannot be left out of its memory (error %d)",
			 vm->name, f->trap, f->trap + f->lay.trap_size, bus, dev, fn, rc);
		pages_free(f->vec, f->vec_pages);
		f->vec = NULL;
		return rc;
	}
	if (!hostmap_reaches(f->trap, f->lay.trap_size))
		hostmap_mmio(f->trap, f->lay.trap_size);
	f->msix_usable = true;
	vm_msix_clear(f, true); /* every entry masked on the device, the guest's view too */
	log_info(CONSOLE_FMT_VM_MSIX, vm->name, bus, dev, fn, f->lay.entries, f->lay.table_bar, f->table, f->trap,
		 f->trap + f->lay.trap_size);
	return 0;
}

static int assign_fn(struct vm *vm, const struct vm_pci_fn *pf)
{
	u8 bus = PCI_BDF_BUS(pf->bdf), dev = PCI_BDF_DEV(pf->bdf), fn = PCI_BDF_FN(pf->bdf);
	int msi = pci_find_capability(bus, dev, fn, PCI_CAP_MSI), msix = pci_find_capability(bus, dev, fn, PCI_CAP_MSIX);
	struct vm_msi_fn f = { .vm = vm, .bdf = pf->bdf }, *kept;
	int rc;

	if (msi <= 0 && msix <= 0)
		return 0;
	if (msi > 0) {
		f.msi_cap = (u8)msi;
		f.msi_64 = vm_pci_hw_read(pf->bdf, (u16)(msi + PCI_MSI_CTRL), 2) & PCI_MSI_CTRL_64;
		vm_msi_disable(&f); /* nothing the firmware left there delivers before the guest asks */
	}
	if (msix > 0) {
		f.msix_cap = (u8)msix;
		rc = msix_setup(vm, &f, pf->bars);
		if (rc)
			return rc;
	}
	kept = vm_msi_add(&f);
	if (!kept) {
		log_warn("%s: not started: its PCI functions with MSI fill Plinth's %u", vm->name, OWNED_MAX);
		return -ENOSPC;
	}
	return 0;
}

int vm_msi_assign(struct vm *vm)
{
	u16 own[OWNED_MAX];
	u32 n = MIN(vm_pci_functions(vm, own, OWNED_MAX), (u32)OWNED_MAX), i;
	int rc;

	for (i = 0; i < n; i++) {
		const struct vm_pci_fn *pf = vm_pci_fn(vm, own[i]);

		rc = pf ? assign_fn(vm, pf) : 0;
		if (rc)
			return rc;
	}
	return 0;
}

void vm_msi_platform_init(void)
{
	int rc;

	if (decided)
		return;
	decided = true;
	if (!vtd_ir_available()) {
		log_info(CONSOLE_FMT_VM_MSI_ROUTING, "checked against each VM's CPUs, without interrupt remapping",
			 vtd_ir_unavailable_reason());
		return;
	}
	if (!vm_ioapic_can_remap()) {
		log_info(CONSOLE_FMT_VM_MSI_ROUTING, "checked against each VM's CPUs, without interrupt remapping",
			 "partitions own I/O APIC pins and the DMAR names no requester ID for the I/O APIC");
		return;
	}
	rc = vtd_ir_enable();
	if (rc) {
		log_warn("partitions: interrupt remapping did not turn on (error %d): device MSIs are checked without it", rc);
		return;
	}
	vm_ioapic_remap_pins();
	vm_msi_set_remapping();
	log_info(CONSOLE_FMT_VM_MSI_ROUTING, "sent through interrupt remapping entries, one per vector, source-id checked",
		 "every unit remaps; owned I/O APIC pins go through entries too");
}
