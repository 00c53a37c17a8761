/* The console's input between the monitor and the partitions; see plinth/console_input.h. */
#include <console_proto.h>
#include <plinth/arch.h>
#include <plinth/console.h>
#include <plinth/console_input.h>
#include <plinth/vm.h>

/* Only the boot CPU reads the console: no lock. */
static u32 owner; /* 0: the monitor, n: vms[n - 1] */
static bool escaped;

static u32 partitions(void)
{
	return vm_count && vms[0].partition ? vm_count : 0;
}

void console_input_select(u32 n)
{
	if (n > partitions())
		return;
	owner = n;
	log_info(CONSOLE_FMT_INPUT_OWNER, n ? vms[n - 1].name : "monitor", partitions());
}

/* A byte for VM n; dropped (the UART counts it) when its receive FIFO is full. When it raises
 * the UART's interrupt line, the VM gets the interrupt (a cross-CPU IPI when the VM runs on
 * other CPUs than this one). */
static void to_vm(u32 n, u8 c)
{
	struct vm *vm = &vms[n - 1];
	bool raise;

	spin_lock(&vm->uart_lock);
	vuart_receive(&vm->uart, c);
	raise = vuart_irq_take(&vm->uart);
	spin_unlock(&vm->uart_lock);
	if (raise)
		arch_vm_isa_irq(vm, VUART_ISA_IRQ);
}

int console_input_take(void)
{
	int c;

	while ((c = arch_console_getc()) >= 0) {
		if (!partitions())
			return c;
		if (escaped) {
			escaped = false;
			if (c >= '0' && (u32)(c - '0') <= partitions()) {
				console_input_select((u32)(c - '0'));
				continue;
			}
			if (c != CONSOLE_INPUT_ESCAPE)
				continue; /* Ctrl-A and a key that means nothing: both dropped */
		} else if (c == CONSOLE_INPUT_ESCAPE) {
			escaped = true;
			continue;
		}
		if (!owner)
			return c;
		to_vm(owner, (u8)c);
	}
	return -1;
}
