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
#define IER_RLS BIT(2)	/* receiver line status */
#define IER_MS BIT(3)	/* modem status */
#define IER_MASK 0x0f
/* IIR's interrupt identification, highest priority first (16550D Table 4). */
#define IIR_RLS 0x06
#define IIR_RDA 0x04
#define IIR_THRE 0x02
#define IIR_MS 0x00
#define IIR_NONE 0x01
#define IIR_FIFO 0xc0 /* FIFOs enabled: a 16550A, which Linux then uses as such */
#define LCR_DIVISOR_LATCH BIT(7)
#define MCR_OUT2 BIT(3)
#define MCR_LOOPBACK BIT(4)
#define MCR_MASK 0x1f
#define LSR_DR BIT(0)
#define LSR_OE BIT(1)
#define LSR_THRE BIT(5)
#define LSR_TEMT BIT(6)
#define MSR_PRESENT 0xb0 /* the other side present: CTS, DSR and DCD */
#define MSR_CTS BIT(4)
#define MSR_DSR BIT(5)
#define MSR_RI BIT(6)
#define MSR_DCD BIT(7)
#define MSR_DCTS BIT(0)
#define MSR_DDSR BIT(1)
#define MSR_TERI BIT(2) /* RI went inactive: bit 6 from 1 to 0 */
#define MSR_DDCD BIT(3)
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

/* The interrupt IIR identifies: the enabled one of highest priority. Data waiting is reported
 * as "received data available" whatever the FIFO trigger level (a trigger level of one byte,
 * so no character timeout interrupt): Linux's 8250 driver treats both alike. */
static u8 iir(const struct vuart *u)
{
	if ((u->ier & IER_RLS) && u->rx_overrun)
		return IIR_RLS;
	if ((u->ier & IER_RDA) && u->rx_count)
		return IIR_RDA;
	if ((u->ier & IER_THRE) && u->thre_irq)
		return IIR_THRE;
	if ((u->ier & IER_MS) && u->msr_delta)
		return IIR_MS;
	return IIR_NONE;
}

/* The modem inputs (MSR bits 7:4): the other side present, or in loopback the outputs
 * (RTS->CTS, DTR->DSR, OUT1->RI, OUT2->DCD), which 8250 probing checks. */
static u8 modem_inputs(const struct vuart *u)
{
	if (!(u->mcr & MCR_LOOPBACK))
		return MSR_PRESENT;
	return (u8)(((u->mcr & 0x02) << 3) | ((u->mcr & 0x01) << 5) | ((u->mcr & 0x04) << 4) | ((u->mcr & 0x08) << 4));
}

/* The IRQ line as a PC sees it: the UART's INTR gated by OUT2, which loopback forces inactive
 * (16550D, "MCR": the outputs are forced inactive in loopback). A rise is latched for
 * vuart_irq_take(): the I/O APIC's ISA pins are edge-triggered. */
static void update_line(struct vuart *u)
{
	bool level = iir(u) != IIR_NONE && (u->mcr & (MCR_OUT2 | MCR_LOOPBACK)) == MCR_OUT2;

	if (level && !u->irq_line) {
		u->irq_rose = true;
		u->irq_edges++;
	}
	u->irq_line = level;
}

static u8 reg_read(struct vuart *u, u32 off)
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
		if (v == IIR_THRE)
			u->thre_irq = false;
		return IIR_FIFO | v;
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
		/* Reading MSR clears its change bits, and so the modem status interrupt. */
		v = modem_inputs(u) | u->msr_delta;
		u->msr_delta = 0;
		return v;
	case REG_SCR:
		return u->scr;
	default:
		return 0xff;
	}
}

u8 vuart_read(struct vuart *u, u32 off)
{
	u8 v = reg_read(u, off);

	update_line(u);
	return v;
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

/* A change of the modem inputs sets MSR's change bits (16550D, "MSR"). */
static void set_mcr(struct vuart *u, u8 val)
{
	u8 before = modem_inputs(u), after, changed;

	u->mcr = val & MCR_MASK;
	after = modem_inputs(u);
	changed = before ^ after;
	u->msr_delta |= (changed & MSR_CTS ? MSR_DCTS : 0) | (changed & MSR_DSR ? MSR_DDSR : 0) |
			((before & MSR_RI) && !(after & MSR_RI) ? MSR_TERI : 0) | (changed & MSR_DCD ? MSR_DDCD : 0);
}

static bool reg_write(struct vuart *u, u32 off, u8 val)
{
	switch (off) {
	case REG_DATA:
		if (u->lcr & LCR_DIVISOR_LATCH) {
			u->dll = val;
			return false;
		}
		/* Writing THR clears the THR-empty interrupt; the byte leaves at once, so THR is
		 * empty again and the interrupt is back: the line falls and rises, as a real
		 * 16550's does once its transmitter has taken the byte. */
		u->thre_irq = false;
		update_line(u);
		u->thre_irq = true;
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
		set_mcr(u, val);
		return false;
	case REG_SCR:
		u->scr = val;
		return false;
	default:
		return false; /* LSR and MSR are read-only */
	}
}

bool vuart_write(struct vuart *u, u32 off, u8 val)
{
	bool line = reg_write(u, off, val);

	update_line(u);
	return line;
}

void vuart_line_done(struct vuart *u)
{
	u->line_len = u->printed = 0;
	u->line[0] = '\0';
}

bool vuart_partial_due(struct vuart *u)
{
	bool idle = u->tx_bytes == u->tx_polled;

	u->tx_polled = u->tx_bytes;
	return idle && u->line_len > u->printed;
}

bool vuart_receive(struct vuart *u, u8 byte)
{
	bool room = u->rx_count < VUART_RX_SIZE;

	rx_push(u, byte); /* a full FIFO: dropped, counted, and an overrun in LSR */
	if (room)
		u->rx_bytes++;
	update_line(u);
	return room;
}

bool vuart_irq_line(const struct vuart *u)
{
	return u->irq_line;
}

bool vuart_irq_take(struct vuart *u)
{
	bool rose = u->irq_rose;

	u->irq_rose = false;
	return rose;
}
