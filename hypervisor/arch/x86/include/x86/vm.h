/* A VM's address space on VMX (vm.c): its EPT with the firmware's memory types, then the
 * guest's own once it sets its MTRRs (vm_mtrr.c), its exit bitmaps. arch_vm_init is declared
 * in plinth/arch.h. */
#ifndef X86_VM_H
#define X86_VM_H

#include <layout.h>
#include <plinth/spinlock.h>
#include <plinth/vrtc.h>
#include <plinth/vm.h>
#include <x86/ept.h>
#include <x86/mtrr.h>
#include <x86/vm_ioapic.h>

/* I/O ports a partition owns besides owns_rest's (vm_ports.c): its PCI functions' I/O BARs. */
#define VM_PORT_RANGES_MAX 16
/* Port groups the absent-port accounting names (io_legacy.c). */
#define IO_LEGACY_GROUPS 8

struct vm_port_range {
	u32 base, count;
};

struct arch_vm {
	/* The EPT new VM entries use and its pointer; the one before it (retired.pml4 NULL when
	 * none) until every vCPU has left it; ept_gen counts the switches. ept_lock keeps them,
	 * and mtrr_applied, consistent while vCPUs switch (vm_mtrr.c). */
	struct ept ept;
	u64 eptp;
	struct ept retired;
	u32 ept_gen;
	struct spinlock ept_lock;
	struct mtrr_state firmware_mtrr; /* the host's, read when the VM was built */
	struct vmtrr mtrr_applied;	 /* the view the EPT carries (first the firmware's) */
	struct vmtrr mtrr_wanted;	 /* a view to apply once the retired EPT is freed */
	bool mtrr_wanted_pending;
	bool mtrr_rebuild_failed_logged;
	u16 vpid;
	u8 *msr_bitmap;
	u8 *io_bitmap_a, *io_bitmap_b;
	u32 test_port_scratch; /* state of the emulated test device (exit_io.c) */
	struct vcpu *vcpus[PLINTH_MAX_CPUS]; /* by vCPU number, built with the VM */
	/* The xAPIC page is the guest's (vapic.c): its writes no longer exit. */
	volatile bool apic_page_open;
	/* Said once per VM: a dropped SMI command (io_acpi.c), a host bridge write (pci_filter.c). */
	bool smi_command_logged, pci_config_logged;
	u32 pci_config_address; /* a partition's own CONFIG_ADDRESS (io_reset.c) */
	struct vm_ioapic ioapic; /* a partition's I/O APIC (vm_ioapic.c) */
	/* The ports a partition owns by range (vm_ports_add: its PCI functions' I/O BARs), empty
	 * until the device code fills it; with owns_rest, every port no other VM owns and Plinth
	 * does not hold is the VM's too. claims_owned: which claimed ranges (exit_io_claim, by
	 * index) have hardware the VM owns, so their handlers may pass accesses through. */
	struct vm_port_range ports[VM_PORT_RANGES_MAX];
	u32 port_count;
	u32 claims_owned;
	/* Accesses to ports that are not the VM's, by group (io_legacy.c), and the groups said. */
	u64 absent[IO_LEGACY_GROUPS];
	u32 absent_said;
	/* The emulated RTC at 0x70/0x71 of a partition that does not own them (io_legacy.c), and
	 * whether a write to its registers was said (they are read-only). */
	struct vrtc rtc;
	bool rtc_write_said;
	/* Its PCI functions were quiesced since it last started (vm_pci_cfg.c). */
	bool pci_quiesced;
};

/* Builds the VM's memory into ept (set up here): the firmware's memory types, and guest's
 * MTRR view where x86/ept_memtype.h lets it apply (NULL: the firmware's only). 0, or -ENOMEM
 * or -EINVAL with ept's pages given back. */
int vm_ept_build(struct vm *vm, struct ept *ept, const struct mtrr_state *guest);
void vm_ept_free(struct ept *ept);

#endif
