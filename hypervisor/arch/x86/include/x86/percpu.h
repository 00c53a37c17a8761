/* Per-CPU state and the table of CPUs (percpu.c). Each CPU's GS base points at its struct
 * percpu (this_cpu()). */
#ifndef X86_PERCPU_H
#define X86_PERCPU_H

#include <layout.h>
#include <plinth/types.h>

#define IST_STACK_SIZE 4096

struct tss {
	u32 reserved0;
	u64 rsp[3];
	u64 reserved1;
	u64 ist[7];
	u64 reserved2;
	u16 reserved3;
	u16 iomap_base;
} __packed;

struct vcpu;

struct percpu {
	struct percpu *self; /* at %gs:0, so this_cpu() is one load */
	u32 index;	     /* 0 = boot CPU, then in start-up order */
	u32 apic_id;
	u8 *stack_top;
	volatile bool online;
	u64 gdt[5] __aligned(8);
	struct tss tss __aligned(16);
	u8 *ist_stack;

	/* VMX */
	void *vmxon_region;
	bool vmx_root;
	struct vcpu *vcpu; /* the vCPU this CPU runs, set when its VM is built */
	bool vcpu_entered; /* it has run it: an NMI here is then a kick or the guest's */
	/* vmentry.S's stretches from the last look at the vCPU's requests to VMRESUME (after a
	 * whole and a lean frame) and to VMLAUNCH, [start, end] each, and where an NMI handled
	 * there sends the CPU back to (nmi.c): a look again. */
	u64 entry_window[3][3];
	u32 exit_tsc; /* low half of the TSC at the last VM exit (vmentry.S), for exit_ticks */
};

/* CPUs by index; [0, cpu_count) are online. */
extern struct percpu *cpus[PLINTH_MAX_CPUS];
extern u32 cpu_count;

static inline struct percpu *this_cpu(void)
{
	struct percpu *pc;

	asm volatile("mov %%gs:0, %0" : "=r"(pc));
	return pc;
}

/* The boot CPU's state (in .bss: the page pool does not exist this early), entered in the
 * table as CPU 0. */
struct percpu *percpu_boot(void);
/* Allocates and fills in a struct percpu for the CPU with this APIC id. */
struct percpu *percpu_create(u32 apic_id);

#endif
