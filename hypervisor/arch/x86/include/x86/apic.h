/* Local APIC: this CPU's id and inter-processor interrupts, in xAPIC or x2APIC mode. */
#ifndef X86_APIC_H
#define X86_APIC_H

#include <plinth/types.h>

#define MSR_IA32_APIC_BASE 0x1b
#define APIC_BASE_BSP BIT(8)
#define APIC_BASE_X2APIC BIT(10)
#define APIC_BASE_ENABLE BIT(11)

/* ICR delivery modes and flags (SDM Vol. 3A, 11.6.1). */
#define APIC_ICR_NMI (4u << 8)
#define APIC_ICR_INIT (5u << 8)
#define APIC_ICR_STARTUP (6u << 8)
#define APIC_ICR_LEVEL_ASSERT BIT(14)
#define APIC_ICR_ALL_BUT_SELF (3u << 18)

/* Reads IA32_APIC_BASE and remembers whether the firmware left x2APIC mode on. */
void apic_init(void);
u32 apic_id(void);
bool apic_x2apic_mode(void);
/* Whether this CPU's APIC is in x2APIC mode right now (a guest may have switched it). */
bool apic_x2apic_mode_now(void);
/* Sends an IPI (icr_low: delivery mode, vector, flags) to the APIC id dest; false when the
 * APIC did not accept it in time. */
bool apic_send_ipi(u32 dest, u32 icr_low);

#endif
