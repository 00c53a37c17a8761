/*
 * Control registers and modes Plinth emulates (issue 13, findings 5 and 9), and the task switch
 * it does not (finding 4). Every CR0 write here flips CR0.NE against what the guest has, a bit
 * Plinth owns (VMX fixes it to 1), so the write exits and Plinth emulates all of it:
 * - cr0: clearing CR0.PG in 64-bit mode, and CR0.NW without CR0.CD, are #GP(0) (SDM Vol. 2,
 *   MOV to CR0), and leave CR0 as it was; a plain NE change goes through.
 * - cr_legacy (lab32.S, legacy 32-bit protected mode): CR0.PG with EFER.LME=1 and CR4.PAE=0
 *   is #GP(0) (Plinth used to write it into the VMCS, and the VM entry failed); PAE paging
 *   switched on by an exiting write works, because Plinth loads the PDPTEs as the CPU does
 *   (read through an alias mapping); a PDPTE with a reserved bit is #GP(0).
 * - cpuid_wrap: CPUID at EIP 0xFFFFFFFE in 32-bit code: EIP wraps to 0 (Plinth used to set RIP
 *   to 0x100000000, which VM entry refuses outside 64-bit code).
 * - task_switch (destructive): a far jump to a TSS stops the VM with its report.
 */
#include <plinth/string.h>
#include "checks.h"
#include "console.h"
#include "guest_layout.h"
#include "trap.h"
#include "x86.h"

#define CR0_NE BIT(5)
#define CR0_NW BIT(29)
#define CR0_CD BIT(30)
#define CR0_PG BIT(31)
#define LAB_T_LME_NOPAE 0
#define LAB_T_PAE 1
#define LAB_T_BAD_PDPTE 2
#define LAB_T_TASK_SWITCH 3
#define LAB_GDT_BASED 4
#define LAB_GDT_TSS_A 5
#define LAB_GDT_TSS_B 6
#define PTE_P BIT(0)
#define PTE_RW BIT(1)
#define PTE_PS BIT(7)
#define PDPTE_RESERVED_RW BIT(1) /* reserved in a PAE PDPTE (SDM Vol. 3A, 4.4.1) */
#define ALIAS_BASE 0x40000000u    /* the second GiB's first 2 MiB: physical 0 */
#define GATE_INTERRUPT32 0x8e00u

u32 lab_run(u32 test);
u32 lab_cpuid_wrap(u32 leaf);
void lab_wrap_back(void);
extern u64 lab_gdt[], lab_pdpt[], lab_pdpt_bad[], lab_pd[], lab_idt[];
extern const u32 lab_vectors[32];
extern volatile u32 lab_fault, lab_fault_code, lab_probe_alias, lab_wrap_regs[3];

static u8 lab_wrap_code[16] __aligned(16);
static struct {
	u32 offset;
	u16 selector;
} __packed lab_wrap_back_ptr;
static volatile u32 lab_probe = 0x6c616221; /* "!bal" */
static u8 tss_a[104], tss_b[104];

/* A flat-limit segment descriptor (SDM Vol. 3A, 3.4.5) with base and access byte. */
static u64 descriptor(u32 base, u32 limit, u8 access, u8 flags)
{
	return (limit & 0xffffull) | (u64)(base & 0xffffff) << 16 | (u64)access << 40 |
	       (u64)((limit >> 16) & 0xf) << 48 | (u64)(flags & 0xf) << 52 | (u64)(base >> 24) << 56;
}

