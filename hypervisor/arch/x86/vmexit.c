/*
 * VM-exit dispatch: a table indexed by basic exit reason. Exits Plinth does not expect are a
 * FATAL report with the VMCS dumped (tools/plinth decode names the fields). Failed VM entries
 * and VMRESUME failures end the same way.
 */
#include <plinth/arch.h>
#include <plinth/console.h>
#include <plinth/panic.h>
#include <vmcs_fields.h>
#include <x86/percpu.h>
#include <x86/vmexit.h>
#include <x86/vmx.h>

#define EXIT_QUAL_EPT_READ BIT(0)
#define EXIT_QUAL_EPT_WRITE BIT(1)
#define EXIT_QUAL_EPT_FETCH BIT(2)
#define INTR_INFO_TYPE(i) (((i) >> 8) & 7)

extern volatile bool cpus_stopping;

struct exit_reason_name {
	u32 number;
	const char *name;
};

#define EXIT_REASON_ENTRY(n, name) { n, name },
static const struct exit_reason_name exit_reason_names[] = { EXIT_REASON_LIST(EXIT_REASON_ENTRY) };

const char *exit_reason_name(u32 basic)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(exit_reason_names); i++)
		if (exit_reason_names[i].number == basic)
			return exit_reason_names[i].name;
	return "UNKNOWN";
}

u64 vcpu_gpr(struct vcpu *v, u32 index)
{
	if (index == 4)
		return vmcs_read(VMCS_GUEST_RSP);
	return ((u64 *)v->regs)[index];
}

void vcpu_set_gpr(struct vcpu *v, u32 index, u64 value)
{
	if (index == 4)
		vmcs_write(VMCS_GUEST_RSP, value);
	else
		((u64 *)v->regs)[index] = value;
}

static void dump_guest(struct vcpu *v)
{
	struct guest_regs *r = v->regs;

	printk("  vm %u vcpu %u on CPU %u: guest rip 0x%lx rsp 0x%lx rflags 0x%lx\n", v->vm->id, v->id,
	       this_cpu()->index, vmcs_read(VMCS_GUEST_RIP), vmcs_read(VMCS_GUEST_RSP),
	       vmcs_read(VMCS_GUEST_RFLAGS));
	printk("  rax 0x%lx rbx 0x%lx rcx 0x%lx rdx 0x%lx\n", r->rax, r->rbx, r->rcx, r->rdx);
	printk("  rsi 0x%lx rdi 0x%lx rbp 0x%lx r8 0x%lx\n", r->rsi, r->rdi, r->rbp, r->r8);
	printk("  VMCS (decode with: tools/plinth decode CONSOLE_LOG):\n");
	vmcs_dump();
}

static __noreturn void fatal_exit(struct vcpu *v, const char *what, u32 reason)
{
	panic_start(what, "exit reason %u %s, qualification 0x%lx, guest rip 0x%lx", reason & 0xffff,
		    exit_reason_name(reason & 0xffff), vmcs_read(VMCS_EXIT_QUALIFICATION),
		    vmcs_read(VMCS_GUEST_RIP));
	dump_guest(v);
	panic_finish();
}

/* Called from vmentry.S when VMRESUME itself fails (VMfailValid or VMfailInvalid). */
void vmx_resume_failed(struct guest_regs *regs);
void vmx_resume_failed(struct guest_regs *regs)
{
	struct vcpu *v = current_vcpu();
	u64 err = vmcs_read(VMCS_VM_INSTRUCTION_ERROR);

	v->regs = regs;
	panic_start("VMRESUME failed", "VM-instruction error %lu (%s)", err, vmx_error_name(err));
	dump_guest(v);
	panic_finish();
}

static void exit_vmx_instruction(struct vcpu *v)
{
	(void)v;
	/* VMX is hidden from guests (CPUID.1:ECX.VMX = 0): its instructions are undefined. */
	vcpu_inject_ud();
}

static void exit_triple_fault(struct vcpu *v)
{
	vm_stop(v->vm, "triple fault in vCPU %u at guest rip 0x%lx (cr0 0x%lx, idtr limit 0x%lx)", v->id,
		vmcs_read(VMCS_GUEST_RIP), vmcs_read(VMCS_CR0_READ_SHADOW),
		vmcs_read(VMCS_GUEST_IDTR_LIMIT));
}

static void exit_ept_violation(struct vcpu *v)
{
	u64 q = vmcs_read(VMCS_EXIT_QUALIFICATION);
	gpa_t gpa = vmcs_read(VMCS_GUEST_PHYSICAL_ADDRESS);

	if ((q & EXIT_QUAL_EPT_WRITE) && vapic_is_apic_page(gpa)) {
		vapic_mmio_write(v, gpa);
		return;
	}
	const char *access = q & EXIT_QUAL_EPT_WRITE ? "write" : q & EXIT_QUAL_EPT_FETCH ? "instruction fetch" : "read";

	vm_stop(v->vm, "EPT violation: %s at guest-physical 0x%lx (%s), vCPU %u, guest rip 0x%lx", access,
		gpa, vm_mem_find(v->vm, gpa, 1) ? "mapped, access not allowed" : "not mapped: Plinth's memory or a hole",
		v->id, vmcs_read(VMCS_GUEST_RIP));
}

