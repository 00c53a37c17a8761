/* What makes I/O exits happen (exit_io.c): the VM's I/O bitmaps. */
#ifndef X86_EXIT_IO_H
#define X86_EXIT_IO_H

#include <plinth/types.h>

/* Fills a new VM's I/O bitmaps: the emulated test device's ports and the PM1a control port. */
void exit_io_bitmap_init(u8 *bitmap_a, u8 *bitmap_b);
/* The firmware's ACPI PM1a control port (from the FADT): a guest's sleep request there gets
 * its VM's exit statistics printed before it goes through. */
void exit_io_watch_pm1a(u16 port);

#endif
