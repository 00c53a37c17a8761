/* Small x86 instruction wrappers: port I/O, control registers, MSRs, CPUID. The constants they
 * are used with are in x86/processor.h. */
#ifndef X86_CPU_H
#define X86_CPU_H

#include <plinth/types.h>

static inline void outb(u16 port, u8 v)
{
	asm volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

static inline void outw(u16 port, u16 v)
{
	asm volatile("outw %0, %1" : : "a"(v), "Nd"(port));
}

static inline u16 inw(u16 port)
{
	u16 v;

	asm volatile("inw %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline void outl(u16 port, u32 v)
{
	asm volatile("outl %0, %1" : : "a"(v), "Nd"(port));
}

static inline u32 inl(u16 port)
{
	u32 v;

	asm volatile("inl %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline u8 inb(u16 port)
{
	u8 v;

	asm volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline u64 rdmsr(u32 msr)
{
	u32 lo, hi;

	asm volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return ((u64)hi << 32) | lo;
}

static inline void wrmsr(u32 msr, u64 v)
{
	asm volatile("wrmsr" : : "c"(msr), "a"((u32)v), "d"((u32)(v >> 32)));
}

/*
 * MSR accesses that may fault (an MSR this CPU lacks): a #GP at label 1 resumes at label 3,
 * which reports failure. trap.c finds the pair in __ex_table, which linker.ld collects
 * between __ex_table_start and __ex_table_end.
 */
#define EXTABLE_ENTRY(fault, fixup) \
	".pushsection __ex_table, \"a\"\n\t.balign 8\n\t.quad " #fault ", " #fixup "\n\t.popsection\n\t"

struct extable_entry {
	u64 fault, fixup;
};

extern const struct extable_entry __ex_table_start[], __ex_table_end[];

static inline bool rdmsr_safe(u32 msr, u64 *v)
{
	u32 lo = 0, hi = 0;
	int ok = 1;

	asm volatile("1: rdmsr\n\t"
		     "jmp 2f\n\t"
		     "3: xor %2, %2\n\t"
		     "2:\n\t" EXTABLE_ENTRY(1b, 3b)
		     : "=a"(lo), "=d"(hi), "+r"(ok)
		     : "c"(msr));
	*v = ((u64)hi << 32) | lo;
	return ok;
}

static inline bool wrmsr_safe(u32 msr, u64 v)
{
	int ok = 1;

	asm volatile("1: wrmsr\n\t"
		     "jmp 2f\n\t"
		     "3: xor %0, %0\n\t"
		     "2:\n\t" EXTABLE_ENTRY(1b, 3b)
		     : "+r"(ok)
		     : "c"(msr), "a"((u32)v), "d"((u32)(v >> 32)));
	return ok;
}

#define DEFINE_READ_CR(n)                                          \
	static inline u64 read_cr##n(void)                         \
	{                                                          \
		u64 v;                                             \
		asm volatile("mov %%cr" #n ", %0" : "=r"(v));      \
		return v;                                          \
	}
DEFINE_READ_CR(0)
DEFINE_READ_CR(2)
DEFINE_READ_CR(3)
DEFINE_READ_CR(4)
#undef DEFINE_READ_CR

static inline void write_cr0(u64 v)
{
	asm volatile("mov %0, %%cr0" : : "r"(v) : "memory");
}

static inline void write_cr3(u64 v)
{
	asm volatile("mov %0, %%cr3" : : "r"(v) : "memory");
}

static inline void write_cr4(u64 v)
{
	asm volatile("mov %0, %%cr4" : : "r"(v) : "memory");
}

static inline void xsetbv(u32 index, u64 v)
{
	asm volatile("xsetbv" : : "c"(index), "a"((u32)v), "d"((u32)(v >> 32)));
}

static inline void cpuid(u32 leaf, u32 sub, u32 *a, u32 *b, u32 *c, u32 *d)
{
	asm volatile("cpuid" : "=a"(*a), "=b"(*b), "=c"(*c), "=d"(*d) : "a"(leaf), "c"(sub));
}

/* MAXPHYADDR, the physical address width (CPUID.80000008H:EAX[7:0]; 36 bits where that leaf
 * is missing, SDM Vol. 3A, 4.1.4). */
static inline u32 cpu_phys_bits(void)
{
	u32 a, b, c, d;

	cpuid(0x80000000, 0, &a, &b, &c, &d);
	if (a < 0x80000008)
		return 36;
	cpuid(0x80000008, 0, &a, &b, &c, &d);
	return a & 0xff;
}

static inline void cli(void)
{
	asm volatile("cli" ::: "memory");
}

static inline void hlt(void)
{
	asm volatile("hlt" ::: "memory");
}

static inline void wbinvd(void)
{
	asm volatile("wbinvd" ::: "memory");
}

static inline void write_cr2(u64 v)
{
	asm volatile("mov %0, %%cr2" : : "r"(v) : "memory");
}

static inline u64 rdtsc(void)
{
	u32 lo, hi;

	asm volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((u64)hi << 32) | lo;
}

#endif
