/*
 * CPU exceptions in Plinth itself are fatal: each one prints a FATAL report with the vector by
 * name, the error code decoded, the faulting RIP, CR2 and every register, then halts.
 */
#include <plinth/arch.h>
#include <plinth/console.h>
#include <plinth/format.h>
#include <plinth/panic.h>
#include <plinth/layout_symbols.h>
#include <plinth/string.h>
#include <x86/cpu.h>
#include <x86/nmi.h>
#include <x86/percpu.h>
#include <x86/processor.h>
#include <x86/trap.h>

#define BACKTRACE_MAX 16

static const char *const exception_names[X86_EXCEPTIONS] = {
	"#DE divide error",	      "#DB debug",		    "NMI",
	"#BP breakpoint",	      "#OF overflow",		    "#BR bound range exceeded",
	"#UD invalid opcode",	      "#NM device not available",   "#DF double fault",
	"coprocessor segment overrun", "#TS invalid TSS",	    "#NP segment not present",
	"#SS stack-segment fault",    "#GP general protection",    "#PF page fault",
	"reserved vector 15",	      "#MF x87 floating-point error", "#AC alignment check",
	"#MC machine check",	      "#XM SIMD floating-point",    "#VE virtualization exception",
	"#CP control protection",     "reserved vector 22",	    "reserved vector 23",
	"reserved vector 24",	      "reserved vector 25",	    "reserved vector 26",
	"reserved vector 27",	      "#HV hypervisor injection",   "#VC VMM communication",
	"#SX security exception",     "reserved vector 31",
};

/* SDM Vol. 3A, 4.7: page-fault error code bits. */
static void decode_pf_error(u64 e, char *buf, size_t n)
{
	format(buf, n, "%s %s in %s mode%s%s%s", e & BIT(0) ? "protection violation on" : "not-present page on",
	       e & BIT(4) ? "instruction fetch" : e & BIT(1) ? "write" : "read",
	       e & BIT(2) ? "user" : "supervisor", e & BIT(3) ? ", reserved bit set" : "",
	       e & BIT(5) ? ", protection key" : "", e & BIT(6) ? ", shadow stack" : "");
}

/* SDM Vol. 3A, 6.13: selector error codes of #TS, #NP, #SS, #GP. */
static void decode_selector_error(u64 e, char *buf, size_t n)
{
	static const char *const tables[] = { "GDT", "IDT", "LDT", "IDT" };

	if (!e)
		format(buf, n, "no selector involved");
	else
		format(buf, n, "selector index %lu in the %s%s", (e >> 3) & 0x1fff, tables[(e >> 1) & 3],
		       e & 1 ? ", external event" : "");
}

static bool in_plinth(u64 addr)
{
	return addr >= (u64)(uintptr_t)__plinth_start && addr + 16 <= (u64)(uintptr_t)__plinth_end;
}

/* Walks saved frame pointers while they stay inside Plinth's range (stacks live there). */
static void backtrace(u64 rbp)
{
	int i;

	printk("  backtrace:");
	for (i = 0; i < BACKTRACE_MAX && rbp && in_plinth(rbp) && IS_ALIGNED(rbp, 8); i++) {
		const u64 *frame = (const u64 *)(uintptr_t)rbp;

		printk(" 0x%lx", frame[1]);
		if (frame[0] <= rbp)
			break;
		rbp = frame[0];
	}
	printk("\n");
}

static void dump_control(void)
{
	printk("  cr0 0x%016lx  cr2 0x%016lx  cr3 0x%016lx\n", read_cr0(), read_cr2(), read_cr3());
	printk("  cr4 0x%016lx  efer 0x%016lx\n", read_cr4(), rdmsr(MSR_EFER));
}

static void dump_frame(const struct trap_frame *tf)
{
	printk("  rip 0x%016lx  cs 0x%04lx  rflags 0x%016lx\n", tf->rip, tf->cs, tf->rflags);
	printk("  rsp 0x%016lx  ss 0x%04lx\n", tf->rsp, tf->ss);
	dump_control();
	printk("  rax 0x%016lx  rbx 0x%016lx  rcx 0x%016lx\n", tf->rax, tf->rbx, tf->rcx);
	printk("  rdx 0x%016lx  rsi 0x%016lx  rdi 0x%016lx\n", tf->rdx, tf->rsi, tf->rdi);
	printk("  rbp 0x%016lx  r8  0x%016lx  r9  0x%016lx\n", tf->rbp, tf->r8, tf->r9);
	printk("  r10 0x%016lx  r11 0x%016lx  r12 0x%016lx\n", tf->r10, tf->r11, tf->r12);
	printk("  r13 0x%016lx  r14 0x%016lx  r15 0x%016lx\n", tf->r13, tf->r14, tf->r15);
	backtrace(tf->rbp);
}

/* An instruction that is allowed to fault (rdmsr_safe, ...) continues at its fixup. */
static bool fixup(struct trap_frame *tf)
{
	const struct extable_entry *e;

	for (e = __ex_table_start; e < __ex_table_end; e++) {
		if (e->fault == tf->rip) {
			tf->rip = e->fixup;
			return true;
		}
	}
	return false;
}

void trap_handle(struct trap_frame *tf)
{
	const char *name = tf->vector < X86_EXCEPTIONS ? exception_names[tf->vector] : "interrupt";
	char detail[96] = "";

	if (tf->vector == X86_EXC_GP && fixup(tf))
		return;
	/* NMIs are how CPUs wake each other (start a VM, stop for a FATAL report). */
	if (tf->vector == X86_EXC_NMI) {
		nmi_in_root(&tf->rip);
		return;
	}
	if (tf->vector == X86_EXC_PF)
		decode_pf_error(tf->error_code, detail, sizeof(detail));
	else if (tf->vector >= X86_EXC_TS && tf->vector <= X86_EXC_GP)
		decode_selector_error(tf->error_code, detail, sizeof(detail));

	if (tf->vector == X86_EXC_PF)
		panic_start("CPU exception in Plinth", "%s at rip 0x%lx: %s, address 0x%lx", name, tf->rip,
			    detail, read_cr2());
	else if (detail[0])
		panic_start("CPU exception in Plinth", "%s at rip 0x%lx: %s", name, tf->rip, detail);
	else
		panic_start("CPU exception in Plinth", "%s at rip 0x%lx", name, tf->rip);
	printk("  vector %lu (%s), error code 0x%lx, on CPU %u\n", tf->vector, name, tf->error_code,
	       this_cpu()->index);
	dump_frame(tf);
	panic_finish();
}

void arch_dump_current(void)
{
	dump_control();
	backtrace((u64)(uintptr_t)__builtin_frame_address(0));
}

/* Addresses for fault=pf and fault=gp: past the 4 GiB boot identity map, and non-canonical. */
#define UNMAPPED_ADDRESS 0x0000001000000000ULL
#define NONCANONICAL_ADDRESS 0x8000000000000000ULL

void arch_trigger_fault(const char *kind)
{
	volatile u64 zero = 0;

	if (!strcmp(kind, "ud"))
		asm volatile("ud2");
	else if (!strcmp(kind, "pf"))
		*(volatile u64 *)(uintptr_t)UNMAPPED_ADDRESS = 1;
	else if (!strcmp(kind, "gp"))
		(void)*(volatile u64 *)(uintptr_t)NONCANONICAL_ADDRESS;
	else if (!strcmp(kind, "de"))
		(void)(1 / zero);
	else
		log_warn("fault=%s not understood (valid: ud, pf, gp, de); ignored", kind);
}
