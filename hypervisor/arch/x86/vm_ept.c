/*
 * A VM's EPT: its memory mapped with the memory types of ept_memtype.c (the firmware's MTRRs,
 * and the guest's view once it sets one, vm_mtrr.c), the device pages whose writes Plinth
 * filters read-only and uncached; and what the EPT gives an address now (the debug hypercall).
 */
#include <plinth/arch.h>
#include <plinth/errno.h>
#include <plinth/memory.h>
#include <x86/apic.h>
#include <x86/ept_memtype.h>
#include <x86/processor.h>
#include <x86/smram.h>
#include <x86/vm.h>
#include <x86/vmx.h>

static void *ept_page(void)
{
	return page_try_alloc();
}

/* Device pages the guest reads but whose writes exit: the local APIC's (vapic.c) and the host
 * bridge's PCI Express configuration page (pci_filter.c); 0 where there is none. */
static u64 write_trapped_page(u64 start, u64 end)
{
	u64 pages[] = { apic_page(), smram_bridge_ecam_page() };
	u32 i;

	for (i = 0; i < ARRAY_SIZE(pages); i++)
		if (pages[i] && pages[i] >= start && pages[i] < end)
			return pages[i];
	return 0;
}

/* Maps one region, split where the memory type changes (ept_memtype.c), and around a
 * write-trapped page, which is read-only and uncached whatever the guest's MTRRs say - except
 * the local APIC's once the VM has it (apic_open: apic_passthrough.c), which stays writable
 * in every EPT built after that. */
static int map_region(struct ept *ept, const struct mtrr_state *fw, const struct mtrr_state *guest,
		      const struct vm_mem *m, bool apic_open)
{
	u64 at = m->gpa, end = m->gpa + m->size;
	u64 page = m->kind == VM_MEM_MMIO ? write_trapped_page(m->gpa, end) : 0;

	if (page) {
		struct vm_mem before = *m, after = *m;
		int rc = 0;

		before.size = page - m->gpa;
		after.gpa = after.hpa = page + XAPIC_PAGE_SIZE;
		after.size = end - after.gpa;
		if (before.size)
			rc = map_region(ept, fw, guest, &before, apic_open);
		if (!rc)
			rc = ept_map(ept, page, page, XAPIC_PAGE_SIZE,
				     EPT_READ | (apic_open && page == apic_page() ? EPT_WRITE : 0) |
					     EPT_MEMTYPE(MTRR_TYPE_UC));
		if (!rc && after.size)
			rc = map_region(ept, fw, guest, &after, apic_open);
		return rc;
	}

	while (at < end) {
		u8 type;
		u64 run = ept_memtype_run(fw, guest, m, at, end, &type);
		int rc = ept_map(ept, at, m->hpa + (at - m->gpa), run - at, EPT_RWX | EPT_MEMTYPE(type));

		if (rc)
			return rc;
		at = run;
	}
	return 0;
}

int vm_ept_build(struct vm *vm, struct ept *ept, const struct mtrr_state *guest)
{
	u32 i;
	int rc = ept_init(ept, ept_page, vmx_caps.ept_vpid & EPT_CAP_2M, vmx_caps.ept_vpid & EPT_CAP_1G);

	for (i = 0; !rc && i < vm->mem_count; i++)
		rc = map_region(ept, &vm->arch->firmware_mtrr, guest, &vm->mem[i], vm->arch->apic_page_open);
	/* A partition's memory is its RAM; its CPUs' local APIC page is there too, read-only, so
	 * that its writes exit (vapic.c) as the default VM's do until it opens the page. */
	if (!rc && vm->partition && apic_page())
		rc = ept_map(ept, apic_page(), apic_page(), XAPIC_PAGE_SIZE, EPT_READ | EPT_MEMTYPE(MTRR_TYPE_UC));
	if (rc)
		ept_destroy(ept, page_free);
	return rc;
}

void vm_ept_free(struct ept *ept)
{
	ept_destroy(ept, page_free);
}

int arch_vm_memory_type(struct vm *vm, gpa_t gpa)
{
	struct arch_vm *a = vm->arch;
	u64 hpa, flags, size;
	int rc;

	spin_lock(&a->ept_lock);
	rc = ept_lookup(&a->ept, gpa, &hpa, &flags, &size);
	spin_unlock(&a->ept_lock);
	return rc ? rc : (int)((flags >> EPT_MEMTYPE_SHIFT) & 7);
}
