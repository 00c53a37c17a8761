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

struct boot_info;
struct vm;

/* Firmware tables (ACPI: CPUs, DMA remapping units) and interrupt controllers; a missing or
 * broken table is reported and Plinth goes on with less (only the boot CPU, say). */
void arch_platform_init(const struct boot_info *bi);
/* Hardware virtualisation on the boot CPU: false (after saying why) when the CPU has none. */
bool arch_virt_init(void);
/* Starts the other CPUs (each enters VMX root when available); returns the CPUs online. */
u32 arch_start_cpus(void);
/* Boot option iommu_selftest: a DMA remapping self-test with a test device instead of
 * guests (QEMU's edu device); it reports and returns. */
void arch_dma_selftest(const struct boot_info *bi, u32 ncpus);
/* Runs vm: the other CPUs join, this one runs vCPU 0. Does not return. */
__noreturn void arch_vm_launch(struct vm *vm);

/* Boot option fault=ud|pf|gp|de: raises that exception on purpose to prove the FATAL path. */
void arch_trigger_fault(const char *kind);

#endif
