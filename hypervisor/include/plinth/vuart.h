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
#define VUART_ISA_IRQ 4 /* COM1's IRQ on a PC */
#define VUART_RX_SIZE 64
#define VUART_LINE_MAX 200 /* a longer line is printed in pieces */

struct vuart {
	u8 ier, lcr, mcr, scr, dll, dlm;
	bool thre_irq; /* THR-empty interrupt pending (cleared by reading IIR or writing THR) */
	u8 msr_delta;  /* MSR bits 3:0: modem input changes since MSR was last read */
	bool irq_line; /* the IRQ line: an enabled interrupt pending, and OUT2 set */
	bool irq_rose; /* it rose since vuart_irq_take() */
	u64 irq_edges; /* its rises since reset */
	u8 rx[VUART_RX_SIZE];
	u32 rx_head, rx_count;
	bool rx_overrun;
	char line[VUART_LINE_MAX + 1]; /* NUL-terminated */
	u32 line_len;
	u32 printed;   /* bytes of line already on the console (a prompt shown before its newline) */
	u64 tx_polled; /* tx_bytes at the last vuart_partial_due() */
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
/* Called at a steady period: true when the line holds bytes not yet printed and the guest
 * wrote nothing since the previous call (a prompt waiting for input, or a line in progress
 * that paused). The caller prints line[printed..line_len) and sets printed to line_len. */
bool vuart_partial_due(struct vuart *u);

/* Input from Plinth's console: false (counted, and an overrun error in LSR) when the receive
 * FIFO is full. */
bool vuart_receive(struct vuart *u, u8 byte);

/*
 * The interrupt line (ISA IRQ 4) as the 16550 and a PC drive it: high while IIR identifies an
 * interrupt that IER enables (receiver line status: an overrun until LSR is read; received
 * data available; THR empty, set when THR empties or its enable bit is set, cleared by reading
 * IIR that reports it or by writing THR; modem status: a modem input changed, until MSR is
 * read) and MCR's OUT2 gates it on (never in loopback). Every access and input updates it.
 * vuart_irq_take() says whether it rose since the last call, and forgets: the caller then
 * raises the edge at the VM's I/O APIC (reads and writes hold the same lock as the take).
 */
bool vuart_irq_line(const struct vuart *u);
bool vuart_irq_take(struct vuart *u);

#endif
