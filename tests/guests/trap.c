/* The IDT and the exception handler. vectors.S saves the registers; this decides. */
#include <plinth/format.h>
#include "checks.h"
#include "guarded.h"
#include "guest_layout.h"
#include "hostile.h"
#include "trap.h"
#include "x86.h"

/* A 64-bit IDT gate (SDM Vol. 3A, 7.14.1). */
struct idt_gate {
	u16 offset_low;
	u16 selector;
	u8 ist;
	u8 type_attr;
	u16 offset_mid;
	u32 offset_high;
	u32 reserved;
} __packed;

/* Present, DPL 0, 64-bit interrupt gate: IF stays clear in the handler. */
#define IDT_INTERRUPT_GATE 0x8e

extern const u64 trap_vectors[X86_EXCEPTIONS];
extern const char trap_irq_stub[];
extern char bsp_stack[], bsp_stack_top[];

/* Gates 32 up to the device vector are absent: such an interrupt is a #GP. */
static struct idt_gate idt[TRAP_IRQ_VECTOR + 1] __aligned(16);
void (*volatile irq_hook)(void);

static const char *const vector_names[X86_EXCEPTIONS] = {
	"#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM", "#DF", "vector 9",
	"#TS", "#NP", "#SS", "#GP", "#PF", "vector 15", "#MF", "#AC", "#MC", "#XM",
	"#VE", "#CP", "vector 22", "vector 23", "vector 24", "vector 25", "vector 26",
	"vector 27", "#HV", "#VC", "#SX", "vector 31",
};

const char *trap_vector_name(u64 vector)
{
	return vector < X86_EXCEPTIONS ? vector_names[vector] : "vector";
}

bool trap_has_error_code(u64 vector)
{
	/* The same list as HAS_ERROR_CODE in vectors.S (SDM Vol. 3A, table 7-1). */
	return vector == 8 || (vector >= 10 && vector <= 14) || vector == 17 || vector == 21 ||
	       vector == 29 || vector == 30;
}

void trap_load_idt(void)
{
	struct {
		u16 limit;
		u64 base;
	} __packed desc = { sizeof(idt) - 1, (u64)idt };

	asm volatile("lidt %0" : : "m"(desc));
}

static void set_gate(unsigned v, u64 addr)
{
	idt[v] = (struct idt_gate){
		.offset_low = (u16)addr,
		.selector = GDT_CODE64,
		.type_attr = IDT_INTERRUPT_GATE,
		.offset_mid = (u16)(addr >> 16),
		.offset_high = (u32)(addr >> 32),
	};
}

void trap_init(void)
{
	for (unsigned v = 0; v < X86_EXCEPTIONS; v++)
		set_gate(v, trap_vectors[v]);
	set_gate(TRAP_IRQ_VECTOR, (u64)trap_irq_stub);
	trap_load_idt();
}

/* Exceptions are delivered on the current stack (no IST, no privilege change), so the frame
 * lies on the stack of the CPU that took it. */
static bool on_boot_cpu(const struct trap_frame *frame)
{
	return (char *)frame >= bsp_stack && (char *)frame < bsp_stack_top;
}

void trap_handler(struct trap_frame *frame)
{
	u64 resume = guard_resume_address(frame->rip);
	char why[160];

	if (resume) {
		guard_record(frame->vector, frame->error_code, frame->rflags);
		frame->rip = resume;
		if (frame->vector == X86_DB)
			frame->rflags &= ~GUEST_RFLAGS_TF; /* a single-step check's: stepping ends */
		return;
	}
	if (frame->vector == TRAP_IRQ_VECTOR && irq_hook) {
		irq_hook();
		return;
	}
	/* NMIs a check sends on purpose (hostile.h): the check's handler, then IRET. */
	if (frame->vector == X86_NMI && nmi_hook) {
		nmi_hook(on_boot_cpu(frame));
		return;
	}
	if (!on_boot_cpu(frame)) {
		/* An AP must not print over the boot CPU's report: leave it for check_ap(). */
		ap_record_exception(frame->vector, frame->error_code, frame->rip);
		halt_forever();
	}
	format(why, sizeof(why), "unexpected exception %s (vector %lu) error code 0x%lx at rip 0x%lx",
	       trap_vector_name(frame->vector), frame->vector, frame->error_code, frame->rip);
	checks_abort(why);
}
