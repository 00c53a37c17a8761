/*
 * Descriptor tables of the boot CPU: a GDT with a TSS, and an IDT whose 32 exception vectors
 * lead to trap_handle(). NMI, #DF and #MC run on their own IST stack so that a fault caused by
 * a broken stack is still reported (SDM Vol. 3A, 6.14.5).
 */
#include <plinth/arch.h>
#include <x86/trap.h>

#define SEL_CODE 0x08
#define SEL_DATA 0x10
#define SEL_TSS 0x18

#define GATE_INTERRUPT 0x8e00 /* present, DPL 0, 64-bit interrupt gate */
#define IST_STACK_SIZE 8192
#define IST_FATAL 1

struct tss {
	u32 reserved0;
	u64 rsp[3];
	u64 reserved1;
	u64 ist[7];
	u64 reserved2;
	u16 reserved3;
	u16 iomap_base;
} __packed;

struct idt_gate {
	u16 offset_lo, selector, flags, offset_mid;
	u32 offset_hi, reserved;
};

struct desc_ptr {
	u16 limit;
	u64 base;
} __packed;

static u64 gdt[5] = {
	0,
	0x00af9a000000ffffULL, /* 0x08: 64-bit code */
	0x00cf92000000ffffULL, /* 0x10: data */
	0, 0,		       /* 0x18: TSS, 16 bytes, filled in below */
};
static struct tss tss;
static struct idt_gate idt[256] __aligned(16);
static u8 ist_stack[IST_STACK_SIZE] __aligned(16);

static void set_tss_descriptor(void)
{
	u64 base = (u64)(uintptr_t)&tss, limit = sizeof(tss) - 1;

	gdt[3] = (limit & 0xffff) | ((base & 0xffffff) << 16) | (0x89ULL << 40) /* present, TSS */ |
		 (((limit >> 16) & 0xf) << 48) | (((base >> 24) & 0xff) << 56);
	gdt[4] = base >> 32;
}

static void set_gate(unsigned vector, u64 handler, unsigned ist)
{
	idt[vector].offset_lo = (u16)handler;
	idt[vector].selector = SEL_CODE;
	idt[vector].flags = (u16)(GATE_INTERRUPT | ist);
	idt[vector].offset_mid = (u16)(handler >> 16);
	idt[vector].offset_hi = (u32)(handler >> 32);
}

void desc_init(void)
{
	struct desc_ptr gdtr = { sizeof(gdt) - 1, (u64)(uintptr_t)gdt };
	struct desc_ptr idtr = { sizeof(idt) - 1, (u64)(uintptr_t)idt };
	unsigned v;

	tss.ist[IST_FATAL - 1] = (u64)(uintptr_t)(ist_stack + sizeof(ist_stack));
	tss.iomap_base = sizeof(tss); /* no I/O permission bitmap */
	set_tss_descriptor();
	for (v = 0; v < TRAP_EXCEPTIONS; v++)
		set_gate(v, trap_stubs[v],
			 v == X86_EXC_NMI || v == X86_EXC_DF || v == X86_EXC_MC ? IST_FATAL : 0);

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
		     : "m"(gdtr), "i"(SEL_CODE), "r"((u64)SEL_DATA), "r"(SEL_TSS), "m"(idtr)
		     : "rax", "memory");
}

void arch_early_init(void)
{
	desc_init();
}
