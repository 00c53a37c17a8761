/*
 * DMA isolation for VMs over VT-d: every PCI function is put in its VM's domain before the VM
 * runs, so devices reach that VM's RAM and nothing else. Whether a VM may run without it is
 * core's decision (core/vm.c); here is only what the hardware does.
 */
#include <plinth/arch.h>
#include <plinth/console.h>
#include <plinth/errno.h>
#include <plinth/vm.h>
#include <x86/pci.h>
#include <x86/vm_pci.h>
#include <x86/vtd.h>

#define PCI_DEVS_MAX 256

static struct pci_dev devs[PCI_DEVS_MAX];

bool arch_dma_isolation_present(void)
{
	return vtd_present();
}

int arch_vm_dma_isolate(struct vm *vm)
{
	struct vtd_domain *d = vtd_domain_for_vm(vm);
	u16 owned[PCI_DEVS_MAX];
	u32 n, i, attached = 0;

	if (!d)
		return -ENOMEM;
	/* A partition's domain holds the functions it owns (vm_pci.c), the default VM's every
	 * function: once translation is on, a device reaches its owner's RAM and nothing else. */
	if (vm->partition) {
		n = MIN(vm_pci_functions(vm, owned, PCI_DEVS_MAX), PCI_DEVS_MAX);
		for (i = 0; i < n; i++)
			devs[i] = (struct pci_dev){ .bus = PCI_BDF_BUS(owned[i]), .dev = PCI_BDF_DEV(owned[i]),
						    .fn = PCI_BDF_FN(owned[i]) };
	} else {
		n = pci_enumerate(devs, PCI_DEVS_MAX);
	}
	for (i = 0; i < n; i++) {
		int rc = vtd_attach(VTD_SID(devs[i].bus, devs[i].dev, devs[i].fn), d);

		if (rc == -ENOMEM) {
			log_warn("%s: cannot put %02x:%02x.%u in its DMA domain: Plinth's page pool is exhausted",
				 vm->name, devs[i].bus, devs[i].dev, devs[i].fn);
			return rc;
		}
		attached += !rc;
	}
	if (vtd_enable())
		return -EBUSY;
	log_info("%s: DMA isolation: %u PCI functions in VT-d domain, Plinth's range unreachable", vm->name, attached);
	return 0;
}
