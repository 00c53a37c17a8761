/* What the assembly of boot/ defines for C: the boot stack and page tables, the boot path's first TSC value,
 * and the AP trampoline with the slots smp.c fills in for each AP. */
#ifndef X86_BOOT_SYMBOLS_H
#define X86_BOOT_SYMBOLS_H

#include <plinth/types.h>

extern u8 boot_stack_top[];
/* RDTSC at Plinth's first instruction (the boot path benchmark counts from it). */
extern u64 boot_tsc;

extern const u8 trampoline_start[], trampoline_end[];
extern const u8 trampoline_cr3[], trampoline_efer[], trampoline_stack[], trampoline_entry[];

#endif
