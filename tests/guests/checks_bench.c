/*
 * bench: round trips of the exits Plinth handles, measured in TSC ticks from inside the
 * guest (in Bochs a tick is one retired instruction, so these are path lengths). Each is
 * measured BENCH_RUNS times; the minimum and median are printed, next to the same for a
 * non-exiting instruction (the cost of the measurement itself), which tools/bench.py
 * subtracts.
 */
#include <plinth_abi.h>
#include "checks.h"
#include "x86.h"

#define BENCH_RUNS 101
#define X86_CR0_NE (1u << 5)
#define MSR_FEATURE_CONTROL 0x3a

static void op_baseline(void)
{
	asm volatile("nop");
}

static void op_cpuid(void)
{
	u32 a = 0, b, c = 0, d;

	asm volatile("cpuid" : "+a"(a), "=b"(b), "+c"(c), "=d"(d));
}

static void op_vmcall(void)
{
	u64 rax = PLINTH_HC_VERSION;

	asm volatile("vmcall" : "+a"(rax) : : "rbx", "rcx", "rdx", "memory");
}

static void op_io(void)
{
	(void)inl(PLINTH_TEST_PORT_ID);
}

static void op_msr(void)
{
	(void)rdmsr(MSR_FEATURE_CONTROL);
}

/* CR0.NE is a bit Plinth owns: flipping it always exits (and flips back next time). */
static void op_cr(void)
{
	u64 cr0;

	asm volatile("mov %%cr0, %0" : "=r"(cr0));
	cr0 ^= X86_CR0_NE;
	asm volatile("mov %0, %%cr0" : : "r"(cr0));
}

static u64 samples[BENCH_RUNS];

void bench_report(const char *name, u64 *v, u32 n)
{
	for (u32 i = 1; i < n; i++)
		for (u32 j = i; j && v[j - 1] > v[j]; j--) {
			u64 t = v[j];

			v[j] = v[j - 1];
			v[j - 1] = t;
		}
	check_info("bench %s min=%lu median=%lu runs=%u", name, v[0], v[n / 2], n);
}

static void measure(const char *name, void (*op)(void))
{
	for (u32 i = 0; i < BENCH_RUNS; i++) {
		u64 t0 = rdtsc();

		op();
		samples[i] = rdtsc() - t0;
	}
	bench_report(name, samples, BENCH_RUNS);
}

void check_bench(void)
{
	u64 cr0;

	asm volatile("mov %%cr0, %0" : "=r"(cr0));
	measure("baseline", op_baseline);
	measure("cpuid", op_cpuid);
	measure("vmcall", op_vmcall);
	measure("io", op_io);
	measure("msr", op_msr);
	measure("cr", op_cr);
	/* An odd number of flips left NE inverted: put it back as it was. */
	asm volatile("mov %0, %%cr0" : : "r"(cr0));
}
