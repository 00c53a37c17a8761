/* Partitions' PCI functions (vm_pci.c): ownership, BARs in the VM's EPT and I/O ports, and the
 * VM's configuration accesses. arch_pci_owners and arch_pci_function_present are in
 * plinth/arch.h. */
#ifndef X86_VM_PCI_H
#define X86_VM_PCI_H

#include <plinth/vm.h>
#include <x86/pci_access.h>
#include <x86/vcpu.h>
#include <x86/vm_acpi.h>

#define VM_PCI_WINDOW_BUS_SIZE (1ULL << 20) /* MMCONFIG: 4 KiB per function, 1 MiB per bus */

/* An owned function as Plinth sized it at boot. */
struct vm_pci_fn {
	u16 bdf, vm;
	u8 header_type;
	u16 command_at_boot; /* as the firmware left it: what a restart of its VM gives back */
	u8 msi_cap;
	bool msi_64;
	struct pci_bar_state bars[PCI_FILTER_ROM + 1]; /* kinds and sizes; base as at boot */
};

/* A VM's memory and I/O ranges (its BARs at boot), [start, end). */
struct vm_pci_ranges {
	const struct pci_range *mmio, *io;
	u32 mmio_count, io_count;
};

/* The ownership table of every partition's functions (the configuration's). */
const struct pci_ownership *vm_pci_ownership(void);
/* The functions present on the machine that the VM owns outright, into out (at most max); the
 * count that would be written. Its DMA domain holds these. Boot CPU, before guests run. */
u32 vm_pci_functions(const struct vm *vm, u16 *out, u32 max);
/* The same by VM id, for a VM not built yet (the configuration's order). */
u32 vm_pci_functions_of(u16 vm_id, u16 *out, u32 max);
/* Sizes the partition's functions' BARs, adds its memory BARs to its memory (guest-physical =
 * host-physical, for its EPT) and notes its memory and I/O ranges: 0, or -EINVAL/-ENOSPC after
 * one line saying why (a BAR in its RAM, overlapping, wrapping, too many). Before its EPT is
 * built. */
int vm_pci_assign(struct vm *vm);
/* The VM's I/O BARs as sized at boot, [start, end), *count of them (x86/vm_ports.h). */
const struct pci_range *vm_pci_io_ranges(const struct vm *vm, u32 *count);
/* Whether the VM owns any function (listed, or the rest). */
bool vm_pci_owns_any(const struct vm *vm);
/* The VM's owned function bdf, or NULL. */
const struct vm_pci_fn *vm_pci_fn(const struct vm *vm, u16 bdf);
void vm_pci_ranges(const struct vm *vm, struct vm_pci_ranges *out);
/* The host's window (base 0: none). */
const struct pci_mmcfg *vm_pci_window(void);
/* Whether [start, start + size) lies in one of the VM's owned memory BARs. */
bool vm_pci_mmio_owned(const struct vm *vm, u64 start, u64 size);
/* (vm_pci_cfg.c) A partition's decoded configuration read (all ones where it sees no function) and write
 * (done, changed or dropped as pci_access.c decides; the first drop is said once per VM). */
u32 vm_pci_cfg_read(struct vcpu *v, const struct pci_cfg_access *a);
void vm_pci_cfg_write(struct vcpu *v, struct pci_cfg_access *a);
/* (vm_pci_cfg.c) A stopped VM's functions stop: bus mastering off (no DMA, no MSI) and INTx
 * disabled, said once per function and stop; any vCPU of it, any number of times. */
void vm_pci_quiesce(struct vm *vm);
/* Before a VM restarts (arch_vm_reset_vcpus): its functions' BARs and command registers as the firmware left them,
 * decoding off while the BARs are written back. */
void vm_pci_reset_functions(struct vm *vm);

/* The host's MMCONFIG window of segment 0 (platform.c, from the MCFG): bus 0's base and the last
 * bus; ignored when Plinth's identity map (the low 4 GiB) does not hold it all. */
void vm_pci_set_window(u64 base, u8 bus_end);
/* The VM's MMCONFIG window for its MCFG (vm_acpi_config's mcfg fields; segment 0): true with
 * the base of bus 0 and the buses when the VM is a partition that owns a PCI function, the host
 * has a window and it lies above the VM's RAM; false: no MCFG (port 0xcf8 access only). */
bool vm_pci_mcfg(const struct vm *vm, u64 *base, u8 *bus_start, u8 *bus_end);
/* The PCI root bridge of the VM's DSDT (vm_acpi_config's pci_ fields): declared when the VM is
 * a partition that owns a function, over buses 0 to the last of its functions' and with its
 * BARs as windows; left out otherwise. */
void vm_pci_acpi(const struct vm *vm, struct vm_acpi_config *c);
/* A partition's EPT violation at gpa: true when it lies in its window and was emulated (or the
 * VM stopped because the instruction cannot be), false when it is not the window's. */
bool vm_pci_ecam_access(struct vcpu *v, gpa_t gpa, bool write);

#endif
