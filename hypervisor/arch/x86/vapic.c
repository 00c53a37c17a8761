/*
 * The guest's local APIC: passed through, except what would let a guest reach beyond its own
 * CPUs or past Plinth.
 *
 * The xAPIC page is mapped read-only in EPT: a write exits, Plinth decodes the store and
 * performs it on the real APIC. A VM that owns its interrupts (the default VM) gets the page
 * once all its vCPUs have started (apic_passthrough.c); the others keep it trapped for good.
 * The x2APIC ICR and LVT MSRs exit through the MSR bitmap.
 * - ICR: the default VM's fixed and lowest-priority IPIs go to the real APIC as written; a
 *   partition's are sent by Plinth to its own CPUs that the destination names. NMI, INIT and SIPI go
 *   through Plinth, decoded exactly (apic_dest.c) against the VM's own vCPUs only, and posted
 *   to each (vcpu_events.c): a guest cannot reset, start or interrupt a CPU it does not own, a
 *   self-NMI is injected rather than sent from VMX root (where Plinth's own handler would take
 *   it), and none is lost to a vCPU that has NMIs blocked. SMIs and reserved modes are dropped:
 *   a guest never enters SMM.
 * - LVT entries that would raise an SMI or INIT on this CPU (delivery mode SMI, or INIT on
 *   LINT0/1) are written masked.
 * - The APIC ID register is not written: Plinth addresses its kicks by the id (read-only on
 *   most CPUs anyway, SDM 11.4.6).
 * - LDR and DFR are shadowed: the logical destinations of the VM's IPIs are decoded with them.
 */
#include <console_proto.h>
#include <plinth/console.h>
#include <x86/apic.h>
#include <x86/apic_dest.h>
#include <x86/cpu.h>
#include <x86/emulate.h>
#include <x86/percpu.h>
#include <x86/processor.h>
#include <x86/vapic.h>
#include <x86/vcpu_events.h>
#include <x86/vmexit.h>
#include <x86/vmx.h>

#define XAPIC_RESET_DFR 0xffffffffu /* flat model (SDM Table 10-1) */
#define LVT_DELIVERY_INIT (5u << 8)
#define LVT_DELIVERY_SMI (2u << 8)

static volatile u32 *xapic_reg(u32 off)
{
	return (volatile u32 *)(uintptr_t)(apic_page() + off);
}

void vapic_vcpu_init(struct vcpu *v)
{
	v->apic.base_msr = rdmsr(MSR_IA32_APIC_BASE);
	v->apic.x2apic = v->apic.base_msr & APIC_BASE_X2APIC;
	v->apic.dfr = XAPIC_RESET_DFR;
	if (!v->apic.x2apic) {
		v->apic.ldr = *xapic_reg(XAPIC_LDR);
		v->apic.dfr = *xapic_reg(XAPIC_DFR);
	}
}

bool vapic_is_apic_page(gpa_t gpa)
{
	return ALIGN_DOWN(gpa, XAPIC_PAGE_SIZE) == apic_page();
}

static const char *mode_name(u32 mode)
{
	return mode == APIC_ICR_SMI ? "SMI" : mode == APIC_ICR_INIT ? "INIT" : "a reserved delivery mode";
}

/* Once per vCPU: a guest must not fill the console by repeating what Plinth refuses. */
static void refused(struct vcpu *v, const char *what, u32 mode)
{
	if (v->apic.refusal_logged)
		return;
	v->apic.refusal_logged = true;
	log_warn("%s: vCPU %u: %s with %s refused (said once)", v->vm->name, v->id, what, mode_name(mode));
}

/* A CPU outside the sender's VM that the destination names: counted, said once per vCPU. */
static void dropped(struct vcpu *v, u64 icr)
{
	v->ipis_dropped++;
	if (v->ipi_drop_logged)
		return;
	v->ipi_drop_logged = true;
	log_warn(CONSOLE_FMT_IPI_DROPPED, v->vm->name, v->id, icr);
}

/* Whether CPU i is one the destination names. A CPU of another VM is matched with its
 * guest's logical destination registers; one without a vCPU with the reset ones. */
static bool names_cpu(u64 icr, bool x2apic, struct vcpu *v, u32 i)
{
	struct vcpu *t = cpus[i]->vcpu;
	struct apic_target target = { cpus[i]->apic_id, t == v, t ? t->apic.ldr : 0,
				      t ? t->apic.dfr : XAPIC_RESET_DFR };

	return apic_dest_matches(icr, x2apic, &target);
}

/* The IPI to the VM's vCPUs the destination names, and no further: NMI, INIT and SIPI posted
 * to each (vcpu_events.c); fixed and lowest-priority ones sent to each such CPU by its APIC id
 * (a lowest-priority IPI to the first: any one of them is what the guest asked for). A CPU
 * outside the VM that it names is dropped and counted. */
