/* Exceptions: the IDT, and what happens when one is raised (trap.c, vectors.S). */
#ifndef GUEST_TRAP_H
#define GUEST_TRAP_H

#include <plinth/types.h>

/* The stack as vectors.S leaves it for trap_handler(). */
struct trap_frame {
	u64 r15, r14, r13, r12, r11, r10, r9, r8, rbp, rdi, rsi, rdx, rcx, rbx, rax;
	u64 vector, error_code;
	u64 rip, cs, rflags, rsp, ss; /* pushed by the CPU */
};

/* Builds the IDT (vectors 0-31, and TRAP_IRQ_VECTOR for irq_hook) and loads it on the boot CPU. */
void trap_init(void);
/* Called for an interrupt at TRAP_IRQ_VECTOR (guest_layout.h), which it must end (EOI) itself;
 * while NULL, one is an unexpected exception. */
extern void (*volatile irq_hook)(void);
/* Loads the IDT trap_init() built on this CPU (an AP). */
void trap_load_idt(void);
/* "#GP" etc. for a vector below 32, "vector" otherwise. */
const char *trap_vector_name(u64 vector);
/* Whether the CPU pushes an error code for this exception. */
bool trap_has_error_code(u64 vector);
/* Called by vectors.S. A guarded instruction (guarded.h) resumes after itself; anything else
 * is reported as an unexpected exception and stops the guest. */
void trap_handler(struct trap_frame *frame);

#endif
