// sources: hypervisor/core/vuart.c
/* The emulated 16550: output lines, input, the registers Linux's 8250 driver probes, and its
 * interrupt line (IIR priorities, the THR-empty rules, OUT2 gating, edges for the I/O APIC). */
#include <plinth/vuart.h>

#include "test.h"

static struct vuart u;

static bool puts_line(const char *s)
{
	bool ready = false;

	while (*s)
		ready = vuart_write(&u, 0, (u8)*s++);
	return ready;
}

TEST(output_is_collected_into_lines)
{
	vuart_reset(&u);
	CHECK(!puts_line("hello\r"));
	CHECK(puts_line("\n"));
	CHECK_EQ_U64(u.line_len, 5);
	CHECK(!memcmp(u.line, "hello", 5));
	vuart_line_done(&u);
	CHECK(!puts_line("\x1b[2Jx"));
	CHECK(!memcmp(u.line, "?[2Jx", 5)); /* no escape sequences reach Plinth's console */
	CHECK_EQ_U64(u.tx_bytes, 12);
}

TEST(a_long_line_comes_in_pieces)
{
	u32 i;
	bool ready = false;

	vuart_reset(&u);
	for (i = 0; i < VUART_LINE_MAX && !ready; i++)
		ready = vuart_write(&u, 0, 'a');
	CHECK(ready);
	CHECK_EQ_U64(i, VUART_LINE_MAX);
}

TEST(transmitter_is_always_empty)
{
	vuart_reset(&u);
	CHECK_EQ_U64(vuart_read(&u, 5) & 0x60, 0x60);
	CHECK_EQ_U64(vuart_read(&u, 5) & 1, 0);
}

TEST(input_reaches_the_guest_in_order)
{
	vuart_reset(&u);
	CHECK(vuart_receive(&u, 'o'));
	CHECK(vuart_receive(&u, 'k'));
	CHECK_EQ_U64(vuart_read(&u, 5) & 1, 1);
	CHECK_EQ_U64(vuart_read(&u, 0), 'o');
	CHECK_EQ_U64(vuart_read(&u, 0), 'k');
	CHECK_EQ_U64(vuart_read(&u, 5) & 1, 0);
}

TEST(a_full_fifo_drops_and_says_so)
{
	u32 i;

	vuart_reset(&u);
	for (i = 0; i < VUART_RX_SIZE; i++)
		CHECK(vuart_receive(&u, (u8)i));
	CHECK(!vuart_receive(&u, 0xaa));
	CHECK_EQ_U64(u.rx_dropped, 1);
	CHECK_EQ_U64(vuart_read(&u, 0), 0);
}

TEST(divisor_latch_and_scratch)
{
	vuart_reset(&u);
	vuart_write(&u, 3, 0x80); /* DLAB */
	vuart_write(&u, 0, 0x01);
	vuart_write(&u, 1, 0x00);
	CHECK_EQ_U64(vuart_read(&u, 0), 0x01);
	CHECK_EQ_U64(vuart_read(&u, 1), 0x00);
	vuart_write(&u, 3, 0x03);
	CHECK_EQ_U64(vuart_read(&u, 3), 0x03);
	CHECK(!u.line_len); /* a divisor write is no output */
	vuart_write(&u, 7, 0x5a);
	CHECK_EQ_U64(vuart_read(&u, 7), 0x5a);
}

TEST(probes_as_a_16550a_with_loopback)
{
	vuart_reset(&u);
	vuart_write(&u, 1, 0x0f);
	CHECK_EQ_U64(vuart_read(&u, 1), 0x0f);
	vuart_write(&u, 1, 0);
	CHECK_EQ_U64(vuart_read(&u, 1), 0);
	vuart_write(&u, 2, 0xe7); /* FIFOs on */
	CHECK_EQ_U64(vuart_read(&u, 2) >> 6, 3);
	vuart_write(&u, 4, 0x1a); /* loopback, OUT2, RTS */
	CHECK_EQ_U64(vuart_read(&u, 6) & 0xf0, 0x90);
	vuart_write(&u, 0, 'x'); /* loops back, is not printed */
	CHECK_EQ_U64(vuart_read(&u, 0), 'x');
	CHECK(!u.line_len);
	vuart_write(&u, 4, 0x0b);
	CHECK_EQ_U64(vuart_read(&u, 6), 0xb2); /* DSR came back: its change bit */
	CHECK_EQ_U64(vuart_read(&u, 6), 0xb0); /* reading MSR cleared it */
}

