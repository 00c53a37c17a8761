/* A VM's address space on VMX (vm.c): its EPT with the firmware's memory types, its exit
 * bitmaps. arch_vm_init is declared in plinth/arch.h. */
#ifndef X86_VM_H
#define X86_VM_H

#include <layout.h>
#include <plinth/vm.h>
#include <x86/ept.h>

struct arch_vm {
	struct ept ept;
	u64 eptp;
	u16 vpid;
	u8 *msr_bitmap;
	u8 *io_bitmap_a, *io_bitmap_b;
	u32 test_port_scratch; /* state of the emulated test device (exit_io.c) */
	struct vcpu *vcpus[PLINTH_MAX_CPUS]; /* by vCPU number, built with the VM */
	/* Said once per VM: a dropped SMI command (io_acpi.c), a host bridge write (pci_filter.c). */
	bool smi_command_logged, pci_config_logged;
};

#endif
