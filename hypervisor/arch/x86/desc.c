/*
 * Descriptor tables: per CPU a GDT with a TSS, and one IDT shared by all CPUs whose 32
 * exception vectors lead to trap_handle(). NMI, #DF and #MC run on the CPU's IST stack so a
 * fault caused by a broken stack is still reported (SDM Vol. 3A, 6.14.5).
 */
#include <plinth/arch.h>
#include <plinth/string.h>
#include <x86/cpu.h>
#include <x86/desc.h>
#include <x86/percpu.h>
#include <x86/processor.h>
#include <x86/trap.h>

#define GATE_INTERRUPT 0x8e00 /* present, DPL 0, 64-bit interrupt gate */
#define IST_FATAL 1

struct idt_gate {
	u16 offset_lo, selector, flags, offset_mid;
	u32 offset_hi, reserved;
};

struct desc_ptr {
	u16 limit;
	u64 base;
} __packed;

static struct idt_gate idt[256] __aligned(16);

u64 desc_idt_base(void)
{
	return (u64)(uintptr_t)idt;
}

static void set_gate(unsigned vector, u64 handler, unsigned ist)
{
	idt[vector].offset_lo = (u16)handler;
	idt[vector].selector = SEL_CODE64;
	idt[vector].flags = (u16)(GATE_INTERRUPT | ist);
	idt[vector].offset_mid = (u16)(handler >> 16);
	idt[vector].offset_hi = (u32)(handler >> 32);
}

static void idt_fill(void)
{
	unsigned v;

	for (v = 0; v < X86_EXCEPTIONS; v++)
		set_gate(v, trap_stubs[v],
			 v == X86_EXC_NMI || v == X86_EXC_DF || v == X86_EXC_MC ? IST_FATAL : 0);
}

void desc_init_cpu(struct percpu *pc)
{
	struct desc_ptr gdtr = { sizeof(pc->gdt) - 1, (u64)(uintptr_t)pc->gdt };
	struct desc_ptr idtr = { sizeof(idt) - 1, (u64)(uintptr_t)idt };
	u64 base = (u64)(uintptr_t)&pc->tss, limit = sizeof(pc->tss) - 1;

	pc->gdt[0] = 0;
	pc->gdt[SEL_CODE64 / 8] = GDT_DESC_CODE64;
	pc->gdt[SEL_DATA / 8] = GDT_DESC_DATA;
	pc->gdt[SEL_TSS / 8] = (limit & 0xffff) | ((base & 0xffffff) << 16) | (0x89ULL << 40) /* TSS */ |
			       (((limit >> 16) & 0xf) << 48) | (((base >> 24) & 0xff) << 56);
	pc->gdt[SEL_TSS / 8 + 1] = base >> 32;
	memset(&pc->tss, 0, sizeof(pc->tss));
	pc->tss.ist[IST_FATAL - 1] = (u64)(uintptr_t)(pc->ist_stack + IST_STACK_SIZE);
	pc->tss.iomap_base = sizeof(pc->tss); /* no I/O permission bitmap */

	asm volatile("lgdt %0\n\t"
		     "pushq %1\n\t"
		     "leaq 1f(%%rip), %%rax\n\t"
		     "pushq %%rax\n\t"
		     "lretq\n"
		     "1:\n\t"
		     "mov %2, %%ds\n\t"
		     "mov %2, %%es\n\t"
		     "mov %2, %%ss\n\t"
		     "ltr %w3\n\t"
		     "lidt %4"
		     :
		     : "m"(gdtr), "i"(SEL_CODE64), "r"((u64)SEL_DATA), "r"(SEL_TSS), "m"(idtr)
		     : "rax", "memory");
	wrmsr(MSR_GS_BASE, (u64)(uintptr_t)pc);
}

void arch_early_init(void)
{
	idt_fill();
	desc_init_cpu(percpu_boot());
}
