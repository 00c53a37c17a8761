/*
 * io: Plinth's emulated test port (tools/hvabi.py): a read-only 32-bit identification
 * register and a 32-bit scratch register; narrower reads see the low bytes. IN to AL and AX
 * keeps the rest of RAX, IN to EAX clears its upper half; an access spanning both registers
 * reaches each byte's; under TF an IN ends in the single-step trap.
 */
#include "checks.h"
#include "guarded.h"
#include "plinth_abi.h"
#include "x86.h"

#define SCRATCH_PATTERN 0x12345678u
#define ID_OVERWRITE 0xdeadbeefu
#define RAX_BEFORE 0x1122334455667788ull

/* What each IN width leaves in RAX (SDM Vol. 1, 3.4.1.1). */
static void check_in_widths(void)
{
	u64 rax = RAX_BEFORE, want = (RAX_BEFORE & ~0xffull) | (PLINTH_TEST_PORT_ID_VALUE & 0xff);

	asm volatile("inb %w1, %b0" : "+a"(rax) : "d"((u16)PLINTH_TEST_PORT_ID));
	check_expect(rax == want, "IN AL from 0x%x: RAX 0x%lx, not 0x%lx", PLINTH_TEST_PORT_ID, rax, want);
	rax = RAX_BEFORE;
	want = (RAX_BEFORE & ~0xffffull) | (PLINTH_TEST_PORT_ID_VALUE & 0xffff);
	asm volatile("inw %w1, %w0" : "+a"(rax) : "d"((u16)PLINTH_TEST_PORT_ID));
	check_expect(rax == want, "IN AX from 0x%x: RAX 0x%lx, not 0x%lx", PLINTH_TEST_PORT_ID, rax, want);
	rax = RAX_BEFORE;
	asm volatile("inl %w1, %k0" : "+a"(rax) : "d"((u16)PLINTH_TEST_PORT_ID));
	check_expect(rax == PLINTH_TEST_PORT_ID_VALUE, "IN EAX from 0x%x: RAX 0x%lx, not 0x%x", PLINTH_TEST_PORT_ID,
		     rax, PLINTH_TEST_PORT_ID_VALUE);
}

/* IN with RFLAGS.TF set: the single-step #DB at the instruction after it (checks_cpuid.c says
 * how this is caught). */
static void check_in_single_step(void)
{
	u32 v;

	single_step_arm();
	asm volatile("pushfq\n\torq %2, (%%rsp)\n\tpopfq\n\tinl %w1, %0\n\t" GUARDED("nop")
		     : "=a"(v)
		     : "d"((u16)PLINTH_TEST_PORT_ID), "i"(GUEST_RFLAGS_TF)
		     : "memory", "cc");
	single_step_expect("IN", guard_result());
	check_expect(v == PLINTH_TEST_PORT_ID_VALUE, "IN under TF: 0x%x, not 0x%x", v, PLINTH_TEST_PORT_ID_VALUE);
}

void check_io(void)
{
	u32 v;

	v = inl(PLINTH_TEST_PORT_ID);
	check_expect(v == PLINTH_TEST_PORT_ID_VALUE, "32-bit IN 0x%x: 0x%x, not 0x%x", PLINTH_TEST_PORT_ID,
		     v, PLINTH_TEST_PORT_ID_VALUE);
	v = inb(PLINTH_TEST_PORT_ID);
	check_expect(v == (PLINTH_TEST_PORT_ID_VALUE & 0xff), "8-bit IN 0x%x: 0x%x, not 0x%x",
		     PLINTH_TEST_PORT_ID, v, PLINTH_TEST_PORT_ID_VALUE & 0xff);
	v = inw(PLINTH_TEST_PORT_ID);
	check_expect(v == (PLINTH_TEST_PORT_ID_VALUE & 0xffff), "16-bit IN 0x%x: 0x%x, not 0x%x",
		     PLINTH_TEST_PORT_ID, v, PLINTH_TEST_PORT_ID_VALUE & 0xffff);

	outl(PLINTH_TEST_PORT_SCRATCH, SCRATCH_PATTERN);
	v = inl(PLINTH_TEST_PORT_SCRATCH);
	check_expect(v == SCRATCH_PATTERN, "IN 0x%x after OUT 0x%x: 0x%x", PLINTH_TEST_PORT_SCRATCH,
		     SCRATCH_PATTERN, v);
	v = inb(PLINTH_TEST_PORT_SCRATCH);
	check_expect(v == (SCRATCH_PATTERN & 0xff), "8-bit IN 0x%x after OUT 0x%x: 0x%x",
		     PLINTH_TEST_PORT_SCRATCH, SCRATCH_PATTERN, v);

	outl(PLINTH_TEST_PORT_ID, ID_OVERWRITE);
	v = inl(PLINTH_TEST_PORT_ID);
	check_expect(v == PLINTH_TEST_PORT_ID_VALUE, "IN 0x%x after OUT 0x%x to it: 0x%x, not 0x%x",
		     PLINTH_TEST_PORT_ID, ID_OVERWRITE, v, PLINTH_TEST_PORT_ID_VALUE);

	/* Two bytes of each register: Plinth splits the access byte by byte. */
	v = inl(PLINTH_TEST_PORT_ID + 2);
	check_expect(v == ((PLINTH_TEST_PORT_ID_VALUE >> 16) | (SCRATCH_PATTERN << 16)),
		     "32-bit IN 0x%x (spanning both registers): 0x%x, not 0x%x", PLINTH_TEST_PORT_ID + 2, v,
		     (PLINTH_TEST_PORT_ID_VALUE >> 16) | (SCRATCH_PATTERN << 16));
	check_in_widths();
	check_in_single_step();
}
