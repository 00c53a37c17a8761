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

/* Launches every built VM of a configuration: each CPU runs the vCPU of the VM whose mask
 * holds it (vCPU 0, the lowest CPU of a mask, starts the image; the others wait for the guest's
 * INIT-SIPI). The boot CPU runs the monitor when it is in no VM. */
__noreturn void launch_partitions(u32 ncpus);

/* A parked vCPU's CPU (not the boot CPU) of a stopped VM: sleeps until launch_restart starts
 * the VM again (a start after `start`, the one the vCPU ran in), then runs vCPU vcpu afresh. */
__noreturn void launch_wait_restart(struct vm *vm, u32 vcpu, u32 start);
/* Starts a stopped VM again (its image reloaded): wakes its parked CPUs; when the calling CPU
 * is one of the VM's, it runs its vCPU and does not return. */
void launch_restart(struct vm *vm);

#endif
