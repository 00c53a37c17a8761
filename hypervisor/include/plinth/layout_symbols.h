/* Symbols linker.ld defines for Plinth's one reserved range (see tools/layout.py). */
#ifndef PLINTH_LAYOUT_SYMBOLS_H
#define PLINTH_LAYOUT_SYMBOLS_H

/* [__plinth_start, __plinth_end): image, boot page tables and stack, page pool. */
extern char __plinth_start[], __plinth_end[];
/* [__pool_start, __pool_end): the page pool (core/memory.c). */
extern char __pool_start[], __pool_end[];

#endif
