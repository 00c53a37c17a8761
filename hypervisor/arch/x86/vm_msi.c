/* The MSIs of partitions' PCI functions: their state, the MSI capability under interrupt
 * remapping, stop and restart; see x86/vm_msi.h. The MSI-X table is vm_msix.c's. */
#include <console_proto.h>
#include <plinth/console.h>
#include <x86/vcpu.h>
#include <x86/vm.h>
#include <x86/vm_msi.h>
#include <x86/vtd.h>

#define MSI_FNS_MAX 64 /* owned functions of all partitions (vm_pci.c's PCI_FNS_MAX) */

static struct vm_msi_fn fns[MSI_FNS_MAX];
static u32 fn_count;
static bool remapping;

u32 vm_msi_apic_ids(const struct vm *vm, u32 *ids)
{
	u32 n = 0;

	while (n < vm->vcpu_count && n < PLINTH_MAX_CPUS && vm->arch->vcpus[n]) {
		ids[n] = vm->arch->vcpus[n]->apic_id;
		n++;
	}
	return n;
}

static struct vm_msi_fn *find(const struct vm *vm, u16 bdf)
{
	u32 i;

	for (i = 0; i < fn_count; i++)
		if (fns[i].vm == vm && fns[i].bdf == bdf)
			return &fns[i];
	return NULL;
}

struct vm_msi_fn *vm_msi_trapped(const struct vm *vm, gpa_t gpa)
{
	u32 i;

	for (i = 0; i < fn_count; i++)
		if (fns[i].vm == vm && fns[i].msix_usable && gpa >= fns[i].trap && gpa - fns[i].trap < fns[i].lay.trap_size)
			return &fns[i];
	return NULL;
}

void vm_msi_refused(struct vcpu *v, const struct vm_msi_fn *f, const char *what, u32 n, u32 reason)
{
	if (!vm_msi_count_refusal(v->vm))
		return;
	log_warn(CONSOLE_FMT_VM_MSI_REFUSED, v->vm->name, v->id, PCI_BDF_BUS(f->bdf), PCI_BDF_DEV(f->bdf),
		 PCI_BDF_FN(f->bdf), what, n, irq_refusal_name(reason));
}

/* The MSI capability's vector on the device (under remapping): the enable bit is its mask. */
static void msi_enable(struct vm_msi_fn *f, bool on)
{
	u16 reg = (u16)(f->msi_cap + PCI_MSI_CTRL);
	u32 ctrl = vm_pci_hw_read(f->bdf, reg, 2) & ~(PCI_MSI_CTRL_ENABLE | PCI_MSI_CTRL_MME);

	vm_pci_hw_write(f->bdf, reg, 2, ctrl | (on ? PCI_MSI_CTRL_ENABLE : 0));
}

static void msi_mask(void *ctx)
{
	msi_enable(ctx, false);
}

static void msi_unmask(void *ctx)
{
	msi_enable(ctx, true);
}

static void msi_write(void *ctx, u64 addr, u32 data)
{
	struct vm_msi_fn *f = ctx;

	vm_pci_hw_write(f->bdf, (u16)(f->msi_cap + PCI_MSI_ADDR), 4, (u32)addr);
	if (f->msi_64)
		vm_pci_hw_write(f->bdf, (u16)(f->msi_cap + PCI_MSI_ADDR + 4), 4, (u32)(addr >> 32));
	vm_pci_hw_write(f->bdf, (u16)(f->msi_cap + PCI_MSI_DATA(f->msi_64)), 2, data & 0xffff);
}

static int msi_remap(void *ctx, u8 vector, u32 dest)
{
	struct vm_msi_fn *f = ctx;
	u32 ids[PLINTH_MAX_CPUS], n = vm_msi_apic_ids(f->vm, ids);

	return vtd_ir_remap(f->bdf, vector, dest, ids, n);
}

static void msi_unmap(void *ctx, u32 index)
{
	(void)ctx;
	vtd_ir_unmap(index);
}

