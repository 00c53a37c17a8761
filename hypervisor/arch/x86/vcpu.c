/*
 * A vCPU on VMX: its first VM entry, the services exit handlers use (guest registers, event
 * injection (SDM 27.6), instruction skipping, the guest's CPL, FATAL reports), and what its CPU
 * does once the VM has stopped.
 */
#include <plinth/arch.h>
#include <plinth/console.h>
#include <plinth/layout_symbols.h>
#include <plinth/memory.h>
#include <plinth/panic.h>
#include <x86/apic_passthrough.h>
#include <plinth/string.h>
#include <x86/boot_symbols.h>
#include <x86/cpu.h>
#include <x86/percpu.h>
#include <x86/processor.h>
#include <x86/vcpu.h>
#include <x86/vcpu_events.h>
#include <x86/vm.h>
#include <x86/vm_msi.h>
#include <x86/vm_console.h>
#include <x86/vm_pci.h>
#include <x86/vmcs.h>
#include <x86/vmcs_guest.h>
#include <x86/vmentry.h>
#include <x86/vmexit.h>
#include <x86/vmx.h>
#include <x86/vtd.h>

/* What Plinth holds for this run, for the footprint benchmark: printed as vCPU 0 launches,
 * when every page the run needs is allocated. */
static void report_footprint(struct vm *vm)
{
	u64 pool = (u64)(uintptr_t)__pool_end - (u64)(uintptr_t)__pool_start;

	log_notice("footprint: reserved %lu KiB (image %lu KiB, pool %lu KiB), pool used %lu KiB, EPT %u KiB, VT-d %u KiB",
		 (plinth_reserved.end - plinth_reserved.start) / KIB,
		 ((u64)(uintptr_t)__pool_start - plinth_reserved.start) / KIB, pool / KIB,
		 (pool - pool_free_bytes()) / KIB, vm->arch->ept.table_pages * 4, (vtd_table_pages() + vtd_ir_table_pages()) * 4);
}

struct vcpu *vcpu_create(struct vm *vm, u32 id, u32 cpu)
{
	struct vcpu *v = pages_try_alloc(VCPU_PAGES);

	if (!v)
		return NULL;
	v->vmcs = page_try_alloc();
	if (!v->vmcs) {
		pages_free(v, VCPU_PAGES);
		return NULL;
	}
	v->vm = vm;
	v->id = id;
	v->cpu = cpu;
	v->sipi_wait = id != 0; /* before any CPU launches: apic_passthrough.c counts on it */
	v->apic_id = cpus[cpu]->apic_id;
	return v;
}

void vcpu_destroy(struct vcpu *v)
{
	page_free(v->vmcs);
	pages_free(v, VCPU_PAGES);
}

void arch_vcpu_run(struct vm *vm, u32 id)
{
	struct percpu *pc = this_cpu();
	struct vcpu *v = vm->arch->vcpus[id];

	if (!v || v->cpu != pc->index)
		panic("cannot run a vCPU", "%s vCPU %u was not built for CPU %u", vm->name, id, pc->index);
	v->start = __atomic_load_n(&vm->starts, __ATOMIC_ACQUIRE);
	pc->vcpu_entered = true;
	vmcs_setup(v);
	vcpu_virtual_state_init(v);
	vm_console_vcpu_init(v);
	exit_cpuid_vcpu_init(v);
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
	if (id == 0)
		apic_passthrough_vcpu_started(v);
	v->launch_tsc = rdtsc();
	vmx_launch(&v->launch_regs);

	/* VMLAUNCH returned: it failed before any guest instruction ran. */
	panic_start("VMLAUNCH failed", "%s vCPU %u on CPU %u: VM-instruction error %lu (%s)", vm->name, id,
		    pc->index, vmcs_read(VMCS_VM_INSTRUCTION_ERROR),
		    vmx_error_name(vmcs_read(VMCS_VM_INSTRUCTION_ERROR)));
	vmcs_dump();
	panic_finish();
}

/* Exceptions of the fault class (SDM Vol. 3A, Table 7-1): the CPU restarts the instruction. */
static bool is_fault(u32 vector)
{
	return vector == X86_EXC_DE || vector == X86_EXC_BR || vector == X86_EXC_UD || vector == X86_EXC_NM ||
	       (vector >= X86_EXC_TS && vector <= X86_EXC_PF) || vector == X86_EXC_MF || vector == X86_EXC_AC ||
	       vector == X86_EXC_XM || vector == X86_EXC_VE || vector == X86_EXC_CP;
}

