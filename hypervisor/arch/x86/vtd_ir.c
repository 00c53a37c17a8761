/* VT-d interrupt remapping entries, MSI formats and fault reasons; see x86/vtd_ir.h. */
#include <plinth/errno.h>
#include <x86/vtd_ir.h>

#define VTD_IR_FAULT_FIRST 0x20

/* MSI address and data (VT-d 5.1.2.1, 5.1.2.2; SDM 10.11). */
#define MSI_ADDR_BASE 0xfeeu
#define MSI_ADDR_REMAPPABLE BIT(4)
#define MSI_ADDR_SHV BIT(3) /* remappable: subhandle valid */
#define MSI_ADDR_RH BIT(3)  /* compatibility: redirection hint */
#define MSI_ADDR_DM BIT(2)  /* compatibility: logical destination */
#define MSI_ADDR_HANDLE_15 BIT(2)
#define MSI_ADDR_COMPAT_RESERVED 0xfe0u /* bits 11:5 */
#define MSI_DATA_LEVEL BIT(15)
#define MSI_DATA_ASSERT BIT(14)

/* I/O APIC entry, remappable format (5.1.5.1). */
#define RTE_REMAP_FORMAT BIT(48)
#define RTE_REMAP_HANDLE_15 BIT(11)
#define RTE_REMAP_KEEP (0xffULL | BIT(13) | BIT(15) | BIT(16)) /* vector, polarity, trigger, mask */

int vtd_irte_build(const struct vtd_irte_spec *s, const u32 *apic_ids, u32 n, struct vtd_irte *out)
{
	struct irq_target t = { false, IRQ_DELIVERY_FIXED, s->dest,
				s->x2apic ? IRQ_X2APIC_BROADCAST : IRQ_XAPIC_BROADCAST, s->vector };

	*out = (struct vtd_irte){ 0, 0 };
	if (s->sq > VTD_SQ_IGNORE_2_0 || (s->bus_range && (s->sid >> 8) > (s->sid & 0xff)))
		return -EINVAL;
	if ((!s->x2apic && s->dest > IRQ_XAPIC_ID_MAX) || irq_policy_check(&t, apic_ids, n) != IRQ_OK)
		return -EINVAL;
	out->lo = IRTE_P | (s->level ? IRTE_TM : 0) | (u64)s->vector << 16 |
		  (s->x2apic ? IRTE_DST_X2APIC(s->dest) : IRTE_DST_XAPIC(s->dest));
	if (s->bus_range)
		out->hi = s->sid | (u64)VTD_SVT_BUS << 18;
	else
		out->hi = s->sid | (u64)s->sq << 16 | (u64)VTD_SVT_SID << 18;
	return 0;
}

int msi_decode(u64 addr, u32 data, struct msi_info *out)
{
	*out = (struct msi_info){ 0 };
	if (addr >> 32 || ((addr >> 20) & 0xfff) != MSI_ADDR_BASE)
		return -EINVAL;
	if (addr & MSI_ADDR_REMAPPABLE) {
		u32 handle = (u32)((addr >> 5) & 0x7fff) | (addr & MSI_ADDR_HANDLE_15 ? BIT(15) : 0);

		if (data >> 16)
			return -EINVAL;
		out->remappable = true;
		out->shv = addr & MSI_ADDR_SHV;
		out->index = handle + (out->shv ? (data & 0xffff) : 0);
		return 0;
	}
	if (addr & MSI_ADDR_COMPAT_RESERVED)
		return -EINVAL;
	out->target = (struct irq_target){ !!(addr & MSI_ADDR_DM), (data >> 8) & 7, (u32)(addr >> 12) & 0xff,
					   IRQ_XAPIC_BROADCAST, (u8)data };
	out->rh = addr & MSI_ADDR_RH;
	out->level = data & MSI_DATA_LEVEL;
	out->assert = data & MSI_DATA_ASSERT;
	return 0;
}

u32 msi_check(const struct msi_info *m, const u32 *apic_ids, u32 n)
{
	/* Without remapping the platform reads a remappable address as a compatibility one whose
	 * destination is handle bits: nothing Plinth can vouch for. */
	if (m->remappable)
		return IRQ_REFUSE_DEST;
	return irq_policy_check(&m->target, apic_ids, n);
}

void msi_remappable(u32 index, u32 *addr, u32 *data)
{
	*addr = MSI_ADDR_BASE << 20 | (index & 0x7fff) << 5 | MSI_ADDR_REMAPPABLE |
		(index & BIT(15) ? MSI_ADDR_HANDLE_15 : 0);
	*data = 0;
}

u64 ioapic_rte_remappable(u32 index, u64 rte)
{
	return (rte & RTE_REMAP_KEEP) | RTE_REMAP_FORMAT | (u64)(index & 0x7fff) << 49 |
	       (index & BIT(15) ? RTE_REMAP_HANDLE_15 : 0);
}

/* VT-d appendix A, reasons 20h-27h. */
static const char *const ir_fault_names[] = {
	"reserved field set in a remappable interrupt request",
	"interrupt index beyond the remapping table's size",
	"remapping entry not present",
	"the remapping table could not be read (IRTA address)",
	"reserved field set in a present remapping entry",
	"compatibility-format interrupt blocked (x2APIC mode or CFIS clear)",
	"source-id verification failed: the entry belongs to another requester",
	"the posted-interrupt descriptor could not be read",
};

bool vtd_ir_fault(u8 reason)
{
	return reason >= VTD_IR_FAULT_FIRST && reason < VTD_IR_FAULT_FIRST + ARRAY_SIZE(ir_fault_names);
}

const char *vtd_ir_fault_name(u8 reason)
{
	return vtd_ir_fault(reason) ? ir_fault_names[reason - VTD_IR_FAULT_FIRST] : NULL;
}
