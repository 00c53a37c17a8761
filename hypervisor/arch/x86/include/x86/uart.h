/* The 16550 UART Plinth's console uses (uart.c): its registers (PC16550D datasheet) and, for
 * taking it back from a guest (uart_reclaim.c), where it is and the divisor Plinth set. */
#ifndef X86_UART_H
#define X86_UART_H

#include <plinth/types.h>

#define UART_THR 0 /* transmit holding (DLAB=0) */
#define UART_DLL 0 /* divisor latch low (DLAB=1) */
#define UART_IER 1
#define UART_DLM 1 /* divisor latch high (DLAB=1) */
#define UART_FCR 2
#define UART_LCR 3
#define UART_MCR 4
#define UART_SCR 7
#define UART_PORTS 8 /* the registers' span */

#define LCR_8N1 0x03
#define LCR_DLAB BIT(7)
#define MCR_LOOP BIT(4)

/* The console's port and divisor; false when no UART answered there. */
bool uart_console(u16 *port, u16 *divisor);

#endif
