/* A partition's console on VMX (vm_console.c): its emulated COM1's ports, and polling the
 * physical UART for input from the exits of the boot CPU's vCPU. */
#ifndef X86_VM_CONSOLE_H
#define X86_VM_CONSOLE_H

#include <x86/vcpu.h>

/* Claims COM1's ports for partitions (boot, with the other claims). */
void vm_console_claim(void);
/* Before a vCPU's first entry: in a partition, the VMX-preemption timer brings it out about
 * every VM_CONSOLE_POLL_US, so that a stop is seen and, on the boot CPU, the console's input is
 * read while the guest runs. */
void vm_console_vcpu_init(struct vcpu *v);
/* At the end of each exit of that vCPU (vmentry.S tests its polls_console): reads the
 * console's input when the period is up. Every other vCPU's exits pay one test for it. */
void vm_console_poll(void);
void exit_preemption_timer(struct vcpu *v);

#define VM_CONSOLE_POLL_US 10000

#endif