static const struct msi_route_ops msi_ops = { msi_mask, msi_unmask, msi_write, msi_remap, msi_unmap };

struct vm_msi_fn *vm_msi_add(const struct vm_msi_fn *f)
{
	if (fn_count == MSI_FNS_MAX)
		return NULL;
	vm_msi_stats_add(f->vm);
	fns[fn_count] = *f;
	return &fns[fn_count++];
}

void vm_msi_disable(struct vm_msi_fn *f)
{
	msi_enable(f, false);
}

void vm_msi_set_remapping(void)
{
	remapping = true;
}

bool vm_msi_remapping(void)
{
	return remapping;
}

void vm_msi_fn_state(const struct vm *vm, u16 bdf, struct pci_fn_state *st)
{
	const struct vm_msi_fn *f = find(vm, bdf);

	st->msix_cap = f ? f->msix_cap : 0;
	st->msix_usable = f && f->msix_usable;
	st->msix_bar = f && f->msix_usable ? f->lay.table_bar : 0;
	st->msix_home = f && f->msix_usable ? f->trap - f->lay.trap_off : 0;
}

void vm_msi_cap_write(struct vcpu *v, const struct pci_cfg_access *a, const struct pci_fn_state *st)
{
	struct vm_msi_fn *f = find(v->vm, a->bdf);
	u32 ids[PLINTH_MAX_CPUS], n = vm_msi_apic_ids(v->vm, ids), rc;
	struct msi_goal g;

	if (!f || !f->msi_cap)
		return;
	spin_lock(&f->lock);
	pci_msi_shadow_write(a, st, &f->msi);
	msi_route_goal(f->msi.addr, f->msi.data, !(f->msi.ctrl & PCI_MSI_CTRL_ENABLE), ids, n, &g);
	rc = msi_route_apply(&f->msi_route, &g, true, &msi_ops, f);
	if (a->reg < f->msi_cap + PCI_MSI_CTRL + 2 && f->msi_cap + PCI_MSI_CTRL < a->reg + a->width)
		msi_route_refresh(&f->msi_route, &msi_ops, f); /* the enable Linux restores after a reset */
	spin_unlock(&f->lock);
	if (rc != IRQ_OK)
		vm_msi_refused(v, f, "MSI vector", 0, rc);
}

u32 vm_msi_cap_read(const struct vm *vm, const struct pci_cfg_access *a, u32 hw)
{
	struct vm_msi_fn *f = find(vm, a->bdf);
	struct pci_fn_state st = { 0 };
	u32 v;

	if (!f || !f->msi_cap || a->reg + a->width <= f->msi_cap || a->reg >= f->msi_cap + PCI_MSI_END(f->msi_64))
		return hw;
	st.msi_cap = f->msi_cap;
	st.msi_64 = f->msi_64;
	st.msi_ctrl = (u16)vm_pci_hw_read(f->bdf, (u16)(f->msi_cap + PCI_MSI_CTRL), 2);
	spin_lock(&f->lock);
	v = pci_msi_shadow_read(a, &st, &f->msi, hw);
	spin_unlock(&f->lock);
	return v;
}

static void clear(struct vm *vm, bool forget)
{
	u32 i;

	for (i = 0; i < fn_count; i++) {
		struct vm_msi_fn *f = &fns[i];

		if (f->vm != vm)
			continue;
		spin_lock(&f->lock);
		if (f->msi_cap) {
			msi_route_clear(&f->msi_route, &msi_ops, f);
			msi_enable(f, false); /* without remapping the guest's pair was live too */
			if (forget)
				f->msi = (struct pci_msi_shadow){ 0 };
		}
		if (f->msix_usable)
			vm_msix_clear(f, forget);
		spin_unlock(&f->lock);
	}
}

void vm_msi_quiesce(struct vm *vm)
{
	if (vm->partition)
		clear(vm, false);
}

void vm_msi_reset(struct vm *vm)
{
	if (!vm->partition)
		return;
	clear(vm, true);
	vm_msi_stats_reset(vm);
}

