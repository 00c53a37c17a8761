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

/* The claimed ranges by index from 1 (0: none), with the port past each range's end and its
 * handlers (one load each on the exit's path): an access of size bytes at port is the range's
 * whole when port + size <= end, which index 0's end of 0 never allows. */
struct claim {
	u32 end;
	u32 (*in)(struct vcpu *v, u16 port, u32 size);
	void (*out)(struct vcpu *v, u16 port, u32 size, u32 value);
	const struct io_ports *ports;
};
static struct claim claims[IO_CLAIMS_MAX + 1];
static u32 claim_count;
/* Every port's claim index, the first claim's where ranges overlap (as a walk in claim order
 * would find): one load on each I/O exit instead of a walk (64 KiB, set at boot). */
static u8 port_claim[1 << 16];
_Static_assert(IO_CLAIMS_MAX < 256, "port_claim holds claim indices in a byte");

void exit_io_claim(const struct io_ports *ports)
{
	u32 p;

	if (claim_count >= IO_CLAIMS_MAX)
		return;
	claims[++claim_count] = (struct claim){ (u32)ports->base + ports->count, ports->in, ports->out, ports };
	for (p = ports->base; p < (u32)ports->base + ports->count && p <= 0xffff; p++)
		if (!port_claim[p])
			port_claim[p] = (u8)claim_count;
}

static const struct io_ports *claim_of(u16 port)
{
	return claims[port_claim[port]].ports;
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
	for (i = 1; i <= claim_count; i++) {
		const struct io_ports *c = claims[i].ports;

		if (!vm->partition && c->partitions_only)
			continue;
		for (p = 0; p < c->count; p++)
			intercept(a->io_bitmap_a, a->io_bitmap_b, (u16)(c->base + p));
		if (owns(vm, c->base))
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

u32 exit_io_owned_in(struct vcpu *v, u16 port, u32 size)
{
	if (!v->vm->partition || (v->vm->arch->claims_owned & BIT(port_claim[port])))
		return exit_io_port_in(port, size);
	return io_legacy_absent_in(v, port, size);
}

void exit_io_owned_out(struct vcpu *v, u16 port, u32 size, u32 value)
{
	if (!v->vm->partition || (v->vm->arch->claims_owned & BIT(port_claim[port])))
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
	const struct claim *c = &claims[port_claim[port]];

	return (u32)port + size <= c->end ? c->ports : NULL;
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

/* The bits of a value of size bytes (1, 2 or 4). */
static const u32 size_masks[5] = { 0, 0xff, 0xffff, 0xffffff, 0xffffffff };

static inline u32 size_mask(u32 size)
{
	return size_masks[size];
}

/* The test device: its two registers, each one claim (an access that spans both is split byte
 * by byte); port's byte offset within the 4-byte register. */
static u32 test_id_in(struct vcpu *v, u16 port, u32 size)
{
	(void)v;
	return ((u32)PLINTH_TEST_PORT_ID_VALUE >> 8 * (port & 3)) & size_mask(size);
}

static void test_id_out(struct vcpu *v, u16 port, u32 size, u32 val)
{
	(void)v, (void)port, (void)size, (void)val; /* the identification register is read-only */
}

static u32 test_scratch_in(struct vcpu *v, u16 port, u32 size)
{
	return (v->vm->arch->test_port_scratch >> 8 * (port & 3)) & size_mask(size);
}

static void test_scratch_out(struct vcpu *v, u16 port, u32 size, u32 val)
{
	u32 shift = 8 * (port & 3), mask = size_mask(size) << shift;
	u32 *reg = &v->vm->arch->test_port_scratch;

	*reg = (*reg & ~mask) | ((val << shift) & mask);
}

static const struct io_ports test_id = { PLINTH_TEST_PORT_ID, TEST_PORT_WIDTH, test_id_in, test_id_out, false };
static const struct io_ports test_scratch = { PLINTH_TEST_PORT_SCRATCH, TEST_PORT_WIDTH, test_scratch_in,
					      test_scratch_out, false };

void exit_io_init(void)
{
	exit_io_claim(&test_id);
	exit_io_claim(&test_scratch);
	vm_console_claim();
	io_reset_claim();
}

/* What an IN of each size field (SDM Table 28-5: 0, 1 or 3) keeps of RAX: AL and AX keep the
 * rest, EAX zero-extends (SDM Vol. 1, 3.4.1.1). */
static const u64 in_keeps[4] = { ~0xffULL, ~0xffffULL, 0, 0 };

/* String I/O and accesses no claim holds whole, out of line: exit_io keeps no frame for the
 * claimed range's handler. */
static __noinline void exit_io_slow(struct vcpu *v, u64 q)
{
	u32 size = IO_QUAL_SIZE(q);
	u16 port = IO_QUAL_PORT(q);
	u64 keep = in_keeps[q & 3];

	if (q & IO_QUAL_STRING) {
		exit_io_string(v, q);
		return;
	}
	if (q & IO_QUAL_IN)
		v->regs->rax = (v->regs->rax & keep) | (in_unclaimed(v, port, size) & ~keep);
	else
		out_unclaimed(v, port, size, (u32)(v->regs->rax & ~keep));
	vcpu_skip_instruction_fast();
}

/* The common case inline: an IN or OUT that one claimed range holds whole, found with one load
 * per table (port_claim, claims). */
void exit_io(struct vcpu *v)
{
	u64 q = vmcs_read(VMCS_EXIT_QUALIFICATION), keep = in_keeps[q & 3];
	u32 port = IO_QUAL_PORT(q), size = IO_QUAL_SIZE(q);
	const struct claim *c = &claims[port_claim[port]];

	if (__builtin_expect((q & IO_QUAL_STRING) || port + size > c->end, 0)) {
		exit_io_slow(v, q);
		return;
	}
	if (q & IO_QUAL_IN) {
		/* The handler's value has no bits past size (struct io_ports): RAX's kept part is
		 * cut first, so that only the frame's address lives across the call. */
		struct guest_regs *r = v->regs;

		r->rax &= keep;
		r->rax |= c->in(v, (u16)port, size);
	} else {
		c->out(v, (u16)port, size, (u32)(v->regs->rax & ~keep));
	}
	vcpu_skip_instruction_fast();
}
