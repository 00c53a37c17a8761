/*
 * A partition's own I/O ports: those of the PCI functions it owns (their I/O BARs, which
 * vm_pci.c sized at boot). The VM's I/O bitmap lets these through; a BAR the guest moves stays
 * inside them while decoding is on (pci_access.c), so the bitmap need not follow it.
 */
#include <x86/vm_pci.h>
#include <x86/vm_ports.h>

u32 vm_ports_owned(const struct vm *vm, struct pci_range *out, u32 max)
{
	u32 n, i;
	const struct pci_range *r = vm_pci_io_ranges(vm, &n);

	for (i = 0; i < n && i < max; i++)
		out[i] = r[i];
	return n;
}
