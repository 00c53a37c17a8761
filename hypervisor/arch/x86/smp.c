/*
 * Application processor start-up with the INIT-SIPI-SIPI sequence (SDM Vol. 3A, 8.4.4.1),
 * one AP at a time: each gets its own stack and per-CPU state before it is woken, so the
 * trampoline needs no locking. An AP that runs C enters VMX root operation and waits for the
 * launch (core/launch.c).
 */
#include <plinth/arch.h>
#include <plinth/console.h>
#include <plinth/launch.h>
#include <plinth/memory.h>
#include <plinth/string.h>
#include <x86/apic.h>
#include <x86/boot_symbols.h>
#include <x86/cpu.h>
#include <x86/desc.h>
#include <x86/hostmap.h>
#include <x86/percpu.h>
#include <x86/pit.h>
#include <x86/processor.h>
#include <x86/smp.h>
#include <x86/vmx.h>

#define INIT_DELAY_US 10000
#define SIPI_DELAY_US 200
#define AP_WAIT_US 100000
#define AP_WAIT_STEP_US 100

static struct percpu *starting;
static bool vmx_on_aps;

/* 64-bit entry from the trampoline, on the AP's own stack. */
static __noreturn void ap_entry(void)
{
	struct percpu *pc = starting;

	/* An AP that answered after its wait timed out finds the next AP's state here: it must
	 * not use it (its slot was given up, its pages stay allocated). */
	if (apic_id() != pc->apic_id)
		arch_halt();
	desc_init_cpu(pc);
	if (vmx_on_aps) {
		vmx_cpu_enable();
		log_info("CPU %u (APIC id %u) in VMX root operation", pc->index, pc->apic_id);
	} else {
		log_info("CPU %u (APIC id %u) online", pc->index, pc->apic_id);
	}
	pc->online = true; /* the boot CPU waits for this */
	launch_ap_wait(pc->index);
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

u32 smp_start_aps(const u32 *apic_ids, u32 count, bool vmx_enable_aps)
{
	u32 self = apic_id(), i;
	u64 pool_before = pool_free_bytes(), used;

	vmx_on_aps = vmx_enable_aps;
	cpus[0]->apic_id = self;
	memcpy((void *)(uintptr_t)TRAMPOLINE_BASE, trampoline_start,
	       (size_t)(trampoline_end - trampoline_start));
	trampoline_set(trampoline_cr3, hostmap_cr3(), 4); /* the pool lies below 4 GiB */
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
	/* What each CPU costs (state, stacks, VMXON region), for machines with many. */
	used = pool_before - pool_free_bytes();
	log_info("smp: %u APs hold %lu KiB of Plinth's pool (%lu KiB each); %lu KiB of the pool free",
		 cpu_count - 1, used / KIB, cpu_count > 1 ? used / KIB / (cpu_count - 1) : 0,
		 pool_free_bytes() / KIB);
	return cpu_count;
}
