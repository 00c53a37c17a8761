/*
 * A partition's MSI-X tables (x86/vm_msi.h), left out of the VM's memory at build
 * (vm_msi_setup.c): each access to their pages is an EPT violation emulated here (loads and
 * stores through emulate.c): table entries from and to the guest's shadow, each write routed
 * (msi_route.c); the rest of the pages on the device with the access's own size.
 */
#include <console_proto.h>
#include <plinth/console.h>
#include <x86/emulate.h>
#include <x86/vcpu_events.h>
#include <x86/vm.h>
#include <x86/vm_msi.h>
#include <x86/vmx.h>
#include <x86/vtd.h>

/* An entry's routing context: the function and which entry. */
struct entry_ctx {
	struct vm_msi_fn *f;
	u32 e;
};

static volatile u32 *word_of(const struct vm_msi_fn *f, u32 e, u32 w)
{
	return (volatile u32 *)(uintptr_t)(f->table + (u64)e * MSIX_ENTRY_SIZE + 4 * w);
}

static void entry_mask(void *ctx)
{
	const struct entry_ctx *c = ctx;

	*word_of(c->f, c->e, MSIX_WORD_CTRL) = MSIX_VECTOR_MASKED;
}

static void entry_unmask(void *ctx)
{
	const struct entry_ctx *c = ctx;

	*word_of(c->f, c->e, MSIX_WORD_CTRL) = 0;
}

static void entry_write(void *ctx, u64 addr, u32 data)
{
	const struct entry_ctx *c = ctx;

	*word_of(c->f, c->e, MSIX_WORD_ADDR_LO) = (u32)addr;
	*word_of(c->f, c->e, MSIX_WORD_ADDR_HI) = (u32)(addr >> 32);
	*word_of(c->f, c->e, MSIX_WORD_DATA) = data;
}

static int entry_remap(void *ctx, u8 vector, u32 dest)
{
	const struct entry_ctx *c = ctx;
	u32 ids[PLINTH_MAX_CPUS], n = vm_msi_apic_ids(c->f->vm, ids);

	return vtd_ir_remap(c->f->bdf, vector, dest, ids, n);
}

static void entry_unmap(void *ctx, u32 index)
{
	(void)ctx;
	vtd_ir_unmap(index);
}

static const struct msi_route_ops entry_ops = { entry_mask, entry_unmask, entry_write, entry_remap, entry_unmap };

void vm_msix_clear(struct vm_msi_fn *f, bool forget)
{
	u32 e;

	for (e = 0; e < f->lay.entries; e++) {
		struct entry_ctx c = { f, e };

		msi_route_clear(&f->vec[e].r, &entry_ops, &c);
		entry_mask(&c); /* also what a guest's function reset may have left */
		if (forget)
			f->vec[e] = (struct msix_vec){ .w = { [MSIX_WORD_CTRL] = MSIX_VECTOR_MASKED } };
	}
}

/* A guest write to entry e: its view updated, the device routed to match. */
static void entry_store(struct vcpu *v, struct vm_msi_fn *f, u32 e, u32 w, u32 size, u64 value, u64 *old)
{
	struct msix_vec *x = &f->vec[e];
	struct entry_ctx c = { f, e };
	u32 ids[PLINTH_MAX_CPUS], n = vm_msi_apic_ids(v->vm, ids), rc;
	struct msi_goal g;

	spin_lock(&f->lock);
	*old = msix_entry_read(x->w, w, size);
	msix_entry_merge(x->w, w, size, value);
	msi_route_goal((u64)x->w[MSIX_WORD_ADDR_HI] << 32 | x->w[MSIX_WORD_ADDR_LO], x->w[MSIX_WORD_DATA],
		       x->w[MSIX_WORD_CTRL] & MSIX_VECTOR_MASKED, ids, n, &g);
	rc = msi_route_apply(&x->r, &g, vm_msi_remapping(), &entry_ops, &c);
	if (w == MSIX_WORD_CTRL || (size == 8 && w == MSIX_WORD_DATA))
		msi_route_refresh(&x->r, &entry_ops, &c); /* the unmask Linux restores after a reset */
	spin_unlock(&f->lock);
	if (rc != IRQ_OK)
		vm_msi_refused(v, f, "MSI-X entry", e, rc);
}

