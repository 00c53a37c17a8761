/*
 * The guest's MTRRs carried into its VM's memory types (issue 13, finding 3). With EPT, guest
 * accesses take their memory type from the EPT leaf, combined with the guest's PAT (SDM Vol.
 * 3C, 29.3.7.2), not from the MTRRs, which stay the firmware's and type Plinth's own accesses
 * (vmtrr.c keeps each vCPU's view). So a view the guest sets becomes the VM's EPT types:
 * for guest RAM its own, for MMIO only UC made WC (x86/ept_memtype.h). Plinth's range is in no
 * EPT, so no guest view ever types it.
 *
 * When. A vCPU's view is applied after a write that succeeded when IA32_MTRR_DEF_TYPE.E is set
 * and the view types memory differently from the one the EPT carries (the same registers, a
 * variable range's base ignored while its mask's valid bit is clear): the write that sets E,
 * and any write while E is set. A view with E clear is not applied: the SDM's way to change
 * MTRRs (Vol. 3A 12.11.7.2, 12.11.8) clears E with caching off (CR0.CD) and sets it again
 * once the ranges are written, so applying the cleared view would cost two rebuilds for
 * accesses that are uncached anyway. Linux writes every AP's MTRRs with the BSP's values at
 * bring-up: equal to what the EPT carries, nothing is rebuilt. Until a guest sets a view of
 * its own, the firmware's types by host address stay (its first view is the firmware's).
 *
 * Whose. One EPT serves all of a VM's vCPUs, so the last changed view types the memory every
 * vCPU reaches. On hardware each CPU's MTRRs type its own accesses and the OS keeps them equal
 * on all CPUs (12.11.8), which is what Linux does.
 *
 * How. A new EPT is built with the view's types and switched to: by the writing vCPU at once,
 * by every other vCPU of the VM at its next VM entry (a request and a kick, vcpu_events.c),
 * each with INVEPT on its own CPU (the new tables may reuse pages, even the PML4's, of freed
 * ones). The old tables are freed by the last vCPU to leave them. A view set while an old EPT
 * still waits is kept and applied by that last vCPU. Building afresh rather than retyping
 * leaves in place means no large page is ever split under a running vCPU (a page whose size
 * changes without invalidation can make some CPUs raise a machine check on an instruction
 * fetch), and a guest that reprograms its MTRRs over and over holds at most two EPTs. When the
 * pool has no room for the new tables, the VM keeps its types (said once) and a later change
 * tries again.
 */
#include <console_proto.h>
#include <plinth/console.h>
#include <plinth/errno.h>
#include <plinth/string.h>
#include <x86/cpu.h>
#include <x86/ept.h>
#include <x86/vcpu.h>
#include <x86/vcpu_events.h>
#include <x86/vm.h>
#include <x86/vm_mtrr.h>
#include <x86/vmx.h>
#include <x86/vmx_insn.h>

/* Whether a and b type memory alike: a variable range whose mask is not valid counts for
 * nothing, whatever its base. */
static bool same_view(const struct vmtrr *a, const struct vmtrr *b)
{
	u32 i;

	if (a->def_type != b->def_type || memcmp(a->fixed, b->fixed, sizeof(a->fixed)))
		return false;
	for (i = 0; i < MTRR_VAR_MAX; i++) {
		bool valid = a->var[2 * i + 1] & MTRR_VALID;

		if (valid != (bool)(b->var[2 * i + 1] & MTRR_VALID))
			return false;
		if (valid && (a->var[2 * i] != b->var[2 * i] || a->var[2 * i + 1] != b->var[2 * i + 1]))
			return false;
	}
	return true;
}

/* This CPU's VMCS (v's) on the VM's current EPT. */
static void use_current(struct vcpu *v)
{
	struct arch_vm *a = v->vm->arch;

	vmcs_write(VMCS_EPT_POINTER, a->eptp);
	vmx_invept_single(a->eptp);
	__atomic_store_n(&v->ept_gen, a->ept_gen, __ATOMIC_RELEASE);
}

/* Frees the retired EPT once no vCPU uses it (ept_lock held). */
static void reap(struct vm *vm)
{
	struct arch_vm *a = vm->arch;
	u32 i, pages = a->retired.table_pages;

	if (!a->retired.pml4)
		return;
	for (i = 0; i < PLINTH_MAX_CPUS; i++)
		if (a->vcpus[i] && __atomic_load_n(&a->vcpus[i]->ept_gen, __ATOMIC_ACQUIRE) != a->ept_gen)
			return;
	vm_ept_free(&a->retired);
	log_info(CONSOLE_FMT_MTRR_EPT_RETIRED, vm->name, pages);
}

/* Builds and switches to an EPT with view's types (ept_lock held, no EPT retired). */
static void apply(struct vcpu *v, const struct vmtrr *view)
{
	struct vm *vm = v->vm;
	struct arch_vm *a = vm->arch;
	struct mtrr_state guest;
	struct ept ept;
	u32 i;
	int rc;

	mtrr_state_from_msrs(&guest, view->cap, view->def_type, view->var, view->fixed, (u8)cpu_phys_bits());
	rc = vm_ept_build(vm, &ept, &guest);
	if (rc) {
		if (!a->mtrr_rebuild_failed_logged)
			log_warn(CONSOLE_FMT_MTRR_EPT_FAILED, vm->name, v->id, rc);
		a->mtrr_rebuild_failed_logged = true;
		return;
	}
	a->retired = a->ept;
	a->ept = ept;
	a->eptp = ept_pointer(&a->ept);
	a->ept_gen++;
	a->mtrr_applied = *view;
	use_current(v);
	for (i = 0; i < PLINTH_MAX_CPUS; i++)
		if (a->vcpus[i] && a->vcpus[i] != v)
			vcpu_post_ept_switch(a->vcpus[i]);
	log_info(CONSOLE_FMT_MTRR_EPT_APPLIED, vm->name, v->id, a->ept.leaves_1g, a->ept.leaves_2m, a->ept.leaves_4k);
	reap(vm); /* with one vCPU, the old tables go at once */
}

void vm_mtrr_changed(struct vcpu *v)
{
	struct arch_vm *a = v->vm->arch;

	if (!(v->mtrr.def_type & MTRR_DEF_TYPE_ENABLE))
		return;
	spin_lock(&a->ept_lock);
	if (!same_view(&v->mtrr, a->mtrr_wanted_pending ? &a->mtrr_wanted : &a->mtrr_applied)) {
		reap(v->vm);
		a->mtrr_wanted_pending = a->retired.pml4 != NULL;
		if (a->mtrr_wanted_pending)
			a->mtrr_wanted = v->mtrr; /* the last vCPU to leave the old EPT applies it */
		else
			apply(v, &v->mtrr);
	}
	spin_unlock(&a->ept_lock);
}

void vm_mtrr_switch(struct vcpu *v)
{
	struct arch_vm *a = v->vm->arch;

	spin_lock(&a->ept_lock);
	use_current(v);
	reap(v->vm);
	if (!a->retired.pml4 && a->mtrr_wanted_pending) {
		a->mtrr_wanted_pending = false;
		apply(v, &a->mtrr_wanted);
	}
	spin_unlock(&a->ept_lock);
}
