/*
 * DMA isolation for VMs: every PCI function is put in its VM's VT-d domain before the VM
 * runs, so devices reach that VM's RAM and nothing else. Without VT-d, guests run only when
 * the boot option iommu=optional says so.
 */
#include <plinth/arch.h>
#include <plinth/console.h>
#include <plinth/errno.h>
#include <plinth/vm.h>
#include <x86/dma_selftest.h>
#include <x86/pci.h>
#include <x86/vtd.h>

#define PCI_DEVS_MAX 256

static struct pci_dev devs[PCI_DEVS_MAX];

int arch_vm_dma_isolate(struct vm *vm)
{
	struct vtd_domain *d;
	u32 n, i, attached = 0;

	if (!vtd_present()) {
		if (vm_iommu_optional) {
			log_warn("%s: runs WITHOUT DMA isolation (no VT-d; iommu=optional): its devices can write anywhere, Plinth included",
				 vm->name);
			return 0;
		}
		log_warn("%s: refusing to run a guest without DMA isolation (no VT-d); boot with iommu=optional to allow it",
			 vm->name);
		return -ENODEV;
	}
	d = vtd_domain_for_vm(vm);
	if (!d)
		return -ENOMEM;
	n = pci_enumerate(devs, PCI_DEVS_MAX);
	for (i = 0; i < n; i++)
		if (!vtd_attach(VTD_SID(devs[i].bus, devs[i].dev, devs[i].fn), d))
			attached++;
	if (vtd_enable())
		return -EBUSY;
	log_info("%s: DMA isolation: %u PCI functions in VT-d domain, Plinth's range unreachable", vm->name, attached);
	return 0;
}

void arch_dma_selftest(const struct boot_info *bi, u32 ncpus)
{
	struct vm *vm = vm_describe_default(bi, ncpus);

	if (!vm)
		return;
	if (!vtd_present()) {
		log_info("dma self-test: no DMA remapping hardware: translation is unavailable, nothing to test");
		return;
	}
	dma_selftest(vm);
}
