/*
 * Application processor start-up with the INIT-SIPI-SIPI sequence (SDM Vol. 3A, 8.4.4.1),
 * one AP at a time: each gets its own stack and per-CPU state before it is woken, so the
 * trampoline needs no locking.
 */
#include <plinth/console.h>
#include <plinth/memory.h>
#include <plinth/string.h>
#include <x86/apic.h>
#include <x86/cpu.h>
#include <x86/percpu.h>
#include <x86/pit.h>
#include <x86/smp.h>

extern const u8 trampoline_start[], trampoline_end[];
extern const u8 trampoline_cr3[], trampoline_efer[], trampoline_stack[], trampoline_entry[];
extern u8 boot_pml4[];

#define INIT_DELAY_US 10000
#define SIPI_DELAY_US 200
#define AP_WAIT_US 100000
#define AP_WAIT_STEP_US 100

struct percpu *cpus[PLINTH_MAX_CPUS];
u32 cpu_count;

static struct percpu *starting;

struct percpu *percpu_create(u32 apic_id)
{
	struct percpu *pc = pages_alloc((sizeof(*pc) + PLINTH_PAGE_SIZE - 1) / PLINTH_PAGE_SIZE);

	pc->self = pc;
	pc->apic_id = apic_id;
	pc->stack_top = (u8 *)pages_alloc(PLINTH_CPU_STACK_SIZE / PLINTH_PAGE_SIZE) +
			PLINTH_CPU_STACK_SIZE;
	pc->ist_stack = pages_alloc(IST_STACK_SIZE / PLINTH_PAGE_SIZE);
	return pc;
}

/* 64-bit entry from the trampoline, on the AP's own stack. */
static __noreturn void ap_entry(void)
{
	struct percpu *pc = starting;

	desc_init_cpu(pc);
	ap_main(); /* marks the CPU online once it is set up */
	for (;;)
		asm volatile("cli; hlt");
}

static void trampoline_set(const u8 *field, u64 value, size_t size)
{
	memcpy((u8 *)(uintptr_t)(TRAMPOLINE_BASE + (field - trampoline_start)), &value, size);
}

static bool wake(struct percpu *pc)
{
	u32 sipi = APIC_ICR_STARTUP | (TRAMPOLINE_BASE >> 12);
	u32 waited;

	starting = pc;
	trampoline_set(trampoline_stack, (u64)(uintptr_t)pc->stack_top, 8);
	if (!apic_send_ipi(pc->apic_id, APIC_ICR_INIT | APIC_ICR_LEVEL_ASSERT))
		return false;
	pit_udelay(INIT_DELAY_US);
	apic_send_ipi(pc->apic_id, sipi);
	pit_udelay(SIPI_DELAY_US);
	if (!pc->online)
		apic_send_ipi(pc->apic_id, sipi); /* the second SIPI only if the first was missed */
	for (waited = 0; !pc->online && waited < AP_WAIT_US; waited += AP_WAIT_STEP_US)
		pit_udelay(AP_WAIT_STEP_US);
	return pc->online;
}

u32 smp_start_aps(const u32 *apic_ids, u32 count)
{
	u32 self = apic_id(), i;

	cpus[0]->apic_id = self;
	memcpy((void *)(uintptr_t)TRAMPOLINE_BASE, trampoline_start,
	       (size_t)(trampoline_end - trampoline_start));
	trampoline_set(trampoline_cr3, (u64)(uintptr_t)boot_pml4, 4);
	trampoline_set(trampoline_efer, rdmsr(MSR_EFER), 4);
	trampoline_set(trampoline_entry, (u64)(uintptr_t)ap_entry, 8);

	for (i = 0; i < count; i++) {
		struct percpu *pc;

		if (apic_ids[i] == self)
			continue;
		if (cpu_count == PLINTH_MAX_CPUS) {
			log_warn("more than %d CPUs; APIC id %u and later stay off", PLINTH_MAX_CPUS,
				 apic_ids[i]);
			break;
		}
		pc = percpu_create(apic_ids[i]);
		pc->index = cpu_count;
		cpus[cpu_count] = pc;
		if (!wake(pc)) {
			log_warn("CPU with APIC id %u did not start (no answer to INIT-SIPI-SIPI within %u ms)",
				 apic_ids[i], AP_WAIT_US / 1000);
			cpus[cpu_count] = NULL;
			continue; /* its pages stay allocated: a late AP must not run on freed memory */
		}
		cpu_count++;
	}
	return cpu_count;
}
