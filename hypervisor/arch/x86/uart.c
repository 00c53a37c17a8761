/* 16550 UART: the console's byte sink. Polls LSR.THRE before every byte (no interrupts). */
#include <plinth/arch.h>
#include <x86/cpu.h>
#include <x86/processor.h>
#include <x86/uart.h>

#define FCR_ENABLE_CLEAR 0x07 /* FIFO on, both FIFOs cleared */
#define MCR_DTR_RTS_OUT2 0x0b
#define LSR_DATA_READY BIT(0)

/* Bounded wait for THRE: a UART that never drains must not hang Plinth. */
#define THRE_SPINS 100000

static u16 uart_port = UART_COM1_PORT;
static u16 uart_divisor;
static bool uart_present = true; /* until probed: early output tries COM1 */

bool uart_console(u16 *port, u16 *divisor)
{
	*port = uart_port;
	*divisor = uart_divisor;
	return uart_present;
}

bool arch_console_setup(u16 port, u32 baud)
{
	u16 div = (u16)(ARCH_CONSOLE_BAUD_BASE / baud);

	uart_port = port;
	uart_divisor = div;
	/* The scratch register holds what was written only when a UART is there. */
	outb(port + UART_SCR, 0x5a);
	uart_present = inb(port + UART_SCR) == 0x5a;
	if (!uart_present)
		return false;
	outb(port + UART_IER, 0);
	outb(port + UART_LCR, LCR_DLAB);
	outb(port + UART_DLL, (u8)div);
	outb(port + UART_DLM, (u8)(div >> 8));
	outb(port + UART_LCR, LCR_8N1);
	outb(port + UART_FCR, FCR_ENABLE_CLEAR);
	outb(port + UART_MCR, MCR_DTR_RTS_OUT2);
	return true;
}

void arch_console_putc(char c)
{
	int spins = THRE_SPINS;

	if (!uart_present)
		return;
	while (!(inb(uart_port + UART_LSR) & UART_LSR_THRE) && --spins)
		__builtin_ia32_pause();
	outb(uart_port + UART_THR, (u8)c);
}

int arch_console_getc(void)
{
	if (!uart_present || !(inb(uart_port + UART_LSR) & LSR_DATA_READY))
		return -1;
	return inb(uart_port + UART_THR);
}

