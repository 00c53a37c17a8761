/* Calibration-free busy waits (pit.c). */
#ifndef X86_PIT_H
#define X86_PIT_H

#include <plinth/types.h>

void pit_udelay(u32 us);

#endif
