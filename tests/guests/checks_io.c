/*
 * io: Plinth's emulated test port (tools/hvabi.py): a read-only 32-bit identification
 * register and a 32-bit scratch register; narrower reads see the low bytes.
 */
#include "checks.h"
#include "plinth_abi.h"
#include "x86.h"

#define SCRATCH_PATTERN 0x12345678u
#define ID_OVERWRITE 0xdeadbeefu

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
}
