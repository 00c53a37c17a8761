/*
 * The guest's local APIC, passed through except for INIT and SIPI.
 *
 * The xAPIC page is mapped read-only in EPT: a write exits, Plinth decodes the store and
 * performs it on the real APIC, unless it is an ICR write with delivery mode INIT or
 * start-up. The x2APIC ICR (MSR 0x830) exits through the MSR bitmap. INIT and SIPI are
 * delivered by Plinth itself, and only to vCPUs of the sender's VM: a guest cannot reset a
 * CPU it does not own, and no SIPI VM exit is needed (Bochs 2.7 loses the vCPU on one).
 * A target vCPU waits halted; Plinth posts the event and kicks it with an NMI. A physical INIT
 * or SIPI VM exit is handled the same way (exit_init, exit_sipi).
 */
#include <plinth/console.h>
#include <plinth/string.h>
#include <x86/apic.h>
#include <x86/cpu.h>
#include <x86/emulate.h>
#include <x86/percpu.h>
#include <x86/pit.h>
#include <x86/processor.h>
#include <x86/vapic.h>
#include <x86/vmcs_guest.h>
#include <x86/vmexit.h>
#include <x86/vmx.h>

#define KICK_TRIES 1000
#define KICK_WAIT_US 100

bool vapic_is_apic_page(gpa_t gpa)
{
	return ALIGN_DOWN(gpa, XAPIC_PAGE_SIZE) == apic_page();
}

bool vapic_process(struct vcpu *v)
{
	bool kick = v->kicked;

	v->kicked = false;
	if (v->pending_init) {
		v->pending_init = false;
		v->pending_sipi = -1;
		v->sipi_wait = true;
		vmcs_guest_wait_for_sipi();
		memset(v->regs, 0, sizeof(*v->regs));
	}
	if (v->pending_sipi >= 0) {
		u8 vector = (u8)v->pending_sipi;
		u32 a, b, c, d;

		v->pending_sipi = -1;
		/* A SIPI only starts a vCPU that waits for one (SDM 10.4.4). */
		if (v->sipi_wait) {
			v->sipi_wait = false;
			vmcs_guest_sipi(vector);
			cpuid(1, 0, &a, &b, &c, &d);
			v->regs->rdx = a; /* the processor signature, as after INIT (SDM Table 10-1) */
			log_info("%s: vCPU %u starts at SIPI vector 0x%02x (real mode %04x:0000)", v->vm->name,
				 v->id, vector, vector << 8);
		}
	}
	return kick;
}

void exit_init(struct vcpu *v)
{
	/* A physical INIT (not the guest's IPI, which Plinth intercepts): same as the guest's. */
	v->pending_init = true;
	vapic_process(v);
}

void exit_sipi(struct vcpu *v)
{
	v->pending_sipi = (u8)vmcs_read(VMCS_EXIT_QUALIFICATION);
	vapic_process(v);
}

/* Posts INIT or SIPI to t and waits until t's CPU took it (bounded: t may be stuck). */
static void post(struct vcpu *t, u32 delivery, u8 vector)
{
	u32 tries;

	if (delivery == APIC_ICR_INIT)
		t->pending_init = true;
	else
		t->pending_sipi = vector;
	for (tries = 0; tries < KICK_TRIES; tries++) {
		if (!t->pending_init && t->pending_sipi < 0)
			return;
		t->kicked = true;
		apic_send_ipi(t->apic_id, APIC_ICR_NMI);
		pit_udelay(KICK_WAIT_US);
	}
	log_warn("%s: vCPU %u did not take its %s within %u ms", t->vm->name, t->id,
		 delivery == APIC_ICR_INIT ? "INIT" : "SIPI", KICK_TRIES * KICK_WAIT_US / 1000);
}

static void init_or_sipi(struct vcpu *v, u64 icr, u32 dest)
{
	u32 delivery = icr & APIC_ICR_DELIVERY_MASK, shorthand = APIC_ICR_SHORTHAND(icr), i;

	/* INIT level de-assert only synchronised arbitration IDs on old CPUs: nothing to do. */
	if (delivery == APIC_ICR_INIT && !(icr & APIC_ICR_LEVEL_ASSERT) && (icr & APIC_ICR_TRIGGER_LEVEL))
		return;
	for (i = 0; i < cpu_count; i++) {
		struct vcpu *t = cpus[i] ? cpus[i]->vcpu : NULL;
		bool hit;

		if (!t || t->vm != v->vm)
			continue; /* other VMs' CPUs are not this guest's to reset */
		if (shorthand == APIC_SHORTHAND_NONE)
			hit = t->apic_id == dest;
		else if (shorthand == APIC_SHORTHAND_SELF)
			hit = t == v;
		else if (shorthand == APIC_SHORTHAND_ALL)
			hit = true;
		else
			hit = t != v; /* all but self */
		if (!hit)
			continue;
		if (t == v) {
			log_warn("%s: vCPU %u sent %s to itself; ignored", v->vm->name, v->id,
				 delivery == APIC_ICR_INIT ? "INIT" : "SIPI");
			continue;
		}
		post(t, delivery, (u8)icr);
	}
}

void vapic_icr_write(struct vcpu *v, u64 icr, bool x2apic)
{
	u32 delivery = icr & APIC_ICR_DELIVERY_MASK;
	u32 dest = x2apic ? (u32)(icr >> 32) : (u32)(icr >> 56);

	if (delivery == APIC_ICR_INIT || delivery == APIC_ICR_STARTUP) {
		init_or_sipi(v, icr, dest);
		return;
	}
	if (x2apic) {
		wrmsr(MSR_X2APIC_ICR, icr);
	} else {
		volatile u32 *apic = (volatile u32 *)(uintptr_t)apic_page();

		apic[XAPIC_ICR_HIGH / 4] = (u32)(icr >> 32);
		apic[XAPIC_ICR_LOW / 4] = (u32)icr;
	}
}

void vapic_mmio_write(struct vcpu *v, gpa_t gpa)
{
	struct store st;
	u32 off = (u32)(gpa & 0xfff);
	int rc = emulate_decode_store(v, &st);

	if (rc) {
		vm_stop(v->vm, "vCPU %u wrote the local APIC (offset 0x%x) with an instruction Plinth cannot emulate (guest rip 0x%lx)",
			v->id, off, vmcs_read(VMCS_GUEST_RIP));
		return;
	}
	if (st.size != 4 || (off & 3)) {
		/* APIC registers are 32-bit aligned; other writes are undefined: drop them. */
		vmcs_write(VMCS_GUEST_RIP, vmcs_read(VMCS_GUEST_RIP) + st.length);
		return;
	}
	if (off == XAPIC_ICR_LOW) {
		vapic_icr_write(v, ((u64)v->icr_high << 32) | (u32)st.value, false);
	} else {
		if (off == XAPIC_ICR_HIGH)
			v->icr_high = (u32)st.value;
		*(volatile u32 *)(uintptr_t)(apic_page() + off) = (u32)st.value;
	}
	vmcs_write(VMCS_GUEST_RIP, vmcs_read(VMCS_GUEST_RIP) + st.length);
}
