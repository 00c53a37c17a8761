/*
 * A partition's console and timer on VMX. Its COM1 (0x3f8-0x3ff) exits through its I/O bitmap to the
 * 16550 model (core/vuart.c); each whole line it writes is printed as "[NAME] line", and each
 * rise of its interrupt line is raised at the VM's I/O APIC (vm_ioapic.c). The
 * physical UART stays Plinth's: the boot CPU reads its input in the monitor loop when it runs
 * no vCPU, else on the exits of its vCPU at most every VM_CONSOLE_POLL_US, with the
 * VMX-preemption timer (SDM 26.5.1) making sure there is one that often. Only that vCPU runs
 * the timer: every other way Plinth needs a vCPU out of guest mode (a stop, a restart, a posted
 * INIT/SIPI/NMI, an EPT switch) is an NMI kick, which exits whatever the guest does (virtual
 * NMIs, vcpu_events.c), so a partition's vCPU on another CPU causes no exit while its guest
 * idles. The default VM has its UART passed through and runs no timer.
 */
#include <console_proto.h>
#include <plinth/arch.h>
#include <plinth/console.h>
#include <plinth/monitor.h>
#include <plinth/vuart.h>
#include <x86/cpu.h>
#include <x86/exit_io.h>
#include <x86/percpu.h>
#include <x86/processor.h>
#include <x86/tsc.h>
#include <x86/vm_console.h>
#include <x86/vmx.h>

#define MISC_PREEMPTION_RATE(misc) ((misc) & 0x1f) /* timer ticks every 2^n TSC ticks (SDM A.6) */

static u64 poll_ticks, next_poll;

static u32 com1_in(struct vcpu *v, u16 port, u32 size)
{
	struct vm *vm = v->vm;
	u32 i, value = 0;
	bool raise;

	if (!vm->partition)
		return exit_io_port_in(port, size);
	spin_lock(&vm->uart_lock);
	for (i = 0; i < size; i++)
		value |= (u32)vuart_read(&vm->uart, (u32)(port + i - VUART_PORT_BASE)) << (8 * i);
	raise = vuart_irq_take(&vm->uart);
	spin_unlock(&vm->uart_lock);
	if (raise)
		arch_vm_isa_irq(vm, VUART_ISA_IRQ);
	return value;
}

static void com1_out(struct vcpu *v, u16 port, u32 size, u32 value)
{
	struct vm *vm = v->vm;
	u32 i;
	bool raise;

	if (!vm->partition) {
		exit_io_port_out(port, size, value);
		return;
	}
	spin_lock(&vm->uart_lock);
	for (i = 0; i < size; i++) {
		if (vuart_write(&vm->uart, (u32)(port + i - VUART_PORT_BASE), (u8)(value >> (8 * i)))) {
			console_vm_text(vm->name, vm->uart.line + vm->uart.printed, true);
			vuart_line_done(&vm->uart);
		}
	}
	raise = vuart_irq_take(&vm->uart);
	spin_unlock(&vm->uart_lock);
	if (raise)
		arch_vm_isa_irq(vm, VUART_ISA_IRQ);
}

static const struct io_ports com1 = { VUART_PORT_BASE, VUART_PORT_COUNT, com1_in, com1_out, true };

void vm_console_claim(void)
{
	exit_io_claim(&com1);
}

void vm_console_vcpu_init(struct vcpu *v)
{
	u64 ticks;

	v->ev.polls_console = false;
	if (!v->vm->partition)
		return;
	v->ev.polls_console = v->cpu == 0;
	ticks = tsc_deadline(VM_CONSOLE_POLL_US) - rdtsc();
	if (!v->ev.polls_console)
		return;
	poll_ticks = ticks;
	next_poll = rdtsc() + poll_ticks;
	if (!(vmx_caps.pin >> 32 & PIN_PREEMPTION_TIMER)) {
		log_warn("%s: no VMX-preemption timer: the console's input is read only when the guest exits",
			 v->vm->name);
		return;
	}
	ticks >>= MISC_PREEMPTION_RATE(vmx_caps.misc);
	vmcs_write(VMCS_PIN_BASED_VM_EXEC_CONTROL, vmcs_read(VMCS_PIN_BASED_VM_EXEC_CONTROL) | PIN_PREEMPTION_TIMER);
	/* Without the save control every VM entry loads the full value again: the timer fires
	 * only after a quiet stretch, and the exits in between poll themselves. */
	vmcs_write(VMCS_GUEST_VMX_PREEMPTION_TIMER_VALUE, ticks > 0xffffffffULL ? 0xffffffffULL : ticks ? ticks : 1);
}

/* Every period: a VM's unfinished line that has not grown since the last period (a prompt) is
 * shown, so a shell's prompt and the echo of what is typed appear before their newline. */
static void flush_unfinished_lines(void)
{
	u32 i;

	for (i = 0; i < vm_count; i++) {
		struct vm *vm = &vms[i];

		if (!vm->partition || !vm->built)
			continue;
		spin_lock(&vm->uart_lock);
		if (vuart_partial_due(&vm->uart)) {
			console_vm_text(vm->name, vm->uart.line + vm->uart.printed, false);
			vm->uart.printed = vm->uart.line_len;
		}
		spin_unlock(&vm->uart_lock);
	}
}

void vm_console_poll(void)
{
	u64 now = rdtsc();

	if (now < next_poll)
		return;
	next_poll = now + poll_ticks;
	monitor_poll();
	flush_unfinished_lines();
}

void arch_console_idle_poll(void)
{
	static u64 next_flush;
	u64 now = rdtsc();

	monitor_poll(); /* every turn: the physical UART's FIFO holds 16 bytes */
	if (now < next_flush)
		return;
	next_flush = tsc_deadline(VM_CONSOLE_POLL_US);
	flush_unfinished_lines();
}

void exit_preemption_timer(struct vcpu *v)
{
	(void)v; /* vm_console_poll reads the input at the end of this exit (vmentry.S) */
}
