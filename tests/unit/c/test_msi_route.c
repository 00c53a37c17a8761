// sources: hypervisor/arch/x86/msi_route.c hypervisor/arch/x86/vtd_ir.c hypervisor/arch/x86/irq_policy.c
/*
 * A partition's device MSI vectors (arch/x86/msi_route.c): the check of the guest's address/data
 * pair (destination, delivery mode, redirection hint, vector range, address format), the
 * remappable-format pair a device gets (VT-d 5.1.2.2), and the steps from what the device holds
 * to what Plinth wants, recorded by a fake device and remapping table: masked before any change,
 * the old entry freed before a new one, the pair written before the unmask, and a refused pair or
 * a full table leaving the vector masked.
 */
#include <plinth/errno.h>
#include <x86/msi_route.h>
#include <x86/vtd_ir.h>

#include "test.h"

static const u32 ids[] = { 2, 3, 7 }; /* the VM's APIC IDs */

/* A compatibility-format pair: physical destination, fixed delivery, edge. */
static u64 addr_to(u32 dest)
{
	return 0xfee00000ULL | (u64)dest << 12;
}

TEST(check_accepts_the_vms_cpus_and_the_vector_range)
{
	CHECK_EQ_U64(msi_route_check(addr_to(2), 0x41, ids, 3), IRQ_OK);
	CHECK_EQ_U64(msi_route_check(addr_to(7), 0x10, ids, 3), IRQ_OK);
	CHECK_EQ_U64(msi_route_check(addr_to(3), 0xfe, ids, 3), IRQ_OK);
	CHECK_EQ_U64(msi_route_check(addr_to(3), 0xff, ids, 3), IRQ_REFUSE_VECTOR_FF);
	CHECK_EQ_U64(msi_route_check(addr_to(3), 0x0f, ids, 3), IRQ_REFUSE_VECTOR);
	CHECK_EQ_U64(msi_route_check(addr_to(3), 0x00, ids, 3), IRQ_REFUSE_VECTOR);
	/* Level trigger and assert bits do not change where it goes. */
	CHECK_EQ_U64(msi_route_check(addr_to(3), 0xc041, ids, 3), IRQ_OK);
}

TEST(check_refuses_destinations_outside_the_vm)
{
	CHECK_EQ_U64(msi_route_check(addr_to(0), 0x41, ids, 3), IRQ_REFUSE_DEST);
	CHECK_EQ_U64(msi_route_check(addr_to(4), 0x41, ids, 3), IRQ_REFUSE_DEST);
	CHECK_EQ_U64(msi_route_check(addr_to(0xff), 0x41, ids, 3), IRQ_REFUSE_DEST); /* broadcast */
	CHECK_EQ_U64(msi_route_check(addr_to(2), 0x41, ids, 0), IRQ_REFUSE_DEST);    /* a VM without CPUs */
	/* Logical mode (address bit 2) names CPUs through each LDR: refused whatever the bits. */
	CHECK_EQ_U64(msi_route_check(addr_to(2) | BIT(2), 0x41, ids, 3), IRQ_REFUSE_LOGICAL);
	CHECK_EQ_U64(msi_route_check(addr_to(1) | BIT(2) | BIT(3), 0x41, ids, 3), IRQ_REFUSE_LOGICAL);
}

TEST(check_delivery_modes_and_redirection_hint)
{
	static const u32 refused[] = { IRQ_DELIVERY_SMI, 3, IRQ_DELIVERY_NMI, IRQ_DELIVERY_INIT, 6, IRQ_DELIVERY_EXTINT };
	u32 i;

	for (i = 0; i < ARRAY_SIZE(refused); i++)
		CHECK_EQ_U64(msi_route_check(addr_to(2), refused[i] << 8 | 0x41, ids, 3), IRQ_REFUSE_DELIVERY);
	/* Lowest priority in physical mode names one CPU: fine inside the VM, not outside. */
	CHECK_EQ_U64(msi_route_check(addr_to(7), IRQ_DELIVERY_LOWEST << 8 | 0x41, ids, 3), IRQ_OK);
	CHECK_EQ_U64(msi_route_check(addr_to(5), IRQ_DELIVERY_LOWEST << 8 | 0x41, ids, 3), IRQ_REFUSE_DEST);
	/* A redirection hint with a physical destination: that CPU alone (SDM 10.11.1). */
	CHECK_EQ_U64(msi_route_check(addr_to(3) | BIT(3), 0x41, ids, 3), IRQ_OK);
	CHECK_EQ_U64(msi_route_check(addr_to(6) | BIT(3), 0x41, ids, 3), IRQ_REFUSE_DEST);
	CHECK_EQ_U64(msi_route_check(addr_to(0xff) | BIT(3), 0x41, ids, 3), IRQ_REFUSE_DEST);
}

