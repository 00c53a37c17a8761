/* Plinth's init sequence, in boot order. */
#include <console_proto.h>
#include <version.h>
#include <plinth/arch.h>
#include <plinth/boot_info.h>
#include <plinth/cmdline.h>
#include <plinth/console.h>
#include <plinth/memory.h>

void hv_main(u32 magic, u64 mbi);

/* Called by boot/entry.S in 64-bit mode on the boot stack, with the loader's EAX and EBX. */
void hv_main(u32 magic, u64 mbi)
{
	const struct boot_info *bi;
	char fault[8];

	arch_early_init();
	bi = boot_info_parse(magic, mbi);
	console_init(bi->cmdline);
	log_info(CONSOLE_BANNER_TEXT " %s (x86-64)", PLINTH_VERSION);
	bi = boot_info_report();
	memory_init(bi);

	if (cmdline_get(bi->cmdline, "fault", fault, sizeof(fault)))
		arch_trigger_fault(fault);

	log_info(CONSOLE_NO_GUEST_TEXT "; halting");
	arch_halt();
}
