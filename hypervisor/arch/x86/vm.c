/*
 * A VM's address space on VMX: its EPT (vm_ept.c) with the firmware's memory types, then the
 * guest's own view where it may apply (vm_mtrr.c), its VPID, its MSR and I/O bitmaps.
 */
#include <console_proto.h>
#include <plinth/arch.h>
#include <plinth/console.h>
#include <plinth/memory.h>
#include <plinth/errno.h>
#include <x86/exit_msr.h>
#include <x86/mtrr.h>
#include <x86/percpu.h>
#include <x86/processor.h>
#include <x86/vcpu.h>
#include <x86/vm.h>
#include <x86/vm_msi.h>
#include <x86/vm_ioapic.h>
#include <x86/vm_ports.h>
#include <x86/vm_pci.h>
#include <x86/vmx.h>

#define ARCH_VM_PAGES ((sizeof(struct arch_vm) + PLINTH_PAGE_SIZE - 1) / PLINTH_PAGE_SIZE)

static void free_page_of(void *page)
{
	if (page)
		page_free(page);
}

/* Gives back every page a VM holds (or the part of them a failed build took). */
static void free_vm(struct vm *vm)
{
	struct arch_vm *a = vm->arch;
	u32 i;

	for (i = 0; i < PLINTH_MAX_CPUS; i++)
		if (a->vcpus[i])
			vcpu_destroy(a->vcpus[i]);
	ept_destroy(&a->ept, page_free);
	ept_destroy(&a->retired, page_free);
	free_page_of(a->msr_bitmap);
	free_page_of(a->io_bitmap_a);
	free_page_of(a->io_bitmap_b);
	pages_free(a, ARCH_VM_PAGES);
	vm->arch = NULL;
}

/* Exit bitmaps and a vCPU for each CPU of the VM's mask, numbered in mask order (the numbering
 * of core/launch.c). */
/* vm_ports_add for each I/O BAR of the partition's PCI functions (vm_pci_assign sized them):
 * 0, or its error after one line. Above 0xffff is not I/O space. */
static int vm_ports_from_pci(struct vm *vm)
{
	u32 n, i;
	const struct pci_range *r = vm_pci_io_ranges(vm, &n);
	int rc;

	for (i = 0; i < n; i++) {
		rc = r[i].end > 0x10000u ? -EINVAL : vm_ports_add(vm, (u16)r[i].start, (u32)(r[i].end - r[i].start));
		if (rc) {
			log_warn("%s: cannot own the I/O ports 0x%lx-0x%lx of its PCI functions (error %d)", vm->name,
				 r[i].start, r[i].end, rc);
			return rc;
		}
	}
	return 0;
}

static int alloc_state(struct vm *vm)
{
	struct arch_vm *a = vm->arch;
	u32 cpu, id = 0;

	a->msr_bitmap = page_try_alloc();
	a->io_bitmap_a = page_try_alloc();
	a->io_bitmap_b = page_try_alloc();
	if (!a->msr_bitmap || !a->io_bitmap_a || !a->io_bitmap_b)
		return -ENOMEM;
	exit_msr_bitmap_init(a->msr_bitmap);
	if (vm->partition && vm_ports_from_pci(vm))
		return -EINVAL;
	vm_ports_bitmap_init(vm); /* a partition's own ports: x86/vm_ports.h */
	for (cpu = 0; cpu < cpu_count; cpu++) {
		if (!(vm->cpu_mask & BIT(cpu)))
			continue;
		a->vcpus[id] = vcpu_create(vm, id, cpu);
		if (!a->vcpus[id++])
			return -ENOMEM;
	}
	return 0;
}

int arch_vm_init(struct vm *vm)
{
	struct arch_vm *a = pages_try_alloc(ARCH_VM_PAGES);
	const char *what = "its vCPUs and exit bitmaps";
	u32 i;
	int rc = -ENOMEM;

	/* A partition's BARs join its memory before anything maps it (vm_pci.c says why not). */
	if (vm->partition) {
		rc = vm_pci_assign(vm);
		if (!rc)
			rc = vm_msi_assign(vm); /* its MSI-X tables' pages out again, trapped */
		if (rc) {
			if (a)
				pages_free(a, ARCH_VM_PAGES);
			vm->arch = NULL;
			return rc;
		}
		rc = -ENOMEM;
	}
	vm->arch = a;
	if (a) {
		a->vpid = (u16)(vm->id + 1);
		rc = alloc_state(vm);
	}
	if (!rc) {
		what = "its EPT";
		mtrr_read(&a->firmware_mtrr);
		mtrr_read_raw(&a->mtrr_applied);
		rc = vm_ept_build(vm, &a->ept, NULL);
	}
	if (rc) {
		if (a)
			free_vm(vm);
		if (rc == -ENOMEM)
			log_warn(CONSOLE_FMT_VM_POOL_EXHAUSTED, vm->name, pool_size_bytes() / KIB, a ? what : "its state",
				 pool_free_bytes() / KIB);
		else
			log_warn("%s: cannot be built: mapping its memory into the EPT failed (error %d)", vm->name, rc);
		return rc;
	}
	/* Before the launch, so INIT and SIPI reach a vCPU whose CPU has not entered it yet. */
	for (i = 0; i < PLINTH_MAX_CPUS && a->vcpus[i]; i++)
		cpus[a->vcpus[i]->cpu]->vcpu = a->vcpus[i];
	a->eptp = ept_pointer(&a->ept);
	vm_ioapic_init(vm);
	if (vm->partition)
		vm_msi_platform_init(); /* once, with every partition's I/O APIC pins known */
	log_info("%s: EPT %lu x 1G + %lu x 2M + %lu x 4K pages in %u table pages (%u KiB)", vm->name,
		 a->ept.leaves_1g, a->ept.leaves_2m, a->ept.leaves_4k, a->ept.table_pages,
		 a->ept.table_pages * 4);
	/* What the VM costs Plinth's pool (its DMA domain, where there is VT-d, is vtd.c's). */
	log_info(CONSOLE_FMT_VM_POOL_COST, vm->name,
		 (a->ept.table_pages + vm->vcpu_count * (VCPU_PAGES + 1) + 3 + ARCH_VM_PAGES) * 4, a->ept.table_pages * 4,
		 vm->vcpu_count, vm->vcpu_count * 4, vm->vcpu_count * VCPU_PAGES * 4, ARCH_VM_PAGES * 4);
	return 0;
}