TEST(check_refuses_what_is_not_an_interrupt_address)
{
	CHECK_EQ_U64(msi_route_check(0xfed00000 | 2 << 12, 0x41, ids, 3), IRQ_REFUSE_ADDRESS);
	CHECK_EQ_U64(msi_route_check(1ULL << 32 | addr_to(2), 0x41, ids, 3), IRQ_REFUSE_ADDRESS);
	CHECK_EQ_U64(msi_route_check(0, 0, ids, 3), IRQ_REFUSE_ADDRESS);
	CHECK_EQ_U64(msi_route_check(addr_to(2) | BIT(5), 0x41, ids, 3), IRQ_REFUSE_ADDRESS);  /* reserved 11:5 */
	CHECK_EQ_U64(msi_route_check(addr_to(2) | BIT(4), 0x41, ids, 3), IRQ_REFUSE_ADDRESS);  /* remappable */
	CHECK_EQ_U64(msi_route_check(addr_to(2), 0x10041, ids, 3), IRQ_REFUSE_ADDRESS);        /* data 31:16 */
	CHECK_EQ_U64(msi_route_check(~0ULL, ~0u, ids, 3), IRQ_REFUSE_ADDRESS);
}

/* VT-d 5.1.2.2 / 5.1.5.2: 0xfee in 31:20, handle[14:0] in 19:5, bit 4 = 1 (remappable), SHV
 * in bit 3 (0: one entry per vector), handle[15] in bit 2; data 0 (no subhandle). */
TEST(remappable_pair_encoding)
{
	static const u32 handles[] = { 0, 1, 0x1234, 0x7fff, 0x8000, 0x8001, 0xffff };
	u32 i;

	for (i = 0; i < ARRAY_SIZE(handles); i++) {
		u32 a, d, h = handles[i];
		struct msi_info m;

		msi_remappable(h, &a, &d);
		CHECK_EQ_U64(a >> 20, 0xfee);
		CHECK_EQ_U64((a >> 5) & 0x7fff, h & 0x7fff);
		CHECK_EQ_U64(!!(a & BIT(2)), !!(h & 0x8000));
		CHECK(a & BIT(4));
		CHECK(!(a & BIT(3)));
		CHECK_EQ_U64(a & 3, 0);
		CHECK_EQ_U64(d, 0);
		CHECK_EQ_INT(msi_decode(a, d, &m), 0);
		CHECK(m.remappable && !m.shv);
		CHECK_EQ_U64(m.index, h);
		/* What the guest never may send itself: refused by the check. */
		CHECK_EQ_U64(msi_route_check(a, d, ids, 3), IRQ_REFUSE_ADDRESS);
	}
}

/* The fake device and table: a log of what was done, one letter per step. */
struct fake {
	char log[64];
	u32 len;
	u64 addr;
	u32 data;
	bool unmasked;
	int next_index; /* what remap returns next; < 0: fails */
	u8 vector;
	u32 dest;
	u32 unmapped;
};

static void put(struct fake *f, char c)
{
	if (f->len + 1 < sizeof(f->log))
		f->log[f->len++] = c;
	f->log[f->len] = 0;
}

static void f_mask(void *ctx)
{
	struct fake *f = ctx;

	f->unmasked = false;
	put(f, 'm');
}

static void f_unmask(void *ctx)
{
	struct fake *f = ctx;

	f->unmasked = true;
	put(f, 'u');
}

static void f_write(void *ctx, u64 addr, u32 data)
{
	struct fake *f = ctx;

	f->addr = addr;
	f->data = data;
	put(f, 'w');
}

