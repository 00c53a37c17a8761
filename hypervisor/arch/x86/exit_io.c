/*
 * I/O exits. Ports pass straight through except the ones Plinth emulates: the test device
 * (an identification register and a scratch register, see tools/hvabi.py), and the ACPI PM1a
 * control register, watched so that Plinth reports the VM's exit statistics when the guest
 * powers the machine off (then the write goes through). String and REP I/O to an emulated
 * port is not supported: the guest gets a #GP.
 */
#include <plinth_abi.h>
#include <plinth/arch.h>
#include <plinth/console.h>
#include <plinth/string.h>
#include <x86/cpu.h>
#include <x86/exit_io.h>
#include <x86/vm.h>
#include <x86/vmexit.h>
#include <x86/vmx.h>

#define IO_SIZE(q) (((q) & 7) + 1)
#define IO_IN BIT(3)
#define IO_STRING BIT(4)
#define IO_REP BIT(5)
#define IO_PORT(q) (((q) >> 16) & 0xffff)
#define TEST_PORT_WIDTH 4
#define PM1_CNT_SLP_EN BIT(13) /* ACPI 4.8.3.2.1: entering the sleep state in SLP_TYP */

static u16 acpi_pm1a_cnt_port; /* from the FADT (platform.c); 0 when unknown */

void exit_io_watch_pm1a(u16 port)
{
	acpi_pm1a_cnt_port = port;
}

static void intercept(u8 *a, u8 *b, u16 port)
{
	u8 *bitmap = port < 0x8000 ? a : b;
	u16 bit = port & 0x7fff;

	bitmap[bit / 8] |= (u8)(1 << (bit % 8));
}

void exit_io_bitmap_init(u8 *bitmap_a, u8 *bitmap_b)
{
	u16 p;

	memset(bitmap_a, 0, 4096);
	memset(bitmap_b, 0, 4096);
	for (p = 0; p < TEST_PORT_WIDTH; p++) {
		intercept(bitmap_a, bitmap_b, PLINTH_TEST_PORT_ID + p);
		intercept(bitmap_a, bitmap_b, PLINTH_TEST_PORT_SCRATCH + p);
	}
	if (acpi_pm1a_cnt_port) {
		intercept(bitmap_a, bitmap_b, acpi_pm1a_cnt_port);
		intercept(bitmap_a, bitmap_b, acpi_pm1a_cnt_port + 1);
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

/* The guest's own PM1a control register, passed through after a look at sleep requests. */
static void pm1a_cnt_access(struct vcpu *v, u64 q, u16 port, u32 size, u64 mask)
{
	if (q & IO_IN) {
		u64 val = size == 1 ? inb(port) : inw(port);

		v->regs->rax = (v->regs->rax & ~mask) | (val & mask);
	} else {
		u16 val = (u16)(v->regs->rax & mask);

		if (port == acpi_pm1a_cnt_port && size >= 2 && (val & PM1_CNT_SLP_EN)) {
			log_notice("%s: the guest requests an ACPI sleep state (SLP_TYP %u, power-off when it is \\_S5); VM exits by reason:",
				 v->vm->name, (val >> 10) & 7);
			arch_vm_print_exit_stats(v->vm);
		}
		if (size == 1)
			outb(port, (u8)val);
		else
			outw(port, val);
	}
	vcpu_skip_instruction();
}

void exit_io(struct vcpu *v)
{
	u64 q = vmcs_read(VMCS_EXIT_QUALIFICATION);
	u32 size = IO_SIZE(q);
	u16 port = (u16)IO_PORT(q);
	u64 mask = size == 4 ? 0xffffffffULL : (1ULL << (8 * size)) - 1;

	if (acpi_pm1a_cnt_port && (port & ~1) == acpi_pm1a_cnt_port) {
		pm1a_cnt_access(v, q, port, size, mask);
		return;
	}
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
