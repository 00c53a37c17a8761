/*
 * VMs as a list of memory ranges, CPUs and a boot image. The default VM takes the whole
 * machine: all CPUs, all RAM and device memory identity-mapped, booting the first module;
 * only guest-physical [Plinth's range] is backed by another host chunk, which the guest's
 * memory map shows reserved and which is absent from its EPT and VT-d domain, as Plinth is.
 */
#include <console_proto.h>
#include <plinth_abi.h>
#include <plinth/arch.h>
#include <plinth/console.h>
#include <plinth/errno.h>
#include <plinth/format.h>
#include <plinth/guest_map.h>
#include <plinth/loader.h>
#include <plinth/memory.h>
#include <plinth/options.h>
#include <plinth/string.h>
#include <plinth/vm.h>

struct vm vms[VM_MAX];
u32 vm_count;

/* Guest-physical space the default VM sees: at least 4 GiB (MMIO lives below it), more when
 * RAM goes higher. Device memory above the top of RAM (64-bit BARs) is not mapped yet. */
#define DEFAULT_VM_MIN_TOP (4 * GIB)

/* The host chunk that backs guest-physical [Plinth's range] in the default VM, once taken. */
static struct reserved_range backing;

/* A free 2 MiB-aligned chunk the size of Plinth's range, from the top of free RAM (so guests
 * find RAM in their first 16 MiB, where kernels are linked, as on bare metal). */
static bool take_backing(void)
{
	u64 size = plinth_reserved.end - plinth_reserved.start, h;

	if (backing.end)
		return true;
	if (pmm_alloc_top(&ram, size, 2 * MIB, &h)) {
		log_warn("vm0: no free 2 MiB-aligned %lu KiB of RAM to stand in for Plinth's range: the guest sees it reserved",
			 size / KIB);
		return false;
	}
	backing = (struct reserved_range){ h, h + size };
	log_info(CONSOLE_FMT_PLINTH_BACKING, plinth_reserved.start, plinth_reserved.end, backing.start, backing.end);
	return true;
}

/* Identity map of [0, top) but Plinth's range, which is RAM backed by the chunk `backing`
 * (absent itself): RAM ranges, and device memory between them. */
static int default_memory(struct vm *vm, const struct boot_info *bi)
{
	/* Sorted, merged sets of ranges: exactly what the page allocator keeps. */
	static struct pmm ram_set, hole_set;
	u64 top = DEFAULT_VM_MIN_TOP;
	bool backed = take_backing();
	u32 i;
	int rc = 0;

	pmm_init(&ram_set);
	for (i = 0; i < bi->mmap_count; i++) {
		if (!guest_map_ram_type(bi->mmap[i].type))
			continue;
		pmm_add(&ram_set, bi->mmap[i].start, bi->mmap[i].end);
		top = MAX(top, ALIGN_UP(bi->mmap[i].end, GIB));
	}
	pmm_init(&hole_set);
	pmm_add(&hole_set, 0, top);
	for (i = 0; i < ram_set.count; i++)
		pmm_remove(&hole_set, ram_set.free[i].start, ram_set.free[i].end);
	pmm_remove(&ram_set, plinth_reserved.start, plinth_reserved.end);
	pmm_remove(&hole_set, plinth_reserved.start, plinth_reserved.end);
	pmm_remove(&ram_set, backing.start, backing.end);

	for (i = 0; i < ram_set.count && !rc; i++)
		rc = vm_mem_add(vm, ram_set.free[i].start, ram_set.free[i].start,
				ram_set.free[i].end - ram_set.free[i].start, VM_MEM_RAM);
	for (i = 0; i < hole_set.count && !rc; i++)
		rc = vm_mem_add(vm, hole_set.free[i].start, hole_set.free[i].start,
				hole_set.free[i].end - hole_set.free[i].start, VM_MEM_MMIO);
	if (!rc && backed)
		rc = vm_mem_add(vm, plinth_reserved.start, backing.start, backing.end - backing.start, VM_MEM_RAM);
	return rc;
}

struct vm *vm_describe_default(const struct boot_info *bi, u32 ncpus)
{
	struct vm *vm = &vms[0];
	int rc;

	memset(vm, 0, sizeof(*vm));
	format(vm->name, sizeof(vm->name), "vm0");
	vm->cpu_mask = ncpus >= 64 ? ~0ULL : BIT(ncpus) - 1;
	vm->vcpu_count = ncpus;
	rc = default_memory(vm, bi);
	if (rc) {
		log_warn("vm0: cannot describe its memory (error %d): too many ranges in the memory map", rc);
		return NULL;
	}
	return vm;
}

struct vm *vm_create_default(struct boot_info *bi, u32 ncpus)
{
	struct vm *vm;
	u64 ram_bytes = 0;
	u32 i;

	if (!bi->module_count) {
		log_info("no modules: nothing to run as a guest");
		return NULL;
	}
	vm = vm_describe_default(bi, ncpus);
	if (!vm)
		return NULL;
	for (i = 0; i < vm->mem_count; i++)
		if (vm->mem[i].kind == VM_MEM_RAM)
			ram_bytes += vm->mem[i].size;
	if (loader_load(vm, bi, 0))
		return NULL;
	vm_count = 1;
	log_info("vm0: %u vCPUs, %lu MiB RAM in %u memory ranges, Plinth's memory at 0x%lx-0x%lx absent", vm->vcpu_count,
		 ram_bytes / MIB, vm->mem_count, plinth_reserved.start, plinth_reserved.end);
	return vm;
}

int vm_isolate_dma(struct vm *vm)
{
	if (arch_dma_isolation_present())
		return arch_vm_dma_isolate(vm);
	if (boot_options.iommu_optional) {
		log_warn("%s: runs WITHOUT DMA isolation (no VT-d; iommu=optional): its devices can write anywhere, Plinth included",
			 vm->name);
		return 0;
	}
	log_warn("%s: refusing to run a guest without DMA isolation (no VT-d); boot with iommu=optional to allow it",
		 vm->name);
	return -ENODEV;
}

void vm_dma_selftest(const struct boot_info *bi, u32 ncpus)
{
	struct vm *vm = vm_describe_default(bi, ncpus);

	if (!vm)
		return;
	if (!arch_dma_isolation_present()) {
		log_info(DMA_SELFTEST_FMT_INFO, "no DMA remapping hardware: translation is unavailable, nothing to test");
		return;
	}
	arch_dma_selftest(vm);
}

bool vm_stop(struct vm *vm, const char *fmt, ...)
{
	char why[192];
	va_list ap;
	u32 running;

	va_start(ap, fmt);
	vformat(why, sizeof(why), fmt, ap);
	va_end(ap);
	if (__atomic_exchange_n(&vm->stopped, true, __ATOMIC_ACQ_REL))
		return false; /* another vCPU stopped it first */
	/* First every vCPU out of guest mode: none can print, take console input or reprogram
	 * the UART while Plinth reports; then the UART is Plinth's again. */
	running = arch_vm_kick(vm);
	arch_console_reclaim();
	log_notice("%s stopped: %s", vm->name, why);
	log_notice("%s: VM exits by reason:", vm->name);
	arch_vm_print_exit_stats(vm);
	if (running)
		log_warn("%s: %u vCPU(s) still in guest mode after the stop", vm->name, running);
	else
		log_notice("Plinth keeps running; the VM's CPUs are idle");
	return true;
}
