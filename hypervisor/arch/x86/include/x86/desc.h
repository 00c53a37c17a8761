/* Descriptor tables (desc.c): per CPU a GDT with a TSS, one IDT shared by all CPUs. */
#ifndef X86_DESC_H
#define X86_DESC_H

#include <x86/percpu.h>

/* Loads this CPU's GDT, TSS and the shared IDT, and points GS at pc. */
void desc_init_cpu(struct percpu *pc);
/* The IDT all CPUs share (for the VMCS host state). */
u64 desc_idt_base(void);

#endif