static int f_remap(void *ctx, u8 vector, u32 dest)
{
	struct fake *f = ctx;

	f->vector = vector;
	f->dest = dest;
	put(f, 'r');
	return f->next_index;
}

static void f_unmap(void *ctx, u32 index)
{
	struct fake *f = ctx;

	f->unmapped = index;
	put(f, 'x');
}

static const struct msi_route_ops fake_ops = { f_mask, f_unmask, f_write, f_remap, f_unmap };

static u32 step(struct msi_route *r, struct fake *f, u64 addr, u32 data, bool masked, bool remapping)
{
	struct msi_goal g;

	f->len = 0;
	f->log[0] = 0;
	msi_route_goal(addr, data, masked, ids, 3, &g);
	return msi_route_apply(r, &g, remapping, &fake_ops, f);
}

TEST(direct_pairs_go_to_the_device_as_written_once_checked)
{
	struct msi_route r = { 0 };
	struct fake f = { .next_index = -ENODEV };

	/* Written while masked: nothing reaches the device. */
	CHECK_EQ_U64(step(&r, &f, addr_to(2), 0x41, true, false), IRQ_OK);
	CHECK_STR(f.log, "");
	/* Unmasked: the pair, then the unmask. */
	CHECK_EQ_U64(step(&r, &f, addr_to(2), 0x41, false, false), IRQ_OK);
	CHECK_STR(f.log, "wu");
	CHECK_EQ_U64(f.addr, addr_to(2));
	CHECK_EQ_U64(f.data, 0x41);
	CHECK(r.live && !r.remapped);
	/* The same pair again (Linux rewrites entries): nothing. */
	CHECK_EQ_U64(step(&r, &f, addr_to(2), 0x41, false, false), IRQ_OK);
	CHECK_STR(f.log, "");
	/* A new destination while live: masked around the change. */
	CHECK_EQ_U64(step(&r, &f, addr_to(7), 0x41, false, false), IRQ_OK);
	CHECK_STR(f.log, "mwu");
	CHECK_EQ_U64(f.addr, addr_to(7));
	/* A destination outside the VM: masked, and it stays masked. */
	CHECK_EQ_U64(step(&r, &f, addr_to(5), 0x41, false, false), IRQ_REFUSE_DEST);
	CHECK_STR(f.log, "m");
	CHECK(!f.unmasked && !r.live);
	CHECK_EQ_U64(step(&r, &f, addr_to(5), 0x41, false, false), IRQ_REFUSE_DEST);
	CHECK_STR(f.log, "");
	CHECK_EQ_U64(step(&r, &f, addr_to(2), IRQ_DELIVERY_NMI << 8, false, false), IRQ_REFUSE_DELIVERY);
	CHECK(!f.unmasked);
	/* The guest masks it: nothing to do, it is masked already. */
	CHECK_EQ_U64(step(&r, &f, addr_to(5), 0x41, true, false), IRQ_OK);
	CHECK_STR(f.log, "");
	CHECK_EQ_U64(f.len, 0);
	CHECK_EQ_U64(f.unmapped, 0); /* never remapped */
}

TEST(remapped_vectors_get_one_entry_each_freed_on_change_and_mask)
{
	struct msi_route r = { 0 };
	struct fake f = { .next_index = 0x8005 };
	u32 a, d;

	CHECK_EQ_U64(step(&r, &f, addr_to(3), 0x52, false, true), IRQ_OK);
	CHECK_STR(f.log, "rwu");
	CHECK_EQ_U64(f.vector, 0x52);
	CHECK_EQ_U64(f.dest, 3);
	msi_remappable(0x8005, &a, &d);
	CHECK_EQ_U64(f.addr, a); /* the device holds the entry's handle, not the guest's pair */
	CHECK_EQ_U64(f.data, d);
	CHECK(r.live && r.remapped && r.irte == 0x8005);
	/* Same vector and destination, other bits the entry does not carry: the entry stays. */
	CHECK_EQ_U64(step(&r, &f, addr_to(3) | BIT(3), 0x52, false, true), IRQ_OK);
	CHECK_STR(f.log, "");
	/* A new vector: mask, free the old entry, build, write, unmask. */
	f.next_index = 9;
	CHECK_EQ_U64(step(&r, &f, addr_to(3), 0x53, false, true), IRQ_OK);
	CHECK_STR(f.log, "mxrwu");
	CHECK_EQ_U64(f.unmapped, 0x8005);
	CHECK_EQ_U64(r.irte, 9);
	/* Masked by the guest: masked on the device and the entry freed. */
	CHECK_EQ_U64(step(&r, &f, addr_to(3), 0x53, true, true), IRQ_OK);
	CHECK_STR(f.log, "mx");
	CHECK_EQ_U64(f.unmapped, 9);
	CHECK(!r.live && !r.remapped);
	/* Refused pairs never reach the table. */
	CHECK_EQ_U64(step(&r, &f, addr_to(4), 0x53, false, true), IRQ_REFUSE_DEST);
	CHECK_STR(f.log, "");
	CHECK_EQ_U64(step(&r, &f, addr_to(3), 0xff, false, true), IRQ_REFUSE_VECTOR_FF);
	CHECK_STR(f.log, "");
}

