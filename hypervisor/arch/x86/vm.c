/*
 * Running a VM on VMX: its address space (EPT with MTRR memory types, MSR and I/O bitmaps),
 * the first VM entry of each vCPU, INIT/SIPI for application processors, and what a CPU does
 * once its VM has stopped.
 */
#include <plinth/console.h>
#include <plinth/memory.h>
#include <plinth/monitor.h>
#include <plinth/panic.h>
#include <plinth/string.h>
#include <x86/apic.h>
#include <x86/cpu.h>
#include <x86/mtrr.h>
#include <x86/percpu.h>
#include <x86/vmexit.h>
#include <x86/vmx.h>
#include <x86/vtd.h>

extern char __pool_start[], __pool_end[];

#define VCPU_PAGES ((sizeof(struct vcpu) + PLINTH_PAGE_SIZE - 1) / PLINTH_PAGE_SIZE)

static void *ept_page(void)
{
	return page_alloc();
}

/* Maps one region, split where the MTRR memory type changes. The local APIC's page is
 * read-only: writes exit for vapic.c. */
static int map_region(struct ept *ept, const struct mtrr_state *mtrr, const struct vm_mem *m)
{
	u64 at = m->gpa, end = m->gpa + m->size;
	u64 apic = rdmsr(MSR_IA32_APIC_BASE) & 0xffffff000ULL;

	if (m->kind == VM_MEM_MMIO && apic >= m->gpa && apic < end) {
		struct vm_mem before = *m, after = *m;
		int rc = 0;

		before.size = apic - m->gpa;
		after.gpa = after.hpa = apic + 4096;
		after.size = end - after.gpa;
		if (before.size)
			rc = map_region(ept, mtrr, &before);
		if (!rc)
			rc = ept_map(ept, apic, apic, 4096, EPT_READ | EPT_MEMTYPE(MTRR_TYPE_UC));
		if (!rc && after.size)
			rc = map_region(ept, mtrr, &after);
		return rc;
	}

	while (at < end) {
		u8 type;
		u64 run = mtrr_run_end(mtrr, m->hpa + (at - m->gpa), m->hpa + (end - m->gpa), &type);
		u64 len = run - (m->hpa + (at - m->gpa));
		int rc;

		/* MTRR boundaries are 4 KiB aligned; a type the EPT cannot hold falls back to UC. */
		if (type != MTRR_TYPE_WB && type != MTRR_TYPE_WT && type != MTRR_TYPE_WP &&
		    type != MTRR_TYPE_WC)
			type = MTRR_TYPE_UC;
		rc = ept_map(ept, at, m->hpa + (at - m->gpa), len, EPT_RWX | EPT_MEMTYPE(type));
		if (rc)
			return rc;
		at += len;
	}
	return 0;
}

int arch_vm_init(struct vm *vm)
{
	struct arch_vm *a = page_alloc();
	struct mtrr_state mtrr;
	u32 i;
	int rc;

	vm->arch = a;
	a->vpid = (u16)(vm->id + 1);
	a->msr_bitmap = page_alloc();
	a->io_bitmap_a = page_alloc();
	a->io_bitmap_b = page_alloc();
	msr_bitmap_init(a->msr_bitmap);
	io_bitmap_init(a->io_bitmap_a, a->io_bitmap_b);

	mtrr_read(&mtrr);
	rc = ept_init(&a->ept, ept_page, vmx_caps.ept_vpid & EPT_CAP_2M, vmx_caps.ept_vpid & EPT_CAP_1G);
	for (i = 0; !rc && i < vm->mem_count; i++)
		rc = map_region(&a->ept, &mtrr, &vm->mem[i]);
	if (rc) {
		log_warn("%s: building the EPT failed (error %d)", vm->name, rc);
		return rc;
	}
	a->eptp = ept_pointer(&a->ept);
	log_info("%s: EPT %lu x 1G + %lu x 2M + %lu x 4K pages in %u table pages (%u KiB)", vm->name,
		 a->ept.leaves_1g, a->ept.leaves_2m, a->ept.leaves_4k, a->ept.table_pages,
		 a->ept.table_pages * 4);
	return arch_vm_dma_isolate(vm);
}

extern u64 boot_tsc;

static u64 rdtsc(void)
{
	u32 lo, hi;

	asm volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((u64)hi << 32) | lo;
}

