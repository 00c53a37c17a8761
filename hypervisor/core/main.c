/* Plinth's init sequence, in boot order. */
#include <console_proto.h>
#include <version.h>
#include <plinth/arch.h>
#include <plinth/boot_info.h>
#include <plinth/console.h>
#include <plinth/launch.h>
#include <plinth/memory.h>
#include <plinth/monitor.h>
#include <plinth/options.h>
#include <plinth/partition.h>
#include <plinth/vm.h>

void hv_main(u32 magic, u64 mbi);

/* Called by boot/entry.S in 64-bit mode on the boot stack, with the loader's EAX and EBX. */
void hv_main(u32 magic, u64 mbi)
{
	struct boot_info *bi;
	struct vm *vm = NULL;
	bool virt;
	u32 ncpus;

	arch_early_init();
	options_parse(boot_info_parse(magic, mbi)->cmdline);
	console_init();
	log_notice(CONSOLE_BANNER_TEXT " %s (x86-64)", PLINTH_VERSION);
	bi = boot_info_report();
	memory_init(bi);
	if (boot_options.fault_given && !boot_options.fault_all_cpus) {
		log_info("fault=%s: raising it on purpose", boot_options.fault);
		arch_trigger_fault(boot_options.fault);
	}

	arch_platform_init(bi);
	virt = arch_virt_init();
	ncpus = arch_start_cpus();
	if (boot_options.fault_given && boot_options.fault_all_cpus)
		launch_fault_all(boot_options.fault, ncpus);
	if (boot_options.pool_left_given)
		memory_pool_set_aside(boot_options.pool_left_kib * KIB);
	if (boot_options.iommu_selftest)
		vm_dma_selftest(bi, ncpus);
	else if (virt && partition_configured(bi) && partition_create(bi, ncpus))
		launch_partitions(ncpus);
	else if (virt && !partition_configured(bi))
		vm = vm_create_default(bi, ncpus);
	if (vm && !arch_vm_init(vm) && !vm_isolate_dma(vm))
		launch_vm(vm, ncpus);

	/* A refused image, no VMX, a guest without DMA isolation: Plinth still answers. */
	log_notice(CONSOLE_NO_GUEST_TEXT);
	monitor_run();
}
