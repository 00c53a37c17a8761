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
	u32 n, i, attached = 0;

	if (!d)
		return -ENOMEM;
	/* A partition owns no PCI function yet (its devices come with a later configuration
	 * version): its domain is built with no function in it, so once translation is on no device
	 * reaches any partition's RAM. */
	n = vm->partition ? 0 : pci_enumerate(devs, PCI_DEVS_MAX);
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
