/*
 * Checks for a guest in a partition (a VM of a configuration, docs/config.md):
 * - partition: the memory map is the VM's RAM in a PC's shape and nothing else: exactly
 *   available 0-0x9f000, reserved 0x9f000-1 MiB (the VM's ACPI tables), available from 1 MiB
 *   to the size the command line's ram= word says (K/M suffix), without a gap; no modules; no PCI function is the VM's (the host bridge at 00:00.0 reads as absent through
 *   0xcf8/0xcfc, while the address register reads back what the VM wrote); prints the CPU's
 *   APIC id (which CPU of the machine this VM has).
 * - echo: reads a line from COM1 (Plinth's emulated 16550 when the VM has the console's
 *   input) and prints it back; wait reads one that must be "go", to hold the checks after it
 *   until the harness says so, with a logical APIC id set that another VM's logical IPIs
 *   would name if Plinth let them through.
 * - apic_cross_page: writes to the local APIC (whose page a partition keeps write-trapped) by
 *   instructions that cross a page boundary, MOV r32 with its opcode the last byte of a page and
 *   MOV imm32 with its immediate split, take effect: Plinth fetches the bytes from both pages.
 */
#include <plinth/string.h>
#include "checks.h"
#include "console.h"
#include "hostile.h"
#include "pit.h"
#include "x86.h"

#define COM1 0x3f8
#define PCI_CONFIG_ADDRESS 0xcf8
#define PCI_CONFIG_DATA 0xcfc
#define PCI_HOST_BRIDGE_ID 0x80000000u /* enable, bus 0, device 0, function 0, register 0 */
#define UART_RBR 0
#define UART_LSR 5
#define UART_LSR_DR 0x01
#define LINE_MAX 80
#define POLL_GAP_US 10000

/* The value of word key= in the command line as a size (a K, M or G suffix), or 0. */
static u64 cmdline_size(const char *key)
{
	const char *s = guest_cmdline;
	size_t klen = strlen(key);
	u64 n = 0;

	while (*s && memcmp(s, key, klen))
		s++;
	if (!*s)
		return 0;
	for (s += klen; *s >= '0' && *s <= '9'; s++)
		n = n * 10 + (u64)(*s - '0');
	if (*s == 'K')
		n <<= 10;
	else if (*s == 'M')
		n <<= 20;
	else if (*s == 'G')
		n <<= 30;
	return n;
}

/* The map a partition's guest must see (plinth/guest_map.h), entry by entry; the last entry
 * ends at ram=. */
#define MMAP_RESERVED 2
static const struct {
	u64 start, end;
	u32 type;
} want_map[] = { { 0, 0x9f000, MB1_MMAP_AVAILABLE },
		 { 0x9f000, 0x100000, MMAP_RESERVED },
		 { 0x100000, 0, MB1_MMAP_AVAILABLE } };

void check_partition(void)
{
	const struct mb1_info *mbi = boot_mbi;
	u64 ram = cmdline_size("ram="), end = 0, pos, stop;
	u32 n = 0;

	if (!check_expect(ram > 0x100000, "no ram=SIZE word (above 1 MiB) on the command line") ||
	    !check_expect(mbi && (mbi->flags & MB1_INFO_MMAP), "no memory map (flag bit 6)"))
		return;
	for (pos = mbi->mmap_addr, stop = pos + mbi->mmap_length; pos + sizeof(struct mb1_mmap_entry) <= stop; n++) {
		const struct mb1_mmap_entry *e = (const void *)pos;

		check_info("mmap 0x%016lx-0x%016lx type %u", e->addr, e->addr + e->len, e->type);
		if (n < ARRAY_SIZE(want_map)) {
			u64 want_end = want_map[n].end ? want_map[n].end : ram;

			check_expect(e->addr == want_map[n].start && e->addr + e->len == want_end &&
					     e->type == want_map[n].type,
				     "entry %u is 0x%lx-0x%lx type %u, not 0x%lx-0x%lx type %u", n, e->addr,
				     e->addr + e->len, e->type, want_map[n].start, want_end, want_map[n].type);
		}
		end = e->addr + e->len;
		pos += (u64)e->size + sizeof(e->size);
	}
	check_expect(n == ARRAY_SIZE(want_map), "the map has %u entries, not %u", n, (u32)ARRAY_SIZE(want_map));
	check_expect(!(mbi->flags & MB1_INFO_MODS) || mbi->mods_count == 0, "%u modules: none are this VM's",
		     mbi->mods_count);
	outl(PCI_CONFIG_ADDRESS, PCI_HOST_BRIDGE_ID);
	pos = inl(PCI_CONFIG_DATA);
	check_expect(pos == 0xffffffffu, "the host bridge's ID register reads 0x%lx: a function that is not the VM's", pos);
	pos = inl(PCI_CONFIG_ADDRESS);
	check_expect(pos == PCI_HOST_BRIDGE_ID, "the PCI address register reads 0x%lx after 0x%x was written", pos,
		     PCI_HOST_BRIDGE_ID);
	check_info("partition: %lu MiB of RAM from 0, APIC id %u", end >> 20, CPUID_1_EBX_APIC_ID(cpuid_leaf(1).ebx));
}

