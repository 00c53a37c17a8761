/* Delays on PIT channel 2 (pit.c): a clock every PC, Bochs and QEMU have, needing no IRQ. */
#ifndef GUEST_PIT_H
#define GUEST_PIT_H

#include <plinth/types.h>

/* Busy-waits at least us microseconds; false if the PIT never counted down. */
bool pit_delay_us(u32 us);

#endif
