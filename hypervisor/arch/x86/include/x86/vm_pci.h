/* Partitions' PCI functions (vm_pci.c): ownership, BARs in the VM's EPT and I/O ports, and the
 * VM's configuration accesses. arch_pci_owners and arch_pci_function_present are in
 * plinth/arch.h. */
#ifndef X86_VM_PCI_H
#define X86_VM_PCI_H

#include <plinth/vm.h>
#include <x86/pci_access.h>
#include <x86/vcpu.h>

/* The ownership table of every partition's functions (the configuration's). */
const struct pci_ownership *vm_pci_ownership(void);
/* The functions present on the machine that the VM owns outright, into out (at most max); the
 * count that would be written. Its DMA domain holds these. Boot CPU, before guests run. */
u32 vm_pci_functions(const struct vm *vm, u16 *out, u32 max);
/* Sizes the partition's functions' BARs, adds its memory BARs to its memory (guest-physical =
 * host-physical, for its EPT) and notes its memory and I/O ranges: 0, or -EINVAL/-ENOSPC after
 * one line saying why (a BAR in its RAM, overlapping, wrapping, too many). Before its EPT is
 * built. */
int vm_pci_assign(struct vm *vm);
/* The VM's I/O BARs as sized at boot, [start, end), *count of them (x86/vm_ports.h). */
const struct pci_range *vm_pci_io_ranges(const struct vm *vm, u32 *count);
/* Whether [start, start + size) lies in one of the VM's owned memory BARs. */
bool vm_pci_mmio_owned(const struct vm *vm, u64 start, u64 size);
/* A partition's decoded configuration read (all ones where it sees no function) and write
 * (done, changed or dropped as pci_access.c decides; the first drop is said once per VM). */
u32 vm_pci_cfg_read(struct vcpu *v, const struct pci_cfg_access *a);
void vm_pci_cfg_write(struct vcpu *v, struct pci_cfg_access *a);

#endif
