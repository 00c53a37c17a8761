/* Who gets what is typed on Plinth's console (core/console_input.c). With partitions, Ctrl-A
 * then a digit hands the input over: 1..N a VM (its emulated COM1), 0 the monitor; Ctrl-A twice
 * sends one Ctrl-A on. Without partitions everything is the monitor's. */
#ifndef PLINTH_CONSOLE_INPUT_H
#define PLINTH_CONSOLE_INPUT_H

#include <plinth/types.h>

#define CONSOLE_INPUT_ESCAPE 0x01 /* Ctrl-A */

/* Reads the console until a byte for the monitor turns up (returned) or nothing is left (-1);
 * bytes for a VM go into its UART on the way. Only the boot CPU calls it. */
int console_input_take(void);
/* Hands the input to VM number n (1..N, in configuration order) or the monitor (0), and says so. */
void console_input_select(u32 n);

#endif
