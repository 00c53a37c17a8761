/*
 * Emulated I/O (issue 13, findings 10 and 12):
 * - io_wrap: an OUT of 2 or 4 bytes at port 0xFFFF wraps the port space and exits (SDM 26.1.3);
 *   it reaches 0xFFFF and 0x0000.., never the test device (Plinth once took it for a write to
 *   the device). An access that spans the device's two registers is split byte by byte.
 * - io_string: REP OUTSW/INSW to the ACPI PM1a control port (watched by Plinth) use the memory
 *   operand, RCX and RSI/RDI as the CPU does (Plinth once wrote RAX and ignored REP); string
 *   I/O to the test device works, downwards too, across a page boundary, and into an unmapped
 *   page it is a #PF with CR2 set.
 * - console_forge: text a guest writes through the console-write hypercall that looks like
 *   Plinth's own lines comes out marked as the guest's (the system test reads the console).
 */
#include <plinth/string.h>
#include "checks.h"
#include "hostile.h"
#include "plinth_abi.h"
#include "x86.h"

#define SLP_TYP_MASK (7u << 10)
#define SLP_TYP(n) ((u32)(n) << 10)
#define UNMAPPED_LINEAR 0x40000000ull /* its 2 MiB page is taken out of the guest's map */
#define PTE_P BIT(0)
#define PF_WRITE BIT(1)

static u32 scratch(void)
{
	return inl(PLINTH_TEST_PORT_SCRATCH);
}

void check_io_wrap(void)
{
	u32 v;

	outl(PLINTH_TEST_PORT_SCRATCH, 0x11223344);
	asm volatile("outw %w0, %w1" : : "a"(0xbeef), "d"(0xffff));
	asm volatile("outl %0, %w1" : : "a"(0xcafef00du), "d"(0xffff));
	asm volatile("inl %w1, %0" : "=a"(v) : "d"(0xffff));
	check_expect(scratch() == 0x11223344, "OUT at 0xFFFF changed the test device's scratch to 0x%x", scratch());
	v = inw(PLINTH_TEST_PORT_ID + 3);
	check_expect(v == ((PLINTH_TEST_PORT_ID_VALUE >> 24) | 0x4400), "16-bit IN at 0x%x across both registers: 0x%x",
		     PLINTH_TEST_PORT_ID + 3, v);
	outw(PLINTH_TEST_PORT_ID + 3, 0xaabb);
	check_expect(scratch() == 0x112233aa, "16-bit OUT at 0x%x across both registers: scratch 0x%x",
		     PLINTH_TEST_PORT_ID + 3, scratch());
	check_expect(inl(PLINTH_TEST_PORT_ID) == PLINTH_TEST_PORT_ID_VALUE, "the ID register changed");
}

/* REP INS/OUTS of size bytes: RCX, RSI/RDI after, returned through the pointers. */
static void rep_outsw(u16 port, const void *src, u64 *count)
{
	asm volatile("rep outsw" : "+S"(src), "+c"(*count) : "d"(port), "a"(0xffff) : "memory");
}

static void *rep_insw(u16 port, void *dst, u64 *count)
{
	asm volatile("rep insw" : "+D"(dst), "+c"(*count) : "d"(port) : "memory");
	return dst;
}

static void *rep_insl(u16 port, void *dst, u64 *count)
{
	asm volatile("rep insl" : "+D"(dst), "+c"(*count) : "d"(port) : "memory");
	return dst;
}

static void *rep_insb_down(u16 port, void *dst, u64 *count)
{
	asm volatile("std; rep insb; cld" : "+D"(dst), "+c"(*count) : "d"(port) : "memory", "cc");
	return dst;
}

static struct fault insb_guarded(u16 port, u64 dst)
{
	guard_arm();
	asm volatile(GUARDED("insb") : "+D"(dst) : "d"(port) : "memory");
	return guard_result();
}

/* The guest's page-directory entry for linear (entry.S's identity map: 2 MiB pages). */
static volatile u64 *pde_of(u64 linear)
{
	u64 *pml4 = (u64 *)(read_cr3() & ~0xfffull);
	u64 *pdpt = (u64 *)(pml4[(linear >> 39) & 511] & ~0xfffull);
	u64 *pd = (u64 *)(pdpt[(linear >> 30) & 511] & ~0xfffull);

	return &pd[(linear >> 21) & 511];
}

