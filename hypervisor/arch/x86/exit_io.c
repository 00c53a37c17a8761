/*
 * I/O exits. The default VM's ports pass straight through except the ranges Plinth claims
 * (exit_io_claim): the test device (an identification register and a scratch register, see
 * tools/hvabi.py), the ACPI ports it watches (io_acpi.c) and the PCI configuration data port
 * (pci_filter.c). A partition's bitmaps (vm_ports.c) also trap every port that is not its own;
 * such a port exits and is absent (io_legacy.c). An access is handled by the range that holds
 * all its bytes, or byte by byte where it spans a claimed port and another (an OUT of 4 bytes
 * at 0xFFFF exits because it wraps the 16-bit port space, SDM 26.1.3, and reaches 0xFFFF and
 * 0x0000-0x0002, not the test device). String I/O is emulated one element at a time
 * (exit_io_string.c).
 */
#include <plinth_abi.h>
#include <plinth/string.h>
#include <x86/cpu.h>
#include <x86/exit_io.h>
#include <x86/vm.h>
#include <x86/vm_console.h>
#include <x86/vmexit.h>
#include <x86/vmx.h>

#define TEST_PORT_WIDTH 4
#define IO_CLAIMS_MAX 16

static const struct io_ports *claims[IO_CLAIMS_MAX];
static u32 claim_count;

void exit_io_claim(const struct io_ports *ports)
{
	if (claim_count < IO_CLAIMS_MAX)
		claims[claim_count++] = ports;
}

static const struct io_ports *claim_of(u16 port)
{
	u32 i;

	for (i = 0; i < claim_count; i++)
		if (port >= claims[i]->base && port - claims[i]->base < claims[i]->count)
			return claims[i];
	return NULL;
}

static void intercept(u8 *a, u8 *b, u16 port)
{
	u8 *bitmap = port < 0x8000 ? a : b;
	u16 bit = port & 0x7fff;

	bitmap[bit / 8] |= (u8)(1 << (bit % 8));
}

void exit_io_bitmap_claims(struct vm *vm, bool (*owns)(const struct vm *vm, u16 port))
{
	struct arch_vm *a = vm->arch;
	u32 i, p;

	a->claims_owned = 0;
	for (i = 0; i < claim_count; i++) {
		if (!vm->partition && claims[i]->partitions_only)
			continue;
		for (p = 0; p < claims[i]->count; p++)
			intercept(a->io_bitmap_a, a->io_bitmap_b, (u16)(claims[i]->base + p));
		if (owns(vm, claims[i]->base))
			a->claims_owned |= BIT(i);
	}
}

/* Whether the VM's bitmaps pass port to the hardware: for a port no claim holds, whether it
 * is the VM's (vm_ports.c built them so). */
static bool passed(const struct arch_vm *a, u16 port)
{
	const u8 *bitmap = port < 0x8000 ? a->io_bitmap_a : a->io_bitmap_b;
	u16 bit = port & 0x7fff;

	return !(bitmap[bit / 8] & (1 << (bit % 8)));
}

u32 exit_io_port_in(u16 port, u32 size)
{
	return size == 1 ? inb(port) : size == 2 ? inw(port) : inl(port);
}

void exit_io_port_out(u16 port, u32 size, u32 value)
{
	if (size == 1)
		outb(port, (u8)value);
	else if (size == 2)
		outw(port, (u16)value);
	else
		outl(port, value);
}

/* A partition's access to ports no claim holds that exited: whole to the hardware when every
 * byte is the VM's (a wider access ran into a port that is not), absent when none is, else
 * byte by byte. */
static u32 unclaimed_in(struct vcpu *v, u16 port, u32 size)
{
	const struct arch_vm *a = v->vm->arch;
	u32 i, mine = 0, value = 0;

	for (i = 0; i < size; i++)
		mine += passed(a, (u16)(port + i));
	if (!mine)
		return io_legacy_absent_in(v, port, size);
	if (mine == size)
		return exit_io_port_in(port, size);
	for (i = 0; i < size; i++) {
		u16 p = (u16)(port + i);

		value |= (passed(a, p) ? inb(p) : io_legacy_absent_in(v, p, 1)) << (8 * i);
	}
	return value;
}

static void unclaimed_out(struct vcpu *v, u16 port, u32 size, u32 value)
{
	const struct arch_vm *a = v->vm->arch;
	u32 i, mine = 0;

	for (i = 0; i < size; i++)
		mine += passed(a, (u16)(port + i));
	if (!mine) {
		io_legacy_absent_out(v, port, size, value);
		return;
	}
	if (mine == size) {
		exit_io_port_out(port, size, value);
		return;
	}
	for (i = 0; i < size; i++) {
		u16 p = (u16)(port + i);

		if (passed(a, p))
			outb(p, (u8)(value >> (8 * i)));
		else
			io_legacy_absent_out(v, p, 1, value >> (8 * i));
	}
}

/* The index of the claim holding port (claim_count, owned by no VM, when none does). */
static u32 claim_index(u16 port)
{
	u32 i;

	for (i = 0; i < claim_count; i++)
		if (port >= claims[i]->base && port - claims[i]->base < claims[i]->count)
			break;
	return i;
}

