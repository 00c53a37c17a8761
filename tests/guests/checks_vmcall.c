/* vmcall: Plinth's hypercall interface (tools/hvabi.py), including an unknown number. */
#include <plinth/string.h>
#include "checks.h"
#include "plinth_abi.h"
#include "vmcs_fields.h"
#include "x86.h"

#define UNKNOWN_HYPERCALL 0x7777
#define STATS_ENTRIES 128

static u64 exit_stats[STATS_ENTRIES];

void check_vmcall(void)
{
	static const char message[] = "guest: hypercall console ok\n";
	const s64 message_len = sizeof(message) - 1;
	struct fault f;
	s64 ret;

	/* Without a hypervisor VMCALL raises #UD: say so once instead of four times. */
	f = safe_vmcall(PLINTH_HC_VERSION, 0, 0, 0, &ret);
	if (!check_expect_no_fault(f, "VMCALL VERSION"))
		return;
	check_expect(ret == PLINTH_ABI_VERSION, "VERSION returned 0x%lx, not 0x%x", (u64)ret,
		     PLINTH_ABI_VERSION);

	/* Identity-mapped, so the buffer's virtual address is its guest-physical address. */
	f = safe_vmcall(PLINTH_HC_CONSOLE_WRITE, (u64)message, (u64)message_len, 0, &ret);
	if (check_expect_no_fault(f, "VMCALL CONSOLE_WRITE"))
		check_expect(ret == message_len, "CONSOLE_WRITE returned %ld, not %ld", ret, message_len);

	f = safe_vmcall(UNKNOWN_HYPERCALL, 0, 0, 0, &ret);
	if (check_expect_no_fault(f, "VMCALL 0x7777"))
		check_expect(ret == -PLINTH_ENOSYS, "unknown hypercall 0x%x returned %ld, not -ENOSYS (%d)",
			     UNKNOWN_HYPERCALL, ret, -PLINTH_ENOSYS);

	cpuid_leaf(0); /* at least one CPUID exit, whichever checks ran before */
	memset(exit_stats, 0, sizeof(exit_stats));
	f = safe_vmcall(PLINTH_HC_EXIT_STATS, (u64)exit_stats, sizeof(exit_stats), 0, &ret);
	if (!check_expect_no_fault(f, "VMCALL EXIT_STATS"))
		return;
	check_expect(ret > 0, "EXIT_STATS returned %ld", ret);
	check_expect(exit_stats[EXIT_REASON_CPUID] >= 1, "EXIT_STATS counts %lu CPUID exits, expected >= 1",
		     exit_stats[EXIT_REASON_CPUID]);
	/* VERSION, CONSOLE_WRITE and the unknown one before; EXIT_STATS itself may count too. */
	check_expect(exit_stats[EXIT_REASON_VMCALL] >= 2,
		     "EXIT_STATS counts %lu VMCALL exits, expected >= 2", exit_stats[EXIT_REASON_VMCALL]);
}
