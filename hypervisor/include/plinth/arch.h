/* What core/ needs from the architecture; implemented under arch/x86/. */
#ifndef PLINTH_ARCH_H
#define PLINTH_ARCH_H

#include <plinth/types.h>

/* Descriptor tables and exception handlers for the boot CPU: from here on a fault prints a
 * FATAL report instead of resetting the machine. */
void arch_early_init(void);

/* Console byte sink (a 16550 UART). arch_console_setup returns false when no UART answers. */
bool arch_console_setup(u16 port, u32 baud);
void arch_console_putc(char c);

/* Prints the calling CPU's control registers and a frame-pointer backtrace. */
void arch_dump_current(void);

/* Tells every other CPU to stop for good (a no-op until APs run). */
void arch_stop_other_cpus(void);
/* Stops this CPU for good: interrupts off, HLT forever. */
__noreturn void arch_halt(void);

/* Boot option fault=ud|pf|gp|de: raises that exception on purpose to prove the FATAL path. */
void arch_trigger_fault(const char *kind);

#endif
