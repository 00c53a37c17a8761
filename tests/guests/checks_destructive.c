/*
 * The destructive checks: under Plinth each stops the VM, so the guest's own output ends and
 * Plinth's report is what the system test looks at. Name them last on the command line. On
 * bare metal (or if Plinth lets the guest through) they report fail and the guest goes on.
 */
#include "checks.h"
#include "console.h"
#include "plinth_abi.h"
#include "trap.h"
#include "x86.h"

#define WRITE_PATTERN 0x6775657374212121ull /* "!!!tseug" */

/* plinth_write: Plinth is absent from the guest's EPT (DESIGN.md "Memory"); at its own
 * addresses the guest has RAM backed by a host chunk elsewhere, and that chunk's address,
 * reserved in the memory map, is absent too: a write there must end in an EPT violation that
 * stops the VM. */
void check_plinth_write(void)
{
	u64 at = plinth_backing();
	volatile u64 *target = (volatile u64 *)at;

	if (!check_expect(at, "no reserved 2 MiB-aligned chunk in the memory map to write to"))
		return;
	check_info("writing into the RAM behind Plinth's range at 0x%lx", at);
	console_drain();
	*target = WRITE_PATTERN;
	check_expect(false, "wrote 0x%llx to 0x%lx, read back 0x%lx: the chunk is writable", WRITE_PATTERN, at,
		     *target);
}

/* triple_fault: with an empty IDT, UD2's #UD cannot be delivered (#GP), nor can that (#DF),
 * which is a triple fault (SDM Vol. 3A, 7.15 "Interrupt 8"): a shutdown on bare metal, a VM
 * exit under Plinth. */
void check_triple_fault(void)
{
	struct {
		u16 limit;
		u64 base;
	} __packed empty_idt = { 0, 0 };

	check_info("triple fault");
	console_drain();
	asm volatile("lidt %0\n\tud2" : : "m"(empty_idt) : "memory");
	trap_load_idt();
	check_expect(false, "the CPU went on after an exception with an empty IDT");
}

/* corrupt_state: only with Plinth's boot option debug_hypercalls does this hypercall exist;
 * it makes the next VM entry fail, to prove Plinth's report of it (the VM stops). */
void check_corrupt_state(void)
{
	struct fault f;
	s64 ret;

	check_info("corrupting the guest state: the next VM entry must fail");
	console_drain();
	f = safe_vmcall(PLINTH_HC_DEBUG_CORRUPT_GUEST_STATE, 0, 0, 0, &ret);
	if (check_expect_no_fault(f, "VMCALL DEBUG_CORRUPT_GUEST_STATE"))
		check_expect(false, "DEBUG_CORRUPT_GUEST_STATE returned %ld%s", ret,
			     ret == -PLINTH_EPERM ? " (-EPERM: Plinth runs without debug_hypercalls)" : "");
}
