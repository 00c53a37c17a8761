/* Plinth's init sequence, in boot order. */
#include <console_proto.h>
#include <version.h>
#include <plinth/arch.h>
#include <plinth/boot_info.h>
#include <plinth/cmdline.h>
#include <plinth/console.h>
#include <plinth/memory.h>
#include <plinth/string.h>
#include <plinth/vm.h>

void hv_main(u32 magic, u64 mbi);

/* Called by boot/entry.S in 64-bit mode on the boot stack, with the loader's EAX and EBX. */
void hv_main(u32 magic, u64 mbi)
{
	struct boot_info *bi;
	struct vm *vm = NULL;
	char fault[8], option[16];
	bool virt;
	u32 ncpus;

	arch_early_init();
	console_init(boot_info_parse(magic, mbi)->cmdline);
	log_notice(CONSOLE_BANNER_TEXT " %s (x86-64)", PLINTH_VERSION);
	bi = boot_info_report();
	memory_init(bi);
	if (cmdline_get(bi->cmdline, "fault", fault, sizeof(fault)))
		arch_trigger_fault(fault);
	vm_debug_hypercalls = cmdline_get(bi->cmdline, "debug_hypercalls", NULL, 0);
	vm_iommu_optional = cmdline_get(bi->cmdline, "iommu", option, sizeof(option)) && !strcmp(option, "optional");

	arch_platform_init(bi);
	virt = arch_virt_init();
	ncpus = arch_start_cpus();
	if (cmdline_get(bi->cmdline, "iommu_selftest", NULL, 0))
		arch_dma_selftest(bi, ncpus);
	else if (virt)
		vm = vm_create_default(bi, ncpus);
	if (vm && !arch_vm_init(vm))
		arch_vm_launch(vm);

	log_notice(CONSOLE_NO_GUEST_TEXT "; halting");
	arch_halt();
}
