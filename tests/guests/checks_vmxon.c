/*
 * vmxon: VMX instructions in VMX non-root operation always exit (SDM Vol. 3C, 26.1.2); Plinth
 * hides VMX, so it must answer each with #UD, as a CPU without VMX (or with CR4.VMXE clear)
 * does (SDM Vol. 3C, 31.3 "VMXON": #UD if CR4.VMXE = 0). Hypercalls must keep working.
 */
#include "checks.h"
#include "guest_layout.h"
#include "plinth_abi.h"
#include "vmcs_fields.h"
#include "x86.h"

/* A VMXON region: 4 KiB aligned (SDM Vol. 3C, 25.11.5). Its contents do not matter, as the
 * instruction must not get that far. */
static u8 vmxon_region[PAGE_SIZE] __aligned(PAGE_SIZE);

void check_vmxon(void)
{
	struct fault f;
	u64 value;
	s64 ret;

	f = safe_vmxon((u64)vmxon_region);
	check_expect_fault(f, X86_UD, 0, "VMXON");

	f = safe_vmcall(PLINTH_HC_VERSION, 0, 0, 0, &ret);
	if (check_expect_no_fault(f, "VMCALL VERSION after VMXON"))
		check_expect(ret == PLINTH_ABI_VERSION, "VERSION after VMXON returned 0x%lx", (u64)ret);

	f = safe_vmread(VMCS_GUEST_RIP, &value); /* any field: it must fault before looking */
	check_expect_fault(f, X86_UD, 0, "VMREAD");
	f = safe_vmptrst(&value);
	check_expect_fault(f, X86_UD, 0, "VMPTRST");
}