u32 exit_io_owned_in(struct vcpu *v, u16 port, u32 size)
{
	if (!v->vm->partition || (v->vm->arch->claims_owned & BIT(claim_index(port))))
		return exit_io_port_in(port, size);
	return io_legacy_absent_in(v, port, size);
}

void exit_io_owned_out(struct vcpu *v, u16 port, u32 size, u32 value)
{
	if (!v->vm->partition || (v->vm->arch->claims_owned & BIT(claim_index(port))))
		exit_io_port_out(port, size, value);
	else
		io_legacy_absent_out(v, port, size, value);
}

/* Whether any byte of the access (ports wrap at 64 Ki) is a claimed port. */
static bool touches_claim(u16 port, u32 size)
{
	u32 i;

	for (i = 0; i < size; i++)
		if (claim_of((u16)(port + i)))
			return true;
	return false;
}

/* The range holding every byte of the access without wrapping, or NULL. */
static const struct io_ports *whole_claim(u16 port, u32 size)
{
	const struct io_ports *c = claim_of(port);

	return c && (u32)port + size <= (u32)c->base + c->count ? c : NULL;
}

/* The accesses no claim holds whole, out of line: exit_io_in and exit_io_out keep no frame for
 * the claimed range's own handler, which they call last. */
static __noinline u32 in_unclaimed(struct vcpu *v, u16 port, u32 size)
{
	const struct io_ports *c;
	u32 i, value = 0;

	if (!touches_claim(port, size))
		return v->vm->partition ? unclaimed_in(v, port, size) : exit_io_port_in(port, size);
	for (i = 0; i < size; i++) {
		u16 p = (u16)(port + i);

		c = claim_of(p);
		value |= (c ? c->in(v, p, 1) : v->vm->partition ? unclaimed_in(v, p, 1) : inb(p)) << (8 * i);
	}
	return value;
}

u32 exit_io_in(struct vcpu *v, u16 port, u32 size)
{
	const struct io_ports *c = whole_claim(port, size);

	return c ? c->in(v, port, size) : in_unclaimed(v, port, size);
}

static __noinline void out_unclaimed(struct vcpu *v, u16 port, u32 size, u32 value)
{
	const struct io_ports *c;
	u32 i;

	if (!touches_claim(port, size)) {
		if (v->vm->partition)
			unclaimed_out(v, port, size, value);
		else
			exit_io_port_out(port, size, value);
		return;
	}
	for (i = 0; i < size; i++) {
		u16 p = (u16)(port + i);
		u8 b = (u8)(value >> (8 * i));

		c = claim_of(p);
		if (c)
			c->out(v, p, 1, b);
		else if (v->vm->partition)
			unclaimed_out(v, p, 1, b);
		else
			outb(p, b);
	}
}

void exit_io_out(struct vcpu *v, u16 port, u32 size, u32 value)
{
	const struct io_ports *c = whole_claim(port, size);

	if (c)
		c->out(v, port, size, value);
	else
		out_unclaimed(v, port, size, value);
}

/* The test device: reads of its registers; the byte offset within the 4-byte register. */
static u32 test_port_in(struct vcpu *v, u16 port, u32 size)
{
	u32 reg = port < PLINTH_TEST_PORT_SCRATCH ? PLINTH_TEST_PORT_ID_VALUE : v->vm->arch->test_port_scratch;
	u32 shift = 8 * (port & 3);

	return (u32)((reg >> shift) & (size == 4 ? ~0u : (1u << (8 * size)) - 1));
}

static void test_port_out(struct vcpu *v, u16 port, u32 size, u32 val)
{
	u32 shift = 8 * (port & 3), mask = size == 4 ? ~0u : ((1u << (8 * size)) - 1) << shift;
	u32 *reg = &v->vm->arch->test_port_scratch;

	if (port < PLINTH_TEST_PORT_SCRATCH)
		return; /* the identification register is read-only */
	*reg = (*reg & ~mask) | ((val << shift) & mask);
}

/* Two registers, each one claim: an access that spans both is split byte by byte. */
static const struct io_ports test_id = { PLINTH_TEST_PORT_ID, TEST_PORT_WIDTH, test_port_in, test_port_out, false };
static const struct io_ports test_scratch = { PLINTH_TEST_PORT_SCRATCH, TEST_PORT_WIDTH, test_port_in,
					      test_port_out, false };

void exit_io_init(void)
{
	exit_io_claim(&test_id);
	exit_io_claim(&test_scratch);
	vm_console_claim();
	io_reset_claim();
}

void exit_io(struct vcpu *v)
{
	u64 q = vmcs_read(VMCS_EXIT_QUALIFICATION);
	u32 size = IO_QUAL_SIZE(q);
	u16 port = IO_QUAL_PORT(q);
	u64 mask = size == 4 ? 0xffffffffULL : (1ULL << (8 * size)) - 1;

	if (q & IO_QUAL_STRING) {
		exit_io_string(v, q);
		return;
	}
	if (q & IO_QUAL_IN)
		/* IN to AL/AX keeps the rest of RAX; IN to EAX zero-extends (SDM Vol. 1, 3.4.1.1). */
		v->regs->rax = size == 4 ? exit_io_in(v, port, size) : (v->regs->rax & ~mask) | exit_io_in(v, port, size);
	else
		exit_io_out(v, port, size, (u32)(v->regs->rax & mask));
	vcpu_skip_instruction_fast();
}
