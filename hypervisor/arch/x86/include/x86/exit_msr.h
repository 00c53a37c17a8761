/* What makes MSR exits happen (exit_msr.c): the VM's MSR bitmap. */
#ifndef X86_EXIT_MSR_H
#define X86_EXIT_MSR_H

#include <plinth/types.h>

/* Fills a new VM's MSR bitmap: the MSRs that would reveal or break VMX, the x2APIC ICR. */
void exit_msr_bitmap_init(u8 *bitmap);

#endif
