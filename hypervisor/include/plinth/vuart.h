/*
 * An emulated 16550 UART (core/vuart.c): each VM of a configuration gets one at COM1, so that
 * Plinth keeps the physical serial port. Output bytes are collected into lines that Plinth
 * prints with the VM's "[NAME] " prefix; input bytes come from Plinth's console when the VM
 * has the input (Ctrl-A N). Registers as the 16550 data sheet (and Linux's 8250 driver) use
 * them; the modem lines read as a null-modem cable with the other side present. Pure: the
 * I/O exit glue lives in arch, the printing in the console; host-tested.
 */
#ifndef PLINTH_VUART_H
#define PLINTH_VUART_H

#include <plinth/types.h>

#define VUART_PORT_BASE 0x3f8 /* COM1 */
#define VUART_PORT_COUNT 8
#define VUART_RX_SIZE 64
#define VUART_LINE_MAX 200 /* a longer line is printed in pieces */

struct vuart {
	u8 ier, lcr, mcr, scr, dll, dlm;
	bool thre_irq; /* THR-empty interrupt pending (cleared by reading IIR or writing THR) */
	u8 rx[VUART_RX_SIZE];
	u32 rx_head, rx_count;
	bool rx_overrun;
	char line[VUART_LINE_MAX + 1]; /* NUL-terminated */
	u32 line_len;
	u64 tx_bytes, rx_bytes, rx_dropped;
};

/* The UART after reset; its line buffer empty. */
void vuart_reset(struct vuart *u);

/* A guest's byte read of register off (0..7, the port minus VUART_PORT_BASE). */
u8 vuart_read(struct vuart *u, u32 off);
/* A guest's byte write. Returns true when u->line holds a whole line to print (u->line_len
 * bytes and a NUL, without its newline); the caller prints it and calls vuart_line_done(). */
bool vuart_write(struct vuart *u, u32 off, u8 val);
void vuart_line_done(struct vuart *u);

/* Input from Plinth's console: false (and counted) when the receive FIFO is full. */
bool vuart_receive(struct vuart *u, u8 byte);
/* Whether the UART asks for an interrupt (IRQ 4), per IER and what is pending. */
bool vuart_irq_pending(const struct vuart *u);

#endif