/* After a VM exit caused by an NMI, NMIs stay blocked until the next IRET (SDM 27.5 and
 * 28.1: Bochs keeps them blocked across VM entry too). An IRET to the next instruction ends
 * the blocking, so the next kick can reach this CPU. */
static void nmi_unblock(void)
{
	asm volatile("mov %%rsp, %%rax\n\t"
		     "pushq $0x10\n\t"  /* SS */
		     "pushq %%rax\n\t"  /* RSP */
		     "pushfq\n\t"
		     "pushq $0x08\n\t"  /* CS */
		     "leaq 1f(%%rip), %%rax\n\t"
		     "pushq %%rax\n\t"
		     "iretq\n"
		     "1:"
		     ::: "rax", "memory");
}

static void exit_exception_nmi(struct vcpu *v)
{
	u32 info = (u32)vmcs_read(VMCS_VM_EXIT_INTR_INFO);

	if (INTR_INFO_TYPE(info) != 2)
		fatal_exit(v, "unexpected exception exit", EXIT_REASON_EXCEPTION_NMI);
	nmi_unblock();
	/* An NMI while the guest ran: Plinth's own (a stop request) or the guest's to deliver. */
	if (cpus_stopping)
		arch_halt();
	/* Plinth's own NMIs (a stop request, a posted INIT or SIPI) are not the guest's, and a
	 * vCPU that waits for its SIPI has nothing to take one with. */
	if (vapic_process(v) || v->vm->stopped || v->sipi_wait)
		return;
	vmcs_write(VMCS_VM_ENTRY_INTR_INFO, 2 | INTR_TYPE_NMI | INTR_INFO_VALID);
}

static const exit_handler_t handlers[EXIT_REASON_MAX + 1] = {
	[EXIT_REASON_EXCEPTION_NMI] = exit_exception_nmi,
	[EXIT_REASON_TRIPLE_FAULT] = exit_triple_fault,
	[EXIT_REASON_INIT_SIGNAL] = exit_init,
	[EXIT_REASON_SIPI] = exit_sipi,
	[EXIT_REASON_CPUID] = exit_cpuid,
	[EXIT_REASON_VMCALL] = exit_vmcall,
	[EXIT_REASON_VMCLEAR] = exit_vmx_instruction,
	[EXIT_REASON_VMLAUNCH] = exit_vmx_instruction,
	[EXIT_REASON_VMPTRLD] = exit_vmx_instruction,
	[EXIT_REASON_VMPTRST] = exit_vmx_instruction,
	[EXIT_REASON_VMREAD] = exit_vmx_instruction,
	[EXIT_REASON_VMRESUME] = exit_vmx_instruction,
	[EXIT_REASON_VMWRITE] = exit_vmx_instruction,
	[EXIT_REASON_VMXOFF] = exit_vmx_instruction,
	[EXIT_REASON_VMXON] = exit_vmx_instruction,
	[EXIT_REASON_INVEPT] = exit_vmx_instruction,
	[EXIT_REASON_INVVPID] = exit_vmx_instruction,
	[EXIT_REASON_VMFUNC] = exit_vmx_instruction,
	[EXIT_REASON_CR_ACCESS] = exit_cr_access,
	[EXIT_REASON_IO_INSTRUCTION] = exit_io,
	[EXIT_REASON_MSR_READ] = exit_msr_read,
	[EXIT_REASON_MSR_WRITE] = exit_msr_write,
	[EXIT_REASON_EPT_VIOLATION] = exit_ept_violation,
	[EXIT_REASON_XSETBV] = exit_xsetbv,
};

void vmexit_handle(struct guest_regs *regs)
{
	struct vcpu *v = current_vcpu();
	u32 reason = (u32)vmcs_read(VMCS_VM_EXIT_REASON);
	u32 basic = EXIT_REASON_BASIC(reason);

	v->regs = regs;
	if (reason & EXIT_REASON_ENTRY_FAILURE)
		fatal_exit(v, "VM entry failed", reason);
	if (basic <= EXIT_REASON_MAX)
		v->exits[basic]++;
	v->exits_total++;
	if (basic > EXIT_REASON_MAX || !handlers[basic])
		fatal_exit(v, "unexpected VM exit", reason);
	handlers[basic](v);
	if (v->vm->stopped)
		vcpu_park(v);
	/* An INIT or SIPI may have been posted while this CPU was in Plinth (its kick lost). */
	if (v->pending_init || v->pending_sipi >= 0)
		vapic_process(v);
}
