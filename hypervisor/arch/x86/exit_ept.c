/*
 * EPT violations (SDM 28.2.1, Table 28-7): a guest write to the local APIC's page, mapped
 * read-only so Plinth sees the IPIs (vapic.c), or to the host bridge's configuration page
 * (pci_filter.c, the default VM's); a read or write of a partition's I/O APIC page, absent
 * from its EPT (vm_ioapic.c), of its MMCONFIG window (vm_pci.c) or of an MSI-X table page of
 * one of its functions (vm_msix.c); anything else is an access
 * the VM's memory does not allow (Plinth's range, a hole, a write to what is read-only), which
 * stops the VM.
 */
#include <x86/exit_io.h>
#include <x86/vapic.h>
#include <x86/vm_ioapic.h>
#include <x86/vm_msi.h>
#include <x86/vm_pci.h>
#include <x86/vmexit.h>
#include <x86/vmx.h>

#define EXIT_QUAL_EPT_WRITE BIT(1)
#define EXIT_QUAL_EPT_FETCH BIT(2)

void exit_ept_violation(struct vcpu *v)
{
	u64 q = vmcs_read(VMCS_EXIT_QUALIFICATION);
	gpa_t gpa = vmcs_read(VMCS_GUEST_PHYSICAL_ADDRESS);
	const char *access;

	if ((q & EXIT_QUAL_EPT_WRITE) && vapic_is_apic_page(gpa)) {
		vapic_mmio_write(v, gpa);
		return;
	}
	/* A partition's MMCONFIG window is its own, emulated (vm_pci.c); the host bridge's page is
	 * the default VM's only. */
	if (v->vm->partition && !(q & EXIT_QUAL_EPT_FETCH) && vm_pci_ecam_access(v, gpa, q & EXIT_QUAL_EPT_WRITE))
		return;
	if ((q & EXIT_QUAL_EPT_WRITE) && !v->vm->partition && pci_filter_is_ecam_page(gpa)) {
		pci_filter_ecam_write(v, gpa);
		return;
	}
	if (!(q & EXIT_QUAL_EPT_FETCH) && vm_ioapic_is_page(v->vm, gpa)) {
		vm_ioapic_mmio(v, gpa, q & EXIT_QUAL_EPT_WRITE);
		return;
	}
	if (v->vm->partition && !(q & EXIT_QUAL_EPT_FETCH) && vm_msix_access(v, gpa, q & EXIT_QUAL_EPT_WRITE))
		return;
	access = q & EXIT_QUAL_EPT_WRITE ? "write" : q & EXIT_QUAL_EPT_FETCH ? "instruction fetch" : "read";
	vm_stop(v->vm, "EPT violation: %s at guest-physical 0x%lx (%s), vCPU %u, guest rip 0x%lx", access,
		gpa, vm_mem_find(v->vm, gpa, 1) ? "mapped, access not allowed" : "not mapped: Plinth's memory or a hole",
		v->id, vmcs_read(VMCS_GUEST_RIP));
}
