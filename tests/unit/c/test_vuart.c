// sources: hypervisor/core/vuart.c
/* The emulated 16550: output lines, input, the registers Linux's 8250 driver probes. */
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
	CHECK_EQ_U64(vuart_read(&u, 6), 0xb0);
}

TEST(interrupts_follow_ier)
{
	vuart_reset(&u);
	CHECK(!vuart_irq_pending(&u));
	vuart_write(&u, 1, 0x01); /* received data */
	CHECK(!vuart_irq_pending(&u));
	vuart_receive(&u, 'a');
	CHECK(vuart_irq_pending(&u));
	CHECK_EQ_U64(vuart_read(&u, 2) & 0x0f, 0x04);
	vuart_read(&u, 0);
	CHECK(!vuart_irq_pending(&u));
	vuart_write(&u, 1, 0x03); /* and THR empty: pending at once */
	CHECK(vuart_irq_pending(&u));
	CHECK_EQ_U64(vuart_read(&u, 2) & 0x0f, 0x02);
	CHECK(!vuart_irq_pending(&u)); /* reading IIR took it */
	CHECK_EQ_U64(vuart_read(&u, 2) & 0x0f, 0x01);
	vuart_write(&u, 0, 'z');
	CHECK(vuart_irq_pending(&u));
}