static void deliver(struct vcpu *v, u64 icr, bool x2apic)
{
	u32 mode = icr & APIC_ICR_DELIVERY_MASK, i;
	bool sent = false;

	/* INIT level de-assert only synchronised arbitration IDs on old CPUs: nothing to do. */
	if (mode == APIC_ICR_INIT && !(icr & APIC_ICR_LEVEL_ASSERT) && (icr & APIC_ICR_TRIGGER_LEVEL))
		return;
	for (i = 0; i < cpu_count; i++) {
		struct vcpu *t;

		if (!cpus[i] || !names_cpu(icr, x2apic, v, i))
			continue;
		t = cpus[i]->vcpu;
		if (!t || t->vm != v->vm) {
			dropped(v, icr); /* other VMs' CPUs are not this guest's to reach */
			continue;
		}
		if (mode == APIC_ICR_NMI)
			vcpu_post_nmi(t);
		else if (mode == APIC_ICR_INIT)
			vcpu_post_init(t);
		else if (mode == APIC_ICR_STARTUP)
			vcpu_post_sipi(t, (u8)icr);
		else if (!sent || mode == APIC_ICR_FIXED)
			apic_send_ipi(t->apic_id, (u32)icr & (APIC_ICR_VECTOR_MASK | APIC_ICR_DELIVERY_MASK));
		sent = true;
	}
}

void vapic_icr_write(struct vcpu *v, u64 icr, bool x2apic)
{
	u32 mode = icr & APIC_ICR_DELIVERY_MASK;

	if (mode == APIC_ICR_NMI || mode == APIC_ICR_INIT || mode == APIC_ICR_STARTUP) {
		deliver(v, icr, x2apic);
	} else if (mode != APIC_ICR_FIXED && mode != APIC_ICR_LOWEST) {
		refused(v, "an IPI", mode);
	} else if (v->vm->partition) {
		deliver(v, icr, x2apic); /* a partition's fixed IPIs reach its own CPUs only */
	} else if (x2apic) {
		wrmsr(MSR_X2APIC_ICR, icr);
	} else {
		*xapic_reg(XAPIC_ICR_HIGH) = (u32)(icr >> 32);
		*xapic_reg(XAPIC_ICR_LOW) = (u32)icr;
	}
}

bool vapic_lvt_has_delivery_mode(u32 off)
{
	return off == XAPIC_LVT_CMCI || off == XAPIC_LVT_THERMAL || off == XAPIC_LVT_PMC || off == XAPIC_LVT_LINT0 ||
	       off == XAPIC_LVT_LINT1;
}

u32 vapic_lvt_filter(struct vcpu *v, u32 off, u32 value)
{
	u32 mode = value & APIC_ICR_DELIVERY_MASK;
	bool lint = off == XAPIC_LVT_LINT0 || off == XAPIC_LVT_LINT1;

	if (mode != LVT_DELIVERY_SMI && !(lint && mode == LVT_DELIVERY_INIT))
		return value;
	refused(v, "a local vector table entry", mode);
	return (value & ~(u32)APIC_ICR_DELIVERY_MASK) | APIC_LVT_MASKED;
}

void vapic_mmio_write(struct vcpu *v, gpa_t gpa)
{
	struct store st;
	u32 off = (u32)(gpa & 0xfff), value;
	u64 old = 0;
	int rc;

	if (vcpu_in_event_delivery(v)) {
		/* The CPU itself wrote the page while delivering an event (the guest's stack or IDT
		 * there): no instruction to emulate. */
		vcpu_stop_vm(v, false, "vCPU %u: event delivery wrote the local APIC page (offset 0x%x, guest rip 0x%lx)",
			     v->id, off, vmcs_read(VMCS_GUEST_RIP));
		return;
	}
	rc = emulate_decode_store(v, &st);
	if (rc) {
		vcpu_stop_vm(v, false, "vCPU %u wrote the local APIC (offset 0x%x) with an instruction Plinth cannot emulate (guest rip 0x%lx)",
			     v->id, off, vmcs_read(VMCS_GUEST_RIP));
		return;
	}
	/* APIC registers are 32 bits, 16-byte aligned; other writes are undefined: dropped. */
	if (st.size != 4 || (off & 3)) {
		emulate_complete_store(v, &st, vcpu_gpr(v, st.reg));
		return;
	}
	value = (u32)st.value;
	if (st.kind == STORE_XCHG)
		old = *xapic_reg(off);
	if (off == XAPIC_ICR_LOW) {
		vapic_icr_write(v, ((u64)v->icr_high << 32) | value, false);
	} else if (off != XAPIC_ID) {
		if (off == XAPIC_ICR_HIGH)
			v->icr_high = value;
		else if (off == XAPIC_LDR)
			v->apic.ldr = value;
		else if (off == XAPIC_DFR)
			v->apic.dfr = value;
		else if (vapic_lvt_has_delivery_mode(off))
			value = vapic_lvt_filter(v, off, value);
		*xapic_reg(off) = value;
	}
	emulate_complete_store(v, &st, old);
}