static u64 device_read(hpa_t at, u32 size)
{
	volatile void *p = (volatile void *)(uintptr_t)at;

	return size == 1 ? *(volatile u8 *)p : size == 2 ? *(volatile u16 *)p : size == 4 ? *(volatile u32 *)p :
							       *(volatile u64 *)p;
}

static void device_write(hpa_t at, u32 size, u64 value)
{
	volatile void *p = (volatile void *)(uintptr_t)at;

	if (size == 1)
		*(volatile u8 *)p = (u8)value;
	else if (size == 2)
		*(volatile u16 *)p = (u16)value;
	else if (size == 4)
		*(volatile u32 *)p = (u32)value;
	else
		*(volatile u64 *)p = value;
}

static void cannot_emulate(struct vcpu *v, gpa_t gpa, const char *did)
{
	vcpu_stop_vm(v, false, "vCPU %u %s the MSI-X table page at 0x%lx with an instruction Plinth cannot emulate (guest rip 0x%lx)",
		     v->id, did, gpa, vmcs_read(VMCS_GUEST_RIP));
}

static void store(struct vcpu *v, struct vm_msi_fn *f, gpa_t gpa)
{
	struct store st;
	u64 old = ~0ULL;
	u32 e = 0, w = 0;

	if (emulate_decode_store(v, &st)) {
		cannot_emulate(v, gpa, "wrote");
		return;
	}
	switch (msix_access_decode(&f->lay, gpa - f->trap, st.size, &e, &w)) {
	case MSIX_ACCESS_ENTRY:
		entry_store(v, f, e, w, st.size, st.value, &old);
		break;
	case MSIX_ACCESS_DEVICE:
		if (st.kind == STORE_XCHG)
			old = device_read(gpa, st.size);
		device_write(gpa, st.size, st.value);
		break;
	default:
		if (!__atomic_exchange_n(&f->odd_said, true, __ATOMIC_RELAXED))
			log_warn(CONSOLE_FMT_VM_MSIX_ODD_ACCESS, v->vm->name, v->id, PCI_BDF_BUS(f->bdf), PCI_BDF_DEV(f->bdf),
				 PCI_BDF_FN(f->bdf), st.size, gpa - f->trap);
	}
	emulate_complete_store(v, &st, old);
}

static void load(struct vcpu *v, struct vm_msi_fn *f, gpa_t gpa)
{
	struct load ld;
	u64 value = ~0ULL;
	u32 e = 0, w = 0;

	if (emulate_decode_load(v, &ld)) {
		cannot_emulate(v, gpa, "read");
		return;
	}
	switch (msix_access_decode(&f->lay, gpa - f->trap, ld.size, &e, &w)) {
	case MSIX_ACCESS_ENTRY:
		spin_lock(&f->lock);
		value = msix_entry_read(f->vec[e].w, w, ld.size);
		spin_unlock(&f->lock);
		break;
	case MSIX_ACCESS_DEVICE:
		value = device_read(gpa, ld.size);
		break;
	default:
		break; /* reads as all ones */
	}
	emulate_complete_load(v, &ld, value);
}

bool vm_msix_access(struct vcpu *v, gpa_t gpa, bool write)
{
	struct vm_msi_fn *f = vm_msi_trapped(v->vm, gpa);

	if (!f)
		return false;
	if (vcpu_in_event_delivery(v)) {
		vcpu_stop_vm(v, false, "vCPU %u touched the MSI-X table page at 0x%lx while delivering an event (guest rip 0x%lx)",
			     v->id, gpa, vmcs_read(VMCS_GUEST_RIP));
		return true;
	}
	if (write)
		store(v, f, gpa);
	else
		load(v, f, gpa);
	return true;
}
