/* The emulated 16550; see plinth/vuart.h. Register layout: 16550D data sheet, "Register
 * Description"; what Linux's 8250 driver probes for is noted where it matters. */
#include <plinth/string.h>
#include <plinth/vuart.h>

#define REG_DATA 0 /* RBR (read), THR (write); DLL with DLAB */
#define REG_IER 1  /* DLM with DLAB */
#define REG_IIR 2  /* IIR (read), FCR (write) */
#define REG_LCR 3
#define REG_MCR 4
#define REG_LSR 5
#define REG_MSR 6
#define REG_SCR 7

#define IER_RDA BIT(0)	/* received data available */
#define IER_THRE BIT(1) /* transmitter holding register empty */
#define IER_MASK 0x0f
#define IIR_NONE 0x01
#define IIR_THRE 0x02
#define IIR_RDA 0x04
#define IIR_FIFO 0xc0 /* FIFOs enabled: a 16550A, which Linux then uses as such */
#define LCR_DIVISOR_LATCH BIT(7)
#define MCR_LOOPBACK BIT(4)
#define MCR_MASK 0x1f
#define LSR_DR BIT(0)
#define LSR_OE BIT(1)
#define LSR_THRE BIT(5)
#define LSR_TEMT BIT(6)
/* Modem status with the other side present: CTS, DSR and DCD; in loopback the outputs
 * come back as inputs (RTS->CTS, DTR->DSR, OUT1->RI, OUT2->DCD), which 8250 probing checks. */
#define MSR_PRESENT 0xb0
#define FCR_CLEAR_RX BIT(1)

void vuart_reset(struct vuart *u)
{
	memset(u, 0, sizeof(*u));
	u->dll = 12; /* 9600 baud, as after a 16550 reset: nothing reads it but the guest */
}

static bool rx_pop(struct vuart *u, u8 *b)
{
	if (!u->rx_count)
		return false;
	*b = u->rx[u->rx_head];
	u->rx_head = (u->rx_head + 1) % VUART_RX_SIZE;
	u->rx_count--;
	return true;
}

static void rx_push(struct vuart *u, u8 b)
{
	if (u->rx_count == VUART_RX_SIZE) {
		u->rx_overrun = true;
		u->rx_dropped++;
		return;
	}
	u->rx[(u->rx_head + u->rx_count) % VUART_RX_SIZE] = b;
	u->rx_count++;
}

static u8 iir(struct vuart *u)
{
	if ((u->ier & IER_RDA) && u->rx_count)
		return IIR_FIFO | IIR_RDA;
	if ((u->ier & IER_THRE) && u->thre_irq)
		return IIR_FIFO | IIR_THRE;
	return IIR_FIFO | IIR_NONE;
}

u8 vuart_read(struct vuart *u, u32 off)
{
	u8 v = 0;

	switch (off) {
	case REG_DATA:
		if (u->lcr & LCR_DIVISOR_LATCH)
			return u->dll;
		rx_pop(u, &v);
		return v;
	case REG_IER:
		return (u->lcr & LCR_DIVISOR_LATCH) ? u->dlm : u->ier;
	case REG_IIR:
		v = iir(u);
		/* Reading IIR while it reports THR empty clears that interrupt (16550D). */
		if ((v & 0x0f) == IIR_THRE)
			u->thre_irq = false;
		return v;
	case REG_LCR:
		return u->lcr;
	case REG_MCR:
		return u->mcr;
	case REG_LSR:
		/* Output is taken at once, so the transmitter is always empty. */
		v = LSR_THRE | LSR_TEMT | (u->rx_count ? LSR_DR : 0) | (u->rx_overrun ? LSR_OE : 0);
		u->rx_overrun = false;
		return v;
	case REG_MSR:
		if (u->mcr & MCR_LOOPBACK)
			return (u8)(((u->mcr & 0x02) << 3) | ((u->mcr & 0x01) << 5) | ((u->mcr & 0x04) << 4) |
				    ((u->mcr & 0x08) << 4));
		return MSR_PRESENT;
	case REG_SCR:
		return u->scr;
	default:
		return 0xff;
	}
}

/* One transmitted byte: into the line buffer; true when a line is ready. */
static bool transmit(struct vuart *u, u8 b)
{
	u->tx_bytes++;
	if (b == '\n')
		return true;
	if (b == '\r')
		return false; /* Plinth's console ends lines itself */
	/* Other control characters would let a guest move the cursor over Plinth's lines. */
	u->line[u->line_len++] = (b >= 0x20 && b < 0x7f) || b == '\t' ? (char)b : '?';
	u->line[u->line_len] = '\0';
	return u->line_len == VUART_LINE_MAX;
}

bool vuart_write(struct vuart *u, u32 off, u8 val)
{
	switch (off) {
	case REG_DATA:
		if (u->lcr & LCR_DIVISOR_LATCH) {
			u->dll = val;
			return false;
		}
		u->thre_irq = true; /* the byte is gone at once: THR is empty again */
		if (u->mcr & MCR_LOOPBACK) {
			rx_push(u, val);
			return false;
		}
		return transmit(u, val);
	case REG_IER:
		if (u->lcr & LCR_DIVISOR_LATCH) {
			u->dlm = val;
		} else {
			/* Enabling the THRE interrupt with THR empty raises it (16550D). */
			if ((val & IER_THRE) && !(u->ier & IER_THRE))
				u->thre_irq = true;
			u->ier = val & IER_MASK;
		}
		return false;
	case REG_IIR:
		if (val & FCR_CLEAR_RX)
			u->rx_count = 0;
		return false;
	case REG_LCR:
		u->lcr = val;
		return false;
	case REG_MCR:
		u->mcr = val & MCR_MASK;
		return false;
	case REG_SCR:
		u->scr = val;
		return false;
	default:
		return false; /* LSR and MSR are read-only */
	}
}

void vuart_line_done(struct vuart *u)
{
	u->line_len = 0;
	u->line[0] = '\0';
}

bool vuart_receive(struct vuart *u, u8 byte)
{
	if (u->rx_count == VUART_RX_SIZE) {
		u->rx_dropped++;
		return false;
	}
	rx_push(u, byte);
	u->rx_bytes++;
	return true;
}

bool vuart_irq_pending(const struct vuart *u)
{
	return ((u->ier & IER_RDA) && u->rx_count) || ((u->ier & IER_THRE) && u->thre_irq);
}