static void lab_setup(void)
{
	for (unsigned v = 0; v < 32; v++)
		lab_idt[v] = (lab_vectors[v] & 0xffffu) | (u64)GDT_CODE32 << 16 |
			     (u64)(GATE_INTERRUPT32 | (lab_vectors[v] & 0xffff0000u)) << 32;
	/* PAE: PDPT[0] identity-maps the first GiB with 2 MiB pages, PDPT[1] aliases physical 0. */
	for (unsigned i = 0; i < 512; i++)
		lab_pd[i] = ((u64)i << 21) | PTE_P | PTE_RW | PTE_PS;
	memset(&lab_pd[512], 0, 512 * sizeof(u64));
	lab_pd[512] = PTE_P | PTE_RW | PTE_PS;
	lab_pdpt[0] = (u64)&lab_pd[0] | PTE_P;
	lab_pdpt[1] = (u64)&lab_pd[512] | PTE_P;
	lab_pdpt[2] = lab_pdpt[3] = 0;
	lab_pdpt_bad[0] = (u64)&lab_pd[0] | PTE_P;
	lab_pdpt_bad[1] = (u64)&lab_pd[512] | PTE_P | PDPTE_RESERVED_RW;
	lab_pdpt_bad[2] = lab_pdpt_bad[3] = 0;
	lab_probe_alias = ALIAS_BASE + (u32)(u64)&lab_probe;
	/* A 32-bit code segment whose EIP 0xFFFFFFFE is lab_wrap_code, and EIP 0 two bytes on. */
	lab_gdt[LAB_GDT_BASED] = descriptor((u32)(u64)lab_wrap_code + 2, 0xfffff, 0x9b, 0xc);
	lab_gdt[LAB_GDT_TSS_A] = descriptor((u32)(u64)tss_a, sizeof(tss_a) - 1, 0x89, 0);
	lab_gdt[LAB_GDT_TSS_B] = descriptor((u32)(u64)tss_b, sizeof(tss_b) - 1, 0x89, 0);
	/* cpuid; jmp far [lab_wrap_back_ptr] */
	lab_wrap_back_ptr.offset = (u32)(u64)lab_wrap_back;
	lab_wrap_back_ptr.selector = GDT_CODE64;
	lab_wrap_code[0] = 0x0f;
	lab_wrap_code[1] = 0xa2;
	lab_wrap_code[2] = 0xff;
	lab_wrap_code[3] = 0x2d;
	memcpy(&lab_wrap_code[4], &(u32){ (u32)(u64)&lab_wrap_back_ptr }, 4);
}

/* A CR0 write that exits: with NE flipped from the guest's value. */
static struct fault exiting_cr0_write(u64 value)
{
	return safe_write_cr0(value ^ CR0_NE);
}

void check_cr0(void)
{
	u64 cr0 = read_cr0();

	check_expect_fault(exiting_cr0_write(cr0 & ~CR0_PG), X86_GP, 0, "MOV CR0 clearing PG in 64-bit mode");
	check_expect(read_cr0() == cr0, "CR0 0x%lx after the refused write, was 0x%lx", read_cr0(), cr0);
	check_expect_fault(exiting_cr0_write((cr0 | CR0_NW) & ~CR0_CD), X86_GP, 0, "MOV CR0 with NW and not CD");
	check_expect(read_cr0() == cr0, "CR0 0x%lx after the refused write, was 0x%lx", read_cr0(), cr0);
	if (check_expect_no_fault(exiting_cr0_write(cr0), "MOV CR0 flipping NE"))
		check_expect(read_cr0() == (cr0 ^ CR0_NE), "CR0 0x%lx after flipping NE of 0x%lx", read_cr0(), cr0);
	write_cr0(cr0);
}

void check_cr_legacy(void)
{
	u32 r;

	lab_setup();
	r = lab_run(LAB_T_LME_NOPAE);
	check_expect(r == (u32)X86_GP << 16, "CR0.PG with LME and no PAE: got 0x%x (vector << 16 | error code, bit 31 PG on), expected #GP(0)",
		     r);
	r = lab_run(LAB_T_PAE);
	check_expect(lab_fault == (u32)-1, "PAE paging through an exiting CR0 write raised vector %u", lab_fault);
	check_expect(r == lab_probe, "read 0x%x through the PAE alias mapping, expected 0x%x", r, lab_probe);
	r = lab_run(LAB_T_BAD_PDPTE);
	check_expect(r == (u32)X86_GP << 16, "PAE paging with a reserved PDPTE bit: got 0x%x, expected #GP(0)", r);
	trap_load_idt();
}

void check_cpuid_wrap(void)
{
	struct cpuid_regs want = cpuid_leaf(0);
	u32 eax;

	lab_setup();
	eax = lab_cpuid_wrap(0);
	check_expect(eax == want.eax && lab_wrap_regs[0] == want.ebx && lab_wrap_regs[1] == want.ecx &&
			     lab_wrap_regs[2] == want.edx,
		     "CPUID at EIP 0xfffffffe returned %x %x %x %x, expected %x %x %x %x", eax, lab_wrap_regs[0],
		     lab_wrap_regs[1], lab_wrap_regs[2], want.eax, want.ebx, want.ecx, want.edx);
}

void check_task_switch(void)
{
	lab_setup();
	check_info("task switch: a far jump to a TSS");
	console_drain();
	lab_run(LAB_T_TASK_SWITCH);
	trap_load_idt();
	check_expect(false, "the task switch returned (lab fault vector %u)", lab_fault);
}
