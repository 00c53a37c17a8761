/* The launch rendezvous (core/launch.c): which CPU runs which vCPU, and APs waiting until a VM
 * is launched. The architecture gives the mechanism (sleep, wake, run a vCPU). */
#ifndef PLINTH_LAUNCH_H
#define PLINTH_LAUNCH_H

#include <plinth/vm.h>

/* Called by each AP once it is set up: sleeps until launch_vm, then runs the AP's vCPU of the
 * VM, or halts when the VM does not use the CPU. */
__noreturn void launch_ap_wait(u32 cpu);

/* Boot options fault=KIND fault_all_cpus: the waiting APs and this CPU raise the fault at the
 * same moment (several FATAL reports racing for the console: one must come out whole).
 * Returns only when the kind is unknown. */
void launch_fault_all(const char *kind, u32 ncpus);

/* Launches vm on the boot CPU (vCPU 0) and wakes the other ncpus - 1 CPUs to join it. */
__noreturn void launch_vm(struct vm *vm, u32 ncpus);

#endif
