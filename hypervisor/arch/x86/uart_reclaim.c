/*
 * Taking the console back. In the default VM the guest owns the same UART as Plinth (passed
 * through): it may have changed the divisor, the line format, or put the UART in loopback,
 * which would silence Plinth's stop report and cut the monitor's input. Before Plinth reports,
 * once the VM's vCPUs are out of guest mode, it sets the UART up again if any of that changed,
 * and says so.
 */
#include <console_proto.h>
#include <plinth/arch.h>
#include <plinth/console.h>
#include <x86/cpu.h>
#include <x86/uart.h>

void arch_console_reclaim(void)
{
	u16 port, divisor, div;
	u8 lcr, mcr, ier;

	if (!uart_console(&port, &divisor))
		return;
	/* What decides whether Plinth's bytes reach the line and the line's reach Plinth: the
	 * format, break and DLAB (LCR), the divisor, loopback (MCR). IER does not matter (Plinth
	 * polls) but is reported. */
	lcr = inb(port + UART_LCR);
	outb(port + UART_LCR, lcr | LCR_DLAB);
	div = (u16)(inb(port + UART_DLL) | inb(port + UART_DLM) << 8);
	outb(port + UART_LCR, lcr & ~LCR_DLAB);
	ier = inb(port + UART_IER);
	mcr = inb(port + UART_MCR);
	if (lcr == LCR_8N1 && div == divisor && !(mcr & MCR_LOOP))
		return;
	arch_console_setup(port, ARCH_CONSOLE_BAUD_BASE / divisor);
	log_notice(CONSOLE_FMT_CONSOLE_RECLAIMED, port, lcr, mcr, ier, div);
}
