/*
 * A partition's accesses to its I/O APIC page (x86/vm_ioapic.h), which its EPT leaves out so
 * that each exits as an EPT violation: the load or store decoded (emulate.c) and done on the
 * VM's model (vioapic.c). Apart from vm_ioapic.c because it is exit-path code: it stops the
 * VM on what it cannot emulate.
 */
#include <console_proto.h>
#include <plinth/console.h>
#include <x86/emulate.h>
#include <x86/vcpu.h>
#include <x86/vcpu_events.h>
#include <x86/vm.h>
#include <x86/vm_ioapic.h>
#include <x86/vmx.h>

bool vm_ioapic_is_page(const struct vm *vm, gpa_t gpa)
{
	const struct vm_ioapic *io = vm->arch ? &vm->arch->ioapic : NULL;

	return io && io->present && ALIGN_DOWN(gpa, VM_IOAPIC_PAGE_SIZE) == io->addr;
}

/* A write the model dropped or refused: said once per VM, counted by the model. */
static void note_write(struct vcpu *v, u64 dropped, u64 refused)
{
	struct vm_ioapic *io = &v->vm->arch->ioapic;

	if (io->model.dropped != dropped && !io->drop_logged) {
		io->drop_logged = true;
		log_warn(CONSOLE_FMT_IOAPIC_DROPPED, v->vm->name, v->id, io->model.regsel);
	}
	if (io->model.refused != refused && !io->refusal_logged) {
		io->refusal_logged = true;
		log_warn(CONSOLE_FMT_IOAPIC_REFUSED, v->vm->name, v->id, io->model.regsel,
			 irq_refusal_name(io->model.last_refusal));
	}
}

static void mmio_write(struct vcpu *v, u32 off)
{
	struct vm_ioapic *io = &v->vm->arch->ioapic;
	struct vioapic_action act;
	struct store st;
	u64 old = 0, dropped, refused;

	if (emulate_decode_store(v, &st)) {
		vcpu_stop_vm(v, false, "vCPU %u wrote the I/O APIC (offset 0x%x) with an instruction Plinth cannot emulate (guest rip 0x%lx)",
			     v->id, off, vmcs_read(VMCS_GUEST_RIP));
		return;
	}
	spin_lock(&io->lock);
	if (st.kind == STORE_XCHG)
		old = vioapic_mmio_read(&io->model, off, (u8)st.size);
	dropped = io->model.dropped;
	refused = io->model.refused;
	vioapic_mmio_write(&io->model, off, (u8)st.size, (u32)st.value, &act);
	vm_ioapic_act(io, &act);
	note_write(v, dropped, refused);
	spin_unlock(&io->lock);
	emulate_complete_store(v, &st, old);
}

static void mmio_read(struct vcpu *v, u32 off)
{
	struct vm_ioapic *io = &v->vm->arch->ioapic;
	struct load ld;
	u32 value, pin;

	if (emulate_decode_load(v, &ld)) {
		vcpu_stop_vm(v, false, "vCPU %u read the I/O APIC (offset 0x%x) with an instruction Plinth cannot emulate (guest rip 0x%lx)",
			     v->id, off, vmcs_read(VMCS_GUEST_RIP));
		return;
	}
	spin_lock(&io->lock);
	value = vioapic_mmio_read(&io->model, off, (u8)ld.size);
	if (off == IOAPIC_WINDOW && ld.size == 4 && vioapic_selects_owned_low(&io->model, &pin))
		value = (value & ~(IOAPIC_RTE_DELIVERY_STATUS | IOAPIC_RTE_REMOTE_IRR)) | vm_ioapic_hw_status(pin);
	spin_unlock(&io->lock);
	emulate_complete_load(v, &ld, value);
}

void vm_ioapic_mmio(struct vcpu *v, gpa_t gpa, bool write)
{
	u32 off = (u32)(gpa & (VM_IOAPIC_PAGE_SIZE - 1));

	if (vcpu_in_event_delivery(v)) {
		/* The CPU itself touched the page while delivering an event (its IDT or stack
		 * there): no instruction to emulate. */
		vcpu_stop_vm(v, false, "vCPU %u: event delivery touched the I/O APIC page (offset 0x%x, guest rip 0x%lx)",
			     v->id, off, vmcs_read(VMCS_GUEST_RIP));
		return;
	}
	if (write)
		mmio_write(v, off);
	else
		mmio_read(v, off);
}