static void pm1a_strings(u16 pm1a)
{
	u16 orig = inw(pm1a), words[2], got[3] = { 0, 0, 0x5555 };
	u64 count = 2;

	words[0] = (u16)((orig & ~SLP_TYP_MASK) | SLP_TYP(5));
	words[1] = (u16)((orig & ~SLP_TYP_MASK) | SLP_TYP(3));
	rep_outsw(pm1a, words, &count);
	check_expect(count == 0, "REP OUTSW to PM1a left RCX %lu", count);
	check_expect((inw(pm1a) & SLP_TYP_MASK) == SLP_TYP(3), "PM1a reads 0x%x after REP OUTSW of 0x%x, 0x%x",
		     inw(pm1a), words[0], words[1]);
	count = 2;
	check_expect(rep_insw(pm1a, got, &count) == &got[2] && count == 0, "REP INSW from PM1a: RDI or RCX (%lu) wrong",
		     count);
	check_expect(got[0] == inw(pm1a) && got[1] == inw(pm1a) && got[2] == 0x5555,
		     "REP INSW from PM1a read 0x%x 0x%x 0x%x", got[0], got[1], got[2]);
	outw(pm1a, orig);
}

void check_io_string(void)
{
	static u8 page[2 * 4096] __aligned(4096);
	struct acpi_ports acpi;
	u32 ids[4] = { 0 };
	u8 down[5] = { 0 };
	u64 count = 3;
	volatile u64 *pde;
	u64 saved;
	struct fault f;

	if (hostile_acpi_ports(&acpi) && acpi.pm1a_cnt)
		pm1a_strings(acpi.pm1a_cnt);
	else
		check_expect(false, "no FADT with a PM1a control port");
	check_expect(rep_insl(PLINTH_TEST_PORT_ID, ids, &count) == &ids[3] && count == 0, "REP INSL: RDI or RCX wrong");
	check_expect(ids[0] == PLINTH_TEST_PORT_ID_VALUE && ids[2] == PLINTH_TEST_PORT_ID_VALUE && ids[3] == 0,
		     "REP INSL from the ID register read 0x%x 0x%x 0x%x 0x%x", ids[0], ids[1], ids[2], ids[3]);
	count = 4;
	check_expect(rep_insb_down(PLINTH_TEST_PORT_ID, &down[4], &count) == &down[0] && count == 0,
		     "REP INSB with DF=1: RDI or RCX wrong");
	check_expect(down[1] == 0x50 && down[4] == 0x50 && down[0] == 0, "REP INSB with DF=1 wrote %x %x %x %x %x",
		     down[0], down[1], down[2], down[3], down[4]);
	count = 1;
	rep_insl(PLINTH_TEST_PORT_ID, &page[4096 - 2], &count);
	check_expect(!memcmp(&page[4096 - 2], &(u32){ PLINTH_TEST_PORT_ID_VALUE }, 4),
		     "INSL across a page boundary wrote %02x %02x %02x %02x", page[4094], page[4095], page[4096], page[4097]);

	pde = pde_of(UNMAPPED_LINEAR);
	saved = *pde;
	*pde = saved & ~PTE_P;
	asm volatile("invlpg (%0)" : : "r"(UNMAPPED_LINEAR) : "memory");
	f = insb_guarded(PLINTH_TEST_PORT_ID, UNMAPPED_LINEAR);
	check_expect_fault(f, X86_PF, PF_WRITE, "INSB into an unmapped page");
	check_expect(read_cr2() == UNMAPPED_LINEAR, "CR2 0x%lx after the #PF of INSB at 0x%llx", read_cr2(),
		     UNMAPPED_LINEAR);
	*pde = saved;
	asm volatile("invlpg (%0)" : : "r"(UNMAPPED_LINEAR) : "memory");
}

void check_console_forge(void)
{
	static const char text[] = "plinth: vm0 stopped: forged by the guest\nplinth: \x1b[2Jcleared\r";
	s64 ret;

	if (check_expect_no_fault(safe_vmcall(PLINTH_HC_CONSOLE_WRITE, (u64)text, sizeof(text) - 1, 0, &ret),
				  "VMCALL CONSOLE_WRITE"))
		check_expect(ret == sizeof(text) - 1, "CONSOLE_WRITE returned %ld", ret);
}
