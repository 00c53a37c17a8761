/*
 * I/O exits. Ports pass straight through except the ones Plinth emulates: the test device
 * (an identification register and a scratch register, see tools/hvabi.py). String and REP
 * I/O to an emulated port is not supported: the guest gets a #GP.
 */
#include <plinth/string.h>
#include <plinth_abi.h>
#include <x86/vmexit.h>
#include <x86/vmx.h>

#define IO_SIZE(q) (((q) & 7) + 1)
#define IO_IN BIT(3)
#define IO_STRING BIT(4)
#define IO_REP BIT(5)
#define IO_PORT(q) (((q) >> 16) & 0xffff)
#define TEST_PORT_WIDTH 4

static void intercept(u8 *a, u8 *b, u16 port)
{
	u8 *bitmap = port < 0x8000 ? a : b;
	u16 bit = port & 0x7fff;

	bitmap[bit / 8] |= (u8)(1 << (bit % 8));
}

void io_bitmap_init(u8 *bitmap_a, u8 *bitmap_b)
{
	u16 p;

	memset(bitmap_a, 0, 4096);
	memset(bitmap_b, 0, 4096);
	for (p = 0; p < TEST_PORT_WIDTH; p++) {
		intercept(bitmap_a, bitmap_b, PLINTH_TEST_PORT_ID + p);
		intercept(bitmap_a, bitmap_b, PLINTH_TEST_PORT_SCRATCH + p);
	}
}

/* Reads of the test device's registers; offset is the byte within the 4-byte register. */
static u32 test_port_read(struct vcpu *v, u16 port)
{
	u32 reg = port < PLINTH_TEST_PORT_SCRATCH ? PLINTH_TEST_PORT_ID_VALUE : v->vm->arch->test_port_scratch;

	return reg >> (8 * (port & 3));
}

static void test_port_write(struct vcpu *v, u16 port, u32 val, u32 size)
{
	u32 shift = 8 * (port & 3), mask = size == 4 ? ~0u : ((1u << (8 * size)) - 1) << shift;
	u32 *reg = &v->vm->arch->test_port_scratch;

	if (port < PLINTH_TEST_PORT_SCRATCH)
		return; /* the identification register is read-only */
	*reg = (*reg & ~mask) | ((val << shift) & mask);
}

void exit_io(struct vcpu *v)
{
	u64 q = vmcs_read(VMCS_EXIT_QUALIFICATION);
	u32 size = IO_SIZE(q);
	u16 port = (u16)IO_PORT(q);
	u64 mask = size == 4 ? 0xffffffffULL : (1ULL << (8 * size)) - 1;

	if (q & (IO_STRING | IO_REP)) {
		vcpu_inject_gp();
		return;
	}
	if (q & IO_IN)
		/* IN to AL/AX keeps the rest of RAX; IN to EAX zero-extends (SDM Vol. 1, 3.4.1.1). */
		v->regs->rax = size == 4 ? (test_port_read(v, port) & mask) :
					   (v->regs->rax & ~mask) | (test_port_read(v, port) & mask);
	else
		test_port_write(v, port, (u32)(v->regs->rax & mask), size);
	vcpu_skip_instruction();
}
