/*
 * The test guest's fixed layout: shared by the assembly (entry.S, trampoline.S, vectors.S),
 * the linker script and the C code, so it holds only plain integer constants.
 */
#ifndef GUEST_LAYOUT_H
#define GUEST_LAYOUT_H

/* Multiboot 1 kernels conventionally load at 1 MiB, and the guest's image including .bss stays
 * below 2 MiB there. SConscript links variants elsewhere (at 4 MiB, inside the addresses of
 * Plinth's own range, and low at 0x8000) by defining both on the preprocessor's command line. */
#ifndef GUEST_LOAD_BASE
#define GUEST_LOAD_BASE 0x100000
#define GUEST_LIMIT 0x200000
#endif

/* GDT selectors (entry.S builds the GDT; the AP trampoline loads the same one). */
#define GDT_CODE32 0x08
#define GDT_DATA 0x10
#define GDT_CODE64 0x18
#define GDT_ENTRIES 4

#define PAGE_SIZE 0x1000
#define BSP_STACK_SIZE 0x4000
#define AP_STACK_SIZE 0x2000
/* APs beyond this many are not given a stack: they halt without checking in. */
#define AP_MAX 8

/* Real-mode entry of the APs. A SIPI starts an AP at CS:IP = (vector << 8):0, i.e. physical
 * address vector << 12 (SDM Vol. 3A, 9.4.4 / 11.6.1), so this is page-aligned, below 1 MiB,
 * and clear of the BIOS data area and of the guest image. */
#define AP_TRAMPOLINE_BASE 0x7000
#define AP_SIPI_VECTOR (AP_TRAMPOLINE_BASE >> 12)

/* The one device interrupt vector the IDT has a gate for (trap.h: irq_hook). */
#define TRAP_IRQ_VECTOR 0x40

#endif