TEST(a_full_table_leaves_the_vector_masked_and_clear_frees_all)
{
	struct msi_route r = { 0 };
	struct fake f = { .next_index = 4 };

	CHECK_EQ_U64(step(&r, &f, addr_to(2), 0x60, false, true), IRQ_OK);
	f.next_index = -ENOSPC;
	CHECK_EQ_U64(step(&r, &f, addr_to(7), 0x60, false, true), IRQ_REFUSE_NO_ENTRY);
	CHECK_STR(f.log, "mxr");
	CHECK(!f.unmasked && !r.live && !r.remapped);
	/* Tried again on the next write; then the VM stops. */
	f.next_index = 6;
	CHECK_EQ_U64(step(&r, &f, addr_to(7), 0x60, false, true), IRQ_OK);
	CHECK_STR(f.log, "rwu");
	f.len = 0;
	msi_route_clear(&r, &fake_ops, &f);
	CHECK_STR(f.log, "mx");
	CHECK_EQ_U64(f.unmapped, 6);
	CHECK(!r.live && !r.remapped && !r.irte && !r.dev_addr);
	f.len = 0;
	f.log[0] = 0;
	msi_route_clear(&r, &fake_ops, &f); /* twice (every vCPU parks): nothing more */
	CHECK_STR(f.log, "");
}

TEST(switching_between_direct_and_remapped_rebuilds)
{
	struct msi_route r = { 0 };
	struct fake f = { .next_index = 1 };

	CHECK_EQ_U64(step(&r, &f, addr_to(2), 0x41, false, false), IRQ_OK);
	CHECK_STR(f.log, "wu");
	CHECK_EQ_U64(step(&r, &f, addr_to(2), 0x41, false, true), IRQ_OK);
	CHECK_STR(f.log, "mrwu");
	CHECK_EQ_U64(step(&r, &f, addr_to(2), 0x41, false, false), IRQ_OK);
	CHECK_STR(f.log, "mxwu");
	CHECK_EQ_U64(f.addr, addr_to(2));
}

/* After a function reset the device has lost its table; the guest restores the same values,
 * which apply finds held: refresh writes them again, and does nothing for a masked vector. */
TEST(refresh_rewrites_a_live_vector_only)
{
	struct msi_route r = { 0 };
	struct fake f = { .next_index = 3 };
	u32 a, d;

	f.len = 0;
	msi_route_refresh(&r, &fake_ops, &f);
	CHECK_EQ_U64(f.len, 0);
	CHECK_EQ_U64(step(&r, &f, addr_to(2), 0x70, false, true), IRQ_OK);
	f.addr = 0;
	f.data = 0x1234;
	f.unmasked = false; /* the reset */
	CHECK_EQ_U64(step(&r, &f, addr_to(2), 0x70, false, true), IRQ_OK);
	CHECK_STR(f.log, "");
	msi_route_refresh(&r, &fake_ops, &f);
	CHECK_STR(f.log, "mwu");
	msi_remappable(3, &a, &d);
	CHECK_EQ_U64(f.addr, a);
	CHECK_EQ_U64(f.data, d);
	CHECK(f.unmasked);
}
