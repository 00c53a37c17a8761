/*
 * The guest's console: COM1, polled. The loader (Plinth, GRUB or QEMU's firmware) has set
 * the UART up (Plinth: 115200 8N1), so it is not reprogrammed here. Lines end in a bare \n;
 * the harness does not need \r.
 */
#include <stdarg.h>
#include <plinth/format.h>
#include "console.h"
#include "x86.h"

#define COM1 0x3f8
#define UART_THR 0 /* transmit holding register */
#define UART_LSR 5 /* line status register */
#define UART_LSR_THRE BIT(5)
#define UART_LSR_TEMT BIT(6) /* holding and shift registers both empty */
/* Far beyond the time a few bytes take at 115200 baud; a missing UART reads 0xff anyway. */
#define DRAIN_POLL_LIMIT 10000000u

static void console_putc(char c)
{
	/* Poll THRE before every byte: Bochs's socket backend drops bytes written too early. */
	while (!(inb(COM1 + UART_LSR) & UART_LSR_THRE))
		cpu_relax();
	outb(COM1 + UART_THR, (u8)c);
}

void console_write(const char *s, size_t len)
{
	while (len--)
		console_putc(*s++);
}

void console_printf(const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	int len;

	va_start(ap, fmt);
	len = vformat(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (len < 0)
		return;
	console_write(buf, MIN((size_t)len, sizeof(buf) - 1));
}

void console_drain(void)
{
	for (u32 n = 0; n < DRAIN_POLL_LIMIT && !(inb(COM1 + UART_LSR) & UART_LSR_TEMT); n++)
		cpu_relax();
}
