/* Delays on PIT channel 2 (pit.c): a clock every PC, Bochs and QEMU have, needing no IRQ. */
#ifndef GUEST_PIT_H
#define GUEST_PIT_H

#include <plinth/types.h>

/* Busy-waits at least us microseconds; false if the PIT never counted down. Without a PIT (a
 * partition that does not own it) the wait is on the TSC (pit.c says at what rate). */
bool pit_delay_us(u32 us);

#endif