void vcpu_inject_exception(u32 vector, bool has_error_code, u32 error_code)
{
	u32 info = vector | INTR_TYPE_HW_EXCEPTION | INTR_INFO_VALID;
	bool protected_mode = vmcs_read(VMCS_GUEST_CR0) & X86_CR0_PE;

	/* Real mode pushes no error code; with unrestricted guest and CR0.PE = 0, VM entry
	 * refuses to deliver one (SDM 27.2.1.3). */
	if (has_error_code && protected_mode) {
		info |= INTR_INFO_DELIVER_CODE;
		vmcs_write(VMCS_VM_ENTRY_EXCEPTION_ERROR_CODE, error_code);
	}
	/* The RFLAGS image a fault pushes has RF set, so that the handler's IRET back to the
	 * instruction does not trip its instruction breakpoint again (SDM Vol. 3A, 18.3.1.1);
	 * injection pushes the guest-state RFLAGS as it is (SDM 27.6.1.2), so Plinth sets RF.
	 * Real mode pushes only FLAGS, without RF. */
	if (protected_mode && is_fault(vector))
		vmcs_write(VMCS_GUEST_RFLAGS, vmcs_read(VMCS_GUEST_RFLAGS) | X86_RFLAGS_RF);
	vmcs_write(VMCS_VM_ENTRY_INTR_INFO, info);
}

void vcpu_inject_gp(void)
{
	vcpu_inject_exception(X86_EXC_GP, true, 0);
}

void vcpu_inject_ud(void)
{
	vcpu_inject_exception(X86_EXC_UD, false, 0);
}

bool vcpu_long_mode(void)
{
	return (vmcs_read(VMCS_GUEST_IA32_EFER) & EFER_LMA) && (vmcs_read(VMCS_GUEST_CS_ACCESS_RIGHTS) & AR_L);
}

void vcpu_skip_instruction_len(u32 len)
{
	vcpu_advance_rip(len);
}

void vcpu_dump(struct vcpu *v)
{
	struct guest_regs *r = v->regs;

	printk("  vm %u vcpu %u on CPU %u: guest rip 0x%lx rsp 0x%lx rflags 0x%lx\n", v->vm->id, v->id,
	       this_cpu()->index, vmcs_read(VMCS_GUEST_RIP), vmcs_read(VMCS_GUEST_RSP),
	       vmcs_read(VMCS_GUEST_RFLAGS));
	printk("  rax 0x%lx rbx 0x%lx rcx 0x%lx rdx 0x%lx\n", r->rax, r->rbx, r->rcx, r->rdx);
	if (vmexit_frame_lean(v)) /* RBP is in the CPU, not in the frame (vmexit.c) */
		printk("  rsi 0x%lx rdi 0x%lx r8 0x%lx\n", r->rsi, r->rdi, r->r8);
	else
		printk("  rsi 0x%lx rdi 0x%lx rbp 0x%lx r8 0x%lx\n", r->rsi, r->rdi, r->rbp, r->r8);
	printk("  VMCS (decode with: tools/plinth decode CONSOLE_LOG):\n");
	vmcs_dump();
}


void arch_vm_reset_vcpus(struct vm *vm)
{
	u32 i;

	vm_ioapic_reset(vm);	     /* every entry masked again, as at the VM's first start */
	vm_pci_reset_functions(vm); /* its devices as the firmware left them */
	vm_msi_reset(vm);	     /* every MSI vector too, the guest's values forgotten */

	for (i = 0; i < PLINTH_MAX_CPUS && vm->arch->vcpus[i]; i++) {
		struct vcpu *v = vm->arch->vcpus[i];

		memset(v->exits, 0, sizeof(v->exits));
		memset(v->exit_ticks, 0, sizeof(v->exit_ticks));
		memset(&v->ev, 0, sizeof(v->ev));
		memset(&v->launch_regs, 0, sizeof(v->launch_regs));
		v->icr_high = 0;
		v->ipi_drop_logged = false;
		v->ipis_dropped = 0;
	}
}