#define IER 1
#define IIR 2
#define MCR 4
#define LSR 5
#define MSR 6
#define OUT2 0x08

static u32 iir_id(void)
{
	return vuart_read(&u, IIR) & 0x0f;
}

/* Reset, OUT2 on, IER as given; no rise left over. */
static void setup(u8 ier)
{
	vuart_reset(&u);
	vuart_write(&u, MCR, OUT2);
	vuart_write(&u, IER, ier);
}

TEST(interrupts_follow_ier)
{
	setup(0);
	CHECK(!vuart_irq_line(&u));
	vuart_write(&u, IER, 0x01); /* received data */
	CHECK(!vuart_irq_line(&u));
	vuart_receive(&u, 'a');
	CHECK(vuart_irq_line(&u));
	CHECK_EQ_U64(iir_id(), 0x04);
	vuart_read(&u, 0);
	CHECK(!vuart_irq_line(&u));
	vuart_write(&u, IER, 0x03); /* and THR empty: pending at once */
	CHECK(vuart_irq_line(&u));
	CHECK_EQ_U64(iir_id(), 0x02);
	CHECK(!vuart_irq_line(&u)); /* reading IIR took it */
	CHECK_EQ_U64(iir_id(), 0x01);
	vuart_write(&u, 0, 'z');
	CHECK(vuart_irq_line(&u));
}

TEST(iir_reports_the_highest_priority_first)
{
	u32 i;

	setup(0x0f);
	CHECK_EQ_U64(iir_id(), 0x02); /* THR empty from enabling it */
	for (i = 0; i <= VUART_RX_SIZE; i++)
		vuart_receive(&u, 'x'); /* one too many: an overrun */
	vuart_write(&u, MCR, OUT2 | 0x01); /* DTR: no modem input changes outside loopback */
	vuart_write(&u, 0, 'y');	   /* THR empty again */
	CHECK_EQ_U64(iir_id(), 0x06);	   /* receiver line status */
	CHECK_EQ_U64(vuart_read(&u, LSR) & 0x03, 0x03); /* overrun and data; reading LSR clears OE */
	CHECK_EQ_U64(iir_id(), 0x04);			/* then received data */
	vuart_write(&u, 2, 0x03);			/* FCR: clear the receive FIFO */
	CHECK_EQ_U64(iir_id(), 0x02);			/* then THR empty, which the read clears */
	CHECK_EQ_U64(iir_id(), 0x01);
	CHECK(!vuart_irq_line(&u));
}

TEST(modem_status_interrupt_in_loopback)
{
	setup(0x08);
	CHECK(!vuart_irq_line(&u));
	vuart_write(&u, MCR, 0x10 | 0x02); /* loopback with RTS: CTS stays, DSR and DCD go */
	CHECK_EQ_U64(iir_id(), 0x00);	   /* modem status pending... */
	CHECK(!vuart_irq_line(&u));	   /* ...but loopback keeps the line down */
	CHECK_EQ_U64(vuart_read(&u, MSR) & 0x0f, 0x0a);
	CHECK_EQ_U64(iir_id(), 0x01);
	vuart_write(&u, MCR, 0x10 | 0x04); /* OUT1 -> RI on, CTS off */
	CHECK_EQ_U64(vuart_read(&u, MSR) & 0x0f, 0x01);
	vuart_write(&u, MCR, 0x10); /* RI off: its trailing edge */
	CHECK_EQ_U64(vuart_read(&u, MSR) & 0x0f, 0x04);
}

