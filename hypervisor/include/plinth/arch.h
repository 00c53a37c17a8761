/*
 * Everything core/ and guest/ call in the architecture, in one place: they include no other
 * arch header (the build gives them none). Implemented under arch/x86/.
 */
#ifndef PLINTH_ARCH_H
#define PLINTH_ARCH_H

#include <plinth/types.h>

struct boot_info;
struct vm;

/* --- Bring-up, in the order core/main.c calls them --- */

/* Descriptor tables and exception handlers for the boot CPU: from here on a fault prints a
 * FATAL report instead of resetting the machine. */
void arch_early_init(void);
/* Firmware tables (ACPI: CPUs, DMA remapping units) and interrupt controllers; a missing or
 * broken table is reported and Plinth goes on with less (only the boot CPU, say). */
void arch_platform_init(const struct boot_info *bi);
/* Hardware virtualisation on the boot CPU: false (after saying why) when the CPU has none. */
bool arch_virt_init(void);
/* Starts the other CPUs (each enters VMX root when available, then waits in
 * launch_ap_wait()); returns the CPUs online, numbered 0 (this one) to the count - 1. */
u32 arch_start_cpus(void);
/* Boot option fault=ud|pf|gp|de: raises that exception on purpose to prove the FATAL path
 * (silently: the caller says so); returns after a warning for a kind it does not know. */
void arch_trigger_fault(const char *kind);

/* --- Console: a 16550 UART --- */

/* A 16550's clock / 16: the baud rates arch_console_setup takes are its divisors. */
#define ARCH_CONSOLE_BAUD_BASE 115200

/* Sets the UART up; false when none answers at port. */
bool arch_console_setup(u16 port, u32 baud);
void arch_console_putc(char c);
/* Non-blocking input for the monitor; -1 when nothing is there. */
int arch_console_getc(void);
/* Takes the UART back from a guest that shares it (the default VM's) and may have
 * reprogrammed it (divisor, line control, loopback): sets it up again, saying so when the
 * guest had changed it. Before Plinth's reports and the monitor. */
void arch_console_reclaim(void);

/* --- CPUs --- */

/* Prints the calling CPU's control registers and a frame-pointer backtrace. */
void arch_dump_current(void);
/* Tells every other CPU to stop for good (a no-op until APs run). */
void arch_stop_other_cpus(void);
/* Stops this CPU for good: interrupts off, HLT forever. */
__noreturn void arch_halt(void);
/* Sleeps until something wakes this CPU: arch_cpu_wake, or another event (callers loop). A
 * wake-up that arrives just before the CPU sleeps is not lost. */
void arch_cpu_idle(void);
/* A pause in a spin loop (spinlocks, polling another CPU's flag). */
void arch_cpu_relax(void);
/* The calling CPU's index: 0 = the boot CPU, then in start-up order. */
u32 arch_cpu_index(void);
/* Wakes CPU cpu from arch_cpu_idle; nothing for a CPU that is not online. */
void arch_cpu_wake(u32 cpu);

/* --- VMs --- */

/* Whether PCI function bdf (bus << 8 | dev << 3 | fn, segment 0) answers: its vendor ID is not
 * all ones. Boot CPU, before guests run. */
bool arch_pci_function_present(u16 bdf);
/* Records VM vm_id's PCI functions (bus << 8 | dev << 3 | fn) and whether it owns every function
 * no VM lists, for the ownership of configuration space, BARs and DMA; every VM of the
 * configuration, before any is built. */
void arch_pci_owners(u32 vm_id, const u16 *devices, u32 count, bool owns_rest);
/* Builds the VM's address space (EPT with the firmware's memory types, exit bitmaps). */
int arch_vm_init(struct vm *vm);
/* Runs vCPU vcpu of vm on this CPU, from the VM's boot state (vCPU 0) or waiting for the
 * guest's INIT-SIPI-SIPI (the others). Does not return. */
__noreturn void arch_vcpu_run(struct vm *vm, u32 vcpu);
/* Before a stopped VM starts again, while every vCPU of it is parked: each back to the state
 * its creation left (no exit counts, posted events or guest registers of the run before), so
 * that what its vCPUs post to each other as they start is not wiped. */
void arch_vm_reset_vcpus(struct vm *vm);
/* Kicks the VM's other vCPUs out of guest mode (they see vm->stopped) and waits until each
 * has left it for good; returns how many did not in time. */
u32 arch_vm_kick(struct vm *vm);
/* Prints the VM exits of each of the VM's vCPUs by reason. */
void arch_vm_print_exit_stats(struct vm *vm);
/* The VM's exits since its vCPUs last started, and the IPIs it sent that Plinth dropped
 * because they named CPUs outside the VM. */
u64 arch_vm_exits(const struct vm *vm, u64 *ipis_dropped);
/* The memory type this CPU's own MTRRs give addr ("WB", "UC", ...): guests never change them
 * (the monitor's `mem` shows Plinth's). */
const char *arch_memory_type_name(u64 addr);

/* --- DMA isolation --- */

/* Whether the platform has DMA remapping hardware (VT-d units that Plinth drives). */
bool arch_dma_isolation_present(void);
/* Puts every device in the VM's DMA domain and turns translation on: devices then reach the
 * VM's RAM and nothing else. 0, or a negative error after saying why. */
int arch_vm_dma_isolate(struct vm *vm);
/* Boot option iommu_selftest: proves DMA remapping with a test device (QEMU's edu) against
 * vm's description instead of running guests; reports each check and returns. */
void arch_dma_selftest(struct vm *vm);

/* --- Hypercalls (core/hypercall.c), about the calling vCPU --- */

/* Its VM exits by basic exit reason: *count entries. */
const u64 *arch_vcpu_exit_counts(u32 *count);
/* Makes its next VM entry fail (boot option debug_hypercalls: proves the FATAL path). */
void arch_vcpu_fail_next_entry(void);
/* The memory type (an MTRR type number) vm's EPT gives guest-physical gpa now, or -ENOENT when
 * it maps nothing there (the debug hypercall). */
int arch_vm_memory_type(struct vm *vm, gpa_t gpa);

#endif