void guest_read_line(char *buf, u32 max)
{
	u32 len = 0;

	for (;;) {
		char c;

		while (!(inb(COM1 + UART_LSR) & UART_LSR_DR))
			pit_delay_us(POLL_GAP_US); /* an exit less often: in Bochs, exits cost other VMs' wall time */
		c = (char)inb(COM1 + UART_RBR);
		if (c == '\r' || c == '\n') {
			if (len)
				break;
			continue;
		}
		if (len + 1 < max)
			buf[len++] = c;
	}
	buf[len] = '\0';
}

void check_echo(void)
{
	char line[LINE_MAX];

	console_printf("guest: echo: ready\n");
	guest_read_line(line, sizeof(line));
	check_info("echo: '%s'", line);
	check_expect(line[0] != '\0', "an empty line");
}

void check_wait(void)
{
	char line[LINE_MAX];

	/* A logical id (flat model, bit 0) that a leaked logical IPI of another VM would match. */
	apic_write(APIC_DFR, 0xffffffffu);
	apic_write(APIC_LDR, 1u << 24);

	console_printf("guest: wait: ready\n");
	guest_read_line(line, sizeof(line));
	check_expect(!strcmp(line, "go"), "read '%s', not 'go'", line);
}

#define CODE_PAGE 4096
#define CROSS_LINEAR 0x40200000ull /* a 2 MiB page of the identity map beyond any test VM's RAM */
#define PTE_P BIT(0)
#define PTE_RW BIT(1)
#define PTE_PS BIT(7)

/* The guest's page-directory entry for linear (entry.S's identity map: 2 MiB pages). */
static volatile u64 *pde_of(u64 linear)
{
	u64 *pml4 = (u64 *)(read_cr3() & ~0xfffull);
	u64 *pdpt = (u64 *)(pml4[(linear >> 39) & 511] & ~0xfffull);
	u64 *pd = (u64 *)(pdpt[(linear >> 30) & 511] & ~0xfffull);

	return &pd[(linear >> 21) & 511];
}

void check_apic_cross_page(void)
{
	/* Two pages of code mapped swapped at CROSS_LINEAR (its first page is code's second), so
	 * that the two linear pages of an instruction are not physically adjacent: bytes read past
	 * the first page's end in guest-physical memory would be the wrong ones. */
	static u8 code[2 * CODE_PAGE] __aligned(CODE_PAGE);
	static u64 pt[512] __aligned(CODE_PAGE);
	static const u8 mov_r32[] = { 0x89, 0x02, 0xc3 };			    /* mov %eax, (%rdx); ret */
	static const u8 mov_imm32[] = { 0xc7, 0x02, 0x50, 0x00, 0x00, 0x00, 0xc3 }; /* movl $0x50, (%rdx); ret */
	u64 tpr = apic_base_address() + APIC_TPR, saved;
	volatile u32 *reg = (volatile u32 *)tpr;
	volatile u64 *pde = pde_of(CROSS_LINEAR);
	u32 i;

	if (!check_expect(*pde & PTE_PS, "the page directory entry of 0x%llx is not a 2 MiB page", CROSS_LINEAR))
		return;
	saved = *pde;
	memset(pt, 0, sizeof(pt));
	pt[0] = (u64)&code[CODE_PAGE] | PTE_P | PTE_RW;
	pt[1] = (u64)&code[0] | PTE_P | PTE_RW;
	*pde = (u64)pt | PTE_P | PTE_RW;
	for (i = 0; i < 2; i++)
		asm volatile("invlpg (%0)" : : "r"(CROSS_LINEAR + i * CODE_PAGE) : "memory");

	/* MOV r32: the opcode ends linear page 0 (code's second page), ModRM and RET start page 1. */
	code[2 * CODE_PAGE - 1] = mov_r32[0];
	memcpy(code, mov_r32 + 1, sizeof(mov_r32) - 1);
	asm volatile("call *%2" : : "a"(0x30), "d"(tpr), "r"(CROSS_LINEAR + CODE_PAGE - 1) : "memory");
	check_expect(*reg == 0x30, "MOV r32 across a page boundary: TPR 0x%x", *reg);
	/* MOV imm32: opcode, ModRM and two immediate bytes on page 0, the rest on page 1. */
	memcpy(&code[2 * CODE_PAGE - 4], mov_imm32, 4);
	memcpy(code, mov_imm32 + 4, sizeof(mov_imm32) - 4);
	asm volatile("call *%1" : : "d"(tpr), "r"(CROSS_LINEAR + CODE_PAGE - 4) : "memory");
	check_expect(*reg == 0x50, "MOV imm32 split across a page boundary: TPR 0x%x", *reg);
	*reg = 0;

	*pde = saved;
	for (i = 0; i < 2; i++)
		asm volatile("invlpg (%0)" : : "r"(CROSS_LINEAR + i * CODE_PAGE) : "memory");
}
