/*
 * x86 architectural constants, named as in the Intel SDM and grouped by register: control
 * registers, EFER, RFLAGS, XCR0, page-table entries, exception vectors, MSR numbers, the local
 * APIC's registers, CPUID feature bits, and the descriptors and selectors of Plinth's GDT.
 * This is the one home of each: no other file under hypervisor/ or boot/ keeps a copy
 * (tests/unit/test_build.py checks that no macro is defined twice). The VMX capability MSRs
 * and their fields come from the generated vmx_caps.h instead (tools/vmxcaps.py).
 *
 * Assembly includes it too (boot/, traps.S): values only, no C types or suffixes.
 */
#ifndef X86_PROCESSOR_H
#define X86_PROCESSOR_H

#include <plinth/types.h>

/* CR0 (SDM Vol. 3A, 2.5). */
#define X86_CR0_PE BIT(0)
#define X86_CR0_TS BIT(3)
#define X86_CR0_ET BIT(4)
#define X86_CR0_WP BIT(16)
#define X86_CR0_NW BIT(29)
#define X86_CR0_CD BIT(30)
#define X86_CR0_PG BIT(31)

/* CR4 (SDM Vol. 3A, 2.5). */
#define X86_CR4_PSE BIT(4)
#define X86_CR4_PAE BIT(5)
#define X86_CR4_PGE BIT(7)
#define X86_CR4_LA57 BIT(12)
#define X86_CR4_VMXE BIT(13)
#define X86_CR4_SMXE BIT(14)
#define X86_CR4_PCIDE BIT(17)
#define X86_CR4_OSXSAVE BIT(18)
#define X86_CR4_SMEP BIT(20)
#define X86_CR4_PKE BIT(22)
#define X86_CR4_CET BIT(23)

/* IA32_EFER (SDM Vol. 3A, 2.2.1). */
#define MSR_EFER 0xc0000080
#define EFER_LME BIT(8)
#define EFER_LMA BIT(10)
#define EFER_NXE BIT(11)

/* RFLAGS (SDM Vol. 1, 3.4.3): bit 1 is reserved and always 1. */
#define X86_RFLAGS_FIXED BIT(1)
#define X86_RFLAGS_TF BIT(8)
#define X86_RFLAGS_DF BIT(10)
#define X86_RFLAGS_RF BIT(16)

/* DR7 and IA32_PAT after reset (SDM Vol. 3A, Table 10-1 and 12.12.4). */
#define X86_DR7_RESET 0x400
#define X86_PAT_RESET 0x0007040600070406

/* XCR0, the XSAVE feature mask (SDM Vol. 1, 13.3). */
#define XCR0_X87 BIT(0)
#define XCR0_SSE BIT(1)
#define XCR0_AVX BIT(2)
#define XCR0_BNDREGS BIT(3)
#define XCR0_BNDCSR BIT(4)
#define XCR0_AVX512 (BIT(5) | BIT(6) | BIT(7)) /* opmask, ZMM_Hi256, Hi16_ZMM: all or none */
#define XCR0_TILECFG BIT(17)
#define XCR0_TILEDATA BIT(18)

/* Page-table entries of 32-bit, PAE and 4-level paging (SDM Vol. 3A, 4.3-4.5). */
#define X86_PTE_P BIT(0)
#define X86_PTE_RW BIT(1)
#define X86_PTE_US BIT(2)
#define X86_PTE_PCD BIT(4)
#define X86_PTE_PS BIT(7)
#define X86_PTE_ADDR_MASK 0x000ffffffffff000 /* PAE and 4-level entries */

/* Exception vectors (SDM Vol. 3A, Table 6-1). */
#define X86_EXC_DE 0
#define X86_EXC_NMI 2
#define X86_EXC_BR 5
#define X86_EXC_UD 6
#define X86_EXC_NM 7
#define X86_EXC_DF 8
#define X86_EXC_TS 10
#define X86_EXC_GP 13
#define X86_EXC_PF 14
#define X86_EXC_MF 16
#define X86_EXC_AC 17
#define X86_EXC_MC 18
#define X86_EXC_XM 19
#define X86_EXC_VE 20
#define X86_EXC_CP 21
#define X86_EXC_VC 29
#define X86_EXC_SX 30
#define X86_EXCEPTIONS 32

/* MSRs outside VMX (SDM Vol. 4). */
#define MSR_IA32_APIC_BASE 0x1b
#define MSR_MTRRCAP 0xfe
#define MSR_MTRR_PHYSBASE0 0x200 /* PHYSMASKn follows PHYSBASEn */
#define MSR_MTRR_FIX64K_00000 0x250
#define MSR_MTRR_FIX16K_80000 0x258
#define MSR_MTRR_FIX16K_A0000 0x259
#define MSR_MTRR_FIX4K_C0000 0x268 /* eight of them, to 0x26f */
#define MSR_IA32_PAT 0x277
#define MSR_MTRR_DEF_TYPE 0x2ff
#define MSR_X2APIC_ID 0x802
#define MSR_X2APIC_ICR 0x830
#define MSR_GS_BASE 0xc0000101