/* What Plinth holds for this run, for the footprint benchmark. */
static void report_footprint(struct vm *vm)
{
	u64 pool = (u64)(uintptr_t)__pool_end - (u64)(uintptr_t)__pool_start;

	log_notice("footprint: reserved %lu KiB (image %lu KiB, pool %lu KiB), pool used %lu KiB, EPT %u KiB, VT-d %u KiB",
		 (plinth_reserved.end - plinth_reserved.start) / KIB,
		 ((u64)(uintptr_t)__pool_start - plinth_reserved.start) / KIB, pool / KIB,
		 (pool - pool_free_bytes()) / KIB, vm->arch->ept.table_pages * 4, vtd_table_pages() * 4);
}

void arch_vcpu_run(struct vm *vm, u32 id)
{
	struct percpu *pc = this_cpu();
	struct vcpu *v = pages_alloc(VCPU_PAGES);

	v->vm = vm;
	v->id = id;
	v->pending_sipi = -1;
	v->apic_id = pc->apic_id;
	pc->vcpu = v;
	vmcs_setup(v);
	if (id == 0) {
		vmcs_guest_protected32(&vm->boot);
		v->launch_regs.rax = vm->boot.rax;
		v->launch_regs.rbx = vm->boot.rbx;
		v->launch_regs.rsi = vm->boot.rsi;
	} else {
		v->sipi_wait = true;
		vmcs_guest_wait_for_sipi();
	}
	vmx_invept_single(vm->arch->eptp);
	if (vmx_has_vpid())
		vmx_invvpid_single(vm->arch->vpid);
	if (id == 0) {
		log_info("%s: vCPU 0 on CPU %u starts the %s image at 0x%lx", vm->name, pc->index,
			 vm->boot.image_kind, vm->boot.entry);
		report_footprint(vm);
		/* The last line before VMLAUNCH: the guest's first instruction follows. */
		log_notice("boot path: %lu TSC ticks from Plinth's first instruction to VM entry", rdtsc() - boot_tsc);
	}
	else
		log_info("%s: vCPU %u on CPU %u waits for the guest's INIT-SIPI-SIPI", vm->name, id, pc->index);
	vmx_launch(&v->launch_regs);

	/* VMLAUNCH returned: it failed before any guest instruction ran. */
	panic_start("VMLAUNCH failed", "%s vCPU %u on CPU %u: VM-instruction error %lu (%s)", vm->name, id,
		    pc->index, vmcs_read(VMCS_VM_INSTRUCTION_ERROR),
		    vmx_error_name(vmcs_read(VMCS_VM_INSTRUCTION_ERROR)));
	vmcs_dump();
	panic_finish();
}

void exit_init(struct vcpu *v)
{
	/* A physical INIT (not the guest's IPI, which Plinth intercepts): same as the guest's. */
	v->pending_init = true;
	vapic_process(v);
}

void exit_sipi(struct vcpu *v)
{
	v->pending_sipi = (u8)vmcs_read(VMCS_EXIT_QUALIFICATION);
	vapic_process(v);
}

void arch_vm_kick(struct vm *vm)
{
	u32 i, self = this_cpu()->index;

	for (i = 0; i < cpu_count; i++)
		if (cpus[i] && i != self && (vm->cpu_mask & BIT(i)) && cpus[i]->vcpu)
			apic_send_ipi(cpus[i]->apic_id, APIC_ICR_NMI);
}

void vcpu_park(struct vcpu *v)
{
	(void)v;
	/* The boot CPU stays useful: it answers on the console. The others rest. */
	if (this_cpu()->index == 0)
		monitor_run();
	for (;;)
		asm volatile("cli; hlt");
}

void arch_print_exit_stats(struct vm *vm)
{
	u32 i, r;

	for (i = 0; i < cpu_count; i++) {
		struct vcpu *v = cpus[i] ? cpus[i]->vcpu : NULL;

		if (!v || v->vm != vm)
			continue;
		printk("  %s vCPU %u (CPU %u): %lu exits\n", vm->name, v->id, i, v->exits_total);
		for (r = 0; r <= EXIT_REASON_MAX; r++)
			if (v->exits[r])
				printk("    %-22s %lu\n", exit_reason_name(r), v->exits[r]);
	}
}