TEST(out2_gates_the_line)
{
	vuart_reset(&u);
	vuart_write(&u, IER, 0x01);
	vuart_receive(&u, 'a');
	CHECK_EQ_U64(iir_id(), 0x04); /* pending... */
	CHECK(!vuart_irq_line(&u));   /* ...but OUT2 is off */
	CHECK(!vuart_irq_take(&u));
	vuart_write(&u, MCR, OUT2);
	CHECK(vuart_irq_line(&u));
	CHECK(vuart_irq_take(&u)); /* setting OUT2 raised it */
	vuart_write(&u, MCR, OUT2 | 0x10);
	CHECK(!vuart_irq_line(&u)); /* loopback gates it off too */
}

TEST(edges_rise_once_per_rise)
{
	setup(0x01);
	CHECK(!vuart_irq_take(&u));
	vuart_receive(&u, 'a');
	CHECK(vuart_irq_take(&u));
	CHECK(!vuart_irq_take(&u)); /* taken */
	vuart_receive(&u, 'b');
	CHECK(!vuart_irq_take(&u)); /* the line was high already: no new edge */
	vuart_read(&u, 0);
	vuart_read(&u, 0);
	CHECK(!vuart_irq_line(&u));
	vuart_receive(&u, 'c');
	CHECK(vuart_irq_take(&u)); /* low, then high again */
	CHECK_EQ_U64(u.irq_edges, 2);
}

TEST(thr_empty_interrupt_as_linux_transmits)
{
	u32 i;

	/* The 8250 driver's start: THRI enabled with THR empty raises it; its handler reads IIR
	 * (clearing it) and writes bytes, each of which empties THR again: a new edge each. */
	setup(0x01);
	CHECK(!vuart_irq_take(&u));
	vuart_write(&u, IER, 0x03);
	CHECK(vuart_irq_take(&u));
	CHECK_EQ_U64(iir_id(), 0x02);
	CHECK(!vuart_irq_line(&u));
	for (i = 0; i < 3; i++) {
		vuart_write(&u, 0, 'a');
		CHECK(vuart_irq_take(&u));
	}
	/* Writing THR while the interrupt is still pending drops and raises the line: an edge. */
	vuart_write(&u, 0, 'b');
	CHECK(vuart_irq_take(&u));
	/* A pending receive interrupt holds the line up through the THR write: no edge. */
	vuart_receive(&u, 'r');
	CHECK(!vuart_irq_take(&u));
	vuart_write(&u, 0, '\n');
	CHECK(!vuart_irq_take(&u));
	vuart_write(&u, IER, 0x01); /* buffer empty: the driver stops the THR interrupt */
	vuart_read(&u, 0);
	CHECK(!vuart_irq_line(&u));
	/* Enabling THRI again while THR is empty sets it again: the THRE test Linux runs at
	 * startup sees it re-asserted (no UART_BUG_THRE). */
	vuart_write(&u, IER, 0x02);
	CHECK_EQ_U64(iir_id(), 0x02);
	vuart_write(&u, IER, 0x00);
	vuart_write(&u, IER, 0x02);
	CHECK_EQ_U64(iir_id(), 0x02);
}

TEST(reset_lowers_the_line)
{
	setup(0x02);
	CHECK(vuart_irq_line(&u));
	vuart_reset(&u);
	CHECK(!vuart_irq_line(&u));
	CHECK(!vuart_irq_take(&u));
	CHECK_EQ_U64(u.irq_edges, 0);
}

TEST(a_paused_unfinished_line_is_due_once)
{
	vuart_reset(&u);
	CHECK(!vuart_partial_due(&u)); /* nothing written */
	puts_line("guest# ");
	CHECK(!vuart_partial_due(&u)); /* bytes came since the last period: the line may go on */
	CHECK(vuart_partial_due(&u));  /* a period without a byte: show it */
	u.printed = u.line_len;
	CHECK(!vuart_partial_due(&u)); /* shown: nothing new */
	puts_line("ls");
	CHECK(!vuart_partial_due(&u));
	CHECK(vuart_partial_due(&u));
	CHECK(!strcmp(u.line + u.printed, "ls"));
	u.printed = u.line_len;
	CHECK(vuart_write(&u, 0, '\n'));
	CHECK_EQ_U64(u.line_len, u.printed); /* the line's end: only its newline is left */
	vuart_line_done(&u);
	CHECK_EQ_U64(u.printed, 0);
}