/* IA32_APIC_BASE (SDM Vol. 3A, 11.4.4). */
#define APIC_BASE_X2APIC BIT(10)
#define APIC_BASE_ENABLE BIT(11)
#define APIC_BASE_ADDR_MASK 0xffffff000

/* Local APIC registers: xAPIC MMIO offsets (SDM Vol. 3A, Table 11-1; x2APIC MSR 0x800 +
 * offset / 16), the ICR (11.6.1), the LVT's delivery mode and mask (11.5.1). */
#define XAPIC_ID 0x20
#define XAPIC_LDR 0xd0
#define XAPIC_DFR 0xe0
#define XAPIC_LVT_CMCI 0x2f0
#define XAPIC_LVT_TIMER 0x320
#define XAPIC_TIMER_INITIAL 0x380
#define XAPIC_TIMER_CURRENT 0x390
#define XAPIC_TIMER_DIVIDE 0x3e0
#define APIC_TIMER_DIVIDE_1 0xb /* SDM Vol. 3A, Figure 11-10 */
#define XAPIC_ICR_LOW 0x300
#define XAPIC_ICR_HIGH 0x310
#define XAPIC_LVT_THERMAL 0x330
#define XAPIC_LVT_PMC 0x340
#define XAPIC_LVT_LINT0 0x350
#define XAPIC_LVT_LINT1 0x360
#define XAPIC_PAGE_SIZE 0x1000
#define APIC_ICR_VECTOR_MASK 0xff
#define APIC_ICR_DELIVERY_MASK (7 << 8)
#define APIC_ICR_FIXED (0 << 8)
#define APIC_ICR_LOWEST (1 << 8)
#define APIC_ICR_SMI (2 << 8)
#define APIC_ICR_NMI (4 << 8)
#define APIC_ICR_INIT (5 << 8)
#define APIC_ICR_STARTUP (6 << 8)
#define APIC_ICR_DEST_LOGICAL BIT(11)
#define APIC_ICR_PENDING BIT(12)
#define APIC_ICR_LEVEL_ASSERT BIT(14)
#define APIC_ICR_TRIGGER_LEVEL BIT(15)
#define APIC_ICR_SHORTHAND(icr) (((icr) >> 18) & 3)
#define APIC_SHORTHAND_SELF 1
#define APIC_SHORTHAND_ALL 2
#define APIC_SHORTHAND_ALL_BUT_SELF 3
#define APIC_LVT_MASKED BIT(16)
#define MSR_X2APIC_BASE 0x800 /* x2APIC register MSR = MSR_X2APIC_BASE + xAPIC offset / 16 */

/* CPUID feature bits (SDM Vol. 2A, CPUID). */
#define CPUID_1_ECX_VMX BIT(5)
#define CPUID_1_ECX_SMX BIT(6)
#define CPUID_1_ECX_XSAVE BIT(26)
#define CPUID_1_ECX_OSXSAVE BIT(27) /* mirrors CR4.OSXSAVE */
#define CPUID_7_ECX_OSPKE BIT(4)    /* leaf 7, subleaf 0: mirrors CR4.PKE */
#define CPUID_7_1_ECX_MSR_IMM BIT(5) /* leaf 7, subleaf 1: RDMSR/WRMSRNS with an immediate */
#define CPUID_1_ECX_HYPERVISOR BIT(31) /* reserved for hypervisors: 0 on bare metal */
#define CPUID_1_EDX_MTRR BIT(12)
#define CPUID_80000001_EDX_NX BIT(20)
#define CPUID_80000001_EDX_PAGE1GB BIT(26)
#define CPUID_80000001_EDX_LM BIT(29)

/* Flat segment descriptors (SDM Vol. 3A, 3.4.5): base 0, limit 4 GiB, present, DPL 0. */
#define GDT_DESC_CODE64 0x00af9a000000ffff
#define GDT_DESC_CODE32 0x00cf9a000000ffff
#define GDT_DESC_DATA 0x00cf92000000ffff

/* Plinth's GDT: every CPU's (desc.c) and the boot GDT (boot/entry.S) start alike, and the
 * AP trampoline's leads to the same 64-bit selectors. */
#define SEL_CODE64 0x08
#define SEL_DATA 0x10
#define SEL_TSS 0x18 /* per CPU only: the TSS takes two slots */

/* The first serial port: the console before any option is read (boot/entry.S, uart.c), and
 * the 16550 line status register both poll before each byte (transmit holding register empty). */
#define UART_COM1_PORT 0x3f8
#define UART_LSR 5
#define UART_LSR_THRE BIT(5)

#endif
