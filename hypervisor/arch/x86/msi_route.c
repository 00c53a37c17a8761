/* Where a partition's device MSI vector goes; the rules are in x86/msi_route.h. */
#include <x86/msi_route.h>
#include <x86/vtd_ir.h>

u32 msi_route_check(u64 addr, u32 data, const u32 *apic_ids, u32 n)
{
	struct msi_info m;
	u32 rc;

	if (msi_decode(addr, data, &m) || m.remappable || data >> 16)
		return IRQ_REFUSE_ADDRESS;
	rc = irq_policy_check(&m.target, apic_ids, n);
	if (rc != IRQ_OK)
		return rc;
	return m.target.vector > MSI_VECTOR_MAX ? IRQ_REFUSE_VECTOR_FF : IRQ_OK;
}

void msi_route_goal(u64 addr, u32 data, bool masked, const u32 *apic_ids, u32 n, struct msi_goal *g)
{
	*g = (struct msi_goal){ .refusal = IRQ_OK, .addr = addr, .data = data };
	if (masked)
		return;
	g->refusal = msi_route_check(addr, data, apic_ids, n);
	if (g->refusal != IRQ_OK)
		return;
	g->live = true;
	g->vector = (u8)data;
	g->dest = (u32)(addr >> 12) & 0xff;
}

static bool holds(const struct msi_route *r, const struct msi_goal *g, bool remapping)
{
	if (!r->live || !g->live)
		return !r->live && !g->live && !r->remapped;
	if (remapping)
		return r->remapped && r->vector == g->vector && r->dest == g->dest;
	return !r->remapped && r->dev_addr == g->addr && r->dev_data == g->data;
}

void msi_route_clear(struct msi_route *r, const struct msi_route_ops *ops, void *ctx)
{
	if (r->live)
		ops->mask(ctx);
	if (r->remapped)
		ops->unmap(ctx, r->irte);
	*r = (struct msi_route){ 0 };
}

void msi_route_refresh(const struct msi_route *r, const struct msi_route_ops *ops, void *ctx)
{
	if (!r->live)
		return;
	ops->mask(ctx); /* never changed while it may send (PCIe 4.0 6.1.4.5) */
	ops->write(ctx, r->dev_addr, r->dev_data);
	ops->unmask(ctx);
}

u32 msi_route_apply(struct msi_route *r, const struct msi_goal *g, bool remapping, const struct msi_route_ops *ops,
		    void *ctx)
{
	u64 addr = g->addr;
	u32 data = g->data;
	int index;

	if (holds(r, g, remapping))
		return g->refusal;
	msi_route_clear(r, ops, ctx);
	if (!g->live)
		return g->refusal;
	if (remapping) {
		u32 a;

		index = ops->remap(ctx, g->vector, g->dest);
		if (index < 0)
			return IRQ_REFUSE_NO_ENTRY;
		msi_remappable((u32)index, &a, &data);
		addr = a;
		r->remapped = true;
		r->irte = (u32)index;
	}
	ops->write(ctx, addr, data);
	ops->unmask(ctx);
	r->live = true;
	r->vector = g->vector;
	r->dest = g->dest;
	r->dev_addr = addr;
	r->dev_data = data;
	return IRQ_OK;
}
