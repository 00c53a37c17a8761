/* The I/O ports a VM owns (vm_ports.c), for its I/O bitmap: what passes through to it. */
#ifndef X86_VM_PORTS_H
#define X86_VM_PORTS_H

#include <plinth/vm.h>
#include <x86/pci_access.h>

/* The partition's owned port ranges, [start, end), into out (at most max); returns how many it
 * has (more than max: the rest were not written). Today these are the ports of its PCI
 * functions' I/O BARs as the firmware assigned them (vm_pci.c); they are decoded by its devices
 * only, so they pass through. Boot CPU, once the VM's functions are assigned (arch_vm_init). */
u32 vm_ports_owned(const struct vm *vm, struct pci_range *out, u32 max);

#endif
