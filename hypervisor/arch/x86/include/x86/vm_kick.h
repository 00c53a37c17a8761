/* Kicking a stopped VM's vCPUs out of guest mode (vm_kick.c); arch_vm_kick is declared in
 * plinth/arch.h. */
#ifndef X86_VM_KICK_H
#define X86_VM_KICK_H

#include <plinth/vm.h>

/* How long a stop waits for the VM's vCPUs to leave guest mode. */
#define VM_KICK_TIMEOUT_US 2000000

/* The VM's vCPUs, other than this CPU's, that have not parked yet; with kick, each gets an
 * INIT. */
u32 vm_kick_unparked(struct vm *vm, bool kick);

#endif
