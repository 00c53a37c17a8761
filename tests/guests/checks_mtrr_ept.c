/*
 * mtrr_ept (issue 13, finding 3): the guest's MTRRs type its memory. Asked through the debug
 * hypercall DEBUG_EPT_MEMORY_TYPE (Plinth's boot option debug_hypercalls), the VM's EPT gives:
 * - guest RAM at 16 MiB WB (the firmware's), then UC for exactly the 2 MiB a free variable
 *   range makes UC, and WB again when the range goes;
 * - the same after MTRRs disabled and enabled again around a rewrite of the same values (the
 *   system test counts the EPT rebuilds: none for that);
 * - MMIO at 0xfec00000 WC when the guest makes that uncached range write-combining (with
 *   the firmware's UC range over it gone from its view: UC wins an overlap), but never WB.
 * Each change follows the SDM's order (Vol. 3A 12.11.7.2): E clear, the ranges, E set.
 */
#include "checks.h"
#include "guarded.h"
#include "plinth_abi.h"
#include "x86.h"

#define MSR_MTRRCAP 0xfe
#define MSR_MTRR_PHYSBASE(i) (0x200 + 2 * (i))
#define MSR_MTRR_PHYSMASK(i) (0x201 + 2 * (i))
#define MSR_MTRR_DEF_TYPE 0x2ff
#define MTRR_DEF_TYPE_ENABLE BIT(11)
#define MTRR_VALID BIT(11)
#define MTRR_UC 0
#define MTRR_WC 1
#define MTRR_WB 6
#define RAM_AT ((u64)0x1000000) /* 16 MiB: RAM in every test VM, not the guest's image */
#define MMIO_AT ((u64)0xfec00000) /* the IOAPIC's 2 MiB: MMIO the test guest does not use */
#define SIZE_2M ((u64)0x200000)
#define MASK_2M(bits) ((((1ull << (bits)) - 1) & ~(SIZE_2M - 1)) | MTRR_VALID)

static s64 ept_type(u64 gpa)
{
	s64 ret = -1;

	if (!check_expect_no_fault(safe_vmcall(PLINTH_HC_DEBUG_EPT_MEMORY_TYPE, gpa, 0, 0, &ret),
				   "VMCALL DEBUG_EPT_MEMORY_TYPE"))
		return -1;
	return ret;
}

static void expect_type(u64 gpa, s64 want, const char *when)
{
	s64 got = ept_type(gpa);

	check_expect(got == want, "%s: the EPT types 0x%lx %ld, expected %ld", when, gpa, got, want);
}

/* Writes msr = value between E clear and E set, as the SDM's procedure does. */
static void set_mtrrs(u64 def, const u32 *msr, const u64 *value, u32 n)
{
	u32 i;

	wrmsr(MSR_MTRR_DEF_TYPE, def & ~MTRR_DEF_TYPE_ENABLE);
	for (i = 0; i < n; i++)
		wrmsr(msr[i], value[i]);
	wrmsr(MSR_MTRR_DEF_TYPE, def);
}

void check_mtrr_ept(void)
{
	u64 cap, def, mask, var0_mask;
	u32 bits = cpuid_leaf(0x80000000).eax >= 0x80000008 ? cpuid_leaf(0x80000008).eax & 0xff : 36;
	u32 i, slot = 0;
	s64 first;

	first = ept_type(RAM_AT);
	if (!check_expect(first >= 0, "DEBUG_EPT_MEMORY_TYPE returned %ld%s", first,
			  first == -PLINTH_EPERM ? " (-EPERM: Plinth runs without debug_hypercalls)" : ""))
		return;
	cap = rdmsr(MSR_MTRRCAP);
	def = rdmsr(MSR_MTRR_DEF_TYPE);
	for (i = 1; i < (cap & 0xff) && !slot; i++)
		if (!(rdmsr(MSR_MTRR_PHYSMASK(i)) & MTRR_VALID))
			slot = i;
	if (!check_expect(def & MTRR_DEF_TYPE_ENABLE, "IA32_MTRR_DEF_TYPE 0x%lx: MTRRs disabled", def) ||
	    !check_expect(slot, "no free variable range among %lu", cap & 0xff))
		return;
	var0_mask = rdmsr(MSR_MTRR_PHYSMASK(0));
	mask = MASK_2M(bits);
	check_info("mtrr_ept: def_type 0x%lx, range %u free, 0x%lx typed %ld", def, slot, RAM_AT, first);
	expect_type(RAM_AT, MTRR_WB, "at first");

	/* UC over 2 MiB of RAM: that much and no more. */
	{
		u32 msr[] = { MSR_MTRR_PHYSBASE(slot), MSR_MTRR_PHYSMASK(slot) };
		u64 val[] = { RAM_AT | MTRR_UC, mask };

		set_mtrrs(def, msr, val, 2);
		expect_type(RAM_AT, MTRR_UC, "RAM made UC");
		expect_type(RAM_AT + SIZE_2M - 0x1000, MTRR_UC, "RAM made UC");
		expect_type(RAM_AT + SIZE_2M, MTRR_WB, "RAM after the UC range");
		expect_type(RAM_AT - 0x1000, MTRR_WB, "RAM before the UC range");
		/* The same values again (E off and on): the view has not changed. */
		set_mtrrs(def, msr, val, 2);
		expect_type(RAM_AT, MTRR_UC, "the same values again");
	}
	/* WC over UC MMIO, the firmware's UC range (range 0 in Bochs) gone from the guest's view,
	 * since UC wins where ranges overlap (SDM 12.11.4.1): allowed. */
	{
		u32 msr[] = { MSR_MTRR_PHYSMASK(0), MSR_MTRR_PHYSBASE(slot) };
		u64 val[] = { var0_mask & ~MTRR_VALID, MMIO_AT | MTRR_WC };

		set_mtrrs(def, msr, val, 2);
		expect_type(MMIO_AT, MTRR_WC, "MMIO made WC");
		expect_type(RAM_AT, MTRR_WB, "RAM once the range moved");
	}
	/* WB over MMIO: MMIO stays UC. */
	{
		u32 msr[] = { MSR_MTRR_PHYSBASE(slot) };
		u64 val[] = { MMIO_AT | MTRR_WB };

		set_mtrrs(def, msr, val, 1);
		expect_type(MMIO_AT, MTRR_UC, "MMIO the guest made WB");
	}
	{
		u32 msr[] = { MSR_MTRR_PHYSMASK(0), MSR_MTRR_PHYSMASK(slot), MSR_MTRR_PHYSBASE(slot) };
		u64 val[] = { var0_mask, 0, 0 };

		set_mtrrs(def, msr, val, 3);
		expect_type(RAM_AT, MTRR_WB, "RAM with the firmware's ranges back");
		expect_type(MMIO_AT, MTRR_UC, "MMIO with the firmware's ranges back");
	}
}
